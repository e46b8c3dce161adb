"""Enrollment (报到) pages: self-service for members and unit admins, and the staff list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import Action, can
from portal.audit import history_for
from portal.errors import DomainError, PermissionDenied
from portal.privacy import can_manage_id_number
from reporting.forms.enrollment import (
    AgreementFormSet,
    EnrollForm,
    EnrollmentFilter,
    ReasonForm,
    agreement_items,
)
from reporting.models import LIVE_ENROLLMENT
from reporting.selectors_enrollment import (
    administered_units,
    describe_enrollment,
    enrollments_for,
    get_enrollment,
    get_own_enrollment,
    member_of,
    own_enrollments,
)
from reporting.services.enrollment import (
    ENROLLMENT_TRANSITIONS,
    allowed_enrollment_actions,
    submit_enrollment,
    transition_enrollment,
    withdraw_enrollment,
)

PAGE_SIZE = 25
SORTS = {
    "submitted_at": "submitted_at",
    "year": "year",
    "status": "status",
    "community": "community__path",
}
DEFAULT_SORT = "-submitted_at"

HISTORY_LABELS = {
    "enrollment.submitted": gettext_lazy("Submitted"),
    "enrollment.confirm": gettext_lazy("Confirmed"),
    "enrollment.return": gettext_lazy("Returned"),
    "enrollment.activate": gettext_lazy("Activated"),
    "enrollment.withdraw": gettext_lazy("Withdrawn"),
}


# --- members and unit admins --------------------------------------------------------------------


@login_required
@require_GET
def my_enrollments(request):
    """My enrollments (and my units'), newest year first, with a link to enrol."""
    user = request.user
    can_enrol = member_of(user) is not None or administered_units(user).exists()
    return render(
        request,
        "reporting/enrollment_mine.html",
        {
            "enrollments": own_enrollments(user),
            "can_enrol": can_enrol,
            "year": timezone.localdate().year,
            "live": LIVE_ENROLLMENT,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enroll(request):
    """Enrol myself or my unit with a community for a year."""
    user = request.user
    member = member_of(user)
    units = list(administered_units(user))
    if member is None and not units:
        raise PermissionDenied(
            _("Only registered party members and resident unit contacts can enrol.")
        )
    status = 200
    if request.method == "POST":
        form = EnrollForm(request.POST, member=member, units=units)
        formset = AgreementFormSet(request.POST, prefix="agreement")
        if form.is_valid() and (not units or formset.is_valid()):
            data = form.cleaned_data
            items = agreement_items(formset) if units else []
            try:
                enrollment = submit_enrollment(
                    by=user,
                    community=data["community"],
                    year=data["year"],
                    intentions=form.intentions(),
                    agreement=items,
                    unit=data["subject"],
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("Enrollment for %(year)d sent to %(community)s.")
                    % {"year": enrollment.year, "community": enrollment.community.name},
                )
                return redirect("reporting:my_enrollments")
        status = 400
    else:
        form = EnrollForm(member=member, units=units)
        formset = AgreementFormSet(prefix="agreement")
    return render(
        request,
        "reporting/enrollment_form.html",
        {"form": form, "formset": formset, "show_agreement": bool(units)},
        status=status,
    )


@login_required
@require_POST
def enrollment_withdraw(request, pk: int):
    """Withdraw one of my enrollments; the reason is optional for the subject."""
    enrollment = get_own_enrollment(user=request.user, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        withdraw_enrollment(enrollment=enrollment, by=request.user, reason=reason)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Enrollment withdrawn."))
    return redirect("reporting:my_enrollments")


# --- staff --------------------------------------------------------------------------------------


@login_required
@require_GET
def enrollment_list(request):
    """Enrollments in the user's reach, filtered, searched, sorted and paged."""
    if not can(request.user, Action.ENROLLMENT_VIEW):
        raise PermissionDenied(_("You cannot view enrollments."))
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    column = SORTS[sort.lstrip("-")]
    order = f"-{column}" if sort.startswith("-") else column
    filterset = EnrollmentFilter(
        request.GET,
        queryset=enrollments_for(request.user).order_by(order, "-id"),
        request=request,
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reporting/enrollment_list.html",
        {"filter": filterset, "page_obj": page, "sort": sort},
    )


@login_required
@require_GET
def enrollment_detail(request, pk: int):
    """One enrollment: facts, intentions, agreement, history and the allowed actions."""
    enrollment = get_enrollment(user=request.user, pk=pk)
    history = [
        {
            "event": event,
            "label": HISTORY_LABELS.get(event.action, event.action),
            "note": event.data.get("note", ""),
            "resources": len(event.data.get("resources") or []),
        }
        for event in history_for(enrollment)
    ]
    return render(
        request,
        "reporting/enrollment_detail.html",
        {
            "enrollment": enrollment,
            "details": describe_enrollment(enrollment),
            "history": history,
            "actions": allowed_enrollment_actions(enrollment, request.user),
            "can_manage_identity": enrollment.member_id is not None
            and can_manage_id_number(by=request.user, community=enrollment.member.home_community),
        },
    )


@login_required
@require_POST
def enrollment_act(request, pk: int, action: str):
    """Confirm, return, activate or withdraw; problems come back as a message."""
    enrollment = get_enrollment(user=request.user, pk=pk)
    if not can(request.user, Action.ENROLLMENT_DECIDE, area=enrollment.community):
        raise PermissionDenied(_("You cannot decide enrollments of this community."))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        transition_enrollment(enrollment=enrollment, action=action, by=request.user, reason=reason)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Done: %(action)s · %(subject)s")
            % {"action": ENROLLMENT_TRANSITIONS[action].label, "subject": enrollment.subject},
        )
    return redirect("reporting:enrollment_detail", pk=enrollment.pk)
