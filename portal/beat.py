"""A Celery beat scheduler that reads its schedule from ``portal.models.ScheduledJob``.

Operators edit the schedule in the admin; the running beat rereads the table at least every
``beat_max_loop_interval`` seconds, so a change applies within a minute without a restart.
The time each entry was last sent is written back, so a restarted beat neither repeats nor
skips a run. (django-celery-beat does the same for many schedule kinds but does not support
Django 6.1 yet; this project needs crontab entries only.)
"""

from __future__ import annotations

import logging
import time

from celery.beat import ScheduleEntry, Scheduler
from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger("baodao.beat")


class DatabaseScheduler(Scheduler):
    """Beat entries come from the enabled ``ScheduledJob`` rows."""

    Entry = ScheduleEntry

    def __init__(self, *args, **kwargs) -> None:
        self._entries: dict[str, ScheduleEntry] = {}
        self._loaded_at: float | None = None
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        self._load()

    def _load(self) -> None:
        from portal.models import ScheduledJob

        # A long-running beat must not keep a connection the database has dropped (outside a
        # transaction only: inside one, as in tests, closing would break it).
        if not connection.in_atomic_block:
            close_old_connections()
        now = timezone.now()
        entries: dict[str, ScheduleEntry] = {}
        for row in ScheduledJob.objects.filter(enabled=True):
            if row.last_run_at is None:
                # Anchor a new row once, so the next due time does not slide with every reload.
                ScheduledJob.objects.filter(pk=row.pk, last_run_at__isnull=True).update(
                    last_run_at=now
                )
                row.last_run_at = now
            try:
                schedule = row.schedule(app=self.app)
            except (ValueError, TypeError):
                logger.error("scheduled job %s has an invalid schedule %r; skipped", row, row.cron)
                continue
            entries[row.name] = self.Entry(
                name=row.name,
                task=row.task,
                schedule=schedule,
                kwargs=row.kwargs or {},
                options={},
                last_run_at=row.last_run_at,
                total_run_count=row.total_run_count,
                app=self.app,
            )
        self._entries = entries
        self._loaded_at = time.monotonic()

    @property
    def schedule(self) -> dict[str, ScheduleEntry]:
        if self._loaded_at is None or time.monotonic() - self._loaded_at >= self.max_interval:
            self._load()
        return self._entries

    def reserve(self, entry: ScheduleEntry) -> ScheduleEntry:
        """Advance the entry and record the send in the table before the task goes out."""
        from portal.models import ScheduledJob

        new_entry = super().reserve(entry)
        ScheduledJob.objects.filter(name=entry.name).update(
            last_run_at=new_entry.last_run_at, total_run_count=new_entry.total_run_count
        )
        return new_entry

    def sync(self) -> None:
        # Every send is written in reserve(); nothing is buffered.
        return None

    @property
    def info(self) -> str:
        return "    . db -> portal.ScheduledJob"
