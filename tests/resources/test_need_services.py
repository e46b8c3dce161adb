"""Needs: intake, the response clock, every state-machine move, and who may do what."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.errors import IllegalTransition, InvalidInput, PermissionDenied
from portal.models import Area, AuditEvent, Role, RoleAssignment, Setting
from resources.models import Channel, Need
from resources.services.needs import (
    TRANSITIONS,
    allowed_actions,
    reveal_requester_phone,
    submit_need,
    transition_need,
)
from tests.factories import AreaFactory, NeedFactory, category, user_with_role

S = Need.Status
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
STAMPS = ("accepted_at", "matched_at", "started_at", "resolved_at", "evaluated_at", "closed_at")
# Statuses after acceptance must carry an acceptance time (need_accepted_has_time).
ACCEPTED_OR_LATER = {S.ACCEPTED, S.MATCHED, S.IN_PROGRESS, S.RESOLVED, S.EVALUATED}


def _intake(tree, **overrides):
    fields = {
        "community": tree["a"],
        "category": category(),
        "title": "Weekly shopping",
        "description": "I cannot carry heavy bags upstairs.",
        "requester_name": "张阿姨",
        "requester_phone": "13812345678",
        "now": NOW,
    }
    fields.update(overrides)
    return fields


def need_in(status, community, **fields):
    """A need already in ``status``, with what the database requires of that status."""
    earlier = NOW - timedelta(days=2)
    fields.setdefault("submitted_at", earlier)
    if status in ACCEPTED_OR_LATER:
        fields.setdefault("accepted_at", earlier + timedelta(hours=1))
    if status in (S.REJECTED, S.MERGED):
        fields.setdefault("close_reason", "Duplicate")
        fields.setdefault("closed_at", earlier + timedelta(hours=2))
    if status == S.MERGED:
        fields.setdefault("merged_into", NeedFactory(community=community))
    return NeedFactory(community=community, status=status, **fields)


def _stamps(need):
    return {name: getattr(need, name) for name in STAMPS}


# Intake ---------------------------------------------------------------------------------------


def test_a_submitted_need_is_due_24_hours_later_by_default(tree):
    need = submit_need(**_intake(tree))

    assert need.status == S.SUBMITTED
    assert need.submitted_at == NOW
    assert need.due_at == NOW + timedelta(hours=24)


def test_the_response_clock_follows_a_street_override(tree):
    Setting.objects.create(key="need.response_hours", area=tree["street1"], value=12)

    need = submit_need(**_intake(tree))

    assert need.due_at == NOW + timedelta(hours=12)


def test_the_response_clock_follows_a_year_specific_override_for_the_year_submitted(tree):
    Setting.objects.create(key="need.response_hours", area=tree["street1"], value=12)
    Setting.objects.create(key="need.response_hours", area=tree["street1"], value=6, year=2025)

    need = submit_need(**_intake(tree))

    assert need.due_at == NOW + timedelta(hours=6)


def test_a_submitted_need_gets_a_tracking_number(tree):
    need = submit_need(**_intake(tree))

    assert need.tracking_number.startswith("BD250310")
    assert len(need.tracking_number) == 14


def test_submission_is_audited(tree):
    need = submit_need(**_intake(tree))

    event = AuditEvent.objects.get(action="need.submitted")
    assert event.object_id == str(need.pk)
    assert event.actor is None
    assert event.data["channel"] == Channel.ONLINE


def test_a_need_in_a_grid_is_scoped_to_the_grid(tree):
    need = submit_need(**_intake(tree, grid=tree["grid_a"]))

    assert need.area == tree["grid_a"]


def test_a_resident_submits_through_the_online_form(tree):
    need = submit_need(**_intake(tree, channel=Channel.ONLINE))

    assert need.channel == Channel.ONLINE
    assert need.created_by is None


@pytest.mark.parametrize("channel", [c for c in Channel.values if c != Channel.ONLINE])
def test_a_public_submission_must_come_through_the_online_channel(tree, channel):
    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, channel=channel))

    assert excinfo.value.field == "channel"
    assert not Need.objects.exists()


def test_a_worker_entering_a_need_records_the_channel_and_the_worker(tree, worker):
    need = submit_need(**_intake(tree, channel=Channel.PROXY, by=worker))

    assert need.channel == Channel.PROXY
    assert need.created_by == worker
    assert AuditEvent.objects.get(action="need.submitted").actor == worker


def test_a_worker_must_say_how_the_resident_reached_them(tree, worker):
    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, channel=Channel.ONLINE, by=worker))

    assert excinfo.value.field == "channel"


def test_an_unknown_channel_is_refused(tree, worker):
    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, channel="pigeon", by=worker))

    assert excinfo.value.field == "channel"


def test_a_grid_worker_may_enter_a_need_from_a_home_visit_in_their_grid(tree):
    grid_worker = user_with_role(Role.GRID_WORKER, tree["grid_a"])

    need = submit_need(**_intake(tree, grid=tree["grid_a"], channel=Channel.VISIT, by=grid_worker))

    assert need.created_by == grid_worker


def test_a_grid_worker_cannot_enter_a_need_outside_their_grid(tree):
    grid_worker = user_with_role(Role.GRID_WORKER, tree["grid_a"])

    with pytest.raises(PermissionDenied):
        submit_need(**_intake(tree, channel=Channel.VISIT, by=grid_worker))


def test_a_worker_of_b_cannot_enter_needs_for_a(tree, worker_b):
    with pytest.raises(PermissionDenied):
        submit_need(**_intake(tree, channel=Channel.PROXY, by=worker_b))

    assert not Need.objects.exists()


def test_a_district_official_cannot_enter_needs(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])

    with pytest.raises(PermissionDenied):
        submit_need(**_intake(tree, channel=Channel.PHONE, by=official))


def test_the_grid_must_belong_to_the_community(tree):
    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, grid=tree["grid_b"]))

    assert excinfo.value.field == "grid"


def test_a_need_belongs_to_a_community_not_a_street(tree):
    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, community=tree["street1"]))

    assert excinfo.value.field == "community"


@pytest.mark.parametrize("phone", ["", "1381234567", "23812345678", "1381234567x", "138123456789"])
def test_an_invalid_phone_is_refused_on_the_phone_field(tree, phone):
    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, requester_phone=phone))

    assert excinfo.value.field == "requester_phone"
    assert not Need.objects.exists()


def test_spaces_around_the_phone_are_ignored(tree):
    need = submit_need(**_intake(tree, requester_phone=" 13812345678 "))

    assert need.requester_phone == "13812345678"


def test_an_inactive_category_is_refused(tree):
    retired = category("retired")
    retired.is_active = False
    retired.save()

    with pytest.raises(InvalidInput) as excinfo:
        submit_need(**_intake(tree, category=retired))

    assert excinfo.value.field == "category"


# The state machine: every move from every status ----------------------------------------------

ALL_MOVES = [(action, status) for action in TRANSITIONS for status in S.values]
LEGAL = [(a, s) for a, s in ALL_MOVES if s in TRANSITIONS[a].sources]
ILLEGAL = [(a, s) for a, s in ALL_MOVES if s not in TRANSITIONS[a].sources]


def _apply(need, action, by, tree):
    merge_into = need_in(S.SUBMITTED, tree["a"]) if action == "merge" else None
    return transition_need(
        need=need, action=action, by=by, reason="A note", merge_into=merge_into, now=NOW
    )


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_move_changes_the_status_and_stamps_the_time(tree, worker, action, status):
    need = need_in(status, tree["a"])
    move = TRANSITIONS[action]

    _apply(need, action, worker, tree)

    need.refresh_from_db()
    assert need.status == move.target
    assert getattr(need, move.stamp) == NOW


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_move_writes_an_audit_event(tree, worker, action, status):
    need = need_in(status, tree["a"])

    _apply(need, action, worker, tree)

    event = AuditEvent.objects.get(action=f"need.{action}")
    assert event.object_id == str(need.pk)
    assert event.actor == worker
    assert event.area == tree["a"]
    assert event.data["from"] == status
    assert event.data["to"] == TRANSITIONS[action].target


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_an_illegal_move_is_refused_and_changes_nothing(tree, worker, action, status):
    need = need_in(status, tree["a"])
    before = _stamps(need)
    events_before = AuditEvent.objects.count()

    with pytest.raises(IllegalTransition):
        _apply(need, action, worker, tree)

    need.refresh_from_db()
    assert need.status == status
    assert _stamps(need) == before
    assert AuditEvent.objects.count() == events_before


def test_the_state_machine_covers_every_status():
    reachable = {move.target for move in TRANSITIONS.values()}
    assert reachable | {S.SUBMITTED} == set(S.values)


def test_an_unknown_action_is_refused(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(InvalidInput) as excinfo:
        transition_need(need=need, action="teleport", by=worker)

    assert excinfo.value.field == "action"


def test_the_move_uses_the_stored_status_not_a_stale_copy(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])
    stale = Need.objects.get(pk=need.pk)
    transition_need(need=need, action="accept", by=worker, now=NOW)

    with pytest.raises(IllegalTransition):
        transition_need(need=stale, action="accept", by=worker, now=NOW)


@pytest.mark.parametrize(
    ("action", "status", "note_field"),
    [
        ("reject", S.SUBMITTED, "close_reason"),
        ("merge", S.SUBMITTED, "close_reason"),
        ("resolve", S.IN_PROGRESS, "resolution"),
        ("evaluate", S.RESOLVED, "evaluation_note"),
    ],
)
def test_the_reason_or_note_is_kept_on_the_need(tree, worker, action, status, note_field):
    need = need_in(status, tree["a"])
    target = need_in(S.SUBMITTED, tree["a"]) if action == "merge" else None

    transition_need(
        need=need, action=action, by=worker, reason="  Fixed the tap  ", merge_into=target
    )

    need.refresh_from_db()
    assert getattr(need, note_field) == "Fixed the tap"


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("reject", S.SUBMITTED),
        ("merge", S.SUBMITTED),
        ("resolve", S.IN_PROGRESS),
        ("evaluate", S.RESOLVED),
    ],
)
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required_for_closing_and_concluding_moves(
    tree, worker, action, status, reason
):
    need = need_in(status, tree["a"])
    target = need_in(S.SUBMITTED, tree["a"]) if action == "merge" else None

    with pytest.raises(InvalidInput) as excinfo:
        transition_need(need=need, action=action, by=worker, reason=reason, merge_into=target)

    assert excinfo.value.field == "reason"
    need.refresh_from_db()
    assert need.status == status
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("action", ["accept", "match", "start"])
def test_moves_that_are_not_conclusions_need_no_reason(tree, worker, action):
    status = next(iter(sorted(TRANSITIONS[action].sources)))
    need = need_in(status, tree["a"])

    transition_need(need=need, action=action, by=worker)

    need.refresh_from_db()
    assert need.status == TRANSITIONS[action].target


# Merging --------------------------------------------------------------------------------------


def test_merging_points_the_need_at_the_one_it_joins(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])
    target = need_in(S.ACCEPTED, tree["a"])

    transition_need(need=need, action="merge", by=worker, reason="Same leak", merge_into=target)

    need.refresh_from_db()
    assert need.merged_into == target
    assert AuditEvent.objects.get(action="need.merge").data["merged_into"] == target.tracking_number


def test_merging_needs_a_target(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(InvalidInput) as excinfo:
        transition_need(need=need, action="merge", by=worker, reason="Duplicate")

    assert excinfo.value.field == "merge_into"


def test_a_need_cannot_be_merged_into_itself(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(InvalidInput) as excinfo:
        transition_need(need=need, action="merge", by=worker, reason="Duplicate", merge_into=need)

    assert excinfo.value.field == "merge_into"
    need.refresh_from_db()
    assert need.status == S.SUBMITTED


def test_a_need_cannot_be_merged_into_another_communitys_need(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])
    elsewhere = need_in(S.SUBMITTED, tree["c"])

    with pytest.raises(InvalidInput) as excinfo:
        transition_need(
            need=need, action="merge", by=worker, reason="Duplicate", merge_into=elsewhere
        )

    assert excinfo.value.field == "merge_into"
    need.refresh_from_db()
    assert need.status == S.SUBMITTED


@pytest.mark.parametrize("closed", [S.REJECTED, S.MERGED])
def test_a_need_cannot_be_merged_into_a_closed_need(tree, worker, closed):
    need = need_in(S.SUBMITTED, tree["a"])
    target = need_in(closed, tree["a"])

    with pytest.raises(InvalidInput) as excinfo:
        transition_need(need=need, action="merge", by=worker, reason="Duplicate", merge_into=target)

    assert excinfo.value.field == "merge_into"
    need.refresh_from_db()
    assert need.status == S.SUBMITTED
    assert not AuditEvent.objects.exists()


# Who may process ------------------------------------------------------------------------------


def test_a_street_officer_may_process_needs_of_a_community_in_their_street(tree, street_officer):
    need = need_in(S.SUBMITTED, tree["a"])

    transition_need(need=need, action="accept", by=street_officer, now=NOW)

    need.refresh_from_db()
    assert need.status == S.ACCEPTED


def test_a_worker_of_b_cannot_process_needs_of_a(tree, worker_b):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(PermissionDenied):
        transition_need(need=need, action="accept", by=worker_b)

    need.refresh_from_db()
    assert need.status == S.SUBMITTED
    assert not AuditEvent.objects.exists()


def test_a_district_official_acts_only_on_needs_escalated_to_the_district(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(PermissionDenied):
        transition_need(need=need, action="accept", by=official)
    assert allowed_actions(need, official) == []

    Need.objects.filter(pk=need.pk).update(escalation_level=2)
    need.refresh_from_db()
    assert [name for name, _move in allowed_actions(need, official)][:1] == ["accept"]
    transition_need(need=need, action="accept", by=official)
    need.refresh_from_db()
    assert need.status == S.ACCEPTED


def test_an_official_of_another_district_cannot_act_even_on_escalated_needs(tree):
    other = AreaFactory(level=Area.Level.DISTRICT, parent=tree["city"])
    outsider = user_with_role(Role.DISTRICT_OFFICIAL, other)
    need = need_in(S.SUBMITTED, tree["a"])
    Need.objects.filter(pk=need.pk).update(escalation_level=2)
    need.refresh_from_db()

    with pytest.raises(PermissionDenied):
        transition_need(need=need, action="accept", by=outsider)


def test_a_district_official_who_is_also_a_community_worker_acts_as_the_worker(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    RoleAssignment.objects.create(user=official, role=Role.COMMUNITY_WORKER, area=tree["a"])
    need = need_in(S.SUBMITTED, tree["a"])

    transition_need(need=need, action="accept", by=official)


def test_permission_is_checked_before_the_reason(tree, worker_b):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(PermissionDenied):
        transition_need(need=need, action="reject", by=worker_b, reason="")


def test_allowed_actions_lists_the_moves_from_the_current_status(tree, worker):
    need = need_in(S.ACCEPTED, tree["a"])

    assert [name for name, _move in allowed_actions(need, worker)] == [
        "match",
        "start",
        "reject",
        "merge",
    ]


def test_allowed_actions_is_empty_for_a_user_who_cannot_process(tree, worker_b):
    need = need_in(S.SUBMITTED, tree["a"])

    assert allowed_actions(need, worker_b) == []


# Revealing the requester's phone --------------------------------------------------------------


def test_a_worker_of_the_community_sees_the_full_number(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"], requester_phone="13812345678")

    assert reveal_requester_phone(need=need, by=worker) == "13812345678"


def test_every_reveal_is_logged(tree, worker):
    need = need_in(S.SUBMITTED, tree["a"])

    reveal_requester_phone(need=need, by=worker)
    reveal_requester_phone(need=need, by=worker)

    events = AuditEvent.objects.filter(action="need.contact_revealed", object_id=str(need.pk))
    assert events.count() == 2
    assert {e.actor for e in events} == {worker}


def test_a_street_officer_cannot_reveal_the_number(tree, street_officer):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(PermissionDenied):
        reveal_requester_phone(need=need, by=street_officer)

    assert not AuditEvent.objects.exists()


def test_a_worker_of_another_community_cannot_reveal_the_number(tree, worker_b):
    need = need_in(S.SUBMITTED, tree["a"])

    with pytest.raises(PermissionDenied):
        reveal_requester_phone(need=need, by=worker_b)


def test_the_masked_number_keeps_the_first_three_and_last_four_digits(tree):
    need = need_in(S.SUBMITTED, tree["a"], requester_phone="13812345678")

    assert need.masked_phone == "138****5678"
