"""Staff pages for the needs list: list, detail, state-machine steps, logged reveal, proxy entry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import Action, can
from portal.audit import history_for
from portal.errors import DomainError, PermissionDenied
from portal.models import mask_name
from resources.filters.needs import NeedFilter
from resources.forms.needs import NeedTransitionForm, ProxyNeedForm
from resources.selectors import get_need, needs_for
from resources.selectors_escalation import escalation_history
from resources.selectors_matches import matches_of_need
from resources.services import (
    TRANSITIONS,
    allowed_actions,
    reveal_requester_phone,
    submit_need,
    transition_need,
)

PAGE_SIZE = 25
SORTS = {"submitted_at", "due_at", "urgency", "status"}
DEFAULT_SORT = "-submitted_at"

# How audit actions about a need read in its history.
HISTORY_LABELS = {
    "need.submitted": gettext_lazy("Submitted"),
    "need.accept": gettext_lazy("Accepted"),
    "need.match": gettext_lazy("Marked matched"),
    "need.start": gettext_lazy("Work started"),
    "need.resolve": gettext_lazy("Resolved"),
    "need.evaluate": gettext_lazy("Resident feedback recorded"),
    "need.reject": gettext_lazy("Rejected"),
    "need.merge": gettext_lazy("Merged"),
    "need.contact_revealed": gettext_lazy("Full phone number viewed"),
    "need.escalated": gettext_lazy("Escalated: not accepted in time"),
    "need.attachment_added": gettext_lazy("File attached"),
    "need.attachment_viewed": gettext_lazy("Attachment opened"),
}


def _require(user, action: str, message) -> None:
    if not can(user, action):
        raise PermissionDenied(message)


@login_required
@require_GET
def need_list(request):
    """Needs in the user's reach, filtered, searched, sorted and paged."""
    _require(request.user, Action.NEED_VIEW, _("You cannot view needs."))
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    needs = needs_for(request.user).order_by(sort, "-id")
    filterset = NeedFilter(request.GET, queryset=needs, request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "resources/need_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "sort": sort,
            "now": timezone.now(),
            "can_create": can(request.user, Action.NEED_CREATE),
        },
    )


def _detail_context(request, need, *, revealed_phone: str = "") -> dict:
    user = request.user
    events = [
        {
            "event": event,
            "label": HISTORY_LABELS.get(event.action, event.action),
            "note": event.data.get("note", ""),
            "merged_into": event.data.get("merged_into", ""),
        }
        for event in history_for(need)
    ]
    can_reveal = can(user, Action.NEED_REVEAL_CONTACT, area=need.area)
    return {
        "need": need,
        # Names, like numbers and addresses, in full only to the community's own workers.
        "requester_name": need.requester_name if can_reveal else mask_name(need.requester_name),
        "history": events,
        "escalations": escalation_history(need=need),
        "actions": allowed_actions(need, user),
        "can_reveal": can_reveal,
        "revealed_phone": revealed_phone,
        "overdue": need.status == need.Status.SUBMITTED and need.due_at < timezone.now(),
        "matches": matches_of_need(need),
        # Residents' files go to the staff who handle needs (resources.selectors).
        "attachments": list(need.attachments.all())
        if can(user, Action.DASHBOARD_VIEW, area=need.area)
        else [],
        "can_decide": can(user, Action.MATCH_DECIDE, area=need.area),
    }


@login_required
@require_GET
def need_detail(request, pk: int):
    """One need: facts, history and the next steps the user may take."""
    need = get_need(user=request.user, pk=pk)
    return render(request, "resources/need_detail.html", _detail_context(request, need))


@login_required
@require_POST
def need_transition(request, pk: int, action: str):
    """Apply one state-machine step; problems come back as a message on the detail page."""
    need = get_need(user=request.user, pk=pk)
    form = NeedTransitionForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("resources:need_detail", pk=need.pk)
    try:
        transition_need(
            need=need,
            action=action,
            by=request.user,
            reason=form.cleaned_data["reason"],
            merge_into=form.cleaned_data["merge_into"],
            rating=form.cleaned_data["rating"],
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Done: %(action)s · %(number)s")
            % {"action": TRANSITIONS[action].label, "number": need.tracking_number},
        )
    return redirect("resources:need_detail", pk=need.pk)


@never_cache  # the full number must not stay in the browser cache
@login_required
@require_POST
def need_reveal_phone(request, pk: int):
    """Show the requester's full number to the community's own workers; the service logs it."""
    need = get_need(user=request.user, pk=pk)
    phone = reveal_requester_phone(need=need, by=request.user)
    if request.htmx:
        return render(request, "resources/_need_phone.html", {"need": need, "phone": phone})
    return render(
        request, "resources/need_detail.html", _detail_context(request, need, revealed_phone=phone)
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_proxy_create(request):
    """A worker enters a need for a resident who phoned, was visited or raised it at a meeting."""
    _require(request.user, Action.NEED_CREATE, _("You cannot enter needs."))
    status = 200
    if request.method == "POST":
        form = ProxyNeedForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                need = submit_need(
                    community=data["community"],
                    grid=data["grid"],
                    category=data["category"],
                    title=data["title"],
                    description=data["description"],
                    target_group=data["target_group"],
                    urgency=data["urgency"],
                    channel=data["channel"],
                    requester_name=data["requester_name"],
                    requester_phone=data["requester_phone"],
                    address=data["address"],
                    availability=data["availability"],
                    attachments=data["attachments"],
                    by=request.user,
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("Need %(number)s entered.") % {"number": need.tracking_number},
                )
                return redirect("resources:need_detail", pk=need.pk)
        status = 400
    else:
        form = ProxyNeedForm(user=request.user)
    return render(request, "resources/need_proxy_form.html", {"form": form}, status=status)
