"""Matching against the database: proposals, their reasons, re-runs, rejections, capacity."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.models import JobRun
from resources.models import Match, Need
from resources.services.matches import accept_match, reject_match
from resources.services.matching import match_area
from tests.factories import NeedFactory, ResourceFactory, category


@pytest.fixture
def meals(db):
    return category("meals")


@pytest.fixture
def repairs(db):
    return category("repairs")


def _need(community, category, **kwargs):
    return NeedFactory(community=community, category=category, **kwargs)


def test_an_open_need_gets_the_fitting_resource_with_reasons(tree, meals, repairs):
    need = _need(tree["a"], meals)
    fitting = ResourceFactory(area=tree["a"], categories=[meals])
    ResourceFactory(area=tree["a"], categories=[repairs])
    counts = match_area(area=tree["street1"])
    match = Match.objects.get()
    assert (match.need, match.resource, match.status) == (need, fitting, Match.Status.PROPOSED)
    codes = [code for code, _params in match.reasons]
    assert "same_community" in codes and "category_fit" in codes
    assert counts["proposals"] == 1 and counts["new"] == 1
    assert counts["optimal_total"] >= counts["greedy_total"] > 0


def test_resources_of_another_street_are_never_proposed(tree, meals):
    _need(tree["a"], meals)
    ResourceFactory(area=tree["b"], categories=[meals])
    match_area(area=tree["street1"])
    assert not Match.objects.exists()


def test_a_second_run_keeps_the_proposal_instead_of_adding_one(tree, meals):
    _need(tree["a"], meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    match_area(area=tree["street1"])
    counts = match_area(area=tree["street1"])
    assert Match.objects.count() == 1
    assert counts["kept"] == 1 and counts["new"] == 0 and counts["expired"] == 0


def test_a_rejected_pair_is_not_proposed_again(tree, meals, worker):
    need = _need(tree["a"], meals)
    first = ResourceFactory(area=tree["a"], categories=[meals])
    match_area(area=tree["street1"])
    reject_match(match=Match.objects.get(), by=worker, reason="Too far for her")
    second = ResourceFactory(area=tree["c"], categories=[meals])
    match_area(area=tree["street1"])
    live = Match.objects.get(status=Match.Status.PROPOSED)
    assert (live.need, live.resource) == (need, second)
    assert Match.objects.get(resource=first).status == Match.Status.REJECTED


def test_capacity_limits_how_many_needs_one_resource_is_proposed_for(tree, meals):
    for _ in range(3):
        _need(tree["a"], meals)
    ResourceFactory(area=tree["a"], categories=[meals], capacity=2)
    match_area(area=tree["street1"])
    assert Match.objects.filter(status=Match.Status.PROPOSED).count() == 2


def test_accepted_matches_hold_capacity_until_the_need_is_done(tree, meals, worker):
    _need(tree["a"], meals)
    ResourceFactory(area=tree["a"], categories=[meals], capacity=1)
    match_area(area=tree["street1"])
    accept_match(match=Match.objects.get(), by=worker)
    later = _need(tree["a"], meals)
    match_area(area=tree["street1"])
    assert not Match.objects.filter(need=later).exists()


def test_a_need_that_moved_on_loses_its_live_proposal(tree, meals, worker):
    need = _need(tree["a"], meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    match_area(area=tree["street1"])
    Need.objects.filter(pk=need.pk).update(
        status=Need.Status.REJECTED, close_reason="duplicate", closed_at=timezone.now()
    )
    counts = match_area(area=tree["street1"])
    assert Match.objects.get().status == Match.Status.EXPIRED
    assert counts["expired"] == 1


def test_a_better_use_of_a_scarce_resource_moves_the_proposal(tree, meals):
    calm = _need(tree["a"], meals, urgency=1)
    ResourceFactory(area=tree["a"], categories=[meals], capacity=1)
    match_area(area=tree["street1"])
    urgent = _need(tree["a"], meals, urgency=4, target_group="elderly_alone")
    match_area(area=tree["street1"])
    assert Match.objects.get(status=Match.Status.PROPOSED).need == urgent
    assert Match.objects.get(need=calm).status == Match.Status.EXPIRED


def test_a_community_run_matches_only_that_communitys_needs(tree, meals):
    mine = _need(tree["a"], meals)
    _need(tree["c"], meals)
    ResourceFactory(area=tree["a"], categories=[meals], capacity=5)
    match_area(area=tree["a"])
    assert list(Match.objects.values_list("need", flat=True)) == [mine.pk]


def test_past_ratings_of_the_provider_are_part_of_the_reasons(tree, meals, worker):
    resource = ResourceFactory(area=tree["a"], categories=[meals], capacity=5)
    done = _need(tree["a"], meals)
    match_area(area=tree["street1"])
    accept_match(match=Match.objects.get(), by=worker)
    Need.objects.filter(pk=done.pk).update(
        status=Need.Status.EVALUATED, rating=5, evaluated_at=timezone.now()
    )
    _need(tree["a"], meals)
    match_area(area=tree["street1"])
    live = Match.objects.get(status=Match.Status.PROPOSED)
    assert live.resource == resource
    assert ["provider_rating", {"rating": 5.0, "count": 1}] in live.reasons


def test_resources_past_their_validity_are_left_out(tree, meals):
    _need(tree["a"], meals)
    ResourceFactory(
        area=tree["a"], categories=[meals], valid_until=timezone.localdate() - timedelta(days=1)
    )
    match_area(area=tree["street1"])
    assert not Match.objects.exists()


def test_run_job_command_matches_every_street_and_prints_counts(tree, meals, capsys):
    _need(tree["a"], meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    call_command("run_job", "matching", "--key", "demo")
    out = capsys.readouterr().out
    assert "Street 1: " in out and "proposals=1" in out
    assert JobRun.objects.filter(job="matching", run_key="demo").count() == 2  # two streets
    call_command("run_job", "matching", "--key", "demo")
    assert "skipped" in capsys.readouterr().out
    assert Match.objects.count() == 1


def test_run_job_command_names_a_bad_area(tree):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No area has the code"):
        call_command("run_job", "matching", "--area", "nope")
    with pytest.raises(CommandError, match="not a street or a community"):
        call_command("run_job", "matching", "--area", tree["district"].code)


def test_a_need_closed_while_the_engine_ran_gets_no_proposal(tree, meals, monkeypatch):
    from resources.services import matching

    need = _need(tree["a"], meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    engine = matching.run_matching

    def engine_then_a_worker_rejects_the_need(*args, **kwargs):
        result = engine(*args, **kwargs)
        Need.objects.filter(pk=need.pk).update(
            status=Need.Status.REJECTED, close_reason="duplicate", closed_at=timezone.now()
        )
        return result

    monkeypatch.setattr(matching, "run_matching", engine_then_a_worker_rejects_the_need)
    counts = match_area(area=tree["street1"])
    assert not Match.objects.exists()
    assert counts["proposals"] == 0
