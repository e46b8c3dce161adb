"""Pages of the annual evaluation: staff rankings and breakdowns, adjusting, computing and
publishing by URL, the published lists for the area's people, and a member's own breakdown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluation.models import EvaluationAdjustment, EvaluationResult, Rating
from evaluation.services.annual import compute_evaluation, publish_results
from portal.models import AuditEvent, Role
from reporting.models import Activity
from tests.evaluation.annual_world import YEAR, build, enroll
from tests.factories import UserFactory, make_party_member, make_service_record, user_with_role


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(tree):
    world = build(tree)
    compute_evaluation(year=YEAR, area=tree["street1"])
    return world


def results_url(area, year=YEAR):
    return f"{reverse('evaluation:results')}?year={year}&area={area.code}"


def result(member):
    return EvaluationResult.objects.get(year=YEAR, member=member)


# -- staff rankings -----------------------------------------------------------------------------


def test_a_street_officer_sees_the_street_ranking_with_its_lists(
    client, world, tree, street_officer
):
    client.force_login(street_officer)

    response = client.get(results_url(tree["street1"]))

    assert response.status_code == 200
    names = [row.result.subject_name for row in response.context["member_rows"]]
    assert names == ["王一", "李二", "张三"]
    page = response.content.decode()
    assert "Red list" in page and "Black list" in page
    assert response.context["can_publish"] is True


def test_the_ranking_page_costs_the_same_queries_however_many_are_ranked(
    client, world, tree, street_officer
):
    client.force_login(street_officer)
    with CaptureQueriesContext(connection) as few:
        client.get(results_url(tree["street1"]))
    for _ in range(8):
        enroll(tree["c"], member=make_party_member(tree["c"]))
    compute_evaluation(year=YEAR, area=tree["street1"])

    with CaptureQueriesContext(connection) as many:
        response = client.get(results_url(tree["street1"]))

    assert len(response.context["member_rows"]) == 11
    assert len(many) == len(few)


def test_the_ranking_page_stays_within_a_fixed_number_of_queries(
    client, world, tree, street_officer, django_assert_max_num_queries
):
    client.force_login(street_officer)

    with django_assert_max_num_queries(15):
        client.get(results_url(tree["street1"]))


def test_a_community_worker_of_another_street_cannot_reach_the_ranking_by_url(
    client, world, tree, worker_b
):
    client.force_login(worker_b)

    response = client.get(results_url(tree["street1"]))

    assert response.status_code == 404


def test_a_community_worker_sees_only_the_ranking_of_their_community(client, world, tree, worker):
    client.force_login(worker)

    response = client.get(results_url(tree["a"]))

    names = {row.result.subject_name for row in response.context["member_rows"]}
    assert names == {"王一", "李二"}
    assert response.context["can_publish"] is False


def test_members_cannot_see_results_before_publication(client, world):
    client.force_login(world.m1.user)

    assert client.get(reverse("evaluation:results")).status_code == 403
    assert (
        client.get(reverse("evaluation:result_detail", args=[result(world.m2).pk])).status_code
        == 404
    )


def test_a_breakdown_shows_the_figures_the_categories_and_the_adjustments(
    client, world, street_officer
):
    EvaluationAdjustment.objects.create(
        year=YEAR,
        member=world.m2,
        community=world.m2.home_community,
        points=3,
        reason="补录服务",
        created_by=street_officer,
    )
    client.force_login(street_officer)

    page = client.get(reverse("evaluation:result_detail", args=[result(world.m2).pk]))

    text = page.content.decode()
    assert "Verified service hours" in text and "6.00" in text
    assert "Resident satisfaction" in text and "40.00%" in text
    assert "补录服务" in text


# -- adjusting, computing, publishing by URL ----------------------------------------------------


def test_a_street_officer_adjusts_a_score_on_the_page(client, world, street_officer):
    client.force_login(street_officer)

    response = client.post(
        reverse("evaluation:result_adjust", args=[result(world.m3).pk]),
        {"points": "5", "reason": "疫情期间值守"},
    )

    assert response.status_code == 302
    assert result(world.m3).final_score == 26.5
    assert AuditEvent.objects.filter(action="evaluation.adjusted", actor=street_officer).exists()


def test_an_adjustment_without_a_reason_shows_the_form_again(client, world, street_officer):
    client.force_login(street_officer)

    response = client.post(
        reverse("evaluation:result_adjust", args=[result(world.m3).pk]), {"points": "5"}
    )

    assert response.status_code == 400
    assert not EvaluationAdjustment.objects.exists()


def test_a_community_worker_cannot_adjust_on_the_page(client, world, worker):
    client.force_login(worker)

    response = client.post(
        reverse("evaluation:result_adjust", args=[result(world.m2).pk]),
        {"points": "5", "reason": "x"},
    )

    assert response.status_code == 403
    assert not EvaluationAdjustment.objects.exists()


def test_a_street_officer_computes_on_demand(client, world, tree, street_officer):
    enroll(tree["a"], member=make_party_member(tree["a"]))
    client.force_login(street_officer)

    response = client.post(
        reverse("evaluation:compute"), {"year": YEAR, "area": tree["street1"].code}
    )

    assert response.status_code == 302
    assert EvaluationResult.objects.filter(year=YEAR, street=tree["street1"]).count() == 5


def test_an_officer_cannot_compute_another_street(client, world, tree):
    officer2 = user_with_role(Role.STREET_OFFICER, tree["street2"])
    client.force_login(officer2)

    response = client.post(
        reverse("evaluation:compute"), {"year": YEAR, "area": tree["street1"].code}
    )

    assert response.status_code == 403


def test_a_street_officer_publishes_on_the_page(client, world, tree, street_officer):
    client.force_login(street_officer)

    response = client.post(
        reverse("evaluation:publish"), {"year": YEAR, "area": tree["street1"].code}
    )

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="evaluation.published").exists()


def test_a_district_official_cannot_publish(client, world, tree):
    client.force_login(user_with_role(Role.DISTRICT_OFFICIAL, tree["district"]))

    response = client.post(
        reverse("evaluation:publish"), {"year": YEAR, "area": tree["street1"].code}
    )

    assert response.status_code == 403


def test_the_scheme_page_refuses_satisfaction_under_40_percent(client, tree):
    client.force_login(user_with_role(Role.DISTRICT_OFFICIAL, tree["district"]))

    response = client.post(
        reverse("evaluation:schemes"),
        {
            "area": tree["street1"].pk,
            "weight_input_output": "30",
            "weight_satisfaction": "30",
            "weight_social_benefit": "25",
            "weight_sustainability": "15",
            "pass_mark": "60",
            "red_top_n": "3",
            "black_bottom_n": "1",
        },
    )

    assert response.status_code == 400
    assert "at least 40%" in response.content.decode()


# -- published lists ----------------------------------------------------------------------------


@pytest.fixture
def published(world, tree, street_officer):
    return publish_results(street=tree["street1"], year=YEAR, by=street_officer)


def test_a_member_of_the_street_reads_the_published_lists(client, world, published):
    client.force_login(world.m3.user)  # community C, same street

    response = client.get(reverse("evaluation:publication", args=[published.pk]))

    assert response.status_code == 200
    assert [r.subject_name for r in response.context["red"]] == ["王一", "区图书馆"]
    assert "张三" in {r.subject_name for r in response.context["black"]}


def test_a_member_of_another_street_cannot_read_them(client, world, published):
    client.force_login(world.m4.user)

    response = client.get(reverse("evaluation:publication", args=[published.pk]))

    assert response.status_code == 404
    assert not client.get(reverse("evaluation:publications")).context["publications"]


def test_the_published_lists_show_no_contact_details(client, world, published):
    client.force_login(world.m3.user)

    page = client.get(reverse("evaluation:publication", args=[published.pk])).content.decode()

    assert world.m1.user.phone not in page
    assert world.m1.user.masked_phone not in page


def test_the_published_page_costs_a_fixed_number_of_queries(
    client, world, published, django_assert_max_num_queries
):
    client.force_login(world.m3.user)

    with django_assert_max_num_queries(10):
        client.get(reverse("evaluation:publication", args=[published.pk]))


# -- my own evaluation --------------------------------------------------------------------------


def test_a_member_sees_no_result_before_publication(client, world):
    client.force_login(world.m1.user)

    response = client.get(reverse("evaluation:my_evaluation"))

    assert response.context["results"] == []


def test_a_member_sees_their_own_breakdown_and_nobody_elses(client, world, published):
    client.force_login(world.m2.user)

    response = client.get(reverse("evaluation:my_evaluation"))

    shown = [r.member for r, _breakdown, _adjustments in response.context["results"]]
    assert shown == [world.m2]
    text = response.content.decode()
    assert "王一" not in text  # the top member's name is not on m2's page


def test_a_unit_contact_sees_the_units_breakdown(client, world, published):
    client.force_login(world.u1.contact)

    response = client.get(reverse("evaluation:my_evaluation"))

    assert [r.unit for r, _b, _a in response.context["unit_results"]] == [world.u1]


def test_the_member_home_links_to_my_evaluation(client, world):
    client.force_login(world.m1.user)

    page = client.get(reverse("reporting:member_home")).content.decode()

    assert reverse("evaluation:my_evaluation") in page


def test_a_member_rates_an_activity_they_served_in_from_their_page(client, tree):
    member = make_party_member(tree["a"])
    start = timezone.now() - timedelta(days=1)
    activity = Activity.objects.create(
        community=tree["a"],
        title="义诊",
        venue="活动室",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        organiser=UserFactory(),
    )
    make_service_record(member, activity=activity)
    client.force_login(member.user)
    assert [
        a for a, _form in client.get(reverse("evaluation:my_evaluation")).context["activities"]
    ] == [activity]

    client.post(reverse("evaluation:rate_activity", args=[activity.pk]), {"stars": "5"})
    again = client.post(
        reverse("evaluation:rate_activity", args=[activity.pk]), {"stars": "1"}, follow=True
    )

    assert Rating.objects.get().stars == 5
    assert "already rated" in again.content.decode()
    assert client.get(reverse("evaluation:my_evaluation")).context["activities"] == []


def test_the_list_of_publications_costs_a_fixed_number_of_queries(
    client, world, published, django_assert_max_num_queries
):
    client.force_login(world.m3.user)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("evaluation:publications"))

    assert list(response.context["publications"]) == [published]


def test_my_evaluation_costs_a_fixed_number_of_queries(
    client, world, published, django_assert_max_num_queries
):
    client.force_login(world.m1.user)

    with django_assert_max_num_queries(10):
        client.get(reverse("evaluation:my_evaluation"))


def test_the_scheme_page_costs_a_fixed_number_of_queries(
    client, tree, django_assert_max_num_queries
):
    from evaluation.models import EvaluationScheme

    for street in (tree["street1"], tree["street2"]):
        EvaluationScheme.objects.create(area=street)
    client.force_login(user_with_role(Role.DISTRICT_OFFICIAL, tree["district"]))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("evaluation:schemes"))

    assert len(response.context["schemes"]) == 2
