"""THE scoping rule. Every query that reaches a user goes through ``scope``.

A user holds roles in areas (``RoleAssignment``). A role grants a set of actions (the
``PERMISSIONS`` matrix below, rendered at /staff/access/ and tested cell by cell); an
assignment reaches its area and every area below it. A record is in reach when the area it
belongs to lies under an assignment whose role grants the action.

There is no superuser bypass: the system administrator manages accounts in the admin site and
sees business data only through roles that are assigned to them like anyone else's.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Area, Role, RoleAssignment


class Action:
    NEED_VIEW = "need.view"
    NEED_CREATE = "need.create"
    NEED_PROCESS = "need.process"
    NEED_REVEAL_CONTACT = "need.reveal_contact"
    RESOURCE_VIEW = "resource.view"
    RESOURCE_CHANGE = "resource.change"
    PROJECT_VIEW = "project.view"
    PROJECT_CHANGE = "project.change"
    PROJECT_APPROVE = "project.approve"
    DASHBOARD_VIEW = "dashboard.view"
    SETTING_CHANGE = "setting.change"
    AUDIT_VIEW = "audit.view"
    ROSTER_VIEW = "roster.view"
    ROSTER_CHANGE = "roster.change"
    ENROLLMENT_VIEW = "enrollment.view"
    ENROLLMENT_DECIDE = "enrollment.decide"
    ACTIVITY_VIEW = "activity.view"
    ACTIVITY_MANAGE = "activity.manage"
    SERVICE_VIEW = "service.view"
    MATCH_DECIDE = "match.decide"
    JOB_VIEW = "job.view"
    JOB_RUN = "job.run"
    POINTS_VIEW = "points.view"
    REWARD_MANAGE = "reward.manage"
    EVALUATION_RESULTS = "evaluation.results"
    EVALUATION_VIEW = "evaluation.view"
    EVALUATION_ADJUST = "evaluation.adjust"
    EVALUATION_PUBLISH = "evaluation.publish"


ACTION_LABELS = {
    Action.NEED_VIEW: _("View needs (contact details masked)"),
    Action.NEED_CREATE: _("Enter needs on a resident's behalf"),
    Action.NEED_PROCESS: _("Accept, reject, merge and progress needs"),
    Action.NEED_REVEAL_CONTACT: _("Reveal a requester's full phone number (logged)"),
    Action.RESOURCE_VIEW: _("View the resource list"),
    Action.RESOURCE_CHANGE: _("Create and edit resources"),
    Action.PROJECT_VIEW: _("View the project list"),
    Action.PROJECT_CHANGE: _("Create and edit projects, tasks and budgets"),
    Action.PROJECT_APPROVE: _("Approve, complete, evaluate and cancel projects"),
    Action.DASHBOARD_VIEW: _("Use the staff dashboard"),
    Action.SETTING_CHANGE: _("Change area settings such as the response clock"),
    Action.AUDIT_VIEW: _("Read the full audit log"),
    Action.ROSTER_VIEW: _("View registered party members and resident units"),
    Action.ROSTER_CHANGE: _(
        "Register and import party members and resident units; enter and reveal members' ID "
        "numbers (logged)"
    ),
    Action.ENROLLMENT_VIEW: _("View enrollments"),
    Action.ENROLLMENT_DECIDE: _("Confirm, return and activate enrollments"),
    Action.ACTIVITY_VIEW: _("View activities and sign up"),
    Action.ACTIVITY_MANAGE: _("Run activities: create, check members in, confirm hours"),
    Action.SERVICE_VIEW: _("View check-ins and service records of the area"),
    Action.MATCH_DECIDE: _("Accept or reject proposed need–resource matches"),
    Action.JOB_VIEW: _("See when background jobs ran and what they did"),
    Action.JOB_RUN: _("Run matching on demand"),
    Action.POINTS_VIEW: _("View the points ledger of members and units"),
    Action.REWARD_MANAGE: _("Manage the rewards catalogue and confirm redemptions"),
    Action.EVALUATION_RESULTS: _("See published annual evaluation results and red/black lists"),
    Action.EVALUATION_VIEW: _(
        "See annual evaluation results before publication, with breakdowns and exports"
    ),
    Action.EVALUATION_ADJUST: _("Compute annual evaluations and adjust scores with a reason"),
    Action.EVALUATION_PUBLISH: _("Publish a street's annual evaluation results"),
}

_READ_LISTS = {Action.NEED_VIEW, Action.RESOURCE_VIEW, Action.PROJECT_VIEW, Action.ACTIVITY_VIEW}
_OVERSIGHT = {
    Action.ROSTER_VIEW,
    Action.ENROLLMENT_VIEW,
    Action.SERVICE_VIEW,
    Action.POINTS_VIEW,
    Action.JOB_VIEW,
    Action.EVALUATION_VIEW,
    Action.EVALUATION_RESULTS,
}
_COMMUNITY_STAFF = (
    _READ_LISTS
    | _OVERSIGHT
    | {
        Action.ROSTER_CHANGE,
        Action.ENROLLMENT_DECIDE,
        Action.ACTIVITY_MANAGE,
        Action.NEED_CREATE,
        Action.NEED_PROCESS,
        Action.NEED_REVEAL_CONTACT,
        Action.RESOURCE_CHANGE,
        Action.PROJECT_CHANGE,
        Action.DASHBOARD_VIEW,
        Action.MATCH_DECIDE,
        Action.JOB_RUN,
        Action.REWARD_MANAGE,
    }
)

# role -> actions it grants in its area and below. The one table that decides access.
PERMISSIONS: dict[str, frozenset[str]] = {
    # Members and units see the published evaluation of the area they belong to.
    Role.MEMBER: frozenset(_READ_LISTS | {Action.EVALUATION_RESULTS}),
    Role.UNIT_ADMIN: frozenset(_READ_LISTS | {Action.EVALUATION_RESULTS}),
    Role.GRID_WORKER: frozenset(
        _READ_LISTS | {Action.NEED_CREATE, Action.DASHBOARD_VIEW, Action.EVALUATION_RESULTS}
    ),
    Role.COMMUNITY_WORKER: frozenset(_COMMUNITY_STAFF),
    Role.COMMUNITY_SECRETARY: frozenset(_COMMUNITY_STAFF | {Action.PROJECT_APPROVE}),
    # Street officers handle escalated needs and approve projects, but exact contact details
    # stay with the community's own workers.
    Role.STREET_OFFICER: frozenset(
        _READ_LISTS
        | _OVERSIGHT
        | {
            Action.NEED_CREATE,
            Action.NEED_PROCESS,
            Action.RESOURCE_CHANGE,
            Action.PROJECT_CHANGE,
            Action.PROJECT_APPROVE,
            Action.DASHBOARD_VIEW,
            Action.MATCH_DECIDE,
            Action.JOB_RUN,
            Action.EVALUATION_ADJUST,
            Action.EVALUATION_PUBLISH,
        }
    ),
    # Districts receive needs escalated past the street's clock, so they can act on them; only
    # on those (resources.services.needs checks ``can_without`` for the rest).
    Role.DISTRICT_OFFICIAL: frozenset(
        _READ_LISTS
        | _OVERSIGHT
        | {Action.DASHBOARD_VIEW, Action.SETTING_CHANGE, Action.NEED_PROCESS}
    ),
    Role.CITY_ADMIN: frozenset(
        _READ_LISTS | _OVERSIGHT | {Action.DASHBOARD_VIEW, Action.SETTING_CHANGE}
    ),
    Role.AUDITOR: frozenset({Action.AUDIT_VIEW}),
    # Partner systems reach data only through the API, and there each endpoint also demands
    # one of the client's scopes (portal.api_auth): access = these grants ∩ scopes.
    Role.PARTNER: frozenset(
        _READ_LISTS
        | {
            Action.NEED_CREATE,
            Action.NEED_PROCESS,
            # Only with the `needs:contact` scope, which the city grants a partner that must
            # call residents back (a hospital, say); each reveal is logged. Addresses never.
            Action.NEED_REVEAL_CONTACT,
            Action.RESOURCE_CHANGE,
            Action.ENROLLMENT_VIEW,
            Action.SERVICE_VIEW,
        }
    ),
}

ALL_ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)

# How each scoped model reaches its area's path. Add a model here when it gains pages.
AREA_PATH_LOOKUP: dict[str, str] = {
    "portal.area": "path",
    "portal.auditevent": "area__path",
    "portal.setting": "area__path",
    "resources.need": "area__path",
    "resources.resource": "area__path",
    "resources.project": "area__path",
    "resources.match": "need__area__path",
    "resources.needescalation": "need__area__path",
    "portal.jobrun": "area__path",
    "reporting.partymember": "home_community__path",
    "reporting.residentunit": "community__path",
    "reporting.enrollment": "community__path",
    "reporting.activity": "community__path",
    "reporting.signup": "activity__community__path",
    "reporting.checkin": "activity__community__path",
    "reporting.servicerecord": "community__path",
    "evaluation.pointentry": "community__path",
    "evaluation.pointrule": "area__path",
    "evaluation.reward": "community__path",
    "evaluation.redemption": "reward__community__path",
    "evaluation.kpidaily": "area__path",
    "evaluation.export": "area__path",
    "evaluation.evaluationscheme": "area__path",
    "evaluation.evaluationresult": "community__path",
    "evaluation.evaluationadjustment": "community__path",
    "evaluation.evaluationpublication": "street__path",
    "evaluation.rating": "community__path",
}


def role_grants(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def _assignments(user) -> list[tuple[str, str, int]]:
    """(role, area path, area level) of the user's active assignments, cached on the user."""
    cached = getattr(user, "_baodao_assignments", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user).values_list(
                "role", "area__path", "area__level"
            )
        )
        user._baodao_assignments = cached
    return cached


