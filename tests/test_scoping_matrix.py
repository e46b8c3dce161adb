"""Walk the whole permission matrix, cell by cell, through ``scope``, ``can`` and the pages.

Every expectation is derived from ``portal.access.PERMISSIONS`` and the area tree, so a change
to the matrix changes what these tests demand rather than silently passing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import EvaluationResult, PointEntry, PointEvent, Reward
from portal import audit
from portal.access import ALL_ACTIONS, PERMISSIONS, Action, can, scope
from portal.models import Area, AuditEvent, JobRun, Role, Setting
from reporting.models import Activity, Enrollment, PartyMember, ServiceRecord
from resources.models import Match, Need, Project, Resource
from tests.factories import (
    AreaFactory,
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    TaskFactory,
    UserFactory,
    make_tree,
    user_with_role,
)

ROLES = [role.value for role in Role]

# Where each role naturally sits. Community roles sit at A (grid workers at A's grid), so that
# B (another street), C (the same street) and anything in the second district or the second
# city are siblings outside their reach; higher roles reach A and B but never the other branch.
HOME = {
    Role.MEMBER: "a",
    Role.UNIT_ADMIN: "a",
    Role.GRID_WORKER: "grid_a",
    Role.COMMUNITY_WORKER: "a",
    Role.COMMUNITY_SECRETARY: "a",
    Role.STREET_OFFICER: "street1",
    Role.DISTRICT_OFFICIAL: "district",
    Role.CITY_ADMIN: "city",
    Role.AUDITOR: "city",
    Role.PARTNER: "a",
}
# The nearest sibling outside each home area.
SIBLING = {
    "a": "b",
    "grid_a": "grid_b",
    "street1": "b",
    "district": "d",
    "city": "e",
}


def _world() -> dict[str, Area]:
    """The shared tree plus a second district (community D) and a second city (community E)."""
    areas = make_tree()
    areas["district2"] = AreaFactory(level=Area.Level.DISTRICT, parent=areas["city"])
    areas["street3"] = AreaFactory(level=Area.Level.STREET, parent=areas["district2"])
    areas["d"] = AreaFactory(level=Area.Level.COMMUNITY, parent=areas["street3"])
    areas["city2"] = AreaFactory(level=Area.Level.CITY)
    areas["district9"] = AreaFactory(level=Area.Level.DISTRICT, parent=areas["city2"])
    areas["street9"] = AreaFactory(level=Area.Level.STREET, parent=areas["district9"])
    areas["e"] = AreaFactory(level=Area.Level.COMMUNITY, parent=areas["street9"])
    return areas


COMMUNITIES = ("a", "b", "c", "d", "e")
GRIDS = {"grid_a": "a", "grid_b": "b"}


def _needs(areas):
    records = {key: NeedFactory(community=areas[key]) for key in COMMUNITIES}
    for grid, community in GRIDS.items():
        records[grid] = NeedFactory(community=areas[community], grid=areas[grid])
    return records


def _resources(areas):
    return {key: ResourceFactory(area=areas[key]) for key in (*COMMUNITIES, *GRIDS)}


def _projects(areas):
    # Projects belong to communities (resources.services.projects refuses any other level).
    owner = UserFactory()
    return {key: ProjectFactory(area=areas[key], owner=owner) for key in COMMUNITIES}


def _areas(areas):
    return dict(areas)


def _settings(areas):
    return {
        key: Setting.objects.create(key="need.response_hours", area=area, value=12)
        for key, area in areas.items()
    }


def _audit_events(areas):
    return {
        key: audit.record(action="test.event", obj=area, area=area) for key, area in areas.items()
    }


def _members(areas):
    return {key: _member(areas[key]) for key in COMMUNITIES}


def _member(community):
    return PartyMember.objects.create(
        user=UserFactory(), party_organisation="党支部", home_community=community
    )


def _enrollments(areas):
    return {
        key: Enrollment.objects.create(
            member=_member(areas[key]), community=areas[key], year=2026, submitted_at=timezone.now()
        )
        for key in COMMUNITIES
    }


def _activities(areas):
    organiser = UserFactory()
    start = timezone.now()
    return {
        key: Activity.objects.create(
            community=areas[key],
            title="清扫",
            venue="活动室",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=10,
            organiser=organiser,
        )
        for key in COMMUNITIES
    }


def _service_records(areas):
    confirmer = UserFactory()
    start = timezone.now()
    return {
        key: ServiceRecord.objects.create(
            member=_member(areas[key]),
            community=areas[key],
            organisation="社区",
            place="活动室",
            service_date=start.date(),
            started_at=start,
            ended_at=start + timedelta(hours=2),
            hours=2,
            confirmed_by=confirmer,
        )
        for key in COMMUNITIES
    }


def _matches(areas):
    return {
        key: Match.objects.create(
            need=need,
            resource=ResourceFactory(area=areas[key]),
            score=500,
            proposed_at=timezone.now(),
        )
        for key, need in _needs(areas).items()
    }


def _job_runs(areas):
    return {
        key: JobRun.objects.create(
            job="matching", area=area, run_key="2026-11-26", started_at=timezone.now()
        )
        for key, area in areas.items()
    }


def _point_entries(areas):
    return {
        key: PointEntry.objects.create(
            member=_member(areas[key]),
            community=areas[key],
            event=PointEvent.ENROLLMENT_CONFIRMED,
            points=5,
            source_key=f"test:{key}",
            occurred_on=timezone.localdate(),
        )
        for key in COMMUNITIES
    }


def _rewards(areas):
    return {
        key: Reward.objects.create(community=areas[key], name="毛巾", points_cost=10, stock=3)
        for key in COMMUNITIES
    }


def _evaluation_results(areas):
    return {
        key: EvaluationResult.objects.create(
            year=2026,
            member=_member(areas[key]),
            community=areas[key],
            street=areas[key].parent,
            score_input_output=50,
            score_satisfaction=50,
            score_social_benefit=50,
            score_sustainability=50,
            computed_score=50,
            final_score=50,
            passed=False,
            community_rank=1,
            street_rank=1,
            computed_at=timezone.now(),
        )
        for key in COMMUNITIES
    }


# Which model stands for each action, and how to populate it across the world.
MODEL_FOR_ACTION = {
    "need": (Need, _needs),
    "resource": (Resource, _resources),
    "project": (Project, _projects),
    Action.DASHBOARD_VIEW: (Area, _areas),
    Action.SETTING_CHANGE: (Setting, _settings),
    Action.AUDIT_VIEW: (AuditEvent, _audit_events),
    "roster": (PartyMember, _members),
    "enrollment": (Enrollment, _enrollments),
    "activity": (Activity, _activities),
    "service": (ServiceRecord, _service_records),
    "match": (Match, _matches),
    "job": (JobRun, _job_runs),
    "points": (PointEntry, _point_entries),
    "reward": (Reward, _rewards),
    "evaluation": (EvaluationResult, _evaluation_results),
}


def _model_for(action):
    return MODEL_FOR_ACTION.get(action) or MODEL_FOR_ACTION[action.split(".")[0]]


def _area_of(record):
    if isinstance(record, Area):
        return record
    if isinstance(record, PartyMember):
        return record.home_community
    if isinstance(record, Match):
        return record.need.area
    return getattr(record, "area", None) or record.community


def _grants(role, action) -> bool:
    return action in PERMISSIONS[role]


@dataclass
class Cell:
    role: str
    action: str
    user: object
    home: Area
    records: dict[str, object]
    scoped: set[int]

    def expected(self, key) -> bool:
        return _grants(self.role, self.action) and _area_of(self.records[key]).is_within(self.home)


@pytest.fixture
def cell(db, request):
    role, action = request.param
    areas = _world()
    model, populate = _model_for(action)
    records = populate(areas)
    user = user_with_role(role, areas[HOME[role]])
    scoped = set(scope(model.objects.all(), user, action).values_list("pk", flat=True))
    return Cell(role, action, user, areas[HOME[role]], records, scoped)


MATRIX = [(role, action) for role in ROLES for action in ALL_ACTIONS]
MATRIX_IDS = [f"{role}-{action}" for role, action in MATRIX]
cells = pytest.mark.parametrize("cell", MATRIX, ids=MATRIX_IDS, indirect=True)


@cells
def test_scope_returns_exactly_the_records_under_the_roles_area_when_it_grants_the_action(cell):
    expected = {record.pk for key, record in cell.records.items() if cell.expected(key)}

    assert cell.scoped == expected


@cells
def test_scope_returns_the_record_of_the_roles_own_area_iff_the_role_grants_the_action(cell):
    own = cell.records.get(HOME[cell.role]) or cell.records.get("a")
    if not _area_of(own).is_within(cell.home):
        pytest.skip(
            f"no {cell.action.split('.')[0]} can live in a {cell.home.get_level_display()}: "
            "records of this kind belong to communities"
        )

    assert (own.pk in cell.scoped) is _grants(cell.role, cell.action)


@cells
def test_scope_never_returns_a_record_of_a_sibling_area_outside_the_roles_reach(cell):
    sibling_key = SIBLING[HOME[cell.role]]
    sibling = cell.records.get(sibling_key) or cell.records[GRIDS.get(sibling_key, "b")]
    outside = [r for r in cell.records.values() if not _area_of(r).is_within(cell.home)]

    assert not _area_of(sibling).is_within(cell.home)
    assert sibling.pk not in cell.scoped
    assert not {r.pk for r in outside} & cell.scoped


@cells
def test_can_agrees_with_scope_for_every_record(cell):
    for record in cell.records.values():
        assert can(cell.user, cell.action, area=_area_of(record)) is (record.pk in cell.scoped)


@cells
def test_can_without_an_area_is_whether_the_role_grants_the_action(cell):
    assert can(cell.user, cell.action) is _grants(cell.role, cell.action)


def test_the_matrix_walk_covers_every_role_and_action():
    assert {role for role, _action in MATRIX} == set(PERMISSIONS)
    assert len(MATRIX) == len(Role) * len(ALL_ACTIONS)


def test_every_action_has_a_model_to_scope():
    for action in ALL_ACTIONS:
        assert _model_for(action)


def test_a_higher_role_reaches_both_a_and_b_only_because_its_area_covers_them(db):
    areas = _world()
    records = _needs(areas)
    official = user_with_role(Role.DISTRICT_OFFICIAL, areas["district"])

    seen = set(scope(Need.objects.all(), official, Action.NEED_VIEW))

    assert {records["a"], records["b"]} <= seen
    assert records["d"] not in seen and records["e"] not in seen


def test_a_grid_worker_does_not_reach_the_rest_of_the_community(db):
    areas = _world()
    records = _needs(areas)
    grid_worker = user_with_role(Role.GRID_WORKER, areas["grid_a"])

    assert set(scope(Need.objects.all(), grid_worker, Action.NEED_VIEW)) == {records["grid_a"]}


# Pages: allow / deny for the detail, edit and action URLs --------------------------------------


@dataclass(frozen=True)
class Page:
    url_name: str
    method: str
    kind: str  # need | resource | project
    view_action: str
    action: str
    kwargs: tuple = ()

    def url(self, pk):
        return reverse(self.url_name, kwargs={"pk": pk, **dict(self.kwargs)})

    def __str__(self):
        return self.url_name.split(":")[1]


PAGES = [
    Page("resources:need_detail", "get", "need", Action.NEED_VIEW, Action.NEED_VIEW),
    Page(
        "resources:need_reveal_phone", "post", "need", Action.NEED_VIEW, Action.NEED_REVEAL_CONTACT
    ),
    Page(
        "resources:need_transition",
        "post",
        "need",
        Action.NEED_VIEW,
        Action.NEED_PROCESS,
        (("action", "accept"),),
    ),
    Page(
        "resources:resource_detail", "get", "resource", Action.RESOURCE_VIEW, Action.RESOURCE_VIEW
    ),
    Page(
        "resources:resource_edit", "get", "resource", Action.RESOURCE_VIEW, Action.RESOURCE_CHANGE
    ),
    Page("resources:project_detail", "get", "project", Action.PROJECT_VIEW, Action.PROJECT_VIEW),
    Page("resources:project_edit", "get", "project", Action.PROJECT_VIEW, Action.PROJECT_CHANGE),
    Page(
        "resources:project_transition",
        "post",
        "project",
        Action.PROJECT_VIEW,
        Action.PROJECT_APPROVE,
        (("action", "approve"),),
    ),
]
PAGE_MATRIX = [(page, role) for page in PAGES for role in ROLES]
PAGE_IDS = [f"{page}-{role}" for page, role in PAGE_MATRIX]
pages = pytest.mark.parametrize(("page", "role"), PAGE_MATRIX, ids=PAGE_IDS)
ALLOWED = (200, 302)
MISSING_PK = 987654


def _object_in(kind, community, owner, role=None):
    if kind == "need":
        # District officials process needs once escalated to the district; that partial grant
        # is tested in tests/resources/test_need_services.py.
        level = 2 if role == Role.DISTRICT_OFFICIAL else 0
        return NeedFactory(community=community, escalation_level=level)
    if kind == "resource":
        return ResourceFactory(area=community)
    project = ProjectFactory(area=community, owner=owner)
    TaskFactory(project=project)  # so that approving can succeed
    return project


@pytest.fixture
def on_page(client, tree):
    """(page, role) -> (the signed-in client, A's object, B's object).

    Every role sits at community A here, so that B is always outside its reach.
    """

    def setup(page, role):
        user = user_with_role(role, tree["a"])
        owner = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
        mine = _object_in(page.kind, tree["a"], owner, role)
        theirs = _object_in(page.kind, tree["b"], owner, role)
        client.force_login(user)
        return client, mine, theirs

    return setup


def _request(client, page, pk):
    return getattr(client, page.method)(page.url(pk))


def _expected_for_own(page, role):
    if not _grants(role, page.view_action):
        return None  # cannot see the list at all: 403 or 404, checked separately
    return ALLOWED if _grants(role, page.action) else (403,)


@pages
def test_a_page_on_the_roles_own_community_object_allows_or_forbids_by_the_matrix(
    on_page, page, role
):
    client, mine, _theirs = on_page(page, role)

    response = _request(client, page, mine.pk)

    expected = _expected_for_own(page, role)
    if expected is None:
        assert response.status_code in (403, 404)
    else:
        assert response.status_code in expected, (
            f"{role} on {page}: expected {expected}, got {response.status_code}"
        )


@pages
def test_a_page_on_another_communitys_object_is_not_found(on_page, page, role):
    client, _mine, theirs = on_page(page, role)

    response = _request(client, page, theirs.pk)

    if _grants(role, page.view_action):
        assert response.status_code == 404
    else:
        # A role with no reach at all may be told so (403) or not (404), but B's record must
        # answer exactly like a record that does not exist.
        assert response.status_code == _request(client, page, MISSING_PK).status_code
        assert response.status_code in (403, 404)


def _may(role, page) -> bool:
    return _grants(role, page.view_action) and _grants(role, page.action)


POSTS = [(page, role) for page, role in PAGE_MATRIX if page.method == "post"]
DENIED_POSTS = [(page, role) for page, role in POSTS if not _may(role, page)]
ALLOWED_POSTS = [(page, role) for page, role in POSTS if _may(role, page)]


@pytest.mark.parametrize(
    ("page", "role"), DENIED_POSTS, ids=[f"{page}-{role}" for page, role in DENIED_POSTS]
)
def test_a_denied_action_changes_nothing(on_page, page, role):
    client, mine, _theirs = on_page(page, role)
    status_before = mine.status
    events_before = AuditEvent.objects.count()

    response = _request(client, page, mine.pk)

    assert response.status_code in (403, 404)
    mine.refresh_from_db()
    assert mine.status == status_before
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", [page for page in PAGES if page.method == "post"], ids=str)
def test_no_action_reaches_another_communitys_object(on_page, page, role):
    client, _mine, theirs = on_page(page, role)
    status_before = theirs.status
    events_before = AuditEvent.objects.count()

    _request(client, page, theirs.pk)

    theirs.refresh_from_db()
    assert theirs.status == status_before
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("page", "role"), ALLOWED_POSTS, ids=[f"{page}-{role}" for page, role in ALLOWED_POSTS]
)
def test_an_allowed_action_does_the_thing(on_page, page, role):
    client, mine, _theirs = on_page(page, role)

    response = _request(client, page, mine.pk)

    assert response.status_code in ALLOWED
    mine.refresh_from_db()
    if page.url_name == "resources:need_reveal_phone":
        assert mine.requester_phone in response.content.decode()
        assert AuditEvent.objects.filter(
            action="need.contact_revealed", object_id=str(mine.pk)
        ).exists()
    elif page.kind == "need":
        assert mine.status == Need.Status.ACCEPTED
    else:
        assert mine.status == Project.Status.APPROVED


def test_pages_need_sign_in(client, tree):
    need = NeedFactory(community=tree["a"])

    response = client.get(reverse("resources:need_detail", kwargs={"pk": need.pk}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
