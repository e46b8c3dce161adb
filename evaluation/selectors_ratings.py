"""Reads for ratings: what a resident or a member may still rate."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from evaluation.models import Rating
from evaluation.services.ratings import RATEABLE_PROJECT_STATUSES
from reporting.models import Activity, PartyMember
from resources.models import Need, Project

RECENT_ACTIVITIES = 10


def projects_to_rate(need: Need) -> QuerySet[Project]:
    """Completed projects that met ``need`` and that its resident has not rated yet."""
    rated = Rating.objects.filter(project=OuterRef("pk"), rater_key=f"need:{need.pk}")
    return (
        need.projects.filter(status__in=RATEABLE_PROJECT_STATUSES)
        .filter(~Exists(rated))
        .order_by("title", "pk")
    )


def activities_to_rate(member: PartyMember) -> list[Activity]:
    """The latest activities the member served in (verified hours) and has not rated yet."""
    rated = Rating.objects.filter(activity=OuterRef("pk"), rater_key=f"member:{member.pk}")
    return list(
        Activity.objects.filter(service_records__member=member)
        .filter(~Exists(rated))
        .select_related("community")
        .distinct()
        .order_by("-starts_at", "-pk")[:RECENT_ACTIVITIES]
    )


def get_rateable_activity(*, member: PartyMember, pk: int) -> Activity:
    """An activity the member served in; raises Activity.DoesNotExist otherwise."""
    return Activity.objects.filter(service_records__member=member).distinct().get(pk=pk)
