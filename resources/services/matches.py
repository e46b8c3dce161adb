"""Community workers' decisions on match proposals: accept (the need is matched and the
resource reserved) or reject with a reason (the pair is never proposed again)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, webhooks
from portal.access import Action, can
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import User
from resources.models import Match, Need, Resource
from resources.services.matching import HOLDING
from resources.services.needs import transition_need


def _check_can_decide(match: Match, by: User) -> None:
    if not can(by, Action.MATCH_DECIDE, area=match.need.area):
        raise PermissionDenied(_("You cannot decide on matches for this community."))


def _lock_proposed(match: Match) -> Match:
    locked = Match.objects.select_for_update().select_related("need", "resource").get(pk=match.pk)
    if locked.status != Match.Status.PROPOSED:
        raise IllegalTransition(
            _("This proposal is already “%(status)s”.") % {"status": locked.get_status_display()}
        )
    return locked


def accept_match(*, match: Match, by: User, now: datetime | None = None) -> Match:
    """Accept a proposal: the need becomes matched (accepted first if it was only
    submitted), one unit of the resource's capacity is reserved, and the need's other
    proposals expire. Refused when the resource has no capacity left."""
    _check_can_decide(match, by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_proposed(match)
        resource = Resource.objects.select_for_update().get(pk=locked.resource_id)
        if resource.status != Resource.Status.AVAILABLE:
            raise Conflict(_("This resource is not available any more."))
        held = Match.objects.filter(
            resource=resource, status=Match.Status.ACCEPTED, need__status__in=HOLDING
        ).count()
        if held >= resource.capacity:
            raise Conflict(
                _("“%(resource)s” has no capacity left: all %(capacity)s places are in use.")
                % {"resource": resource.name, "capacity": resource.capacity}
            )
        need = locked.need
        if need.status == Need.Status.SUBMITTED:
            need = transition_need(need=need, action="accept", by=by, now=now)
        need = transition_need(need=need, action="match", by=by, now=now)
        Match.objects.filter(need=need, status=Match.Status.PROPOSED).exclude(pk=locked.pk).update(
            status=Match.Status.EXPIRED
        )
        locked.status = Match.Status.ACCEPTED
        locked.decided_at = now
        locked.decided_by = by
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        audit.record(
            action="match.accept",
            actor=by,
            obj=locked,
            area=need.area,
            data={"need": need.tracking_number, "resource": resource.pk, "score": locked.score},
        )
        webhooks.emit(
            event="match.accepted",
            area=need.area,
            payload=lambda: {
                "id": locked.pk,
                "need": webhooks.need_payload(need),
                "resource": resource.pk,
                "score": locked.score,
            },
        )
    return locked


def reject_match(*, match: Match, by: User, reason: str, now: datetime | None = None) -> Match:
    """Reject a proposal with a reason; the same resource is not proposed for the need again."""
    _check_can_decide(match, by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Please say why this resource does not fit."), field="reason")
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_proposed(match)
        locked.status = Match.Status.REJECTED
        locked.reject_reason = reason[:1000]
        locked.decided_at = now
        locked.decided_by = by
        locked.save(update_fields=["status", "reject_reason", "decided_at", "decided_by"])
        audit.record(
            action="match.reject",
            actor=by,
            obj=locked,
            area=locked.need.area,
            data={
                "need": locked.need.tracking_number,
                "resource": locked.resource_id,
                "reason": reason,
            },
        )
    return locked
