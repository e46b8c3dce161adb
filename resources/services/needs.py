"""Every write to a need: intake, the state machine and the logged reveal of contact details."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import audit, webhooks
from portal.access import Action, can, can_without
from portal.errors import IllegalTransition, InvalidInput, PermissionDenied
from portal.models import Area, Role, User, validate_mobile_phone
from portal.services import get_setting
from resources.models import (
    AvailabilitySlot,
    Channel,
    EscalationLevel,
    Need,
    NeedAttachment,
    NeedCategory,
    TargetGroup,
    Urgency,
)
from resources.services.attachments import discard_files, store_attachments
from resources.uploads import CleanUpload

S = Need.Status

_TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    stamp: str
    label: object  # lazy translated button label
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(
        frozenset({S.SUBMITTED}), S.ACCEPTED, "accepted_at", gettext_lazy("Accept")
    ),
    "match": Transition(
        frozenset({S.ACCEPTED}), S.MATCHED, "matched_at", gettext_lazy("Mark matched")
    ),
    "start": Transition(
        frozenset({S.ACCEPTED, S.MATCHED}), S.IN_PROGRESS, "started_at", gettext_lazy("Start work")
    ),
    "resolve": Transition(
        frozenset({S.IN_PROGRESS}),
        S.RESOLVED,
        "resolved_at",
        gettext_lazy("Resolve"),
        needs_reason=True,
    ),
    "evaluate": Transition(
        frozenset({S.RESOLVED}),
        S.EVALUATED,
        "evaluated_at",
        gettext_lazy("Record resident feedback"),
        needs_reason=True,
    ),
    "reject": Transition(
        frozenset({S.SUBMITTED, S.ACCEPTED}),
        S.REJECTED,
        "closed_at",
        gettext_lazy("Reject"),
        needs_reason=True,
    ),
    "merge": Transition(
        frozenset({S.SUBMITTED, S.ACCEPTED}),
        S.MERGED,
        "closed_at",
        gettext_lazy("Merge into another need"),
        needs_reason=True,
    ),
}


def _new_tracking_number(now: datetime) -> str:
    suffix = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))
    return f"BD{timezone.localtime(now):%y%m%d}{suffix}"


def _validate_intake(
    *, community: Area, grid: Area | None, category: NeedCategory, phone: str
) -> None:
    errors: dict[str, str] = {}
    if community.level != Area.Level.COMMUNITY:
        errors["community"] = _("Choose a community.")
    if grid is not None and grid.parent_id != community.pk:
        errors["grid"] = _("This grid does not belong to the chosen community.")
    if not category.is_active:
        errors["category"] = _("This category is no longer in use.")
    try:
        validate_mobile_phone(phone)
    except ValidationError:
        errors["requester_phone"] = _("Enter an 11-digit mobile number starting with 1.")
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(message, field=field)


def submit_need(
    *,
    community: Area,
    category: NeedCategory,
    title: str,
    description: str,
    requester_name: str,
    requester_phone: str,
    channel: str = Channel.ONLINE,
    target_group: str = TargetGroup.GENERAL,
    urgency: int = Urgency.NORMAL,
    grid: Area | None = None,
    address: str = "",
    availability: list[str] | None = None,
    attachments: Sequence[CleanUpload] = (),
    by: User | None = None,
    now: datetime | None = None,
) -> Need:
    """Take in a need from a resident (``by`` is None) or from a worker entering it for them.

    Starts the response clock: ``due_at`` = submission + the area's response hours.
    ``attachments`` (checked by ``resources.uploads.clean_upload``) are stored with the need, in
    its transaction; their files are deleted again if the need is not saved.
    """
    now = now or timezone.now()
    requester_phone = (requester_phone or "").strip()
    _validate_intake(community=community, grid=grid, category=category, phone=requester_phone)
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), field="channel")
    availability = sorted(set(availability or []))
    if any(slot not in AvailabilitySlot.values for slot in availability):
        raise InvalidInput(_("Choose times from the list."), field="availability")
    if by is None:
        if channel != Channel.ONLINE:
            raise InvalidInput(
                _("Residents submit needs through the online form."), field="channel"
            )
    else:
        if not can(by, Action.NEED_CREATE, area=grid or community):
            raise PermissionDenied(_("You cannot enter needs for this community."))
        if channel == Channel.ONLINE:
            raise InvalidInput(_("Choose how the resident reached you."), field="channel")
    if len(attachments) > settings.BAODAO_UPLOAD_MAX_FILES:
        raise InvalidInput(
            _("Attach at most %(max)s files.") % {"max": settings.BAODAO_UPLOAD_MAX_FILES},
            field="attachments",
        )
    hours = int(
        get_setting("need.response_hours", area=community, year=timezone.localtime(now).year)
    )
    for _attempt in range(5):
        stored: list[NeedAttachment] = []
        try:
            with transaction.atomic():
                need = Need.objects.create(
                    tracking_number=_new_tracking_number(now),
                    title=title.strip(),
                    description=description.strip(),
                    category=category,
                    target_group=target_group,
                    channel=channel,
                    urgency=urgency,
                    community=community,
                    grid=grid,
                    requester_name=requester_name.strip(),
                    requester_phone=requester_phone,
                    address=address.strip(),
                    availability=availability,
                    submitted_at=now,
                    due_at=now + timedelta(hours=hours),
                    created_by=by,
                )
                audit.record(
                    action="need.submitted",
                    actor=by,
                    obj=need,
                    area=need.area,
                    data={
                        "tracking_number": need.tracking_number,
                        "channel": channel,
                        "category": category.code,
                        "due_at": need.due_at.isoformat(),
                        "attachments": len(attachments),
                    },
                )
                stored = store_attachments(need=need, uploads=attachments, by=by)
                webhooks.emit(
                    event="need.created",
                    area=need.area,
                    payload=lambda need=need: webhooks.need_payload(need),
                )
                return need
        except IntegrityError:
            # A tracking-number collision (one in ~10^9 a day); draw another.
            discard_files(stored)
            continue
        except BaseException:
            discard_files(stored)
            raise
    raise InvalidInput(_("Could not allocate a tracking number; please try again."))


def may_process(user: User, need: Need) -> bool:
    """May ``user`` move ``need`` through its steps? District officials only once the need has
    been escalated to the district; everyone else as their role allows in the need's area."""
    if not can(user, Action.NEED_PROCESS, area=need.area):
        return False
    if need.escalation_level >= EscalationLevel.DISTRICT:
        return True
    return can_without(user, Action.NEED_PROCESS, area=need.area, roles=[Role.DISTRICT_OFFICIAL])


