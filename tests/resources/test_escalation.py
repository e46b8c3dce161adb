"""Response-clock escalation (吹哨报到): community → street → district, each with its own clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, Notification, Role, Setting
from portal.notify import Channel
from resources.models import EscalationLevel, Need, NeedEscalation
from resources.services.escalation import (
    escalate_overdue_needs,
    overdue_candidates,
    warn_needs_due_soon,
)
from tests.factories import NeedFactory, user_with_role

NOW = timezone.now().replace(microsecond=0)
SENT: list[tuple[int, str]] = []


class RecordingChannel(Channel):
    def send(self, *, recipient, subject, body, url):
        SENT.append((recipient.pk, subject))


class BrokenChannel(Channel):
    def send(self, *, recipient, subject, body, url):
        raise ConnectionError("SMS gateway down")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def recording(settings):
    SENT.clear()
    settings.BAODAO_NOTIFICATION_CHANNELS = ["tests.resources.test_escalation.RecordingChannel"]
    return SENT


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")


def overdue_need(community, *, hours_late=1, **kwargs):
    """A need whose community clock ran out ``hours_late`` hours before NOW."""
    due = NOW - timedelta(hours=hours_late)
    return NeedFactory(
        community=community, submitted_at=due - timedelta(hours=24), due_at=due, **kwargs
    )


def escalate(at=NOW):
    return escalate_overdue_needs(now=at)


# The community's clock.


def test_need_past_its_clock_goes_up_to_its_street(tree):
    need = overdue_need(tree["a"])
    assert escalate() == {"street": 1, "district": 0, "notified": 0}
    need.refresh_from_db()
    assert need.escalation_level == EscalationLevel.STREET
    escalation = need.escalations.get()
    assert (escalation.level, escalation.area) == (EscalationLevel.STREET, tree["street1"])
    assert escalation.escalated_at == NOW


def test_street_gets_its_own_clock_from_the_moment_it_is_reached(tree):
    need = overdue_need(tree["a"], hours_late=50)
    escalate()
    assert need.escalations.get().due_at == NOW + timedelta(hours=24)


def test_street_clock_follows_the_area_setting(tree):
    Setting.objects.create(key="need.street_response_hours", area=tree["district"], value=8)
    need = overdue_need(tree["a"])
    escalate()
    assert need.escalations.get().due_at == NOW + timedelta(hours=8)


def test_escalation_keeps_the_community_clock_unchanged(tree):
    need = overdue_need(tree["a"])
    due = need.due_at
    escalate()
    need.refresh_from_db()
    assert need.due_at == due


def test_need_within_its_clock_is_not_escalated(tree):
    NeedFactory(community=tree["a"], submitted_at=NOW - timedelta(hours=2))
    assert escalate()["street"] == 0
    assert not NeedEscalation.objects.exists()


def test_need_exactly_at_its_clock_is_not_yet_escalated(tree):
    overdue_need(tree["a"], hours_late=0)
    assert escalate()["street"] == 0


def test_accepted_need_is_not_escalated(tree):
    overdue_need(tree["a"], status=Need.Status.ACCEPTED, accepted_at=NOW - timedelta(hours=30))
    assert escalate() == {"street": 0, "district": 0, "notified": 0}


def test_rejected_need_is_not_escalated(tree):
    overdue_need(tree["a"], status=Need.Status.REJECTED, close_reason="Duplicate")
    assert escalate()["street"] == 0


def test_grid_need_goes_up_to_its_communitys_street(tree):
    need = overdue_need(tree["b"], grid=tree["grid_b"])
    escalate()
    assert need.escalations.get().area == tree["street2"]


# The street's clock, then the district.


def test_street_level_need_goes_to_the_district_when_the_street_clock_runs_out(tree):
    need = overdue_need(tree["a"])
    escalate()
    later = NOW + timedelta(hours=25)
    assert escalate(later) == {"street": 0, "district": 1, "notified": 0}
    need.refresh_from_db()
    assert need.escalation_level == EscalationLevel.DISTRICT
    district = need.escalations.get(level=EscalationLevel.DISTRICT)
    assert district.area == tree["district"]
    assert district.due_at == later + timedelta(hours=24)


def test_street_level_need_stays_while_the_street_clock_runs(tree):
    need = overdue_need(tree["a"], hours_late=100)
    escalate()
    assert escalate(NOW + timedelta(hours=23))["district"] == 0
    need.refresh_from_db()
    assert need.escalation_level == EscalationLevel.STREET


def test_district_clock_follows_its_own_setting(tree):
    Setting.objects.create(key="need.district_response_hours", area=tree["city"], value=48)
    need = overdue_need(tree["a"])
    escalate()
    later = NOW + timedelta(hours=25)
    escalate(later)
    assert need.escalations.get(level=2).due_at == later + timedelta(hours=48)


def test_district_is_the_last_level(tree):
    need = overdue_need(tree["a"])
    escalate()
    escalate(NOW + timedelta(hours=25))
    assert escalate(NOW + timedelta(days=30)) == {"street": 0, "district": 0, "notified": 0}
    assert need.escalations.count() == 2


def test_need_accepted_at_the_street_goes_no_further(tree, street_officer):
    need = overdue_need(tree["a"])
    escalate()
    Need.objects.filter(pk=need.pk).update(status=Need.Status.ACCEPTED, accepted_at=NOW)
    assert escalate(NOW + timedelta(hours=25))["district"] == 0


def test_escalation_is_written_to_the_audit_log(tree):
    need = overdue_need(tree["a"])
    escalate()
    event = AuditEvent.objects.get(action="need.escalated")
    assert event.object_id == str(need.pk)
    assert event.data["level"] == 1
    assert event.data["to_area"] == tree["street1"].pk


# Idempotency.


def test_running_twice_at_the_same_moment_escalates_once(tree, worker, street_officer, recording):
    need = overdue_need(tree["a"])
    first = escalate()
    second = escalate()
    assert (first["street"], second["street"]) == (1, 0)
    assert need.escalations.count() == 1
    assert Notification.objects.filter(recipient=street_officer).count() == 1
    assert Notification.objects.filter(recipient=worker).count() == 1


def test_second_run_sends_nothing_through_the_channels(
    tree, worker, street_officer, recording, django_capture_on_commit_callbacks
):
    overdue_need(tree["a"])
    with django_capture_on_commit_callbacks(execute=True):
        escalate()
    sent_first = list(recording)
    with django_capture_on_commit_callbacks(execute=True):
        escalate()
    assert sorted(pk for pk, _subject in sent_first) == sorted([worker.pk, street_officer.pk])
    assert recording == sent_first


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_escalate_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL")
    from tests.factories import make_tree

    tree = make_tree()
    need = overdue_need(tree["a"])
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(escalate()["street"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert need.escalations.count() == 1


# Who is told.


def test_street_escalation_notifies_the_street_officers_and_the_community_staff(
    tree, worker, worker_b, secretary, street_officer, official, recording
):
    other_street = user_with_role(Role.STREET_OFFICER, tree["street2"], username="street2")
    need = overdue_need(tree["a"])
    assert escalate()["notified"] == 3
    notified = Notification.objects.filter(dedupe_key=f"escalation:{need.pk}:1")
    assert {n.recipient_id for n in notified} == {worker.pk, secretary.pk, street_officer.pk}
    assert notified.get(recipient=street_officer).kind == "need.escalated"
    assert notified.get(recipient=worker).kind == "need.went_up"
    assert not Notification.objects.filter(recipient__in=[worker_b, other_street, official])


def test_district_escalation_notifies_the_district_officials(
    tree, worker, street_officer, official, recording
):
    need = overdue_need(tree["a"])
    escalate()
    escalate(NOW + timedelta(hours=25))
    notified = Notification.objects.filter(dedupe_key=f"escalation:{need.pk}:2")
    assert {n.recipient_id for n in notified} == {official.pk, worker.pk}
    assert notified.get(recipient=official).params["area"] == "District"


def test_notification_links_to_the_need_and_names_the_new_clock(tree, street_officer, recording):
    need = overdue_need(tree["a"])
    escalate()
    notification = Notification.objects.get(recipient=street_officer)
    assert notification.url == reverse("resources:need_detail", args=[need.pk])
    assert notification.params["number"] == need.tracking_number
    assert notification.params["due_at"] == (NOW + timedelta(hours=24)).isoformat()


def test_inactive_officers_are_not_notified(tree, street_officer, recording):
    street_officer.is_active = False
    street_officer.save()
    overdue_need(tree["a"])
    assert escalate() == {"street": 1, "district": 0, "notified": 0}


def test_a_failing_channel_does_not_undo_the_escalation(
    tree, street_officer, settings, django_capture_on_commit_callbacks
):
    settings.BAODAO_NOTIFICATION_CHANNELS = ["tests.resources.test_escalation.BrokenChannel"]
    need = overdue_need(tree["a"])
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate()["street"] == 1
    need.refresh_from_db()
    assert need.escalation_level == 1
    assert Notification.objects.filter(recipient=street_officer).exists()


# Query efficiency.


def test_candidates_are_found_in_one_query(tree, django_assert_num_queries):
    for _ in range(5):
        overdue_need(tree["a"])
        overdue_need(tree["b"])
    escalate()
    for _ in range(5):
        overdue_need(tree["c"])
    with django_assert_num_queries(1):
        candidates = overdue_candidates(now=NOW + timedelta(hours=25))
    assert len(candidates) == 15
    # The areas the job needs come with them.
    with django_assert_num_queries(0):
        assert {c.community.parent.parent for c in candidates} == {tree["district"]}


def test_queries_per_escalated_need_do_not_depend_on_how_many_there_are(
    tree, worker, worker_b, street_officer, recording, django_assert_max_num_queries
):
    user_with_role(Role.COMMUNITY_WORKER, tree["c"], username="worker_c")
    user_with_role(Role.STREET_OFFICER, tree["street2"], username="street2")

    def cost(n: int, community) -> int:
        for _ in range(n):
            overdue_need(community)
        with django_assert_max_num_queries(1000) as captured:
            assert escalate()["notified"] == 2 * n
        return len(captured.captured_queries)

    cost(1, tree["a"])  # the first audit event of all creates the chain's head
    one, three, five = cost(1, tree["b"]), cost(3, tree["c"]), cost(5, tree["a"])
    assert five - three == three - one
    assert (three - one) / 2 <= 15


# The warning before the clock runs out.


def due_in(community, hours, **kwargs):
    due = NOW + timedelta(hours=hours)
    return NeedFactory(
        community=community, submitted_at=due - timedelta(hours=24), due_at=due, **kwargs
    )


def test_workers_are_warned_of_a_need_due_within_the_warning_hours(
    tree, worker, secretary, worker_b, recording
):
    need = due_in(tree["a"], 5)
    assert warn_needs_due_soon(now=NOW) == {"needs": 1, "notified": 1}
    warning = Notification.objects.get()
    assert (warning.recipient, warning.kind) == (worker, "need.due_soon")
    assert warning.dedupe_key == f"due_soon:{need.pk}"


def test_need_due_later_than_the_warning_hours_is_not_warned_of(tree, worker, recording):
    due_in(tree["a"], 7)
    assert warn_needs_due_soon(now=NOW)["needs"] == 0


def test_warning_hours_follow_the_area_setting(tree, worker, recording):
    Setting.objects.create(key="need.warning_hours", area=tree["a"], value=12)
    due_in(tree["a"], 10)
    assert warn_needs_due_soon(now=NOW)["needs"] == 1


def test_a_need_is_warned_of_once(tree, worker, recording):
    due_in(tree["a"], 5)
    warn_needs_due_soon(now=NOW)
    assert warn_needs_due_soon(now=NOW + timedelta(hours=1)) == {"needs": 0, "notified": 0}
    assert Notification.objects.count() == 1


def test_accepted_or_overdue_needs_are_not_warned_of(tree, worker, recording):
    due_in(tree["a"], 3, status=Need.Status.ACCEPTED, accepted_at=NOW)
    overdue_need(tree["a"])
    assert warn_needs_due_soon(now=NOW)["needs"] == 0


# The "Escalated to you" panel on the dashboard.

DASHBOARD = reverse("resources:dashboard")


def escalated_need(community, level, **kwargs):
    """A need that went up to ``level`` (1 street, 2 district), the level's clock still running."""
    need = overdue_need(community, escalation_level=level, **kwargs)
    street = community.parent
    for step in range(1, level + 1):
        NeedEscalation.objects.create(
            need=need,
            level=step,
            area=street if step == 1 else street.parent,
            escalated_at=NOW - timedelta(hours=1),
            due_at=NOW + timedelta(hours=step),
        )
    return need


