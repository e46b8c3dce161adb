"""Enrollments through the partner API: being a party member is sensitive, so a member's name
is masked unless the member consented to share their data with the calling partner."""

import pytest
from django.utils import timezone

from portal.api_clients import grant_consent, revoke_consent
from reporting.models import Enrollment
from tests.factories import make_party_member, make_resident_unit

pytestmark = pytest.mark.django_db


def _enrol(community, *, name="王建国"):
    member = make_party_member(community, real_name=name)
    Enrollment.objects.create(
        member=member, community=community, year=2026, submitted_at=timezone.now()
    )
    return member


def _names(api) -> list[str]:
    response = api.get("/api/v1/enrollments/")
    assert response.status_code == 200, response.content
    return [row["subject_name"] for row in response.json()["results"]]


def test_a_members_name_is_masked_without_consent(tree, partner_a):
    _client, api = partner_a
    _enrol(tree["a"])

    assert _names(api) == ["王**"]


def test_a_members_name_is_shown_to_a_partner_they_consented_to(tree, partner_a):
    client, api = partner_a
    member = _enrol(tree["a"])
    grant_consent(user=member.user, client=client)

    assert _names(api) == ["王建国"]


def test_consent_to_another_partner_leaves_the_name_masked(tree, partner_a, make_partner):
    _client, api = partner_a
    other, _key = make_partner("a")
    member = _enrol(tree["a"])
    grant_consent(user=member.user, client=other)

    assert _names(api) == ["王**"]


def test_a_revoked_consent_masks_the_name_again(tree, partner_a):
    client, api = partner_a
    member = _enrol(tree["a"])
    grant_consent(user=member.user, client=client)
    revoke_consent(user=member.user, client=client)

    assert _names(api) == ["王**"]


def test_one_enrollment_masks_the_name_without_consent(tree, partner_a):
    _client, api = partner_a
    _enrol(tree["a"])
    enrollment = Enrollment.objects.get()

    response = api.get(f"/api/v1/enrollments/{enrollment.pk}/")

    assert response.json()["subject_name"] == "王**"


def test_a_units_name_is_not_masked(tree, partner_a):
    _client, api = partner_a
    unit = make_resident_unit(tree["a"], name="区图书馆")
    Enrollment.objects.create(
        unit=unit, community=tree["a"], year=2026, submitted_at=timezone.now()
    )

    assert _names(api) == ["区图书馆"]


def test_listing_enrollments_with_and_without_consent_takes_few_queries(
    tree, partner_a, django_assert_max_num_queries
):
    client, api = partner_a
    for name in ("王建国", "李娜", "张伟"):
        member = _enrol(tree["a"], name=name)
        if name != "张伟":
            grant_consent(user=member.user, client=client)

    with django_assert_max_num_queries(5):
        names = _names(api)

    assert sorted(names) == sorted(["王建国", "李娜", "张*"])
