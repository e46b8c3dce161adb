"""The beat schedule lives in the database: seeded defaults, edits apply, sends are recorded."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.beat import DatabaseScheduler
from portal.celery import app
from portal.models import ScheduledJob


def _scheduler():
    return DatabaseScheduler(app=app, lazy=True)


def test_the_default_schedule_is_seeded(db):
    rows = dict(ScheduledJob.objects.values_list("name", "task"))
    assert (
        rows.items()
        >= {
            "matching-nightly": "resources.match_all_streets",
            "points-nightly": "evaluation.award_points",
            "response-clock": "resources.response_clock",
        }.items()
    )
    assert ScheduledJob.objects.get(name="response-clock").cron == "*/15 * * * *"


def test_the_scheduler_reads_enabled_rows_only(db):
    ScheduledJob.objects.filter(name="points-nightly").update(enabled=False)
    scheduler = _scheduler()
    scheduler.setup_schedule()
    assert set(scheduler.schedule) == set(
        ScheduledJob.objects.filter(enabled=True).values_list("name", flat=True)
    )
    assert "points-nightly" not in scheduler.schedule
    assert {"matching-nightly", "response-clock"} <= set(scheduler.schedule)


def test_a_due_entry_is_sent_and_the_send_is_recorded(db):
    ScheduledJob.objects.exclude(name="response-clock").update(enabled=False)
    earlier = timezone.now() - timedelta(minutes=20)
    ScheduledJob.objects.filter(name="response-clock").update(last_run_at=earlier)
    scheduler = _scheduler()
    scheduler.setup_schedule()
    with mock.patch.object(scheduler, "apply_async") as send:
        scheduler.tick()
        scheduler.tick()
    entry = send.call_args.args[0]
    assert entry.task == "resources.response_clock"
    row = ScheduledJob.objects.get(name="response-clock")
    assert row.total_run_count == 1
    assert row.last_run_at > earlier


def test_an_entry_not_due_is_not_sent(db):
    ScheduledJob.objects.exclude(name="matching-nightly").update(enabled=False)
    ScheduledJob.objects.filter(name="matching-nightly").update(last_run_at=timezone.now())
    scheduler = _scheduler()
    scheduler.setup_schedule()
    with mock.patch.object(scheduler, "apply_async") as send:
        scheduler.tick()
    send.assert_not_called()


def test_a_new_row_is_anchored_once_so_its_due_time_does_not_slide(db):
    ScheduledJob.objects.update(last_run_at=None)
    scheduler = _scheduler()
    scheduler.setup_schedule()
    anchored = ScheduledJob.objects.get(name="response-clock").last_run_at
    assert anchored is not None
    scheduler._load()
    assert ScheduledJob.objects.get(name="response-clock").last_run_at == anchored


def test_an_edited_schedule_is_picked_up_on_reload(db):
    scheduler = _scheduler()
    scheduler.setup_schedule()
    ScheduledJob.objects.filter(name="matching-nightly").update(hour="4")
    scheduler._loaded_at -= scheduler.max_interval + 1
    assert scheduler.schedule["matching-nightly"].schedule.hour == {4}


@pytest.mark.parametrize(
    ("field", "value"), [("minute", "61"), ("hour", "x"), ("task", "no.such.task")]
)
def test_an_invalid_row_is_refused_with_a_message(db, field, value):
    row = ScheduledJob.objects.get(name="matching-nightly")
    setattr(row, field, value)
    with pytest.raises(ValidationError):
        row.full_clean()
