"""Service hours as money-like decimals: two places, rounded half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet, Sum

HOURS_QUANTUM = Decimal("0.01")


def total_hours(records: QuerySet) -> Decimal:
    """Plain sum of ``hours`` (corrections carry differences), to two places.

    SQLite sums decimals as floats; quantizing gives the same answer on every backend.
    """
    total = records.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    return Decimal(total).quantize(HOURS_QUANTUM, ROUND_HALF_UP)
