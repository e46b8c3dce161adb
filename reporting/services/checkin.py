"""Check-in and check-out at activities, and what organisers do with them.

Decisions worth knowing:

* Geofence: a check-in is never refused for its location. Outside the radius it is recorded
  with the flag ``outside_geofence`` and status *pending* (the organiser confirms or voids it);
  without a live location consent it is recorded *pending* with ``no_location_consent`` and no
  coordinates are read at all; with consent but no position from the phone, ``no_location``.
* After check-out a check-in awaits the organiser's confirmation (*pending*); confirming it
  creates the service record. Proxy check-ins are *pending* too, flagged ``proxy``.
* Hours = check-out − check-in, capped at the activity's length and at the daily cap minus
  the hours of the member's other check-ins that day (``hours_capped`` when cut).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.services import get_setting
from reporting import geo, tokens
from reporting.hours import HOURS_QUANTUM
from reporting.models import (
    Activity,
    CheckIn,
    Enrollment,
    EnrollmentStatus,
    LocationConsent,
    PartyMember,
)
from reporting.services.records import correct_service_record, create_service_record

ENROLLED = [EnrollmentStatus.CONFIRMED, EnrollmentStatus.ACTIVE]
COORD_QUANTUM = Decimal("0.0001")


# --- helpers ------------------------------------------------------------------------------


def has_location_consent(user) -> bool:
    """Has ``user`` a live (not revoked) consent to location use at check-in?"""
    return LocationConsent.objects.filter(user=user, revoked_at__isnull=True).exists()


def _year(activity: Activity) -> int:
    """Settings are per area and year: the year the activity takes place in."""
    return timezone.localtime(activity.starts_at).year


def _window(activity: Activity) -> tuple[datetime, datetime]:
    before = int(
        get_setting("checkin.window_before_minutes", area=activity.community, year=_year(activity))
    )
    return activity.starts_at - timedelta(minutes=before), activity.ends_at


def _daily_cap(activity: Activity) -> Decimal:
    return Decimal(
        str(get_setting("checkin.daily_cap_hours", area=activity.community, year=_year(activity)))
    )


def _hours_between(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / 3600).quantize(HOURS_QUANTUM, ROUND_HALF_UP)


def _hours_elsewhere_that_day(checkin_member: PartyMember, day, *, exclude_pk=None) -> Decimal:
    qs = CheckIn.objects.filter(
        member=checkin_member, checked_in_at__date=day, hours__isnull=False
    ).exclude(status=CheckIn.Status.VOIDED)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("hours"))["total"] or Decimal("0")


def capped_hours(
    *, activity: Activity, member: PartyMember, start: datetime, end: datetime, exclude_pk=None
) -> tuple[Decimal, bool]:
    """(hours served between ``start`` and ``end`` after both caps, whether a cap cut them)."""
    raw = _hours_between(start, end)
    length = _hours_between(activity.starts_at, activity.ends_at)
    room = _daily_cap(activity) - _hours_elsewhere_that_day(
        member, timezone.localdate(start), exclude_pk=exclude_pk
    )
    hours = max(Decimal("0"), min(raw, length, room))
    return hours, hours < raw


def _require_manage(by, activity: Activity) -> None:
    if not can(by, Action.ACTIVITY_MANAGE, area=activity.community):
        raise PermissionDenied(_("You cannot manage this activity's attendance."))


def _require_enrolled(activity: Activity, member: PartyMember) -> None:
    year = timezone.localdate(activity.starts_at).year
    enrolled = Enrollment.objects.filter(
        member=member, community=activity.community, year=year, status__in=ENROLLED
    ).exists()
    if not enrolled:
        raise InvalidInput(
            _("You are not enrolled with %(community)s for %(year)s, so you cannot check in here.")
            % {"community": activity.community.name, "year": year},
            code="not_enrolled",
        )


def _require_not_cancelled(activity: Activity) -> None:
    if activity.status == Activity.Status.CANCELLED:
        raise IllegalTransition(_("This activity was cancelled."), code="cancelled")


def _require_token(activity: Activity, token: str, now: datetime) -> None:
    result = tokens.check_token(activity, token, now)
    if not result.genuine:
        raise InvalidInput(_("This check-in code is not valid."), code="token_invalid")
    if not result.fresh:
        raise InvalidInput(
            _("This check-in code has expired. Scan the code on the organiser's screen again."),
            code="token_expired",
        )


def _add_flag(checkin: CheckIn, flag: str) -> None:
    if flag not in checkin.flags:
        checkin.flags = [*checkin.flags, flag]


def _round_coord(value) -> Decimal:
    return Decimal(str(value)).quantize(COORD_QUANTUM, ROUND_HALF_UP)


def _audit(action: str, checkin: CheckIn, *, by, **data) -> None:
    audit.record(
        action=action,
        actor=by,
        obj=checkin,
        area=checkin.activity.community,
        data={"activity": checkin.activity_id, "member": checkin.member_id, **data},
    )


# --- member: check in, check out -------------------------------------------------------------


def check_in(
    *,
    activity: Activity,
    member: PartyMember,
    token: str,
    now: datetime,
    latitude=None,
    longitude=None,
    device_id: str = "",
    idempotency_key: str | None = None,
) -> CheckIn:
    """Check ``member`` in to ``activity`` with a scanned QR token; a retry returns the same row."""
    idempotency_key = idempotency_key or None
    if idempotency_key:
        earlier = CheckIn.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.activity_id == activity.pk and earlier.member_id == member.pk:
                return earlier
            raise Conflict(_("This form was already used; reload the page."), code="key_reused")
    _require_token(activity, token, now)
    _require_not_cancelled(activity)
    opens, closes = _window(activity)
    if now < opens:
        raise InvalidInput(
            _("Check-in opens at %(time)s.")
            % {"time": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M")},
            code="too_early",
        )
    if now > closes:
        raise InvalidInput(_("This activity has ended; check-in is closed."), code="too_late")
    _require_enrolled(activity, member)
    existing = (
        CheckIn.objects.filter(activity=activity, member=member)
        .exclude(status=CheckIn.Status.VOIDED)
        .first()
    )
    if existing is not None:
        raise Conflict(
            _("You already checked in at %(time)s.")
            % {"time": timezone.localtime(existing.checked_in_at).strftime("%H:%M")},
            code="already_checked_in",
        )
    if _hours_elsewhere_that_day(member, timezone.localdate(now)) >= _daily_cap(activity):
        raise InvalidInput(
            _("You have reached today's cap of %(hours)s service hours.")
            % {"hours": _daily_cap(activity)},
            code="daily_cap",
        )

    checkin = CheckIn(
        activity=activity,
        member=member,
        method=CheckIn.Method.QR,
        status=CheckIn.Status.OPEN,
        checked_in_at=now,
        device_id=(device_id or "")[:64],
        idempotency_key=idempotency_key,
        created_by=member.user,
    )
    if activity.has_geofence:
        if not has_location_consent(member.user):
            # Never read a location without consent; the organiser confirms instead.
            checkin.status = CheckIn.Status.PENDING
            _add_flag(checkin, "no_location_consent")
        elif latitude is None or longitude is None:
            checkin.status = CheckIn.Status.PENDING
            _add_flag(checkin, "no_location")
        else:
            checkin.latitude = _round_coord(latitude)
            checkin.longitude = _round_coord(longitude)
            distance = geo.haversine_m(
                float(checkin.latitude),
                float(checkin.longitude),
                float(activity.geofence_latitude),
                float(activity.geofence_longitude),
            )
            checkin.distance_m = round(distance)
            if distance > activity.geofence_radius_m:
                checkin.status = CheckIn.Status.PENDING
                _add_flag(checkin, "outside_geofence")
    try:
        with transaction.atomic():
            checkin.save()
            _audit(
                "checkin.created",
                checkin,
                by=member.user,
                method=checkin.method,
                flags=checkin.flags,
                distance_m=checkin.distance_m,
            )
    except IntegrityError:
        # A concurrent double tap: the other request won.
        if idempotency_key:
            earlier = CheckIn.objects.filter(
                idempotency_key=idempotency_key, activity=activity, member=member
            ).first()
            if earlier is not None:
                return earlier
        raise Conflict(_("You have already checked in."), code="already_checked_in") from None
    return checkin


def check_out(*, activity: Activity, member: PartyMember, token: str, now: datetime) -> CheckIn:
    """Check ``member`` out with a scanned QR token and work out the hours served."""
    _require_token(activity, token, now)
    _require_not_cancelled(activity)
    with transaction.atomic():
        checkin = (
            CheckIn.objects.select_for_update()
            .filter(activity=activity, member=member)
            .exclude(status=CheckIn.Status.VOIDED)
            .first()
        )
        if checkin is None:
            raise InvalidInput(
                _("You have not checked in to this activity, so you cannot check out."),
                code="not_checked_in",
            )
        if checkin.checked_out_at is not None:
            raise Conflict(
                _("You already checked out at %(time)s.")
                % {"time": timezone.localtime(checkin.checked_out_at).strftime("%H:%M")},
                code="already_checked_out",
            )
        if checkin.status == CheckIn.Status.CONFIRMED:
            raise IllegalTransition(_("The organiser has already confirmed your attendance."))
        out = max(now, checkin.checked_in_at)
        hours, capped = capped_hours(
            activity=activity,
            member=member,
            start=checkin.checked_in_at,
            end=out,
            exclude_pk=checkin.pk,
        )
        checkin.checked_out_at = out
        checkin.hours = hours
        checkin.status = CheckIn.Status.PENDING
        if capped:
            _add_flag(checkin, "hours_capped")
        checkin.save(update_fields=["checked_out_at", "hours", "status", "flags"])
        _audit("checkin.checked_out", checkin, by=member.user, hours=str(hours), capped=capped)
    return checkin


def grant_location_consent(*, user, now: datetime) -> LocationConsent:
    """Record the user's consent to location use at check-in (idempotent)."""
    with transaction.atomic():
        consent = LocationConsent.objects.filter(user=user, revoked_at__isnull=True).first()
        if consent is None:
            consent = LocationConsent.objects.create(user=user, granted_at=now)
            audit.record(action="location_consent.granted", actor=user, obj=consent)
    return consent


