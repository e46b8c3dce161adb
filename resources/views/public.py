"""Resident pages, no sign-in: submit a need (also in an elderly-friendly mode) and track it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.errors import DomainError, NotFound
from portal.ratelimits import Limit, by_ip, by_posted, phone_key, rate_limited
from resources.forms.needs import PublicNeedForm, TrackForm
from resources.models import Need
from resources.selectors import find_by_tracking
from resources.services import submit_need
from resources.views.public_rating import TRACK_LIMITS, rating_context

SESSION_KEY = "resources.need_submitted"
# How long the confirmation page stays available after a submission (a refresh still works).
SUBMITTED_PAGE_LIFETIME = timedelta(minutes=30)
ELDERLY = "elderly"

# Submissions per client address and per phone number (the tracking page's are in
# public_rating.TRACK_LIMITS, shared with its rating forms).
NEED_FORM_LIMITS = (
    Limit("need_form.ip", "BAODAO_RATE_NEED_FORM_IP", by_ip),
    Limit(
        "need_form.phone", "BAODAO_RATE_NEED_FORM_PHONE", by_posted("requester_phone", phone_key)
    ),
)


def _mode(request) -> str:
    mode = request.POST.get("mode") or request.GET.get("mode")
    return ELDERLY if mode == ELDERLY else ""


def _form_url(mode: str) -> str:
    url = reverse("resources:public_need_form")
    return f"{url}?mode={ELDERLY}" if mode == ELDERLY else url


def _remember_submission(request, *, need: Need | None, mode: str) -> None:
    request.session[SESSION_KEY] = {
        "at": timezone.now().isoformat(),
        "tracking_number": need.tracking_number if need else "",
        "due_at": need.due_at.isoformat() if need else "",
        "mode": mode,
    }


@require_http_methods(["GET", "POST"])
@rate_limited(*NEED_FORM_LIMITS)
def need_form(request):
    """The resident need form; ``?mode=elderly`` gives large type and high contrast."""
    mode = _mode(request)
    status = 200
    if request.method == "POST":
        if request.POST.get("website"):
            # A bot filled the honeypot: look successful, save nothing.
            _remember_submission(request, need=None, mode=mode)
            return redirect("resources:need_submitted")
        form = PublicNeedForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = submit_need(
                    community=data["community"],
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    target_group=data["target_group"],
                    requester_name=data["requester_name"],
                    requester_phone=data["requester_phone"],
                    address=data["address"],
                    availability=data["availability"],
                    attachments=data["attachments"],
                    by=None,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                _remember_submission(request, need=need, mode=mode)
                return redirect("resources:need_submitted")
        status = 400
    else:
        form = PublicNeedForm()
    return render(
        request,
        "resources/public_need_form.html",
        {"form": form, "mode": mode, "elderly": mode == ELDERLY},
        status=status,
    )


@never_cache
def need_submitted(request):
    """The confirmation after a submission: the tracking number and the response promise."""
    submission = request.session.get(SESSION_KEY)
    if not submission:
        return redirect("resources:public_need_form")
    submitted_at = datetime.fromisoformat(submission["at"])
    if timezone.now() - submitted_at > SUBMITTED_PAGE_LIFETIME:
        del request.session[SESSION_KEY]
        return redirect(_form_url(submission.get("mode", "")))
    due_at = datetime.fromisoformat(submission["due_at"]) if submission["due_at"] else None
    return render(
        request,
        "resources/public_need_submitted.html",
        {
            "tracking_number": submission["tracking_number"],
            "due_at": due_at,
            "mode": submission.get("mode", ""),
            "elderly": submission.get("mode") == ELDERLY,
            "form_url": _form_url(submission.get("mode", "")),
        },
    )


def _timeline(need: Need) -> list[tuple[str, datetime]]:
    """Status stamps a resident may see: when, not who."""
    closed_label = {
        Need.Status.REJECTED: Need.Status.REJECTED.label,
        Need.Status.MERGED: Need.Status.MERGED.label,
    }.get(need.status)
    steps = [
        (Need.Status.SUBMITTED.label, need.submitted_at),
        (Need.Status.ACCEPTED.label, need.accepted_at),
        (Need.Status.MATCHED.label, need.matched_at),
        (Need.Status.IN_PROGRESS.label, need.started_at),
        (Need.Status.RESOLVED.label, need.resolved_at),
        (Need.Status.EVALUATED.label, need.evaluated_at),
        (closed_label, need.closed_at),
    ]
    return [(label, at) for label, at in steps if label and at]


def render_track_page(
    request,
    *,
    form: TrackForm,
    need: Need | None = None,
    not_found: bool = False,
    phone_last4: str = "",
    notice: str = "",
    notice_kind: str = "success",
    status: int = 200,
    rate_form=None,
):
    """The tracking page: the lookup form, the need found, and the rating forms it offers."""
    context = {
        "form": form,
        "need": need,
        "not_found": not_found,
        "timeline": _timeline(need) if need else [],
        "overdue": bool(
            need and need.status == Need.Status.SUBMITTED and need.due_at < timezone.now()
        ),
        "notice": notice,
        "notice_kind": notice_kind,
        **rating_context(need, phone_last4=phone_last4),
    }
    if rate_form is not None:
        context["rate_form"] = rate_form
    return render(request, "resources/public_track.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited(*TRACK_LIMITS)
def track_need(request):
    """Look a need up by its tracking number and the last 4 digits of the phone (POST only)."""
    need = None
    not_found = False
    if request.method == "POST":
        form = TrackForm(request.POST)
        if form.is_valid():
            try:
                need = find_by_tracking(
                    tracking_number=form.cleaned_data["tracking_number"],
                    phone_last4=form.cleaned_data["phone_last4"],
                )
            except NotFound:
                not_found = True
    else:
        # A link from the confirmation page may prefill the number; the digits are never in a URL.
        form = TrackForm(initial={"tracking_number": request.GET.get("number", "")[:20]})
    return render_track_page(
        request,
        form=form,
        need=need,
        not_found=not_found,
        phone_last4=form.cleaned_data["phone_last4"] if need else "",
        status=400 if request.method == "POST" and form.errors else 200,
    )
