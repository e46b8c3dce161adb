"""Staff needs pages: list, detail, state-machine steps, the logged reveal and proxy entry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, Role
from resources.models import Channel, Need
from resources.services import submit_need
from tests.factories import NeedFactory, category, user_with_role

LIST_URL = reverse("resources:need_list")
CREATE_URL = reverse("resources:need_proxy_create")


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


def detail_url(need):
    return reverse("resources:need_detail", args=[need.pk])


def act_url(need, action):
    return reverse("resources:need_transition", args=[need.pk, action])


def reveal_url(need):
    return reverse("resources:need_reveal_phone", args=[need.pk])


@pytest.fixture
def need_a(tree):
    return submit_need(
        community=tree["a"],
        category=category(),
        title="Weekly shopping",
        description="Help needed with weekly shopping.",
        requester_name="张阿姨",
        requester_phone="13812345678",
        address="7号楼 302",
    )


@pytest.fixture
def need_b(tree):
    return submit_need(
        community=tree["b"],
        category=category(),
        title="Noise at night",
        description="Neighbours are loud.",
        requester_name="钱先生",
        requester_phone="13787654321",
    )


@pytest.fixture
def member(tree):
    """Sees needs of community A but may not process them or use the dashboard."""
    return user_with_role(Role.MEMBER, tree["a"], username="member_a")


@pytest.fixture
def grid_worker(tree):
    return user_with_role(Role.GRID_WORKER, tree["grid_a"], username="grid_a")


@pytest.fixture
def auditor(tree):
    return user_with_role(Role.AUDITOR, tree["city"], username="auditor")


# --- list ----------------------------------------------------------------------------------


def test_list_needs_sign_in(client, tree):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_is_forbidden_without_need_reach(client, auditor):
    client.force_login(auditor)
    assert client.get(LIST_URL).status_code == 403


def test_list_shows_only_needs_in_reach_with_masked_phones(client, worker, need_a, need_b):
    client.force_login(worker)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert need_a.tracking_number in body
    assert need_b.tracking_number not in body
    assert "138****5678" in body
    assert "13812345678" not in body


def test_list_shows_an_empty_state(client, worker):
    client.force_login(worker)
    response = client.get(LIST_URL)
    assert "No needs match these filters." in response.content.decode()


def test_list_filters_by_status(client, worker, tree):
    open_need = NeedFactory(community=tree["a"])
    accepted = NeedFactory(community=tree["a"], status="accepted", accepted_at=timezone.now())
    client.force_login(worker)
    response = client.get(LIST_URL, {"status": "accepted"})
    assert list(response.context["page_obj"]) == [accepted]
    assert open_need not in response.context["page_obj"]


def test_list_filters_overdue_and_marks_them(client, worker, tree):
    past = timezone.now() - timedelta(hours=30)
    overdue = NeedFactory(community=tree["a"], submitted_at=past)
    NeedFactory(community=tree["a"])
    NeedFactory(
        community=tree["a"], submitted_at=past, status="accepted", accepted_at=timezone.now()
    )
    client.force_login(worker)
    response = client.get(LIST_URL, {"overdue": "1"})
    assert list(response.context["page_obj"]) == [overdue]
    assert 'class="badge overdue"' in response.content.decode()


def test_list_searches_number_title_and_name(client, worker, tree):
    soup = NeedFactory(community=tree["a"], title="Soup kitchen")
    by_name = NeedFactory(community=tree["a"], requester_name="欧阳娜娜")
    NeedFactory(community=tree["a"], title="Other")
    client.force_login(worker)
    assert list(client.get(LIST_URL, {"q": "soup"}).context["page_obj"]) == [soup]
    assert list(client.get(LIST_URL, {"q": "欧阳"}).context["page_obj"]) == [by_name]
    found = client.get(LIST_URL, {"q": soup.tracking_number}).context["page_obj"]
    assert list(found) == [soup]


def test_list_filters_by_submitted_date_range(client, worker, tree):
    old = NeedFactory(community=tree["a"], submitted_at=timezone.now() - timedelta(days=20))
    recent = NeedFactory(community=tree["a"])
    client.force_login(worker)
    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    response = client.get(LIST_URL, {"submitted_after": since})
    assert list(response.context["page_obj"]) == [recent]
    until = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = client.get(LIST_URL, {"submitted_before": until})
    assert list(response.context["page_obj"]) == [old]


def test_community_filter_offers_only_communities_in_reach(client, street_officer, tree):
    in_a = NeedFactory(community=tree["a"])
    NeedFactory(community=tree["c"])
    client.force_login(street_officer)
    response = client.get(LIST_URL, {"community": tree["a"].pk})
    assert list(response.context["page_obj"]) == [in_a]
    offered = set(response.context["filter"].form.fields["community"].queryset)
    assert offered == {tree["a"], tree["c"]}


def test_community_filter_cannot_reach_another_community(client, worker, need_b):
    client.force_login(worker)
    response = client.get(LIST_URL, {"community": need_b.community_id})
    assert need_b not in response.context["page_obj"]


def test_list_sorts_by_whitelisted_fields_only(client, worker, tree):
    now = timezone.now()
    later = NeedFactory(community=tree["a"], submitted_at=now, due_at=now + timedelta(hours=48))
    sooner = NeedFactory(community=tree["a"], submitted_at=now, due_at=now + timedelta(hours=2))
    client.force_login(worker)
    assert list(client.get(LIST_URL, {"sort": "due_at"}).context["page_obj"]) == [sooner, later]
    assert list(client.get(LIST_URL, {"sort": "-due_at"}).context["page_obj"]) == [later, sooner]
    response = client.get(LIST_URL, {"sort": "requester_phone"})
    assert response.status_code == 200
    assert response.context["sort"] == "-submitted_at"


def test_list_pages_by_25(client, worker, tree):
    NeedFactory.create_batch(30, community=tree["a"])
    client.force_login(worker)
    assert len(client.get(LIST_URL).context["page_obj"]) == 25
    assert len(client.get(LIST_URL, {"page": 2}).context["page_obj"]) == 5


def test_list_query_count_does_not_grow_with_rows(
    client, worker, tree, django_assert_max_num_queries
):
    past = timezone.now() - timedelta(hours=30)
    NeedFactory.create_batch(15, community=tree["a"], grid=tree["grid_a"])
    NeedFactory.create_batch(15, community=tree["a"], submitted_at=past)
    client.force_login(worker)
    with django_assert_max_num_queries(10):
        response = client.get(LIST_URL, {"sort": "due_at", "status": "submitted"})
    assert len(response.context["page_obj"]) == 25


# --- detail --------------------------------------------------------------------------------


def test_detail_shows_facts_history_and_next_steps(client, worker, need_a):
    client.force_login(worker)
    response = client.get(detail_url(need_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "138****5678" in body
    assert "13812345678" not in body
    assert "Show full number" in body
    assert "7号楼 302" in body
    assert "Help needed with weekly shopping." in body
    assert [item["label"] for item in response.context["history"]] == ["Submitted"]
    assert [name for name, _move in response.context["actions"]] == ["accept", "reject", "merge"]
    assert 'name="merge_into"' in body


def test_detail_hides_reveal_and_address_from_street_officers(client, street_officer, need_a):
    client.force_login(street_officer)
    response = client.get(detail_url(need_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Show full number" not in body
    assert "7号楼 302" not in body
    assert "138****5678" in body


def test_detail_offers_no_steps_to_viewers(client, member, need_a):
    client.force_login(member)
    response = client.get(detail_url(need_a))
    assert response.status_code == 200
    assert response.context["actions"] == []


def test_detail_of_another_community_is_404(client, worker_b, need_a):
    client.force_login(worker_b)
    assert client.get(detail_url(need_a)).status_code == 404


def test_detail_needs_sign_in(client, need_a):
    response = client.get(detail_url(need_a))
    assert response.status_code == 302


# --- transitions ---------------------------------------------------------------------------


def test_worker_accepts_a_need(client, worker, need_a):
    client.force_login(worker)
    response = client.post(act_url(need_a, "accept"))
    assert response.status_code == 302
    assert response["Location"] == detail_url(need_a)
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.ACCEPTED
    assert AuditEvent.objects.filter(action="need.accept", object_id=str(need_a.pk)).exists()
    page = client.get(detail_url(need_a))
    assert "Done: Accept" in page.content.decode()
    assert [item["label"] for item in page.context["history"]] == ["Submitted", "Accepted"]


def test_reject_needs_a_reason(client, worker, need_a):
    client.force_login(worker)
    response = client.post(act_url(need_a, "reject"), {"reason": "  "}, follow=True)
    assert "Please give a reason or note for this step." in response.content.decode()
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.SUBMITTED


def test_reject_with_a_reason_records_it(client, worker, need_a):
    client.force_login(worker)
    client.post(act_url(need_a, "reject"), {"reason": "Duplicate of a phone call."})
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.REJECTED
    assert need_a.close_reason == "Duplicate of a phone call."
    page = client.get(detail_url(need_a))
    assert page.context["history"][-1]["note"] == "Duplicate of a phone call."


def test_illegal_transition_comes_back_as_a_message(client, worker, need_a):
    client.force_login(worker)
    response = client.post(act_url(need_a, "resolve"), {"reason": "done"})
    assert response.status_code == 302
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.SUBMITTED
    page = client.get(detail_url(need_a))
    assert "cannot be moved" in page.content.decode()


def test_unknown_action_comes_back_as_a_message(client, worker, need_a):
    client.force_login(worker)
    response = client.post(act_url(need_a, "explode"), follow=True)
    assert "Unknown action." in response.content.decode()


def test_merge_into_a_need_of_the_same_community(client, worker, need_a, tree):
    target = NeedFactory(community=tree["a"])
    client.force_login(worker)
    client.post(
        act_url(need_a, "merge"),
        {"merge_into": target.tracking_number.lower(), "reason": "Same request."},
    )
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.MERGED
    assert need_a.merged_into == target


def test_merge_into_another_communitys_need_is_not_found(client, worker, need_a, need_b):
    client.force_login(worker)
    response = client.post(
        act_url(need_a, "merge"),
        {"merge_into": need_b.tracking_number, "reason": "Same request."},
        follow=True,
    )
    assert "No need with this tracking number was found." in response.content.decode()
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.SUBMITTED


def test_viewer_cannot_transition(client, member, need_a):
    client.force_login(member)
    assert client.post(act_url(need_a, "accept")).status_code == 403
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.SUBMITTED


def test_transition_of_another_communitys_need_is_404(client, worker_b, need_a):
    client.force_login(worker_b)
    assert client.post(act_url(need_a, "accept")).status_code == 404
    need_a.refresh_from_db()
    assert need_a.status == Need.Status.SUBMITTED


def test_transition_is_post_only(client, worker, need_a):
    client.force_login(worker)
    assert client.get(act_url(need_a, "accept")).status_code == 405


# --- reveal --------------------------------------------------------------------------------


def test_reveal_shows_the_full_number_and_is_audited(client, worker, need_a):
    client.force_login(worker)
    response = client.post(reveal_url(need_a))
    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    event = AuditEvent.objects.get(action="need.contact_revealed")
    assert event.actor == worker
    assert event.object_id == str(need_a.pk)


def test_reveal_over_htmx_returns_just_the_number(client, worker, need_a):
    client.force_login(worker)
    response = client.post(reveal_url(need_a), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "13812345678" in body
    assert "<html" not in body
    assert AuditEvent.objects.filter(action="need.contact_revealed").count() == 1


def test_street_officer_cannot_reveal(client, street_officer, need_a):
    client.force_login(street_officer)
    response = client.post(reveal_url(need_a))
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="need.contact_revealed").exists()


def test_reveal_of_another_communitys_need_is_404(client, worker_b, need_a):
    client.force_login(worker_b)
    assert client.post(reveal_url(need_a)).status_code == 404
    assert not AuditEvent.objects.filter(action="need.contact_revealed").exists()


def test_reveal_is_post_only(client, worker, need_a):
    client.force_login(worker)
    assert client.get(reveal_url(need_a)).status_code == 405
    assert not AuditEvent.objects.filter(action="need.contact_revealed").exists()


# --- proxy entry ---------------------------------------------------------------------------


def proxy_data(tree, **overrides):
    data = {
        "channel": Channel.PHONE,
        "community": tree["a"].pk,
        "grid": "",
        "category": category().pk,
        "title": "Wheelchair repair",
        "description": "The left wheel is broken.",
        "target_group": "disabled",
        "urgency": 3,
        "requester_name": "孙先生",
        "requester_phone": "13511112222",
        "address": "",
    }
    data.update(overrides)
    return data


def test_proxy_form_offers_only_communities_in_reach(client, worker, tree):
    client.force_login(worker)
    response = client.get(CREATE_URL)
    assert response.status_code == 200
    assert list(response.context["form"].fields["community"].queryset) == [tree["a"]]
    channels = [value for value, _label in response.context["form"].fields["channel"].choices]
    assert Channel.ONLINE not in channels


def test_proxy_entry_is_forbidden_without_create_reach(client, member):
    client.force_login(member)
    assert client.get(CREATE_URL).status_code == 403


def test_worker_enters_a_need_for_a_resident(client, worker, tree):
    client.force_login(worker)
    response = client.post(CREATE_URL, proxy_data(tree))
    need = Need.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(need)
    assert need.channel == Channel.PHONE
    assert need.created_by == worker
    assert need.urgency == 3
    event = AuditEvent.objects.get(action="need.submitted")
    assert event.actor == worker


def test_proxy_entry_for_another_community_is_rejected(client, worker, tree):
    client.force_login(worker)
    response = client.post(CREATE_URL, proxy_data(tree, community=tree["b"].pk))
    assert response.status_code == 400
    assert "community" in response.context["form"].errors
    assert not Need.objects.exists()


def test_proxy_entry_cannot_claim_the_online_channel(client, worker, tree):
    client.force_login(worker)
    response = client.post(CREATE_URL, proxy_data(tree, channel=Channel.ONLINE))
    assert response.status_code == 400
    assert "channel" in response.context["form"].errors


def test_proxy_entry_shows_field_errors(client, worker, tree):
    client.force_login(worker)
    response = client.post(CREATE_URL, proxy_data(tree, requester_phone="999"))
    assert response.status_code == 400
    assert "Enter an 11-digit mobile number starting with 1." in response.content.decode()


def test_grid_worker_enters_a_need_for_their_grid(client, grid_worker, tree):
    client.force_login(grid_worker)
    form = client.get(CREATE_URL).context["form"]
    assert list(form.fields["community"].queryset) == [tree["a"]]
    assert list(form.fields["grid"].queryset) == [tree["grid_a"]]
    response = client.post(
        CREATE_URL, proxy_data(tree, channel=Channel.VISIT, grid=tree["grid_a"].pk)
    )
    assert response.status_code == 302
    assert Need.objects.get().area == tree["grid_a"]


def test_grid_worker_must_choose_a_grid(client, grid_worker, tree):
    client.force_login(grid_worker)
    response = client.post(CREATE_URL, proxy_data(tree, channel=Channel.VISIT))
    assert response.status_code == 400
    assert "grid" in response.context["form"].errors
    assert not Need.objects.exists()


def test_grid_must_belong_to_the_community(client, street_officer, tree):
    client.force_login(street_officer)
    response = client.post(
        CREATE_URL, proxy_data(tree, community=tree["c"].pk, grid=tree["grid_a"].pk)
    )
    assert response.status_code == 400
    assert "grid" in response.context["form"].errors