def panel_numbers(client, user):
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return {need.tracking_number for need in response.context["escalated"].needs}


def test_street_officer_sees_every_escalated_need_of_their_street(client, tree, street_officer):
    at_street = escalated_need(tree["a"], 1)
    at_district = escalated_need(tree["c"], 2)
    other_street = escalated_need(tree["b"], 1)
    overdue_need(tree["a"])
    numbers = panel_numbers(client, street_officer)
    assert numbers == {at_street.tracking_number, at_district.tracking_number}
    assert other_street.tracking_number not in numbers


def test_district_official_sees_only_needs_that_reached_the_district(client, tree, official):
    escalated_need(tree["a"], 1)
    at_district = escalated_need(tree["b"], 2)
    assert panel_numbers(client, official) == {at_district.tracking_number}


def test_community_worker_sees_their_own_needs_that_went_up(client, tree, worker):
    own = escalated_need(tree["a"], 1)
    escalated_need(tree["b"], 2)
    assert panel_numbers(client, worker) == {own.tracking_number}
    assert "Gone up from your community" in client.get(DASHBOARD).content.decode()


def test_panel_leaves_out_needs_accepted_after_escalation(client, tree, street_officer):
    escalated_need(tree["a"], 1, status=Need.Status.ACCEPTED, accepted_at=NOW)
    assert panel_numbers(client, street_officer) == set()


