"""KPI parts read from raw records: a hand-built day with known answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from evaluation.kpi.definitions import KPI_BY_CODE, value_of
from evaluation.kpi.extract import extract_day
from tests.evaluation.kpi_world import (
    EXPECTED_A,
    D,
    at,
    build_community_a,
    build_other_communities,
    need,
)


@pytest.fixture
def world(tree):
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    return tree


@pytest.fixture
def parts_of_d(world):
    return extract_day(D, now=at(2, 0))


@pytest.mark.parametrize("code", list(EXPECTED_A))
def test_community_a_gives_the_known_numerator_denominator_and_value(world, parts_of_d, code):
    numerator, denominator, value = EXPECTED_A[code]
    parts = parts_of_d[world["a"].pk][code]

    assert (parts.numerator, parts.denominator, value_of(KPI_BY_CODE[code], parts)) == (
        Decimal(numerator),
        Decimal(denominator),
        value,
    )


def test_response_time_histogram_counts_each_accepted_need_in_its_whole_hour(world, parts_of_d):
    assert parts_of_d[world["a"].pk]["need_response_time"].histogram == {"0": 1, "2": 1, "50": 1}


def test_a_need_still_inside_its_clock_is_not_counted_in_the_response_rate_yet(world):
    late = need(world["b"], submitted=at(0, 20))  # due D+1 20:00, never answered
    assert late.due_at == at(1, 20)

    before = extract_day(D + timedelta(days=1), now=at(1, 12)).get(world["b"].pk, {})
    after = extract_day(D + timedelta(days=1), now=at(2, 0))[world["b"].pk]

    assert "need_response_rate" not in before
    assert (after["need_response_rate"].numerator, after["need_response_rate"].denominator) == (
        Decimal(0),
        Decimal(1),
    )


def test_a_community_without_records_is_absent(world):
    from tests.factories import AreaFactory

    empty = AreaFactory(level=4, parent=world["street1"])

    assert empty.pk not in extract_day(D, now=at(2, 0))


def test_only_limits_the_kpis_read(world):
    parts = extract_day(D, now=at(2, 0), only={"matching_accuracy"})

    assert {code for by_code in parts.values() for code in by_code} == {"matching_accuracy"}


def test_under_limits_the_communities_read(world):
    parts = extract_day(D, now=at(2, 0), under=world["street2"].path)

    assert set(parts) == {world["b"].pk}


def test_members_ratings_of_activities_are_not_resident_satisfaction(world):
    from evaluation.models.ratings import Rating
    from reporting.models import Activity
    from tests.factories import UserFactory

    activity = Activity.objects.create(
        community=world["b"], title="清扫楼道", venue="3 号楼", starts_at=at(0, 8),
        ends_at=at(0, 10), capacity=10, organiser=UserFactory(),
    )  # fmt: skip
    Rating.objects.create(
        activity=activity, community=world["b"], stars=1, rater_key="member:1", created_at=at(0, 11)
    )

    parts = extract_day(D, now=at(2, 0)).get(world["b"].pk, {})

    assert "resident_satisfaction" not in parts


def test_a_residents_rating_of_a_project_is_resident_satisfaction(world):
    from evaluation.models.ratings import Rating
    from tests.factories import ProjectFactory, UserFactory

    project = ProjectFactory(area=world["b"], owner=UserFactory(), status="completed")
    resident = need(world["b"], submitted=at(-9, 9))
    Rating.objects.create(
        project=project, community=world["b"], stars=2, rater_key=f"need:{resident.pk}",
        created_at=at(0, 11),
    )  # fmt: skip

    parts = extract_day(D, now=at(2, 0))[world["b"].pk]["resident_satisfaction"]

    assert (parts.numerator, parts.denominator) == (Decimal(0), Decimal(1))


def test_response_rate_counts_acceptances_in_time_over_needs_submitted(world):
    b = world["b"]
    # Day D+3, community B: accepted in time, rejected in time, accepted late (outcome on
    # D+3 when its clock ran out), merged (never counted): 1 of 3.
    kept = need(b, submitted=at(3, 8), status="accepted", accepted_at=at(3, 9))
    need(b, submitted=at(3, 8), status="rejected", closed_at=at(3, 10), close_reason="不属实")
    need(b, submitted=at(2, 6), status="accepted", accepted_at=at(3, 20))
    need(
        b,
        submitted=at(3, 8),
        status="merged",
        closed_at=at(3, 9),
        close_reason="重复",
        merged_into=kept,
    )

    parts = extract_day(D + timedelta(days=3), now=at(9, 0))[b.pk]["need_response_rate"]

    assert (parts.numerator, parts.denominator) == (Decimal(1), Decimal(3))
