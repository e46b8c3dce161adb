"""Demo data for ratings and the annual evaluation, as ``seed_demo`` builds it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from evaluation.demo_annual import seed_evaluation_demo
from evaluation.models import (
    EvaluationAdjustment,
    EvaluationPublication,
    EvaluationResult,
    Rating,
)
from portal.audit import verify_chain

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
def test_the_demo_computes_the_evaluation_with_red_and_black_lists(demo):
    assert "evaluation results" in demo
    assert EvaluationResult.objects.filter(street_standing="red").exists()
    assert EvaluationResult.objects.filter(street_standing="black").exists()
    assert EvaluationResult.objects.filter(unit__isnull=False).exists()


@pytest.mark.django_db
def test_the_demo_rates_activities_adjusts_a_score_and_publishes_a_street(demo):
    assert Rating.objects.filter(activity__isnull=False).exists()
    adjustment = EvaluationAdjustment.objects.get()
    assert adjustment.reason and adjustment.created_by.username == "street"
    assert EvaluationPublication.objects.count() == 1


@pytest.mark.django_db
def test_the_demo_keeps_the_audit_chain_whole(demo):
    _checked, broken = verify_chain()
    assert broken is None


@pytest.mark.django_db
def test_seeding_again_creates_nothing(demo):
    assert seed_evaluation_demo().created is False
