"""The resident rates a resolved need, and the completed projects that met it, from the public
tracking page. Every rating is checked again against the tracking number and the phone's last
4 digits (hidden fields); a repeated submission says "already rated" instead of failing."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from evaluation.selectors_ratings import projects_to_rate
from evaluation.services.ratings import rate_project_by_resident
from portal.errors import Conflict, DomainError, NotFound
from portal.ratelimits import Limit, by_ip, by_posted, rate_limited, tracking_key
from resources.forms.needs import TrackForm
from resources.forms.ratings import ResidentProjectRatingForm, ResidentRatingForm
from resources.models import Need
from resources.selectors import find_by_tracking
from resources.services.ratings import rate_need_by_resident

# Lookups per client address and per tracking number, shared by the tracking page and its two
# rating forms, so that a guesser of the 4 digits cannot alternate between them. The page never
# receives a full phone number; the tracking number names the one need (and phone) under attack.
TRACK_LIMITS = (
    Limit("track.ip", "BAODAO_RATE_TRACK_IP", by_ip),
    Limit("track.number", "BAODAO_RATE_TRACK_NUMBER", by_posted("tracking_number", tracking_key)),
)


def rating_context(need: Need | None, *, phone_last4: str) -> dict:
    """The rating forms the tracking page offers for ``need``."""
    if need is None:
        return {}
    context: dict = {}
    ids = {"tracking_number": need.tracking_number, "phone_last4": phone_last4}
    if need.status == Need.Status.RESOLVED and need.rating is None:
        context["rate_form"] = ResidentRatingForm.for_need(**ids)
    context["project_forms"] = [
        (project, ResidentProjectRatingForm.for_need(**ids, project=project.pk))
        for project in projects_to_rate(need)
    ]
    return context


def _page(request, form, *, need=None, notice="", kind="success", status=200, rate_form=None):
    from resources.views.public import render_track_page

    # The lookup form again, with the number but never the phone digits.
    lookup = TrackForm(initial={"tracking_number": form.data.get("tracking_number", "")[:20]})
    return render_track_page(
        request,
        form=lookup,
        need=need,
        not_found=need is None,
        phone_last4=form.data.get("phone_last4", ""),
        notice=notice,
        notice_kind=kind,
        status=status,
        rate_form=rate_form,
    )


def _find(form) -> Need | None:
    try:
        return find_by_tracking(
            tracking_number=form.data.get("tracking_number", ""),
            phone_last4=form.data.get("phone_last4", ""),
        )
    except NotFound:
        return None


@never_cache
@require_POST
@rate_limited(*TRACK_LIMITS)
def rate_need(request):
    """Record the resident's stars for their resolved need."""
    form = ResidentRatingForm(request.POST)
    need = _find(form)
    if need is None:
        return _page(request, form, status=404)
    if not form.is_valid():
        return _page(request, form, need=need, status=400, rate_form=form)
    try:
        rate_need_by_resident(
            need=need, stars=form.cleaned_data["stars"], comment=form.cleaned_data["comment"]
        )
    except Conflict as exc:
        return _page(request, form, need=need, notice=exc.message, kind="warning", status=409)
    except DomainError as exc:
        return _page(request, form, need=need, notice=exc.message, kind="error", status=400)
    need.refresh_from_db()
    return _page(request, form, need=need, notice=_("Thank you for your rating."))


@never_cache
@require_POST
@rate_limited(*TRACK_LIMITS)
def rate_project(request):
    """Record the resident's stars for a completed project that met their need."""
    form = ResidentProjectRatingForm(request.POST)
    need = _find(form)
    if need is None:
        return _page(request, form, status=404)
    project = need.projects.filter(pk=form.data.get("project") or 0).first()
    if not form.is_valid() or project is None:
        message = (
            _("Choose 1 to 5 stars.") if project else _("This project did not take up your need.")
        )
        return _page(request, form, need=need, notice=message, kind="error", status=400)
    try:
        rate_project_by_resident(
            project=project,
            need=need,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
    except Conflict as exc:
        return _page(request, form, need=need, notice=exc.message, kind="warning", status=409)
    except DomainError as exc:
        return _page(request, form, need=need, notice=exc.message, kind="error", status=400)
    return _page(request, form, need=need, notice=_("Thank you for rating the project."))
