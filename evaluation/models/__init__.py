"""Models of evaluation, one module per concept; import them from ``evaluation.models``."""

from evaluation.models.annual import (
    MAX_ADJUSTMENT,
    EvaluationAdjustment,
    EvaluationPublication,
    EvaluationResult,
    EvaluationScheme,
)
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
from evaluation.models.ratings import Rating
from evaluation.models.rewards import Redemption, RedemptionStatus, Reward

__all__ = [
    "DEFAULT_RULES",
    "MAX_ADJUSTMENT",
    "EvaluationAdjustment",
    "EvaluationPublication",
    "EvaluationResult",
    "EvaluationScheme",
    "Export",
    "ExportStatus",
    "KpiDaily",
    "RULE_EVENTS",
    "AppendOnlyLedgerQuerySet",
    "PointAccount",
    "PointEntry",
    "PointEvent",
    "PointRule",
    "Rating",
    "Redemption",
    "RedemptionStatus",
    "Reward",
]
