"""Stored XSS, shown side: the demo city with every human text field of every model replaced
by script and formula payloads, crawled as every demo role, anonymous and the superuser
(pages, public pages, notifications, dashboards, exports, certificates, the admin). Each
HTML page must come back inert, each workbook without a formula, each PDF well formed.

``POISONED`` names the text fields filled with payloads and ``NOT_POISONED`` the others with
the reason; a text field added to a model and listed in neither fails
``test_every_text_field_is_poisoned_or_exempt``, so the crawl grows with the schema.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLResolver, get_resolver, resolve, reverse

from evaluation.demo import seed_points_demo
from evaluation.demo_annual import seed_evaluation_demo
from evaluation.demo_kpi import seed_kpi_demo
from portal.demo import ACCOUNTS, FIRST_COMMUNITY, seed_demo
from portal.models import User
from tests.security.xss import (
    JS_URL,
    SCRIPT,
    inert_html_problems,
    payload_for,
    xlsx_problems,
)

APPS = ("portal", "resources", "reporting", "evaluation")

# model label → the human text fields the crawl fills with payloads.
POISONED: dict[str, tuple[str, ...]] = {
    "portal.Area": ("name",),
    "portal.User": ("first_name", "last_name", "real_name"),
    "portal.AuditEvent": ("actor_label",),
    "portal.JobRun": ("error",),
    "portal.ScheduledJob": ("description",),
    "portal.PartnerClient": ("name",),
    "portal.WebhookSubscription": ("url",),
    "portal.WebhookDelivery": ("last_error",),
    "resources.NeedCategory": ("name",),
    "resources.Need": (
        "title",
        "description",
        "requester_name",
        "address",
        "close_reason",
        "resolution",
        "evaluation_note",
    ),
    "resources.NeedAttachment": ("display_name",),
    "resources.Resource": ("name", "description", "provider_name", "contact_name"),
    "resources.Project": ("title", "description", "maintenance_owner", "cancel_reason"),
    "resources.ProjectTask": ("title", "owner_name"),
    "resources.Milestone": ("title",),
    "resources.BudgetLine": ("item",),
    "resources.Match": ("reject_reason",),
    "reporting.PartyMember": ("party_organisation", "workplace"),
    "reporting.ResidentUnit": ("name", "address"),
    "reporting.Enrollment": ("return_reason",),
    "reporting.Activity": ("title", "description", "venue", "cancel_reason"),
    "reporting.CheckIn": ("note",),
    "reporting.ServiceRecord": ("organisation", "place", "reason"),
    "evaluation.EvaluationAdjustment": ("reason",),
    "evaluation.Export": ("error",),
    "evaluation.PointEntry": ("note",),
    "evaluation.Rating": ("comment",),
    "evaluation.Reward": ("name", "description"),
    "evaluation.Redemption": ("cancel_reason",),
}

_CODE = "an identifier the portal generates or validates against a fixed pattern"
_SECRET = "a secret, digest or hash, never shown"
_INTERNAL = "written by the portal itself from code, never from user input"
# "model.field" → why the crawl leaves it alone.
NOT_POISONED: dict[str, str] = {
    "portal.Area.code": _CODE,
    "portal.Area.path": _CODE,
    "portal.User.password": _SECRET,
    "portal.User.username": _CODE + " (UnicodeUsernameValidator: no < > or quotes)",
    "portal.User.email": "EmailValidator refuses markup; shown escaped like any text",
    "portal.User.phone": _CODE + " (11 digits)",
    "portal.User.id_number": _CODE + " (18 characters with a check digit)",
    "portal.User.id_number_hash": _SECRET,
    "portal.AuditEvent.action": _INTERNAL,
    "portal.AuditEvent.object_type": _INTERNAL,
    "portal.AuditEvent.object_id": _INTERNAL,
    "portal.AuditEvent.prev_hash": _SECRET,
    "portal.AuditEvent.hash": _SECRET,
    "portal.AuditHead.last_hash": _SECRET,
    "portal.Setting.key": _INTERNAL + " (a key of portal.settings_registry)",
    "portal.JobRun.job": _INTERNAL,
    "portal.JobRun.run_key": _INTERNAL,
    "portal.JobRun.task_id": _INTERNAL,
    "portal.ScheduledJob.name": _INTERNAL,
    "portal.ScheduledJob.task": _INTERNAL,
    "portal.ScheduledJob.minute": _CODE + " (crontab field)",
    "portal.ScheduledJob.hour": _CODE + " (crontab field)",
    "portal.ScheduledJob.day_of_week": _CODE + " (crontab field)",
    "portal.ScheduledJob.day_of_month": _CODE + " (crontab field)",
    "portal.ScheduledJob.month_of_year": _CODE + " (crontab field)",
    "portal.Notification.kind": _INTERNAL,
    "portal.Notification.url": _INTERNAL + " (reverse() of a portal page)",
    "portal.Notification.dedupe_key": _INTERNAL,
    "portal.PartnerClient.channel": _CODE,
    "portal.PartnerClient.contact_email": "EmailValidator refuses markup",
    "portal.PartnerKey.prefix": _CODE,
    "portal.PartnerKey.secret_hash": _SECRET,
    "portal.IdempotencyRecord.key": _INTERNAL + " (a header, only compared)",
    "portal.IdempotencyRecord.fingerprint": _SECRET,
    "portal.IdempotencyRecord.response_body": "a stored API response, replayed as JSON",
    "portal.AuditArchive.first_prev_hash": _SECRET,
    "portal.AuditArchive.last_hash": _SECRET,
    "portal.AuditArchive.file_name": _INTERNAL,
    "portal.AuditArchive.file_sha256": _SECRET,
    "portal.AccessLogArchive.file_name": _INTERNAL,
    "portal.AccessLogArchive.file_sha256": _SECRET,
    "portal.WebhookSubscription.secret": _SECRET,
    "resources.NeedCategory.code": _CODE,
    "resources.Need.tracking_number": _CODE,
    "resources.Need.requester_phone": _CODE + " (11 digits)",
    "resources.NeedAttachment.content_type": _CODE + " (a sniffed type of ATTACHMENT_TYPES)",
    "resources.NeedAttachment.sha256": _SECRET,
    "resources.Resource.contact_phone": _CODE + " (11 digits)",
    "reporting.ResidentUnit.credit_code": _CODE + " (unified social credit code)",
    "reporting.Activity.token_secret": _SECRET,
    "reporting.CheckIn.device_id": _INTERNAL,
    "reporting.CheckIn.idempotency_key": _INTERNAL,
    "reporting.Certificate.verification_code": _CODE,
    "evaluation.KpiDaily.kpi": _CODE,
    "evaluation.Export.kind": _CODE,
    "evaluation.Export.filename": _INTERNAL,
    "evaluation.PointEntry.source_key": _INTERNAL,
    "evaluation.Rating.rater_key": _SECRET,
    "evaluation.Redemption.idempotency_key": _INTERNAL,
}

# Never followed: they end the session, change state on GET by design, or only redirect.
SKIP_PATHS = re.compile(r"(/logout/|/i18n/|/delete/|/admin/r/|/healthz|/static/|/media/)")
PER_NAME = 1  # instances of one URL name visited per user
PER_USER = 260  # pages per user, a guard against an endless crawl


def _text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField))
        and not f.choices
        and not f.primary_key
    ]


def test_every_text_field_is_poisoned_or_exempt():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        label = model._meta.label
        for f in _text_fields(model):
            if f.name not in POISONED.get(label, ()) and f"{label}.{f.name}" not in NOT_POISONED:
                missing.append(f"{label}.{f.name}")
    assert not missing, (
        "Text fields neither filled with payloads by the XSS crawl nor exempt with a reason "
        f"(add them to POISONED or NOT_POISONED in {__name__}): {missing}"
    )
    for label, names in POISONED.items():
        model = apps.get_model(label)
        assert set(names) <= {f.name for f in _text_fields(model)}, label


def _poison() -> int:
    """Fill every POISONED field of every row with a payload that fits; returns rows changed."""
    changed = 0
    for label, names in POISONED.items():
        model = apps.get_model(label)
        # A plain queryset: append-only models refuse .update() through their own managers.
        rows = models.QuerySet(model=model)
        for index, name in enumerate(names):
            f = model._meta.get_field(name)
            if label == "portal.WebhookSubscription":
                changed += rows.update(**{name: JS_URL})
                continue
            value = payload_for(f.max_length and f.max_length - 12, index=index)
            if f.unique:
                for pk in rows.values_list("pk", flat=True):
                    rows.filter(pk=pk).update(**{name: f"{value}{pk}"[: f.max_length]})
                    changed += 1
                continue
            prefixed = f"=1+1{value}"  # a formula too, for the exports
            if f.max_length is None or len(prefixed) <= f.max_length:
                value = prefixed
            changed += rows.update(**{name: value})
    return changed


def _attach_a_file() -> None:
    """The demo has no attachments: give the first need of the worker's community one."""
    from django.core.files.base import ContentFile

    from resources.models import Need, NeedAttachment

    need = Need.objects.filter(community__code=FIRST_COMMUNITY).order_by("pk").first()
    content = b"%PDF-1.4\n%%EOF\n"
    NeedAttachment.objects.create(
        need=need,
        file=ContentFile(content, name="x.pdf"),
        display_name="x.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
    )


