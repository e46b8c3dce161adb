"""Activity pages: the staff list, detail, create, edit, cancel, and the members' /me/ pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, Role
from reporting.models import Activity, Signup
from tests.factories import UserFactory, user_with_role
from tests.reporting.test_activity_services import make_activity, make_member

pytestmark = pytest.mark.django_db

LIST = reverse("reporting:activity_list")
CREATE = reverse("reporting:activity_create")
ME = reverse("reporting:member_home")


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids, whatever the default language.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def activity(tree, worker):
    return make_activity(tree["a"], worker, title="Courtyard clean-up")


@pytest.fixture
def member(tree):
    return make_member(tree["a"], username="member_a")


def url(name, activity):
    return reverse(f"reporting:{name}", args=[activity.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def form_data(tree, organiser, **overrides):
    start = timezone.localtime() + timedelta(days=3)
    data = {
        "community": tree["a"].pk,
        "title": "Read to children",
        "description": "",
        "venue": "Library",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "8",
        "organiser": organiser.pk,
        "geofence_latitude": "",
        "geofence_longitude": "",
        "geofence_radius_m": "",
    }
    data.update(overrides)
    return data


# --- staff list ---------------------------------------------------------------------------


def test_list_shows_only_activities_in_reach(client, tree, worker, worker_b):
    make_activity(tree["a"], worker, title="In A")
    make_activity(tree["b"], worker_b, title="In B")
    client.force_login(worker)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [a.title for a in response.context["page_obj"]] == ["In A"]


def test_street_officer_sees_their_streets_activities(client, tree, worker, worker_b):
    make_activity(tree["a"], worker, title="In A")
    make_activity(tree["b"], worker_b, title="In B")
    officer = user_with_role(Role.STREET_OFFICER, tree["street1"])
    client.force_login(officer)
    titles = [a.title for a in client.get(LIST).context["page_obj"]]
    assert titles == ["In A"]


def test_list_is_forbidden_without_reach(client):
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 403


def test_list_filters_search_and_upcoming(client, tree, worker):
    make_activity(tree["a"], worker, title="Past walk", starts_in=-timedelta(days=3))
    make_activity(tree["a"], worker, title="Future walk")
    make_activity(tree["a"], worker, title="Future reading")
    client.force_login(worker)
    titles = [a.title for a in client.get(LIST, {"q": "walk"}).context["page_obj"]]
    assert sorted(titles) == ["Future walk", "Past walk"]
    upcoming = client.get(LIST, {"q": "walk", "when": "upcoming"}).context["page_obj"]
    assert [a.title for a in upcoming] == ["Future walk"]
    past = client.get(LIST, {"when": "past"}).context["page_obj"]
    assert [a.title for a in past] == ["Past walk"]


def test_list_sorts_by_signups(client, tree, worker):
    busy = make_activity(tree["a"], worker, title="Busy")
    make_activity(tree["a"], worker, title="Quiet")
    Signup.objects.create(activity=busy, member=make_member(tree["a"]))
    client.force_login(worker)
    page = client.get(LIST, {"sort": "-signed_up"}).context["page_obj"]
    assert [(a.title, a.signed_up) for a in page] == [("Busy", 1), ("Quiet", 0)]


def test_list_query_count_is_bounded(client, tree, worker, django_assert_max_num_queries):
    for n in range(30):
        act = make_activity(tree["a"], worker, title=f"Activity {n}")
        if n % 3 == 0:
            Signup.objects.create(activity=act, member=make_member(tree["a"], username=f"s{n}"))
    client.force_login(worker)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 25


# --- detail, create, edit, cancel ---------------------------------------------------------


def test_detail_shows_signups_and_places_left(client, tree, worker, activity, member):
    Signup.objects.create(activity=activity, member=member)
    client.force_login(worker)
    response = client.get(url("activity_detail", activity))
    assert response.status_code == 200
    assert member.user.display_name in response.content.decode()
    assert response.context["places_left"] == 9
    # The organiser's check-in pages land with another module; links appear only then.
    assert response.context["checkin_urls_ready"] in (True, False)


def test_detail_of_another_community_is_404(client, worker_b, activity):
    client.force_login(worker_b)
    assert client.get(url("activity_detail", activity)).status_code == 404


def test_worker_creates_an_activity(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree, worker))
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("activity_detail", activity)
    assert AuditEvent.objects.filter(action="activity.created").exists()


def test_create_shows_errors_with_400(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree, worker, geofence_latitude="31.2"))
    assert response.status_code == 400
    assert "Give both the latitude and the longitude" in response.content.decode()
    assert not Activity.objects.exists()


def test_create_rejects_end_before_start(client, tree, worker):
    client.force_login(worker)
    data = form_data(tree, worker)
    data["ends_at"] = data["starts_at"]
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert "The activity must end after it starts." in response.content.decode()


def test_member_cannot_create(client, member):
    client.force_login(member.user)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, {}).status_code == 403


def test_worker_edits_an_activity(client, tree, worker, activity):
    client.force_login(worker)
    assert client.get(url("activity_edit", activity)).status_code == 200
    data = form_data(tree, worker, title="Renamed")
    response = client.post(url("activity_edit", activity), data)
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.title == "Renamed"


def test_member_cannot_edit(client, member, activity):
    client.force_login(member.user)
    assert client.get(url("activity_edit", activity)).status_code == 403


def test_worker_cancels_an_activity(client, worker, activity, member):
    Signup.objects.create(activity=activity, member=member)
    client.force_login(worker)
    response = client.post(
        url("activity_cancel", activity), {"reason": "Storm warning"}, follow=True
    )
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CANCELLED
    assert Signup.objects.get().status == Signup.Status.CANCELLED
    assert any("cancelled" in m for m in messages_of(response))


def test_cancel_without_reason_changes_nothing(client, worker, activity):
    client.force_login(worker)
    response = client.post(url("activity_cancel", activity), {"reason": ""}, follow=True)
    activity.refresh_from_db()
    assert activity.status == Activity.Status.PUBLISHED
    assert "Give a reason for cancelling." in messages_of(response)


def test_member_cannot_cancel_an_activity(client, member, activity):
    client.force_login(member.user)
    assert client.post(url("activity_cancel", activity), {"reason": "x"}).status_code == 403


# --- member pages -------------------------------------------------------------------------


def test_member_home_lists_communities_and_upcoming(client, tree, worker, activity, member):
    make_activity(tree["b"], worker, title="Elsewhere")
    client.force_login(member.user)
    response = client.get(ME)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Community A" in body
    assert [a.title for a in response.context["activities"]] == ["Courtyard clean-up"]


def test_member_home_without_party_member_record_explains(client):
    client.force_login(UserFactory())
    response = client.get(ME)
    assert response.status_code == 200
    assert "not registered as a party member" in response.content.decode()


def test_member_home_query_count_is_bounded(
    client, tree, worker, member, django_assert_max_num_queries
):
    for n in range(30):
        act = make_activity(tree["a"], worker, title=f"Activity {n}")
        if n % 2:
            Signup.objects.create(activity=act, member=member)
    client.force_login(member.user)
    with django_assert_max_num_queries(8):
        response = client.get(ME)
    assert len(response.context["activities"]) == 30


def test_member_signs_up_and_cancels(client, member, activity):
    client.force_login(member.user)
    page = client.get(url("member_activity", activity))
    assert page.status_code == 200
    assert page.context["can_sign_up"]
    response = client.post(url("signup", activity), follow=True)
    assert "You have signed up." in messages_of(response)
    assert Signup.objects.filter(member=member, status="active").exists()
    assert response.context["can_cancel"]
    response = client.post(url("signup_cancel", activity), follow=True)
    assert "Your place is cancelled." in messages_of(response)
    assert not Signup.objects.filter(member=member, status="active").exists()


def test_full_activity_says_so(client, tree, worker, member):
    full = make_activity(tree["a"], worker, capacity=1)
    Signup.objects.create(activity=full, member=make_member(tree["a"], username="early"))
    client.force_login(member.user)
    response = client.post(url("signup", full), follow=True)
    assert "This activity is full." in messages_of(response)


def test_pending_member_is_told_to_wait_for_confirmation(client, tree, worker):
    pending = make_member(tree["a"], status="pending", username="pending")
    # A confirmed enrollment last year lets them see the community's activities.
    pending.enrollments.create(
        community=tree["a"],
        year=timezone.localdate().year - 1,
        status="confirmed",
        submitted_at=timezone.now(),
    )
    activity = make_activity(tree["a"], worker)
    client.force_login(pending.user)
    response = client.post(url("signup", activity), follow=True)
    assert any("enrollment" in m for m in messages_of(response))
    assert not Signup.objects.exists()


def test_member_of_a_cannot_see_activity_of_b(client, tree, worker_b, member):
    in_b = make_activity(tree["b"], worker_b)
    client.force_login(member.user)
    assert client.get(url("member_activity", in_b)).status_code == 404
    assert client.post(url("signup", in_b)).status_code == 404
    assert not Signup.objects.exists()


def test_non_member_gets_404_on_member_activity(client, worker, activity):
    client.force_login(worker)
    assert client.get(url("member_activity", activity)).status_code == 404


def test_member_pages_need_login(client, activity):
    response = client.get(ME)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_member_sees_activity_detail_without_the_signup_list(client, activity, member):
    Signup.objects.create(activity=activity, member=member)
    other = make_member(activity.community, username="other_a")
    client.force_login(other.user)
    response = client.get(url("activity_detail", activity))
    assert response.status_code == 200
    assert response.context["signups"] is None
    assert member.user.display_name not in response.content.decode()
    assert "Edit" not in response.content.decode()


def test_edit_of_another_community_is_404(client, worker_b, activity):
    client.force_login(worker_b)
    assert client.get(url("activity_edit", activity)).status_code == 404
    assert client.post(url("activity_cancel", activity), {"reason": "x"}).status_code == 404


def test_edit_refuses_capacity_below_signups_with_400(client, tree, worker, activity, member):
    Signup.objects.create(activity=activity, member=member)
    Signup.objects.create(activity=activity, member=make_member(tree["a"], username="second"))
    client.force_login(worker)
    response = client.post(url("activity_edit", activity), form_data(tree, worker, capacity="1"))
    assert response.status_code == 400
    assert "the capacity cannot be lower" in response.content.decode()
    activity.refresh_from_db()
    assert activity.capacity == 10


def test_cancelled_activity_is_not_editable(client, worker, activity):
    activity.status = Activity.Status.CANCELLED
    activity.cancel_reason = "Rain"
    activity.save()
    client.force_login(worker)
    response = client.get(url("activity_edit", activity), follow=True)
    assert "A cancelled or ended activity cannot be changed." in messages_of(response)
