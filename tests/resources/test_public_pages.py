"""The resident pages: submit a need (standard and elderly-friendly) and track it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.errors import InvalidInput
from portal.models import AuditEvent
from resources.models import Channel, Need
from resources.services import submit_need, transition_need
from tests.factories import category

FORM_URL = reverse("resources:public_need_form")
SUBMITTED_URL = reverse("resources:need_submitted")
TRACK_URL = reverse("resources:track_need")


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def meals(db):
    return category("meal_assistance")


def form_data(tree, cat, **overrides):
    data = {
        "community": tree["a"].pk,
        "category": cat.pk,
        "title": "Lunch delivery",
        "description": "My mother cannot cook any more.",
        "target_group": "elderly_alone",
        "requester_name": "王大爷",
        "requester_phone": "13712345678",
        "address": "3号楼 2单元 501",
        "website": "",
    }
    data.update(overrides)
    return data


def test_form_offers_communities_grouped_by_street(client, tree, meals):
    response = client.get(FORM_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<optgroup label="Street 1">' in body
    assert '<optgroup label="Street 2">' in body
    assert "Community A" in body and "Community B" in body
    assert 'name="website"' in body  # the honeypot


def test_elderly_mode_renders_the_same_form_in_large_type(client, tree, meals):
    response = client.get(FORM_URL, {"mode": "elderly"})
    assert response.status_code == 200
    assert '<body class="elderly"' in response.content.decode()
    assert 'name="mode" value="elderly"' in response.content.decode()


def test_standard_mode_has_no_elderly_class(client, tree, meals):
    response = client.get(FORM_URL)
    assert '<body class="elderly"' not in response.content.decode()


def test_resident_submits_then_tracks_the_need_end_to_end(client, tree, meals):
    response = client.post(FORM_URL, form_data(tree, meals))
    assert response.status_code == 302
    assert response["Location"] == SUBMITTED_URL

    need = Need.objects.get()
    assert need.channel == Channel.ONLINE
    assert need.created_by is None
    assert need.community == tree["a"]

    confirmation = client.get(SUBMITTED_URL)
    assert confirmation.status_code == 200
    page = confirmation.content.decode()
    assert need.tracking_number in page
    assert timezone.localtime(need.due_at).strftime("%Y-%m-%d %H:%M") in page
    assert f"{TRACK_URL}?number={need.tracking_number}" in page

    found = client.post(
        TRACK_URL, {"tracking_number": need.tracking_number.lower(), "phone_last4": "5678"}
    )
    assert found.status_code == 200
    assert found.context["need"] == need
    assert "Submitted" in found.content.decode()

    wrong = client.post(TRACK_URL, {"tracking_number": need.tracking_number, "phone_last4": "0000"})
    assert wrong.status_code == 200
    assert wrong.context["need"] is None
    assert wrong.context["not_found"] is True


def test_submission_is_audited_as_a_resident(client, tree, meals):
    client.post(FORM_URL, form_data(tree, meals))
    event = AuditEvent.objects.get(action="need.submitted")
    assert event.actor is None
    assert event.object_id == str(Need.objects.get().pk)


def test_invalid_phone_is_shown_with_status_400(client, tree, meals):
    response = client.post(FORM_URL, form_data(tree, meals, requester_phone="12345"))
    assert response.status_code == 400
    assert "Enter an 11-digit mobile number starting with 1." in response.content.decode()
    assert not Need.objects.exists()


def test_missing_community_is_a_400(client, tree, meals):
    response = client.post(FORM_URL, form_data(tree, meals, community=""))
    assert response.status_code == 400
    assert "community" in response.context["form"].errors


def test_a_street_is_not_a_community(client, tree, meals):
    response = client.post(FORM_URL, form_data(tree, meals, community=tree["street1"].pk))
    assert response.status_code == 400
    assert not Need.objects.exists()


def test_inactive_category_is_not_accepted(client, tree, meals):
    meals.is_active = False
    meals.save()
    response = client.post(FORM_URL, form_data(tree, meals))
    assert response.status_code == 400
    assert "category" in response.context["form"].errors


def test_domain_error_from_the_service_is_attached_to_its_field(client, tree, meals, monkeypatch):
    def refuse(**kwargs):
        raise InvalidInput("That number cannot be used.", field="requester_phone")

    monkeypatch.setattr("resources.views.public.submit_need", refuse)
    response = client.post(FORM_URL, form_data(tree, meals))
    assert response.status_code == 400
    assert response.context["form"].errors["requester_phone"] == ["That number cannot be used."]


def test_elderly_mode_is_kept_through_a_failed_post(client, tree, meals):
    response = client.post(
        f"{FORM_URL}?mode=elderly", form_data(tree, meals, title="", mode="elderly")
    )
    assert response.status_code == 400
    assert '<body class="elderly"' in response.content.decode()


def test_elderly_mode_is_kept_on_the_confirmation_page(client, tree, meals):
    client.post(f"{FORM_URL}?mode=elderly", form_data(tree, meals, mode="elderly"))
    response = client.get(SUBMITTED_URL)
    assert '<body class="elderly"' in response.content.decode()
    assert Need.objects.get().tracking_number in response.content.decode()


def test_honeypot_pretends_success_without_saving(client, tree, meals):
    response = client.post(FORM_URL, form_data(tree, meals, website="http://spam.example"))
    assert response.status_code == 302
    assert response["Location"] == SUBMITTED_URL
    assert not Need.objects.exists()
    assert not AuditEvent.objects.exists()
    assert client.get(SUBMITTED_URL).status_code == 200


def test_confirmation_without_a_submission_redirects_to_the_form(client, tree):
    response = client.get(SUBMITTED_URL)
    assert response.status_code == 302
    assert response["Location"] == FORM_URL


def test_confirmation_expires(client, tree, meals):
    client.post(FORM_URL, form_data(tree, meals))
    session = client.session
    stored = session["resources.need_submitted"]
    stored["at"] = (timezone.now() - timedelta(hours=2)).isoformat()
    session["resources.need_submitted"] = stored
    session.save()
    response = client.get(SUBMITTED_URL)
    assert response.status_code == 302
    assert response["Location"] == FORM_URL


@pytest.fixture
def submitted_need(tree, meals):
    return submit_need(
        community=tree["a"],
        category=meals,
        title="Stairs handrail",
        description="Broken handrail on stairs.",
        requester_name="李奶奶",
        requester_phone="13698761234",
        address="5号楼 101",
    )


def test_tracking_page_renders_an_empty_form(client, db):
    response = client.get(TRACK_URL)
    assert response.status_code == 200
    assert response.context["need"] is None


def test_tracking_link_prefills_the_number_without_looking_it_up(client, submitted_need):
    response = client.get(TRACK_URL, {"number": submitted_need.tracking_number})
    assert response.status_code == 200
    assert response.context["need"] is None
    assert f'value="{submitted_need.tracking_number}"' in response.content.decode()


def test_wrong_number_and_wrong_digits_give_the_same_answer(client, submitted_need):
    wrong_digits = client.post(
        TRACK_URL, {"tracking_number": submitted_need.tracking_number, "phone_last4": "9999"}
    )
    wrong_number = client.post(
        TRACK_URL, {"tracking_number": "BD000000XXXXXX", "phone_last4": "1234"}
    )
    assert wrong_digits.status_code == wrong_number.status_code == 200

    def message(response):
        body = response.content.decode()
        start = body.index('class="message error"')
        return body[start : body.index("</p>", start)]

    assert message(wrong_digits) == message(wrong_number)


def test_tracking_shows_no_personal_data(client, submitted_need):
    response = client.post(
        TRACK_URL, {"tracking_number": submitted_need.tracking_number, "phone_last4": "1234"}
    )
    body = response.content.decode()
    assert response.context["need"] == submitted_need
    assert "李奶奶" not in body
    assert "13698761234" not in body
    assert "136****1234" not in body
    assert "5号楼" not in body
    assert "Broken handrail" not in body


def test_tracking_timeline_shows_status_stamps_but_no_staff_names(client, submitted_need, worker):
    worker.real_name = "赵社工"
    worker.save()
    transition_need(need=submitted_need, action="accept", by=worker)
    response = client.post(
        TRACK_URL, {"tracking_number": submitted_need.tracking_number, "phone_last4": "1234"}
    )
    labels = [label for label, _at in response.context["timeline"]]
    assert labels == ["Submitted", "Accepted"]
    assert "赵社工" not in response.content.decode()


def test_tracking_needs_four_digits(client, submitted_need):
    response = client.post(
        TRACK_URL, {"tracking_number": submitted_need.tracking_number, "phone_last4": "12"}
    )
    assert response.status_code == 400
    assert "Enter 4 digits." in response.content.decode()
