"""Which point rule applies: the nearest area up the tree, a year's rule before an all-years rule.

Pure Python over rows already read, so one query serves a whole nightly run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from evaluation.models.points import DEFAULT_RULES


@dataclass(frozen=True, slots=True)
class RuleRow:
    area_path: str
    area_level: int
    year: int | None
    event: str
    points: Decimal
    daily_cap: Decimal | None


@dataclass(frozen=True, slots=True)
class EffectiveRule:
    event: str
    points: Decimal
    daily_cap: Decimal | None
    # The area path and year of the rule that won; None when the product default applies.
    area_path: str | None = None
    year: int | None = None

    @property
    def is_default(self) -> bool:
        return self.area_path is None


def ancestor_paths(path: str) -> list[str]:
    """``path`` and the paths of every area above it, nearest first."""
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


def default_rule(event: str) -> EffectiveRule:
    points, cap = DEFAULT_RULES[event]
    return EffectiveRule(event=event, points=points, daily_cap=cap)


class RuleBook:
    """Active rules indexed by (event, area path); answers ``rule_for`` without queries."""

    def __init__(self, rows: Iterable[RuleRow]):
        self._rows: dict[tuple[str, str], list[RuleRow]] = {}
        for row in rows:
            self._rows.setdefault((row.event, row.area_path), []).append(row)
        self._cache: dict[tuple[str, str, int | None], EffectiveRule] = {}

    def rule_for(self, event: str, *, area_path: str, year: int | None) -> EffectiveRule:
        key = (event, area_path, year)
        if key not in self._cache:
            self._cache[key] = self._resolve(event, area_path, year)
        return self._cache[key]

    def _resolve(self, event: str, area_path: str, year: int | None) -> EffectiveRule:
        best: tuple[tuple[int, bool], RuleRow] | None = None
        for path in ancestor_paths(area_path):
            for row in self._rows.get((event, path), ()):
                if row.year is not None and row.year != year:
                    continue
                rank = (row.area_level, row.year is not None)
                if best is None or rank > best[0]:
                    best = (rank, row)
        if best is None:
            return default_rule(event)
        row = best[1]
        return EffectiveRule(
            event=event,
            points=row.points,
            daily_cap=row.daily_cap,
            area_path=row.area_path,
            year=row.year,
        )


def day_share(*, earned_before: Decimal, earned: Decimal, cap: Decimal | None) -> Decimal:
    """Points to book for ``earned`` when the same day already earned ``earned_before``.

    A day books the earned total, floored at zero and cut at the cap. Each entry books the
    change of that figure, so a negative correction on a capped day only takes back what the
    cap had let through: 10 hours capped at 8, then corrected by -2, leaves 8.
    """

    def booked(total: Decimal) -> Decimal:
        total = max(total, Decimal("0"))
        return total if cap is None else min(total, cap)

    return booked(earned_before + earned) - booked(earned_before)
