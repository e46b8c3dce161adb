"""The URL map of the attack tests: every URL pattern, walked from the URL configuration, and
for each pattern that names an object, a builder that makes that object in community A.

``patterns()`` walks ``django.urls.get_resolver()`` (pages, the DRF router under /api/v1/,
Open311, the admin site, i18n). ``REGISTRY`` maps the name of each pattern with an object
identifier to a ``Spec``: how to build the object and who legitimately owns it. ``EXEMPT``
lists the identifier patterns that are public on purpose, each with its reason. The IDOR sweep
(test_idor_sweep.py) fails when a pattern is in neither, and the CSRF sweep
(test_csrf_sweep.py) reuses the same builders to post to every state-changing page.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import Area, PartnerScope, Role, User
from tests.factories import (
    AreaFactory,
    BudgetLineFactory,
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    TaskFactory,
    make_party_member,
    make_resident_unit,
    make_service_record,
    make_tree,
    user_with_role,
)

# -- the walk ----------------------------------------------------------------------------------

# Regex groups that are not object identifiers: DRF's format suffix.
NOT_IDENTIFIERS = {"format"}


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route, its name (namespaced) and the identifiers it takes."""

    route: str
    name: str | None
    identifiers: tuple[str, ...]
    callback: Callable

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def _identifiers(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        names = tuple(converters)
    else:
        names = tuple(pattern.regex.groupindex)
    return tuple(name for name in names if name not in NOT_IDENTIFIERS)


def _walk(resolvers, prefix: str, namespace: str | None, inherited: tuple[str, ...]):
    for entry in resolvers:
        own = _identifiers(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(
                entry.url_patterns, prefix + str(entry.pattern), inner, inherited + own
            )
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(prefix + str(entry.pattern), name, inherited + own, entry.callback)


def patterns() -> list[Route]:
    """Every URL pattern of the project, in resolution order."""
    return list(_walk(get_resolver().url_patterns, "", None, ()))


def identifier_patterns() -> list[Route]:
    """The patterns that take an object identifier (one entry per name or unnamed route)."""
    seen: dict[str, Route] = {}
    for route in patterns():
        if route.identifiers and route.key not in seen:
            seen[route.key] = route
    return list(seen.values())


# -- the world ---------------------------------------------------------------------------------

_names = itertools.count(1)
ALL_SCOPES = tuple(PartnerScope.values)


class World:
    """make_tree() plus a grid in C and a second district (street 3, community D, grid D).

    Community roles sit in A; C is another community of the same street, B one of another
    street, D one of another district.
    """

    def __init__(self) -> None:
        areas = make_tree()
        areas["grid_c"] = AreaFactory(level=Area.Level.GRID, parent=areas["c"], name="Grid C1")
        areas["district2"] = AreaFactory(
            level=Area.Level.DISTRICT, parent=areas["city"], name="District 2"
        )
        areas["street3"] = AreaFactory(
            level=Area.Level.STREET, parent=areas["district2"], name="Street 3"
        )
        areas["d"] = AreaFactory(
            level=Area.Level.COMMUNITY, parent=areas["street3"], name="Community D"
        )
        areas["grid_d"] = AreaFactory(level=Area.Level.GRID, parent=areas["d"], name="Grid D1")
        self.areas = areas
        self._users: dict[tuple[str, str], User] = {}

    def __getitem__(self, key: str) -> Area:
        return self.areas[key]

    def fresh_user(self, role: str, place: str) -> User:
        """A new user with ``role`` in ``place``, with the profile the role's pages need."""
        area = self.areas[place]
        if role == Role.MEMBER:
            # Enrolled and active in their community, as members who use the pages are.
            member = make_party_member(area)
            _enrollment_for(member, status="active")
            return member.user
        user = user_with_role(role, area)
        if role == Role.UNIT_ADMIN:
            make_resident_unit(area, contact=user)
        return user

    def user(self, role: str, place: str) -> User:
        """The (one, cached) user with ``role`` in ``place``."""
        if (role, place) not in self._users:
            self._users[(role, place)] = self.fresh_user(role, place)
        return self._users[(role, place)]

    def partner(self, place: str) -> tuple[object, str]:
        """A new partner client registered for ``place`` with every scope: (client, key)."""
        from portal.api_clients import register_client

        client, issued = register_client(
            name=f"Sweep partner {next(_names)}",
            areas=[self.areas[place]],
            scopes=ALL_SCOPES,
            by=None,
        )
        return client, issued.key


def api_client(key: str | None) -> APIClient:
    api = APIClient()
    if key:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def page_client(user: User | None, **options) -> Client:
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


# -- targets and specs -------------------------------------------------------------------------


@dataclass
class Target:
    """What a builder made: the URL kwargs, the records that must not change, the owner."""

    kwargs: dict
    objects: list[models.Model]
    owner: User | None = None  # for personal records; else the spec's role in its home
    partner: tuple[object, str] | None = None  # API: the owning partner (client, key)


@dataclass(frozen=True)
class Spec:
    build: Callable[[World], Target]
    role: str = Role.COMMUNITY_WORKER  # who legitimately reaches the object
    home: str = "a"  # where that role sits
    proof: str = "get"  # the rightful user's request that must succeed
    data: dict = field(default_factory=dict)  # the rightful POST's body
    proof_ok: tuple[int, ...] = (200, 302)
    personal: bool = False  # one user's own record: a peer with the same role in A is refused
    street_wide: bool = False  # published to the whole street: C legitimately sees it
    api: bool = False


# -- builders: pages ---------------------------------------------------------------------------


def _now():
    return timezone.now()


def _need(w: World, **changes) -> Target:
    need = NeedFactory(community=w["a"], **changes)
    return Target({"pk": need.pk}, [need])


def _need_act(w: World) -> Target:
    target = _need(w)
    target.kwargs["action"] = "accept"
    return target


def _attachment(w: World) -> Target:
    from resources.models import NeedAttachment

    need = NeedFactory(community=w["a"])
    body = b"%PDF-1.4 sweep"
    attachment = NeedAttachment(
        need=need,
        display_name="receipt.pdf",
        content_type="application/pdf",
        size=len(body),
        sha256="0" * 64,
    )
    attachment.file.save("receipt.pdf", ContentFile(body), save=False)
    attachment.save()
    return Target({"pk": need.pk, "attachment_pk": attachment.pk}, [attachment, need])


def _match(w: World) -> Target:
    from resources.models import Match, Need

    match = Match.objects.create(
        need=NeedFactory(community=w["a"], status=Need.Status.ACCEPTED, accepted_at=_now()),
        resource=ResourceFactory(area=w["a"]),
        score=700,
        reasons=[["same_community", {}]],
        proposed_at=_now(),
    )
    return Target({"pk": match.pk}, [match, match.need])


def _resource(w: World) -> Target:
    resource = ResourceFactory(area=w["a"])
    return Target({"pk": resource.pk}, [resource])


def _project_obj(w: World):
    project = ProjectFactory(area=w["a"], owner=w.user(Role.COMMUNITY_WORKER, "a"))
    task = TaskFactory(project=project)
    return project, task


def _project(w: World) -> Target:
    project, task = _project_obj(w)
    return Target({"pk": project.pk}, [project, task])


def _project_approve(w: World) -> Target:
    target = _project(w)
    target.kwargs["action"] = "approve"
    return target


def _task(w: World) -> Target:
    project, task = _project_obj(w)
    return Target({"pk": project.pk, "task_pk": task.pk}, [project, task])


def _budget_line(w: World) -> Target:
    project, _task_ = _project_obj(w)
    line = BudgetLineFactory(project=project)
    return Target({"pk": project.pk, "line_pk": line.pk}, [project, line])


def _milestone(w: World) -> Target:
    from resources.models import Milestone

    project, _task_ = _project_obj(w)
    milestone = Milestone.objects.create(
        project=project, title="材料到位", due_date=project.planned_end
    )
    return Target({"pk": project.pk, "milestone_pk": milestone.pk}, [project, milestone])


def _enrollment_for(member, status: str = "pending"):
    from reporting.models import Enrollment

    now = _now()
    active = status == "active"
    return Enrollment.objects.create(
        member=member,
        community=member.home_community,
        year=timezone.localdate().year,
        status=status,
        submitted_at=now,
        confirmed_at=now if active else None,
        activated_at=now if active else None,
    )


def _enrollment(w: World) -> Target:
    enrollment = _enrollment_for(make_party_member(w["a"]))
    return Target({"pk": enrollment.pk}, [enrollment])


def _enrollment_act(w: World) -> Target:
    target = _enrollment(w)
    target.kwargs["action"] = "confirm"
    return target


def _own_enrollment(w: World) -> Target:
    member = make_party_member(w["a"])
    enrollment = _enrollment_for(member)
    return Target({"pk": enrollment.pk}, [enrollment], owner=member.user)


def _activity_obj(w: World, *, days: int = 1):
    from reporting.models import Activity

    start = _now() + timedelta(days=days)
    return Activity.objects.create(
        community=w["a"],
        title="清扫楼道",
        venue="活动室",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        organiser=w.user(Role.COMMUNITY_WORKER, "a"),
    )


def _activity(w: World) -> Target:
    activity = _activity_obj(w)
    return Target({"pk": activity.pk}, [activity])


def _signed_up_activity(w: World) -> Target:
    from reporting.models import Signup

    activity = _activity_obj(w)
    member = w.user(Role.MEMBER, "a").party_member
    signup = Signup.objects.create(activity=activity, member=member)
    return Target({"pk": activity.pk}, [activity, signup])


def _checkin(w: World) -> Target:
    from reporting.models import CheckIn

    activity = _activity_obj(w, days=0)
    checkin = CheckIn.objects.create(
        activity=activity,
        member=make_party_member(w["a"]),
        method=CheckIn.Method.QR,
        checked_in_at=_now(),
    )
    return Target({"pk": checkin.pk}, [checkin, activity])


def _member(w: World) -> Target:
    member = make_party_member(w["a"])
    return Target({"pk": member.pk}, [member, member.user])


def _certificate(w: World) -> Target:
    from reporting.services.certificates import issue_certificate

    member = make_party_member(w["a"])
    record = make_service_record(member, hours="3")
    certificate = issue_certificate(
        member=member,
        period_start=record.service_date - timedelta(days=1),
        period_end=record.service_date + timedelta(days=1),
    )
    return Target({"code": certificate.verification_code}, [certificate], owner=member.user)


def _unit(w: World) -> Target:
    owner = user_with_role(Role.UNIT_ADMIN, w["a"])
    unit = make_resident_unit(w["a"], contact=owner)
    return Target({"pk": unit.pk}, [unit], owner=owner)


def _reward_obj(w: World):
    from evaluation.models import Reward

    return Reward.objects.create(community=w["a"], name="保温杯", points_cost=10, stock=3)


def _reward(w: World) -> Target:
    reward = _reward_obj(w)
    return Target({"pk": reward.pk}, [reward])


def _redemption_obj(w: World, member):
    from evaluation.models import Redemption

    reward = _reward_obj(w)
    return Redemption.objects.create(
        reward=reward,
        member=member,
        points=Decimal("10.00"),
        requested_at=_now(),
        idempotency_key=secrets.token_hex(16),
    )


def _redemption(w: World) -> Target:
    redemption = _redemption_obj(w, make_party_member(w["a"]))
    return Target({"pk": redemption.pk}, [redemption, redemption.reward])


def _own_redemption(w: World) -> Target:
    member = make_party_member(w["a"])
    redemption = _redemption_obj(w, member)
    return Target({"pk": redemption.pk}, [redemption, redemption.reward], owner=member.user)


def _result_obj(w: World):
    from evaluation.models import EvaluationResult

    return EvaluationResult.objects.create(
        year=2026,
        member=make_party_member(w["a"]),
        community=w["a"],
        street=w["street1"],
        score_input_output=50,
        score_satisfaction=50,
        score_social_benefit=50,
        score_sustainability=50,
        computed_score=50,
        final_score=50,
        passed=False,
        community_rank=1,
        street_rank=1,
        computed_at=_now(),
    )


def _result(w: World) -> Target:
    result = _result_obj(w)
    return Target({"pk": result.pk}, [result])


def _publication(w: World) -> Target:
    from evaluation.models import EvaluationPublication

    _result_obj(w)
    publication = EvaluationPublication.objects.create(
        street=w["street1"],
        year=2026,
        published_at=_now(),
        published_by=w.user(Role.STREET_OFFICER, "street1"),
    )
    return Target({"pk": publication.pk}, [publication])


def _rateable_activity(w: World) -> Target:
    activity = _activity_obj(w, days=-1)
    member = make_party_member(w["a"])
    make_service_record(member, activity=activity, day=activity.starts_at.date())
    return Target({"pk": activity.pk}, [activity], owner=member.user)


def _export(w: World) -> Target:
    from evaluation.models import Export

    owner = user_with_role(Role.COMMUNITY_WORKER, w["a"])
    export = Export(
        kind="kpi_xlsx",
        area=w["a"],
        requested_by=owner,
        params={"period": "month", "start": "2026-03-01", "end": "2026-03-31"},
        status="done",
        progress=100,
    )
    export.file.save("sweep.xlsx", ContentFile(b"PK\x03\x04 sweep"), save=False)
    export.save()
    return Target({"pk": export.pk}, [export], owner=owner)


def _area_code(w: World) -> Target:
    return Target({"code": w["a"].code}, [w["a"]])


def _notification(w: World) -> Target:
    from portal.models import Notification

    owner = user_with_role(Role.COMMUNITY_WORKER, w["a"])
    notification = Notification.objects.create(
        recipient=owner, kind="need.due_soon", params={}, url="/staff/", dedupe_key="sweep"
    )
    return Target({"pk": notification.pk}, [notification], owner=owner)


# -- builders: API -----------------------------------------------------------------------------


def _api(make) -> Callable[[World], Target]:
    """An API builder from a tests.api.records maker: ``make(area, partner client)``."""

    def build(w: World) -> Target:
        partner = w.partner("a")
        record = make(w["a"], partner[0])
        return Target({"pk": record.pk}, [record], partner=partner)

    return build


def _api_area(w: World) -> Target:
    return Target({"pk": w["a"].pk}, [w["a"]], partner=w.partner("a"))


def _api_subscription(w: World):
    from portal.models import WebhookSubscription

    partner = w.partner("a")
    subscription = WebhookSubscription.objects.create(
        client=partner[0],
        url="https://partner.example/hook",
        events=["need.created"],
        secret=secrets.token_hex(32),
    )
    return partner, subscription


def _api_webhook(w: World) -> Target:
    partner, subscription = _api_subscription(w)
    return Target({"pk": subscription.pk}, [subscription], partner=partner)


def _api_delivery(w: World) -> Target:
    from portal.models import WebhookDelivery, WebhookEvent

    partner, subscription = _api_subscription(w)
    event = WebhookEvent.objects.create(
        event_type="need.created", area=w["a"], payload={"id": 1}, created_at=_now()
    )
    delivery = WebhookDelivery.objects.create(
        event=event,
        subscription=subscription,
        status="failed",
        attempts=8,
        last_attempt_at=_now(),
        last_error="HTTP 500",
        created_at=_now(),
    )
    return Target({"pk": delivery.pk}, [delivery, subscription], partner=partner)


def _records(name: str):
    from tests.api import records

    return _api(getattr(records, name))


# -- the registry ------------------------------------------------------------------------------

CW = Role.COMMUNITY_WORKER
POST = {"proof": "post"}

REGISTRY: dict[str, Spec] = {
    # portal
    "notification_open": Spec(_notification, personal=True, **POST),
    # resources: needs, matches, resources, projects
    "resources:need_detail": Spec(_need),
    "resources:need_transition": Spec(_need_act, **POST),
    "resources:need_reveal_phone": Spec(_need, **POST),
    "resources:need_attachment": Spec(_attachment),
    "resources:match_accept": Spec(_match, **POST),
    "resources:match_reject": Spec(_match, **POST),
    "resources:resource_detail": Spec(_resource),
    "resources:resource_edit": Spec(_resource),
    "resources:project_detail": Spec(_project),
    "resources:project_edit": Spec(_project),
    "resources:project_transition": Spec(_project_approve, role=Role.COMMUNITY_SECRETARY, **POST),
    "resources:task_add": Spec(_project, **POST),
    "resources:task_progress": Spec(_task, data={"progress": 50}, **POST),
    "resources:budget_line_add": Spec(_project, **POST),
    "resources:budget_spent": Spec(_budget_line, data={"spent": "10"}, **POST),
    "resources:milestone_add": Spec(_project, **POST),
    "resources:milestone_reached": Spec(_milestone, **POST),
    # reporting: enrollments, activities, check-ins, certificates
    "reporting:enrollment_withdraw": Spec(_own_enrollment, role=Role.MEMBER, personal=True, **POST),
    "reporting:enrollment_detail": Spec(_enrollment),
    "reporting:enrollment_act": Spec(_enrollment_act, **POST),
    "reporting:activity_detail": Spec(_activity),
    "reporting:activity_edit": Spec(_activity),
    "reporting:activity_cancel": Spec(_activity, data={"reason": "下雨"}, **POST),
    "reporting:member_activity": Spec(_activity, role=Role.MEMBER),
    "reporting:signup": Spec(_activity, role=Role.MEMBER, **POST),
    "reporting:signup_cancel": Spec(_signed_up_activity, role=Role.MEMBER, **POST),
    "reporting:activity_qr": Spec(_activity),
    "reporting:activity_qr_code": Spec(_activity),
    "reporting:activity_attendance": Spec(_activity),
    # An empty form is refused with 400 only once the activity was found.
    "reporting:activity_proxy_checkin": Spec(_activity, proof_ok=(400,), **POST),
    "reporting:checkin_confirm": Spec(_checkin, **POST),
    "reporting:checkin_correct": Spec(_checkin, **POST),
    "reporting:checkin_void": Spec(_checkin, data={"reason": "代签"}, **POST),
    "reporting:member_id_number": Spec(_member),
    "reporting:member_id_number_reveal": Spec(_member, **POST),
    "reporting:certificate_pdf": Spec(_certificate, role=Role.MEMBER, personal=True),
    # evaluation: points, rewards, annual evaluation, KPIs
    "evaluation:unit_points": Spec(_unit, role=Role.UNIT_ADMIN, personal=True),
    "evaluation:redeem": Spec(_reward, role=Role.MEMBER, **POST),
    "evaluation:cancel_own_redemption": Spec(
        _own_redemption, role=Role.MEMBER, personal=True, **POST
    ),
    "evaluation:reward_edit": Spec(_reward),
    "evaluation:redemption_confirm": Spec(_redemption, **POST),
    "evaluation:redemption_cancel": Spec(_redemption, **POST),
    "evaluation:result_detail": Spec(_result),
    "evaluation:result_adjust": Spec(
        _result, role=Role.STREET_OFFICER, home="street1", proof_ok=(200, 302, 400), **POST
    ),
    "evaluation:publication": Spec(_publication, role=Role.MEMBER, street_wide=True),
    "evaluation:rate_activity": Spec(
        _rateable_activity, role=Role.MEMBER, personal=True, data={"stars": 5}, **POST
    ),
    "evaluation:kpi_area": Spec(_area_code),
    "evaluation:kpi_export": Spec(
        _area_code,
        data={"format": "xlsx", "reason": "Monthly report for the street office"},
        **POST,
    ),
    "evaluation:kpi_export_status": Spec(_export, personal=True),
    "evaluation:kpi_export_download": Spec(_export, personal=True),
    # partner API
    "api:area-detail": Spec(_api_area, role=Role.PARTNER, api=True),
    "api:need-detail": Spec(_records("need"), role=Role.PARTNER, api=True),
    "api:need-contact": Spec(_records("need"), role=Role.PARTNER, api=True),
    "api:need-transition": Spec(
        _records("need"), role=Role.PARTNER, api=True, data={"action": "accept"}, **POST
    ),
    "api:resource-detail": Spec(_records("resource"), role=Role.PARTNER, api=True),
    "api:project-detail": Spec(_records("project"), role=Role.PARTNER, api=True),
    "api:project-tasks": Spec(_records("project"), role=Role.PARTNER, api=True),
    "api:match-detail": Spec(_records("match"), role=Role.PARTNER, api=True),
    "api:activity-detail": Spec(_records("activity"), role=Role.PARTNER, api=True),
    "api:check-in-detail": Spec(_records("checkin"), role=Role.PARTNER, api=True),
    "api:service-record-detail": Spec(_records("service_record"), role=Role.PARTNER, api=True),
    "api:enrollment-detail": Spec(_records("enrollment"), role=Role.PARTNER, api=True),
    "api:webhook-detail": Spec(_api_webhook, role=Role.PARTNER, api=True, personal=True),
    "api:webhook-delivery-detail": Spec(_api_delivery, role=Role.PARTNER, api=True, personal=True),
    "api:webhook-delivery-redeliver": Spec(
        _api_delivery, role=Role.PARTNER, api=True, personal=True, proof_ok=(202,), **POST
    ),
}

# Identifier patterns that are public on purpose (or name no record), with the reason.
EXEMPT: dict[str, str] = {
    "reporting:checkin": (
        "QR check-in link: the signed, short-lived token is the capability; a wrong token is "
        "404 (checked below) and check_in refuses members outside the activity's community"
    ),
    "reporting:certificate_verify": (
        "public certificate verification by its random code: masked name, hours and period "
        "only (checked below)"
    ),
    "evaluation:public_community": (
        "public disclosure page of a community by its statistical area code: aggregate figures "
        "only, no residents' data (checked below)"
    ),
    "open311_service": "Open311 service definition: a public need category by its code",
    "open311_request": (
        "Open311 service request by tracking number: public status only, the full record "
        "only to a partner whose area holds it (checked below)"
    ),
    "reporting:import_template": "an empty import workbook by kind (members, units): no record",
    "api:need-category-detail": "the need category catalogue is city-wide, not area-scoped",
    "admin:app_list": "the admin index of one app by its label: no record (admin-only)",
    "password_reset_confirm": (
        "password reset link: the one-time token is the capability; a forged token neither "
        "shows the account nor sets a password (checked below)"
    ),
}


def coverage(route: Route) -> str | None:
    """How a pattern is covered: 'registry', 'exempt', 'admin', or None (not covered)."""
    if route.key in REGISTRY:
        return "registry"
    if route.key in EXEMPT:
        return "exempt"
    if route.is_admin:
        # Object URLs (object_id, id, pk) and the catch-all (url): the admin sweep.
        return "admin"
    return None


def uncovered() -> list[str]:
    return sorted(route.key for route in identifier_patterns() if coverage(route) is None)


# -- the attackers -----------------------------------------------------------------------------

ANONYMOUS = None


def page_attackers(spec: Spec) -> list[tuple[str, str | None]]:
    """(role, place) of each user who must be refused; None is the anonymous visitor."""
    role, home = spec.role, spec.home
    if home == "street1":
        out = [(role, "street2"), (role, "street3"), (Role.DISTRICT_OFFICIAL, "district2")]
    elif home.startswith("grid_"):
        out = [(role, "grid_c"), (role, "grid_b"), (role, "grid_d")]
    else:
        out = [(role, "b"), (role, "d")]
        if not spec.street_wide:
            out.insert(0, (role, "c"))
    if home != "street1":
        out += [(Role.STREET_OFFICER, "street2"), (Role.DISTRICT_OFFICIAL, "district2")]
    if spec.personal:
        out.insert(0, (role, home))  # a peer: resolved to a fresh user, not the owner
    return [*out, ANONYMOUS]


API_ATTACKER_PLACES = ("c", "b", "d", "street2")


def iter_specs() -> Iterator[tuple[str, Spec]]:
    yield from sorted(REGISTRY.items())
