"""Background jobs of the platform core: webhook deliveries and their retries. Thin wrappers
around portal.webhooks; each looks its work up again by id, so running twice is harmless."""

from __future__ import annotations

from celery import shared_task

from portal import webhooks
from portal.api_idempotency import purge_expired
from portal.jobs import JobTask, local_day_key, run_job
from portal.models import JobRun


@shared_task(base=JobTask, bind=True, name="portal.deliver_webhook")
def deliver_webhook(self, delivery_id: int) -> str | None:
    """One attempt at one delivery; a failed attempt is scheduled again by the delivery itself
    (``next_attempt_at``) and picked up by ``send_due_webhooks``, not by a Celery retry."""
    delivery = webhooks.deliver(delivery_id)
    return delivery.status if delivery else None


@shared_task(base=JobTask, bind=True, name="portal.send_due_webhooks")
def send_due_webhooks(self) -> int:
    """Every minute: queue the deliveries whose next attempt is due; drop old idempotency keys.

    A delivery in flight is not due (taking an attempt moves ``next_attempt_at`` on), so it is
    not queued again. One still waiting in a lagging queue may be queued twice, as may a task
    redelivered after a lost worker (``acks_late``): the delivery has no "queued" state to tell,
    but only the first task to run finds it due; the others do nothing."""
    due = webhooks.due_deliveries()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    purge_expired()
    return len(due)


@shared_task(base=JobTask, bind=True, name="portal.archive_logs")
def archive_logs(self, run_key: str = "", trigger: str = JobRun.Trigger.SCHEDULE) -> int | None:
    """Nightly: move audit events and sign-in logs past their retention to archive files
    (portal.retention). Returns the run id (None when today's run already happened)."""
    from portal.retention import archive_logs as archive

    run = run_job(
        job="archive_logs",
        run_key=run_key or local_day_key(),
        trigger=trigger,
        task_id=self.request.id or "",
        work=lambda run: archive(),
    )
    return run.pk if run else None