def _names(resolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _names(entry, inner)
        elif entry.name:
            yield namespace + entry.name


def _seed_urls() -> list[str]:
    """The URL of every named pattern that takes no argument, plus the admin index."""
    urls = ["/", "/admin/"]
    for name in dict.fromkeys(_names(get_resolver())):
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls


class _Crawl:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.names_visited: set[str] = set()
        self.pages = 0
        self.escaped_pages = 0
        self.workbooks = 0
        self.pdfs = 0
        self.kinds: Counter[str] = Counter()

    def run(self, client: Client, who: str) -> None:
        queue = list(dict.fromkeys(_seed_urls()))
        seen: set[str] = set()
        per_name: Counter[str] = Counter()
        visited = 0
        while queue and visited < PER_USER:
            url = queue.pop(0)
            if url in seen or SKIP_PATHS.search(url):
                continue
            seen.add(url)
            try:
                match = resolve(urlparse(url).path)
            except Resolver404:
                continue
            name = match.view_name or url
            if per_name[name] >= PER_NAME:
                continue
            per_name[name] += 1
            visited += 1
            for link in self._visit(client, who, url, name):
                if link not in seen:
                    queue.append(link)

    def _visit(self, client: Client, who: str, url: str, name: str) -> list[str]:
        try:
            response = client.get(url)
        except Exception as exc:  # a payload that breaks a page is a finding too
            self.problems.append(f"{who} GET {url}: {type(exc).__name__}: {exc}")
            return []
        if response.status_code >= 500:
            self.problems.append(f"{who} GET {url}: status {response.status_code}")
            return []
        if response.status_code != 200:
            return []
        self.names_visited.add(name)
        ctype = response.get("Content-Type", "").split(";")[0]
        self.kinds[ctype] += 1
        body = b"".join(response) if response.streaming else response.content
        if ctype == "text/html":
            self.pages += 1
            page = body.decode("utf-8", errors="replace")
            self.problems += [f"{who} {url}: {p}" for p in inert_html_problems(page)]
            if html.escape(SCRIPT, quote=False) in page:
                self.escaped_pages += 1
            if urlparse(url).path.endswith(".xlsx") and 'name="reason"' in page:
                # An export asks why first (portal.export_reasons): give a payload reason.
                self._export(client, who, url)
            return _links(url, page)
        if ctype.endswith("spreadsheetml.sheet"):
            self.workbooks += 1
            self.problems += [f"{who} {url}: {p}" for p in xlsx_problems(body)]
        elif ctype == "application/pdf":
            self.pdfs += 1
            if not body.startswith(b"%PDF"):
                self.problems.append(f"{who} {url}: not a PDF")
        elif ctype != "application/json" and b"alert(1)" in body:
            self.problems.append(f"{who} {url}: payload served as {ctype or 'no type'}")
        return []

    def _export(self, client: Client, who: str, url: str) -> None:
        reason = f"=1+1 monthly report {SCRIPT}"
        try:
            response = client.post(url, {"reason": reason})
        except Exception as exc:
            self.problems.append(f"{who} POST {url}: {type(exc).__name__}: {exc}")
            return
        ctype = response.get("Content-Type", "").split(";")[0]
        if response.status_code == 200 and ctype.endswith("spreadsheetml.sheet"):
            self.workbooks += 1
            body = b"".join(response) if response.streaming else response.content
            self.problems += [f"{who} POST {url}: {p}" for p in xlsx_problems(body)]
        elif ctype == "text/html":
            page = response.content.decode("utf-8", errors="replace")
            self.problems += [f"{who} POST {url}: {p}" for p in inert_html_problems(page)]


_HREF = re.compile(r"""href=["']([^"'#]+)""")


def _links(base: str, page: str) -> list[str]:
    links = []
    for raw in _HREF.findall(page):
        url = urldefrag(urljoin(base, html.unescape(raw)))[0]
        parsed = urlparse(url)
        if parsed.netloc not in ("", "testserver"):
            continue
        links.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    return links


@pytest.mark.django_db
def test_poisoned_text_is_inert_on_every_page_each_role_reaches(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path
    seed_demo()
    seed_points_demo()
    seed_evaluation_demo()
    seed_kpi_demo()
    _attach_a_file()
    assert _poison() > 500
    User.objects.update(must_change_password=False)

    crawl = _Crawl()
    crawl.run(Client(), "anonymous")
    for account in ACCOUNTS:
        client = Client()
        client.force_login(User.objects.get(username=account.username))
        crawl.run(client, account.username)

    print(
        f"\nXSS crawl: {crawl.pages} pages, {crawl.escaped_pages} showing payloads, "
        f"{crawl.workbooks} workbooks, {crawl.pdfs} PDFs, {len(crawl.names_visited)} URL names, "
        f"{sum(1 for n in crawl.names_visited if n.startswith('admin:'))} of them admin"
    )
    assert not crawl.problems, f"{len(crawl.problems)} live payloads:\n" + "\n".join(
        sorted(set(crawl.problems))[:80]
    )
    # The crawl saw the payloads (escaped) on many pages, so passing is not vacuous.
    assert crawl.escaped_pages >= 40, crawl.escaped_pages
    assert crawl.workbooks >= 4 and crawl.pdfs >= 1, crawl.kinds
    assert len(crawl.names_visited) >= 120, len(crawl.names_visited)
