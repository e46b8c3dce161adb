"""The staff dashboard: counts of the three lists and the needs against the response clock."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from resources.models import Project, Resource
from resources.services.matching import match_area
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
    user_with_role,
)

URL = reverse("resources:dashboard")


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


def overdue_need(area, **kwargs):
    submitted = timezone.now() - timedelta(hours=30)
    return NeedFactory(community=area, submitted_at=submitted, **kwargs)


def due_soon_need(area, **kwargs):
    submitted = timezone.now() - timedelta(hours=21)
    return NeedFactory(community=area, submitted_at=submitted, **kwargs)


def test_dashboard_needs_sign_in(client, tree):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_dashboard_is_forbidden_without_dashboard_reach(client, tree):
    member = user_with_role(Role.MEMBER, tree["a"], username="member_a")
    client.force_login(member)
    assert client.get(URL).status_code == 403


def test_dashboard_counts_the_three_lists(client, worker, tree):
    overdue_need(tree["a"])
    due_soon_need(tree["a"])
    NeedFactory(community=tree["a"])
    NeedFactory(
        community=tree["a"],
        status="resolved",
        accepted_at=timezone.now(),
        resolved_at=timezone.now(),
    )
    NeedFactory(community=tree["b"])
    ResourceFactory(area=tree["a"])
    ResourceFactory(area=tree["a"], status=Resource.Status.PAUSED)
    owner = UserFactory()
    ProjectFactory(area=tree["a"], owner=owner, status=Project.Status.IN_PROGRESS)
    ProjectFactory(area=tree["a"], owner=owner)
    client.force_login(worker)
    response = client.get(URL)
    assert response.status_code == 200
    board = response.context["board"]
    assert (board.needs_open, board.needs_total) == (3, 4)
    assert (board.overdue_count, board.due_soon_count) == (1, 1)
    assert (board.resources_available, board.resources_total) == (1, 2)
    assert (board.projects_active, board.projects_total) == (1, 2)
    body = response.content.decode()
    assert "Overdue (not yet accepted)" in body
    assert "Due within 6 hours" in body


def test_dashboard_lists_overdue_and_due_soon_needs_with_masked_phones(client, worker, tree):
    late = overdue_need(tree["a"], title="Late one")
    soon = due_soon_need(tree["a"], title="Soon one")
    client.force_login(worker)
    response = client.get(URL)
    body = response.content.decode()
    assert response.context["board"].needs_overdue == [late]
    assert response.context["board"].needs_due_soon == [soon]
    assert reverse("resources:need_detail", args=[late.pk]) in body
    assert reverse("resources:need_detail", args=[soon.pk]) in body
    assert "138****5678" in body
    assert "13812345678" not in body


def test_dashboard_leaves_out_other_communities(client, worker, tree):
    other = overdue_need(tree["b"], title="Across town")
    client.force_login(worker)
    response = client.get(URL)
    assert other.tracking_number not in response.content.decode()
    assert response.context["board"].needs_total == 0


def test_dashboard_shows_empty_states(client, worker):
    client.force_login(worker)
    body = client.get(URL).content.decode()
    assert "Nothing overdue." in body
    assert "Nothing due soon." in body


def test_dashboard_links_to_proxy_entry_for_those_who_may_enter_needs(client, worker, tree):
    client.force_login(worker)
    assert reverse("resources:need_proxy_create") in client.get(URL).content.decode()
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")
    client.force_login(official)
    response = client.get(URL)
    assert response.status_code == 200
    assert reverse("resources:need_proxy_create") not in response.content.decode()


def test_dashboard_query_count_does_not_grow_with_rows(
    client, worker, tree, django_assert_max_num_queries
):
    for _ in range(10):
        overdue_need(tree["a"])
        due_soon_need(tree["a"], grid=tree["grid_a"])
        NeedFactory(community=tree["a"])
    ResourceFactory.create_batch(5, area=tree["a"])
    match_area(area=tree["street1"])
    client.force_login(worker)
    # 12, plus the "escalated" panel's list, the nav's unread-notification count and the
    # match proposals (list, count, category names for their explanations).
    with django_assert_max_num_queries(17):
        response = client.get(URL)
    assert len(response.context["board"].needs_overdue) == 10
    assert len(response.context["proposals"]) == 5 and response.context["proposal_count"] == 10
