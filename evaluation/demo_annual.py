"""Demo data for ratings and the annual evaluation, through the real services.

Run by ``seed_demo`` after the city, its reporting data and points exist: members rate some of
the activities they served in, the year (and the year before, where enrollments exist) is
computed for every street, the demo street officer adjusts one score with a reason and
publishes the first street's results of the year before, so every page has something to show.
Safe to run again: once results exist nothing is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from evaluation.models import EvaluationResult, Rating
from evaluation.services.annual import adjust_score, compute_evaluation, publish_results
from evaluation.services.ratings import rate_activity
from portal.models import Area, User
from reporting.models import Enrollment, ServiceRecord

FIRST_STREET = "339001001"
DEMO_STREET_OFFICER = "street"
# Stars the demo members give, in turn (mostly satisfied, as in real life).
STARS = (5, 4, 5, 3, 5, 4, 2, 5)
COMMENTS = ("组织得很好", "时间安排合理", "", "场地有点小", "", "很有意义", "人手不够", "")
MAX_ACTIVITY_RATINGS = 60


@dataclass
class EvaluationDemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


def _activity_ratings(now: datetime) -> int:
    served = (
        ServiceRecord.objects.filter(activity__isnull=False, corrects__isnull=True)
        .select_related("activity", "member")
        .order_by("id")
    )
    made, seen = 0, set()
    for record in served:
        key = (record.activity_id, record.member_id)
        if key in seen or made >= MAX_ACTIVITY_RATINGS:
            continue
        seen.add(key)
        stars = STARS[made % len(STARS)]
        rate_activity(
            activity=record.activity,
            member=record.member,
            stars=stars,
            comment=COMMENTS[made % len(COMMENTS)],
            now=min(now, record.ended_at + timedelta(hours=2)),
        )
        made += 1
    return made


def seed_evaluation_demo(*, now: datetime | None = None) -> EvaluationDemoResult:
    """Activity ratings, the evaluation of each enrolled year, an adjustment and a publication."""
    now = now or timezone.now()
    street = Area.objects.filter(code=FIRST_STREET).first()
    officer = User.objects.filter(username=DEMO_STREET_OFFICER).first()
    if street is None or officer is None or EvaluationResult.objects.exists():
        return EvaluationDemoResult(created=False)
    this_year = timezone.localdate(now).year
    years = sorted(
        set(Enrollment.objects.filter(year__lte=this_year).values_list("year", flat=True))
    )
    with transaction.atomic():
        ratings = 0 if Rating.objects.exists() else _activity_ratings(now)
        results = 0
        for year in years:
            results += compute_evaluation(year=year, area=None, now=now)["results"]
        last = EvaluationResult.objects.filter(year=this_year, street=street).order_by(
            "final_score", "id"
        )
        adjusted = last.first()
        if adjusted is not None:
            adjust_score(
                result=adjusted,
                points=Decimal("5"),
                reason="疫情防控期间连续两周在卡口值守，服务时长未录入系统，据社区证明补记。",
                by=officer,
            )
        published = 0
        if len(years) > 1 and EvaluationResult.objects.filter(year=years[-2], street=street):
            publish_results(street=street, year=years[-2], by=officer)
            published = 1
        elif EvaluationResult.objects.filter(year=this_year, street=street).exists():
            publish_results(street=street, year=this_year, by=officer)
            published = 1
    return EvaluationDemoResult(
        created=True,
        counts={
            "activity ratings": ratings,
            "evaluation results": results,
            "published streets": published,
        },
    )
