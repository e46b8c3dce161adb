"""Who must do what to keep an account safe: pure decisions over a user's roles and flags."""

from __future__ import annotations

from django.conf import settings

from portal.access import has_role
from portal.models import Role

# Roles whose holders see across districts or the whole audit chain: a stolen password alone
# must not be enough (graded protection level 2, ASVS 2.7 for administrative functions).
TWO_FACTOR_ROLES = frozenset({Role.DISTRICT_OFFICIAL, Role.CITY_ADMIN, Role.AUDITOR})
# Roles held by residents and partner systems: their sessions keep the default lifetime.
NON_STAFF_ROLES = frozenset({Role.MEMBER, Role.UNIT_ADMIN, Role.PARTNER})


def requires_two_factor(user) -> bool:
    """Must ``user`` sign in with a second factor (operators of the admin site, superusers and
    the roles above)? Admin operators can reset officials' passwords and authenticators, so a
    stolen operator password alone must not be enough either."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(has_role(user, role) for role in TWO_FACTOR_ROLES)


def is_staff_account(user) -> bool:
    """Is ``user`` staff for session purposes: any business role beyond member, unit
    administrator and partner, or an operator of the admin site?"""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(has_role(user, role) for role in Role if role not in NON_STAFF_ROLES)


def staff_idle_seconds() -> int:
    """How long a staff session may stay idle before it ends."""
    return int(getattr(settings, "BAODAO_STAFF_SESSION_IDLE_SECONDS", 1800))
