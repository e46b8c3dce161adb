"""Stored XSS, write side: every form and every DRF serializer of the project is either a
write surface here (its text fields, the model fields they land in) or exempt with a reason;
``test_every_form_and_serializer_is_a_surface_or_exempt`` fails when a new one is neither.

A surface's stored fields must be among the fields the crawl of test_xss_display.py fills
with payloads, so whatever a form writes is checked everywhere it is shown. The main resident
and partner entry points are also driven live here: payloads typed into the public need form
(with an uploaded file named like a script), sent by a partner through the API, and a
``javascript:`` webhook URL, then read back on the tracking page, the staff pages, the admin,
the notifications and the API.
"""

from __future__ import annotations

import html
import importlib
import pkgutil
from dataclasses import dataclass

import pytest
from django import forms
from django.contrib import admin as django_admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from portal.api_clients import register_client
from portal.models import PartnerScope
from resources.models import Need, NeedAttachment, Resource
from tests.factories import category
from tests.security.test_xss_display import POISONED
from tests.security.xss import IMG, JS_URL, SCRIPT, TEXTAREA, assert_inert_html

APPS = ("portal", "resources", "reporting", "evaluation")


@dataclass(frozen=True)
class Surface:
    """A form or serializer that stores text: its text fields and where they are stored
    ("app.Model.field"; "json:" for a JSON field shown through the audit log or a document)."""

    fields: tuple[str, ...]
    stores: tuple[str, ...]
    live: str = ""  # the test below that submits payloads through it, if any


NEED_FIELDS = ("title", "description", "requester_name", "requester_phone", "address")
NEED_STORES = (
    "resources.Need.title",
    "resources.Need.description",
    "resources.Need.requester_name",
    "resources.Need.address",
)
RESOURCE_FIELDS = ("name", "description", "provider_name", "contact_name", "contact_phone")
RESOURCE_STORES = (
    "resources.Resource.name",
    "resources.Resource.description",
    "resources.Resource.provider_name",
    "resources.Resource.contact_name",
)

