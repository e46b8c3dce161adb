"""Reads of match proposals for the pages: scoped through portal.access, explained once."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.access import Action, scope
from portal.models import User
from resources.matching_text import explain
from resources.models import Match, Need, NeedCategory


def matches_for(user: User, action: str = Action.NEED_VIEW) -> QuerySet[Match]:
    """Matches of the needs the user may see (or decide on, with Action.MATCH_DECIDE)."""
    return scope(Match.objects.all(), user, action).select_related(
        "need", "need__community", "need__category", "resource", "resource__area", "decided_by"
    )


def get_match(*, user: User, pk: int, action: str = Action.NEED_VIEW) -> Match:
    """One match in reach, else 404."""
    return get_object_or_404(matches_for(user, action), pk=pk)


def open_proposals(*, user: User) -> QuerySet[Match]:
    """Live proposals in reach, best first."""
    return matches_for(user).filter(status=Match.Status.PROPOSED).order_by("-score", "proposed_at")


def matches_of_need(need: Need) -> list[Match]:
    """Every match of one need (the caller has already checked access to the need)."""
    return with_explanations(
        need.matches.select_related("resource", "resource__area", "decided_by").order_by(
            "-proposed_at", "-id"
        )
    )


def with_explanations(matches) -> list[Match]:
    """Attach ``explanation`` (a sentence in the current language) to each match; one query
    for the category names whatever the number of matches."""
    matches = list(matches)
    if matches:
        categories = dict(NeedCategory.objects.values_list("pk", "name"))
        for match in matches:
            match.explanation = explain(match.reasons, categories)
    return matches
