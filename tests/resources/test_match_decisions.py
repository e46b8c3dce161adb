"""Accepting and rejecting proposals: the need moves, capacity is held, reasons are kept."""

import pytest
from django.utils import timezone, translation

from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import AuditEvent
from resources.models import Match, Need
from resources.services.matches import accept_match, reject_match
from tests.factories import NeedFactory, ResourceFactory, category


def _proposal(community, resource=None, **need_kwargs):
    need = NeedFactory(community=community, category=category("meals"), **need_kwargs)
    resource = resource or ResourceFactory(area=community, categories=[category("meals")])
    return Match.objects.create(need=need, resource=resource, score=800, proposed_at=timezone.now())


def test_accepting_a_proposal_on_a_submitted_need_accepts_and_matches_it(tree, worker):
    match = _proposal(tree["a"])
    accept_match(match=match, by=worker)
    match.refresh_from_db()
    need = match.need
    need.refresh_from_db()
    assert match.status == Match.Status.ACCEPTED and match.decided_by == worker
    assert need.status == Need.Status.MATCHED
    assert need.accepted_at is not None and need.matched_at is not None
    assert AuditEvent.objects.filter(action="match.accept").count() == 1


def test_accepting_expires_the_needs_other_live_proposals(tree, worker):
    match = _proposal(tree["a"])
    other = Match.objects.create(
        need=match.need,
        resource=ResourceFactory(area=tree["a"]),
        score=100,
        status=Match.Status.EXPIRED,
        proposed_at=timezone.now(),
    )
    accept_match(match=match, by=worker)
    other.refresh_from_db()
    assert other.status == Match.Status.EXPIRED


def test_a_resource_with_no_capacity_left_cannot_be_accepted(tree, worker):
    resource = ResourceFactory(area=tree["a"], capacity=1, categories=[category("meals")])
    accept_match(match=_proposal(tree["a"], resource), by=worker)
    second = _proposal(tree["a"], resource)
    with translation.override("en"), pytest.raises(Conflict, match="no capacity left"):
        accept_match(match=second, by=worker)
    second.refresh_from_db()
    assert second.status == Match.Status.PROPOSED
    assert second.need.status == Need.Status.SUBMITTED


def test_a_decided_proposal_cannot_be_decided_again(tree, worker):
    match = _proposal(tree["a"])
    reject_match(match=match, by=worker, reason="Closed on weekends")
    with pytest.raises(IllegalTransition):
        accept_match(match=match, by=worker)


def test_rejecting_needs_a_reason(tree, worker):
    match = _proposal(tree["a"])
    with pytest.raises(InvalidInput):
        reject_match(match=match, by=worker, reason="  ")
    match.refresh_from_db()
    assert match.status == Match.Status.PROPOSED


def test_rejecting_keeps_the_reason_and_who(tree, worker):
    match = _proposal(tree["a"])
    reject_match(match=match, by=worker, reason="Closed on weekends")
    match.refresh_from_db()
    assert (match.status, match.reject_reason, match.decided_by) == (
        Match.Status.REJECTED,
        "Closed on weekends",
        worker,
    )


def test_workers_of_another_community_cannot_decide(tree, worker_b):
    match = _proposal(tree["a"])
    with pytest.raises(PermissionDenied):
        accept_match(match=match, by=worker_b)
    with pytest.raises(PermissionDenied):
        reject_match(match=match, by=worker_b, reason="no")


def test_street_officers_decide_for_their_street(tree, street_officer):
    match = _proposal(tree["c"])
    accept_match(match=match, by=street_officer)
    assert Match.objects.get(pk=match.pk).status == Match.Status.ACCEPTED
