"""Service records: verified hours, append-only.

A record is never changed. A correction is a new record that references the latest record of
the same attendance (``corrects``) and carries the *difference* in hours (negative when hours
go down) with the corrected times, so the hours of any set of records are their plain sum. A
voided attendance gets a correction that brings its sum to zero.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from portal import audit
from reporting.models import CheckIn, ServiceRecord


def recorded_hours(checkin: CheckIn) -> Decimal:
    """The hours the records of one attendance add up to (corrections included)."""
    total = ServiceRecord.objects.filter(checkin=checkin).aggregate(total=Sum("hours"))["total"]
    return total or Decimal("0")


def latest_record_for(checkin: CheckIn) -> ServiceRecord | None:
    """The newest record of a confirmed attendance, which the next correction references."""
    return ServiceRecord.objects.filter(checkin=checkin).order_by("-id").first()


def _audit_created(record: ServiceRecord, *, by) -> None:
    audit.record(
        action="service_record.created",
        actor=by,
        obj=record,
        area=record.community,
        data={
            "member": record.member_id,
            "activity": record.activity_id,
            "checkin": record.checkin_id,
            "date": record.service_date.isoformat(),
            "hours": str(record.hours),
            "corrects": record.corrects_id,
            "reason": record.reason,
        },
    )


def create_service_record(*, checkin: CheckIn, by) -> ServiceRecord:
    """The record of a confirmed check-in: volunteer, organisation, place, date, times, hours."""
    activity = checkin.activity
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            member=checkin.member,
            activity=activity,
            checkin=checkin,
            community=activity.community,
            organisation=activity.community.name,
            place=activity.venue,
            service_date=timezone.localdate(checkin.checked_in_at),
            started_at=checkin.checked_in_at,
            ended_at=checkin.checked_out_at,
            hours=checkin.hours,
            confirmed_by=by,
        )
        _audit_created(record, by=by)
    return record


def correct_service_record(
    *,
    checkin: CheckIn,
    by,
    reason: str,
    started_at: datetime,
    ended_at: datetime,
    hours: Decimal,
) -> ServiceRecord | None:
    """Append a correction so the attendance's records add up to ``hours``; None if none yet."""
    with transaction.atomic():
        latest = latest_record_for(checkin)
        if latest is None:
            return None
        before = recorded_hours(checkin)
        difference = hours - before
        correction = ServiceRecord.objects.create(
            member=latest.member,
            activity=latest.activity,
            checkin=checkin,
            community=latest.community,
            organisation=latest.organisation,
            place=latest.place,
            # The difference belongs to the day of the records it corrects.
            service_date=latest.service_date,
            started_at=started_at,
            ended_at=ended_at,
            hours=difference,
            confirmed_by=by,
            corrects=latest,
            reason=reason,
        )
        _audit_created(correction, by=by)
        audit.record(
            action="service_record.corrected",
            actor=by,
            obj=latest,
            area=latest.community,
            data={
                "by_record": correction.pk,
                "hours_before": str(before),
                "hours_after": str(hours),
                "difference": str(difference),
                "reason": reason,
            },
        )
    return correction
