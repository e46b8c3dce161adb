"""A person's own data: the JSON download (/account/data/) and erasure (/account/erasure/).

Erasure anonymises the person and keeps what others depend on: the sums of hours, points and
ratings are the same before and after, the audit chain still verifies, and the erasure's own
audit event carries none of the erased details.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.db.models import Avg, Count, Sum
from django.urls import reverse

from evaluation.models import PointEntry, Rating
from evaluation.services.points import award_points
from evaluation.services.ratings import rate_activity
from portal import audit, privacy
from portal.errors import PermissionDenied
from portal.models import AuditEvent, Notification, RoleAssignment, User
from reporting.models import CheckIn, LocationConsent, ResidentUnit, ServiceRecord, Signup
from reporting.services.checkin import grant_location_consent
from resources.models import Need, Resource
from tests.factories import NeedFactory, ResourceFactory, make_resident_unit, make_service_record
from tests.reporting.test_checkin_services import START, VENUE, make_activity, make_member, tap

pytestmark = pytest.mark.django_db

DATA_URL = reverse("account_data")
ERASURE_URL = reverse("account_erasure")
PASSWORD = "correct-horse-battery"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def person(tree):
    """A member of community A with a record of everything a member can have."""
    member = make_member(tree["a"], real_name="李小龙", phone="13912345678")
    member.user.id_number = ID_NUMBER
    member.user.email = "li@example.com"
    member.user.save()
    activity = make_activity(tree["a"], geofence=True)
    Signup.objects.create(activity=activity, member=member)
    grant_location_consent(user=member.user, now=START)
    tap(activity, member, START, latitude=VENUE[0], longitude=VENUE[1], device_id="phone-abc123")
    make_service_record(member, hours="3", activity=activity)
    make_service_record(member, hours="2")
    rate_activity(activity=activity, member=member, stars=5, comment="很好")
    award_points()
    Notification.objects.create(recipient=member.user, kind="test", dedupe_key="k1")
    make_resident_unit(tree["a"], contact=member.user)
    return member


def _totals(community):
    return {
        "hours": ServiceRecord.objects.filter(community=community).aggregate(s=Sum("hours"))["s"],
        "points": PointEntry.objects.filter(community=community).aggregate(s=Sum("points"))["s"],
        "ratings": Rating.objects.filter(community=community).aggregate(
            n=Count("id"), avg=Avg("stars")
        ),
        "checkins": CheckIn.objects.filter(activity__community=community).count(),
    }


# --- my data ----------------------------------------------------------------------------------


def test_my_data_page_offers_a_post_download(client, person):
    client.force_login(person.user)
    response = client.get(DATA_URL)
    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.data_downloaded").exists()


def test_download_holds_every_kind_of_own_record_and_is_audited(client, person):
    client.force_login(person.user)

    response = client.post(DATA_URL)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["account"]["phone"] == "13912345678"
    assert data["account"]["id_number"] == ID_NUMBER
    assert data["account"]["real_name"] == "李小龙"
    assert [r["role"] for r in data["roles"]] == ["member"]
    assert data["party_member"]["home_community"] == person.home_community.name
    assert len(data["resident_units"]) == 1
    assert len(data["enrollments"]) == 1
    assert len(data["signups"]) == 1 and data["signups"][0]["activity_title"]
    assert len(data["check_ins"]) == 1 and data["check_ins"][0]["latitude"]
    assert sorted(Decimal(r["hours"]) for r in data["service_records"]) == [2, 3]
    assert data["point_entries"]
    assert data["ratings_given"][0]["stars"] == 5
    assert data["notifications"][0]["kind"] == "test"
    assert data["consents"]["location"][0]["revoked_at"] is None
    assert "redemptions" in data
    assert data["check_ins"][0]["device_id"] == "phone-abc123"
    event = AuditEvent.objects.get(action="person.data_downloaded")
    assert event.actor == person.user and event.object_id == str(person.user.pk)
    assert "13912345678" not in json.dumps(event.data)


def test_download_holds_nobody_elses_records(client, person, tree):
    other = make_member(tree["a"], phone="13700000001")
    make_service_record(other, hours="7")
    client.force_login(person.user)

    data = json.loads(client.post(DATA_URL).content)

    assert all(r["member_id"] == person.pk for r in data["service_records"])
    assert "13700000001" not in json.dumps(data)


def test_download_takes_a_bounded_number_of_queries(client, person, django_assert_max_num_queries):
    # One query per kind of record, whatever their number (26 with the session and audit).
    for _ in range(10):
        make_service_record(person, hours="1")
    award_points()
    client.force_login(person.user)
    with django_assert_max_num_queries(26):
        assert client.post(DATA_URL).status_code == 200


def test_my_data_needs_sign_in(client):
    assert client.post(DATA_URL).status_code == 302
    assert client.get(ERASURE_URL).status_code == 302


# --- erasure ----------------------------------------------------------------------------------


def test_erasure_with_the_wrong_password_changes_nothing(client, person, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(person.user)

    response = client.post(ERASURE_URL, {"password": "wrong", "confirm": "on"})

    assert response.status_code == 400
    assert "The password is not correct." in response.content.decode()
    person.user.refresh_from_db()
    assert person.user.is_active and person.user.real_name == "李小龙"


def test_erasure_needs_the_confirmation_box(client, person):
    client.force_login(person.user)
    response = client.post(ERASURE_URL, {"password": PASSWORD})
    assert response.status_code == 400
    person.user.refresh_from_db()
    assert person.user.is_active


def test_erasure_anonymises_the_person_and_signs_them_out(client, person, tree):
    user = person.user
    client.force_login(user)
    before = _totals(tree["a"])

    response = client.post(ERASURE_URL, {"password": PASSWORD, "confirm": "on", "reason": "搬家"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.username == f"erased-{user.pk}"
    assert str(user.pk) in user.real_name and "李" not in user.real_name
    assert (user.phone, user.email, user.id_number, user.id_number_hash) == (None, "", "", "")
    assert not user.is_active and not user.has_usable_password()
    assert user.session_epoch == 1
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert not LocationConsent.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert not Notification.objects.filter(recipient=user).exists()
    assert not CheckIn.objects.filter(member=person).exclude(latitude=None).exists()
    assert not CheckIn.objects.filter(member=person).exclude(device_id="").exists()
    assert not ResidentUnit.objects.filter(contact=user).exists()
    # What others depend on stays, so every total is unchanged.
    assert _totals(tree["a"]) == before
    assert ServiceRecord.objects.filter(member=person).count() == 2
    # The session is gone: the next page asks for sign-in again.
    assert client.get(DATA_URL).status_code == 302


def test_erasure_audit_event_holds_no_personal_data_and_the_chain_verifies(client, person):
    client.force_login(person.user)
    client.post(ERASURE_URL, {"password": PASSWORD, "confirm": "on"})

    event = AuditEvent.objects.get(action="person.erased")
    text = json.dumps(
        {"label": event.actor_label, "data": event.data, "id": event.object_id},
        ensure_ascii=False,
    )
    for secret in ("李小龙", "13912345678", ID_NUMBER, "li@example.com"):
        assert secret not in text
    assert event.object_id == str(person.user.pk)
    assert audit.verify_chain()[1] is None


def test_erasure_deletes_the_persons_sign_in_records(person):
    from axes.models import AccessLog
    from django.utils.timezone import now

    user = person.user
    AccessLog.objects.create(
        username=user.username, ip_address="203.0.113.9", user_agent="phone", attempt_time=now()
    )
    AccessLog.objects.create(
        username="someone-else", ip_address="203.0.113.10", user_agent="pc", attempt_time=now()
    )

    privacy.erase_person(user=user, by=user)

    assert list(AccessLog.objects.values_list("username", flat=True)) == ["someone-else"]
    event = AuditEvent.objects.get(action="person.erased")
    assert event.data["sign_in_records_deleted"] == 1


def test_the_phone_of_an_erased_account_can_register_again(person):
    privacy.erase_person(user=person.user, by=person.user)
    assert not User.objects.filter(phone="13912345678").exists()
    assert privacy.find_user_by_id_number(ID_NUMBER) is None
    User.objects.create(username="13912345678", phone="13912345678", id_number=ID_NUMBER)


def test_only_the_holder_can_erase_their_account(person, worker):
    with pytest.raises(PermissionDenied):
        privacy.erase_person(user=person.user, by=worker)
    person.user.refresh_from_db()
    assert person.user.is_active


def test_a_superuser_account_is_not_erased_here(client, db, settings):
    settings.LANGUAGE_CODE = "en"
    admin = User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(admin)
    response = client.get(ERASURE_URL)
    assert "cannot be erased" in response.content.decode()
    response = client.post(ERASURE_URL, {"password": PASSWORD, "confirm": "on"})
    admin.refresh_from_db()
    assert admin.is_active and admin.username == "root"


# --- what the person left elsewhere: resource contacts, needs they submitted ------------------


def _closed(need, status=Need.Status.RESOLVED):
    Need.objects.filter(pk=need.pk).update(
        status=status, accepted_at=need.submitted_at, resolved_at=need.submitted_at
    )
    return need


def test_download_includes_the_needs_submitted_with_the_persons_phone_only(client, person, tree):
    own = NeedFactory(
        community=tree["a"], requester_phone="13912345678", requester_name="李小龙", address="1号"
    )
    NeedFactory(community=tree["a"], requester_phone="13700000002", requester_name="王五")
    client.force_login(person.user)

    data = json.loads(client.post(DATA_URL).content)

    (need,) = data["needs_submitted"]
    assert need["tracking_number"] == own.tracking_number and need["title"] == own.title
    assert (need["requester_name"], need["requester_phone"], need["address"]) == (
        "李小龙",
        "13912345678",
        "1号",
    )
    assert need["status"] == "submitted" and need["submitted_at"]
    assert "13700000002" not in json.dumps(data) and "王五" not in json.dumps(
        data, ensure_ascii=False
    )


def test_erasure_clears_the_persons_contact_details_from_their_resources_only(person, tree):
    unit = ResidentUnit.objects.get(contact=person.user)
    # An agreement line of the unit (not linked to it, contact copied from the unit's contact),
    # a linked unit resource, and the member's own offer with only the name given.
    agreement = ResourceFactory(
        area=tree["a"], provider_name=unit.name, contact_name="李小龙", contact_phone="13912345678"
    )
    linked = ResourceFactory(
        area=tree["a"], provider_unit=unit, contact_name="李小龙", contact_phone="13912345678"
    )
    offer = ResourceFactory(
        area=tree["a"],
        provider_type=Resource.ProviderType.MEMBER,
        provider_name="李小龙",
        provider_member=person,
        contact_name="李小龙",
        contact_phone="",
    )
    # The unit's other contact person, and another unit's resource: someone else's details.
    colleague = ResourceFactory(
        area=tree["a"], provider_unit=unit, contact_name="赵六", contact_phone="13600000003"
    )
    elsewhere = ResourceFactory(
        area=tree["a"], provider_name="别的单位", contact_name="李小龙", contact_phone="13600000004"
    )

    privacy.erase_person(user=person.user, by=person.user)

    for resource in (agreement, linked, offer):
        resource.refresh_from_db()
        assert (resource.contact_name, resource.contact_phone) == ("", "")
    colleague.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (colleague.contact_name, colleague.contact_phone) == ("赵六", "13600000003")
    assert (elsewhere.contact_name, elsewhere.contact_phone) == ("李小龙", "13600000004")
    event = AuditEvent.objects.get(action="person.erased")
    assert event.data["resource_contacts_cleared"] == 3


def test_erasure_anonymises_the_requester_of_closed_needs_and_keeps_open_ones(person, tree):
    def need(**kwargs):
        return NeedFactory(
            community=tree["a"],
            requester_name="李小龙",
            requester_phone="13912345678",
            address="幸福路 9 号",
            **kwargs,
        )

    resolved = _closed(need())
    rejected = need()
    Need.objects.filter(pk=rejected.pk).update(status=Need.Status.REJECTED, close_reason="重复")
    still_open = need()
    someone_else = _closed(NeedFactory(community=tree["a"], requester_phone="13700000002"))

    privacy.erase_person(user=person.user, by=person.user)

    for closed in (resolved, rejected):
        closed.refresh_from_db()
        assert closed.requester_phone == "" and closed.address == ""
        assert closed.requester_name == privacy.erased_requester_name()
        assert "李" not in closed.requester_name
    still_open.refresh_from_db()
    someone_else.refresh_from_db()
    assert (still_open.requester_name, still_open.requester_phone, still_open.address) == (
        "李小龙",
        "13912345678",
        "幸福路 9 号",
    )
    assert (someone_else.requester_phone, someone_else.requester_name) == ("13700000002", "张阿姨")
    assert AuditEvent.objects.get(action="person.erased").data["needs_anonymised"] == 2


def test_the_erasure_page_says_open_needs_keep_the_requester(client, person, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(person.user)
    text = client.get(ERASURE_URL).content.decode()
    assert "Needs still being handled keep your name, phone number and address" in text
    assert "device identifiers" in text


# --- the password check is limited --------------------------------------------------------------


def test_wrong_erasure_passwords_are_limited_per_account(client, person, settings):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_ERASURE_PASSWORD = "2/h"
    # Counts of earlier runs in a shared cache (Redis in CI) must not count here.
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"
    client.force_login(person.user)
    wrong = {"password": "wrong", "confirm": "on"}

    statuses = [client.post(ERASURE_URL, wrong).status_code for _ in range(3)]
    # Past the limit even the right password is not checked: guessing gains nothing.
    right = client.post(ERASURE_URL, {"password": PASSWORD, "confirm": "on"})

    assert statuses == [400, 400, 429]
    assert right.status_code == 429 and right["Retry-After"]
    person.user.refresh_from_db()
    assert person.user.is_active


def test_the_erasure_limit_counts_wrong_passwords_only(client, person, settings):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_ERASURE_PASSWORD = "1/h"
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"
    client.force_login(person.user)

    # Forgetting the box (with the right password) twice does not use up the attempts.
    for _ in range(2):
        assert client.post(ERASURE_URL, {"password": PASSWORD}).status_code == 400
    response = client.post(ERASURE_URL, {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 200
    person.user.refresh_from_db()
    assert not person.user.is_active
