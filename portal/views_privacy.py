"""A person's own data: download it as JSON (/account/data/), erase the account
(/account/erasure/). Both act on the signed-in user only: no object ids in the URLs."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal import privacy
from portal.errors import DomainError
from portal.ratelimits import Limit, seconds_to_wait, too_many_requests, used_up

# Wrong passwords on the erasure form, per account: whoever holds a session cannot guess on.
ERASURE_PASSWORD = Limit(
    "erasure_password",
    "BAODAO_RATE_ERASURE_PASSWORD",
    key=lambda request: f"user:{request.user.pk}",
)


class ErasureForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that my account is closed for good and my personal details are removed."
        )
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"), required=False, max_length=200
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="password")
        return password


@login_required
@require_http_methods(["GET", "POST"])
def my_data(request):
    """GET explains what the download holds; POST sends it (a JSON file), audited."""
    if request.method == "POST":
        data = privacy.download_personal_data(user=request.user)
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        name = f"baodao-my-data-{timezone.localdate().isoformat()}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "account/privacy_data.html")


@login_required
@require_http_methods(["GET", "POST"])
def erasure(request):
    """Erase the signed-in account after the password is confirmed; immediate and final.

    Wrong passwords are limited per account (``BAODAO_RATE_ERASURE_PASSWORD``); past the
    limit the page answers 429 without checking the password."""
    if request.method == "POST":
        # Once the wrong passwords are used up, the next one is not even checked.
        wait = used_up(request, ERASURE_PASSWORD)
        if wait is not None:
            return too_many_requests(request, wait, wrong_passwords=True)
    form = ErasureForm(request.POST or None, user=request.user)
    error = ""
    valid = request.method == "POST" and form.is_valid()
    if request.method == "POST" and form.has_error("password", code="password"):
        wait = seconds_to_wait(request, (ERASURE_PASSWORD,))
        if wait is not None:
            return too_many_requests(request, wait, wrong_passwords=True)
    if valid:
        try:
            privacy.erase_person(
                user=request.user, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            error = exc.message
        else:
            logout(request)
            return render(request, "account/privacy_erased.html")
    try:
        privacy.check_erasable(request.user)
    except DomainError as exc:
        error = error or exc.message
        form = None
    return render(
        request,
        "account/privacy_erasure.html",
        {"form": form, "error": error},
        status=400 if request.method == "POST" else 200,
    )
