"""Reporting periods: a month, a quarter, a year or a custom range of days. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

KINDS = ("month", "quarter", "year", "custom")
# The longest custom range a page computes (a little over two years).
MAX_CUSTOM_DAYS = 800
# The days a period may be chosen in; dates outside (e.g. year 1 or 9999, where the previous
# or next period cannot be computed) are treated as unreadable.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same kind just before this one (same length for custom)."""
        if self.kind == "month":
            return month_of(self.start - timedelta(days=1))
        if self.kind == "quarter":
            return quarter_of(self.start - timedelta(days=1))
        if self.kind == "year":
            return year_of(self.start - timedelta(days=1))
        end = self.start - timedelta(days=1)
        return Period("custom", end - timedelta(days=self.days - 1), end)

    def includes(self, day: date) -> bool:
        return self.start <= day <= self.end

    def query(self) -> dict[str, str]:
        """The GET parameters that select this period."""
        if self.kind == "custom":
            return {"period": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"period": self.kind, "at": self.start.isoformat()}


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, following - timedelta(days=1))


def quarter_of(day: date) -> Period:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    end = month_of(date(day.year, first_month + 2, 1)).end
    return Period("quarter", start, end)


def year_of(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))


def _date(text: str | None) -> date | None:
    """The ISO date in ``text``; None when missing, unreadable or outside the allowed range."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        return None
    return day


def parse_period(params: Mapping[str, str], *, today: date) -> Period:
    """The period chosen by GET parameters (``period``, ``at``, ``from``, ``to``).

    Anything missing or unreadable (including dates outside ``FIRST_DAY``..``LAST_DAY``) falls
    back to the current month; a custom range is put in order and capped at
    ``MAX_CUSTOM_DAYS`` days back from its end.
    """
    kind = params.get("period") or "month"
    if kind == "custom":
        start, end = _date(params.get("from")), _date(params.get("to"))
        if start and end:
            start, end = min(start, end), max(start, end)
            start = max(start, end - timedelta(days=MAX_CUSTOM_DAYS - 1))
            return Period("custom", start, end)
        kind = "month"
    anchor = _date(params.get("at")) or today
    if kind == "quarter":
        return quarter_of(anchor)
    if kind == "year":
        return year_of(anchor)
    return month_of(anchor)


def months_ending(day: date, count: int = 12) -> list[Period]:
    """The ``count`` calendar months up to and including the one of ``day``, oldest first."""
    months = [month_of(day)]
    while len(months) < count:
        months.insert(0, month_of(months[0].start - timedelta(days=1)))
    return months
