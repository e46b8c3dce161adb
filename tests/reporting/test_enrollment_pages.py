"""Enrollment pages: members' and unit admins' self-service, and the staff list and detail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Role
from reporting.models import Enrollment
from reporting.services.enrollment import (
    confirm_enrollment,
    submit_enrollment,
    withdraw_enrollment,
)
from resources.models import Resource
from tests.factories import category, user_with_role
from tests.reporting.test_enrollment_services import (
    YEAR,
    agreement,
    intentions,
    make_member,
    make_unit,
)

MINE_URL = reverse("reporting:my_enrollments")
ENROLL_URL = reverse("reporting:enroll")
LIST_URL = reverse("reporting:enrollment_list")


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def member(tree):
    return make_member(tree["a"], username="member_a", real_name="王党员")


@pytest.fixture
def unit(tree):
    return make_unit(tree["a"], name="第一中学")


def detail_url(enrollment):
    return reverse("reporting:enrollment_detail", args=[enrollment.pk])


def act_url(enrollment, action):
    return reverse("reporting:enrollment_act", args=[enrollment.pk, action])


def withdraw_url(enrollment):
    return reverse("reporting:enrollment_withdraw", args=[enrollment.pk])


def enrol(member, community=None):
    return submit_enrollment(
        by=member.user,
        community=community or member.home_community,
        year=YEAR,
        intentions=intentions(),
    )


def enrol_unit(unit):
    return submit_enrollment(
        by=unit.contact,
        community=unit.community,
        year=YEAR,
        intentions=intentions(),
        agreement=agreement(),
        unit=unit,
    )


def form_data(community, **overrides):
    category("elderly_care")
    data = {
        "subject": "member",
        "community": community.pk,
        "year": YEAR,
        "categories": ["elderly_care"],
        "skills": "First aid",
        "times": ["weekend_morning"],
        "agreement-TOTAL_FORMS": "5",
        "agreement-INITIAL_FORMS": "0",
        "agreement-MIN_NUM_FORMS": "0",
        "agreement-MAX_NUM_FORMS": "5",
    }
    for n in range(5):
        data[f"agreement-{n}-capacity"] = "1"
    data.update(overrides)
    return data


# --- my enrollments -----------------------------------------------------------------------------


def test_my_enrollments_needs_sign_in(client, tree):
    response = client.get(MINE_URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_member_sees_only_their_own_enrollments(client, member, tree):
    mine = enrol(member)
    other = make_member(tree["a"], real_name="李党员")
    theirs = enrol(other, community=tree["c"])
    client.force_login(member.user)
    response = client.get(MINE_URL)
    assert response.status_code == 200
    assert list(response.context["enrollments"]) == [mine]
    body = response.content.decode()
    assert "Community C" not in body
    assert ENROLL_URL in body
    client.force_login(other.user)
    assert list(client.get(MINE_URL).context["enrollments"]) == [theirs]


def test_my_enrollments_query_count_does_not_grow_with_rows(
    client, member, django_assert_max_num_queries
):
    for _ in range(12):
        withdraw_enrollment(enrollment=enrol(member), by=member.user)
    enrol(member)
    client.force_login(member.user)
    with django_assert_max_num_queries(8):
        response = client.get(MINE_URL)
    assert len(response.context["enrollments"]) == 13


def test_unit_contact_sees_the_units_enrollments(client, unit):
    enrollment = enrol_unit(unit)
    client.force_login(unit.contact)
    response = client.get(MINE_URL)
    assert list(response.context["enrollments"]) == [enrollment]
    assert "第一中学" in response.content.decode()


def test_user_who_is_neither_member_nor_unit_contact_is_told_so(client, tree):
    user = user_with_role(Role.MEMBER, tree["a"])
    client.force_login(user)
    response = client.get(MINE_URL)
    assert response.status_code == 200
    assert "Ask your community to register you." in response.content.decode()
    assert client.get(ENROLL_URL).status_code == 403


def test_returned_enrollment_shows_the_reason(client, member, worker):
    enrollment = enrol(member)
    client.force_login(worker)
    client.post(act_url(enrollment, "return"), {"reason": "Please add your skills."})
    client.force_login(member.user)
    body = client.get(MINE_URL).content.decode()
    assert "Please add your skills." in body and "Change and submit again" in body


# --- enrol --------------------------------------------------------------------------------------


def test_enroll_form_defaults_to_home_community_and_this_year(client, member):
    client.force_login(member.user)
    response = client.get(ENROLL_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form["community"].value() == member.home_community_id
    assert form["year"].value() == YEAR
    assert not response.context["show_agreement"]


def test_member_enrols_through_the_form(client, member):
    client.force_login(member.user)
    response = client.post(ENROLL_URL, form_data(member.home_community))
    assert response.status_code == 302 and response["Location"] == MINE_URL
    enrollment = Enrollment.objects.get()
    assert enrollment.member == member and enrollment.status == "pending"
    assert enrollment.intentions == {
        "categories": ["elderly_care"],
        "skills": "First aid",
        "times": ["weekend_morning"],
    }
    assert AuditEvent.objects.filter(action="enrollment.submitted").exists()


def test_enroll_form_shows_field_errors(client, member):
    client.force_login(member.user)
    response = client.post(ENROLL_URL, form_data(member.home_community, categories=[]))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_duplicate_enrollment_shows_a_clear_error(client, member, tree):
    enrol(member)
    client.force_login(member.user)
    response = client.post(ENROLL_URL, form_data(tree["b"]))
    assert response.status_code == 400
    assert "You already have a pending, confirmed or active enrollment" in (
        response.content.decode()
    )
    assert Enrollment.objects.count() == 1


def test_returned_enrollment_can_be_resubmitted_through_the_form(client, member, worker):
    enrollment = enrol(member)
    client.force_login(worker)
    client.post(act_url(enrollment, "return"), {"reason": "Wrong times."})
    client.force_login(member.user)
    response = client.post(ENROLL_URL, form_data(member.home_community))
    assert response.status_code == 302
    assert Enrollment.objects.filter(status="pending").count() == 1


def test_unit_admin_enrols_the_unit_with_agreement_lines(client, unit):
    category("culture_sports")
    client.force_login(unit.contact)
    assert client.get(ENROLL_URL).context["show_agreement"]
    data = form_data(
        unit.community,
        subject=f"unit-{unit.pk}",
        **{
            "agreement-0-name": "Sports hall",
            "agreement-0-kind": "venue",
            "agreement-0-category": "culture_sports",
            "agreement-0-capacity": "40",
        },
    )
    response = client.post(ENROLL_URL, data)
    assert response.status_code == 302
    enrollment = Enrollment.objects.get()
    assert enrollment.unit == unit
    assert enrollment.agreement == [
        {"name": "Sports hall", "kind": "venue", "categories": ["culture_sports"], "capacity": 40}
    ]


def test_unit_enrollment_without_agreement_lines_is_refused(client, unit):
    client.force_login(unit.contact)
    response = client.post(ENROLL_URL, form_data(unit.community, subject=f"unit-{unit.pk}"))
    assert response.status_code == 400
    assert "List at least one resource" in response.content.decode()


def test_member_who_is_also_a_unit_contact_chooses_who_enrols(client, tree):
    member = make_member(tree["a"])
    unit = make_unit(tree["a"], contact=member.user)
    client.force_login(member.user)
    choices = dict(client.get(ENROLL_URL).context["form"].fields["subject"].choices)
    assert set(choices) == {"member", f"unit-{unit.pk}"}


def test_cannot_enrol_someone_elses_unit(client, member, unit):
    client.force_login(member.user)
    response = client.post(ENROLL_URL, form_data(unit.community, subject=f"unit-{unit.pk}"))
    assert response.status_code == 400
    assert not Enrollment.objects.exists()


# --- withdraw -----------------------------------------------------------------------------------


def test_member_withdraws_their_enrollment(client, member):
    enrollment = enrol(member)
    client.force_login(member.user)
    response = client.post(withdraw_url(enrollment), {"reason": ""})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"
    assert AuditEvent.objects.filter(action="enrollment.withdraw").exists()


def test_member_cannot_withdraw_someone_elses_enrollment(client, member, tree):
    other = make_member(tree["a"])
    enrollment = enrol(other)
    client.force_login(member.user)
    assert client.post(withdraw_url(enrollment)).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == "pending"


def test_withdrawing_twice_gives_a_message(client, member):
    enrollment = enrol(member)
    client.force_login(member.user)
    client.post(withdraw_url(enrollment))
    response = client.post(withdraw_url(enrollment), follow=True)
    assert "cannot be moved" in response.content.decode()


def test_withdraw_is_post_only(client, member):
    enrollment = enrol(member)
    client.force_login(member.user)
    assert client.get(withdraw_url(enrollment)).status_code == 405


# --- staff list ---------------------------------------------------------------------------------


def test_list_needs_sign_in(client, tree):
    assert client.get(LIST_URL).status_code == 302


def test_list_is_forbidden_without_enrollment_reach(client, member):
    client.force_login(member.user)
    assert client.get(LIST_URL).status_code == 403


def test_list_shows_only_enrollments_in_reach(client, worker, member, tree):
    mine = enrol(member)
    other = enrol(make_member(tree["b"], real_name="赵党员"))
    client.force_login(worker)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [mine]
    body = response.content.decode()
    assert "王党员" in body and "赵党员" not in body
    assert member.user.masked_phone in body and member.user.phone not in body
    assert other not in response.context["page_obj"]


def test_list_has_an_empty_state(client, worker):
    client.force_login(worker)
    assert "No enrollments match these filters." in client.get(LIST_URL).content.decode()


def test_list_filters_by_status_kind_and_search(client, worker, member, unit):
    person = enrol(member)
    organisation = enrol_unit(unit)
    confirm_enrollment(enrollment=organisation, by=worker)
    client.force_login(worker)
    assert list(client.get(LIST_URL, {"status": "confirmed"}).context["page_obj"]) == [organisation]
    assert list(client.get(LIST_URL, {"kind": "member"}).context["page_obj"]) == [person]
    assert list(client.get(LIST_URL, {"kind": "unit"}).context["page_obj"]) == [organisation]
    assert list(client.get(LIST_URL, {"q": "中学"}).context["page_obj"]) == [organisation]
    assert list(client.get(LIST_URL, {"q": "王党员"}).context["page_obj"]) == [person]
    assert list(client.get(LIST_URL, {"year": YEAR + 1}).context["page_obj"]) == []


def test_list_sorts_by_whitelisted_columns_only(client, worker, member, unit):
    enrol(member)
    enrol_unit(unit)
    client.force_login(worker)
    assert client.get(LIST_URL, {"sort": "-status"}).context["sort"] == "-status"
    assert client.get(LIST_URL, {"sort": "member__user__password"}).context["sort"] == (
        "-submitted_at"
    )


def test_street_officer_sees_the_streets_enrollments(client, street_officer, member, tree):
    in_c = enrol(make_member(tree["c"]))
    in_b = enrol(make_member(tree["b"]))
    mine = enrol(member)
    client.force_login(street_officer)
    seen = set(client.get(LIST_URL).context["page_obj"])
    assert seen == {mine, in_c} and in_b not in seen


def test_list_query_count_does_not_grow_with_rows(
    client, worker, tree, django_assert_max_num_queries
):
    for n in range(15):
        enrol(make_member(tree["a"]))
        enrol_unit(make_unit(tree["a"], name=f"Unit {n}"))
    client.force_login(worker)
    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 25


# --- staff detail and actions -------------------------------------------------------------------


def test_detail_shows_facts_intentions_agreement_and_actions(client, worker, unit):
    enrollment = enrol_unit(unit)
    client.force_login(worker)
    response = client.get(detail_url(enrollment))
    assert response.status_code == 200
    body = response.content.decode()
    assert "第一中学" in body and "Reading room" in body and "Teachers" in body
    assert unit.contact.masked_phone in body and unit.contact.phone not in body
    assert act_url(enrollment, "confirm") in body and act_url(enrollment, "return") in body
    assert act_url(enrollment, "activate") not in body
    assert "Submitted" in body


def test_detail_of_another_community_is_404(client, worker_b, member):
    enrollment = enrol(member)
    client.force_login(worker_b)
    assert client.get(detail_url(enrollment)).status_code == 404
    assert client.post(act_url(enrollment, "confirm")).status_code == 404


def test_member_cannot_open_the_staff_detail(client, member):
    enrollment = enrol(member)
    client.force_login(member.user)
    assert client.get(detail_url(enrollment)).status_code == 404


def test_street_officer_can_view_but_not_decide(client, street_officer, member):
    enrollment = enrol(member)
    client.force_login(street_officer)
    response = client.get(detail_url(enrollment))
    assert response.status_code == 200
    assert act_url(enrollment, "confirm") not in response.content.decode()
    assert client.post(act_url(enrollment, "confirm")).status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == "pending"


def test_worker_confirms_a_unit_and_its_resources_appear(client, worker, unit):
    enrollment = enrol_unit(unit)
    client.force_login(worker)
    response = client.post(act_url(enrollment, "confirm"), follow=True)
    assert response.status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.status == "confirmed"
    assert set(Resource.objects.values_list("name", flat=True)) == {"Reading room", "Teachers"}
    body = response.content.decode()
    assert "Done: Confirm" in body and "2 resources added to the list" in body


def test_worker_activates_then_withdraws_with_a_reason(client, worker, member):
    enrollment = enrol(member)
    client.force_login(worker)
    client.post(act_url(enrollment, "confirm"))
    client.post(act_url(enrollment, "activate"))
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    response = client.post(act_url(enrollment, "withdraw"), {"reason": ""}, follow=True)
    assert "Please give a reason." in response.content.decode()
    client.post(act_url(enrollment, "withdraw"), {"reason": "Moved to another city"})
    enrollment.refresh_from_db()
    assert enrollment.status == "withdrawn"
    assert "Moved to another city" in client.get(detail_url(enrollment)).content.decode()


def test_return_without_reason_gives_a_message(client, worker, member):
    enrollment = enrol(member)
    client.force_login(worker)
    response = client.post(act_url(enrollment, "return"), {"reason": " "}, follow=True)
    assert "Please give a reason." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == "pending"


def test_illegal_action_gives_a_message(client, worker, member):
    enrollment = enrol(member)
    client.force_login(worker)
    response = client.post(act_url(enrollment, "activate"), follow=True)
    assert "cannot be moved" in response.content.decode()
    response = client.post(act_url(enrollment, "fly"), follow=True)
    assert "Unknown action." in response.content.decode()


def test_act_is_post_only(client, worker, member):
    enrollment = enrol(member)
    client.force_login(worker)
    assert client.get(act_url(enrollment, "confirm")).status_code == 405


# --- navigation and dashboard -------------------------------------------------------------------


def test_nav_links_to_enrollments_for_staff_only(client, worker, member):
    client.force_login(worker)
    assert LIST_URL in client.get(reverse("resources:dashboard")).content.decode()
    client.force_login(member.user)
    assert LIST_URL not in client.get(MINE_URL).content.decode()


def test_dashboard_shows_the_enrollment_tile(client, worker, member, unit):
    confirm_enrollment(enrollment=enrol(member), by=worker)
    enrol_unit(unit)
    client.force_login(worker)
    response = client.get(reverse("resources:dashboard"))
    overview = response.context["enrollment"]
    assert (overview.members_enrolled, overview.members_registered, overview.pending) == (1, 1, 1)
    body = response.content.decode()
    assert f"Members enrolled / registered in {YEAR}" in body
    assert "Enrollments awaiting a decision" in body


def test_dashboard_leaves_the_tile_out_without_enrollment_reach(client, tree):
    grid_worker = user_with_role(Role.GRID_WORKER, tree["grid_a"])
    client.force_login(grid_worker)
    response = client.get(reverse("resources:dashboard"))
    assert response.status_code == 200
    assert response.context["enrollment"] is None
    assert "Enrollments awaiting a decision" not in response.content.decode()
