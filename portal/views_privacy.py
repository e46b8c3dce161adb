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
    """Erase the signed-in account after the password is confirmed; immediate and final."""
    form = ErasureForm(request.POST or None, user=request.user)
    error = ""
    if request.method == "POST" and form.is_valid():
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
