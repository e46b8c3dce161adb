"""Domain exceptions. Services raise them; forms, views and the API turn them into messages.

Each carries a stable ``code`` for machines and a translated ``message`` for people; a
``field`` names the form field the problem belongs to, when there is one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base class: a request that cannot be carried out as asked. HTTP 400."""

    code = "invalid"
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, field: str | None = None, code: str | None = None):
        self.message = message if message is not None else self.default_message
        self.field = field
        if code:
            self.code = code
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    code = "invalid_input"
    default_message = _("Some of the information given is not valid.")


class IllegalTransition(DomainError):
    """A state change that the state machine does not allow from the current state. HTTP 409."""

    code = "illegal_transition"
    status = 409
    default_message = _("This action is not allowed in the current state.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with the current state of the record.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")
