"""Personal data services: ID numbers (set, reveal, find), a person's own data, erasure.

The rules (shared/DOMAIN.md): ID numbers are stored encrypted (portal.crypto) and shown masked
except to the community's own workers, for members of their community (holders of
``roster.change`` there), and every reveal is logged. Anyone signed in can download their own
data as JSON. Erasure is immediate once the person confirms with their password: personal
fields are anonymised in one transaction, while what others depend on (service records,
check-ins, points, ratings, enrollments) stays, attached to the now-anonymous account, so
totals and KPIs do not move. Audit events written before the erasure are never rewritten (the
chain would break); they leave the database with the retention job (portal.retention).

Needs that residents submit carry a name and number of their own (resources.Need) and are not
linked to any account; those submitted with the account's own phone number are the person's
data: they are in the download, and erasure anonymises the requester of the closed ones. Open
needs keep their requester, because the community still has to call back. Resource contacts
copied from the person (a unit's agreement, a member's offer) are cleared too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, can
from portal.accounts.history import forget_sign_in_history
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.identity import id_number_hashes, normalise_id_number, validate_id_number
from portal.models import Area, RoleAssignment, User

# --- ID numbers -----------------------------------------------------------------------------


def find_user_by_id_number(id_number: str) -> User | None:
    """The account holding ``id_number`` (through the lookup hash, under the current or a
    fallback lookup key), or None."""
    digests = id_number_hashes(id_number)
    if not digests:
        return None
    return User.objects.filter(id_number_hash__in=digests).order_by("pk").first()


def id_number_conflict(id_number: str, *, exclude: User | None = None) -> bool:
    """Does another account already hold this ID number (hashed under any lookup key)?"""
    digests = id_number_hashes(id_number)
    if not digests:
        return False
    others = User.objects.filter(id_number_hash__in=digests)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def clean_id_number(value: str, *, field: str = "id_number") -> str:
    """The normalised number, or InvalidInput with the validator's message ('' stays '')."""
    value = normalise_id_number(value)
    if value:
        try:
            validate_id_number(value)
        except ValidationError as exc:
            raise InvalidInput(exc.messages[0], field=field) from None
    return value


def can_manage_id_number(*, by: User, community: Area) -> bool:
    """May ``by`` see and set ID numbers of the members of ``community``?"""
    return can(by, Action.ROSTER_CHANGE, area=community)


def set_id_number(*, person: User, community: Area, id_number: str, by: User) -> User:
    """Enter, change or clear (empty value) a member's ID number; logged without the number."""
    if not can_manage_id_number(by=by, community=community):
        raise PermissionDenied(_("Only the community's own workers can enter ID numbers."))
    number = clean_id_number(id_number)
    if number and id_number_conflict(number, exclude=person):
        raise Conflict(
            _("This ID number is already registered to another account."), field="id_number"
        )
    try:
        with transaction.atomic():
            person.id_number = number
            person.save(update_fields=["id_number"])
            audit.record(
                action="person.id_number_changed",
                actor=by,
                obj=person,
                area=community,
                data={"field": "id_number", "cleared": not number},
            )
    except IntegrityError:
        raise Conflict(
            _("This ID number is already registered to another account."), field="id_number"
        ) from None
    return person


def reveal_id_number(*, person: User, community: Area, by: User) -> str:
    """The full ID number, for the member's own community workers only; every reveal is logged."""
    if not can_manage_id_number(by=by, community=community):
        raise PermissionDenied(_("Only the community's own workers can see the full ID number."))
    with transaction.atomic():
        audit.record(
            action="person.id_number_revealed",
            actor=by,
            obj=person,
            area=community,
            data={"field": "id_number"},
        )
    return person.id_number


# --- a person's own data --------------------------------------------------------------------


def _rows(queryset, **extra) -> list[dict[str, Any]]:
    return list(
        queryset.values(*[f.attname for f in queryset.model._meta.concrete_fields], **extra)
    )


