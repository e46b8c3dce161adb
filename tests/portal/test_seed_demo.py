"""The default need categories (data migration) and the ``seed_demo`` command."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from portal.demo import ACCOUNTS, CITY_CODE, DEMO_PASSWORD, FIRST_COMMUNITY, SITE_URL
from portal.models import Area, AuditEvent, Role, RoleAssignment, User
from resources.models import Channel, Need, NeedCategory, Project, Resource
from resources.progress import RAG, TaskPlan, project_status
from tests.factories import NeedFactory

DEFAULT_CODES = [
    "elderly_care", "child_care", "meal_assistance", "health", "culture_sports", "housekeeping",
    "sanitation", "parking_traffic", "safety", "neighbour_disputes", "accessibility", "employment",
    "legal_aid", "education",
]  # fmt: skip

seed_migration = importlib.import_module("resources.migrations.0002_seed_need_categories")


# -- the data migration (these tests run before the module's demo data exists) --------------


@pytest.mark.django_db
def test_migration_seeds_the_default_categories_in_order():
    codes = list(NeedCategory.objects.filter(code__in=DEFAULT_CODES).values_list("code", flat=True))
    assert codes == DEFAULT_CODES
    assert NeedCategory.objects.get(code="meal_assistance").name == "助餐"
    assert NeedCategory.objects.get(code="legal_aid").name == "法律援助"


@pytest.mark.django_db
def test_migration_is_idempotent():
    seed_migration.seed_categories(apps, None)
    assert NeedCategory.objects.filter(code__in=DEFAULT_CODES).count() == len(DEFAULT_CODES)


@pytest.mark.django_db
def test_reversing_the_migration_keeps_categories_in_use(tree):
    NeedFactory(community=tree["a"], category=NeedCategory.objects.get(code="health"))
    seed_migration.unseed_categories(apps, None)
    assert list(
        NeedCategory.objects.filter(code__in=DEFAULT_CODES).values_list("code", flat=True)
    ) == ["health"]


# -- seed_demo ----------------------------------------------------------------------------

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the whole module, inside a transaction rolled back at the end.

    Each test then runs in its own savepoint, as in Django's TestCase.setUpTestData.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _counts() -> dict[str, int]:
    return {
        "areas": Area.objects.count(),
        "users": User.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "needs": Need.objects.count(),
        "resources": Resource.objects.count(),
        "projects": Project.objects.count(),
        "events": AuditEvent.objects.count(),
    }


@pytest.mark.django_db
def test_seed_builds_a_city_of_twelve_communities(demo):
    city = Area.objects.get(code=CITY_CODE)
    below = Area.objects.filter(path__startswith=city.path)
    assert below.filter(level=Area.Level.DISTRICT).count() == 2
    assert below.filter(level=Area.Level.STREET).count() == 4
    communities = below.filter(level=Area.Level.COMMUNITY)
    assert communities.count() == 12
    for community in communities:
        assert len(community.code) == 12
        assert community.latitude is not None and community.longitude is not None
        assert 2 <= community.children.count() <= 3


@pytest.mark.django_db
def test_seed_fills_the_three_lists(demo):
    assert Need.objects.count() >= 250
    assert Resource.objects.count() >= 60
    assert Project.objects.count() >= 15


@pytest.mark.django_db
def test_second_run_creates_nothing(demo):
    before = _counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert "already present" in out.getvalue()


@pytest.mark.django_db
def test_second_run_restores_the_demo_password_and_a_deleted_account(demo, client):
    worker = User.objects.get(username="worker")
    worker.set_password("something-else-entirely")
    worker.save()
    User.objects.filter(username="auditor").delete()

    call_command("seed_demo", stdout=StringIO())

    assert client.login(username="worker", password=DEMO_PASSWORD)
    auditor = User.objects.get(username="auditor")
    assert auditor.role_assignments.get().role == Role.AUDITOR


@pytest.mark.django_db
@pytest.mark.parametrize("username", [account.username for account in ACCOUNTS])
def test_demo_account_can_sign_in(demo, client, username):
    assert client.login(username=username, password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_demo_accounts_hold_their_roles_in_the_first_community(demo):
    worker = User.objects.get(username="worker")
    assert worker.role_assignments.get().role == Role.COMMUNITY_WORKER
    assert worker.role_assignments.get().area.code == FIRST_COMMUNITY
    grid = User.objects.get(username="grid").role_assignments.get().area
    assert grid.parent.code == FIRST_COMMUNITY
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.role_assignments.get().role == Role.CITY_ADMIN
    assert not User.objects.get(username="city").is_staff


@pytest.mark.django_db
def test_output_lists_the_accounts_and_the_address(demo):
    for account in ACCOUNTS:
        assert account.username in demo
    assert DEMO_PASSWORD in demo
    assert SITE_URL in demo


@pytest.mark.django_db
def test_some_needs_are_overdue_and_some_due_within_six_hours(demo):
    now = timezone.now()
    waiting = Need.objects.filter(status=Need.Status.SUBMITTED)
    assert waiting.filter(due_at__lt=now).count() >= 5
    assert waiting.filter(due_at__gte=now, due_at__lt=now + timezone.timedelta(hours=6)).exists()


@pytest.mark.django_db
def test_needs_cover_every_state_and_channel(demo):
    assert set(Need.objects.values_list("status", flat=True)) == set(Need.Status.values)
    assert set(Need.objects.values_list("channel", flat=True)) == set(Channel.values)
    oldest = Need.objects.order_by("submitted_at").first().submitted_at
    assert timezone.now() - oldest > timezone.timedelta(days=40)


@pytest.mark.django_db
def test_needs_entered_by_staff_name_who_entered_them(demo):
    assert not Need.objects.filter(channel=Channel.ONLINE, created_by__isnull=False).exists()
    assert not Need.objects.exclude(channel=Channel.ONLINE).filter(created_by__isnull=True).exists()


@pytest.mark.django_db
def test_every_need_was_submitted_through_the_service(demo):
    assert AuditEvent.objects.filter(action="need.submitted").count() == Need.objects.count()


@pytest.mark.django_db
def test_projects_in_progress_show_red_amber_and_green(demo):
    today = timezone.localdate()
    statuses = set()
    for project in Project.objects.filter(status=Project.Status.IN_PROGRESS).prefetch_related(
        "tasks"
    ):
        plans = [
            TaskPlan(t.start_date, t.due_date, t.progress, t.completed_at is not None)
            for t in project.tasks.all()
        ]
        statuses.add(project_status(plans, today))
    assert statuses == {RAG.GREEN, RAG.AMBER, RAG.RED}
    assert set(Project.objects.values_list("status", flat=True)) == set(Project.Status.values)


@pytest.mark.django_db
def test_projects_have_tasks_milestones_and_budgets(demo):
    for project in Project.objects.prefetch_related("tasks", "milestones", "budget_lines"):
        assert project.tasks.all() and project.milestones.all() and project.budget_lines.all()


@pytest.mark.django_db
def test_audit_chain_verifies_after_seeding(demo):
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