def has_role(user, role: str) -> bool:
    """Does ``user`` hold ``role`` anywhere? (For navigation; access itself goes by action.)"""
    if user is None or not user.is_authenticated:
        return False
    return any(assigned == role for assigned, _path, _level in _assignments(user))


def reach(user, action: str) -> list[str]:
    """Area paths under which ``user`` may do ``action``; nested paths are collapsed."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    paths = sorted({path for role, path, _level in _assignments(user) if role_grants(role, action)})
    collapsed: list[str] = []
    for path in paths:
        if not any(path.startswith(kept) for kept in collapsed):
            collapsed.append(path)
    return collapsed


def scope(queryset: models.QuerySet, user, action: str) -> models.QuerySet:
    """Narrow ``queryset`` to the records ``user`` may ``action``. Empty when none."""
    label = queryset.model._meta.label_lower
    try:
        lookup = AREA_PATH_LOOKUP[label]
    except KeyError:
        raise LookupError(f"{label} is not registered in portal.access.AREA_PATH_LOOKUP") from None
    paths = reach(user, action)
    if not paths:
        return queryset.none()
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return queryset.filter(condition)


def scope_audience(queryset: models.QuerySet, user, action: str) -> models.QuerySet:
    """Narrow ``queryset`` to records addressed to an area ``user`` belongs to.

    For what an area publishes to its people (a street's evaluation results): the records
    ``scope`` gives, plus those of the areas above the user's assignments, so that a member
    of a community sees what its street published. Empty when ``user`` lacks ``action``.
    """
    label = queryset.model._meta.label_lower
    try:
        lookup = AREA_PATH_LOOKUP[label]
    except KeyError:
        raise LookupError(f"{label} is not registered in portal.access.AREA_PATH_LOOKUP") from None
    paths = reach(user, action)
    if not paths:
        return queryset.none()
    above: set[str] = set()
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
        parts = path.rstrip("/").split("/")
        above.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    if above:
        condition |= Q(**{f"{lookup}__in": sorted(above)})
    return queryset.filter(condition)


def can(user, action: str, *, area: Area | None = None) -> bool:
    """May ``user`` do ``action`` in ``area`` (or anywhere, when no area is given)?"""
    paths = reach(user, action)
    if area is None:
        return bool(paths)
    return any(area.path.startswith(path) for path in paths)


def can_without(user, action: str, *, area: Area, roles: Iterable[str]) -> bool:
    """Like ``can``, but counting only assignments whose role is not in ``roles``.

    For grants that a role holds only in part: a district official may process needs, but only
    those escalated to the district, so the needs service asks whether the user could act on a
    need through some other role.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    excluded = set(roles)
    return any(
        role not in excluded and role_grants(role, action) and area.path.startswith(path)
        for role, path, _level in _assignments(user)
    )


def areas_for(user, action: str, *, levels: Iterable[int] | None = None) -> models.QuerySet[Area]:
    """The areas in which ``user`` may do ``action``, optionally only of some levels."""
    qs = scope(Area.objects.all(), user, action)
    if levels is not None:
        qs = qs.filter(level__in=list(levels))
    return qs


def matrix() -> list[tuple[str, str, list[bool]]]:
    """Rows of (role, role label, [grants action for each of ALL_ACTIONS])."""
    return [
        (role.value, role.label, [role_grants(role.value, action) for action in ALL_ACTIONS])
        for role in Role
    ]
