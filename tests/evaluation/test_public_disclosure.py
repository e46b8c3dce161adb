"""Public disclosure (阳光社区): a page per community, no sign-in, no personal data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from resources.models import Channel, Milestone, Need, Project
from tests.factories import (
    AreaFactory,
    BudgetLineFactory,
    NeedFactory,
    ProjectFactory,
    UserFactory,
)

REQUESTER = "张阿姨"
PHONE = "13812345678"
ADDRESS = "幸福路 8 号 3 室"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def page_of(client, community):
    return client.get(reverse("evaluation:public_community", args=[community.code]))


@pytest.fixture
def community_a(tree):
    """Community A with a project, a council decision, and needs full of personal data."""
    a = tree["a"]
    now = timezone.now()
    owner = UserFactory(real_name="项目负责人王五", phone="13700001111")
    project = ProjectFactory(
        area=a,
        owner=owner,
        title="老旧小区加装扶手",
        status=Project.Status.IN_PROGRESS,
        approved_at=now,
        maintenance_owner="物业李经理",
    )
    BudgetLineFactory(
        project=project, item="扶手材料", amount=Decimal("1000"), spent=Decimal("400")
    )
    BudgetLineFactory(project=project, item="安装人工", amount=Decimal("500"), spent=Decimal("0"))
    Milestone.objects.create(project=project, title="材料到位", due_date=now.date(), reached_at=now)
    Milestone.objects.create(project=project, title="安装完成", due_date=now.date())
    ProjectFactory(area=a, owner=owner, title="草稿项目")  # a draft: not disclosed
    NeedFactory(
        community=a,
        channel=Channel.COUNCIL,
        title="楼道照明改造",
        status=Need.Status.EVALUATED,
        submitted_at=now - timedelta(days=5),
        accepted_at=now - timedelta(days=5) + timedelta(hours=2),
        resolved_at=now - timedelta(days=1),
        resolution="已更换 24 盏声控灯",
        requester_name=REQUESTER,
        requester_phone=PHONE,
        address=ADDRESS,
        rating=5,
        evaluated_at=now - timedelta(hours=12),
    )
    NeedFactory(
        community=a,
        title="私人求助",
        requester_name="李大爷",
        requester_phone="13911112222",
        address="和平路 1 号",
        submitted_at=now - timedelta(days=2),
    )
    return a


def test_the_public_page_needs_no_sign_in_and_shows_the_projects_budgets(client, community_a):
    response = page_of(client, community_a)

    assert response.status_code == 200
    text = response.content.decode()
    assert "老旧小区加装扶手" in text and "草稿项目" not in text
    project = response.context["projects"][0]
    assert (project.itemised, project.contingency, project.budget, project.spent) == (
        Decimal("1500.00"),
        Decimal("150.00"),
        Decimal("1650.00"),
        Decimal("400.00"),
    )
    assert project.milestones_reached == 1


def test_the_public_page_shows_the_decisions_of_joint_meetings(client, community_a):
    decisions = page_of(client, community_a).context["decisions"]

    assert [(d.title, d.resolution) for d in decisions] == [("楼道照明改造", "已更换 24 盏声控灯")]


def test_the_public_page_shows_a_summary_of_this_years_needs(client, community_a):
    kpis = page_of(client, community_a).context["kpis"]

    assert (kpis.received, kpis.resolved, kpis.ratings, kpis.satisfaction) == (
        2,
        1,
        1,
        Decimal("100.0"),
    )
    assert kpis.response_rate == Decimal("50.0")


def test_the_public_summary_counts_residents_project_ratings_like_the_kpi(client, community_a):
    from evaluation.models import Rating

    project = Project.objects.get(title="老旧小区加装扶手")
    need = Need.objects.get(title="楼道照明改造")
    Rating.objects.create(
        project=project, community=community_a, stars=2, rater_key=f"need:{need.pk}",
        created_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip

    kpis = page_of(client, community_a).context["kpis"]

    assert (kpis.satisfied, kpis.ratings, kpis.satisfaction) == (1, 2, Decimal("50.0"))


def test_the_public_page_has_no_personal_data(client, community_a):
    text = page_of(client, community_a).content.decode()

    for personal in (
        REQUESTER,
        PHONE,
        "138****5678",
        ADDRESS,
        "幸福路",
        "李大爷",
        "13911112222",
        "和平路",
        "私人求助",
        "项目负责人王五",
        "13700001111",
        "物业李经理",
    ):
        assert personal not in text, personal


def test_an_unknown_or_non_community_code_is_not_found(client, tree):
    assert client.get(reverse("evaluation:public_community", args=["nope"])).status_code == 404
    assert page_of(client, tree["street1"]).status_code == 404


def test_the_index_lists_every_community(client, tree):
    response = client.get(reverse("evaluation:public_communities"))

    assert response.status_code == 200
    # In tree order: street 1's communities, then street 2's.
    assert [c.name for c in response.context["page_obj"]] == [
        "Community A",
        "Community C",
        "Community B",
    ]


def test_the_index_costs_a_fixed_number_of_queries(client, tree, django_assert_max_num_queries):
    for _ in range(30):
        AreaFactory(level=4, parent=tree["street1"])

    with django_assert_max_num_queries(3):
        client.get(reverse("evaluation:public_communities"))


def test_the_community_page_costs_a_fixed_number_of_queries(
    client, community_a, django_assert_max_num_queries
):
    owner = UserFactory()
    for _ in range(10):
        project = ProjectFactory(area=community_a, owner=owner, status=Project.Status.APPROVED)
        BudgetLineFactory(project=project)

    with django_assert_max_num_queries(10):
        page_of(client, community_a)


def test_the_public_page_reads_the_years_kpis_from_the_nightly_roll_ups(client, community_a):
    from datetime import date

    from evaluation.models import KpiDaily

    year = timezone.localdate().year
    for day, answered in ((date(year, 1, 5), 4), (date(year, 1, 6), 5)):
        KpiDaily.objects.create(
            area=community_a,
            day=day,
            kpi="need_response_rate",
            numerator=answered,
            denominator=5,
            computed_at=timezone.now(),
        )

    response = page_of(client, community_a)

    figures = {kpi.label: kpi.value for kpi in response.context["kpi_figures"]}
    assert figures["Need response rate"] == Decimal("90.0")
    assert response.context["rolled_up_to"] == date(year, 1, 6)
