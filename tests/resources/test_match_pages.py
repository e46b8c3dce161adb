"""The proposals list, the need page's matches and the accept/reject buttons."""

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Role
from resources.models import Match, Need
from resources.services.matching import match_area
from tests.factories import NeedFactory, ResourceFactory, category, user_with_role


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def proposal(tree):
    NeedFactory(community=tree["a"], category=category("meals"))
    ResourceFactory(area=tree["a"], name="Canteen", categories=[category("meals")])
    match_area(area=tree["street1"])
    return Match.objects.get()


def test_the_need_page_explains_the_proposal(client, worker, proposal):
    client.force_login(worker)
    response = client.get(reverse("resources:need_detail", args=[proposal.need_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Canteen" in body
    assert "same community" in body and "category fit: meals" in body
    assert reverse("resources:match_accept", args=[proposal.pk]) in body


def test_the_explanation_reads_in_chinese_by_default(client, worker, proposal, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(worker)
    body = client.get(reverse("resources:need_detail", args=[proposal.need_id])).content.decode()
    assert "同社区" in body


def test_accepting_from_the_page_matches_the_need(client, worker, proposal):
    client.force_login(worker)
    response = client.post(reverse("resources:match_accept", args=[proposal.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("resources:need_detail", args=[proposal.need_id])
    assert Need.objects.get(pk=proposal.need_id).status == Need.Status.MATCHED


def test_accept_and_plan_a_project_opens_a_prefilled_project_form(client, worker, proposal):
    client.force_login(worker)
    response = client.post(
        reverse("resources:match_accept", args=[proposal.pk]), {"then": "project"}, follow=True
    )
    form = response.context["form"]
    assert form.initial["needs"] == [proposal.need_id]
    assert form.initial["resources"] == [proposal.resource_id]
    assert form.initial["area"] == proposal.need.community_id


def test_accept_and_plan_an_activity_opens_a_prefilled_activity_form(client, worker, proposal):
    client.force_login(worker)
    response = client.post(
        reverse("resources:match_accept", args=[proposal.pk]), {"then": "activity"}, follow=True
    )
    assert response.context["form"].initial["need"] == proposal.need_id


def test_rejecting_without_a_reason_shows_the_message(client, worker, proposal):
    client.force_login(worker)
    response = client.post(reverse("resources:match_reject", args=[proposal.pk]), follow=True)
    assert "Please say why" in response.content.decode()
    assert Match.objects.get(pk=proposal.pk).status == Match.Status.PROPOSED


def test_rejecting_with_a_reason_from_the_list_returns_to_the_list(client, worker, proposal):
    client.force_login(worker)
    back = reverse("resources:match_list")
    response = client.post(
        reverse("resources:match_reject", args=[proposal.pk]),
        {"reason": "Closed on weekends", "next": back},
    )
    assert response["Location"] == back
    assert Match.objects.get(pk=proposal.pk).status == Match.Status.REJECTED


def test_an_offsite_next_is_ignored(client, worker, proposal):
    client.force_login(worker)
    response = client.post(
        reverse("resources:match_reject", args=[proposal.pk]),
        {"reason": "x", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("resources:need_detail", args=[proposal.need_id])


def test_other_communities_get_404(client, worker_b, proposal):
    client.force_login(worker_b)
    assert client.post(reverse("resources:match_accept", args=[proposal.pk])).status_code == 404


def test_viewers_without_the_right_to_decide_see_no_buttons_and_are_refused(client, tree, proposal):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    client.force_login(official)
    body = client.get(reverse("resources:need_detail", args=[proposal.need_id])).content.decode()
    assert reverse("resources:match_accept", args=[proposal.pk]) not in body
    assert client.post(reverse("resources:match_accept", args=[proposal.pk])).status_code == 403


def test_the_list_shows_live_proposals_in_reach_best_first(
    client, tree, worker, django_assert_max_num_queries
):
    meals = category("meals")
    for _ in range(8):
        NeedFactory(community=tree["a"], category=meals)
    ResourceFactory(area=tree["a"], categories=[meals], capacity=8)
    NeedFactory(community=tree["b"], category=meals)
    ResourceFactory(area=tree["b"], categories=[meals])
    match_area(area=tree["street1"])
    match_area(area=tree["street2"])
    client.force_login(worker)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("resources:match_list"))
    scores = [m.score for m in response.context["page_obj"]]
    assert len(scores) == 8 and scores == sorted(scores, reverse=True)


def test_the_list_filters_by_status(client, worker, proposal):
    Match.objects.filter(pk=proposal.pk).update(
        status=Match.Status.REJECTED, reject_reason="x", decided_at=timezone.now()
    )
    client.force_login(worker)
    assert not list(client.get(reverse("resources:match_list")).context["page_obj"])
    rejected = client.get(reverse("resources:match_list"), {"status": "rejected"})
    assert [m.pk for m in rejected.context["page_obj"]] == [proposal.pk]


def test_an_empty_list_says_what_to_do(client, worker):
    client.force_login(worker)
    assert "No proposals here" in client.get(reverse("resources:match_list")).content.decode()


def test_members_cannot_open_the_list_without_need_view(client, tree):
    auditor = user_with_role(Role.AUDITOR, tree["city"])
    client.force_login(auditor)
    assert client.get(reverse("resources:match_list")).status_code == 403
