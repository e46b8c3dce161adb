"""Residents rate their resolved need (and the projects that met it) on the tracking page;
members rate the activities they served in. One rating each, repeats answered politely."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Rating
from evaluation.services.ratings import rate_activity, rate_project_by_resident
from portal.errors import Conflict, IllegalTransition, PermissionDenied
from portal.models import AuditEvent
from reporting.models import Activity
from resources.models import Need, Project
from resources.services.ratings import rate_need_by_resident
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    UserFactory,
    make_party_member,
    make_service_record,
    make_tree,
)

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def resolved_need(community, **fields) -> Need:
    now = timezone.now()
    return NeedFactory(
        community=community,
        requester_phone=PHONE,
        status=Need.Status.RESOLVED,
        submitted_at=now - timedelta(days=3),
        accepted_at=now - timedelta(days=2),
        resolved_at=now - timedelta(days=1),
        resolution="Shopping delivered weekly.",
        **fields,
    )


def rate(client, need, *, digits="5678", stars="4", comment="Very kind helper."):
    return client.post(
        reverse("resources:rate_need"),
        {
            "tracking_number": need.tracking_number,
            "phone_last4": digits,
            "stars": stars,
            "comment": comment,
        },
    )


def track(client, need, digits="5678"):
    return client.post(
        reverse("resources:track_need"),
        {"tracking_number": need.tracking_number, "phone_last4": digits},
    )


# -- the resident's rating of a need ------------------------------------------------------------


def test_the_tracking_page_invites_the_resident_to_rate_a_resolved_need(client, tree):
    need = resolved_need(tree["a"])

    response = track(client, need)

    assert response.status_code == 200
    assert response.context["rate_form"] is not None
    assert "How well was your need met?" in response.content.decode()


def test_the_tracking_page_offers_no_rating_before_the_need_is_resolved(client, tree):
    need = NeedFactory(community=tree["a"], requester_phone=PHONE)

    response = track(client, need)

    assert "rate_form" not in response.context


def test_a_resident_rates_a_resolved_need_and_it_moves_to_evaluated(client, tree):
    need = resolved_need(tree["a"])

    response = rate(client, need)

    assert response.status_code == 200
    assert "Thank you for your rating." in response.content.decode()
    need.refresh_from_db()
    assert (need.status, need.rating, need.evaluation_note) == (
        Need.Status.EVALUATED,
        4,
        "Very kind helper.",
    )
    assert need.evaluated_at is not None


def test_the_residents_rating_is_audited_without_an_actor(client, tree):
    need = resolved_need(tree["a"])

    rate(client, need)

    event = AuditEvent.objects.get(action="need.rated_by_resident")
    assert event.actor is None
    assert event.object_id == str(need.pk)
    assert event.data["rating"] == 4


def test_a_rating_with_the_wrong_phone_digits_is_refused_and_changes_nothing(client, tree):
    need = resolved_need(tree["a"])

    response = rate(client, need, digits="0000")

    assert response.status_code == 404
    assert "No need matches" in response.content.decode()
    need.refresh_from_db()
    assert need.status == Need.Status.RESOLVED
    assert need.rating is None


def test_a_repeated_rating_says_already_rated_and_keeps_the_first(client, tree):
    need = resolved_need(tree["a"])
    rate(client, need, stars="5")

    response = rate(client, need, stars="1")

    assert response.status_code == 409
    assert "already been rated" in response.content.decode()
    need.refresh_from_db()
    assert need.rating == 5


def test_a_rating_without_stars_shows_the_form_again(client, tree):
    need = resolved_need(tree["a"])

    response = rate(client, need, stars="")

    assert response.status_code == 400
    assert response.context["rate_form"].errors["stars"]


def test_a_need_still_in_progress_cannot_be_rated(tree):
    need = NeedFactory(
        community=tree["a"], status=Need.Status.IN_PROGRESS, accepted_at=timezone.now()
    )

    with pytest.raises(IllegalTransition):
        rate_need_by_resident(need=need, stars=5)


def test_a_need_the_staff_already_evaluated_cannot_be_rated_again(tree):
    need = resolved_need(tree["a"])
    rate_need_by_resident(need=need, stars=3)

    with pytest.raises(Conflict):
        rate_need_by_resident(need=need, stars=5)


def test_the_rated_tracking_page_shows_no_personal_data(client, tree):
    need = resolved_need(tree["a"], address="幸福路 8 号 3 室")
    rate(client, need)

    page = track(client, need).content.decode()

    assert need.requester_name not in page
    assert PHONE not in page and need.masked_phone not in page
    assert "幸福路" not in page


# -- the resident's rating of a project ---------------------------------------------------------


@pytest.fixture
def completed_project(tree):
    return ProjectFactory(
        area=tree["a"],
        owner=UserFactory(),
        status=Project.Status.COMPLETED,
        completed_at=timezone.now(),
    )


def rate_project(client, need, project, *, stars="5", digits="5678"):
    return client.post(
        reverse("resources:rate_project"),
        {
            "tracking_number": need.tracking_number,
            "phone_last4": digits,
            "project": project.pk,
            "stars": stars,
            "comment": "",
        },
    )


def test_the_tracking_page_offers_to_rate_the_completed_project_that_met_the_need(
    client, tree, completed_project
):
    need = resolved_need(tree["a"])
    completed_project.needs.add(need)

    response = track(client, need)

    assert [project for project, _form in response.context["project_forms"]] == [completed_project]


def test_a_resident_rates_a_project_once_per_need(client, tree, completed_project):
    need = resolved_need(tree["a"])
    completed_project.needs.add(need)

    first = rate_project(client, need, completed_project, stars="5")
    second = rate_project(client, need, completed_project, stars="2")

    assert first.status_code == 200
    assert second.status_code == 409
    rating = Rating.objects.get()
    assert (rating.project, rating.stars, rating.rater_key) == (
        completed_project,
        5,
        f"need:{need.pk}",
    )


def test_a_project_that_did_not_meet_the_need_cannot_be_rated_through_it(
    client, tree, completed_project
):
    need = resolved_need(tree["a"])

    response = rate_project(client, need, completed_project)

    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_a_project_still_in_progress_cannot_be_rated(tree):
    need = resolved_need(tree["a"])
    project = ProjectFactory(area=tree["a"], owner=UserFactory(), status=Project.Status.IN_PROGRESS)
    project.needs.add(need)

    with pytest.raises(IllegalTransition):
        rate_project_by_resident(project=project, need=need, stars=4)


# -- a member's rating of an activity -----------------------------------------------------------


@pytest.fixture
def activity(tree):
    start = timezone.now() - timedelta(days=2)
    return Activity.objects.create(
        community=tree["a"],
        title="清扫楼道",
        venue="3 号楼",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        organiser=UserFactory(),
    )


def test_a_member_who_served_rates_the_activity_once(tree, activity):
    member = make_party_member(tree["a"])
    make_service_record(member, activity=activity)

    rating = rate_activity(activity=activity, member=member, stars=4, comment="好")

    assert (rating.stars, rating.community, rating.rater_key) == (
        4,
        tree["a"],
        f"member:{member.pk}",
    )
    assert AuditEvent.objects.filter(action="rating.activity", actor=member.user).exists()
    with pytest.raises(Conflict):
        rate_activity(activity=activity, member=member, stars=1)


def test_a_member_who_did_not_serve_cannot_rate_the_activity(tree, activity):
    member = make_party_member(tree["a"])

    with pytest.raises(PermissionDenied):
        rate_activity(activity=activity, member=member, stars=5)


# -- at the same moment (PostgreSQL: real concurrent connections) -------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)


def _race(target, n: int) -> list:
    results: list = []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # collected and asserted by the test
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_of_a_rating_at_the_same_moment_rates_once():
    need = resolved_need(make_tree()["a"])

    results = _race(lambda i: rate_need_by_resident(need=need, stars=5 - i), 4)

    assert sum(isinstance(r, Need) for r in results) == 1
    assert all(isinstance(r, (Need, Conflict)) for r in results), results
    assert AuditEvent.objects.filter(action="need.rated_by_resident").count() == 1
