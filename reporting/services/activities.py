"""Every write about activities: create, edit, cancel; members sign up and cancel their place."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import Area, RoleAssignment, User
from portal.services import get_setting
from reporting.models import Activity, Enrollment, PartyMember, Signup
from resources.services.changes import changed_fields

# Enrollment statuses that let a member take part in the community's activities.
SIGNUP_ENROLLMENT = (Enrollment.Status.CONFIRMED, Enrollment.Status.ACTIVE)

EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "need",
    "project",
    "venue",
    "starts_at",
    "ends_at",
    "capacity",
    "organiser",
    "geofence_latitude",
    "geofence_longitude",
    "geofence_radius_m",
)
MAX_RADIUS_M = 10_000


def activity_year(activity: Activity) -> int:
    """The enrollment year an activity belongs to: the local year of its start."""
    return timezone.localtime(activity.starts_at).year


def is_editable(activity: Activity, *, now: datetime | None = None) -> bool:
    """A published activity that has not ended can still be edited or cancelled."""
    now = now or timezone.now()
    return activity.status == Activity.Status.PUBLISHED and activity.ends_at > now


def _require_manage(by: User, community: Area) -> None:
    if not can(by, Action.ACTIVITY_MANAGE, area=community):
        raise PermissionDenied(_("You cannot run activities in this community."))


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(_("Enter a number."), field=field) from None


def _geofence(fields: dict[str, Any], community: Area) -> None:
    """All-or-nothing: no geofence, or a centre with a radius (default from the settings)."""
    lat = _decimal(fields.get("geofence_latitude"), "geofence_latitude")
    lng = _decimal(fields.get("geofence_longitude"), "geofence_longitude")
    radius = fields.get("geofence_radius_m")
    if lat is None and lng is None:
        if radius not in (None, ""):
            raise InvalidInput(
                _("A geofence radius needs a centre (latitude and longitude)."),
                field="geofence_latitude",
            )
        fields.update(geofence_latitude=None, geofence_longitude=None, geofence_radius_m=None)
        return
    if lat is None or lng is None:
        raise InvalidInput(
            _("Give both the latitude and the longitude of the geofence centre."),
            field="geofence_latitude" if lat is None else "geofence_longitude",
        )
    if not Decimal(-90) <= lat <= Decimal(90):
        raise InvalidInput(_("A latitude lies between -90 and 90."), field="geofence_latitude")
    if not Decimal(-180) <= lng <= Decimal(180):
        raise InvalidInput(_("A longitude lies between -180 and 180."), field="geofence_longitude")
    if radius in (None, ""):
        radius = int(get_setting("checkin.geofence_radius_m", area=community))
    try:
        radius = int(radius)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("Enter a whole number of metres."), field="geofence_radius_m"
        ) from None
    if not 1 <= radius <= MAX_RADIUS_M:
        raise InvalidInput(
            _("The geofence radius must be from 1 to %(max)s metres.") % {"max": MAX_RADIUS_M},
            field="geofence_radius_m",
        )
    fields.update(
        geofence_latitude=lat.quantize(Decimal("0.000001")),
        geofence_longitude=lng.quantize(Decimal("0.000001")),
        geofence_radius_m=radius,
    )


def _holds_role_in(user: User, community: Area) -> bool:
    paths = RoleAssignment.objects.filter(user=user).values_list("area__path", flat=True)
    return any(community.path.startswith(path) for path in paths)


def _validate(fields: dict[str, Any], community: Area, by: User) -> None:
    """Check the fields of an activity in ``community``; normalises the geofence in place."""
    if not (fields.get("title") or "").strip():
        raise InvalidInput(_("Give the activity a title."), field="title")
    if not (fields.get("venue") or "").strip():
        raise InvalidInput(_("Say where the activity takes place."), field="venue")
    starts_at: datetime = fields["starts_at"]
    ends_at: datetime = fields["ends_at"]
    if ends_at <= starts_at:
        raise InvalidInput(_("The activity must end after it starts."), field="ends_at")
    capacity = fields.get("capacity")
    if capacity is None or int(capacity) < 1:
        raise InvalidInput(_("An activity has room for at least one person."), field="capacity")
    need = fields.get("need")
    if need is not None and (
        need.community_id != community.pk or not can(by, Action.NEED_VIEW, area=need.area)
    ):
        raise InvalidInput(_("The need must belong to the activity's community."), field="need")
    project = fields.get("project")
    if project is not None and (
        project.area_id != community.pk or not can(by, Action.PROJECT_VIEW, area=project.area)
    ):
        raise InvalidInput(
            _("The project must belong to the activity's community."), field="project"
        )
    organiser: User = fields["organiser"]
    if not organiser.is_active or not _holds_role_in(organiser, community):
        raise InvalidInput(
            _("The organiser must hold a role in this community or above it."), field="organiser"
        )
    _geofence(fields, community)


def create_activity(
    *, by: User, community: Area, organiser: User | None = None, **fields: Any
) -> Activity:
    """Publish an activity in a community; the organiser defaults to its creator."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if community.level != Area.Level.COMMUNITY:
        raise InvalidInput(_("An activity belongs to a community."), field="community")
    _require_manage(by, community)
    fields["organiser"] = organiser or by
    fields.setdefault("description", "")
    _validate(fields, community, by)
    with transaction.atomic():
        activity = Activity.objects.create(community=community, created_by=by, **fields)
        audit.record(
            action="activity.created",
            actor=by,
            obj=activity,
            area=community,
            data={
                "title": activity.title,
                "starts_at": activity.starts_at.isoformat(),
                "capacity": activity.capacity,
            },
        )
    return activity