SURFACES: dict[str, Surface] = {
    # resources
    "resources.forms.needs.PublicNeedForm": Surface(
        (*NEED_FIELDS, "website", "attachments"),
        (*NEED_STORES, "resources.NeedAttachment.display_name"),
        live="test_payloads_in_the_public_need_form_are_inert_everywhere",
    ),
    "resources.forms.needs.ProxyNeedForm": Surface(
        NEED_FIELDS, (*NEED_STORES, "resources.NeedAttachment.display_name")
    ),
    "resources.forms.needs.NeedFieldsMixin": Surface(NEED_FIELDS, NEED_STORES),
    "resources.forms.needs.NeedTransitionForm": Surface(
        ("reason", "merge_into"), ("resources.Need.close_reason", "resources.Need.resolution")
    ),
    "resources.forms.projects.ProjectForm": Surface(
        ("title", "description", "maintenance_owner"),
        (
            "resources.Project.title",
            "resources.Project.description",
            "resources.Project.maintenance_owner",
        ),
    ),
    "resources.forms.projects.TaskForm": Surface(
        ("title", "owner_name"), ("resources.ProjectTask.title", "resources.ProjectTask.owner_name")
    ),
    "resources.forms.projects.MilestoneForm": Surface(("title",), ("resources.Milestone.title",)),
    "resources.forms.projects.BudgetLineForm": Surface(("item",), ("resources.BudgetLine.item",)),
    "resources.forms.projects.TransitionForm": Surface(
        ("reason",), ("resources.Project.cancel_reason",)
    ),
    "resources.forms.ratings.ResidentRatingForm": Surface(
        ("tracking_number", "phone_last4", "comment"), ("evaluation.Rating.comment",)
    ),
    "resources.forms.ratings.ResidentProjectRatingForm": Surface(
        ("tracking_number", "phone_last4", "comment"), ("evaluation.Rating.comment",)
    ),
    "resources.forms.resources.ResourceForm": Surface(RESOURCE_FIELDS, RESOURCE_STORES),
    "resources.api.NeedCreateSerializer": Surface(
        NEED_FIELDS, NEED_STORES, live="test_payloads_a_partner_sends_are_inert_everywhere"
    ),
    "resources.api.NeedTransitionSerializer": Surface(
        ("reason", "merge_into"),
        ("resources.Need.close_reason", "resources.Need.resolution"),
        live="test_payloads_a_partner_sends_are_inert_everywhere",
    ),
    "resources.api_lists.ResourceWriteSerializer": Surface(
        RESOURCE_FIELDS, RESOURCE_STORES, live="test_payloads_a_partner_sends_are_inert_everywhere"
    ),
    # reporting
    "reporting.forms.activities.ActivityForm": Surface(
        ("title", "description", "venue"),
        ("reporting.Activity.title", "reporting.Activity.description", "reporting.Activity.venue"),
    ),
    "reporting.forms.activities.CancelActivityForm": Surface(
        ("reason",), ("reporting.Activity.cancel_reason",)
    ),
    "reporting.forms.checkin.ProxyCheckInForm": Surface(("note",), ("reporting.CheckIn.note",)),
    "reporting.forms.checkin.CorrectCheckInForm": Surface(
        ("reason",), ("reporting.ServiceRecord.reason", "reporting.CheckIn.note")
    ),
    "reporting.forms.checkin.ReasonForm": Surface(("reason",), ("reporting.CheckIn.note",)),
    "reporting.forms.enrollment.EnrollForm": Surface(
        ("skills",), ("json:reporting.Enrollment.intentions",)
    ),
    "reporting.forms.enrollment.AgreementLineForm": Surface(
        ("name",), ("json:reporting.Enrollment.intentions",)
    ),
    "reporting.forms.enrollment.ReasonForm": Surface(
        ("reason",), ("reporting.Enrollment.return_reason",)
    ),
    "reporting.forms.imports.ImportForm": Surface(
        ("file",),
        (
            "portal.User.real_name",
            "reporting.PartyMember.party_organisation",
            "reporting.PartyMember.workplace",
            "reporting.ResidentUnit.name",
            "reporting.ResidentUnit.address",
            "reporting.ServiceRecord.organisation",
            "reporting.ServiceRecord.place",
        ),
    ),
    # evaluation
    "evaluation.forms.RewardForm": Surface(
        ("name", "description"), ("evaluation.Reward.name", "evaluation.Reward.description")
    ),
    "evaluation.forms.ReasonForm": Surface(("reason",), ("evaluation.Redemption.cancel_reason",)),
    "evaluation.forms_annual.ActivityRatingForm": Surface(
        ("comment",), ("evaluation.Rating.comment",)
    ),
    "evaluation.forms_annual.AdjustmentForm": Surface(
        ("reason",), ("evaluation.EvaluationAdjustment.reason",)
    ),
    # portal
    "portal.admin_partners.PartnerClientForm": Surface(
        ("name", "contact_email"), ("portal.PartnerClient.name",)
    ),
    "portal.api.NewWebhookSubscriptionSerializer": Surface(
        ("url",),
        ("portal.WebhookSubscription.url",),
        live="test_a_javascript_webhook_url_is_refused",
    ),
    "portal.api.WebhookSubscriptionSerializer": Surface(
        ("url",),
        ("portal.WebhookSubscription.url",),
        live="test_a_javascript_webhook_url_is_refused",
    ),
    "portal.accounts.admin.UserChangeForm": Surface(
        ("username", "first_name", "last_name", "email", "new_phone"),
        ("portal.User.first_name", "portal.User.last_name"),
    ),
    "portal.export_reasons.ExportReasonForm": Surface(
        ("reason",), ("json:portal.AuditEvent.data",)
    ),
    "portal.views_privacy.ErasureForm": Surface(
        ("password", "reason"), ("json:portal.AuditEvent.data",)
    ),
    "portal.forms.AreaSettingForm": Surface(("value",), ("json:portal.Setting.value",)),
}

