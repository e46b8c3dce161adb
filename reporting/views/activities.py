"""Activity pages: the staff list, detail, create, edit and cancel under /staff/activities/,
and the members' light mobile pages under /me/ (home, one activity, sign up, cancel)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import Action, can
from portal.errors import DomainError, PermissionDenied
from reporting.forms.activities import ActivityFilter, ActivityForm, CancelActivityForm
from reporting.selectors_activities import (
    active_signups,
    activity_list_for,
    get_activity,
    get_member_activity,
    member_enrollments,
    member_for,
    upcoming_for_member,
)
from reporting.services.activities import (
    cancel_activity,
    cancel_signup,
    create_activity,
    is_editable,
    sign_up,
    update_activity,
)
from resources.selectors import need_named_in_query

PAGE_SIZE = 25
DEFAULT_SORT = "-starts_at"


def urls_ready(*names: str, args: tuple = ()) -> bool:
    """True when every named URL exists; links to pages other engineers build stay hidden
    until those pages land."""
    try:
        for name in names:
            reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


def _forbidden(message: str):
    raise PermissionDenied(message)


# --- staff --------------------------------------------------------------------------------


@login_required
@require_GET
def activity_list(request):
    """Activities in the user's reach, filtered, searched, sorted and paged."""
    if not can(request.user, Action.ACTIVITY_VIEW):
        _forbidden(_("You cannot view activities."))
    params = request.GET.copy()
    params.setdefault("sort", DEFAULT_SORT)
    filterset = ActivityFilter(
        params,
        queryset=activity_list_for(request.user).order_by("-starts_at", "-id"),
        request=request,
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/activity_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "sort": params.get("sort"),
            "now": timezone.now(),
            "can_create": can(request.user, Action.ACTIVITY_MANAGE),
        },
    )


@login_required
@require_GET
def activity_detail(request, pk: int):
    """One activity: facts, geofence, who signed up and how many places are left."""
    activity = get_activity(user=request.user, pk=pk)
    manage = can(request.user, Action.ACTIVITY_MANAGE, area=activity.community)
    oversee = manage or can(request.user, Action.SERVICE_VIEW, area=activity.community)
    now = timezone.now()
    return render(
        request,
        "reporting/activity_detail.html",
        {
            "activity": activity,
            "now": now,
            # Who signed up is for the people running or overseeing the activity.
            "signups": active_signups(activity) if oversee else None,
            "places_left": max(activity.capacity - activity.signed_up, 0),
            "can_manage": manage,
            "editable": manage and is_editable(activity, now=now),
            "cancel_form": CancelActivityForm(),
            "checkin_urls_ready": manage
            and urls_ready(
                "reporting:activity_qr", "reporting:activity_attendance", args=(activity.pk,)
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request):
    """Publish a new activity in a community the user runs activities for."""
    if not can(request.user, Action.ACTIVITY_MANAGE):
        _forbidden(_("You cannot create activities."))
    status = 200
    if request.method == "POST":
        form = ActivityForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                activity = create_activity(
                    by=request.user,
                    community=form.cleaned_data["community"],
                    **form.service_fields(),
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Activity published."))
                return redirect("reporting:activity_detail", pk=activity.pk)
        status = 400
    else:
        form = ActivityForm(
            user=request.user, initial={"organiser": request.user.pk, **_initial_from_need(request)}
        )
    return render(request, "reporting/activity_form.html", {"form": form}, status=status)


def _initial_from_need(request) -> dict:
    """Prefill from a matched need (?need=): its community, category and title."""
    need = need_named_in_query(request.user, request.GET.get("need", ""))
    if need is None:
        return {}
    return {
        "need": need.pk,
        "community": need.community_id,
        "category": need.category_id,
        "title": need.title,
    }


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk: int):
    """Edit a published activity that has not ended."""
    activity = get_activity(user=request.user, pk=pk)
    if not can(request.user, Action.ACTIVITY_MANAGE, area=activity.community):
        _forbidden(_("You cannot edit activities of this community."))
    if not is_editable(activity):
        messages.error(request, _("A cancelled or ended activity cannot be changed."))
        return redirect("reporting:activity_detail", pk=activity.pk)
    status = 200
    if request.method == "POST":
        form = ActivityForm(request.POST, user=request.user, instance=activity)
        if form.is_valid():
            try:
                update_activity(activity=activity, by=request.user, **form.service_fields())
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Activity saved."))
                return redirect("reporting:activity_detail", pk=activity.pk)
        status = 400
    else:
        form = ActivityForm(user=request.user, instance=activity)
    return render(
        request,
        "reporting/activity_form.html",
        {"form": form, "activity": activity},
        status=status,
    )


@login_required
@require_POST
def activity_cancel(request, pk: int):
    """Call the activity off; the members' places are released."""
    activity = get_activity(user=request.user, pk=pk)
    form = CancelActivityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for cancelling."))
        return redirect("reporting:activity_detail", pk=activity.pk)
    try:
        cancel_activity(activity=activity, by=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Activity cancelled; members' places were released."))
    return redirect("reporting:activity_detail", pk=activity.pk)


# --- members ------------------------------------------------------------------------------


def _member_or_404(request):
    member = member_for(request.user)
    if member is None:
        raise Http404(_("Only registered party members have these pages."))
    return member


@login_required
@require_GET
def member_home(request):
    """/me/: my communities, upcoming activities there, links to my other pages."""
    member = member_for(request.user)
    links = {
        "enrollments": urls_ready("reporting:my_enrollments"),
        "checkins": urls_ready("reporting:my_checkins"),
        "hours": urls_ready("reporting:my_hours"),
        "certificates": urls_ready("reporting:my_certificates"),
    }
    if member is None:
        return render(request, "reporting/member_home.html", {"member": None, "links": links})
    return render(
        request,
        "reporting/member_home.html",
        {
            "member": member,
            "enrollments": member_enrollments(member),
            "activities": upcoming_for_member(member),
            "now": timezone.now(),
            "links": links,
        },
    )


@login_required
@require_GET
def member_activity(request, pk: int):
    """One activity of my communities, with a sign-up or cancel button."""
    member = _member_or_404(request)
    activity = get_member_activity(member=member, pk=pk)
    now = timezone.now()
    open_ = activity.status == activity.Status.PUBLISHED
    return render(
        request,
        "reporting/member_activity.html",
        {
            "activity": activity,
            "now": now,
            "places_left": max(activity.capacity - activity.signed_up, 0),
            "can_sign_up": open_ and not activity.is_signed_up and activity.ends_at > now,
            "can_cancel": open_ and activity.is_signed_up and activity.starts_at > now,
            "ended": activity.ends_at <= now,
        },
    )


@login_required
@require_POST
def signup(request, pk: int):
    """Take a place; a refusal comes back as a message on the activity page."""
    member = _member_or_404(request)
    activity = get_member_activity(member=member, pk=pk)
    try:
        sign_up(activity=activity, member=member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You have signed up."))
    return redirect("reporting:member_activity", pk=activity.pk)


@login_required
@require_POST
def signup_cancel(request, pk: int):
    """Give up my place before the activity starts."""
    member = _member_or_404(request)
    activity = get_member_activity(member=member, pk=pk)
    try:
        cancel_signup(activity=activity, member=member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your place is cancelled."))
    return redirect("reporting:member_activity", pk=activity.pk)
