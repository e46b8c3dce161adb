"""Schemes, manual adjustments and publication of the annual evaluation (services)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from evaluation.annual.scoring import Weights
from evaluation.models import EvaluationAdjustment, EvaluationResult, EvaluationScheme
from evaluation.selectors_annual import publications_for, scheme_for
from evaluation.services.annual import (
    adjust_score,
    compute_evaluation,
    publish_results,
)
from evaluation.services.schemes import set_scheme
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from tests.evaluation.annual_world import YEAR, build
from tests.factories import make_party_member, user_with_role

D = Decimal


@pytest.fixture
def world(tree):
    world = build(tree)
    compute_evaluation(year=YEAR, area=tree["street1"])
    return world


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])


def result(member):
    return EvaluationResult.objects.get(year=YEAR, member=member)


def scheme_kwargs(**weights):
    values = {"input_output": 20, "satisfaction": 40, "social_benefit": 25, "sustainability": 15}
    values.update(weights)
    return {
        "year": YEAR,
        "weights": Weights(**{k: D(v) for k, v in values.items()}),
        "pass_mark": D("60"),
        "red_top_n": 3,
        "red_threshold": None,
        "black_bottom_n": 1,
    }


# -- schemes ------------------------------------------------------------------------------------


def test_a_scheme_with_satisfaction_under_40_percent_is_refused(tree, official):
    with pytest.raises(InvalidInput) as refused:
        set_scheme(
            area=tree["street1"],
            by=official,
            **scheme_kwargs(satisfaction=35, input_output=25),
        )

    assert refused.value.field == "weight_satisfaction"
    assert "40%" in str(refused.value.message)
    assert not EvaluationScheme.objects.exists()


def test_a_scheme_whose_weights_do_not_add_up_to_100_is_refused(tree, official):
    with pytest.raises(InvalidInput) as refused:
        set_scheme(area=tree["street1"], by=official, **scheme_kwargs(sustainability=10))

    assert "95" in str(refused.value.message)


def test_the_database_refuses_satisfaction_under_40_percent_too(tree):
    with pytest.raises(IntegrityError):
        EvaluationScheme.objects.create(
            area=tree["street1"], weight_satisfaction=D("30"), weight_input_output=D("30")
        )


def test_the_database_refuses_weights_that_do_not_add_up_to_100(tree):
    with pytest.raises(IntegrityError):
        EvaluationScheme.objects.create(area=tree["street1"], weight_input_output=D("25"))


def test_a_valid_scheme_is_saved_and_audited(tree, official):
    scheme = set_scheme(
        area=tree["street1"], by=official, **scheme_kwargs(satisfaction=50, input_output=10)
    )

    assert scheme.weight_satisfaction == D("50")
    assert AuditEvent.objects.filter(action="evaluation.scheme_set", object_id=str(scheme.pk))


def test_schemes_are_set_for_streets_or_above_not_communities(tree, official):
    with pytest.raises(InvalidInput):
        set_scheme(area=tree["a"], by=official, **scheme_kwargs())


def test_only_officials_who_change_settings_set_schemes(tree, street_officer):
    with pytest.raises(PermissionDenied):
        set_scheme(area=tree["street1"], by=street_officer, **scheme_kwargs())


def test_the_nearest_scheme_up_the_tree_wins_and_a_years_scheme_beats_an_all_years_one(tree):
    EvaluationScheme.objects.create(area=tree["district"], pass_mark=D("50"))
    EvaluationScheme.objects.create(area=tree["street1"], pass_mark=D("55"))
    EvaluationScheme.objects.create(area=tree["street1"], year=YEAR, pass_mark=D("70"))

    assert scheme_for(area=tree["street1"], year=YEAR).rules.pass_mark == D("70")
    assert scheme_for(area=tree["street1"], year=YEAR + 1).rules.pass_mark == D("55")
    assert scheme_for(area=tree["street2"], year=YEAR).rules.pass_mark == D("50")


# -- adjustments --------------------------------------------------------------------------------


def test_an_adjustment_moves_the_score_and_the_ranks(world, street_officer):
    adjusted = adjust_score(
        result=result(world.m3), points=D("10"), reason="组织了楼道清扫", by=street_officer
    )

    assert adjusted.final_score == D("31.50")
    assert adjusted.adjustment == D("10.00")
    assert adjusted.street_rank == 2
    assert result(world.m2).street_rank == 3


def test_an_adjustment_is_kept_with_its_reason_and_audited(world, street_officer):
    adjust_score(result=result(world.m2), points=D("-5"), reason="缺席两次", by=street_officer)

    adjustment = EvaluationAdjustment.objects.get()
    assert (adjustment.points, adjustment.reason, adjustment.created_by) == (
        D("-5.00"),
        "缺席两次",
        street_officer,
    )
    event = AuditEvent.objects.get(action="evaluation.adjusted")
    assert event.actor == street_officer
    assert event.data["reason"] == "缺席两次"
    assert event.data["score_before"] == "25.46"


def test_an_adjustment_survives_the_next_computation(world, street_officer, tree):
    adjust_score(result=result(world.m2), points=D("4"), reason="补录", by=street_officer)

    compute_evaluation(year=YEAR, area=tree["street1"])

    assert result(world.m2).final_score == D("29.46")


def test_an_adjustment_without_a_reason_is_refused(world, street_officer):
    with pytest.raises(InvalidInput) as refused:
        adjust_score(result=result(world.m2), points=D("3"), reason="  ", by=street_officer)

    assert refused.value.field == "reason"


@pytest.mark.parametrize("points", [D("0"), D("20.01"), D("-25")])
def test_an_adjustment_out_of_range_is_refused(world, street_officer, points):
    with pytest.raises(InvalidInput):
        adjust_score(result=result(world.m2), points=points, reason="x", by=street_officer)


def test_a_community_worker_cannot_adjust(world, worker):
    with pytest.raises(PermissionDenied):
        adjust_score(result=result(world.m2), points=D("3"), reason="x", by=worker)


def test_an_officer_of_another_street_cannot_adjust(world, tree):
    officer2 = user_with_role(Role.STREET_OFFICER, tree["street2"])

    with pytest.raises(PermissionDenied):
        adjust_score(result=result(world.m2), points=D("3"), reason="x", by=officer2)


# -- publication --------------------------------------------------------------------------------


def test_publishing_is_audited_and_happens_once(world, tree, street_officer):
    publish_results(street=tree["street1"], year=YEAR, by=street_officer)

    assert AuditEvent.objects.filter(action="evaluation.published").count() == 1
    with pytest.raises(Conflict):
        publish_results(street=tree["street1"], year=YEAR, by=street_officer)


def test_published_results_are_frozen(world, tree, street_officer):
    publish_results(street=tree["street1"], year=YEAR, by=street_officer)
    world.m2.enrollments.update(status="withdrawn")

    counts = compute_evaluation(year=YEAR, area=tree["street1"])

    assert counts["skipped_published"] == 1
    assert result(world.m2)
    with pytest.raises(Conflict):
        adjust_score(result=result(world.m2), points=D("3"), reason="x", by=street_officer)


def test_nothing_to_publish_before_computing(tree, street_officer):
    with pytest.raises(InvalidInput):
        publish_results(street=tree["street1"], year=YEAR, by=street_officer)


def test_a_community_worker_cannot_publish(world, tree, worker):
    with pytest.raises(PermissionDenied):
        publish_results(street=tree["street1"], year=YEAR, by=worker)


def test_a_publication_reaches_the_people_of_the_street_and_the_officials_above(
    world, tree, street_officer
):
    publication = publish_results(street=tree["street1"], year=YEAR, by=street_officer)
    readers = {
        "member of A": world.m1.user,
        "member of C": world.m3.user,
        "unit contact of A": world.u1.contact,
        "worker of A": user_with_role(Role.COMMUNITY_WORKER, tree["a"]),
        "district official": user_with_role(Role.DISTRICT_OFFICIAL, tree["district"]),
        "member of B": world.m4.user,
        "worker of B": user_with_role(Role.COMMUNITY_WORKER, tree["b"]),
        "auditor": user_with_role(Role.AUDITOR, tree["city"]),
    }

    sees = {who: publication in publications_for(user) for who, user in readers.items()}

    assert sees == {
        "member of A": True,
        "member of C": True,
        "unit contact of A": True,
        "worker of A": True,
        "district official": True,
        "member of B": False,
        "worker of B": False,
        "auditor": False,
    }


def test_an_unpublished_street_reaches_nobody_as_a_publication(world, tree):
    member = make_party_member(tree["a"])

    assert not publications_for(member.user).exists()
