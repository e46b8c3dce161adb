"""Production settings (DJANGO_ENV=production): Django's deployment checks pass, DEBUG cannot be
switched on, and the site refuses to start without each secret (or the shared cache), naming
the missing variable.

Each test runs Django in a subprocess with a clean environment, because settings are read once
per process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "BAODAO_FIELD_ENCRYPTION_KEYS",
    "BAODAO_LOOKUP_HASH_KEY",
    # Not a secret, but required: rate limits and throttles must be shared by all processes.
    "REDIS_URL",
)


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A production environment with throwaway secrets; None removes a variable."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "BAODAO_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "postgres://baodao:secret@db.internal:5432/baodao",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "BAODAO_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BAODAO_LOOKUP_HASH_KEY": secrets.token_urlsafe(48),
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_PROXY_SSL_HEADER": list(s.SECURE_PROXY_SSL_HEADER or []),
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_SAMESITE": s.SESSION_COOKIE_SAMESITE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_HTTPONLY": s.CSRF_COOKIE_HTTPONLY,
    "SECURE_CSP": bool(s.SECURE_CSP),
    "SECRET_KEY_FALLBACKS": s.SECRET_KEY_FALLBACKS,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
}))
"""


def show_settings(env: dict[str, str]) -> dict:
    result = run(env, "-c", SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_deployment_checks_pass_under_production_settings(tmp_path):
    result = deploy_check(production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checks_fail_when_https_redirect_is_switched_off(tmp_path):
    # Proves the check above has teeth: a weakened production setting makes it fail.
    result = deploy_check(production_env(tmp_path, DJANGO_SECURE_SSL_REDIRECT="0"))

    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize("name", SECRETS)
def test_production_refuses_to_start_without_each_secret(tmp_path, name):
    result = deploy_check(production_env(tmp_path, **{name: None}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


@pytest.mark.parametrize(
    "name, value",
    [
        ("DJANGO_SECRET_KEY", "too-short"),
        ("DJANGO_SECRET_KEY", "django-insecure-" + secrets.token_urlsafe(50)),
        ("DJANGO_SECRET_KEY", "a" * 60),
        ("DJANGO_SECRET_KEY_FALLBACKS", "old-and-short"),
        ("DATABASE_URL", "sqlite:////tmp/baodao.sqlite3"),
        ("BAODAO_FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
    ],
)
def test_production_refuses_weak_or_unsuitable_secrets(tmp_path, name, value):
    result = deploy_check(production_env(tmp_path, **{name: value}))

    assert result.returncode != 0
    assert name in result.stderr


def test_debug_cannot_be_switched_on_in_production(tmp_path):
    values = show_settings(production_env(tmp_path, DJANGO_DEBUG="1"))

    assert values["DEBUG"] is False


def test_debug_can_be_switched_on_in_development(tmp_path):
    # The same variable does work outside production, so the test above can fail.
    env = production_env(tmp_path, DJANGO_ENV="development", DJANGO_DEBUG="1")

    assert show_settings(env)["DEBUG"] is True


def test_production_uses_https_only_cookies_hsts_and_the_proxy_header(tmp_path):
    values = show_settings(production_env(tmp_path))

    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_CSP"] is True
    assert values["ENGINE"] == "django.db.backends.postgresql"


def test_old_secret_keys_are_read_for_rotation(tmp_path):
    old = [secrets.token_urlsafe(50), secrets.token_urlsafe(50)]
    env = production_env(tmp_path, DJANGO_SECRET_KEY_FALLBACKS=",".join(old))

    assert show_settings(env)["SECRET_KEY_FALLBACKS"] == old


MAIL_TLS = """
import django
django.setup()
from django.conf import settings
print(settings.MAILERS["default"]["OPTIONS"]["use_tls"])
"""


@pytest.mark.parametrize(
    ("host", "flag", "expected"),
    [
        ("smtp.example.org", None, "True"),
        ("localhost", None, "False"),
        ("smtp.example.org", "0", "False"),
    ],
)
def test_reset_mail_goes_over_tls_to_a_relay_off_this_host(tmp_path, host, flag, expected):
    env = production_env(tmp_path, DJANGO_EMAIL_HOST=host, DJANGO_EMAIL_USE_TLS=flag)

    result = run(env, "-c", MAIL_TLS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
