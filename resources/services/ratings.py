"""The resident's own rating of a resolved need, given on the public tracking page."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, webhooks
from portal.errors import Conflict, IllegalTransition, InvalidInput
from resources.models import Need
from resources.services.needs import TRANSITIONS

MAX_COMMENT = 1000


def rate_need_by_resident(
    *, need: Need, stars: int, comment: str = "", now: datetime | None = None
) -> Need:
    """Record the resident's 1–5 stars and comment and move the need to "evaluated".

    The caller has checked who the resident is (tracking number and the phone's last 4 digits);
    there is no signed-in actor, so the audit event has none. The move is the state machine's
    "evaluate" step (resolved → evaluated), taken under a row lock: a need is rated once, and a
    second submission — a double click, a refresh, a second tab — raises ``Conflict``.
    """
    if stars not in range(1, 6):
        raise InvalidInput(_("Choose 1 to 5 stars."), field="stars")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("Keep the comment under %(max)s characters.") % {"max": MAX_COMMENT}, field="comment"
        )
    move = TRANSITIONS["evaluate"]
    now = now or timezone.now()
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if locked.rating is not None or locked.status == Need.Status.EVALUATED:
            raise Conflict(_("This need has already been rated. Thank you."), code="already_rated")
        if locked.status not in move.sources:
            raise IllegalTransition(_("A need can be rated once it has been resolved."))
        previous = locked.status
        locked.status = move.target
        setattr(locked, move.stamp, now)
        locked.rating = stars
        locked.evaluation_note = comment
        locked.save(update_fields=["status", move.stamp, "rating", "evaluation_note", "updated_at"])
        audit.record(
            action="need.rated_by_resident",
            obj=locked,
            area=locked.area,
            data={"from": previous, "to": move.target, "rating": stars, "comment": bool(comment)},
        )
        webhooks.emit(
            event="need.status_changed",
            area=locked.area,
            payload=lambda: {
                **webhooks.need_payload(locked),
                "from": previous,
                "action": "evaluate",
            },
        )
    return locked