def update_activity(*, activity: Activity, by: User, **fields: Any) -> Activity:
    """Edit a published activity that has not ended; the audit event lists what changed."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    _require_manage(by, activity.community)
    with transaction.atomic():
        locked = (
            Activity.objects.select_for_update().select_related("community").get(pk=activity.pk)
        )
        if locked.status != Activity.Status.PUBLISHED:
            raise IllegalTransition(_("A cancelled activity cannot be changed."))
        if locked.ends_at <= timezone.now():
            raise IllegalTransition(_("An activity that has ended cannot be changed."))
        merged = {name: fields.get(name, getattr(locked, name)) for name in EDITABLE_FIELDS}
        _validate(merged, locked.community, by)
        taken = locked.signups.filter(status=Signup.Status.ACTIVE).count()
        if merged["capacity"] < taken:
            raise InvalidInput(
                _("%(n)s members have signed up; the capacity cannot be lower.") % {"n": taken},
                field="capacity",
            )
        new_values = {name: merged[name] for name in EDITABLE_FIELDS}
        changes = changed_fields(locked, new_values)
        for name, value in new_values.items():
            setattr(locked, name, value)
        locked.save()
        if changes:
            audit.record(
                action="activity.updated",
                actor=by,
                obj=locked,
                area=locked.community,
                data=changes,
            )
    return locked


def cancel_activity(*, activity: Activity, by: User, reason: str) -> Activity:
    """Call off an activity with a reason; every active sign-up is cancelled with it."""
    _require_manage(by, activity.community)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for cancelling."), field="reason")
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Activity.objects.select_for_update().select_related("community").get(pk=activity.pk)
        )
        if locked.status != Activity.Status.PUBLISHED:
            raise IllegalTransition(_("This activity is already cancelled."))
        if locked.ends_at <= now:
            raise IllegalTransition(_("An activity that has ended cannot be cancelled."))
        locked.status = Activity.Status.CANCELLED
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancel_reason"])
        released = locked.signups.filter(status=Signup.Status.ACTIVE).update(
            status=Signup.Status.CANCELLED, cancelled_at=now
        )
        audit.record(
            action="activity.cancelled",
            actor=by,
            obj=locked,
            area=locked.community,
            data={"reason": reason, "signups_cancelled": released},
        )
    return locked


def has_live_enrollment(*, member: PartyMember, community: Area, year: int) -> bool:
    return Enrollment.objects.filter(
        member=member, community=community, year=year, status__in=SIGNUP_ENROLLMENT
    ).exists()


def sign_up(*, activity: Activity, member: PartyMember) -> Signup:
    """Take a place in an activity. The activity row is locked while places are counted, so
    two members racing for the last place cannot both get it."""
    year = activity_year(activity)
    if not has_live_enrollment(member=member, community=activity.community, year=year):
        raise InvalidInput(
            _("You can sign up once your enrollment with %(community)s for %(year)s is confirmed.")
            % {"community": activity.community.name, "year": year},
            code="not_enrolled",
        )
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.status != Activity.Status.PUBLISHED:
            raise IllegalTransition(_("This activity has been cancelled."), code="cancelled")
        if locked.ends_at <= timezone.now():
            raise IllegalTransition(_("This activity has ended."), code="ended")
        active = Signup.objects.filter(activity=locked, status=Signup.Status.ACTIVE)
        if active.filter(member=member).exists():
            raise Conflict(_("You have already signed up for this activity."), code="duplicate")
        if active.count() >= locked.capacity:
            raise Conflict(_("This activity is full."), code="full")
        try:
            with transaction.atomic():
                signup = Signup.objects.create(activity=locked, member=member)
        except IntegrityError:
            # Only reachable if the lock was bypassed; the constraint still says no.
            raise Conflict(
                _("You have already signed up for this activity."), code="duplicate"
            ) from None
        audit.record(
            action="activity.signed_up",
            actor=member.user,
            obj=signup,
            area=activity.community,
            data={"activity": locked.pk},
        )
    return signup


def cancel_signup(*, activity: Activity, member: PartyMember) -> Signup:
    """Give up one's own place, before the activity starts."""
    now = timezone.now()
    with transaction.atomic():
        signup = (
            Signup.objects.select_for_update()
            .filter(activity=activity, member=member, status=Signup.Status.ACTIVE)
            .first()
        )
        if signup is None:
            raise Conflict(_("You have not signed up for this activity."), code="not_signed_up")
        if activity.starts_at <= now:
            raise IllegalTransition(
                _("The activity has started; a place can no longer be cancelled."),
                code="started",
            )
        signup.status = Signup.Status.CANCELLED
        signup.cancelled_at = now
        signup.save(update_fields=["status", "cancelled_at"])
        audit.record(
            action="activity.signup_cancelled",
            actor=member.user,
            obj=signup,
            area=activity.community,
            data={"activity": activity.pk},
        )
    return signup
