"""Scoped reads for check-in: organiser pages through ``scope``, members' own data by owner."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from portal.access import Action, can, scope
from portal.errors import PermissionDenied
from reporting.hours import total_hours
from reporting.models import Activity, CheckIn, Enrollment, EnrollmentStatus, PartyMember

DEVICE_ANOMALY_MEMBERS = 3


def get_activity_for_checkin(*, pk: int) -> Activity:
    """The activity a QR link names. Reached by the signed token, not by area roles."""
    return get_object_or_404(Activity.objects.select_related("community"), pk=pk)


def get_attendance_activity(*, user, pk: int, manage: bool = False) -> Activity:
    """An activity in the user's view; 403 unless they may see (or ``manage``) attendance."""
    activity = get_object_or_404(
        scope(Activity.objects.select_related("community"), user, Action.ACTIVITY_VIEW), pk=pk
    )
    allowed = can(user, Action.ACTIVITY_MANAGE, area=activity.community) or (
        not manage and can(user, Action.SERVICE_VIEW, area=activity.community)
    )
    if not allowed:
        raise PermissionDenied()
    return activity


def get_checkin_for_staff(*, user, pk: int) -> CheckIn:
    """A check-in in the user's oversight reach (actions then check ACTIVITY_MANAGE)."""
    return get_object_or_404(
        scope(CheckIn.objects.select_related("activity__community"), user, Action.SERVICE_VIEW),
        pk=pk,
    )


def attendance_for(activity: Activity) -> QuerySet[CheckIn]:
    """Every check-in of one activity, with the people named on the page."""
    return (
        CheckIn.objects.filter(activity=activity)
        .select_related("member__user", "created_by", "confirmed_by")
        .order_by("checked_in_at", "id")
    )


def proxy_candidates(activity: Activity) -> QuerySet[PartyMember]:
    """Members enrolled (confirmed or active) with the activity's community that year."""
    year = timezone.localdate(activity.starts_at).year
    enrolled = Enrollment.objects.filter(
        community=activity.community,
        year=year,
        status__in=[EnrollmentStatus.CONFIRMED, EnrollmentStatus.ACTIVE],
        member__isnull=False,
    ).values("member_id")
    return (
        PartyMember.objects.filter(pk__in=enrolled)
        .exclude(checkins__activity=activity)
        .select_related("user")
        .order_by("user__real_name", "id")
    )


# --- anomalies --------------------------------------------------------------------------------

ANOMALY_KINDS = ("outside_geofence", "shared_device", "hours_capped", "no_checkout")


def _flag(name: str) -> Q:
    # JSON list membership that works on SQLite and PostgreSQL alike.
    return Q(flags_text__contains=f'"{name}"')


def shared_devices(*, user) -> set[tuple[str, object]]:
    """(device id, day) pairs from which several members checked in, in the user's reach."""
    rows = (
        scope(CheckIn.objects.all(), user, Action.SERVICE_VIEW)
        .exclude(status=CheckIn.Status.VOIDED)
        .exclude(device_id="")
        .annotate(day=TruncDate("checked_in_at"))
        .values("device_id", "day")
        .annotate(members=Count("member", distinct=True))
        .filter(members__gte=DEVICE_ANOMALY_MEMBERS)
        .values_list("device_id", "day")
    )
    return set(rows)


def anomalies_for(
    *, user, now: datetime, shared: set[tuple[str, object]], kind: str = ""
) -> QuerySet[CheckIn]:
    """Check-ins in the user's oversight reach that an organiser should look at.

    ``shared`` is ``shared_devices(user=user)``: check-ins from those devices on those days.
    """
    device_q = Q(pk__in=[])
    for device_id, day in shared:
        device_q |= Q(device_id=device_id, checked_in_at__date=day)
    conditions = {
        "outside_geofence": _flag("outside_geofence"),
        "shared_device": device_q,
        "hours_capped": _flag("hours_capped"),
        "no_checkout": Q(checked_out_at__isnull=True, activity__ends_at__lt=now),
    }
    if kind in conditions:
        condition = conditions[kind]
    else:
        condition = Q(pk__in=[])
        for q in conditions.values():
            condition |= q
    return (
        scope(CheckIn.objects.all(), user, Action.SERVICE_VIEW)
        .exclude(status=CheckIn.Status.VOIDED)
        .annotate(flags_text=Cast("flags", output_field=TextField()))
        .filter(condition)
        .select_related("activity__community", "member__user")
        .order_by("-checked_in_at", "-id")
    )


def anomaly_kinds(checkin: CheckIn, *, now: datetime, shared: set) -> list[str]:
    """Why one row of ``anomalies_for`` is on the list."""
    kinds = [flag for flag in ("outside_geofence", "hours_capped") if flag in checkin.flags]
    if (checkin.device_id, timezone.localdate(checkin.checked_in_at)) in shared:
        kinds.append("shared_device")
    if checkin.checked_out_at is None and checkin.activity.ends_at < now:
        kinds.append("no_checkout")
    return kinds


# --- a member's own ---------------------------------------------------------------------------


def member_checkins(*, member: PartyMember) -> QuerySet[CheckIn]:
    """The member's own check-ins, newest first."""
    return (
        CheckIn.objects.filter(member=member)
        .select_related("activity__community")
        .order_by("-checked_in_at", "-id")
    )


def member_records(*, member: PartyMember):
    """The member's own service records (corrections included), newest first."""
    return member.service_records.select_related("activity", "corrects").order_by(
        "-service_date", "-id"
    )


def member_hours_total(*, member: PartyMember, year: int) -> Decimal:
    """Verified hours of the member in ``year``: the plain sum, corrections included."""
    return total_hours(member.service_records.filter(service_date__year=year))
