"""The Django admin for operators: every changelist renders, lifecycles stay read-only, edits are
audited and personal data stays masked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from portal.models import AuditEvent, AuditHead, Role, RoleAssignment, Setting
from resources import services
from resources.models import Channel, Milestone, Need
from tests.factories import (
    BudgetLineFactory,
    ProjectFactory,
    ResourceFactory,
    TaskFactory,
    UserFactory,
    category,
    user_with_role,
)

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
PHONE = "13612345678"


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Factories set a password on every user; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def need(tree, worker):
    return services.submit_need(
        community=tree["a"], grid=tree["grid_a"], category=category("health"),
        title="上门测量血压", description="老人行动不便。", requester_name="张阿姨",
        requester_phone=PHONE, channel=Channel.PROXY, by=worker,
    )  # fmt: skip


@pytest.fixture
def rows(tree, worker, need, operator):
    """One row of each model, so that changelists render real rows."""
    resource = ResourceFactory(area=tree["a"], contact_phone="13700001234")
    project = ProjectFactory(area=tree["a"], owner=worker)
    project.needs.add(need)
    project.resources.add(resource)
    TaskFactory(project=project)
    Milestone.objects.create(project=project, title="开工", due_date=project.planned_end)
    BudgetLineFactory(project=project)
    Setting.objects.create(key="need.response_hours", area=tree["city"], value=12)
    worker.id_number = "330102199001011234"
    worker.save()
    return {"resource": resource, "project": project, "need": need}


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_renders_for_a_superuser(staff_client, rows, model):
    response = staff_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


def test_change_pages_render(staff_client, rows, tree, worker):
    project = rows["project"]
    for model, obj in [
        (Need, rows["need"]),
        (type(project), project),
        (type(rows["resource"]), rows["resource"]),
        (type(tree["a"]), tree["a"]),
        (type(worker), worker),
    ]:
        response = staff_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model


def test_project_change_page_has_tasks_milestones_and_budget_inline(staff_client, rows):
    response = staff_client.get(admin_url(type(rows["project"]), "change", rows["project"].pk))
    content = response.content.decode()
    for prefix in ("tasks-TOTAL_FORMS", "milestones-TOTAL_FORMS", "budget_lines-TOTAL_FORMS"):
        assert prefix in content


def test_the_audit_chain_is_not_in_the_admin_at_all(staff_client, need):
    # Nobody adds, changes or deletes audit events; auditors read them at /staff/audit/.
    assert AuditEvent not in admin.site._registry
    assert AuditHead not in admin.site._registry
    event = AuditEvent.objects.get(action="need.submitted")
    for url in (
        f"/admin/portal/auditevent/{event.pk}/change/",
        f"/admin/portal/auditevent/{event.pk}/delete/",
        "/admin/portal/auditevent/add/",
        "/admin/portal/audithead/1/change/",
    ):
        assert staff_client.get(url).status_code in (302, 404)
    assert staff_client.post(f"/admin/portal/auditevent/{event.pk}/change/", {"action": "x"})
    event.refresh_from_db()
    assert event.action == "need.submitted"


def test_settings_are_read_only_in_the_admin(staff_client, rows):
    assert staff_client.get(admin_url(Setting, "add")).status_code == 403


def test_need_changelist_shows_the_masked_phone_only(staff_client, need):
    content = staff_client.get(admin_url(Need, "changelist")).content.decode()
    assert "136****5678" in content
    assert PHONE not in content


def test_need_change_page_does_not_reveal_the_phone(staff_client, need):
    content = staff_client.get(admin_url(Need, "change", need.pk)).content.decode()
    assert "136****5678" in content
    assert PHONE not in content


def test_needs_cannot_be_added_or_deleted_in_the_admin(staff_client, need):
    assert staff_client.get(admin_url(Need, "add")).status_code == 403
    assert staff_client.get(admin_url(Need, "delete", need.pk)).status_code == 403


def test_need_status_stays_read_only_while_the_title_can_be_corrected(staff_client, need, operator):
    response = staff_client.post(
        admin_url(Need, "change", need.pk),
        {
            "title": "上门测量血压血糖",
            "description": need.description,
            "category": need.category_id,
            "target_group": need.target_group,
            "urgency": need.urgency,
            "requester_name": need.requester_name,
            "status": Need.Status.RESOLVED,
            "resolved_at": "2020-01-01 00:00:00",
        },
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "上门测量血压血糖"
    assert need.status == Need.Status.SUBMITTED
    assert need.resolved_at is None


def test_admin_edits_are_written_to_the_audit_chain(staff_client, need, operator):
    staff_client.post(
        admin_url(Need, "change", need.pk),
        {
            "title": "新标题",
            "description": need.description,
            "category": need.category_id,
            "target_group": need.target_group,
            "urgency": need.urgency,
            "requester_name": need.requester_name,
        },
    )
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "admin.changed"
    assert event.actor == operator
    assert event.object_id == str(need.pk)
    assert event.data == {"fields": ["title"]}
    assert event.area == need.area


def test_admin_deletes_are_written_to_the_audit_chain(staff_client, tree, operator):
    member = user_with_role(Role.MEMBER, tree["a"])
    assignment = member.role_assignments.get()
    response = staff_client.post(
        admin_url(RoleAssignment, "delete", assignment.pk), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    event = AuditEvent.objects.get(action="admin.deleted")
    assert event.object_id == str(assignment.pk)
    assert event.area == tree["a"]


def test_project_task_progress_is_read_only_inline(staff_client, rows):
    response = staff_client.get(admin_url(type(rows["project"]), "change", rows["project"].pk))
    assert 'name="tasks-0-progress"' not in response.content.decode()
    assert 'name="tasks-0-title"' in response.content.decode()


def test_projects_cannot_be_added_in_the_admin(staff_client, rows):
    assert staff_client.get(admin_url(type(rows["project"]), "add")).status_code == 403


def test_user_changelist_masks_phones_and_leaves_out_id_numbers(staff_client, rows, worker):
    content = staff_client.get(admin_url(type(worker), "changelist")).content.decode()
    assert "330102199001011234" not in content
    assert "**************1234" not in content
    assert worker.phone not in content
    assert worker.masked_phone in content


def test_users_are_deactivated_not_deleted(staff_client, worker):
    assert staff_client.get(admin_url(type(worker), "delete", worker.pk)).status_code == 403


def test_area_code_and_parent_cannot_be_changed_once_created(staff_client, tree):
    content = staff_client.get(admin_url(type(tree["a"]), "change", tree["a"].pk)).content.decode()
    assert 'name="code"' not in content
    assert 'name="parent"' not in content
    assert 'name="name"' in content


def test_need_changelist_runs_a_bounded_number_of_queries(
    staff_client, tree, worker, django_assert_max_num_queries
):
    for n in range(30):
        services.submit_need(
            community=tree["a"], category=category("health"), title=f"需求{n}", description="-",
            requester_name="王大爷", requester_phone=PHONE, channel=Channel.PHONE, by=worker,
        )  # fmt: skip
    with django_assert_max_num_queries(10):
        assert staff_client.get(admin_url(Need, "changelist")).status_code == 200


def test_budget_lines_can_be_corrected_inline_and_are_audited(staff_client, rows, operator):
    project = rows["project"]
    line = project.budget_lines.get()
    task = project.tasks.get()
    milestone = project.milestones.get()
    data = {
        "title": project.title,
        "description": project.description,
        "area": project.area_id,
        "owner": project.owner_id,
        "maintenance_owner": "",
        "needs": [rows["need"].pk],
        "resources": [rows["resource"].pk],
        "planned_start": project.planned_start.isoformat(),
        "planned_end": project.planned_end.isoformat(),
        "contingency_rate": "0.100",
        "tasks-TOTAL_FORMS": 1, "tasks-INITIAL_FORMS": 1,
        "tasks-0-id": task.pk, "tasks-0-project": project.pk, "tasks-0-title": task.title,
        "tasks-0-owner_name": task.owner_name, "tasks-0-start_date": task.start_date.isoformat(),
        "tasks-0-due_date": task.due_date.isoformat(),
        "milestones-TOTAL_FORMS": 1, "milestones-INITIAL_FORMS": 1,
        "milestones-0-id": milestone.pk, "milestones-0-project": project.pk,
        "milestones-0-title": milestone.title, "milestones-0-due_date": milestone.due_date.isoformat(),
        "budget_lines-TOTAL_FORMS": 1, "budget_lines-INITIAL_FORMS": 1,
        "budget_lines-0-id": line.pk, "budget_lines-0-project": project.pk,
        "budget_lines-0-item": line.item, "budget_lines-0-amount": "1200.00",
        "budget_lines-0-spent": "0",
    }  # fmt: skip
    response = staff_client.post(admin_url(type(project), "change", project.pk), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    line.refresh_from_db()
    assert line.amount == Decimal("1200.00")
    event = AuditEvent.objects.get(action="admin.inline_changed")
    assert event.data["model"] == "resources.budgetline"
    assert event.data["changed"] == {line.item: ["amount"]}
