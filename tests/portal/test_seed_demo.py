"""The default need categories (data migration) and the ``seed_demo`` command."""

from __future__ import annotations

import importlib
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from portal import demo as portal_demo
from portal.demo import ACCOUNTS, CITY_CODE, DEMO_PASSWORD, FIRST_COMMUNITY, SITE_URL
from portal.models import Area, AuditEvent, Role, RoleAssignment, User
from reporting.models import (
    Activity,
    Certificate,
    CheckIn,
    Enrollment,
    PartyMember,
    ResidentUnit,
    ServiceRecord,
    Signup,
    validate_credit_code,
)
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


@pytest.mark.django_db
def test_a_city_seeded_before_reporting_gets_the_reporting_part_on_the_next_run(
    monkeypatch, settings
):
    """An older demo database (no party members yet) is completed, not left as it was."""
    settings.PASSWORD_HASHERS = FAST_HASHER
    for step in ("build_resources", "build_needs", "build_projects"):
        monkeypatch.setattr(portal_demo._Builder, step, lambda self: None)  # keep it quick
    portal_demo._Builder(timezone.now()).build()  # what seed_demo built before reporting
    assert not PartyMember.objects.exists()

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert "party members" in out.getvalue()
    assert PartyMember.objects.filter(user__username="member").exists()
    assert PartyMember.objects.count() > 60
    assert ServiceRecord.objects.exists()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "already present" in out.getvalue()


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
        "members": PartyMember.objects.count(),
        "units": ResidentUnit.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "activities": Activity.objects.count(),
        "signups": Signup.objects.count(),
        "checkins": CheckIn.objects.count(),
        "records": ServiceRecord.objects.count(),
        "certificates": Certificate.objects.count(),
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


# -- reporting (报到) ------------------------------------------------------------------------


def _communities():
    return Area.objects.filter(level=Area.Level.COMMUNITY, code__startswith=CITY_CODE)


@pytest.mark.django_db
def test_party_members_are_spread_over_the_twelve_communities(demo):
    members = PartyMember.objects.select_related("user", "home_community")
    assert members.count() == 61
    assert {m.home_community.code for m in members} == set(
        _communities().values_list("code", flat=True)
    )
    for member in members:
        assert member.user.real_name and member.user.phone
        assert "党" in member.party_organisation and member.workplace
        assert member.user.role_assignments.filter(
            role=Role.MEMBER, area=member.home_community
        ).exists()
    assert AuditEvent.objects.filter(action="member.registered").count() == 61


@pytest.mark.django_db
def test_resident_units_have_valid_credit_codes_and_contacts(demo):
    units = ResidentUnit.objects.all()
    assert units.count() == 20
    for unit in units:
        validate_credit_code(unit.credit_code)
        assert unit.contact is not None
        assert unit.contact.role_assignments.filter(
            role=Role.UNIT_ADMIN, area=unit.community
        ).exists()


@pytest.mark.django_db
def test_enrollments_cover_the_states_and_confirmed_agreements_became_resources(demo):
    year = timezone.localdate().year
    this_year = Enrollment.objects.filter(year=year)
    statuses = list(this_year.values_list("status", flat=True))
    assert statuses.count("active") + statuses.count("confirmed") > len(statuses) / 2
    assert statuses.count("pending") >= 10
    assert statuses.count("returned") >= 5
    assert not this_year.filter(status="returned", return_reason="").exists()
    confirmed_units = this_year.filter(unit__isnull=False, status__in=["confirmed", "active"])
    assert confirmed_units.count() == 14
    for item in confirmed_units.select_related("unit"):
        assert Resource.objects.filter(provider_name=item.unit.name).exists()


@pytest.mark.django_db
def test_every_community_has_past_and_upcoming_activities(demo):
    now = timezone.now()
    for community in _communities():
        activities = Activity.objects.filter(community=community)
        past = activities.filter(ends_at__lt=now)
        assert past.count() >= 3 and past.filter(starts_at__gte=now - timezone.timedelta(days=31))
        upcoming = activities.filter(starts_at__gt=now)
        assert upcoming.count() >= 2
        assert not upcoming.filter(starts_at__gt=now + timezone.timedelta(days=15)).exists()
    assert Activity.objects.filter(geofence_radius_m=500).count() >= 10
    assert Activity.objects.filter(geofence_radius_m__isnull=True).count() >= 10
    assert Signup.objects.filter(activity__starts_at__gt=now).count() >= 30


@pytest.mark.django_db
def test_attendance_is_mostly_confirmed_with_some_pending_flags_and_a_correction(demo):
    checkins = CheckIn.objects.all()
    assert checkins.count() >= 100
    confirmed = checkins.filter(status=CheckIn.Status.CONFIRMED)
    assert confirmed.count() > checkins.count() * 0.6
    assert checkins.filter(status=CheckIn.Status.PENDING).count() >= 5
    flags = {flag for row in checkins for flag in row.flags}
    assert {
        "outside_geofence",
        "no_location_consent",
        "hours_capped",
        "proxy",
        "corrected",
    } <= flags
    assert not checkins.filter(checked_out_at__isnull=True).exists()
    originals = ServiceRecord.objects.filter(corrects__isnull=True)
    assert originals.count() == confirmed.count()
    correction = ServiceRecord.objects.get(corrects__isnull=False)
    assert correction.hours == Decimal("-0.50")
    assert correction.reason and correction.corrects.checkin_id == correction.checkin_id
    assert AuditEvent.objects.filter(action="checkin.confirmed").count() == confirmed.count()


@pytest.mark.django_db
def test_the_member_account_has_a_rich_own_page(demo, client):
    member = PartyMember.objects.get(user__username="member")
    assert member.home_community.code == FIRST_COMMUNITY
    assert member.enrollments.get(year=timezone.localdate().year).status == "active"
    now = timezone.now()
    assert member.signups.filter(activity__starts_at__gt=now).count() >= 3
    assert member.service_records.count() >= 3
    assert member.checkins.filter(status=CheckIn.Status.PENDING).count() == 1
    certificate = Certificate.objects.get(member=member)
    assert certificate.hours > 0

    client.login(username="member", password=DEMO_PASSWORD)
    response = client.get(reverse("reporting:member_home"))
    assert response.status_code == 200
    soonest = member.signups.filter(activity__starts_at__gt=now).order_by("activity__starts_at")
    assert soonest.first().activity.title in response.content.decode()
    for name in ("reporting:my_checkins", "reporting:my_hours", "reporting:my_certificates"):
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_the_unit_account_is_the_contact_of_a_confirmed_unit(demo):
    unit = ResidentUnit.objects.get(contact__username="unit")
    assert unit.community.code == FIRST_COMMUNITY
    assert unit.enrollments.get().status == Enrollment.Status.CONFIRMED


@pytest.mark.django_db
def test_nightly_matching_on_the_demo_puts_explained_proposals_on_the_dashboard(demo, client):
    from portal.models import JobRun
    from resources.models import Match

    out = StringIO()
    call_command("run_job", "matching", stdout=out)
    runs = JobRun.objects.filter(job="matching", status=JobRun.Status.SUCCEEDED)
    assert runs.count() == 4  # one per street
    for run in runs:
        assert run.counts["optimal_total"] >= run.counts["greedy_total"]
    proposed = Match.objects.filter(status=Match.Status.PROPOSED)
    assert proposed.count() >= 20
    assert all(match.reasons for match in proposed)
    client.force_login(User.objects.get(username="worker"))
    response = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.context["proposals"]
    assert "类别契合" in response.content.decode()
