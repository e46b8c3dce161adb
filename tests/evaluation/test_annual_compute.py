"""Computing the annual evaluation from the records of a hand-built year (see annual_world)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from evaluation.models import EvaluationResult, EvaluationScheme
from evaluation.services.annual import compute_evaluation
from portal.models import AuditEvent, JobRun
from tests.evaluation.annual_world import EXPECTED, YEAR, build

D = Decimal


@pytest.fixture
def world(tree):
    return build(tree)


def result_of(subject):
    field = "member" if subject.__class__.__name__ == "PartyMember" else "unit"
    return EvaluationResult.objects.get(year=YEAR, **{field: subject})


def test_each_enrolled_member_and_unit_gets_the_known_computed_score(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    scores = {name: result_of(getattr(world, name)).computed_score for name in EXPECTED}
    assert scores == EXPECTED


def test_the_figures_of_the_year_are_kept_with_the_result(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    assert result_of(world.m1).figures == {
        "hours": "12.00",
        "resources_used": 1,
        "projects_completed": 1,
        "mean_rating": "5.00",
        "ratings_count": 1,
        "needs_resolved": 1,
        "special_group_needs": 1,
        "activities_served": 0,
        "active_months": 2,
        "consecutive_years": 2,
    }


def test_the_category_scores_and_the_weights_used_are_kept(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    m2 = result_of(world.m2)
    assert (
        m2.score_input_output,
        m2.score_satisfaction,
        m2.score_social_benefit,
        m2.score_sustainability,
    ) == (D("16.67"), D("50.00"), D("0.00"), D("14.17"))
    assert m2.weights == {
        "input_output": "20.00",
        "satisfaction": "40.00",
        "social_benefit": "25.00",
        "sustainability": "15.00",
    }


def test_members_rank_within_their_street_and_within_their_community(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    ranks = {
        name: (
            result_of(getattr(world, name)).street_rank,
            result_of(getattr(world, name)).community_rank,
        )
        for name in ("m1", "m2", "m3")
    }
    assert ranks == {"m1": (1, 1), "m2": (2, 2), "m3": (3, 1)}


def test_units_are_ranked_apart_from_members(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    assert result_of(world.u1).street_rank == 1


def test_the_red_list_takes_the_top_who_passed_and_the_black_list_the_bottom(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    standings = {
        name: (
            result_of(getattr(world, name)).street_standing,
            result_of(getattr(world, name)).community_standing,
        )
        for name in ("m1", "m2", "m3")
    }
    # Street: m1 top and passed; m3 bottom. Community A: m1 red, m2 bottom. Community C: m3 is
    # alone, so also the best there: below the pass mark, but not "the bottom".
    assert standings == {"m1": ("red", "red"), "m2": ("", "black"), "m3": ("black", "")}


def test_failing_two_years_running_puts_a_member_on_the_street_black_list(world, tree):
    compute_evaluation(year=YEAR - 1, area=tree["street1"])  # m1 alone, enrolled in 2025
    EvaluationResult.objects.filter(member=world.m1, year=YEAR - 1).update(passed=False)
    compute_evaluation(year=YEAR, area=tree["street1"])

    # m1 passed in 2026, so it stays red; fail it this year too with a stricter pass mark.
    EvaluationScheme.objects.create(area=tree["street1"], pass_mark=D("95"))
    compute_evaluation(year=YEAR, area=tree["street1"])

    m1 = result_of(world.m1)
    assert (m1.street_standing, m1.street_reason) == ("black", "failed_twice")


def test_only_confirmed_or_active_enrollments_of_the_street_are_evaluated(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    evaluated = set(EvaluationResult.objects.filter(year=YEAR).values_list("member_id", flat=True))
    assert world.m5.pk not in evaluated  # pending
    assert world.m4.pk not in evaluated  # street 2, not computed


def test_computing_a_community_computes_its_whole_street(world, tree):
    compute_evaluation(year=YEAR, area=tree["c"])

    assert EvaluationResult.objects.filter(year=YEAR, street=tree["street1"]).count() == 4


def test_a_second_run_keeps_the_same_rows_and_figures(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])
    before = list(EvaluationResult.objects.order_by("pk").values_list("pk", "final_score"))

    compute_evaluation(year=YEAR, area=tree["street1"])

    assert list(EvaluationResult.objects.order_by("pk").values_list("pk", "final_score")) == before


def test_a_subject_that_withdrew_drops_out_on_the_next_run(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])
    world.m2.enrollments.filter(year=YEAR).update(status="withdrawn")

    counts = compute_evaluation(year=YEAR, area=tree["street1"])

    assert counts["removed"] == 1
    assert not EvaluationResult.objects.filter(member=world.m2).exists()


def test_a_scheme_of_the_street_changes_the_weights(world, tree):
    EvaluationScheme.objects.create(
        area=tree["street1"],
        year=YEAR,
        weight_input_output=D("10"),
        weight_satisfaction=D("70"),
        weight_social_benefit=D("10"),
        weight_sustainability=D("10"),
    )

    compute_evaluation(year=YEAR, area=tree["street1"])

    # 16.67 × 10% + 50 × 70% + 0 + 14.17 × 10% = 38.08
    assert result_of(world.m2).computed_score == D("38.08")


def test_the_computation_is_audited(world, tree):
    compute_evaluation(year=YEAR, area=tree["street1"])

    event = AuditEvent.objects.get(action="evaluation.computed")
    assert event.data["counts"]["results"] == 4


def test_the_command_computes_a_year_for_an_area_as_a_recorded_job(world, tree, capsys):
    call_command("compute_evaluation", "--year", str(YEAR), "--area", tree["street1"].code)

    assert EvaluationResult.objects.filter(year=YEAR).count() == 4
    assert JobRun.objects.get(job="evaluation").counts["results"] == 4
    assert "results=4" in capsys.readouterr().out


def test_the_task_computes_every_street(world, tree):
    from evaluation.tasks import compute_evaluation as task

    task.delay(year=YEAR)

    assert EvaluationResult.objects.filter(year=YEAR).count() == 5  # m4 in street 2 too


def test_the_nightly_evaluation_is_in_the_beat_schedule(db):
    from portal.celery import app
    from portal.models import ScheduledJob

    job = ScheduledJob.objects.get(name="evaluation-nightly")

    assert job.task == "evaluation.compute_evaluation"
    assert job.task in app.tasks


def test_a_category_left_out_of_the_cohort_shows_as_no_score():
    result = EvaluationResult(
        score_input_output=D("100"),
        score_satisfaction=D("50"),
        score_social_benefit=D("0"),
        score_sustainability=D("10"),
        weights={
            "input_output": "26.67",
            "satisfaction": "53.33",
            "social_benefit": "0.00",
            "sustainability": "20.00",
        },
    )

    assert result.category_scores == [D("100"), D("50"), None, D("10")]


def test_recomputing_a_street_leaves_a_movers_published_result_on_their_old_street(world, tree):
    from django.utils import timezone

    from evaluation.models import EvaluationPublication
    from tests.factories import UserFactory

    compute_evaluation(year=YEAR)
    EvaluationPublication.objects.create(
        street=tree["street2"], year=YEAR, published_at=timezone.now(), published_by=UserFactory()
    )
    frozen = result_of(world.m4)
    world.m4.enrollments.filter(year=YEAR).update(community=tree["a"])

    counts = compute_evaluation(year=YEAR, area=tree["street1"])

    after = result_of(world.m4)
    assert counts["kept_frozen"] == 1
    assert (
        after.pk,
        after.street_id,
        after.community_id,
        after.final_score,
        after.computed_at,
    ) == (
        frozen.pk,
        tree["street2"].pk,
        tree["b"].pk,
        frozen.final_score,
        frozen.computed_at,
    )