_NO_TEXT = "no free-text field: choices, numbers, dates and areas only"
_NOT_STORED = "its text is only compared or looked up, never stored or shown back"
_OUTPUT = "output only: serialises stored data as JSON (read-only fields)"
EXEMPT: dict[str, str] = {
    "evaluation.forms.PointRuleForm": _NO_TEXT,
    "evaluation.forms.RedeemForm": "idempotency_key only: a token compared, never shown",
    "evaluation.forms_annual.ResultsFilterForm": _NO_TEXT + " (a GET filter)",
    "evaluation.forms_annual.SchemeForm": _NO_TEXT,
    "evaluation.forms_annual.YearAreaForm": "area is a code looked up, never stored as text",
    "portal.views.LoginForm": _NOT_STORED,
    "portal.views_jobs.RunMatchingForm": _NO_TEXT,
    "portal.accounts.forms.DisableTwoFactorForm": _NOT_STORED + " (a password)",
    "portal.accounts.forms.TokenForm": _NOT_STORED + " (a one-time code)",
    "reporting.forms.checkin.AnomalyFilterForm": _NO_TEXT + " (a GET filter)",
    "reporting.forms.checkin.CheckInForm": _NOT_STORED + " (a signed QR token)",
    "reporting.forms.checkin.LocationConsentForm": (
        "next is a redirect target checked with url_has_allowed_host_and_scheme, not stored"
    ),
    "reporting.forms.imports.CertificateForm": _NO_TEXT,
    "reporting.forms.imports.VerifyForm": _NOT_STORED + " (a verification code)",
    "reporting.views.identity.IdNumberForm": (
        "an 18-character ID number validated by its check digit (no markup can pass), "
        "stored encrypted"
    ),
    "resources.forms.needs.TrackForm": _NOT_STORED + " (tracking number and 4 digits)",
    "resources.forms.projects.SpendingForm": _NO_TEXT,
    "resources.forms.projects.TaskProgressForm": _NO_TEXT,
    "evaluation.api.AreaKpisSerializer": _OUTPUT,
    "evaluation.api.ChildKpisSerializer": _OUTPUT,
    "evaluation.api.ChildrenKpisSerializer": _OUTPUT,
    "evaluation.api.KpiAreaSerializer": _OUTPUT,
    "evaluation.api.KpiFigureSerializer": _OUTPUT,
    "evaluation.api.KpiPeriodSerializer": _OUTPUT,
    "evaluation.api.KpiTileSerializer": _OUTPUT,
    "evaluation.api.KpiQuerySerializer": "query parameters (an area code), never stored",
    "portal.api.AreaSerializer": _OUTPUT,
    "portal.api.MeSerializer": _OUTPUT,
    "portal.api.WebhookDeliverySerializer": _OUTPUT,
    "portal.api_base.AreaRefSerializer": _OUTPUT,
    "reporting.api.ActivitySerializer": _OUTPUT,
    "reporting.api.CheckInSerializer": _OUTPUT,
    "reporting.api.EnrollmentSerializer": _OUTPUT,
    "reporting.api.MemberRefSerializer": _OUTPUT,
    "reporting.api.ServiceRecordSerializer": _OUTPUT,
    "resources.api.MatchSerializer": _OUTPUT,
    "resources.api.NeedCategorySerializer": _OUTPUT,
    "resources.api.NeedContactSerializer": _OUTPUT + " (a revealed contact)",
    "resources.api.NeedSerializer": _OUTPUT,
    "resources.api_lists.ProjectSerializer": _OUTPUT,
    "resources.api_lists.ProjectTaskSerializer": _OUTPUT,
    "resources.api_lists.ResourceSerializer": _OUTPUT,
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_classes(base) -> dict[str, type]:
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            importlib.import_module(info.name)
    return {
        f"{c.__module__}.{c.__qualname__}": c
        for c in _subclasses(base)
        if c.__module__.split(".")[0] in APPS
    }


def _text_fields_of_form(cls) -> set[str]:
    return {
        name
        for name, f in getattr(cls, "base_fields", {}).items()
        if isinstance(f, (forms.CharField, forms.FileField)) and not hasattr(f, "choices")
    }


def test_every_form_and_serializer_is_a_surface_or_exempt():
    found = _project_classes(forms.BaseForm) | _project_classes(serializers.BaseSerializer)
    missing = sorted(set(found) - set(SURFACES) - set(EXEMPT))
    assert not missing, (
        "Forms/serializers neither registered as XSS write surfaces nor exempt with a reason "
        f"(tests/security/test_xss_surfaces.py): {missing}"
    )
    stale = sorted((set(SURFACES) | set(EXEMPT)) - set(found))
    assert not stale, f"Registered but gone: {stale}"
    for name, surface in SURFACES.items():
        cls = found[name]
        if issubclass(cls, forms.BaseForm):
            unlisted = _text_fields_of_form(cls) - set(surface.fields)
            assert not unlisted, f"{name}: text fields not listed as surface fields: {unlisted}"
        for store in surface.stores:
            if store.startswith("json:"):
                continue
            label, _dot, field = store.rpartition(".")
            assert field in POISONED.get(label, ()), f"{name} stores {store}, not crawled"


# -- live submissions ---------------------------------------------------------------------------

NAME = SCRIPT  # fits requester_name (50)
TITLE = f"T{SCRIPT}{IMG}"[:120]
DESCRIPTION = f"D{SCRIPT}{IMG}{TEXTAREA}{{{{7*7}}}}<b>"
FILE_NAME = '"><img src=x onerror=alert(1)>.png'


def api_for(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = response.content.decode()
    assert_inert_html(page, where=url)
    return page


@pytest.fixture(autouse=True)
def _english_and_media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def superuser(db):
    from portal.models import User

    return User.objects.create_superuser(username="root", password="x" * 12, phone="13000000009")


def test_payloads_in_the_public_need_form_are_inert_everywhere(client, tree, worker, superuser):
    cat = category("meal_assistance")
    upload = SimpleUploadedFile(FILE_NAME, _png(), content_type="image/png")
    data = {
        "community": tree["a"].pk,
        "category": cat.pk,
        "title": TITLE,
        "description": DESCRIPTION,
        "target_group": "elderly_alone",
        "requester_name": NAME,
        "requester_phone": "13712345678",
        "address": IMG,
        "website": "",
        "attachments": upload,
    }
    response = client.post(reverse("resources:public_need_form"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    need = Need.objects.get()
    assert (need.title, need.description, need.requester_name) == (TITLE, DESCRIPTION, NAME)
    attachment = need.attachments.get()
    assert "onerror" in attachment.display_name  # kept as text, shown escaped
    assert "<" not in attachment.file.name and '"' not in attachment.file.name

    staff = Client()
    staff.force_login(worker)
    detail = _page(staff, reverse("resources:need_detail", args=[need.pk]))
    assert html.escape(TITLE, quote=False) in detail or html.escape(TITLE) in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    _page(staff, reverse("resources:need_list"))
    _page(staff, reverse("resources:dashboard"))
    _page(staff, reverse("notifications"))
    track = client.post(
        reverse("resources:track_need"),
        {"tracking_number": need.tracking_number, "phone_last4": "5678"},
    )
    assert track.status_code == 200
    assert_inert_html(track.content.decode(), where="tracking page")

    admin = Client()
    admin.force_login(superuser)
    _page(admin, reverse("admin:resources_need_changelist"))
    _page(admin, reverse("admin:resources_need_change", args=[need.pk]))
    if django_admin.site.is_registered(NeedAttachment):
        _page(admin, reverse("admin:resources_needattachment_changelist"))


def test_payloads_a_partner_sends_are_inert_everywhere(tree, worker, superuser):
    category("elderly_care")
    _client, issued = register_client(
        name="Partner X", areas=[tree["a"]], scopes=tuple(PartnerScope.values), by=None
    )
    api = api_for(issued.key)
    created = api.post(
        "/api/v1/needs/",
        {
            "title": TITLE,
            "description": DESCRIPTION,
            "category": "elderly_care",
            "requester_name": NAME,
            "requester_phone": "13812345678",
            "address": IMG,
            "community": tree["a"].code,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith("application/json")
    assert created.json()["title"] == TITLE  # JSON carries the text as typed
    need = Need.objects.get()
    rejected = api.post(
        f"/api/v1/needs/{need.pk}/transition/",
        {"action": "reject", "reason": DESCRIPTION},
        format="json",
    )
    assert rejected.status_code == 200, rejected.content
    resource = api.post(
        "/api/v1/resources/",
        {
            "name": TITLE,
            "description": DESCRIPTION,
            "provider_type": "unit",
            "provider_name": IMG,
            "contact_name": NAME,
            "kind": "volunteer_team",
            "categories": ["elderly_care"],
            "capacity": 3,
            "area": tree["a"].code,
            "contact_phone": "13900002222",
        },
        format="json",
    )
    assert resource.status_code == 201, resource.content
    listed = api.get("/api/v1/needs/")
    assert listed["Content-Type"].startswith("application/json")

    staff = Client()
    staff.force_login(worker)
    page = _page(staff, reverse("resources:need_detail", args=[need.pk]))
    assert html.escape(DESCRIPTION, quote=False) in page or html.escape(DESCRIPTION) in page
    resource_pk = Resource.objects.get().pk
    _page(staff, reverse("resources:resource_detail", args=[resource_pk]))
    _page(staff, reverse("resources:resource_list"))
    _page(staff, reverse("notifications"))
    admin = Client()
    admin.force_login(superuser)
    _page(admin, reverse("admin:resources_resource_change", args=[resource_pk]))
    _page(admin, reverse("admin:portal_partnerclient_changelist"))


def test_a_javascript_webhook_url_is_refused(tree):
    _client, issued = register_client(
        name="Partner W", areas=[tree["a"]], scopes=tuple(PartnerScope.values), by=None
    )
    response = api_for(issued.key).post(
        "/api/v1/webhooks/", {"url": JS_URL, "events": ["need.created"]}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
