"""Every write to an enrollment (报到): submission and the pending → confirmed → active path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import Area, User
from reporting.models import Enrollment, EnrollmentStatus, ResidentUnit
from reporting.selectors_enrollment import administered_units, is_subject
from resources.models import AvailabilitySlot, NeedCategory, ProviderType, ResourceKind
from resources.services.resources import create_resource

S = EnrollmentStatus

MAX_SKILLS_LENGTH = 500
MAX_AGREEMENT_ITEMS = 20
MAX_ITEM_NAME_LENGTH = 120


@dataclass(frozen=True)
class EnrollmentMove:
    sources: frozenset[str]
    target: str
    stamp: str
    label: object  # lazy translated button label
    needs_reason: bool = False


ENROLLMENT_TRANSITIONS: dict[str, EnrollmentMove] = {
    "confirm": EnrollmentMove(
        frozenset({S.PENDING}), S.CONFIRMED, "confirmed_at", gettext_lazy("Confirm")
    ),
    "return": EnrollmentMove(
        frozenset({S.PENDING}),
        S.RETURNED,
        "returned_at",
        gettext_lazy("Return for changes"),
        needs_reason=True,
    ),
    "activate": EnrollmentMove(
        frozenset({S.CONFIRMED}), S.ACTIVE, "activated_at", gettext_lazy("Activate")
    ),
    "withdraw": EnrollmentMove(
        frozenset({S.PENDING, S.CONFIRMED, S.ACTIVE}),
        S.WITHDRAWN,
        "withdrawn_at",
        gettext_lazy("Withdraw"),
        needs_reason=True,
    ),
}


# --- validation ---------------------------------------------------------------------------------


def _category_codes(codes: Any, *, field: str) -> list[str]:
    if not isinstance(codes, list | tuple) or not all(isinstance(c, str) for c in codes):
        raise InvalidInput(_("Categories must be a list of category codes."), field=field)
    codes = list(dict.fromkeys(codes))
    known = set(
        NeedCategory.objects.filter(code__in=codes, is_active=True).values_list("code", flat=True)
    )
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(
            _("Unknown category: %(codes)s") % {"codes": ", ".join(unknown)}, field=field
        )
    return codes


def clean_intentions(intentions: Any) -> dict[str, Any]:
    """Categories (at least one), skills (free text) and available times, normalised."""
    if not isinstance(intentions, dict):
        raise InvalidInput(_("Service intentions are not in the expected form."))
    unknown_keys = set(intentions) - {"categories", "skills", "times"}
    if unknown_keys:
        raise InvalidInput(_("Service intentions are not in the expected form."))
    categories = _category_codes(intentions.get("categories") or [], field="categories")
    if not categories:
        raise InvalidInput(
            _("Choose at least one kind of service you can offer."), field="categories"
        )
    skills = intentions.get("skills") or ""
    if not isinstance(skills, str):
        raise InvalidInput(_("Describe your skills in words."), field="skills")
    skills = skills.strip()
    if len(skills) > MAX_SKILLS_LENGTH:
        raise InvalidInput(
            _("Keep skills to %(n)d characters.") % {"n": MAX_SKILLS_LENGTH}, field="skills"
        )
    times = intentions.get("times") or []
    if not isinstance(times, list | tuple) or not all(isinstance(t, str) for t in times):
        raise InvalidInput(_("Available times are not in the expected form."), field="times")
    unknown = sorted(set(times) - set(AvailabilitySlot.values))
    if unknown:
        raise InvalidInput(
            _("Unknown available time: %(times)s") % {"times": ", ".join(unknown)}, field="times"
        )
    ordered_times = [slot for slot in AvailabilitySlot.values if slot in set(times)]
    return {"categories": categories, "skills": skills, "times": ordered_times}


def clean_agreement(agreement: Any) -> list[dict[str, Any]]:
    """The resources a unit commits: name, kind, categories (at least one), capacity ≥ 1."""
    if not isinstance(agreement, list | tuple):
        raise InvalidInput(_("The agreement is not in the expected form."), field="agreement")
    if len(agreement) > MAX_AGREEMENT_ITEMS:
        raise InvalidInput(
            _("An agreement lists at most %(n)d resources.") % {"n": MAX_AGREEMENT_ITEMS},
            field="agreement",
        )
    cleaned = []
    for number, item in enumerate(agreement, start=1):
        if not isinstance(item, dict) or set(item) - {"name", "kind", "categories", "capacity"}:
            raise InvalidInput(
                _("Agreement line %(n)d is not in the expected form.") % {"n": number},
                field="agreement",
            )
        name = str(item.get("name") or "").strip()
        if not name or len(name) > MAX_ITEM_NAME_LENGTH:
            raise InvalidInput(
                _("Agreement line %(n)d needs a name of at most %(max)d characters.")
                % {"n": number, "max": MAX_ITEM_NAME_LENGTH},
                field="agreement",
            )
        kind = item.get("kind")
        if kind not in ResourceKind.values:
            raise InvalidInput(
                _("Agreement line %(n)d: choose a kind of resource.") % {"n": number},
                field="agreement",
            )
        categories = _category_codes(item.get("categories") or [], field="agreement")
        if not categories:
            raise InvalidInput(
                _("Agreement line %(n)d: choose at least one category.") % {"n": number},
                field="agreement",
            )
        capacity = item.get("capacity", 1)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise InvalidInput(
                _("Agreement line %(n)d: capacity must be at least 1.") % {"n": number},
                field="agreement",
            )
        cleaned.append({"name": name, "kind": kind, "categories": categories, "capacity": capacity})
    return cleaned


def _check_year(year: int, now: datetime) -> None:
    this_year = timezone.localtime(now).year
    if not isinstance(year, int) or year not in (this_year, this_year + 1):
        raise InvalidInput(
            _("Enrol for %(this)d or %(next)d.") % {"this": this_year, "next": this_year + 1},
            field="year",
        )


# --- submission ---------------------------------------------------------------------------------


def submit_enrollment(
    *,
    by: User,
    community: Area,
    year: int,
    intentions: dict[str, Any],
    agreement: list[dict[str, Any]] | None = None,
    unit: ResidentUnit | None = None,
    now: datetime | None = None,
) -> Enrollment:
    """A party member enrols themself, or a unit admin enrols their unit, for a year.

    Any community may be chosen (a member normally reports where they live). One live
    (pending, confirmed or active) enrollment per subject and year; a returned or withdrawn
    one may be followed by a new submission.
    """
    now = now or timezone.now()
    if community.level != Area.Level.COMMUNITY:
        raise InvalidInput(_("Choose a community."), field="community")
    _check_year(year, now)
    if unit is None:
        member = getattr(by, "party_member", None) if by.is_authenticated else None
        if member is None:
            raise PermissionDenied(
                _("Only registered party members can enrol; ask your community to register you.")
            )
        if agreement:
            raise InvalidInput(
                _("Only resident units sign a co-building agreement."), field="agreement"
            )
        items: list[dict[str, Any]] = []
        subject = {"member": member}
    else:
        if not administered_units(by).filter(pk=unit.pk).exists():
            raise PermissionDenied(_("You cannot enrol this unit."))
        items = clean_agreement(agreement or [])
        if not items:
            raise InvalidInput(
                _("List at least one resource your unit commits in the co-building agreement."),
                field="agreement",
            )
        subject = {"unit": unit}
    cleaned = clean_intentions(intentions)
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                **subject,
                community=community,
                year=year,
                intentions=cleaned,
                agreement=items,
                submitted_at=now,
            )
            audit.record(
                action="enrollment.submitted",
                actor=by,
                obj=enrollment,
                area=community,
                data={
                    "subject": "unit" if unit else "member",
                    "year": year,
                    "categories": cleaned["categories"],
                    "agreement_items": len(items),
                },
            )
    except IntegrityError as exc:
        message = str(exc)
        # PostgreSQL names the constraint; SQLite names the table.
        if "enrollment_one_live" not in message and "reporting_enrollment" not in message:
            raise
        if unit is not None:
            message = _(
                "%(unit)s already has a pending, confirmed or active enrollment for %(year)d. "
                "Withdraw it first, or wait until it is returned."
            ) % {"unit": unit.name, "year": year}
        else:
            message = _(
                "You already have a pending, confirmed or active enrollment for %(year)d. "
                "Withdraw it first, or wait until it is returned."
            ) % {"year": year}
        raise Conflict(message) from None
    return enrollment


# --- the state machine --------------------------------------------------------------------------


def allowed_enrollment_actions(
    enrollment: Enrollment, user: User
) -> list[tuple[str, EnrollmentMove]]:
    """The moves staff may apply to ``enrollment`` now, in display order."""
    if not can(user, Action.ENROLLMENT_DECIDE, area=enrollment.community):
        return []
    return [
        (name, move)
        for name, move in ENROLLMENT_TRANSITIONS.items()
        if enrollment.status in move.sources
    ]


def _resources_from_agreement(enrollment: Enrollment, by: User) -> list[int]:
    unit = enrollment.unit
    categories = {
        c.code: c
        for c in NeedCategory.objects.filter(
            code__in={code for item in enrollment.agreement for code in item["categories"]}
        )
    }
    created = []
    for item in enrollment.agreement:
        resource = create_resource(
            by=by,
            categories=[categories[code] for code in item["categories"] if code in categories],
            name=item["name"],
            description=_("Co-building agreement %(year)d") % {"year": enrollment.year},
            provider_type=ProviderType.UNIT,
            provider_name=unit.name,
            kind=item["kind"],
            capacity=item["capacity"],
            area=enrollment.community,
            contact_name=unit.contact.display_name if unit.contact_id else "",
            contact_phone=(unit.contact.phone or "") if unit.contact_id else "",
        )
        created.append(resource.pk)
    return created


def _move(
    *,
    enrollment: Enrollment,
    action: str,
    by: User,
    reason: str,
    now: datetime | None,
    as_subject: bool = False,
) -> Enrollment:
    move = ENROLLMENT_TRANSITIONS[action]
    reason = (reason or "").strip()
    if not as_subject and not can(by, Action.ENROLLMENT_DECIDE, area=enrollment.community):
        raise PermissionDenied(_("You cannot decide enrollments of this community."))
    if move.needs_reason and not reason and not as_subject:
        raise InvalidInput(_("Please give a reason."), field="reason")
    now = now or timezone.now()
    with transaction.atomic():
        # Lock and re-read so that two workers acting at once cannot both move it.
        locked = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("unit__contact", "community")
            .get(pk=enrollment.pk)
        )
        if locked.status not in move.sources:
            raise IllegalTransition(
                _("An enrollment that is “%(status)s” cannot be moved by “%(action)s”.")
                % {"status": locked.get_status_display(), "action": move.label}
            )
        previous = locked.status
        update: dict[str, Any] = {"status": move.target, move.stamp: now}
        if action in ("confirm", "return"):
            update["decided_by"] = by
        if action == "return":
            update["return_reason"] = reason
        for field, value in update.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(update))
        data: dict[str, Any] = {"from": previous, "to": move.target}
        if reason:
            data["note"] = reason
        if as_subject:
            data["by_subject"] = True
        if action == "confirm" and locked.unit_id:
            data["resources"] = _resources_from_agreement(locked, by)
        audit.record(
            action=f"enrollment.{action}", actor=by, obj=locked, area=locked.community, data=data
        )
    return locked


def confirm_enrollment(
    *, enrollment: Enrollment, by: User, now: datetime | None = None
) -> Enrollment:
    """Pending → confirmed; a unit's agreement lines become resources of the community."""
    return _move(enrollment=enrollment, action="confirm", by=by, reason="", now=now)


