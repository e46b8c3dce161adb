"""One due delivery is POSTed once, however many tasks for it run (the sweep queuing it again
while the queue lags, a late-ack redelivery)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal import webhooks
from portal.models import WebhookDelivery
from portal.tasks import send_due_webhooks
from tests.api.conftest import submit_need_in

pytestmark = pytest.mark.django_db


def test_three_attempts_at_one_due_delivery_post_it_once(tree, subscribed, receiver):
    subscribed("a")
    fake = receiver(500)
    submit_need_in(tree)
    delivery_id = WebhookDelivery.objects.get().pk

    results = [webhooks.deliver(delivery_id) for _ in range(3)]

    assert len(fake.calls) == 1
    assert results[0].status == WebhookDelivery.Status.RETRYING
    assert results[1:] == [None, None]
    assert WebhookDelivery.objects.get().attempts == 1


def test_a_task_for_a_delivery_in_flight_does_nothing(tree, subscribed, monkeypatch):
    subscribed("a")
    submit_need_in(tree)
    delivery_id = WebhookDelivery.objects.get().pk
    posts, during = [], []

    def slow_partner(url, body, headers):
        posts.append(url)
        during.append(webhooks.deliver(delivery_id))
        return 200

    monkeypatch.setattr(webhooks, "transport", slow_partner)

    webhooks.deliver(delivery_id)

    assert len(posts) == 1
    assert during == [None]


def test_a_failed_delivery_is_not_tried_again_before_its_time(tree, subscribed, receiver):
    subscribed("a")
    fake = receiver(500)
    submit_need_in(tree)
    start = timezone.now()
    first = webhooks.deliver(WebhookDelivery.objects.get().pk, now=start)

    again = webhooks.deliver(first.pk, now=first.next_attempt_at - timedelta(seconds=1))

    assert again is None
    assert len(fake.calls) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_a_delivery_queued_by_the_sweep_while_its_first_task_waits_is_posted_once(
    tree, subscribed, receiver, django_capture_on_commit_callbacks
):
    subscribed("a")
    fake = receiver(500)
    with django_capture_on_commit_callbacks(execute=False) as first_task:
        submit_need_in(tree)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    send_due_webhooks.delay().get()
    send_due_webhooks.delay().get()
    for queued in first_task:
        queued()

    assert len(fake.calls) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_an_attempt_in_flight_is_not_due_for_the_sweep(tree, subscribed, receiver):
    subscribed("a")
    receiver(200)
    submit_need_in(tree)
    now = timezone.now()

    webhooks._claim_attempt(WebhookDelivery.objects.get().pk, now)

    assert webhooks.due_deliveries(now=now + timedelta(seconds=90)) == []
