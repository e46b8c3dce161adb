"""The annual evaluation (年度考评) of party members and resident units.

* ``EvaluationScheme``: category weights and list rules for an area (a street or above) and
  optionally one year; the nearest area up the tree wins, a year's scheme before an all-years
  one (like point rules). Without one, ``DEFAULT_SCHEME`` applies.
* ``EvaluationResult``: one subject's score of one year, with its indicator and category
  scores, ranks in its community and street and its place on the red or black list. Recomputed
  by ``evaluation.services.annual.compute_evaluation`` until the street's results are published.
* ``EvaluationAdjustment``: a street officer's manual change to a score, with the reason; never
  edited (a change of mind is another adjustment).
* ``EvaluationPublication``: a street's results of a year made visible to the street's people;
  published results are frozen.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.annual.lists import Reason, Standing
from evaluation.annual.scoring import DEFAULT_WEIGHTS, MIN_SATISFACTION_WEIGHT
from portal.models import Area

PERCENT = {"max_digits": 5, "decimal_places": 2}
_OTHER_WEIGHTS = F("weight_satisfaction") + F("weight_social_benefit") + F("weight_sustainability")
# Largest manual adjustment, up or down, in score points (of 100).
MAX_ADJUSTMENT = Decimal("20")


class StandingChoice(models.TextChoices):
    RED = Standing.RED.value, _("Red list")
    BLACK = Standing.BLACK.value, _("Black list")
    NONE = Standing.NONE.value, _("Not listed")


class ReasonChoice(models.TextChoices):
    TOP_N = Reason.TOP_N.value, _("Among the top places")
    THRESHOLD = Reason.THRESHOLD.value, _("At or above the red-list score")
    BOTTOM_N = Reason.BOTTOM_N.value, _("Among the bottom places")
    FAILED_TWICE = Reason.FAILED_TWICE.value, _("Failed two years running")
    NONE = Reason.NONE.value, "—"


class EvaluationScheme(models.Model):
    """Weights of the four indicator categories (percent) and the red/black list rules."""

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="evaluation_schemes"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    weight_input_output = models.DecimalField(
        _("input–output weight (%)"), **PERCENT, default=DEFAULT_WEIGHTS.input_output
    )
    weight_satisfaction = models.DecimalField(
        _("resident satisfaction weight (%)"), **PERCENT, default=DEFAULT_WEIGHTS.satisfaction
    )
    weight_social_benefit = models.DecimalField(
        _("social benefit weight (%)"), **PERCENT, default=DEFAULT_WEIGHTS.social_benefit
    )
    weight_sustainability = models.DecimalField(
        _("sustainability weight (%)"), **PERCENT, default=DEFAULT_WEIGHTS.sustainability
    )
    pass_mark = models.DecimalField(_("pass mark"), **PERCENT, default=Decimal("60"))
    red_top_n = models.PositiveSmallIntegerField(_("red list: top places"), default=3)
    red_threshold = models.DecimalField(
        _("red list: score at or above"), **PERCENT, null=True, blank=True
    )
    black_bottom_n = models.PositiveSmallIntegerField(_("black list: bottom places"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")
        ordering = ["area__path", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "year"],
                condition=Q(year__isnull=False),
                name="evaluation_scheme_unique_year",
            ),
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(year__isnull=True),
                name="evaluation_scheme_unique_all_years",
            ),
            models.CheckConstraint(
                condition=Q(
                    weight_input_output__gte=0,
                    weight_satisfaction__gte=MIN_SATISFACTION_WEIGHT,
                    weight_social_benefit__gte=0,
                    weight_sustainability__gte=0,
                ),
                name="evaluation_scheme_satisfaction_at_least_40",
            ),
            # Sums to 100 (within half a hundredth: SQLite adds decimals as floats).
            models.CheckConstraint(
                condition=Q(
                    weight_input_output__gte=Decimal("99.995") - _OTHER_WEIGHTS,
                    weight_input_output__lte=Decimal("100.005") - _OTHER_WEIGHTS,
                ),
                name="evaluation_scheme_weights_sum_100",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0, pass_mark__lte=100),
                name="evaluation_scheme_pass_mark_0_100",
            ),
            models.CheckConstraint(
                condition=Q(red_threshold__isnull=True)
                | Q(red_threshold__gte=0, red_threshold__lte=100),
                name="evaluation_scheme_threshold_0_100",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=2000, year__lte=2100),
                name="evaluation_scheme_year_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area}{'/' + str(self.year) if self.year else ''}"


class EvaluationResult(models.Model):
    """One member's or unit's evaluation of one year (scores are 0–100)."""

    Standing = StandingChoice

    year = models.PositiveSmallIntegerField(_("year"))
    member = models.ForeignKey(
        "reporting.PartyMember",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_results",
    )
    unit = models.ForeignKey(
        "reporting.ResidentUnit",
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_results",
    )
    # The community the subject enrolled with that year; portal.access.scope filters on it.
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Area, verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    # Raw figures of the year ({"hours": "12.50", "ratings_count": 3, ...}) and the 0–100
    # score of each indicator, as computed.
    figures = models.JSONField(_("figures"), default=dict)
    indicator_scores = models.JSONField(_("indicator scores"), default=dict)
    # The weights used ({"input_output": "20.00", ...}).
    weights = models.JSONField(_("weights"), default=dict)
    score_input_output = models.DecimalField(_("input–output"), **PERCENT)
    score_satisfaction = models.DecimalField(_("resident satisfaction"), **PERCENT)
    score_social_benefit = models.DecimalField(_("social benefit"), **PERCENT)
    score_sustainability = models.DecimalField(_("sustainability"), **PERCENT)
    computed_score = models.DecimalField(_("computed score"), **PERCENT)
    adjustment = models.DecimalField(
        _("adjustments"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    final_score = models.DecimalField(_("score"), **PERCENT)
    passed = models.BooleanField(_("passed"))
    community_rank = models.PositiveIntegerField(_("rank in the community"))
    street_rank = models.PositiveIntegerField(_("rank in the street"))
    community_standing = models.CharField(
        _("community list"), max_length=8, choices=StandingChoice.choices, blank=True
    )
    community_reason = models.CharField(
        _("why (community)"), max_length=16, choices=ReasonChoice.choices, blank=True
    )
    street_standing = models.CharField(
        _("street list"), max_length=8, choices=StandingChoice.choices, blank=True
    )
    street_reason = models.CharField(
        _("why (street)"), max_length=16, choices=ReasonChoice.choices, blank=True
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        ordering = ["year", "street_id", "-final_score", "id"]
        indexes = [
            models.Index(fields=["year", "street", "final_score"], name="evalresult_street"),
            models.Index(fields=["year", "community", "final_score"], name="evalresult_community"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, unit__isnull=True)
                | Q(member__isnull=True, unit__isnull=False),
                name="evaluation_result_one_subject",
            ),
            models.UniqueConstraint(
                fields=["year", "member"],
                condition=Q(member__isnull=False),
                name="evaluation_result_once_per_member_year",
            ),
            models.UniqueConstraint(
                fields=["year", "unit"],
                condition=Q(unit__isnull=False),
                name="evaluation_result_once_per_unit_year",
            ),
            models.CheckConstraint(
                condition=Q(
                    final_score__gte=0,
                    final_score__lte=100,
                    computed_score__gte=0,
                    computed_score__lte=100,
                ),
                name="evaluation_result_scores_0_100",
            ),
            models.CheckConstraint(
                condition=Q(community_standing__in=StandingChoice.values)
                & Q(street_standing__in=StandingChoice.values),
                name="evaluation_result_standing_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.subject}: {self.final_score}"

    @property
    def subject(self):
        return self.member if self.member_id else self.unit

    @property
    def subject_kind(self) -> str:
        return "member" if self.member_id else "unit"

    @property
    def category_scores(self) -> list[Decimal | None]:
        """Input–output, satisfaction, social benefit, sustainability; None for a category
        left out of the cohort's score (weight 0: nobody in the street had any of it)."""
        scores = [
            ("input_output", self.score_input_output),
            ("satisfaction", self.score_satisfaction),
            ("social_benefit", self.score_social_benefit),
            ("sustainability", self.score_sustainability),
        ]
        return [
            score if Decimal(self.weights.get(code, "1")) > 0 else None for code, score in scores
        ]

    @property
    def subject_name(self) -> str:
        if self.member_id:
            return self.member.user.display_name
        return self.unit.name


class EvaluationAdjustment(models.Model):
    """A street officer's manual change to a subject's score of a year, with the reason."""

    year = models.PositiveSmallIntegerField(_("year"))
    member = models.ForeignKey(
        "reporting.PartyMember",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_adjustments",
    )
    unit = models.ForeignKey(
        "reporting.ResidentUnit",
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_adjustments",
    )
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"), max_length=1000)
    created_at = models.DateTimeField(_("made at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evaluation adjustment")
        verbose_name_plural = _("evaluation adjustments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, unit__isnull=True)
                | Q(member__isnull=True, unit__isnull=False),
                name="evaluation_adjustment_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=-MAX_ADJUSTMENT, points__lte=MAX_ADJUSTMENT) & ~Q(points=0),
                name="evaluation_adjustment_points_range",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="evaluation_adjustment_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.member or self.unit}: {self.points:+}"


class EvaluationPublication(models.Model):
    """A street's results of one year, published to the people of the street (and frozen)."""

    street = models.ForeignKey(
        Area, verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("evaluation publication")
        verbose_name_plural = _("evaluation publications")
        ordering = ["-year", "street__path"]
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="evaluation_published_once")
        ]

    def __str__(self) -> str:
        return f"{self.street} {self.year}"
