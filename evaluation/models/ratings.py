"""Ratings of activities and projects (needs carry their own rating: ``resources.Need.rating``).

Who rates what, and how repeats are stopped (``rater_key`` is unique per subject):

* an **activity** is rated by the party members who served in it (a verified service record),
  from their own pages: ``rater_key = "member:<id>"``;
* a **project** is rated by the residents whose needs it met, from the public tracking page
  (tracking number + the last 4 digits of their phone): ``rater_key = "need:<id>"``.

Signed-in members and a need's own tracking details are the two identities the portal can
check without collecting more personal data, so an open "rate this" link for anyone is not
offered. Ratings feed the satisfaction of the members and units behind the activity or project
in the annual evaluation.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Area


class Rating(models.Model):
    """One resident's or member's 1–5 stars for an activity or a project; never changed."""

    activity = models.ForeignKey(
        "reporting.Activity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    project = models.ForeignKey(
        "resources.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    # The community of the activity or project; portal.access.scope filters on it.
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    rater_key = models.CharField(_("rated by"), max_length=64)
    created_at = models.DateTimeField(_("rated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "created_at"], name="rating_community_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(activity__isnull=False, project__isnull=True)
                | Q(activity__isnull=True, project__isnull=False),
                name="rating_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_one_to_five"
            ),
            models.UniqueConstraint(
                fields=["activity", "rater_key"],
                condition=Q(activity__isnull=False),
                name="rating_once_per_activity",
            ),
            models.UniqueConstraint(
                fields=["project", "rater_key"],
                condition=Q(project__isnull=False),
                name="rating_once_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity or self.project}: {self.stars}★"

    @property
    def stars_display(self) -> str:
        return "★" * self.stars + "☆" * (5 - self.stars)