def revoke_location_consent(*, user, now: datetime) -> None:
    """Withdraw the user's consent; from now on no location is read at check-in."""
    with transaction.atomic():
        for consent in LocationConsent.objects.select_for_update().filter(
            user=user, revoked_at__isnull=True
        ):
            consent.revoked_at = now
            consent.save(update_fields=["revoked_at"])
            audit.record(action="location_consent.revoked", actor=user, obj=consent)


# --- organiser --------------------------------------------------------------------------------


def _lock(checkin: CheckIn) -> CheckIn:
    return (
        CheckIn.objects.select_for_update().select_related("activity__community").get(pk=checkin.pk)
    )


def confirm_checkin(*, checkin: CheckIn, by, now: datetime | None = None) -> CheckIn:
    """Confirm an attendance with its hours; this creates the service record."""
    _require_manage(by, checkin.activity)
    now = now or timezone.now()
    with transaction.atomic():
        checkin = _lock(checkin)
        if checkin.status not in (CheckIn.Status.OPEN, CheckIn.Status.PENDING):
            raise IllegalTransition(_("Only open or pending check-ins can be confirmed."))
        if checkin.checked_out_at is None or checkin.hours is None:
            raise InvalidInput(
                _("There is no check-out yet; correct the times before confirming."),
                code="no_checkout",
            )
        checkin.status = CheckIn.Status.CONFIRMED
        checkin.confirmed_by = by
        checkin.confirmed_at = now
        checkin.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        _audit("checkin.confirmed", checkin, by=by, hours=str(checkin.hours))
        create_service_record(checkin=checkin, by=by)
    return checkin


