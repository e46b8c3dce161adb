"""Reads about activities: staff lists scoped through portal.access, members' by ownership."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.shortcuts import get_object_or_404
from django.utils import timezone

from portal.access import Action, scope
from portal.models import User
from reporting.models import Activity, Enrollment, PartyMember, Signup
from reporting.services.activities import SIGNUP_ENROLLMENT

ACTIVE_SIGNUPS = Q(signups__status=Signup.Status.ACTIVE)
UPCOMING_LIMIT = 50


def activities_for(user: User, action: str = Action.ACTIVITY_VIEW) -> QuerySet[Activity]:
    """Activities in the user's reach for ``action``, with their community and organiser."""
    return scope(
        Activity.objects.select_related("community", "organiser", "category"), user, action
    )


def activity_list_for(user: User) -> QuerySet[Activity]:
    """Activities in reach, each annotated with ``signed_up`` (active sign-ups), in one query."""
    return activities_for(user).annotate(signed_up=Count("signups", filter=ACTIVE_SIGNUPS))


def get_activity(*, user: User, pk: int, action: str = Action.ACTIVITY_VIEW) -> Activity:
    """An activity the user may ``action``; 404 otherwise, so other areas' ids reveal nothing."""
    return get_object_or_404(
        activities_for(user, action)
        .select_related("need", "project")
        .annotate(signed_up=Count("signups", filter=ACTIVE_SIGNUPS)),
        pk=pk,
    )


def active_signups(activity: Activity) -> QuerySet[Signup]:
    """Who holds a place, in sign-up order, with their names."""
    return activity.signups.filter(status=Signup.Status.ACTIVE).select_related("member__user")


def member_for(user: User) -> PartyMember | None:
    """The user's party-member record, or None for users who are not registered members."""
    if not user.is_authenticated:
        return None
    return PartyMember.objects.filter(user=user).select_related("home_community").first()


def member_enrollments(member: PartyMember, *, year: int | None = None) -> QuerySet[Enrollment]:
    """The member's live enrollments (pending, confirmed, active) of ``year`` (default: now)."""
    year = year or timezone.localdate().year
    return (
        Enrollment.objects.filter(
            member=member,
            year=year,
            status__in=[
                Enrollment.Status.PENDING,
                Enrollment.Status.CONFIRMED,
                Enrollment.Status.ACTIVE,
            ],
        )
        .select_related("community")
        .order_by("community__name")
    )


def _for_member(member: PartyMember) -> QuerySet[Activity]:
    """Activities of communities where the member holds a confirmed or active enrollment
    (any year), annotated with the member's own sign-up and the places taken."""
    enrolled = Enrollment.objects.filter(member=member, status__in=SIGNUP_ENROLLMENT)
    mine = Signup.objects.filter(
        activity=OuterRef("pk"), member=member, status=Signup.Status.ACTIVE
    )
    return (
        Activity.objects.filter(community__in=enrolled.values("community"))
        .select_related("community")
        .annotate(
            signed_up=Count("signups", filter=ACTIVE_SIGNUPS),
            is_signed_up=Exists(mine),
        )
    )


def upcoming_for_member(member: PartyMember) -> QuerySet[Activity]:
    """Published activities not yet ended in communities where the member may sign up for
    that activity's year; soonest first."""
    same_year = Enrollment.objects.filter(
        member=member,
        community=OuterRef("community"),
        year=ExtractYear(OuterRef("starts_at")),
        status__in=SIGNUP_ENROLLMENT,
    )
    return (
        _for_member(member)
        .filter(Exists(same_year), status=Activity.Status.PUBLISHED, ends_at__gt=timezone.now())
        .order_by("starts_at", "id")[:UPCOMING_LIMIT]
    )


def get_member_activity(*, member: PartyMember, pk: int) -> Activity:
    """An activity of one of the member's communities; 404 for any other."""
    return get_object_or_404(_for_member(member).select_related("organiser"), pk=pk)
