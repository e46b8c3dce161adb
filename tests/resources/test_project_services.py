"""The project list: drafting, the contingency rule, the state machine, tasks and closing."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from portal.errors import IllegalTransition, InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from resources.models import Project
from resources.services.projects import (
    PROJECT_TRANSITIONS,
    add_budget_line,
    add_milestone,
    add_task,
    allowed_project_actions,
    create_project,
    reach_milestone,
    record_spending,
    transition_project,
    update_project,
    update_task_progress,
)
from tests.factories import (
    BudgetLineFactory,
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    TaskFactory,
    UserFactory,
    user_with_role,
)

P = Project.Status
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
STAMPS = ("approved_at", "started_at", "completed_at", "evaluated_at")


def _fields(tree, owner, **overrides):
    fields = {
        "title": "Stair rails for Building 3",
        "area": tree["a"],
        "owner": owner,
        "planned_start": date(2025, 4, 1),
        "planned_end": date(2025, 6, 30),
        "contingency_rate": Decimal("0.12"),
    }
    fields.update(overrides)
    return fields


def project_in(status, area, owner, *, task_progress=100, **fields):
    """A project already in ``status`` with one task at ``task_progress`` (None: no task)."""
    if status == P.CANCELLED:
        fields.setdefault("cancel_reason", "Funding withdrawn")
    project = ProjectFactory(area=area, owner=owner, status=status, **fields)
    if task_progress is not None:
        TaskFactory(
            project=project,
            progress=task_progress,
            completed_at=NOW if task_progress == 100 else None,
        )
    return project


# Drafting -------------------------------------------------------------------------------------


def test_a_worker_drafts_a_project_in_their_community(tree, worker):
    project = create_project(by=worker, **_fields(tree, worker))

    assert project.status == P.DRAFT
    assert project.created_by == worker
    assert project.area == tree["a"]


def test_drafting_a_project_is_audited_with_its_needs_and_resources(tree, worker):
    need = NeedFactory(community=tree["a"])
    resource = ResourceFactory(area=tree["grid_a"])

    project = create_project(by=worker, needs=[need], resources=[resource], **_fields(tree, worker))

    event = AuditEvent.objects.get(action="project.created")
    assert event.object_id == str(project.pk)
    assert event.data["needs"] == [need.tracking_number]
    assert event.data["resources"] == [resource.pk]
    assert list(project.needs.all()) == [need]


def test_the_owner_may_hold_a_role_above_the_community(tree, worker, street_officer):
    project = create_project(by=worker, **_fields(tree, street_officer))

    assert project.owner == street_officer


def test_the_owner_must_hold_a_role_in_reach_of_the_community(tree, worker, worker_b):
    with pytest.raises(InvalidInput) as excinfo:
        create_project(by=worker, **_fields(tree, worker_b))

    assert excinfo.value.field == "owner"
    assert not Project.objects.exists()


def test_an_owner_without_any_role_is_refused(tree, worker):
    with pytest.raises(InvalidInput) as excinfo:
        create_project(by=worker, **_fields(tree, UserFactory()))

    assert excinfo.value.field == "owner"


def test_the_needs_must_come_from_the_projects_community(tree, worker):
    elsewhere = NeedFactory(community=tree["c"])

    with pytest.raises(InvalidInput) as excinfo:
        create_project(by=worker, needs=[elsewhere], **_fields(tree, worker))

    assert excinfo.value.field == "needs"
    assert not Project.objects.exists()


def test_the_resources_must_serve_the_projects_community(tree, street_officer):
    elsewhere = ResourceFactory(area=tree["c"])

    with pytest.raises(InvalidInput) as excinfo:
        create_project(by=street_officer, resources=[elsewhere], **_fields(tree, street_officer))

    assert excinfo.value.field == "resources"


def test_a_project_belongs_to_a_community(tree, street_officer):
    with pytest.raises(InvalidInput) as excinfo:
        create_project(by=street_officer, **_fields(tree, street_officer, area=tree["street1"]))

    assert excinfo.value.field == "area"


def test_the_planned_end_cannot_precede_the_start(tree, worker):
    with pytest.raises(InvalidInput) as excinfo:
        create_project(
            by=worker,
            **_fields(tree, worker, planned_start=date(2025, 5, 1), planned_end=date(2025, 4, 1)),
        )

    assert excinfo.value.field == "planned_end"


def test_a_worker_cannot_draft_a_project_for_another_community(tree, worker):
    with pytest.raises(PermissionDenied):
        create_project(by=worker, **_fields(tree, worker, area=tree["b"]))


def test_a_member_cannot_draft_projects(tree):
    member = user_with_role(Role.MEMBER, tree["a"])

    with pytest.raises(PermissionDenied):
        create_project(by=member, **_fields(tree, member))


# Contingency: 10–15 % -------------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["0.10", "0.125", "0.15"])
def test_a_contingency_between_10_and_15_percent_is_accepted(tree, worker, rate):
    project = create_project(by=worker, **_fields(tree, worker, contingency_rate=Decimal(rate)))

    project.refresh_from_db()
    assert project.contingency_rate == Decimal(rate)


@pytest.mark.parametrize("rate", ["0", "0.09", "0.151", "0.20"])
def test_a_contingency_outside_10_to_15_percent_is_refused(tree, worker, rate):
    with pytest.raises(InvalidInput) as excinfo:
        create_project(by=worker, **_fields(tree, worker, contingency_rate=Decimal(rate)))

    assert excinfo.value.field == "contingency_rate"
    assert not Project.objects.exists()


def test_an_edit_cannot_push_the_contingency_out_of_range(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker)

    with pytest.raises(InvalidInput) as excinfo:
        update_project(project=project, by=worker, contingency_rate=Decimal("0.20"))

    assert excinfo.value.field == "contingency_rate"
    project.refresh_from_db()
    assert project.contingency_rate == Decimal("0.10")


@pytest.mark.parametrize("rate", ["0.09", "0.20"])
def test_the_database_refuses_a_contingency_outside_10_to_15_percent(tree, worker, rate):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectFactory(area=tree["a"], owner=worker, contingency_rate=Decimal(rate))


# The state machine ----------------------------------------------------------------------------

ALL_MOVES = [(action, status) for action in PROJECT_TRANSITIONS for status in P.values]
LEGAL = [(a, s) for a, s in ALL_MOVES if s in PROJECT_TRANSITIONS[a].sources]
ILLEGAL = [(a, s) for a, s in ALL_MOVES if s not in PROJECT_TRANSITIONS[a].sources]


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_project_move_changes_the_status_and_stamps_the_time(
    tree, secretary, action, status
):
    project = project_in(status, tree["a"], secretary)
    move = PROJECT_TRANSITIONS[action]

    transition_project(project=project, action=action, by=secretary, reason="A note", now=NOW)

    project.refresh_from_db()
    assert project.status == move.target
    if move.stamp:
        assert getattr(project, move.stamp) == NOW
    else:
        assert project.cancel_reason == "A note"


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_project_move_writes_an_audit_event(tree, secretary, action, status):
    project = project_in(status, tree["a"], secretary)

    transition_project(project=project, action=action, by=secretary, reason="A note", now=NOW)

    event = AuditEvent.objects.get(action=f"project.{action}")
    assert event.object_id == str(project.pk)
    assert event.actor == secretary
    assert (event.data["from"], event.data["to"]) == (status, PROJECT_TRANSITIONS[action].target)


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_an_illegal_project_move_is_refused_and_changes_nothing(tree, secretary, action, status):
    project = project_in(status, tree["a"], secretary)
    before = {name: getattr(project, name) for name in STAMPS}

    with pytest.raises(IllegalTransition):
        transition_project(project=project, action=action, by=secretary, reason="A note", now=NOW)

    project.refresh_from_db()
    assert project.status == status
    assert {name: getattr(project, name) for name in STAMPS} == before
    assert not AuditEvent.objects.exists()


def test_an_unknown_project_action_is_refused(tree, secretary):
    project = project_in(P.DRAFT, tree["a"], secretary)

    with pytest.raises(InvalidInput) as excinfo:
        transition_project(project=project, action="launch", by=secretary)

    assert excinfo.value.field == "action"


def test_cancelling_needs_a_reason(tree, secretary):
    project = project_in(P.DRAFT, tree["a"], secretary)

    with pytest.raises(InvalidInput) as excinfo:
        transition_project(project=project, action="cancel", by=secretary, reason="  ")

    assert excinfo.value.field == "reason"
    project.refresh_from_db()
    assert project.status == P.DRAFT


def test_a_project_without_tasks_cannot_be_approved(tree, secretary):
    project = project_in(P.DRAFT, tree["a"], secretary, task_progress=None)

    with pytest.raises(IllegalTransition):
        transition_project(project=project, action="approve", by=secretary)

    project.refresh_from_db()
    assert project.status == P.DRAFT
    assert project.approved_at is None


def test_a_project_with_an_unfinished_task_cannot_be_completed(tree, secretary):
    project = project_in(P.IN_PROGRESS, tree["a"], secretary)
    TaskFactory(project=project, progress=99)

    with pytest.raises(IllegalTransition):
        transition_project(project=project, action="complete", by=secretary)

    project.refresh_from_db()
    assert project.status == P.IN_PROGRESS
    assert project.completed_at is None


def test_a_community_worker_cannot_approve_a_project(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker)

    with pytest.raises(PermissionDenied):
        transition_project(project=project, action="approve", by=worker)

    project.refresh_from_db()
    assert project.status == P.DRAFT


def test_a_community_secretary_approves_a_project(tree, secretary):
    project = project_in(P.DRAFT, tree["a"], secretary)

    transition_project(project=project, action="approve", by=secretary, now=NOW)

    project.refresh_from_db()
    assert project.status == P.APPROVED
    assert project.approved_at == NOW


def test_a_street_officer_approves_projects_in_their_street(tree, street_officer, worker):
    project = project_in(P.DRAFT, tree["a"], worker)

    transition_project(project=project, action="approve", by=street_officer)

    project.refresh_from_db()
    assert project.status == P.APPROVED


def test_a_community_worker_may_start_an_approved_project(tree, worker):
    project = project_in(P.APPROVED, tree["a"], worker)

    transition_project(project=project, action="start", by=worker, now=NOW)

    project.refresh_from_db()
    assert project.status == P.IN_PROGRESS


def test_a_secretary_of_another_community_cannot_approve(tree, worker):
    other_secretary = user_with_role(Role.COMMUNITY_SECRETARY, tree["b"])
    project = project_in(P.DRAFT, tree["a"], worker)

    with pytest.raises(PermissionDenied):
        transition_project(project=project, action="approve", by=other_secretary)


def test_allowed_project_actions_depend_on_status_and_role(tree, worker, secretary):
    project = project_in(P.APPROVED, tree["a"], worker)

    assert [name for name, _m in allowed_project_actions(project, secretary)] == ["start", "cancel"]
    assert [name for name, _m in allowed_project_actions(project, worker)] == ["start"]


# Closed projects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [P.COMPLETED, P.EVALUATED, P.CANCELLED])
def test_a_closed_project_refuses_edits(tree, secretary, status):
    project = project_in(status, tree["a"], secretary)

    with pytest.raises(IllegalTransition):
        update_project(project=project, by=secretary, title="Renamed")

    project.refresh_from_db()
    assert project.title != "Renamed"


@pytest.mark.parametrize("status", [P.COMPLETED, P.EVALUATED, P.CANCELLED])
def test_a_closed_project_refuses_new_tasks_budget_lines_and_milestones(tree, secretary, status):
    project = project_in(status, tree["a"], secretary)

    with pytest.raises(IllegalTransition):
        add_task(
            project=project,
            by=secretary,
            title="Late task",
            start_date=date(2025, 4, 1),
            due_date=date(2025, 4, 2),
            owner_name="王主任",
        )
    with pytest.raises(IllegalTransition):
        add_budget_line(project=project, by=secretary, item="Paint", amount=Decimal("10"))
    with pytest.raises(IllegalTransition):
        add_milestone(project=project, by=secretary, title="Opening", due_date=date(2025, 4, 2))
    assert project.tasks.count() == 1


def test_a_closed_project_refuses_task_progress(tree, secretary):
    project = project_in(P.COMPLETED, tree["a"], secretary)

    with pytest.raises(IllegalTransition):
        update_task_progress(task=project.tasks.get(), by=secretary, progress=50)


# Editing --------------------------------------------------------------------------------------


def test_an_edit_records_the_changed_fields(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker, title="Old title")

    update_project(project=project, by=worker, title="New title")

    event = AuditEvent.objects.get(action="project.updated")
    assert event.data == {"title": ["Old title", "New title"]}


def test_an_edit_with_the_same_contingency_written_differently_records_nothing(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker)
    project = Project.objects.get(pk=project.pk)

    update_project(project=project, by=worker, contingency_rate=Decimal("0.1"))

    assert not AuditEvent.objects.filter(action="project.updated").exists()


def test_an_edit_records_the_needs_added(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker)
    need = NeedFactory(community=tree["a"])

    update_project(project=project, by=worker, needs=[need])

    assert AuditEvent.objects.get(action="project.updated").data == {"needs": [[], [need.pk]]}


def test_an_edit_cannot_move_a_project_out_of_the_editors_reach(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker)

    with pytest.raises(PermissionDenied):
        update_project(project=project, by=worker, area=tree["b"])

    project.refresh_from_db()
    assert project.area == tree["a"]


def test_a_worker_of_b_cannot_edit_a_project_of_a(tree, worker, worker_b):
    project = project_in(P.DRAFT, tree["a"], worker)

    with pytest.raises(PermissionDenied):
        update_project(project=project, by=worker_b, title="Mine now")


# Tasks, milestones and budget -----------------------------------------------------------------


def test_adding_a_task_is_audited(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker, task_progress=None)

    task = add_task(
        project=project,
        by=worker,
        title="Buy rails",
        start_date=date(2025, 4, 1),
        due_date=date(2025, 4, 10),
        owner=worker,
    )

    assert task.owner_label == str(worker)
    assert AuditEvent.objects.get(action="project.task_added").data["task"] == "Buy rails"


def test_a_task_cannot_be_due_before_it_starts(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker, task_progress=None)

    with pytest.raises(InvalidInput) as excinfo:
        add_task(
            project=project,
            by=worker,
            title="Buy rails",
            start_date=date(2025, 4, 10),
            due_date=date(2025, 4, 1),
            owner_name="王主任",
        )

    assert excinfo.value.field == "due_date"


def test_a_task_needs_an_owner(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker, task_progress=None)

    with pytest.raises(InvalidInput) as excinfo:
        add_task(
            project=project,
            by=worker,
            title="Buy rails",
            start_date=date(2025, 4, 1),
            due_date=date(2025, 4, 10),
            owner_name="  ",
        )

    assert excinfo.value.field == "owner_name"


def test_reaching_100_percent_completes_a_task(tree, worker):
    project = project_in(P.IN_PROGRESS, tree["a"], worker, task_progress=40)
    task = project.tasks.get()

    task = update_task_progress(task=task, by=worker, progress=100, now=NOW)

    task.refresh_from_db()
    assert task.progress == 100
    assert task.completed_at == NOW


def test_dropping_below_100_percent_reopens_a_task(tree, worker):
    project = project_in(P.IN_PROGRESS, tree["a"], worker, task_progress=100)
    task = project.tasks.get()

    update_task_progress(task=task, by=worker, progress=80)

    task.refresh_from_db()
    assert task.progress == 80
    assert task.completed_at is None


def test_reporting_100_percent_again_keeps_the_first_completion_time(tree, worker):
    project = project_in(P.IN_PROGRESS, tree["a"], worker, task_progress=100)
    task = project.tasks.get()

    update_task_progress(task=task, by=worker, progress=100, now=NOW + timedelta(days=3))

    task.refresh_from_db()
    assert task.completed_at == NOW


def test_task_progress_is_audited_with_before_and_after(tree, worker):
    project = project_in(P.IN_PROGRESS, tree["a"], worker, task_progress=40)

    update_task_progress(task=project.tasks.get(), by=worker, progress=60)

    assert AuditEvent.objects.get(action="project.task_progress").data["progress"] == [40, 60]


@pytest.mark.parametrize("progress", [-1, 101])
def test_task_progress_is_a_percentage(tree, worker, progress):
    project = project_in(P.IN_PROGRESS, tree["a"], worker, task_progress=40)

    with pytest.raises(InvalidInput) as excinfo:
        update_task_progress(task=project.tasks.get(), by=worker, progress=progress)

    assert excinfo.value.field == "progress"


def test_completing_the_last_task_lets_the_project_complete(tree, secretary):
    project = project_in(P.IN_PROGRESS, tree["a"], secretary, task_progress=90)

    update_task_progress(task=project.tasks.get(), by=secretary, progress=100)
    transition_project(project=project, action="complete", by=secretary, now=NOW)

    project.refresh_from_db()
    assert project.status == P.COMPLETED


def test_a_budget_line_cannot_be_negative(tree, worker):
    project = project_in(P.DRAFT, tree["a"], worker)

    with pytest.raises(InvalidInput) as excinfo:
        add_budget_line(project=project, by=worker, item="Paint", amount=Decimal("-1"))

    assert excinfo.value.field == "amount"


def test_spending_is_recorded_and_audited(tree, worker):
    project = project_in(P.IN_PROGRESS, tree["a"], worker)
    line = BudgetLineFactory(project=project, amount=Decimal("1000.00"))

    record_spending(line=line, by=worker, spent=Decimal("250.50"))

    line.refresh_from_db()
    assert line.spent == Decimal("250.50")
    event = AuditEvent.objects.get(action="project.spending_recorded")
    assert event.data["spent"] == ["0.00", "250.50"]


def test_a_milestone_is_reached_once(tree, worker):
    project = project_in(P.IN_PROGRESS, tree["a"], worker)
    milestone = add_milestone(
        project=project, by=worker, title="Rails fitted", due_date=date(2025, 5, 1)
    )

    reach_milestone(milestone=milestone, by=worker, now=NOW)

    with pytest.raises(IllegalTransition):
        reach_milestone(milestone=milestone, by=worker)
    milestone.refresh_from_db()
    assert milestone.reached_at == NOW
