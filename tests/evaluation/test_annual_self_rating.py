"""A member's own rating of an activity they served in does not count towards their
satisfaction; the other members' ratings of it do."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from evaluation.services.annual_extract import member_figures
from evaluation.services.ratings import rate_activity
from reporting.models import Activity
from tests.factories import UserFactory, make_party_member, make_service_record

YEAR = 2026


def test_a_members_own_activity_rating_is_left_out_of_their_satisfaction(tree):
    start = timezone.make_aware(datetime(YEAR, 3, 1, 9))
    activity = Activity.objects.create(
        community=tree["a"],
        title="清扫楼道",
        venue="3 号楼",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        organiser=UserFactory(),
    )
    rater, other = make_party_member(tree["a"]), make_party_member(tree["a"])
    for member in (rater, other):
        make_service_record(member, hours="2", day=date(YEAR, 3, 1), activity=activity)
    rate_activity(activity=activity, member=rater, stars=5, now=start + timedelta(days=1))
    rate_activity(activity=activity, member=other, stars=2, now=start + timedelta(days=1))

    figures = member_figures([rater.pk, other.pk], YEAR)

    assert (
        figures[f"member:{rater.pk}"].mean_rating,
        figures[f"member:{rater.pk}"].ratings_count,
    ) == (Decimal("2.00"), 1)
    assert (
        figures[f"member:{other.pk}"].mean_rating,
        figures[f"member:{other.pk}"].ratings_count,
    ) == (Decimal("5.00"), 1)
