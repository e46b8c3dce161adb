import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from portal import webhooks
from portal.models import PartnerScope, WebhookDelivery, WebhookEvent
from portal.tasks import send_due_webhooks
from resources.services import transition_need
from tests.api.conftest import api_for
from tests.api.conftest import submit_need_in as _submit

pytestmark = pytest.mark.django_db


def test_a_new_need_is_delivered_signed_to_a_subscriber_of_its_area(
    tree, subscribed, receiver, django_capture_on_commit_callbacks
):
    subscription, secret = subscribed("a")
    fake = receiver(200)

    with django_capture_on_commit_callbacks(execute=True):
        need = _submit(tree)

    ((url, body, headers),) = fake.calls
    assert url == subscription.url
    assert headers["X-Baodao-Event"] == "need.created"
    assert webhooks.verify(
        secret=secret,
        timestamp=int(headers["X-Baodao-Timestamp"]),
        body=body,
        signature=headers["X-Baodao-Signature"],
        now=int(timezone.now().timestamp()),
    )
    document = json.loads(body)
    assert document["type"] == "need.created"
    assert document["data"]["tracking_number"] == need.tracking_number
    assert "13812345678" not in body.decode()
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"a":1}'

    signature = webhooks.sign(secret="s3cret", timestamp=1700000000, body=body)

    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"


def test_a_tampered_body_or_stale_timestamp_fails_verification():
    signature = webhooks.sign(secret="k", timestamp=1000, body=b"{}")

    assert not webhooks.verify(
        secret="k", timestamp=1000, body=b"{ }", signature=signature, now=1000
    )
    assert not webhooks.verify(
        secret="k", timestamp=1000, body=b"{}", signature=signature, now=2000
    )
    assert webhooks.verify(secret="k", timestamp=1000, body=b"{}", signature=signature, now=1100)


def test_a_subscriber_of_another_area_gets_nothing(tree, subscribed, receiver):
    subscribed("b")
    receiver(200)

    _submit(tree, "a")

    assert not WebhookEvent.objects.exists()


def test_a_subscriber_without_the_read_scope_gets_nothing(tree, subscribed, receiver):
    subscribed("a", scopes=[PartnerScope.WEBHOOKS])
    receiver(200)

    _submit(tree, "a")

    assert not WebhookDelivery.objects.exists()


def test_only_the_subscribed_events_are_sent(tree, subscribed, receiver, worker):
    subscribed("a", events=["need.status_changed"])
    receiver(200)
    need = _submit(tree)
    assert not WebhookEvent.objects.exists()

    transition_need(need=need, action="accept", by=worker)

    event = WebhookEvent.objects.get()
    assert event.event_type == "need.status_changed"
    assert event.payload["status"] == "accepted"
    assert event.payload["from"] == "submitted"


def test_a_rolled_back_change_leaves_no_event_and_sends_nothing(
    tree, subscribed, receiver, django_capture_on_commit_callbacks
):
    subscribed("a")
    fake = receiver(200)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _submit(tree)
            raise RuntimeError

    assert not WebhookEvent.objects.exists()
    assert fake.calls == []


def test_a_failed_attempt_is_retried_with_doubling_backoff(tree, subscribed, receiver):
    subscribed("a")
    receiver(500)
    _submit(tree)
    delivery = WebhookDelivery.objects.get()
    start = timezone.now()

    first = webhooks.deliver(delivery.pk, now=start)
    assert first.status == WebhookDelivery.Status.RETRYING
    assert first.next_attempt_at == start + timedelta(seconds=30)
    assert first.last_status_code == 500

    second = webhooks.deliver(delivery.pk, now=first.next_attempt_at)
    assert second.attempts == 2
    assert second.next_attempt_at == first.next_attempt_at + timedelta(seconds=60)


def test_a_network_error_counts_as_a_failed_attempt(tree, subscribed, receiver):
    subscribed("a")
    receiver(OSError("connection refused"))
    _submit(tree)

    delivery = webhooks.deliver(WebhookDelivery.objects.get().pk)

    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.last_error == "connection failed"


def test_a_delivery_fails_for_good_after_the_last_attempt(tree, subscribed, receiver):
    subscribed("a")
    receiver(503)
    _submit(tree)
    delivery = WebhookDelivery.objects.get()
    moment = timezone.now()

    for _ in range(webhooks.MAX_ATTEMPTS):
        delivery = webhooks.deliver(delivery.pk, now=moment)
        moment = delivery.next_attempt_at or moment

    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert webhooks.deliver(delivery.pk) is None