def personal_data(*, user: User) -> dict[str, Any]:
    """Everything Baodao holds about ``user`` that is theirs, as JSON-ready data.

    Their own full phone and ID number included: it is their own. A fixed number of queries
    whatever the amount of data (one per kind of record).
    """
    from evaluation.models import PointEntry, Rating, Redemption
    from portal.models import Notification, PartnerConsent
    from reporting.models import (
        CheckIn,
        Enrollment,
        LocationConsent,
        PartyMember,
        ResidentUnit,
        ServiceRecord,
        Signup,
    )

    member = PartyMember.objects.filter(user=user).select_related("home_community").first()
    units = list(ResidentUnit.objects.filter(contact=user).select_related("community"))
    unit_ids = [unit.pk for unit in units]
    member_id = member.pk if member else None
    data: dict[str, Any] = {
        "generated_at": timezone.now(),
        "account": {
            "id": user.pk,
            "username": user.username,
            "real_name": user.real_name,
            "phone": user.phone,
            "email": user.email,
            "id_number": user.id_number,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_active": user.is_active,
        },
        "roles": list(
            RoleAssignment.objects.filter(user=user)
            .order_by("id")
            .values("role", "area__code", "area__name", "created_at")
        ),
        "party_member": None,
        "resident_units": [
            {
                "id": unit.pk,
                "name": unit.name,
                "credit_code": unit.credit_code,
                "address": unit.address,
                "community": unit.community.name,
            }
            for unit in units
        ],
    }
    if member is not None:
        data["party_member"] = {
            "id": member.pk,
            "party_organisation": member.party_organisation,
            "workplace": member.workplace,
            "home_community": member.home_community.name,
            "registered_at": member.created_at,
        }
    data["enrollments"] = _rows(
        Enrollment.objects.filter(member_id=member_id)
        | Enrollment.objects.filter(unit_id__in=unit_ids)
    )
    data["signups"] = _rows(
        Signup.objects.filter(member_id=member_id), activity_title=F("activity__title")
    )
    data["check_ins"] = _rows(
        CheckIn.objects.filter(member_id=member_id), activity_title=F("activity__title")
    )
    data["service_records"] = _rows(ServiceRecord.objects.filter(member_id=member_id))
    data["point_entries"] = _rows(
        PointEntry.objects.filter(member_id=member_id)
        | PointEntry.objects.filter(unit_id__in=unit_ids)
    )
    data["redemptions"] = _rows(
        Redemption.objects.filter(member_id=member_id), reward_name=F("reward__name")
    )
    data["ratings_given"] = (
        _rows(Rating.objects.filter(rater_key=f"member:{member_id}")) if member_id else []
    )
    data["notifications"] = list(
        Notification.objects.filter(recipient=user).values(
            "kind", "params", "url", "created_at", "read_at"
        )
    )
    data["needs_submitted"] = _needs_submitted(user)
    data["consents"] = {
        "location": list(
            LocationConsent.objects.filter(user=user).values("granted_at", "revoked_at")
        ),
        "partner_data_sharing": list(
            PartnerConsent.objects.filter(user=user).values(
                "client__name", "granted_at", "revoked_at"
            )
        ),
    }
    return data


def _needs_submitted(user: User) -> list[dict[str, Any]]:
    """The needs submitted with the account's own phone number: the requester's part of them."""
    from resources.models import Need

    if not user.phone:
        return []
    return list(
        Need.objects.filter(requester_phone=user.phone)
        .order_by("submitted_at", "id")
        .values(
            "tracking_number",
            "title",
            "status",
            "channel",
            "requester_name",
            "requester_phone",
            "address",
            "submitted_at",
            "accepted_at",
            "resolved_at",
            "evaluated_at",
            "closed_at",
            community_name=F("community__name"),
        )
    )


def download_personal_data(*, user: User) -> dict[str, Any]:
    """``personal_data`` for the person themself, with an audit event of the download."""
    with transaction.atomic():
        data = personal_data(user=user)
        audit.record(
            action="person.data_downloaded",
            actor=user,
            obj=user,
            data={"sections": sorted(data)},
        )
    return data


# --- erasure ---------------------------------------------------------------------------------


def erased_name(user_id: int) -> str:
    """The placeholder name of an erased account, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Erased user #%(id)s") % {"id": user_id}


def check_erasable(user: User) -> None:
    """Raise unless ``user``'s account can be erased by its holder."""
    from portal.models import PartnerClient

    if user.is_superuser:
        raise PermissionDenied(
            _("A superuser account cannot be erased; another administrator deactivates it.")
        )
    if PartnerClient.objects.filter(user=user).exists():
        raise PermissionDenied(_("The account of a partner system cannot be erased here."))
    if user.username.startswith("erased-") and not user.is_active:
        raise Conflict(_("This account has already been erased."))


