"""Registering party members and resident units with their community (the roster).

One registration is one service call with its own audit event. The Excel import
(``reporting.importing``) validates a whole file first and then uses the ``create_*``
helpers below inside its single transaction, with one audit event for the whole file.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.models import Area, Role, RoleAssignment, User, validate_mobile_phone
from reporting.models import PartyMember, ResidentUnit, validate_credit_code


def check_roster_community(*, by: User, community: Area) -> None:
    """Raise unless ``community`` is a community in which ``by`` may register people."""
    if community.level != Area.Level.COMMUNITY:
        raise InvalidInput(_("Choose a community."), field="community")
    if not can(by, Action.ROSTER_CHANGE, area=community):
        raise PermissionDenied(_("This community is outside your area."))


def phone_taken(phone: str) -> bool:
    """Is ``phone`` already someone's phone number or sign-in name?"""
    return User.objects.filter(phone=phone).exists() or User.objects.filter(username=phone).exists()


def create_member(
    *, real_name: str, phone: str, party_organisation: str, workplace: str, community: Area
) -> PartyMember:
    """Create the member's account (phone as sign-in name, no usable password yet), the
    member record and the member role in the community. No checks, no audit: callers do both.

    The account is marked to choose its own password: whatever first password it is given
    (by a worker, or an administrator in the admin) is someone else's choice.
    """
    user = User(username=phone, phone=phone, real_name=real_name, must_change_password=True)
    user.set_unusable_password()
    user.save()
    member = PartyMember.objects.create(
        user=user,
        party_organisation=party_organisation,
        workplace=workplace,
        home_community=community,
    )
    RoleAssignment.objects.create(user=user, role=Role.MEMBER, area=community)
    return member


def create_unit(
    *,
    name: str,
    unit_type: str,
    credit_code: str,
    address: str,
    community: Area,
    contact: User | None = None,
) -> ResidentUnit:
    """Create the unit; its contact person gets the unit administrator role in the community.
    No checks, no audit: callers do both.
    """
    unit = ResidentUnit.objects.create(
        name=name,
        unit_type=unit_type,
        credit_code=credit_code,
        address=address,
        community=community,
        contact=contact,
    )
    if contact is not None:
        RoleAssignment.objects.get_or_create(user=contact, role=Role.UNIT_ADMIN, area=community)
    return unit


def register_member(
    *,
    by: User,
    real_name: str,
    phone: str,
    party_organisation: str,
    workplace: str = "",
    community: Area,
) -> PartyMember:
    """Register one party member with their home community."""
    check_roster_community(by=by, community=community)
    real_name, party_organisation = real_name.strip(), party_organisation.strip()
    if not real_name:
        raise InvalidInput(_("Enter the member's name."), field="real_name")
    if not party_organisation:
        raise InvalidInput(_("Enter the party organisation."), field="party_organisation")
    try:
        validate_mobile_phone(phone)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field="phone") from None
    with transaction.atomic():
        if phone_taken(phone):
            raise Conflict(_("This phone number is already registered."), field="phone")
        member = create_member(
            real_name=real_name,
            phone=phone,
            party_organisation=party_organisation,
            workplace=workplace.strip(),
            community=community,
        )
        audit.record(
            action="member.registered",
            actor=by,
            obj=member,
            area=community,
            data={"party_organisation": party_organisation},
        )
    return member


def register_unit(
    *,
    by: User,
    name: str,
    unit_type: str,
    credit_code: str,
    address: str,
    community: Area,
    contact: User | None = None,
) -> ResidentUnit:
    """Register one resident unit with the community it is located in."""
    check_roster_community(by=by, community=community)
    if unit_type not in ResidentUnit.UnitType.values:
        raise InvalidInput(_("Choose a unit type."), field="unit_type")
    credit_code = credit_code.strip().upper()
    try:
        validate_credit_code(credit_code)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field="credit_code") from None
    with transaction.atomic():
        if ResidentUnit.objects.filter(credit_code=credit_code).exists():
            raise Conflict(
                _("A unit with this credit code is already registered."), field="credit_code"
            )
        unit = create_unit(
            name=name.strip(),
            unit_type=unit_type,
            credit_code=credit_code,
            address=address.strip(),
            community=community,
            contact=contact,
        )
        audit.record(
            action="unit.registered",
            actor=by,
            obj=unit,
            area=community,
            data={"name": unit.name, "credit_code": credit_code},
        )
    return unit
