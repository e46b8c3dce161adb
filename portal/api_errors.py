"""One error shape for the whole API, whatever raised the error.

    {"error": {"code": "invalid_input", "message": "…", "fields": {"title": ["…"]}}}

``code`` is stable (machines branch on it); ``message`` is for people, in the request's
language; ``fields`` names the request fields at fault, when there are any. Domain errors
from the services (portal.errors) keep their own code and status: 400, 403, 404 or 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from portal.errors import DomainError

# DRF's own exception classes → our stable codes.
_CODES: dict[type, str] = {
    exceptions.ValidationError: "invalid_input",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def set_rollback() -> None:
    # Imported late: rest_framework.views loads the authentication classes named in the
    # settings, which import this module.
    from rest_framework.views import set_rollback as drf_set_rollback

    drf_set_rollback()


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    """The JSON body of an error response."""
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail → {"field" or "field.sub": [messages]}."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for name, value in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            fields.update(_flatten(value, key))
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return fields
    return {prefix or "non_field_errors": [str(detail)]}


def _code_of(exc: exceptions.APIException) -> str:
    for klass in type(exc).__mro__:
        if klass in _CODES:
            return _CODES[klass]
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else "error"


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as ``error_body``; None → a real 500."""
    if isinstance(exc, DomainError):
        fields = {exc.field: [str(exc.message)]} if exc.field else {}
        set_rollback()
        return Response(error_body(exc.code, exc.message, fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait)}"
    code = _code_of(exc)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = _("Some of the information given is not valid.")
    else:
        fields = {}
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        # A permission class may carry its own stable code (e.g. "missing_scope").
        custom = getattr(exc, "error_code", None)
        if custom:
            code = custom
    set_rollback()
    return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)


class MissingScope(exceptions.PermissionDenied):
    """The client's credentials do not carry the scope this endpoint needs."""

    error_code = "missing_scope"
    status_code = status.HTTP_403_FORBIDDEN
