"""Describe what an edit changed, for the audit log."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _same(old: Any, new: Any) -> bool:
    # Decimals compare by value: a stored 0.100 and a submitted 0.10 are no change.
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is new
        try:
            return Decimal(str(old)) == Decimal(str(new))
        except InvalidOperation:
            return False
    return _plain(old) == _plain(new)


def changed_fields(instance: models.Model, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field whose value differs."""
    changes: dict[str, list[Any]] = {}
    for name, new in new_values.items():
        old = getattr(instance, name)
        if not _same(old, new):
            changes[name] = [_plain(old), _plain(new)]
    return changes
