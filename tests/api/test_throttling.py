import pytest

from tests.api.conftest import api_for

pytestmark = pytest.mark.django_db


def test_a_partner_over_its_rate_gets_429_with_retry_after(tree, make_partner):
    _client, key = make_partner("a", rate_per_minute=2)
    api = api_for(key)

    statuses = [api.get("/api/v1/needs/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    response = api.get("/api/v1/needs/")
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_one_partners_rate_does_not_hold_back_another(tree, make_partner):
    _slow, slow_key = make_partner("a", rate_per_minute=1)
    _other, other_key = make_partner("a", rate_per_minute=1)
    api_for(slow_key).get("/api/v1/needs/")

    assert api_for(slow_key).get("/api/v1/needs/").status_code == 429
    assert api_for(other_key).get("/api/v1/needs/").status_code == 200


def test_anonymous_open311_submissions_are_limited_per_address(tree, monkeypatch):
    import uuid

    from rest_framework.test import APIClient

    from portal.api_auth import Open311AnonThrottle

    monkeypatch.setattr(Open311AnonThrottle, "rate", "1/hour")
    # A fresh address, so that counts left in a shared cache by earlier runs do not matter.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    anonymous = APIClient(REMOTE_ADDR=address)

    first = anonymous.post("/open311/v2/requests.json", {"service_code": "nope"})
    second = anonymous.post("/open311/v2/requests.json", {"service_code": "nope"})

    assert first.status_code == 400
    assert second.status_code == 429
    assert int(second["Retry-After"]) > 0
    assert second.json()[0]["code"] == 429


def _fresh_anonymous():
    import uuid

    from rest_framework.test import APIClient

    # A fresh address, so that counts left in a shared cache by earlier runs do not matter.
    n = uuid.uuid4().int
    return APIClient(REMOTE_ADDR=f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}")


def test_anonymous_open311_status_lookups_are_limited_per_address(tree, monkeypatch):
    from portal.api_auth import Open311AnonReadThrottle

    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "2/hour")
    anonymous = _fresh_anonymous()

    statuses = [anonymous.get(f"/open311/v2/requests/BD{n:08d}.json").status_code for n in range(3)]

    assert statuses == [404, 404, 429]
    assert _fresh_anonymous().get("/open311/v2/requests/BD00000000.json").status_code == 404


def test_a_partner_key_is_not_held_to_the_anonymous_read_rate(tree, make_partner, monkeypatch):
    from portal.api_auth import Open311AnonReadThrottle

    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "1/hour")
    _client, key = make_partner("a", rate_per_minute=100)
    anonymous = _fresh_anonymous()

    statuses = [
        anonymous.get("/open311/v2/requests/NOPE.json", {"api_key": key}).status_code
        for _ in range(3)
    ]

    assert statuses == [404, 404, 404]
