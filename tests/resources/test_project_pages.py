"""The project list pages: list, detail, create and edit, and the detail page's actions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from portal.models import AuditEvent, Role
from resources.models import BudgetLine, Milestone, Need, Project, ProjectTask
from tests.factories import (
    BudgetLineFactory,
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    TaskFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

LIST = reverse("resources:project_list")
CREATE = reverse("resources:project_create")
TODAY = date.today()


@pytest.fixture(autouse=True)
def english(client):
    # Assertions read the English msgids, whatever the default language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def member(tree):
    return user_with_role(Role.MEMBER, tree["a"], username="member_a")


@pytest.fixture
def project(tree, worker):
    return ProjectFactory(area=tree["a"], owner=worker, title="Stair rails")


def url(name, project, *more):
    return reverse(f"resources:{name}", args=[project.pk, *more])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def project_data(tree, owner, **overrides):
    data = {
        "title": "Lunch for the elderly",
        "description": "Weekday lunches in the community canteen.",
        "area": tree["a"].pk,
        "owner": owner.pk,
        "maintenance_owner": "Canteen committee",
        "planned_start": TODAY.isoformat(),
        "planned_end": (TODAY + timedelta(days=60)).isoformat(),
        "contingency_percent": "12.5",
        "needs": [],
        "resources": [],
    }
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------------


def test_list_shows_only_projects_in_reach(client, tree, worker, worker_b):
    ProjectFactory(area=tree["a"], owner=worker, title="In A")
    ProjectFactory(area=tree["b"], owner=worker_b, title="In B")
    client.force_login(worker)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [row.project.title for row in response.context["rows"]] == ["In A"]


def test_list_row_shows_signal_tasks_done_and_budget_total(client, tree, worker):
    project = ProjectFactory(area=tree["a"], owner=worker, status=Project.Status.IN_PROGRESS)
    TaskFactory(project=project, progress=100, completed_at="2026-01-01T00:00:00Z")
    # Overdue and unfinished: red.
    TaskFactory(
        project=project, start_date=TODAY - timedelta(days=20), due_date=TODAY - timedelta(days=1)
    )
    BudgetLineFactory(project=project, amount=Decimal("1000"))
    BudgetLineFactory(project=project, amount=Decimal("500"))
    client.force_login(worker)
    response = client.get(LIST)
    (row,) = response.context["rows"]
    assert (row.tasks_done, row.tasks_total) == (1, 2)
    assert row.signal.css == "red"
    assert row.budget.total == Decimal("1650.00")
    content = response.content.decode()
    assert 'class="rag red"' in content and "Overdue" in content
    assert "1650.00" in content


def test_list_uses_the_area_amber_lag_setting(client, tree, worker):
    from portal.models import Setting

    project = ProjectFactory(area=tree["a"], owner=worker, status=Project.Status.IN_PROGRESS)
    # Half-way through the plan with no progress: amber at the default 10%, green at 60%.
    TaskFactory(
        project=project, start_date=TODAY - timedelta(days=4), due_date=TODAY + timedelta(days=5)
    )
    client.force_login(worker)
    assert client.get(LIST).context["rows"][0].signal.css == "amber"
    Setting.objects.create(key="project.amber_lag", area=tree["a"], value="0.60")
    assert client.get(LIST).context["rows"][0].signal.css == "green"


def test_list_filters_by_status_and_community_and_searches_titles(client, tree, street_officer):
    owner_c = user_with_role(Role.COMMUNITY_WORKER, tree["c"])
    ProjectFactory(area=tree["a"], owner=street_officer, title="Garden A")
    ProjectFactory(
        area=tree["a"], owner=street_officer, title="Library A", status=Project.Status.APPROVED
    )
    ProjectFactory(area=tree["c"], owner=owner_c, title="Garden C")
    client.force_login(street_officer)

    def titles(**params):
        response = client.get(LIST, {"sort": "title", **params})
        return [row.project.title for row in response.context["rows"]]

    assert titles(status=Project.Status.APPROVED) == ["Library A"]
    assert titles(community=tree["c"].pk) == ["Garden C"]
    assert titles(q="garden") == ["Garden A", "Garden C"]
    assert titles(owner=owner_c.pk) == ["Garden C"]


def test_list_sorts_by_planned_end_and_title(client, tree, worker):
    ProjectFactory(area=tree["a"], owner=worker, title="B", planned_end=TODAY + timedelta(days=9))
    ProjectFactory(area=tree["a"], owner=worker, title="A", planned_end=TODAY + timedelta(days=90))
    ProjectFactory(area=tree["a"], owner=worker, title="C", planned_end=TODAY + timedelta(days=30))
    client.force_login(worker)

    def titles(sort):
        return [row.project.title for row in client.get(LIST, {"sort": sort}).context["rows"]]

    assert titles("planned_end") == ["B", "C", "A"]
    assert titles("-title") == ["C", "B", "A"]


def test_list_offers_no_rag_filter(client, worker):
    client.force_login(worker)
    assert "rag" not in client.get(LIST).context["filter"].form.fields


def test_list_shows_an_empty_state(client, worker):
    client.force_login(worker)
    assert "No projects yet." in client.get(LIST).content.decode()


def test_list_runs_a_bounded_number_of_queries(client, tree, worker, django_assert_max_num_queries):
    for i in range(30):
        project = ProjectFactory(
            area=tree["a"],
            owner=worker,
            title=f"Project {i:02d}",
            status=Project.Status.IN_PROGRESS,
        )
        TaskFactory.create_batch(3, project=project)
        BudgetLineFactory.create_batch(2, project=project)
    client.force_login(worker)
    with django_assert_max_num_queries(14):
        response = client.get(LIST, {"sort": "title", "status": Project.Status.IN_PROGRESS})
    assert len(response.context["rows"]) == 25
    assert response.context["rows"][0].budget.total == Decimal("2200.00")


def test_list_is_forbidden_without_reach(client, tree):
    client.force_login(user_with_role(Role.AUDITOR, tree["city"]))
    assert client.get(LIST).status_code == 403


def test_list_needs_sign_in(client):
    assert client.get(LIST).status_code == 302


def test_member_sees_list_without_new_button(client, project, member):
    client.force_login(member)
    response = client.get(LIST)
    assert response.status_code == 200
    assert CREATE not in response.content.decode()


# --- detail -------------------------------------------------------------------------------


def test_detail_shows_budget_lines_subtotal_contingency_and_total(client, project, worker):
    BudgetLineFactory(project=project, item="Rails", amount=Decimal("1000"), spent=Decimal("200"))
    BudgetLineFactory(project=project, item="Labour", amount=Decimal("500"))
    client.force_login(worker)
    response = client.get(url("project_detail", project))
    assert response.status_code == 200
    budget = response.context["budget"]
    assert budget.subtotal == Decimal("1500.00")
    assert budget.contingency == Decimal("150.00")
    assert budget.total == Decimal("1650.00")
    content = response.content.decode()
    assert "Contingency (10%)" in content
    assert "150.00" in content and "1650.00" in content


def test_detail_shows_needs_resources_tasks_and_history(client, tree, worker):
    need = NeedFactory(community=tree["a"], title="Rails on stairs")
    resource = ResourceFactory(area=tree["a"], name="Handyman team")
    project = ProjectFactory(area=tree["a"], owner=worker, maintenance_owner="Building 3 committee")
    project.needs.add(need)
    project.resources.add(resource)
    TaskFactory(project=project, title="Buy rails", progress=40)
    client.force_login(worker)
    response = client.post(url("milestone_add", project), {"title": "Rails up", "due_date": TODAY})
    content = client.get(url("project_detail", project)).content.decode()
    assert reverse("resources:need_detail", args=[need.pk]) in content
    assert reverse("resources:resource_detail", args=[resource.pk]) in content
    assert "Building 3 committee" in content
    assert "Buy rails" in content and 'value="40"' in content
    assert "Milestone added" in content  # the history timeline
    assert response.status_code == 302


def test_detail_of_another_community_is_404(client, tree, worker_b, project):
    client.force_login(worker_b)
    assert client.get(url("project_detail", project)).status_code == 404


def test_detail_for_a_member_has_no_forms(client, project, member):
    TaskFactory(project=project)
    client.force_login(member)
    response = client.get(url("project_detail", project))
    assert response.status_code == 200
    assert response.context["task_form"] is None
    assert response.context["actions"] == []
    assert url("task_add", project) not in response.content.decode()


# --- create and edit ----------------------------------------------------------------------


def test_create_project_through_the_page(client, tree, worker):
    need = NeedFactory(community=tree["a"])
    resource = ResourceFactory(area=tree["a"])
    client.force_login(worker)
    response = client.post(
        CREATE, project_data(tree, worker, needs=[need.pk], resources=[resource.pk])
    )
    project = Project.objects.get(title="Lunch for the elderly")
    assert response.status_code == 302
    assert response["Location"] == url("project_detail", project)
    assert project.contingency_rate == Decimal("0.125")
    assert project.status == Project.Status.DRAFT
    assert list(project.needs.all()) == [need]
    assert list(project.resources.all()) == [resource]
    assert AuditEvent.objects.filter(action="project.created", object_id=str(project.pk)).exists()


def test_create_form_offers_communities_owners_and_open_needs_in_reach(client, tree, worker):
    colleague = user_with_role(Role.GRID_WORKER, tree["grid_a"])
    user_with_role(Role.COMMUNITY_WORKER, tree["b"])
    open_need = NeedFactory(community=tree["a"])
    NeedFactory(
        community=tree["a"], status=Need.Status.RESOLVED, accepted_at="2026-01-01T00:00:00Z"
    )
    NeedFactory(community=tree["b"])
    client.force_login(worker)
    form = client.get(CREATE).context["form"]
    assert list(form.fields["area"].queryset) == [tree["a"]]
    assert set(form.fields["owner"].queryset) == {worker, colleague}
    assert list(form.fields["needs"].queryset) == [open_need]


def test_create_with_contingency_outside_10_to_15_is_400(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, project_data(tree, worker, contingency_percent="20"))
    assert response.status_code == 400
    assert "contingency_percent" in response.context["form"].errors
    assert not Project.objects.exists()


def test_create_with_end_before_start_is_400(client, tree, worker):
    client.force_login(worker)
    response = client.post(
        CREATE, project_data(tree, worker, planned_end=(TODAY - timedelta(days=1)).isoformat())
    )
    assert response.status_code == 400
    assert "The planned end cannot be before the planned start." in response.content.decode()


def test_create_with_an_owner_from_another_community_is_400(client, tree, street_officer):
    owner_c = user_with_role(Role.COMMUNITY_WORKER, tree["c"])
    client.force_login(street_officer)
    response = client.post(CREATE, project_data(tree, owner_c))
    assert response.status_code == 400
    assert "The owner must hold a role in this community or above it." in response.content.decode()
    assert not Project.objects.exists()


def test_member_cannot_create_projects(client, tree, member):
    client.force_login(member)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, project_data(tree, member)).status_code == 403


def test_edit_saves_changes(client, tree, worker, project):
    client.force_login(worker)
    page = client.get(url("project_edit", project))
    assert page.context["form"].initial["contingency_percent"] == Decimal("10")
    assert 'name="contingency_percent" value="10"' in page.content.decode()
    response = client.post(
        url("project_edit", project), project_data(tree, worker, title="Stair rails, phase 2")
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Stair rails, phase 2"
    assert AuditEvent.objects.filter(action="project.updated").exists()


def test_edit_of_another_community_is_404(client, tree, worker_b, project):
    client.force_login(worker_b)
    assert client.get(url("project_edit", project)).status_code == 404
    assert (
        client.post(url("project_edit", project), project_data(tree, worker_b)).status_code == 404
    )


def test_edit_by_a_member_is_403(client, tree, member, project):
    client.force_login(member)
    assert client.get(url("project_edit", project)).status_code == 403


# --- the whole flow through the pages -----------------------------------------------------


def test_project_flow_create_task_approve_start_progress_complete(client, tree, worker, secretary):
    client.force_login(worker)
    client.post(CREATE, project_data(tree, worker), follow=True)
    project = Project.objects.get()

    response = client.post(
        url("task_add", project),
        {
            "title": "Hire the cook",
            "owner": worker.pk,
            "start_date": TODAY.isoformat(),
            "due_date": (TODAY + timedelta(days=10)).isoformat(),
        },
        follow=True,
    )
    assert messages_of(response) == ["Task added."]
    task = ProjectTask.objects.get(project=project)

    # A community worker may not approve: no button, and a forged POST is refused.
    detail = client.get(url("project_detail", project))
    assert "approve" not in [name for name, _move in detail.context["actions"]]
    assert url("project_transition", project, "approve") not in detail.content.decode()
    assert client.post(url("project_transition", project, "approve")).status_code == 403
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT

    client.force_login(secretary)
    assert (
        url("project_transition", project, "approve")
        in client.get(url("project_detail", project)).content.decode()
    )
    response = client.post(url("project_transition", project, "approve"), follow=True)
    assert messages_of(response) == ["The project is now “Approved”."]

    client.force_login(worker)
    client.post(url("project_transition", project, "start"), follow=True)
    response = client.post(url("task_progress", project, task.pk), {"progress": "100"}, follow=True)
    assert messages_of(response) == ["Progress saved."]
    task.refresh_from_db()
    assert task.progress == 100 and task.completed_at is not None

    client.force_login(secretary)
    client.post(url("project_transition", project, "complete"))
    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED
    assert project.approved_at and project.started_at and project.completed_at
    actions = list(
        AuditEvent.objects.filter(object_id=str(project.pk), object_type="resources.project")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "project.created",
        "project.task_added",
        "project.approve",
        "project.start",
        "project.task_progress",
        "project.complete",
    ]


def test_an_illegal_transition_shows_an_error_and_changes_nothing(client, project, secretary):
    TaskFactory(project=project, progress=100, completed_at="2026-01-01T00:00:00Z")
    client.force_login(secretary)
    events = AuditEvent.objects.count()
    response = client.post(url("project_transition", project, "complete"), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["A project that is “Draft” cannot be moved by “Complete”."]
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT
    assert project.completed_at is None
    assert AuditEvent.objects.count() == events


def test_approving_without_tasks_is_refused(client, project, secretary):
    client.force_login(secretary)
    response = client.post(url("project_transition", project, "approve"), follow=True)
    assert messages_of(response) == ["Add at least one task before approving the project."]
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


def test_cancel_needs_a_reason(client, project, secretary):
    client.force_login(secretary)
    response = client.post(
        url("project_transition", project, "cancel"), {"reason": ""}, follow=True
    )
    assert messages_of(response) == ["Please give a reason."]
    client.post(url("project_transition", project, "cancel"), {"reason": "Funding withdrawn"})
    project.refresh_from_db()
    assert project.status == Project.Status.CANCELLED
    assert project.cancel_reason == "Funding withdrawn"


def test_an_unknown_transition_is_an_error_message(client, project, secretary):
    client.force_login(secretary)
    response = client.post(url("project_transition", project, "explode"), follow=True)
    assert messages_of(response) == ["Unknown action."]


# --- the small actions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, extra",
    [
        ("task_add", ()),
        ("budget_line_add", ()),
        ("milestone_add", ()),
        ("project_transition", ("approve",)),
    ],
)
def test_actions_are_post_only(client, project, worker, name, extra):
    client.force_login(worker)
    assert client.get(url(name, project, *extra)).status_code == 405


@pytest.mark.parametrize(
    "name, data",
    [
        ("task_add", {"title": "T", "owner_name": "Wang", "start_date": TODAY, "due_date": TODAY}),
        ("budget_line_add", {"item": "Paint", "amount": "10"}),
        ("milestone_add", {"title": "M", "due_date": TODAY}),
        ("project_transition", None),
    ],
)
def test_actions_on_another_communitys_project_are_404(client, project, worker_b, name, data):
    client.force_login(worker_b)
    extra = ("start",) if name == "project_transition" else ()
    assert client.post(url(name, project, *extra), data or {}).status_code == 404
    assert not ProjectTask.objects.exists()
    assert not BudgetLine.objects.exists()
    assert not Milestone.objects.exists()


def test_a_member_cannot_add_tasks(client, project, member):
    client.force_login(member)
    response = client.post(
        url("task_add", project),
        {"title": "T", "owner_name": "Wang", "start_date": TODAY, "due_date": TODAY},
    )
    assert response.status_code == 403
    assert not ProjectTask.objects.exists()


def test_task_add_with_a_due_date_before_the_start_shows_the_error(client, project, worker):
    client.force_login(worker)
    response = client.post(
        url("task_add", project),
        {"title": "T", "owner_name": "Wang", "start_date": TODAY, "due_date": TODAY - timedelta(1)},
        follow=True,
    )
    assert messages_of(response) == ["The due date cannot be before the start."]
    assert not ProjectTask.objects.exists()


def test_task_add_without_an_owner_shows_the_error(client, project, worker):
    client.force_login(worker)
    response = client.post(
        url("task_add", project),
        {"title": "T", "start_date": TODAY, "due_date": TODAY},
        follow=True,
    )
    assert messages_of(response) == ["Name who owns the task."]


def test_task_progress_over_100_is_refused(client, project, worker):
    task = TaskFactory(project=project, progress=30)
    client.force_login(worker)
    response = client.post(url("task_progress", project, task.pk), {"progress": "150"}, follow=True)
    (message,) = messages_of(response)
    assert message.startswith("Progress (%):")
    task.refresh_from_db()
    assert task.progress == 30


def test_task_of_another_project_is_404(client, tree, project, worker):
    other = ProjectFactory(area=tree["a"], owner=worker)
    task = TaskFactory(project=other)
    client.force_login(worker)
    assert (
        client.post(url("task_progress", project, task.pk), {"progress": "50"}).status_code == 404
    )


def test_budget_line_and_spending_update_the_totals(client, project, worker):
    client.force_login(worker)
    response = client.post(
        url("budget_line_add", project), {"item": "Rails", "amount": "1000"}, follow=True
    )
    assert messages_of(response) == ["Budget line added."]
    client.post(url("budget_line_add", project), {"item": "Labour", "amount": "500"}, follow=True)
    line = BudgetLine.objects.get(item="Rails")
    response = client.post(url("budget_spent", project, line.pk), {"spent": "320.50"}, follow=True)
    assert messages_of(response) == ["Spending recorded."]
    line.refresh_from_db()
    assert line.spent == Decimal("320.50")
    budget = response.context["budget"]
    assert (budget.subtotal, budget.spent, budget.total) == (
        Decimal("1500.00"),
        Decimal("320.50"),
        Decimal("1650.00"),
    )
    assert AuditEvent.objects.filter(action="project.spending_recorded").exists()


def test_negative_spending_is_refused(client, project, worker):
    line = BudgetLineFactory(project=project)
    client.force_login(worker)
    response = client.post(url("budget_spent", project, line.pk), {"spent": "-5"}, follow=True)
    assert len(messages_of(response)) == 1
    line.refresh_from_db()
    assert line.spent == Decimal("0")


def test_milestone_is_added_and_reached_once(client, project, worker):
    client.force_login(worker)
    client.post(
        url("milestone_add", project), {"title": "Rails up", "due_date": TODAY}, follow=True
    )
    milestone = Milestone.objects.get()
    response = client.post(url("milestone_reached", project, milestone.pk), follow=True)
    assert messages_of(response) == ["Milestone reached."]
    milestone.refresh_from_db()
    assert milestone.reached_at is not None
    response = client.post(url("milestone_reached", project, milestone.pk), follow=True)
    assert messages_of(response) == ["This milestone has already been reached."]
