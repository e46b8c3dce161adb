"""Models of evaluation, one module per concept; import them from ``evaluation.models``."""

from evaluation.models.kpi import Export, ExportStatus, KpiDaily
from evaluation.models.points import (
    DEFAULT_RULES,
    RULE_EVENTS,
    AppendOnlyLedgerQuerySet,
    PointAccount,
    PointEntry,
    PointEvent,
    PointRule,
)
from evaluation.models.rewards import Redemption, RedemptionStatus, Reward

__all__ = [
    "DEFAULT_RULES",
    "Export",
    "ExportStatus",
    "KpiDaily",
    "RULE_EVENTS",
    "AppendOnlyLedgerQuerySet",
    "PointAccount",
    "PointEntry",
    "PointEvent",
    "PointRule",
    "Redemption",
    "RedemptionStatus",
    "Reward",
]
