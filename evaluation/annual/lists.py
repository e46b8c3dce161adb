"""The red list (红榜) and the black list (黑榜) of one ranking (a community's or a street's).

Pure Python over final scores. The rules, all of them data (``EvaluationScheme``):

* **red**: a subject that passed (final score ≥ the pass mark) and is among the top
  ``red_top_n`` (ties share a place, so a tie on the last place lists everyone on it) or, when a
  threshold is set, scored at or above it. ``red_top_n = 0`` leaves only the threshold.
* **black**: a subject among the bottom ``black_bottom_n`` (ties shared) that is not on the red
  list and not level with the best (when everyone scores the same, nobody is "the bottom"),
  or one that failed (below the pass mark) this year and the year before — "failed two
  years running" puts a subject on the black list whatever its place.

Red wins over "bottom N" in a cohort too small to hold both lists, but never over "failed two
years running": a subject who failed cannot be on the red list in the first place.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from evaluation.annual.scoring import bottom_ranks, competition_ranks


class Standing(StrEnum):
    RED = "red"
    BLACK = "black"
    NONE = ""


class Reason(StrEnum):
    TOP_N = "top_n"
    THRESHOLD = "threshold"
    BOTTOM_N = "bottom_n"
    FAILED_TWICE = "failed_twice"
    NONE = ""


@dataclass(frozen=True, slots=True)
class ListRules:
    pass_mark: Decimal = Decimal("60")
    red_top_n: int = 3
    red_threshold: Decimal | None = None
    black_bottom_n: int = 1


@dataclass(frozen=True, slots=True)
class Placing:
    rank: int
    standing: Standing
    reason: Reason
    passed: bool


def place(
    scores: Mapping[str, Decimal],
    rules: ListRules,
    *,
    failed_last_year: Collection[str] = (),
) -> dict[str, Placing]:
    """Rank, list standing and pass/fail of every subject of one ranking."""
    ranks = competition_ranks(scores)
    from_bottom = bottom_ranks(scores)
    placings = {}
    for key, score in scores.items():
        passed = score >= rules.pass_mark
        if passed and rules.red_top_n and ranks[key] <= rules.red_top_n:
            standing, reason = Standing.RED, Reason.TOP_N
        elif passed and rules.red_threshold is not None and score >= rules.red_threshold:
            standing, reason = Standing.RED, Reason.THRESHOLD
        elif not passed and key in failed_last_year:
            standing, reason = Standing.BLACK, Reason.FAILED_TWICE
        elif rules.black_bottom_n and from_bottom[key] <= rules.black_bottom_n and ranks[key] > 1:
            standing, reason = Standing.BLACK, Reason.BOTTOM_N
        else:
            standing, reason = Standing.NONE, Reason.NONE
        placings[key] = Placing(ranks[key], standing, reason, passed)
    return placings
