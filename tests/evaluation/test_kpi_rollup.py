"""The KPI roll-up: rows per area and day, sums up the tree, idempotency, rebuild and the job."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.kpi.definitions import KPI_BY_CODE, Parts, combine_days, sum_parts, value_of
from evaluation.kpi.extract import extract_day, extract_range
from evaluation.models import KpiDaily
from evaluation.services.kpi import nightly_rollup, rollup_kpis
from evaluation.tasks import rollup_kpis as rollup_task
from portal.errors import InvalidInput
from portal.models import JobRun, ScheduledJob
from tests.evaluation.kpi_world import (
    EXPECTED_A,
    D,
    at,
    build_community_a,
    build_other_communities,
    need,
)

NOW = at(2, 3)


@pytest.fixture
def world(tree):
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    return tree


def stored(area, code, day=D) -> KpiDaily:
    return KpiDaily.objects.get(area=area, kpi=code, day=day)


def stored_parts(area, day=D) -> dict[str, tuple]:
    return {
        row.kpi: (row.numerator, row.denominator, row.histogram)
        for row in KpiDaily.objects.filter(area=area, day=day)
    }


def test_a_communitys_rows_carry_its_parts_and_value(world):
    rollup_kpis(day=D, now=NOW)

    row = stored(world["a"], "need_response_rate")
    assert (row.numerator, row.denominator, row.value) == (Decimal(2), Decimal(4), Decimal("50.0"))


@pytest.mark.parametrize("code", list(EXPECTED_A))
def test_a_streets_figure_is_what_its_communities_raw_records_give(world, code):
    rollup_kpis(day=D, now=NOW)
    raw = extract_day(D, now=NOW, under=world["street1"].path)
    pooled = sum_parts(by_code[code] for by_code in raw.values() if code in by_code)

    row = stored(world["street1"], code)

    assert (row.numerator, row.denominator) == (pooled.numerator, pooled.denominator)
    assert row.value == value_of(KPI_BY_CODE[code], pooled)


def test_the_district_is_the_sum_of_its_streets_and_the_city_of_its_districts(world):
    rollup_kpis(day=D, now=NOW)

    for code in EXPECTED_A:
        streets = [stored_parts(world[s]).get(code) for s in ("street1", "street2")]
        total = sum_parts(Parts(n, d, dict(h)) for n, d, h in filter(None, streets))
        district = stored(world["district"], code)
        city = stored(world["city"], code)
        assert (district.numerator, district.denominator) == (total.numerator, total.denominator)
        assert (city.numerator, city.denominator) == (total.numerator, total.denominator)


def test_the_street_median_comes_from_the_merged_histograms_not_the_communities_medians(world):
    rollup_kpis(day=D, now=NOW)

    row = stored(world["street1"], "need_response_time")

    # A: 0.5 h, 2 h, 50 h; C: 0.25 h, 11 h, 27 h → six values, median between 2 and 11 h.
    assert row.histogram == {"0": 2, "2": 1, "11": 1, "27": 1, "50": 1}
    assert row.value == Decimal("3.0")


def test_rolling_up_the_same_day_twice_leaves_the_same_rows(world):
    rollup_kpis(day=D, now=NOW)
    first = sorted(KpiDaily.objects.values_list("area_id", "kpi", "numerator", "denominator"))

    rollup_kpis(day=D, now=NOW)

    assert (
        sorted(KpiDaily.objects.values_list("area_id", "kpi", "numerator", "denominator")) == first
    )


def test_a_second_roll_up_picks_up_records_that_arrived_late(world):
    rollup_kpis(day=D, now=NOW)
    need(world["a"], submitted=at(0, 18), status="accepted", accepted_at=at(0, 19))

    rollup_kpis(day=D, now=NOW)

    assert stored(world["a"], "need_response_rate").denominator == 5
    assert stored(world["street1"], "need_response_rate").denominator == 5 + 3  # A + C


def test_rolling_up_one_community_keeps_the_street_equal_to_the_sum(world):
    rollup_kpis(day=D, now=NOW)
    need(world["c"], submitted=at(0, 18), status="accepted", accepted_at=at(0, 19))

    rollup_kpis(day=D, areas=[world["c"]], now=NOW)

    a, c = stored(world["a"], "need_response_rate"), stored(world["c"], "need_response_rate")
    assert (
        stored(world["street1"], "need_response_rate").denominator == a.denominator + c.denominator
    )
    assert c.denominator == 4


def test_rolling_up_some_kpis_leaves_the_others_alone(world):
    rollup_kpis(day=D, now=NOW)
    KpiDaily.objects.filter(kpi="matching_accuracy").update(numerator=99)

    rollup_kpis(day=D, kpis={"closed_loop_rate"}, now=NOW)

    assert stored(world["a"], "matching_accuracy").numerator == 99


def test_today_is_not_rolled_up(world):
    with pytest.raises(InvalidInput):
        rollup_kpis(day=D, now=at(0, 23))


def test_an_unknown_kpi_is_refused(world):
    with pytest.raises(InvalidInput):
        rollup_kpis(day=D, kpis={"nonsense"}, now=NOW)


def test_rebuild_command_rolls_up_every_day_of_the_range(world):
    out = StringIO()

    call_command("rebuild_kpis", "--from", str(D - timedelta(days=2)), "--to", str(D), stdout=out)

    assert set(KpiDaily.objects.values_list("day", flat=True)) == {
        D - timedelta(days=2),
        D - timedelta(days=1),
        D,
    }
    assert "Rebuilt 3 day(s)" in out.getvalue()


def test_rebuild_command_refuses_a_range_that_ends_before_it_starts(world):
    with pytest.raises(CommandError):
        call_command("rebuild_kpis", "--from", str(D), "--to", str(D - timedelta(days=1)))


def test_rebuild_command_refuses_an_unknown_area(world):
    with pytest.raises(CommandError):
        call_command("rebuild_kpis", "--from", str(D), "--to", str(D), "--area", "nope")


def test_nightly_roll_up_stores_yesterday_and_refreshes_the_settling_days(world):
    counts = nightly_rollup(today=D + timedelta(days=1), settle_days=2)

    assert counts["settled_days"] == 2
    assert stored(world["a"], "need_response_rate").denominator == 4
    # Settling days carry only the settling KPIs.
    assert set(
        KpiDaily.objects.filter(day=D - timedelta(days=1)).values_list("kpi", flat=True)
    ) <= {"closed_loop_rate", "volunteer_hours", "member_participation"}


def test_the_nightly_task_runs_once_per_day(world, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    key = (D + timedelta(days=1)).isoformat()

    rollup_task.delay(run_key=key)
    rollup_task.delay(run_key=key)

    run = JobRun.objects.get(job="kpi_rollup", run_key=key)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.attempts == 1
    assert KpiDaily.objects.filter(day=D, area=world["a"]).exists()


def test_the_beat_schedule_runs_the_roll_up_at_night(db):
    job = ScheduledJob.objects.get(name="kpi-nightly")

    assert (job.task, job.minute, job.hour) == ("evaluation.rollup_kpis", "15", "3")


def test_a_range_read_in_one_pass_equals_its_rolled_up_days_combined(world):
    days = [D - timedelta(days=2), D - timedelta(days=1), D]
    for day in days:
        rollup_kpis(day=day, now=NOW)

    ranged = extract_range(days[0], D, now=NOW)[world["a"].pk]

    for code, spec in KPI_BY_CODE.items():
        stored_days = {
            row.day: Parts(row.numerator, row.denominator, dict(row.histogram))
            for row in KpiDaily.objects.filter(area=world["a"], kpi=code)
        }
        combined = combine_days(spec, stored_days, last_day=D)
        got = ranged.get(code, Parts())
        assert (got.numerator, got.denominator, got.histogram) == (
            combined.numerator,
            combined.denominator,
            combined.histogram,
        ), code


def test_the_nightly_roll_up_writes_one_audit_event(world):
    from portal.models import AuditEvent

    nightly_rollup(today=D + timedelta(days=1), settle_days=3)

    events = AuditEvent.objects.filter(action="kpi.rolled_up")
    assert events.count() == 1
    assert events.get().data["settled_days"] == 3
