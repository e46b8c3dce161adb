"""Check-in pages: the organiser's QR code and attendance, the member's one-tap check-in."""

from __future__ import annotations

import secrets

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import Action, can
from portal.errors import DomainError, PermissionDenied
from reporting import tokens
from reporting.forms.checkin import (
    AnomalyFilterForm,
    CheckInForm,
    CorrectCheckInForm,
    LocationConsentForm,
    ProxyCheckInForm,
    ReasonForm,
)
from reporting.selectors_checkin import (
    anomalies_for,
    anomaly_kinds,
    attendance_for,
    get_activity_for_checkin,
    get_attendance_activity,
    get_checkin_for_staff,
    member_checkins,
    member_hours_total,
    member_records,
    proxy_candidates,
    shared_devices,
)
from reporting.services.checkin import (
    check_in,
    check_out,
    confirm_checkin,
    correct_checkin,
    grant_location_consent,
    has_location_consent,
    proxy_checkin,
    revoke_location_consent,
    void_checkin,
)

PAGE_SIZE = 25
DEVICE_COOKIE = "baodao_device"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600

ANOMALY_LABELS = {
    "outside_geofence": gettext_lazy("Outside the geofence"),
    "shared_device": gettext_lazy("Many members from one device"),
    "hours_capped": gettext_lazy("Hours above the cap"),
    "no_checkout": gettext_lazy("No check-out"),
}
FLAG_LABELS = {
    **ANOMALY_LABELS,
    "no_location_consent": gettext_lazy("No location consent"),
    "no_location": gettext_lazy("No location"),
    "proxy": gettext_lazy("By proxy"),
    "corrected": gettext_lazy("Corrected"),
}


def _member_of(user):
    return getattr(user, "party_member", None)


# --- organiser: QR code --------------------------------------------------------------------


