"""Demo data for points and the shop, as ``seed_demo`` builds it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from evaluation.demo import seed_points_demo
from evaluation.models import PointAccount, PointEntry, PointRule, Redemption, Reward
from portal.audit import verify_chain
from portal.models import Area, AuditEvent

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at the end."""
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


@pytest.mark.django_db
def test_the_demo_books_points_and_reports_them(demo):
    assert "points entries" in demo and "rewards" in demo
    assert PointEntry.objects.filter(event="service_hour").exists()
    assert PointEntry.objects.filter(event="enrollment_confirmed", unit__isnull=False).exists()
    balances = PointAccount.objects.values_list("balance", flat=True)
    assert all(balance >= 0 for balance in balances)


@pytest.mark.django_db
def test_the_demo_sets_rules_as_the_officials(demo):
    assert PointRule.objects.filter(area__code="3390", daily_cap__isnull=False).exists()
    assert (
        AuditEvent.objects.filter(action="point_rule.changed").count() == PointRule.objects.count()
    )


@pytest.mark.django_db
def test_every_community_has_a_shop(demo):
    communities = Area.objects.filter(level=Area.Level.COMMUNITY)
    assert set(Reward.objects.values_list("community", flat=True)) == set(
        communities.values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_the_demo_has_redemptions_in_every_state_and_the_member_waits_for_one(demo):
    assert set(Redemption.objects.values_list("status", flat=True)) == {
        "requested",
        "confirmed",
        "cancelled",
    }
    waiting = Redemption.objects.get(status="requested")
    assert waiting.member.user.username == "member"


@pytest.mark.django_db
def test_a_second_run_creates_nothing_and_writes_no_audit_event(demo):
    entries, events = PointEntry.objects.count(), AuditEvent.objects.count()

    assert not seed_points_demo().created
    assert (PointEntry.objects.count(), AuditEvent.objects.count()) == (entries, events)


@pytest.mark.django_db
def test_the_audit_chain_verifies_after_the_demo(demo):
    _checked, broken = verify_chain()
    assert broken is None