def allowed_actions(need: Need, user: User) -> list[tuple[str, Transition]]:
    """The transitions ``user`` may apply to ``need`` now, in display order."""
    if not may_process(user, need):
        return []
    return [(name, t) for name, t in TRANSITIONS.items() if need.status in t.sources]


def transition_need(
    *,
    need: Need,
    action: str,
    by: User,
    reason: str = "",
    merge_into: Need | None = None,
    rating: int | None = None,
    now: datetime | None = None,
) -> Need:
    """Apply one state-machine move; an illegal move changes nothing and says why.

    ``rating`` (1–5 stars) goes with "evaluate": the resident's verdict on how the need was met.
    """
    try:
        move = TRANSITIONS[action]
    except KeyError:
        raise InvalidInput(_("Unknown action."), field="action") from None
    if not may_process(by, need):
        raise PermissionDenied(_("You cannot process needs of this community."))
    reason = (reason or "").strip()
    if move.needs_reason and not reason:
        raise InvalidInput(_("Please give a reason or note for this step."), field="reason")
    if rating is not None and (action != "evaluate" or rating not in range(1, 6)):
        raise InvalidInput(_("A rating is 1 to 5 stars, given with the feedback."), field="rating")
    now = now or timezone.now()
    with transaction.atomic():
        # Lock and re-read so that two workers acting at once cannot both move it.
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if locked.status not in move.sources:
            raise IllegalTransition(
                _("A need that is “%(status)s” cannot be moved by “%(action)s”.")
                % {"status": locked.get_status_display(), "action": move.label}
            )
        previous = locked.status
        update = {"status": move.target, move.stamp: now}
        if action in ("reject", "merge"):
            update["close_reason"] = reason
        elif action == "resolve":
            update["resolution"] = reason
        elif action == "evaluate":
            update["evaluation_note"] = reason
            if rating is not None:
                update["rating"] = rating
        if action == "merge":
            if merge_into is None:
                raise InvalidInput(_("Choose the need to merge into."), field="merge_into")
            if merge_into.pk == locked.pk:
                raise InvalidInput(_("A need cannot be merged into itself."), field="merge_into")
            if merge_into.community_id != locked.community_id:
                raise InvalidInput(
                    _("Needs can only be merged within one community."), field="merge_into"
                )
            if merge_into.status in (S.REJECTED, S.MERGED):
                raise InvalidInput(_("That need is already closed."), field="merge_into")
            update["merged_into"] = merge_into
        for field, value in update.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*update.keys(), "updated_at"])
        data = {"from": previous, "to": move.target}
        if reason:
            data["note"] = reason
        if merge_into is not None:
            data["merged_into"] = merge_into.tracking_number
        if rating is not None:
            data["rating"] = rating
        audit.record(action=f"need.{action}", actor=by, obj=locked, area=locked.area, data=data)
        webhooks.emit(
            event="need.status_changed",
            area=locked.area,
            payload=lambda: {**webhooks.need_payload(locked), "from": previous, "action": action},
        )
    return locked


def reveal_requester_phone(*, need: Need, by: User) -> str:
    """The full phone number, for the need's own community workers only; every reveal is logged."""
    if not can(by, Action.NEED_REVEAL_CONTACT, area=need.area):
        raise PermissionDenied(_("Only the community's own workers can see the full number."))
    with transaction.atomic():
        audit.record(
            action="need.contact_revealed",
            actor=by,
            obj=need,
            area=need.area,
            data={"field": "requester_phone"},
        )
    return need.requester_phone
