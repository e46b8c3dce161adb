"""Red/amber/green progress of project tasks (DOMAIN.md), as pure functions.

A task is green when on plan, amber when its progress lags the plan by more than
``amber_lag`` of its duration, and red when it is past due and not done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum
from fractions import Fraction


class RAG(IntEnum):
    # Ordered so that max() gives the worst.
    GREEN = 0
    AMBER = 1
    RED = 2

    @property
    def css(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class TaskPlan:
    start: date
    due: date
    progress: int  # 0..100
    done: bool


def _planned(plan: TaskPlan, today: date) -> Fraction:
    if today < plan.start:
        return Fraction(0)
    duration = (plan.due - plan.start).days + 1
    elapsed = (today - plan.start).days + 1
    return min(Fraction(1), Fraction(elapsed, duration))


def planned_fraction(plan: TaskPlan, today: date) -> float:
    """Share of the task that should be done by the end of ``today`` (0..1)."""
    return float(_planned(plan, today))


def task_status(plan: TaskPlan, today: date, amber_lag: float | Decimal | str = 0.10) -> RAG:
    if plan.done or plan.progress >= 100:
        return RAG.GREEN
    if today > plan.due:
        return RAG.RED
    # Exact fractions: in floats 0.8 - 0.7 > 0.1, which would turn a lag of exactly 10 % amber.
    lag = _planned(plan, today) - Fraction(plan.progress, 100)
    return RAG.AMBER if lag > Fraction(str(amber_lag)) else RAG.GREEN


def project_status(
    plans: list[TaskPlan], today: date, amber_lag: float | Decimal | str = 0.10
) -> RAG:
    """The worst status of a project's tasks; green when it has none."""
    return max((task_status(p, today, amber_lag) for p in plans), default=RAG.GREEN)
