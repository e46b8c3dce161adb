"""Baodao settings: one module, driven by the environment, with safe embedded defaults.

Environment variables (all optional in development):
  DJANGO_ENV            "development" (default) or "production"
  DJANGO_DEBUG          "1" turns DEBUG on (never in production)
  DJANGO_SECRET_KEY     required in production (50+ random characters); a per-checkout key
                        is generated otherwise
  DJANGO_SECRET_KEY_FALLBACKS  comma-separated previous keys during a rotation
  DJANGO_ALLOWED_HOSTS  comma-separated host names; required in production
  DATABASE_URL          e.g. postgres://user@host:5432/db; default SQLite in var/; required
                        in production, and PostgreSQL
  REDIS_URL             cache (and Celery broker unless CELERY_BROKER_URL is set); required
                        in production
  CELERY_BROKER_URL     Celery broker; without one (and without REDIS_URL) an embedded
                        broker in var/celery serves `make run`
  CELERY_TASK_ALWAYS_EAGER  "1" runs tasks in the calling process (tests)
  BAODAO_NOTIFICATION_CHANNELS  comma-separated channel classes for notifications
                        (default portal.notify.ConsoleChannel; see docs/operations.md)
docs/operations.md lists every variable, including the personal-data keys, retention, upload,
rate-limit and mail settings defined further down.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BAODAO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = os.environ.get("DJANGO_ENV", "development").strip().lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DJANGO_DEBUG") and not PRODUCTION


def _strong_secret(name: str, key: str) -> str:
    """The key, or ImproperlyConfigured naming the variable when Django would call it weak."""
    if len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            f"{name} is too weak: use at least 50 random characters, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    return key


def _dev_key_file(name: str, make) -> str:
    """Development only: the key kept in var/<name> (never committed), made once by ``make``."""
    key_file = VAR_DIR / name
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        key = make()
        try:
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(key)
        except OSError:
            pass  # read-only checkout: the key lives for this process only
        return key


def _secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    if key:
        return _strong_secret("DJANGO_SECRET_KEY", key) if PRODUCTION else key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production.")
    # Development only: a random key kept beside the local database, never committed.
    return _dev_key_file("secret_key", lambda: secrets.token_urlsafe(50))


SECRET_KEY = _secret_key()
# Rotation (docs/operations.md): the new key goes into DJANGO_SECRET_KEY, the old one here, so
# sessions and signed links made with it stay valid until they expire; then drop it.
SECRET_KEY_FALLBACKS = [
    _strong_secret("DJANGO_SECRET_KEY_FALLBACKS", key) if PRODUCTION else key
    for key in env_list("DJANGO_SECRET_KEY_FALLBACKS")
]

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "portal",
    "resources",
    "reporting",
    "evaluation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.accounts.middleware.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'baodao.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if PRODUCTION and not os.environ.get("DATABASE_URL", "").strip():
    raise ImproperlyConfigured(
        "DATABASE_URL must be set when DJANGO_ENV=production (postgres://user:password@host/db)."
    )
if PRODUCTION and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL in production, not SQLite.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL and a busy timeout let the web process and in-process jobs share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"
# The lockout check (django-axes) first, then the password check.
AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.LockoutBackend",
    "portal.auth.PhoneOrUsernameBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "real_name", "email", "phone")},
    },
    {"NAME": "portal.accounts.validators.PersonalDataPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts and sessions (portal.accounts; docs/security.md).
# Sign-in lockout (django-axes): 5 failures within 30 minutes lock the account (whether its
# username or its phone number was typed) and, separately, the client address, for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "portal.accounts.lockout.lockout_key"
AXES_CLIENT_IP_CALLABLE = "portal.accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.accounts.lockout.lockout_response"
# A correct password clears the account's count only (portal.accounts.signals), never the
# address's; attempts made while locked do not extend the lockout, so its end can be shown.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Behind a reverse proxy: the header it sets with the client's address (e.g. X-Real-IP, or
# X-Forwarded-For whose right-most entry is used). Empty: REMOTE_ADDR. Never set it without a
# proxy that overwrites the header, or clients could choose their own address.
BAODAO_CLIENT_IP_HEADER = os.environ.get("BAODAO_CLIENT_IP_HEADER", "").strip()
# Two-factor authentication (django-otp, TOTP): required for district officials, city
# administrators, auditors and superusers (portal.accounts.policy).
OTP_TOTP_ISSUER = "Baodao"
OTP_TOTP_THROTTLE_FACTOR = 1
# Staff sessions end after 30 minutes idle; members keep SESSION_COOKIE_AGE (two weeks).
BAODAO_STAFF_SESSION_IDLE_SECONDS = int(os.environ.get("BAODAO_STAFF_SESSION_IDLE_SECONDS", "1800"))
# Password reset links work for 30 minutes, once.
PASSWORD_RESET_TIMEOUT = 1800
# Outgoing e-mail (password reset links): the console in development, SMTP in production.
if PRODUCTION or os.environ.get("DJANGO_EMAIL_HOST"):
    EMAIL_SERVER = os.environ.get("DJANGO_EMAIL_HOST", "localhost").strip()
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_SERVER,
                "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
                "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
                "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
                # Reset links must not cross the network in clear: STARTTLS unless the relay
                # is on this host (or DJANGO_EMAIL_USE_TLS=0 says otherwise).
                "use_tls": env_bool(
                    "DJANGO_EMAIL_USE_TLS", EMAIL_SERVER not in {"localhost", "127.0.0.1", "::1"}
                ),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "baodao@localhost")

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if PRODUCTION and not REDIS_URL:
    # An in-process cache would give every worker process its own rate-limit and throttle
    # counts, multiplying each limit by the number of processes.
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DJANGO_ENV=production (redis://host:6379/0): rate limits "
        "and API throttles are counted in the cache, which all processes must share."
    )
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# Cookies: HttpOnly (no script reads them: htmx sends the CSRF token from the page), SameSite
# Lax, and Secure in production (HTTPS only).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (Django's own middleware), in every environment so the tests and the
# browser tests run under it. No inline script or style anywhere: scripts and styles are static
# files; the rare inline <script> carries the per-request nonce ({{ csp_nonce }}).
# tests/security/test_csp.py scans the templates; tests/e2e/test_csp.py watches for violations.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The partner API (/api/v1/, docs/api.md): partner API keys, scopes and per-client rates.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api_auth.PartnerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api_auth.HasPartnerScope"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api_auth.PartnerRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api_errors.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baodao partner API",
    "DESCRIPTION": (
        "Read and write Baodao (报到) from partner systems: needs, resources, projects, "
        "activities, service records, matches and enrollments of the areas a partner was "
        "registered for. Authenticate with `Authorization: Bearer <api key>`; see docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Sparse fieldsets (?fields=) may leave out any field of a response.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    "ENUM_NAME_OVERRIDES": {
        "NeedStatusEnum": "resources.models.NeedStatus",
        "ResourceStatusEnum": "resources.models.ResourceStatus",
        "ProjectStatusEnum": "resources.models.ProjectStatus",
        "MatchStatusEnum": "resources.models.MatchStatus",
        "ActivityStatusEnum": "reporting.models.ActivityStatus",
        "CheckInStatusEnum": "reporting.models.CheckIn.Status",
        "EnrollmentStatusEnum": "reporting.models.EnrollmentStatus",
        "DeliveryStatusEnum": "portal.models.DeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api_schema.add_error_responses",
    ],
    "SECURITY": [{"partnerKey": []}],
}

# Uploads (resources.uploads): need attachments, sniffed, re-encoded and served only through a
# scoped view. Files above FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file; the total
# body size belongs to the reverse proxy (client_max_body_size ≥ files × max bytes).
BAODAO_UPLOAD_MAX_BYTES = int(os.environ.get("BAODAO_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
BAODAO_UPLOAD_MAX_FILES = int(os.environ.get("BAODAO_UPLOAD_MAX_FILES", "3"))
# Decoded size cap of an uploaded image (a decompression bomb is small on the wire), checked from
# the header before decoding. 24 million pixels (a 6000 × 4000 phone photo) keep one request with
# three images, each decoded and turned upright, to a few hundred megabytes at most.
BAODAO_UPLOAD_MAX_PIXELS = int(os.environ.get("BAODAO_UPLOAD_MAX_PIXELS", "24000000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Past this many files Django answers 400 before any form runs; up to it, the form explains.
DATA_UPLOAD_MAX_NUMBER_FILES = BAODAO_UPLOAD_MAX_FILES + 7
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Rate limits of the public pages (portal.ratelimits, django-ratelimit on the default cache,
# so Redis shares the counts between processes in production): "count/period" per client IP
# and per phone (need form) or tracking number (tracking page and its rating forms).
BAODAO_RATE_NEED_FORM_IP = os.environ.get("BAODAO_RATE_NEED_FORM_IP", "5/h")
BAODAO_RATE_NEED_FORM_PHONE = os.environ.get("BAODAO_RATE_NEED_FORM_PHONE", "3/h")
BAODAO_RATE_TRACK_IP = os.environ.get("BAODAO_RATE_TRACK_IP", "10/10m")
BAODAO_RATE_TRACK_NUMBER = os.environ.get("BAODAO_RATE_TRACK_NUMBER", "5/10m")
# Password-reset e-mails per client IP and per address asked for.
BAODAO_RATE_PASSWORD_RESET_IP = os.environ.get("BAODAO_RATE_PASSWORD_RESET_IP", "5/h")
BAODAO_RATE_PASSWORD_RESET_EMAIL = os.environ.get("BAODAO_RATE_PASSWORD_RESET_EMAIL", "3/h")
# Wrong passwords re-entered on signed-in forms (password change, turning 2FA off) per account.
BAODAO_RATE_PASSWORD_RECHECK = os.environ.get("BAODAO_RATE_PASSWORD_RECHECK", "5/h")
# Wrong passwords on the account-erasure form, per account (portal.views_privacy).
BAODAO_RATE_ERASURE_PASSWORD = os.environ.get("BAODAO_RATE_ERASURE_PASSWORD", "5/h")
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "baodao-rl:"
# The client address is the sign-in lockout's (BAODAO_CLIENT_IP_HEADER above, else REMOTE_ADDR).

# Celery. With CELERY_BROKER_URL or REDIS_URL: that broker, and Redis (or
# CELERY_RESULT_BACKEND) for results. Without them: an embedded broker and result store in
# files under var/celery, so `make run` starts web, worker and beat with no external service.
# CELERY_TASK_ALWAYS_EAGER=1 runs tasks in the calling process instead (the test suite does).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or REDIS_URL
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "").strip() or REDIS_URL
CELERY_EMBEDDED_DIR = VAR_DIR / "celery"
if not CELERY_BROKER_URL:
    for folder in ("queue", "processed", "control", "results"):
        (CELERY_EMBEDDED_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_EMBEDDED_DIR / "queue"),
        "data_folder_out": str(CELERY_EMBEDDED_DIR / "queue"),
        "processed_folder": str(CELERY_EMBEDDED_DIR / "processed"),
        # Broadcast (worker control) messages; kombu's default is ./control in the checkout.
        "control_folder": str(CELERY_EMBEDDED_DIR / "control"),
        "store_processed": False,
    }
if not CELERY_RESULT_BACKEND:
    (CELERY_EMBEDDED_DIR / "results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = (CELERY_EMBEDDED_DIR / "results").as_uri()
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# Acknowledge after the work is done: a task on a worker that dies is delivered again, and
# every task is idempotent so the second delivery changes nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_TASK_IGNORE_RESULT = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "portal.beat:DatabaseScheduler"
# The beat reads the schedule table at least this often (seconds): edits apply within it.
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Product defaults. Each may be overridden per area (and year) through portal.models.Setting.
BAODAO_DEFAULTS = {
    "need.response_hours": 24,
    "need.warning_hours": 6,
    "project.amber_lag": "0.10",
    "checkin.window_before_minutes": 30,
    "checkin.daily_cap_hours": 8,
    "checkin.geofence_radius_m": 500,
    "checkin.token_step_seconds": 30,
    # Each level above the community gets its own clock before the need goes higher.
    "need.street_response_hours": 24,
    "need.district_response_hours": 24,
    # Matching: how much each feature weighs in a proposal's score (0 switches it off).
    "matching.weight_category": 3,
    "matching.weight_distance": 2,
    "matching.weight_availability": 2,
    "matching.weight_provider": 2,
    "matching.weight_urgency": 2,
    "matching.weight_waiting": 1,
    "matching.weight_special_group": 2,
    "matching.max_candidates": 20,
    # KPI targets (evaluation.kpi.definitions): percentages, and hours for the response time.
    "kpi.target.need_response_rate": "95",
    "kpi.target.need_response_time": "24",
    "kpi.target.closed_loop_rate": "85",
    "kpi.target.resident_satisfaction": "90",
    "kpi.target.member_enrollment_rate": "100",
    "kpi.target.member_participation": "90",
    "kpi.target.unit_docking_rate": "85",
    "kpi.target.resource_utilisation": "75",
    "kpi.target.matching_coverage": "60",
    "kpi.target.matching_accuracy": "85",
    "kpi.target.special_group_coverage": "80",
    "kpi.target.dispute_mediation_success": "75",
}

# Where notifications go besides the in-app inbox (portal.notify): dotted paths of channel
# classes, comma-separated in the environment. The console channel logs them ("baodao.notify").
BAODAO_NOTIFICATION_CHANNELS = env_list(
    "BAODAO_NOTIFICATION_CHANNELS", "portal.notify.ConsoleChannel"
)


# Personal data (portal.crypto, portal.privacy, portal.retention; docs/operations.md).
# BAODAO_FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt, so
# a new key goes first and `manage.py rotate_field_keys` re-encrypts. BAODAO_LOOKUP_HASH_KEY:
# the HMAC key of the ID-number lookup hash. Both required in production; in development a
# key per checkout is generated under var/ (never committed).


def _personal_data_keys() -> tuple[list[str], str]:
    from cryptography.fernet import Fernet

    field_keys = env_list("BAODAO_FIELD_ENCRYPTION_KEYS")
    lookup_key = os.environ.get("BAODAO_LOOKUP_HASH_KEY", "").strip()
    if PRODUCTION and not field_keys:
        raise ImproperlyConfigured(
            "BAODAO_FIELD_ENCRYPTION_KEYS must be set when DJANGO_ENV=production "
            "(comma-separated Fernet keys; generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
        )
    if PRODUCTION and not lookup_key:
        raise ImproperlyConfigured(
            "BAODAO_LOOKUP_HASH_KEY must be set when DJANGO_ENV=production "
            "(a random secret of at least 32 characters)."
        )
    if not field_keys:
        field_keys = [_dev_key_file("field_encryption_key", lambda: Fernet.generate_key().decode())]
    if not lookup_key:
        lookup_key = _dev_key_file("lookup_hash_key", lambda: secrets.token_urlsafe(48))
    for key in field_keys:
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                "BAODAO_FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
    if len(lookup_key) < 32:
        raise ImproperlyConfigured("BAODAO_LOOKUP_HASH_KEY must be at least 32 characters long.")
    return field_keys, lookup_key


BAODAO_FIELD_ENCRYPTION_KEYS, BAODAO_LOOKUP_HASH_KEY = _personal_data_keys()
# Earlier lookup keys, comma-separated (like DJANGO_SECRET_KEY_FALLBACKS): look-ups and
# duplicate checks still match hashes made with them while `rotate_field_keys` rehashes.
BAODAO_LOOKUP_HASH_KEY_FALLBACKS = env_list("BAODAO_LOOKUP_HASH_KEY_FALLBACKS")


# Retention: audit events and sign-in logs stay in the database at least 184 days (graded
# protection level 2 asks for six months), then the nightly `archive_logs` job moves them to
# gzip JSONL files in BAODAO_ARCHIVE_DIR.
def _retention_days(name: str) -> int:
    raw = os.environ.get(name, "184").strip()
    try:
        days = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of days.") from None
    if days < 184:
        raise ImproperlyConfigured(f"{name} must be at least 184 days (six months); got {days}.")
    return days


BAODAO_AUDIT_RETENTION_DAYS = _retention_days("BAODAO_AUDIT_RETENTION_DAYS")
BAODAO_ACCESS_LOG_RETENTION_DAYS = _retention_days("BAODAO_ACCESS_LOG_RETENTION_DAYS")
BAODAO_ARCHIVE_DIR = Path(os.environ.get("BAODAO_ARCHIVE_DIR", VAR_DIR / "archive"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