def return_enrollment(
    *, enrollment: Enrollment, by: User, reason: str, now: datetime | None = None
) -> Enrollment:
    """Pending → returned with a reason; the subject may then submit again."""
    return _move(enrollment=enrollment, action="return", by=by, reason=reason, now=now)


def activate_enrollment(
    *, enrollment: Enrollment, by: User, now: datetime | None = None
) -> Enrollment:
    """Confirmed → active."""
    return _move(enrollment=enrollment, action="activate", by=by, reason="", now=now)


def withdraw_enrollment(
    *, enrollment: Enrollment, by: User, reason: str = "", now: datetime | None = None
) -> Enrollment:
    """Pending, confirmed or active → withdrawn, by the subject (reason optional) or a decider.

    Resources already created from a unit's agreement stay on the list; the community retires
    them on the resource pages if needed.
    """
    return _move(
        enrollment=enrollment,
        action="withdraw",
        by=by,
        reason=reason,
        now=now,
        as_subject=is_subject(enrollment, by),
    )


def transition_enrollment(
    *, enrollment: Enrollment, action: str, by: User, reason: str = "", now: datetime | None = None
) -> Enrollment:
    """Dispatch a staff action by name (for the action buttons)."""
    if action == "confirm":
        return confirm_enrollment(enrollment=enrollment, by=by, now=now)
    if action == "return":
        return return_enrollment(enrollment=enrollment, by=by, reason=reason, now=now)
    if action == "activate":
        return activate_enrollment(enrollment=enrollment, by=by, now=now)
    if action == "withdraw":
        return withdraw_enrollment(enrollment=enrollment, by=by, reason=reason, now=now)
    raise InvalidInput(_("Unknown action."), field="action")
