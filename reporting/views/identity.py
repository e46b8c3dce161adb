"""A member's ID number, for the community's own workers: enter or change it (masked), and a
logged reveal. Members are found through ``roster.view``; the number itself needs
``roster.change`` in the member's home community (portal.privacy)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal import privacy
from portal.access import Action, scope
from portal.errors import DomainError, PermissionDenied
from reporting.models import PartyMember


class IdNumberForm(forms.Form):
    id_number = forms.CharField(
        label=gettext_lazy("ID number"),
        required=False,
        max_length=24,
        help_text=gettext_lazy("18 characters; the last may be X. Leave empty to remove it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


def _member(request, pk: int) -> PartyMember:
    members = scope(
        PartyMember.objects.select_related("user", "home_community"),
        request.user,
        Action.ROSTER_VIEW,
    )
    member = get_object_or_404(members, pk=pk)
    if not privacy.can_manage_id_number(by=request.user, community=member.home_community):
        raise PermissionDenied(_("Only the community's own workers can see ID numbers."))
    return member


@login_required
@require_http_methods(["GET", "POST"])
def member_id_number(request, pk: int):
    """Show the member's ID number masked; enter, change or remove it."""
    member = _member(request, pk)
    form = IdNumberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                privacy.set_id_number(
                    person=member.user,
                    community=member.home_community,
                    id_number=form.cleaned_data["id_number"],
                    by=request.user,
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error("id_number", str(exc.message))
            else:
                messages.success(request, _("ID number saved."))
                return redirect("reporting:member_id_number", pk=member.pk)
        status = 400
    return render(
        request,
        "reporting/member_id_number.html",
        {"member": member, "form": form, "revealed": ""},
        status=status,
    )


@never_cache  # the full number must not stay in the browser cache
@login_required
@require_POST
def member_id_number_reveal(request, pk: int):
    """The full number, once, for this page view; the reveal is logged."""
    member = _member(request, pk)
    revealed = privacy.reveal_id_number(
        person=member.user, community=member.home_community, by=request.user
    )
    return render(
        request,
        "reporting/member_id_number.html",
        {"member": member, "form": IdNumberForm(), "revealed": revealed},
    )
