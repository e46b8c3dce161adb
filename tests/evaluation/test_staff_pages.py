"""Staff pages: the points ledger, the rule editor, the shop catalogue and the redemption queue."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluation.models import PointEvent, PointRule, Redemption, Reward
from evaluation.selectors import balance_of
from evaluation.services.ledger import Subject, book_entry
from evaluation.services.rewards import request_redemption
from portal.access import PERMISSIONS, Action
from portal.models import AuditEvent, Role
from tests.evaluation.conftest import DAY
from tests.factories import RewardFactory, make_party_member, user_with_role

LEDGER = reverse("evaluation:ledger")
RULES = reverse("evaluation:rules")
REWARDS = reverse("evaluation:reward_list")
NEW_REWARD = reverse("evaluation:reward_create")
QUEUE = reverse("evaluation:redemption_queue")
HOME = {
    Role.MEMBER: "a",
    Role.UNIT_ADMIN: "a",
    Role.GRID_WORKER: "grid_a",
    Role.COMMUNITY_WORKER: "a",
    Role.COMMUNITY_SECRETARY: "a",
    Role.STREET_OFFICER: "street1",
    Role.DISTRICT_OFFICIAL: "district",
    Role.CITY_ADMIN: "city",
    Role.AUDITOR: "city",
    Role.PARTNER: "a",
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def give(member, points, *, community=None, event=PointEvent.ADJUSTMENT, day=DAY, note=""):
    return book_entry(
        subject=Subject.of(member=member),
        community=community or member.home_community,
        event=event,
        source_key=f"test:{uuid.uuid4().hex}",
        occurred_on=day,
        points=Decimal(points),
        note=note,
    )


def signed_in(client, role, tree):
    client.force_login(user_with_role(role, tree[HOME[role]]))
    return client


# -- who may open what ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize(
    ("url", "action"),
    [
        (LEDGER, Action.POINTS_VIEW),
        (RULES, Action.SETTING_CHANGE),
        (REWARDS, Action.REWARD_MANAGE),
        (NEW_REWARD, Action.REWARD_MANAGE),
        (QUEUE, Action.REWARD_MANAGE),
    ],
    ids=["ledger", "rules", "rewards", "new_reward", "queue"],
)
def test_a_staff_page_opens_exactly_for_the_roles_granted_its_action(
    client, tree, role, url, action
):
    response = signed_in(client, role, tree).get(url)

    assert response.status_code == (200 if action in PERMISSIONS[role] else 403)


def test_staff_pages_need_sign_in(client):
    for url in (LEDGER, RULES, REWARDS, QUEUE):
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_the_nav_links_follow_the_roles(client, tree):
    content = signed_in(client, Role.COMMUNITY_WORKER, tree).get(LEDGER).content.decode()
    assert f'href="{LEDGER}"' in content and f'href="{REWARDS}"' in content

    content = signed_in(client, Role.DISTRICT_OFFICIAL, tree).get(LEDGER).content.decode()
    assert f'href="{LEDGER}"' in content and f'href="{REWARDS}"' not in content
    assert f'href="{RULES}"' in content


# -- the ledger -----------------------------------------------------------------------------


def test_the_ledger_shows_only_entries_of_communities_in_reach(client, tree, worker):
    give(make_party_member(tree["a"], real_name="甲"), "3", note="in A")
    give(make_party_member(tree["b"], real_name="乙"), "4", note="in B")
    client.force_login(worker)

    content = client.get(LEDGER).content.decode()

    assert "in A" in content and "甲" in content
    assert "in B" not in content


def test_an_official_sees_the_whole_district(client, tree):
    give(make_party_member(tree["a"]), "3", note="in A")
    give(make_party_member(tree["b"]), "4", note="in B")

    content = signed_in(client, Role.DISTRICT_OFFICIAL, tree).get(LEDGER).content.decode()

    assert "in A" in content and "in B" in content


def test_the_ledger_filters_by_subject_name_event_and_dates(client, tree, worker):
    wang = make_party_member(tree["a"], real_name="王芳")
    li = make_party_member(tree["a"], real_name="李强")
    give(wang, "1", note="wang-adjust")
    give(wang, "2", event=PointEvent.SERVICE_HOUR, note="wang-hours")
    give(wang, "3", day=DAY.replace(month=1), note="wang-january")
    give(li, "4", note="li-adjust")
    client.force_login(worker)

    content = client.get(
        LEDGER,
        {
            "q": "王",
            "event": "adjustment",
            "occurred_after": DAY.isoformat(),
            "occurred_before": DAY.isoformat(),
        },
    ).content.decode()

    assert "wang-adjust" in content
    assert "wang-hours" not in content
    assert "wang-january" not in content
    assert "li-adjust" not in content


def test_the_ledger_sorts_by_points(client, tree, worker, member):
    for points in ("5", "1", "9"):
        give(member, points, note=f"p{points}")
    client.force_login(worker)

    content = client.get(LEDGER, {"sort": "-points"}).content.decode()

    assert content.index("p9") < content.index("p5") < content.index("p1")


def test_an_unknown_sort_falls_back_to_the_newest_first(client, worker):
    client.force_login(worker)

    assert client.get(LEDGER, {"sort": "password"}).status_code == 200


def test_the_ledger_explains_a_capped_entry(client, tree, worker, member):
    book_entry(
        subject=Subject.of(member=member),
        community=tree["a"],
        event=PointEvent.SERVICE_HOUR,
        source_key="service_record:1",
        occurred_on=DAY,
        rule_points=Decimal("10"),
        daily_cap=Decimal("8"),
    )
    client.force_login(worker)

    assert "Daily cap of 8.00 points reached" in client.get(LEDGER).content.decode()


def test_an_empty_ledger_says_so(client, worker):
    client.force_login(worker)

    assert "No points entries match" in client.get(LEDGER).content.decode()


def test_the_ledger_runs_a_bounded_number_of_queries(
    client, tree, worker, unit, django_assert_max_num_queries
):
    for n in range(30):
        give(make_party_member(tree["a"]), "1", note=f"n{n}")
    book_entry(
        subject=Subject.of(unit=unit),
        community=tree["a"],
        event=PointEvent.ADJUSTMENT,
        source_key="unit:1",
        occurred_on=DAY,
        points=Decimal("2"),
    )
    client.force_login(worker)

    with django_assert_max_num_queries(10):
        response = client.get(LEDGER)

    assert response.status_code == 200
    assert "区图书馆" in response.content.decode()


# -- the rule editor ------------------------------------------------------------------------


@pytest.fixture
def official_client(client, tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    client.force_login(official)
    client.official = official
    return client


def test_an_official_sets_a_rule_on_the_page(official_client, tree):
    response = official_client.post(
        RULES,
        {
            "area": tree["street1"].pk,
            "event": "service_hour",
            "year": "2026",
            "points": "2",
            "daily_cap": "10",
            "active": "on",
        },
    )

    assert response.status_code == 302
    rule = PointRule.objects.get()
    assert (rule.area, rule.points, rule.daily_cap, rule.year) == (
        tree["street1"],
        Decimal("2"),
        Decimal("10"),
        2026,
    )
    assert AuditEvent.objects.filter(action="point_rule.changed").exists()


def test_an_invalid_rule_is_shown_back_with_its_error(official_client, tree):
    response = official_client.post(
        RULES, {"area": tree["street1"].pk, "event": "service_hour", "points": "5000"}
    )

    assert response.status_code == 400
    assert "Enter points from 0 to 1000" in response.content.decode()
    assert not PointRule.objects.exists()


def test_an_official_cannot_pick_an_area_outside_their_district(official_client, tree):
    from tests.factories import AreaFactory

    other_district = AreaFactory(level=2, parent=tree["city"])

    response = official_client.post(
        RULES, {"area": other_district.pk, "event": "service_hour", "points": "2"}
    )

    assert response.status_code == 400
    assert not PointRule.objects.exists()


def test_the_rule_page_lists_the_rules_in_reach_with_a_bounded_number_of_queries(
    official_client, tree, django_assert_max_num_queries
):
    for event in ("service_hour", "enrollment_confirmed", "rating_five_star"):
        PointRule.objects.create(
            area=tree["a"], event=event, points=3, updated_by=official_client.official
        )
    PointRule.objects.create(area=tree["city"], event="service_hour", points=7)

    with django_assert_max_num_queries(10):
        response = official_client.get(RULES)

    content = response.content.decode()
    assert content.count("Community A") >= 3
    assert ">7.00<" not in content  # the city's rule is outside the district official's reach


# -- the shop -------------------------------------------------------------------------------


def test_a_worker_adds_a_reward(client, tree, worker):
    client.force_login(worker)

    response = client.post(
        NEW_REWARD,
        {"community": tree["a"].pk, "name": "雨伞", "points_cost": "20", "stock": "4"},
    )

    assert response.status_code == 302
    reward = Reward.objects.get()
    assert (reward.community, reward.name, reward.stock) == (tree["a"], "雨伞", 4)


def test_a_reward_with_a_zero_cost_is_refused_with_a_message(client, tree, worker):
    client.force_login(worker)

    response = client.post(
        NEW_REWARD, {"community": tree["a"].pk, "name": "雨伞", "points_cost": "0", "stock": "4"}
    )

    assert response.status_code == 400
    assert "more than 0" in response.content.decode()


def test_a_worker_cannot_add_a_reward_to_another_community(client, tree, worker):
    client.force_login(worker)

    response = client.post(
        NEW_REWARD, {"community": tree["b"].pk, "name": "雨伞", "points_cost": "5", "stock": "1"}
    )

    assert response.status_code == 400
    assert not Reward.objects.exists()


def test_a_worker_edits_stock_and_withdraws_a_reward(client, tree, worker):
    reward = RewardFactory(community=tree["a"], stock=1)
    client.force_login(worker)

    response = client.post(
        reverse("evaluation:reward_edit", args=[reward.pk]),
        {"name": reward.name, "description": "", "points_cost": "10", "stock": "9"},
    )

    assert response.status_code == 302
    reward.refresh_from_db()
    assert (reward.stock, reward.active) == (9, False)


def test_another_communitys_reward_is_not_found(client, tree, worker):
    reward = RewardFactory(community=tree["b"])
    client.force_login(worker)

    assert client.get(reverse("evaluation:reward_edit", args=[reward.pk])).status_code == 404


def test_the_catalogue_runs_a_bounded_number_of_queries(
    client, tree, worker, django_assert_max_num_queries
):
    for _ in range(30):
        RewardFactory(community=tree["a"])
    client.force_login(worker)

    with django_assert_max_num_queries(10):
        response = client.get(REWARDS)

    assert response.status_code == 200


def test_an_empty_catalogue_says_so(client, worker):
    client.force_login(worker)

    assert "The shop is empty" in client.get(REWARDS).content.decode()


# -- the redemption queue -------------------------------------------------------------------


@pytest.fixture
def redemption(tree, member):
    give(member, "50")
    reward = RewardFactory(community=tree["a"], name="保温杯", points_cost=10, stock=2)
    return request_redemption(reward=reward, member=member, by=member.user, idempotency_key="k")


def test_the_queue_lists_requests_waiting_in_reach(client, redemption, worker, worker_b):
    client.force_login(worker)
    assert "保温杯" in client.get(QUEUE).content.decode()

    client.force_login(worker_b)
    assert "No requests are waiting" in client.get(QUEUE).content.decode()


def test_a_worker_confirms_a_hand_over_on_the_page(client, redemption, worker):
    client.force_login(worker)

    response = client.post(reverse("evaluation:redemption_confirm", args=[redemption.pk]))

    assert response.status_code == 302
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.CONFIRMED


def test_a_worker_cancels_a_request_on_the_page_and_the_points_come_back(
    client, redemption, worker
):
    client.force_login(worker)

    client.post(reverse("evaluation:redemption_cancel", args=[redemption.pk]), {"reason": "缺货"})

    redemption.refresh_from_db()
    assert (redemption.status, redemption.cancel_reason) == ("cancelled", "缺货")
    assert balance_of(member=redemption.member) == Decimal("50.00")


def test_confirming_twice_shows_a_message_and_changes_nothing(client, redemption, worker):
    client.force_login(worker)
    url = reverse("evaluation:redemption_confirm", args=[redemption.pk])
    client.post(url)

    response = client.post(url, follow=True)

    assert "already" in response.content.decode()


@pytest.mark.parametrize("action", ["confirm", "cancel"])
def test_a_worker_of_another_community_cannot_act_on_a_request(
    client, redemption, worker_b, action
):
    client.force_login(worker_b)

    response = client.post(reverse(f"evaluation:redemption_{action}", args=[redemption.pk]))

    assert response.status_code == 404
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.REQUESTED


def test_a_member_cannot_confirm_their_own_request(client, redemption):
    client.force_login(redemption.member.user)

    response = client.post(reverse("evaluation:redemption_confirm", args=[redemption.pk]))

    assert response.status_code == 404


def test_the_queue_runs_a_bounded_number_of_queries(
    client, tree, worker, django_assert_max_num_queries
):
    reward = RewardFactory(community=tree["a"], points_cost=1, stock=100)
    for _ in range(20):
        member = make_party_member(tree["a"])
        give(member, "5")
        request_redemption(
            reward=reward, member=member, by=member.user, idempotency_key=uuid.uuid4().hex
        )
    client.force_login(worker)

    with django_assert_max_num_queries(10):
        response = client.get(QUEUE, {"status": "all"})

    assert response.status_code == 200