def correct_checkin(
    *,
    checkin: CheckIn,
    by,
    reason: str,
    hours: Decimal | None = None,
    checked_in_at: datetime | None = None,
    checked_out_at: datetime | None = None,
) -> CheckIn:
    """Correct times or hours with a reason; a confirmed one gets a correcting service record."""
    _require_manage(by, checkin.activity)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the correction."), field="reason")
    if hours is None and checked_in_at is None and checked_out_at is None:
        raise InvalidInput(_("Enter the corrected hours or times."), field="hours")
    with transaction.atomic():
        checkin = _lock(checkin)
        activity = checkin.activity
        if checkin.status == CheckIn.Status.VOIDED:
            raise IllegalTransition(_("A voided check-in cannot be corrected."))
        before = {
            "checked_in_at": checkin.checked_in_at.isoformat(),
            "checked_out_at": checkin.checked_out_at.isoformat()
            if checkin.checked_out_at
            else None,
            "hours": str(checkin.hours) if checkin.hours is not None else None,
        }
        start = checked_in_at or checkin.checked_in_at
        end = checked_out_at or checkin.checked_out_at
        if end is not None and end < start:
            raise InvalidInput(
                _("The check-out must not be before the check-in."), field="checked_out_at"
            )
        opens, closes = _window(activity)
        if not opens <= start <= closes:
            raise InvalidInput(
                _("The corrected check-in must fall within the activity's check-in window."),
                field="checked_in_at",
            )
        # Records, daily caps and certificates go by day: a correction never moves attendance
        # to another day (void it and check the member in by proxy instead).
        if timezone.localdate(start) != timezone.localdate(checkin.checked_in_at):
            raise InvalidInput(
                _("A correction cannot move the attendance to another day."),
                field="checked_in_at",
            )
        if hours is not None:
            most = min(
                _hours_between(activity.starts_at, activity.ends_at),
                _daily_cap(activity)
                - _hours_elsewhere_that_day(
                    checkin.member, timezone.localdate(start), exclude_pk=checkin.pk
                ),
            )
            most = max(most, Decimal("0"))
            if hours < 0 or hours > most:
                raise InvalidInput(
                    _(
                        "Hours must be between 0 and %(most)s: the activity's length and the "
                        "daily cap limit them."
                    )
                    % {"most": most},
                    field="hours",
                )
            new_hours = hours.quantize(HOURS_QUANTUM)
        elif end is not None:
            new_hours, capped = capped_hours(
                activity=activity,
                member=checkin.member,
                start=start,
                end=end,
                exclude_pk=checkin.pk,
            )
            if capped:
                _add_flag(checkin, "hours_capped")
        else:
            new_hours = None
        if hours is not None:
            # Corrected hours set the check-out, so times and hours always agree.
            end = start + timedelta(hours=float(new_hours))
        checkin.checked_in_at = start
        checkin.checked_out_at = end
        checkin.hours = new_hours
        _add_flag(checkin, "corrected")
        checkin.save(update_fields=["checked_in_at", "checked_out_at", "hours", "flags"])
        _audit(
            "checkin.corrected",
            checkin,
            by=by,
            reason=reason,
            before=before,
            hours=str(new_hours) if new_hours is not None else None,
        )
        if checkin.status == CheckIn.Status.CONFIRMED:
            correct_service_record(
                checkin=checkin,
                by=by,
                reason=reason,
                started_at=start,
                ended_at=end,
                hours=new_hours,
            )
    return checkin