def erased_requester_name() -> str:
    """The placeholder requester of a need whose requester erased their account."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("(erased)")


def _clear_resource_contacts(
    *, member_id: int | None, units: list[Any], name: str, phone: str
) -> int:
    """Clear the contact person of resources offered by the member or by the units the person
    was contact of, where that contact is the person: their phone number, or their name with
    no number. A contact with another number is another person's and stays."""
    from resources.models import Resource

    offered = Q(pk__in=[])
    if member_id is not None:
        offered |= Q(provider_member_id=member_id)
    if units:
        # A unit's agreement lines become resources named after the unit but not linked to it
        # (reporting.services.enrollment), with the contact of the day copied in.
        offered |= Q(provider_unit__in=units) | Q(
            provider_unit__isnull=True,
            provider_type=Resource.ProviderType.UNIT,
            provider_name__in=[unit.name for unit in units],
        )
    theirs = Q(contact_name=name, contact_phone="") if name else Q(pk__in=[])
    if phone:
        theirs |= Q(contact_phone=phone)
    return Resource.objects.filter(offered).filter(theirs).update(contact_name="", contact_phone="")


def erase_person(*, user: User, by: User, reason: str = "") -> User:
    """Anonymise ``user``'s personal data in one transaction; keep what others depend on.

    Name, phone, e-mail, ID number (and its hash), sign-in name and password go; roles are
    removed, consents revoked, notifications deleted, check-in coordinates and device ids
    cleared and every session ends. The person's contact details are cleared from the resources
    they were contact of (their own offers and their units'), and the requester's name, phone
    and address from the closed needs submitted with their phone number; open needs keep them,
    because the community still has to call back. Service records, check-ins, points, ratings,
    enrollments and redemptions stay with the anonymous account, so totals and KPIs are
    unchanged. The audit event names the account by id only.
    """
    from portal.models import Notification, PartnerConsent
    from reporting.models import CheckIn, LocationConsent, PartyMember, ResidentUnit
    from resources.models import Need

    check_erasable(user)
    if by.pk != user.pk:
        raise PermissionDenied(_("Only the account holder can erase their account."))
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        # Read before they go: what the person's contact details elsewhere were copied from.
        name, phone = user.display_name, user.phone or ""
        contact_units = list(ResidentUnit.objects.filter(contact=user))
        # Sign-in records are kept under the username or phone: they go before both change.
        sign_ins_forgotten = forget_sign_in_history(user=user)
        user.username = f"erased-{user.pk}"
        user.real_name = erased_name(user.pk)
        user.first_name = user.last_name = user.email = ""
        user.phone = None
        user.id_number = ""
        user.is_active = user.is_staff = user.is_superuser = False
        user.must_change_password = False
        user.session_epoch += 1
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        roles = RoleAssignment.objects.filter(user=user).delete()[0]
        LocationConsent.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        PartnerConsent.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        Notification.objects.filter(recipient=user).delete()
        member = PartyMember.objects.filter(user=user).first()
        if member is not None:
            PartyMember.objects.filter(pk=member.pk).update(workplace="")
            CheckIn.objects.filter(member=member).filter(
                Q(latitude__isnull=False) | Q(longitude__isnull=False) | ~Q(device_id="")
            ).update(latitude=None, longitude=None, device_id="")
        resources = _clear_resource_contacts(
            member_id=member.pk if member else None, units=contact_units, name=name, phone=phone
        )
        needs = 0
        if phone:
            needs = Need.objects.filter(
                requester_phone=phone, status__in=Need.CLOSED_STATUSES
            ).update(requester_name=erased_requester_name(), requester_phone="", address="")
        units = ResidentUnit.objects.filter(contact=user).update(contact=None)
        _delete_devices(user)
        audit.record(
            action="person.erased",
            actor=user,
            obj=user,
            data={
                "reason": (reason or "").strip()[:200],
                "roles_removed": roles,
                "units_released": units,
                "resource_contacts_cleared": resources,
                "needs_anonymised": needs,
                "sign_in_records_deleted": sign_ins_forgotten,
            },
        )
    return user


def _delete_devices(user: User) -> None:
    """Second-factor devices (django-otp) die with the account."""
    from django.apps import apps

    if apps.is_installed("django_otp.plugins.otp_totp"):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.filter(user=user).delete()
    if apps.is_installed("django_otp.plugins.otp_static"):
        from django_otp.plugins.otp_static.models import StaticDevice

        StaticDevice.objects.filter(user=user).delete()