def test_panel_shows_the_level_reached_and_its_clock(client, tree, street_officer):
    need = escalated_need(tree["a"], 1)
    client.force_login(street_officer)
    response = client.get(DASHBOARD)
    body = response.content.decode()
    assert "Escalated to you" in body
    (listed,) = response.context["escalated"].needs
    assert listed.escalated_to == "Street 1"
    assert listed.level_due_at == NOW + timedelta(hours=1)
    assert reverse("resources:need_detail", args=[need.pk]) in body


def test_escalated_panel_costs_the_same_queries_for_many_needs(
    client, tree, street_officer, django_assert_max_num_queries
):
    escalated_need(tree["a"], 1)
    client.force_login(street_officer)
    with django_assert_max_num_queries(100) as few:
        client.get(DASHBOARD)
    for _ in range(12):
        escalated_need(tree["a"], 1)
        escalated_need(tree["c"], 2)
    # One list query, and one count once the list is full.
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        response = client.get(DASHBOARD)
    panel = response.context["escalated"]
    assert (len(panel.needs), panel.count) == (10, 25)


# The need page and the needs list.


def test_need_page_shows_its_escalation_history(client, tree, worker):
    need = overdue_need(tree["a"])
    escalate()
    escalate(NOW + timedelta(hours=25))
    client.force_login(worker)
    response = client.get(reverse("resources:need_detail", args=[need.pk]))
    assert [e.level for e in response.context["escalations"]] == [1, 2]
    body = response.content.decode()
    assert "Escalations" in body
    assert "Escalated: not accepted in time" in body
    assert "Response clock" in body


def test_need_page_without_escalations_has_no_escalation_section(client, tree, worker):
    need = NeedFactory(community=tree["a"])
    client.force_login(worker)
    body = client.get(reverse("resources:need_detail", args=[need.pk])).content.decode()
    assert 'id="escalations"' not in body


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("any", {"street", "district"}), ("street", {"street"}), ("district", {"district"})],
)
def test_needs_list_filters_by_escalation(client, tree, street_officer, choice, expected):
    needs = {
        "street": escalated_need(tree["a"], 1),
        "district": escalated_need(tree["c"], 2),
        "none": overdue_need(tree["a"]),
    }
    client.force_login(street_officer)
    response = client.get(reverse("resources:need_list"), {"escalated": choice})
    listed = {need.pk for need in response.context["page_obj"]}
    assert listed == {needs[name].pk for name in expected}