def void_checkin(*, checkin: CheckIn, by, reason: str) -> CheckIn:
    """Void a check-in (with a reason); a confirmed one's hours are corrected to zero."""
    _require_manage(by, checkin.activity)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for voiding this check-in."), field="reason")
    with transaction.atomic():
        checkin = _lock(checkin)
        if checkin.status == CheckIn.Status.VOIDED:
            raise IllegalTransition(_("This check-in is already void."))
        was_confirmed = checkin.status == CheckIn.Status.CONFIRMED
        checkin.status = CheckIn.Status.VOIDED
        checkin.note = reason
        checkin.save(update_fields=["status", "note"])
        _audit("checkin.voided", checkin, by=by, reason=reason)
        if was_confirmed:
            correct_service_record(
                checkin=checkin,
                by=by,
                reason=reason,
                started_at=checkin.checked_in_at,
                ended_at=checkin.checked_in_at,
                hours=Decimal("0"),
            )
    return checkin


def proxy_checkin(
    *,
    activity: Activity,
    member: PartyMember,
    by,
    checked_in_at: datetime,
    checked_out_at: datetime | None = None,
    note: str = "",
) -> CheckIn:
    """The organiser checks a member in (and out) on their behalf, recorded as a proxy."""
    _require_manage(by, activity)
    _require_not_cancelled(activity)
    opens, closes = _window(activity)
    if not opens <= checked_in_at <= closes:
        raise InvalidInput(
            _("The check-in time must lie inside the activity's check-in window."),
            field="checked_in_at",
        )
    if checked_out_at is not None and checked_out_at < checked_in_at:
        raise InvalidInput(
            _("The check-out must not be before the check-in."), field="checked_out_at"
        )
    try:
        _require_enrolled(activity, member)
    except InvalidInput:
        raise InvalidInput(
            _("This member is not enrolled with the community for this year."), field="member"
        ) from None
    checkin = CheckIn(
        activity=activity,
        member=member,
        method=CheckIn.Method.PROXY,
        status=CheckIn.Status.PENDING,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
        flags=["proxy"],
        created_by=by,
        note=note,
    )
    if checked_out_at is not None:
        checkin.hours, capped = capped_hours(
            activity=activity, member=member, start=checked_in_at, end=checked_out_at
        )
        if capped:
            _add_flag(checkin, "hours_capped")
    try:
        with transaction.atomic():
            checkin.save()
            _audit("checkin.created", checkin, by=by, method=checkin.method, flags=checkin.flags)
    except IntegrityError:
        raise Conflict(
            _("This member has already checked in to this activity."), field="member"
        ) from None
    return checkin