def test_the_backoff_is_capped():
    assert webhooks.backoff(1) == timedelta(seconds=30)
    assert webhooks.backoff(3) == timedelta(minutes=2)
    assert webhooks.backoff(30) == webhooks.BACKOFF_MAX


def test_the_sweep_sends_only_due_deliveries(tree, subscribed, receiver):
    subscribed("a")
    fake = receiver(500, 200)
    _submit(tree)
    delivery = webhooks.deliver(WebhookDelivery.objects.get().pk)
    calls_before = len(fake.calls)

    assert webhooks.due_deliveries(now=timezone.now()) == []
    assert webhooks.due_deliveries(now=delivery.next_attempt_at) == [delivery.pk]

    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert send_due_webhooks.delay().get() == 1
    assert len(fake.calls) == calls_before + 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_a_delivery_to_a_stopped_subscription_fails_without_sending(tree, subscribed, receiver):
    subscription, _secret = subscribed("a")
    fake = receiver(200)
    _submit(tree)
    webhooks.unsubscribe(client=subscription.client, subscription=subscription)

    assert webhooks.deliver(WebhookDelivery.objects.get().pk) is None
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
    assert fake.calls == []


def test_completing_a_project_emits_project_completed(tree, subscribed, receiver, secretary):
    from resources.services import transition_project
    from tests.factories import ProjectFactory, TaskFactory

    subscribed("a")
    receiver(200)
    project = ProjectFactory(area=tree["a"], owner=secretary, status="in_progress")
    TaskFactory(project=project, progress=100)

    transition_project(project=project, action="complete", by=secretary)

    assert WebhookEvent.objects.get().event_type == "project.completed"


# --- through the API ----------------------------------------------------------------------------


def test_a_partner_subscribes_and_sees_the_secret_once(tree, api_a):
    response = api_a.post(
        "/api/v1/webhooks/",
        {"url": "https://partner.example/hook", "events": ["need.created"]},
        format="json",
    )

    assert response.status_code == 201
    assert len(response.json()["secret"]) == 64
    listed = api_a.get("/api/v1/webhooks/").json()["results"]
    assert "secret" not in listed[0]


def test_an_unknown_event_names_the_field(tree, api_a):
    response = api_a.post(
        "/api/v1/webhooks/", {"url": "https://x.example/", "events": ["nope"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"events.0": ['"nope" is not a valid choice.']}


def test_a_partner_lists_its_deliveries_with_status_and_not_others(
    tree, partner_a, make_partner, receiver, django_assert_max_num_queries
):
    client, api = partner_a
    webhooks.subscribe(client=client, url="https://a.example/", events=["need.created"])
    other, _key = make_partner("a")
    webhooks.subscribe(client=other, url="https://b.example/", events=["need.created"])
    receiver(500)
    for _ in range(3):
        _submit(tree)

    with django_assert_max_num_queries(6):
        rows = api.get("/api/v1/webhook-deliveries/").json()["results"]

    assert len(rows) == 3
    assert {row["event_type"] for row in rows} == {"need.created"}
    assert WebhookDelivery.objects.count() == 6


def test_a_partner_asks_for_a_failed_delivery_again(
    tree, partner_a, receiver, django_capture_on_commit_callbacks
):
    client, api = partner_a
    webhooks.subscribe(client=client, url="https://a.example/", events=["need.created"])
    fake = receiver(500, 200)
    _submit(tree)
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 202
    assert len(fake.calls) == 2
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_webhook_endpoints_need_the_webhook_scope(tree, make_partner):
    _client, key = make_partner("a", scopes=[PartnerScope.NEEDS_READ])

    response = api_for(key).get("/api/v1/webhooks/")

    assert response.status_code == 403


def test_accepting_a_match_emits_match_accepted_and_the_status_change(
    tree, subscribed, receiver, worker
):
    from resources.models import Match
    from resources.services.matches import accept_match
    from tests.factories import ResourceFactory

    subscribed("a")
    receiver(200)
    need = _submit(tree)
    match = Match.objects.create(
        need=need, resource=ResourceFactory(area=tree["a"]), score=800, proposed_at=timezone.now()
    )

    accept_match(match=match, by=worker)

    kinds = list(WebhookEvent.objects.order_by("id").values_list("event_type", flat=True))
    assert kinds == ["need.created", "need.status_changed", "need.status_changed", "match.accepted"]
    assert WebhookEvent.objects.get(event_type="match.accepted").payload["id"] == match.pk
