import pytest

from portal.api_clients import grant_consent, revoke_consent
from tests.factories import make_party_member, make_service_record

pytestmark = pytest.mark.django_db


def test_service_records_of_members_without_consent_are_not_listed(tree, partner_a):
    _client, api = partner_a
    make_service_record(make_party_member(tree["a"]))

    assert api.get("/api/v1/service-records/").json()["results"] == []


def test_a_members_consent_to_one_partner_does_not_reach_another(tree, partner_a, make_partner):
    _client, api = partner_a
    other, _key = make_partner("a")
    member = make_party_member(tree["a"])
    grant_consent(user=member.user, client=other)
    make_service_record(member)

    assert api.get("/api/v1/service-records/").json()["results"] == []


def test_a_revoked_consent_hides_the_records_again(tree, partner_a):
    client, api = partner_a
    member = make_party_member(tree["a"])
    record = make_service_record(member)
    grant_consent(user=member.user, client=client)
    assert [r["id"] for r in api.get("/api/v1/service-records/").json()["results"]] == [record.pk]

    revoke_consent(user=member.user, client=client)

    assert api.get("/api/v1/service-records/").json()["results"] == []


def test_granting_consent_twice_keeps_one_live_consent(tree, partner_a):
    client, _api = partner_a
    member = make_party_member(tree["a"])

    first = grant_consent(user=member.user, client=client)
    second = grant_consent(user=member.user, client=client)

    assert first.pk == second.pk


def test_a_correction_is_listed_with_its_negative_hours(tree, partner_a):
    client, api = partner_a
    member = make_party_member(tree["a"])
    grant_consent(user=member.user, client=client)
    original = make_service_record(member, hours="3")
    make_service_record(member, hours="-1", corrects=original)

    rows = api.get("/api/v1/service-records/", {"ordering": "id"}).json()["results"]

    assert [(r["hours"], r["corrects"]) for r in rows] == [("3.00", None), ("-1.00", original.pk)]
