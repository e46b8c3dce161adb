"""Run the matching engine for a street (or one community) and keep its proposals.

The engine (resources.matching) is pure; this module reads its input from the database,
calls it and writes ``Match`` rows. A pair once rejected is never proposed again; a need's
live proposal that a later run no longer makes expires; a pair proposed again keeps its row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.models import Area, JobRun, User
from portal.services import get_setting
from resources.matching import NeedInput, ResourceInput, Weights, run_matching
from resources.models import Match, Need, Resource

S = Need.Status
MATCHABLE = (S.SUBMITTED, S.ACCEPTED)
# Needs holding a resource's capacity: matched to it and not finished yet.
HOLDING = (S.MATCHED, S.IN_PROGRESS)
DONE = (S.RESOLVED, S.EVALUATED)

WEIGHT_KEYS = {
    "category": "matching.weight_category",
    "distance": "matching.weight_distance",
    "availability": "matching.weight_availability",
    "provider": "matching.weight_provider",
    "urgency": "matching.weight_urgency",
    "waiting": "matching.weight_waiting",
    "special_group": "matching.weight_special_group",
}


def weights_for(area: Area) -> Weights:
    """The matching weights that apply in ``area`` this year (settings, nearest area wins)."""
    year = timezone.localdate().year
    return Weights(
        **{name: get_setting(key, area=area, year=year) for name, key in WEIGHT_KEYS.items()}
    )


def _location(area: Area) -> tuple[float, float] | None:
    if area.latitude is None or area.longitude is None:
        return None
    return (float(area.latitude), float(area.longitude))


def _community_of(area: Area) -> int | None:
    if area.level == Area.Level.GRID:
        return area.parent_id
    if area.level == Area.Level.COMMUNITY:
        return area.pk
    return None  # a street-wide resource


def _need_inputs(needs: Iterable[Need], now: datetime) -> list[NeedInput]:
    return [
        NeedInput(
            id=need.pk,
            community_id=need.community_id,
            category_id=need.category_id,
            category_parent_id=need.category.parent_id,
            urgency=need.urgency,
            waiting_hours=max(0.0, (now - need.submitted_at).total_seconds() / 3600),
            special_group=need.is_special_group,
            slots=frozenset(need.availability or ()),
            location=_location(need.area),
        )
        for need in needs
    ]


def _resource_inputs(resources: list[Resource]) -> list[ResourceInput]:
    ids = [resource.pk for resource in resources]
    held = dict(
        Match.objects.filter(
            resource_id__in=ids, status=Match.Status.ACCEPTED, need__status__in=HOLDING
        )
        .values_list("resource_id")
        .annotate(n=Count("id"))
    )
    history = {
        row["resource_id"]: row
        for row in Match.objects.filter(
            resource_id__in=ids, status=Match.Status.ACCEPTED, need__status__in=DONE
        )
        .values("resource_id")
        .annotate(
            completions=Count("id"),
            rating_sum=Sum("need__rating"),
            rating_count=Count("need__rating"),
        )
    }
    categories: dict[int, set[int]] = defaultdict(set)
    for resource_id, category_id in Resource.categories.through.objects.filter(
        resource_id__in=ids
    ).values_list("resource_id", "needcategory_id"):
        categories[resource_id].add(category_id)
    inputs = []
    for resource in resources:
        past = history.get(resource.pk, {})
        inputs.append(
            ResourceInput(
                id=resource.pk,
                community_id=_community_of(resource.area),
                category_ids=frozenset(categories[resource.pk]),
                capacity=max(0, resource.capacity - held.get(resource.pk, 0)),
                slots=frozenset(resource.availability or ()),
                location=_location(resource.area),
                completions=past.get("completions", 0),
                rating_sum=past.get("rating_sum") or 0,
                rating_count=past.get("rating_count", 0),
            )
        )
    return inputs


def _open_resources(street: Area, today) -> list[Resource]:
    return list(
        Resource.objects.filter(
            Q(area__path__startswith=street.path),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            status=Resource.Status.AVAILABLE,
        ).select_related("area")
    )


def match_area(*, area: Area, run: JobRun | None = None, now: datetime | None = None) -> dict:
    """Propose resources for the open needs of ``area`` (a street, or one community).

    Candidates come from the whole street; the assignment is the global optimum of the
    street's (or community's) needs under each resource's remaining capacity. Returns the
    figures the run keeps: needs, resources, candidates, proposals, new, kept, expired, the
    optimal and greedy totals and the seconds spent.
    """
    now = now or timezone.now()
    if area.level == Area.Level.STREET:
        street = area
    elif area.level == Area.Level.COMMUNITY:
        street = area.parent
    else:
        raise ValueError("matching runs for a street or a community")
    needs = list(
        Need.objects.filter(area__path__startswith=area.path, status__in=MATCHABLE)
        .exclude(matches__status=Match.Status.ACCEPTED)
        .select_related("category", "area")
    )
    need_ids = [need.pk for need in needs]
    rejected = frozenset(
        Match.objects.filter(need_id__in=need_ids, status=Match.Status.REJECTED).values_list(
            "need_id", "resource_id"
        )
    )
    resources = _open_resources(street, timezone.localdate(now))
    result = run_matching(
        _need_inputs(needs, now),
        _resource_inputs(resources),
        weights=weights_for(street),
        max_candidates=get_setting(
            "matching.max_candidates", area=street, year=timezone.localdate(now).year
        ),
        excluded=rejected,
    )
    counts = _persist(area=area, need_ids=need_ids, proposals=result.proposals, run=run, now=now)
    counts.update(
        needs=len(needs),
        resources=len(resources),
        candidates=result.candidate_count,
        optimal_total=result.optimal_total,
        greedy_total=result.greedy_total,
        seconds=round(
            result.seconds_candidates + result.seconds_optimal + result.seconds_greedy, 3
        ),
    )
    return counts


def _persist(*, area: Area, need_ids: list[int], proposals, run, now) -> dict[str, int]:
    with transaction.atomic():
        # The engine worked on a snapshot: a need accepted, matched or closed since then must
        # not get (or get back) a proposal. Locking the needs holds off decisions meanwhile.
        still_open = set(
            Need.objects.select_for_update()
            .filter(pk__in=[p.need_id for p in proposals], status__in=MATCHABLE)
            .exclude(matches__status=Match.Status.ACCEPTED)
            .values_list("pk", flat=True)
        )
        proposals = [p for p in proposals if p.need_id in still_open]
        chosen = {proposal.need_id: proposal for proposal in proposals}
        live = list(
            Match.objects.select_for_update().filter(
                need__area__path__startswith=area.path, status=Match.Status.PROPOSED
            )
        )
        stale = [
            match.pk
            for match in live
            if match.need_id not in chosen or chosen[match.need_id].resource_id != match.resource_id
        ]
        expired = Match.objects.filter(pk__in=stale).update(status=Match.Status.EXPIRED)
        known = {
            (match.need_id, match.resource_id): match
            for match in Match.objects.filter(
                need_id__in=chosen, status__in=[Match.Status.PROPOSED, Match.Status.EXPIRED]
            )
        }
        created, updated = [], []
        for proposal in proposals:
            reasons = [[code, params] for code, params in proposal.reasons]
            match = known.get((proposal.need_id, proposal.resource_id))
            if match is None:
                created.append(
                    Match(
                        need_id=proposal.need_id,
                        resource_id=proposal.resource_id,
                        score=proposal.score,
                        reasons=reasons,
                        run=run,
                        proposed_at=now,
                    )
                )
                continue
            if match.status == Match.Status.EXPIRED:
                match.proposed_at = now
            match.status = Match.Status.PROPOSED
            match.score, match.reasons, match.run = proposal.score, reasons, run
            updated.append(match)
        Match.objects.bulk_update(
            updated, ["status", "score", "reasons", "run", "proposed_at"], batch_size=500
        )
        Match.objects.bulk_create(created, batch_size=500)
    kept = sum(1 for match in updated if match.pk not in stale)
    return {
        "proposals": len(proposals),
        "new": len(created) + len(updated) - kept,
        "kept": kept,
        "expired": expired,
    }


# Someone asking again within this window is told when matching last ran instead.
REQUEST_COOLDOWN = timedelta(minutes=5)


def request_matching(*, area: Area, by: User, now: datetime | None = None) -> str:
    """Queue a matching run for one street or community now (after the transaction commits).

    Returns the run key. Refused when matching for the area is running or ran within the last
    few minutes, so a double click does not queue the same work twice.
    """
    from resources.tasks import match_area as match_area_task

    if not can(by, Action.JOB_RUN, area=area):
        raise PermissionDenied(_("You cannot run matching for this area."))
    if area.level not in (Area.Level.STREET, Area.Level.COMMUNITY):
        raise InvalidInput(_("Choose a street or a community."), field="area")
    now = now or timezone.now()
    recent = (
        JobRun.objects.filter(job="matching", area=area, started_at__gte=now - REQUEST_COOLDOWN)
        .exclude(status=JobRun.Status.FAILED)
        .order_by("-started_at")
        .first()
    )
    if recent is not None:
        raise Conflict(
            _("Matching for %(area)s started at %(time)s; try again in a few minutes.")
            % {"area": area.name, "time": timezone.localtime(recent.started_at).strftime("%H:%M")}
        )
    run_key = f"request-{uuid.uuid4().hex[:16]}"
    with transaction.atomic():
        audit.record(
            action="job.requested",
            actor=by,
            obj=area,
            area=area,
            data={"job": "matching", "run_key": run_key},
        )
        match_area_task.delay_on_commit(
            area.pk, run_key=run_key, trigger=JobRun.Trigger.ON_DEMAND, requested_by_id=by.pk
        )
    return run_key
