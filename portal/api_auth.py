"""How a partner system proves who it is and what it may do through the API.

Authentication: ``Authorization: Bearer bd_<prefix>.<secret>`` (portal.api_clients).
Permission: effective access = what the partner role grants in the client's areas (through
``portal.access.scope``, in the selectors) ∩ the scopes on the client's credentials (here).
Throttling: per client, at the client's own rate, counted in the Django cache (Redis in
production); anonymous Open311 calls per address (submissions and reads apart); a throttled
request gets 429 with ``Retry-After``.
"""

from __future__ import annotations

from django.core.cache import cache as default_cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from portal.api_clients import authenticate_key
from portal.api_errors import MissingScope
from portal.models import PartnerClient
from portal.ratelimits import by_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class PartnerKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <api key>``. The request's user is the client's service
    account; ``request.auth`` is the key, ``request.auth.client`` the partner."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the API key as “Bearer <key>”."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This API key is not valid.")) from None
        key = authenticate_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(
                _("This API key is not valid, revoked or expired.")
            )
        return key.client.user, key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="baodao"'


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api_auth.PartnerKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "bd_<prefix>.<secret>",
            "description": "A partner API key, issued by a city administrator (docs/api.md).",
        }


def client_of(request) -> PartnerClient | None:
    """The partner client behind a request authenticated with an API key."""
    key = getattr(request, "auth", None)
    return getattr(key, "client", None)


class HasPartnerScope(BasePermission):
    """The client must be authenticated and hold the view's scope for this method.

    Views name ``read_scope`` (GET) and ``write_scope`` (everything else); None means any
    authenticated client may call it.
    """

    def has_permission(self, request, view) -> bool:
        client = client_of(request)
        if client is None:
            raise exceptions.NotAuthenticated(_("Send a partner API key."))
        needed = (
            getattr(view, "read_scope", None)
            if request.method in SAFE_METHODS
            else getattr(view, "write_scope", None)
        )
        if needed and not client.has_scope(needed):
            raise MissingScope(_("This API key lacks the “%(scope)s” scope.") % {"scope": needed})
        return True


class PartnerRateThrottle(SimpleRateThrottle):
    """Requests per minute per client, at the rate set on the client."""

    cache = default_cache
    scope = "partner"

    def __init__(self):
        # The rate comes from the client, not from REST_FRAMEWORK's table.
        self.rate = None
        self.num_requests = 0
        self.duration = 60

    def get_cache_key(self, request, view) -> str | None:
        client = client_of(request)
        if client is None:
            return None
        return f"throttle:partner:{client.pk}:{client.created_at.timestamp():.6f}"

    def allow_request(self, request, view) -> bool:
        client = client_of(request)
        if client is None:
            return True
        self.num_requests = client.rate_per_minute
        self.rate = f"{client.rate_per_minute}/min"
        return super().allow_request(request, view)


class ClientAddressThrottle(SimpleRateThrottle):
    """Counts per client address as the rest of the site does (``portal.ratelimits.by_ip``:
    REMOTE_ADDR or the header named by BAODAO_CLIENT_IP_HEADER, IPv6 by its /64).

    DRF's own ``get_ident`` believes a client-sent ``X-Forwarded-For`` when NUM_PROXIES is
    unset, so a new made-up address in every request would get a fresh budget."""

    def get_ident(self, request) -> str:
        return by_ip(request)


class Open311AnonThrottle(ClientAddressThrottle):
    """Anonymous Open311 submissions: a modest rate per address."""

    cache = default_cache
    scope = "open311_anon"
    rate = "30/hour"

    def get_cache_key(self, request, view) -> str | None:
        if client_of(request) is not None or request.method in SAFE_METHODS:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class Open311AnonReadThrottle(ClientAddressThrottle):
    """Anonymous Open311 reads (services, a request's status by tracking number): a rate per
    address, counted apart from submissions, so tracking numbers cannot be enumerated."""

    cache = default_cache
    scope = "open311_anon_read"
    rate = "120/hour"

    def get_cache_key(self, request, view) -> str | None:
        if client_of(request) is not None or request.method not in SAFE_METHODS:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
