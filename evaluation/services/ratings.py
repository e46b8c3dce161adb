"""Ratings of activities (by the members who served in them) and projects (by the residents whose
needs they met). See ``evaluation.models.ratings`` for who may rate what and why."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.models import Rating
from portal import audit
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from reporting.models import Activity, PartyMember, ServiceRecord
from resources.models import Need, Project, ProjectStatus

MAX_COMMENT = 1000
RATEABLE_PROJECT_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.EVALUATED)


def _clean(stars: int, comment: str) -> str:
    if stars not in range(1, 6):
        raise InvalidInput(_("Choose 1 to 5 stars."), field="stars")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("Keep the comment under %(max)s characters.") % {"max": MAX_COMMENT}, field="comment"
        )
    return comment


def _create_once(**fields) -> Rating:
    try:
        with transaction.atomic():
            return Rating.objects.create(**fields)
    except IntegrityError:
        raise Conflict(_("You have already rated this. Thank you."), code="already_rated") from None


def rate_activity(
    *,
    activity: Activity,
    member: PartyMember,
    stars: int,
    comment: str = "",
    now: datetime | None = None,
) -> Rating:
    """A member's 1–5 stars for an activity they served in (a verified service record).

    Once per member and activity: a second rating raises ``Conflict``.
    """
    comment = _clean(stars, comment)
    if not ServiceRecord.objects.filter(activity=activity, member=member).exists():
        raise PermissionDenied(_("Only members who served in an activity can rate it."))
    with transaction.atomic():
        rating = _create_once(
            activity=activity,
            community_id=activity.community_id,
            stars=stars,
            comment=comment,
            rater_key=f"member:{member.pk}",
            created_at=now or timezone.now(),
        )
        audit.record(
            action="rating.activity",
            actor=member.user,
            obj=rating,
            area=activity.community,
            data={"activity": activity.pk, "stars": stars},
        )
    return rating


def rate_project_by_resident(
    *,
    project: Project,
    need: Need,
    stars: int,
    comment: str = "",
    now: datetime | None = None,
) -> Rating:
    """A resident's 1–5 stars for a completed project that met their need.

    The caller has checked the resident by the need's tracking number and phone digits; the
    rating is keyed by the need, so each need rates each of its projects once (``Conflict``
    on a repeat). No signed-in actor: the audit event has none.
    """
    comment = _clean(stars, comment)
    if not project.needs.filter(pk=need.pk).exists():
        raise PermissionDenied(_("This project did not take up your need."))
    if project.status not in RATEABLE_PROJECT_STATUSES:
        raise IllegalTransition(_("A project can be rated once it is completed."))
    with transaction.atomic():
        rating = _create_once(
            project=project,
            community_id=project.area_id,
            stars=stars,
            comment=comment,
            rater_key=f"need:{need.pk}",
            created_at=now or timezone.now(),
        )
        audit.record(
            action="rating.project",
            obj=rating,
            area=project.area,
            data={"project": project.pk, "need": need.tracking_number, "stars": stars},
        )
    return rating
