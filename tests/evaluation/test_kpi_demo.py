"""With the demo data every KPI shows a value and a target, down to a community."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from evaluation.demo_kpi import seed_kpi_demo
from evaluation.models import KpiDaily
from portal.models import Area, User

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


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.django_db
def test_the_demo_rolls_up_the_past_ninety_days(demo):
    assert "KPI days rolled up" in demo
    assert KpiDaily.objects.values("day").distinct().count() == 90


@pytest.mark.django_db
def test_every_kpi_has_a_value_and_every_target_kpi_a_target_for_the_district(client, demo):
    client.force_login(User.objects.get(username="district"))

    response = client.get(reverse("evaluation:kpi_home"), {"period": "year"})

    missing = [f.code for f in response.context["board"].figures if f.value is None]
    assert missing == []
    assert all(f.target is not None for f in response.context["board"].figures if f.spec.has_target)


@pytest.mark.django_db
def test_the_district_official_drills_down_to_a_community(client, demo):
    client.force_login(User.objects.get(username="district"))
    district = client.get(reverse("evaluation:kpi_home")).context["board"]
    street = district.children[0].area
    community = (
        client.get(reverse("evaluation:kpi_area", args=[street.code]))
        .context["board"]
        .children[0]
        .area
    )

    response = client.get(reverse("evaluation:kpi_area", args=[community.code]))

    assert community.level == Area.Level.COMMUNITY
    assert [a.level for a in response.context["board"].trail] == [2, 3, 4]


@pytest.mark.django_db
def test_seeding_again_rolls_up_nothing_more(demo):
    assert seed_kpi_demo().created is False
