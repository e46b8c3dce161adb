"""Content-Security-Policy: Django's own middleware sends the policy on every response, and no
project template relies on what the policy forbids (inline scripts without the nonce, inline
event handlers, style attributes, inline <style>, javascript: URLs).

The browser test tests/e2e/test_csp.py visits the main pages and fails on any violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from portal.models import Role
from tests.factories import NeedFactory, UserFactory, make_tree, user_with_role

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates"] + [
    ROOT / app / "templates" for app in ("portal", "resources", "reporting", "evaluation")
]

# One opening tag (Django template tags inside it may hold anything but ">").
TAG = r"<[a-zA-Z][^<>]*?"
FORBIDDEN = {
    "inline <script> without nonce": re.compile(r"<script\b(?![^>]*\b(?:src|nonce)=)[^>]*>", re.I),
    "inline event handler": re.compile(TAG + r"[\s}]on[a-z]+\s*=", re.I),
    "style attribute": re.compile(TAG + r"[\s}]style\s*=", re.I),
    "inline <style> without nonce": re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>", re.I),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
}


COMMENTS = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def violations(text: str) -> list[str]:
    """What in a template's source the Content-Security-Policy would block."""
    text = COMMENTS.sub("", text)
    return [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]


def project_templates() -> list[Path]:
    return sorted(
        path
        for folder in TEMPLATE_DIRS
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.suffix in {".html", ".txt", ".xml"} and path.is_file()
    )


@pytest.mark.parametrize(
    "snippet, expected",
    [
        ("<script>alert(1)</script>", "inline <script> without nonce"),
        ('<script type="module">x()</script>', "inline <script> without nonce"),
        ('<button onclick="go()">', "inline event handler"),
        ('<input type="text" readonly\n  onfocus="this.select()">', "inline event handler"),
        ('<div class="x" style="display:none">', "style attribute"),
        ('<p {% if a %}style="color:red"{% endif %}>', "style attribute"),
        ("<style>p { color: red }</style>", "inline <style> without nonce"),
        ('<a href="javascript:history.back()">', "javascript: URL"),
    ],
)
def test_the_scanner_catches_what_the_policy_blocks(snippet, expected):
    assert violations(snippet) == [expected]


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/app.js" defer></script>',
        '<script nonce="{{ csp_nonce }}">init()</script>',
        '<style nonce="{{ csp_nonce }}">p { color: red }</style>',
        '<link rel="stylesheet" href="/static/css/app.css">',
        "<p>Sign on=now and style=plain are words, not attributes</p>",
        '<a href="/docs/javascript-guide/">',
    ],
)
def test_the_scanner_passes_what_the_policy_allows(snippet):
    assert violations(snippet) == []


def test_no_project_template_uses_inline_script_handlers_or_styles():
    templates = project_templates()
    assert len(templates) > 50  # the scan really reads the project's templates

    found = {
        str(path.relative_to(ROOT)): names
        for path in templates
        if (names := violations(path.read_text(encoding="utf-8")))
    }

    assert found == {}


def test_the_policy_is_on_in_every_environment():
    policy = django_settings.SECURE_CSP
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in django_settings.MIDDLEWARE
    assert "'unsafe-inline'" not in str(policy)
    assert "'unsafe-eval'" not in str(policy)
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.django_db
def test_pages_carry_the_policy_with_a_fresh_nonce_that_their_scripts_use():
    client = Client()
    nonces = []
    for _ in range(2):
        response = client.get("/accounts/login/")
        assert response.status_code == 200
        policy = directives(response.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        nonce = next(v for v in policy["script-src"] if v.startswith("'nonce-"))[7:-1]
        assert policy["script-src"][0] == "'self'"
        assert f'nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)

    assert len(nonces[0]) >= 16
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_the_api_docs_load_their_set_up_script_from_a_url_not_inline():
    response = Client().get("/api/v1/docs/")

    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    page = response.content.decode()
    assert violations(page) == []
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    script = Client().get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_rendered_pages_of_staff_and_the_public_have_no_inline_code(settings):
    settings.LANGUAGE_CODE = "en"
    tree = make_tree()
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    need = NeedFactory(community=tree["a"])
    client = Client()
    client.force_login(worker)
    urls = ["/staff/", "/staff/needs/", f"/staff/needs/{need.pk}/", "/needs/new/", "/track/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response.headers, url
        assert violations(response.content.decode()) == [], url


@pytest.mark.django_db
def test_the_admin_renders_under_the_policy_without_inline_code():
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    assert violations(response.content.decode()) == []
