"""A real Celery worker on Redis runs the matching and points tasks.

The worker runs in a thread of this process (celery.contrib.testing) and talks to Redis over
the network like a deployed one; tasks go through the broker, not the eager shortcut. Skipped
without REDIS_URL, except in CI (BAODAO_REQUIRE_REDIS=1), where a skip would hide a failure.
"""

from __future__ import annotations

import os
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from evaluation.models import PointEntry
from evaluation.tasks import award_points
from portal.celery import app
from portal.models import JobRun
from resources.models import Match
from resources.tasks import match_area
from tests.factories import (
    NeedFactory,
    ResourceFactory,
    category,
    make_party_member,
    make_service_record,
)

REDIS_URL = os.environ.get("REDIS_URL", "")

if not REDIS_URL:
    if os.environ.get("BAODAO_REQUIRE_REDIS") == "1":
        pytest.fail("REDIS_URL is not set but BAODAO_REQUIRE_REDIS=1", pytrace=False)
    pytest.skip("needs REDIS_URL", allow_module_level=True)


@pytest.fixture
def redis_worker(transactional_db):
    """A worker consuming a queue of its own on Redis; tasks sent there really travel."""
    queue = f"baodao-test-{uuid.uuid4().hex[:8]}"
    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_default_queue=queue,
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
            yield queue
    finally:
        app.conf.update(saved)


def test_the_worker_runs_matching_through_redis(redis_worker, tree):
    meals = category("meals")
    NeedFactory(community=tree["a"], category=meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    result = match_area.apply_async(args=[tree["street1"].pk], kwargs={"run_key": "redis"})
    run_id = result.get(timeout=60)
    run = JobRun.objects.get(pk=run_id)
    assert run.status == JobRun.Status.SUCCEEDED and run.task_id == result.id
    assert run.counts["proposals"] == 1
    assert Match.objects.filter(status=Match.Status.PROPOSED).count() == 1


def test_the_same_points_task_delivered_twice_awards_once(redis_worker, tree):
    member = make_party_member(tree["a"])
    make_service_record(member, hours="3")
    task_id = f"points-{uuid.uuid4().hex}"
    first = award_points.apply_async(kwargs={"run_key": "night"}, task_id=task_id)
    assert first.get(timeout=60) is not None
    entries = list(PointEntry.objects.values_list("source_key", "points"))
    assert len(entries) == 1
    # acks_late: a worker that died after the work but before the ack gets the same task again.
    # (Its result would read as the first delivery's, stored under the same id, so the next
    # task on this one-at-a-time worker is what tells us the second delivery is done.)
    award_points.apply_async(kwargs={"run_key": "night"}, task_id=task_id)
    # Even a new unit of work (another night) finds nothing left to award for that record.
    other_night = award_points.apply_async(kwargs={"run_key": "next-night"})
    assert other_night.get(timeout=60) is not None
    assert list(PointEntry.objects.values_list("source_key", "points")) == entries
    assert JobRun.objects.get(run_key="night").attempts == 1
    assert JobRun.objects.get(run_key="next-night").counts.get("service_hour", 0) == 0
