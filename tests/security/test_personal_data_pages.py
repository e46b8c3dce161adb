"""Personal data on pages: the member ID-number page (masked, logged reveal, own community's
workers only), requester names and addresses on the need page, and location at check-in
(consent first, revocable, rounded to 4 decimals before it is stored)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent
from reporting.models import CheckIn
from reporting.services.checkin import grant_location_consent, revoke_location_consent
from tests.factories import NeedFactory, UserFactory, make_party_member
from tests.reporting.test_checkin_services import START, make_activity, make_member, tap

pytestmark = pytest.mark.django_db

VALID = "11010519491231002X"


@pytest.fixture
def member(tree):
    return make_party_member(tree["a"], real_name="欧阳明")


def page(member) -> str:
    return reverse("reporting:member_id_number", args=[member.pk])


def reveal(member) -> str:
    return reverse("reporting:member_id_number_reveal", args=[member.pk])


# --- the member ID-number page ----------------------------------------------------------------


def test_worker_enters_an_id_number_and_sees_it_masked(client, worker, member):
    client.force_login(worker)

    response = client.post(page(member), {"id_number": VALID.lower()})

    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.id_number == VALID
    body = client.get(page(member)).content.decode()
    assert "**************002X" in body
    assert VALID not in body


def test_worker_reveals_the_number_and_the_reveal_is_logged(client, worker, member):
    member.user.id_number = VALID
    member.user.save()
    client.force_login(worker)

    response = client.post(reveal(member))

    assert response.status_code == 200
    assert VALID in response.content.decode()
    event = AuditEvent.objects.get(action="person.id_number_revealed")
    assert event.actor == worker and event.object_id == str(member.user.pk)


def test_the_revealed_id_number_is_not_kept_in_the_browser_cache(client, worker, member):
    member.user.id_number = VALID
    member.user.save()
    client.force_login(worker)

    response = client.post(reveal(member))

    assert VALID in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_an_invalid_number_comes_back_with_the_reason(client, worker, member, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(worker)
    response = client.post(page(member), {"id_number": "110105194912310021"})
    assert response.status_code == 400
    assert "does not match the others" in response.content.decode()


def test_a_duplicate_number_is_refused_on_the_page(client, worker, member, settings):
    settings.LANGUAGE_CODE = "en"
    UserFactory(id_number=VALID)
    client.force_login(worker)
    response = client.post(page(member), {"id_number": VALID})
    assert response.status_code == 400
    assert "already registered to another account" in response.content.decode()
    member.user.refresh_from_db()
    assert member.user.id_number == ""


@pytest.mark.parametrize(
    ("who", "status"), [("worker_b", 404), ("street_officer", 403), ("self", 404), ("anon", 302)]
)
def test_others_cannot_see_or_reveal(client, request, member, who, status):
    member.user.id_number = VALID
    member.user.save()
    if who == "self":
        client.force_login(member.user)
    elif who != "anon":
        client.force_login(request.getfixturevalue(who))
    for response in (
        client.get(page(member)),
        client.post(reveal(member)),
        client.post(page(member), {"id_number": ""}),
    ):
        assert response.status_code == status
        assert VALID not in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="person.id_number").exists()
    member.user.refresh_from_db()
    assert member.user.id_number == VALID


def test_reveal_and_save_need_a_csrf_token(worker, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(worker)
    assert client.post(reveal(member)).status_code == 403
    assert client.post(page(member), {"id_number": VALID}).status_code == 403


def test_the_enrollment_page_links_workers_to_the_id_number(client, worker, tree):
    member = make_member(tree["a"])
    enrollment = member.enrollments.get()
    client.force_login(worker)
    body = client.get(reverse("reporting:enrollment_detail", args=[enrollment.pk])).content
    assert page(member) in body.decode()


# --- the need page ----------------------------------------------------------------------------


@pytest.fixture
def need(tree):
    return NeedFactory(
        community=tree["a"],
        requester_name="张阿姨",
        requester_phone="13812345678",
        address="7号楼 302",
    )


def test_members_see_the_requester_masked_and_no_address(client, tree, need):
    viewer = make_party_member(tree["a"]).user
    client.force_login(viewer)
    body = client.get(reverse("resources:need_detail", args=[need.pk])).content.decode()
    assert "张**" in body
    assert "张阿姨" not in body and "7号楼 302" not in body and "13812345678" not in body


def test_the_communitys_own_workers_see_name_and_address(client, worker, need):
    client.force_login(worker)
    body = client.get(reverse("resources:need_detail", args=[need.pk])).content.decode()
    assert "张阿姨" in body and "7号楼 302" in body
    assert "13812345678" not in body  # the number still needs the logged reveal


@pytest.mark.parametrize("htmx", [False, True])
def test_the_revealed_requester_phone_is_not_kept_in_the_browser_cache(client, worker, need, htmx):
    client.force_login(worker)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(reverse("resources:need_reveal_phone", args=[need.pk]), headers=headers)

    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_street_officers_see_the_requester_masked(client, street_officer, need):
    client.force_login(street_officer)
    body = client.get(reverse("resources:need_detail", args=[need.pk])).content.decode()
    assert "张**" in body and "张阿姨" not in body


# --- location at check-in ---------------------------------------------------------------------


@pytest.fixture
def activity(tree):
    return make_activity(tree["a"], geofence=True)


@pytest.fixture
def checking_member(tree):
    return make_member(tree["a"])


def test_coordinates_are_rounded_to_four_decimals_before_they_are_stored(activity, checking_member):
    grant_location_consent(user=checking_member.user, now=START)

    tap(activity, checking_member, START, latitude=31.23045678, longitude=121.47374999)

    stored = CheckIn.objects.values_list("latitude", "longitude").get()
    assert stored == (Decimal("31.2305"), Decimal("121.4737"))


def test_after_revocation_no_location_is_read(activity, checking_member):
    grant_location_consent(user=checking_member.user, now=START)
    revoke_location_consent(user=checking_member.user, now=START)

    checkin = tap(activity, checking_member, START, latitude=31.2304, longitude=121.4737)

    checkin.refresh_from_db()
    assert (checkin.latitude, checkin.longitude) == (None, None)
    assert "no_location_consent" in checkin.flags


def test_a_member_can_grant_and_withdraw_consent_from_their_pages(client, checking_member):
    client.force_login(checking_member.user)
    assert (
        reverse("reporting:location_consent")
        in client.get(reverse("account_data")).content.decode()
    )
    url = reverse("reporting:location_consent")
    client.post(url, {"decision": "grant"})
    assert checking_member.user.location_consents.filter(revoked_at__isnull=True).exists()
    client.post(url, {"decision": "revoke"})
    assert not checking_member.user.location_consents.filter(revoked_at__isnull=True).exists()