def _qr_context(request, activity) -> dict:
    now = timezone.now()
    url = request.build_absolute_uri(tokens.checkin_url(activity, now))
    svg = segno.make(url, error="m").svg_inline(
        scale=8, border=2, omitsize=True, title=str(activity)
    )
    seconds = tokens.step_seconds(activity)
    return {
        "activity": activity,
        "qr_svg": svg,
        "qr_url": url,
        # Refresh twice a step, so a shown code always has at least half a step left.
        "refresh_seconds": max(2, seconds // 2),
    }


@login_required
@require_GET
def activity_qr(request, pk: int):
    """The organiser's screen: a large QR code that rotates with the token step."""
    activity = get_attendance_activity(user=request.user, pk=pk, manage=True)
    return render(request, "reporting/checkin_qr.html", _qr_context(request, activity))


@login_required
@require_GET
def activity_qr_code(request, pk: int):
    """The QR code alone, polled by the organiser's screen."""
    activity = get_attendance_activity(user=request.user, pk=pk, manage=True)
    return render(request, "reporting/checkin_qr_code.html", _qr_context(request, activity))


# --- member: check in / out ------------------------------------------------------------------


def _checkin_context(request, activity, token, *, form=None) -> dict:
    member = _member_of(request.user)
    now = timezone.now()
    token_check = tokens.check_token(activity, token, now)
    # A voided check-in frees the place: the member may check in again.
    mine = (
        activity.checkins.filter(member=member).exclude(status="voided").first() if member else None
    )
    consent = has_location_consent(request.user)
    can_act = (
        member is not None
        and activity.status != activity.Status.CANCELLED
        and (
            mine is None
            or (
                mine.checked_out_at is None
                and mine.status in (mine.Status.OPEN, mine.Status.PENDING)
            )
        )
    )
    return {
        "activity": activity,
        "token": token,
        "member": member,
        "checkin": mine,
        "fresh": token_check.fresh,
        "can_act": can_act,
        "key": CheckInForm.new_key(),
        "form": form,
        "ask_location": activity.has_geofence and consent,
        "offer_consent": activity.has_geofence and not consent,
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request, activity_id: int, token: str):
    """Open from the QR code; check in or out with one tap."""
    activity = get_activity_for_checkin(pk=activity_id)
    if not tokens.check_token(activity, token, timezone.now()).genuine:
        raise Http404(_("This check-in code is not valid."))
    member = _member_of(request.user)
    status = 200
    form = None
    if request.method == "POST":
        if member is None:
            raise PermissionDenied(_("Only registered party members can check in."))
        form = CheckInForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "in":
                    check_in(
                        activity=activity,
                        member=member,
                        token=token,
                        now=timezone.now(),
                        latitude=data["lat"],
                        longitude=data["lng"],
                        device_id=request.COOKIES.get(DEVICE_COOKIE, ""),
                        idempotency_key=data["key"] or None,
                    )
                    messages.success(request, _("You are checked in."))
                else:
                    done = check_out(
                        activity=activity, member=member, token=token, now=timezone.now()
                    )
                    messages.success(
                        request,
                        _("You are checked out: %(hours)s hours.") % {"hours": done.hours},
                    )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("reporting:checkin", activity_id=activity.pk, token=token)
        status = 400
    response = render(
        request,
        "reporting/checkin_page.html",
        _checkin_context(request, activity, token, form=form),
        status=status,
    )
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_hex(16),
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def location_consent(request):
    """Grant or withdraw consent to location use at check-in; both are recorded with the time."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST":
        form = LocationConsentForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["decision"] == "grant":
                grant_location_consent(user=request.user, now=timezone.now())
                messages.success(request, _("Thank you. Your location is used at check-in only."))
            else:
                revoke_location_consent(user=request.user, now=timezone.now())
                messages.success(request, _("Consent withdrawn. Your location is not used."))
            return redirect(next_url or "reporting:location_consent")
    return render(
        request,
        "reporting/checkin_consent.html",
        {"consent": has_location_consent(request.user), "next": next_url},
    )


# --- organiser: attendance ------------------------------------------------------------------


def _attendance_context(request, activity, *, proxy_form=None) -> dict:
    manage = can(request.user, Action.ACTIVITY_MANAGE, area=activity.community)
    rows = [
        {"checkin": c, "flags": [FLAG_LABELS.get(f, f) for f in c.flags]}
        for c in attendance_for(activity)
    ]
    if manage and proxy_form is None:
        proxy_form = ProxyCheckInForm(members=proxy_candidates(activity))
    return {
        "activity": activity,
        "rows": rows,
        "can_manage": manage,
        "proxy_form": proxy_form,
    }


@login_required
@require_GET
def activity_attendance(request, pk: int):
    """Who checked in, with status, flags and hours; the organiser confirms, corrects, voids."""
    activity = get_attendance_activity(user=request.user, pk=pk)
    return render(request, "reporting/attendance_list.html", _attendance_context(request, activity))


@login_required
@require_POST
def activity_proxy_checkin(request, pk: int):
    """Check a member in on their behalf (no phone, flat battery); recorded as a proxy."""
    activity = get_attendance_activity(user=request.user, pk=pk, manage=True)
    form = ProxyCheckInForm(request.POST, members=proxy_candidates(activity))
    if form.is_valid():
        data = form.cleaned_data
        try:
            proxy_checkin(
                activity=activity,
                member=data["member"],
                by=request.user,
                checked_in_at=data["checked_in_at"],
                checked_out_at=data["checked_out_at"],
                note=data["note"],
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Checked in by proxy."))
            return redirect("reporting:activity_attendance", pk=activity.pk)
    return render(
        request,
        "reporting/attendance_list.html",
        _attendance_context(request, activity, proxy_form=form),
        status=400,
    )


def _checkin_action(request, pk: int, form_class, run, done_message):
    checkin = get_checkin_for_staff(user=request.user, pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            run(checkin, form.cleaned_data if form else {})
        except PermissionDenied:
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done_message)
    return redirect("reporting:activity_attendance", pk=checkin.activity_id)


@login_required
@require_POST
def checkin_confirm(request, pk: int):
    """Confirm an attendance; its service record is created."""
    return _checkin_action(
        request,
        pk,
        None,
        lambda c, _data: confirm_checkin(checkin=c, by=request.user),
        _("Attendance confirmed; service record created."),
    )


@login_required
@require_POST
def checkin_correct(request, pk: int):
    """Correct hours or times, with a reason (audited)."""
    return _checkin_action(
        request,
        pk,
        CorrectCheckInForm,
        lambda c, data: correct_checkin(
            checkin=c,
            by=request.user,
            reason=data["reason"],
            hours=data["hours"],
            checked_in_at=data["checked_in_at"],
            checked_out_at=data["checked_out_at"],
        ),
        _("Check-in corrected."),
    )


@login_required
@require_POST
def checkin_void(request, pk: int):
    """Void a check-in, with a reason."""
    return _checkin_action(
        request,
        pk,
        ReasonForm,
        lambda c, data: void_checkin(checkin=c, by=request.user, reason=data["reason"]),
        _("Check-in voided."),
    )


@login_required
@require_GET
def anomalies(request):
    """Check-ins to look at: outside the geofence, shared devices, capped hours, no check-out."""
    if not can(request.user, Action.SERVICE_VIEW):
        raise PermissionDenied(_("You cannot view check-ins."))
    form = AnomalyFilterForm(request.GET)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    now = timezone.now()
    shared = shared_devices(user=request.user)
    page = Paginator(
        anomalies_for(user=request.user, now=now, shared=shared, kind=kind), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "checkin": c,
            "kinds": [ANOMALY_LABELS[k] for k in anomaly_kinds(c, now=now, shared=shared)],
        }
        for c in page
    ]
    return render(
        request, "reporting/anomalies.html", {"form": form, "page_obj": page, "rows": rows}
    )


# --- member: own records -------------------------------------------------------------------


@login_required
@require_GET
def my_checkins(request):
    """The member's own check-ins."""
    member = _member_of(request.user)
    checkins = member_checkins(member=member) if member else []
    page = Paginator(checkins, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reporting/my_checkins.html", {"member": member, "page_obj": page})


@login_required
@require_GET
def my_hours(request):
    """The member's service records and this year's verified hours."""
    member = _member_of(request.user)
    year = timezone.localdate().year
    records = member_records(member=member) if member else []
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/my_hours.html",
        {
            "member": member,
            "page_obj": page,
            "year": year,
            "total": member_hours_total(member=member, year=year) if member else 0,
        },
    )
