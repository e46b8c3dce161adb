from datetime import timedelta

import pytest
from django.utils import timezone

from portal.api_idempotency import TTL, purge_expired
from portal.models import IdempotencyRecord
from resources.models import Need
from tests.api.test_needs_api import _body

pytestmark = pytest.mark.django_db


def _post(api, body, key):
    return api.post("/api/v1/needs/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_key_returns_the_first_response_and_creates_nothing(tree, api_a):
    body = _body(tree)

    first = _post(api_a, body, "key-1")
    second = _post(api_a, body, "key-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Need.objects.count() == 1


def test_the_same_key_with_another_body_is_a_409(tree, api_a):
    _post(api_a, _body(tree), "key-1")

    response = _post(api_a, _body(tree, title="另一件事"), "key-1")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Need.objects.count() == 1


def test_without_a_key_each_post_creates(tree, api_a):
    api_a.post("/api/v1/needs/", _body(tree), format="json")
    api_a.post("/api/v1/needs/", _body(tree), format="json")

    assert Need.objects.count() == 2


def test_keys_belong_to_one_partner(tree, api_a, make_partner):
    from tests.api.conftest import api_for

    _other, key = make_partner("a")
    _post(api_a, _body(tree), "shared")

    response = _post(api_for(key), _body(tree), "shared")

    assert response.status_code == 201
    assert Need.objects.count() == 2


def test_an_error_answer_is_replayed_too(tree, api_a):
    body = _body(tree, community=tree["b"].code)

    first = _post(api_a, body, "key-2")
    second = _post(api_a, body, "key-2")

    assert first.status_code == second.status_code == 403
    assert second.json() == first.json()


def test_a_retry_while_the_first_is_running_is_a_409(tree, partner_a):
    client, api = partner_a
    from portal.api_idempotency import fingerprint

    body = _body(tree)
    import json

    IdempotencyRecord.objects.create(
        client=client,
        key="busy",
        fingerprint=fingerprint(
            method="POST", path="/api/v1/needs/", body=json.dumps(body).encode()
        ),
        created_at=timezone.now(),
    )

    response = _post(api, body, "busy")

    assert response.status_code == 409
    assert response.json()["error"]["code"] in {"idempotency_in_progress", "idempotency_key_reused"}
    assert not Need.objects.exists()


def test_an_expired_key_may_be_used_afresh(tree, partner_a):
    client, api = partner_a
    _post(api, _body(tree), "old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - TTL - timedelta(minutes=1))

    response = _post(api, _body(tree, title="新的"), "old")

    assert response.status_code == 201
    assert Need.objects.count() == 2


def test_expired_keys_are_purged(tree, api_a):
    _post(api_a, _body(tree), "old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - TTL - timedelta(minutes=1))

    assert purge_expired() == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_transition_is_idempotent_too(tree, api_a):
    from tests.factories import NeedFactory

    need = NeedFactory(community=tree["a"])
    url = f"/api/v1/needs/{need.pk}/transition/"

    first = api_a.post(url, {"action": "accept"}, format="json", HTTP_IDEMPOTENCY_KEY="t1")
    second = api_a.post(url, {"action": "accept"}, format="json", HTTP_IDEMPOTENCY_KEY="t1")

    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "accepted"
