"""My points: members and unit contacts see their own balance, history, shop and redemptions."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from evaluation.models import PointEvent, Redemption
from evaluation.selectors import balance_of
from evaluation.services.ledger import Subject, book_entry
from evaluation.services.rewards import request_redemption
from portal.models import Role
from tests.evaluation.conftest import DAY
from tests.factories import RewardFactory, make_party_member, user_with_role

MY_POINTS = reverse("evaluation:my_points")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def give(subject_kwargs, community, points, n=0):
    return book_entry(
        subject=Subject.of(**subject_kwargs),
        community=community,
        event=PointEvent.ADJUSTMENT,
        source_key=f"adjustment:{uuid.uuid4().hex}",
        occurred_on=DAY,
        points=Decimal(points),
        note=f"Entry {n}",
    )


@pytest.fixture
def member_client(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def reward(tree):
    return RewardFactory(community=tree["a"], name="保温杯", points_cost=Decimal("10"), stock=3)


def redeem_url(reward):
    return reverse("evaluation:redeem", args=[reward.pk])


def test_my_points_needs_sign_in(client):
    response = client.get(MY_POINTS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_member_sees_their_balance_and_history(member_client, member):
    give({"member": member}, member.home_community, "12.5", n=1)

    content = member_client.get(MY_POINTS).content.decode()

    assert "12.50" in content
    assert "Entry 1" in content and "Adjustment" in content


def test_a_member_without_points_sees_the_empty_history(member_client):
    content = member_client.get(MY_POINTS).content.decode()

    assert "No points yet" in content
    assert "nothing on offer yet" in content


def test_a_member_does_not_see_another_members_entries(member_client, tree):
    other = make_party_member(tree["a"])
    give({"member": other}, tree["a"], "7", n=99)

    assert "Entry 99" not in member_client.get(MY_POINTS).content.decode()


def test_a_member_sees_only_the_shop_of_their_home_community(member_client, tree, reward):
    RewardFactory(community=tree["b"], name="别处的奖品")

    content = member_client.get(MY_POINTS).content.decode()

    assert "保温杯" in content
    assert "别处的奖品" not in content


def test_the_redeem_button_shows_only_when_the_member_can_afford_it(member_client, member, reward):
    assert redeem_url(reward) not in member_client.get(MY_POINTS).content.decode()

    give({"member": member}, member.home_community, "10")

    assert redeem_url(reward) in member_client.get(MY_POINTS).content.decode()


def test_my_points_runs_a_bounded_number_of_queries(
    member_client, member, tree, django_assert_max_num_queries
):
    for n in range(30):
        give({"member": member}, tree["a"], "3", n=n)
    for _ in range(5):
        RewardFactory(community=tree["a"])
    for _ in range(3):
        request_redemption(
            reward=RewardFactory(community=tree["a"], points_cost=1),
            member=member,
            by=member.user,
            idempotency_key=uuid.uuid4().hex,
        )

    with django_assert_max_num_queries(14):
        response = member_client.get(MY_POINTS)

    assert response.status_code == 200


def test_redeeming_takes_the_points_and_says_so(member_client, member, reward):
    give({"member": member}, member.home_community, "25")

    response = member_client.post(redeem_url(reward), {"idempotency_key": "form-1"}, follow=True)

    assert "Redeemed 10.00 points for 保温杯" in response.content.decode()
    assert balance_of(member=member) == Decimal("15.00")


def test_pressing_redeem_twice_redeems_once(member_client, member, reward):
    give({"member": member}, member.home_community, "25")

    member_client.post(redeem_url(reward), {"idempotency_key": "form-1"})
    member_client.post(redeem_url(reward), {"idempotency_key": "form-1"})

    assert Redemption.objects.count() == 1
    assert balance_of(member=member) == Decimal("15.00")


def test_redeeming_without_enough_points_shows_a_clear_message(member_client, reward):
    response = member_client.post(redeem_url(reward), {"idempotency_key": "k"}, follow=True)

    assert "Not enough points" in response.content.decode()
    assert not Redemption.objects.exists()


def test_a_member_cannot_redeem_in_another_communitys_shop(member_client, member, tree):
    give({"member": member}, member.home_community, "25")
    elsewhere = RewardFactory(community=tree["b"])

    response = member_client.post(redeem_url(elsewhere), {"idempotency_key": "k"})

    assert response.status_code == 404
    assert not Redemption.objects.exists()


def test_a_user_who_is_not_a_member_cannot_redeem(client, worker, reward):
    client.force_login(worker)

    response = client.post(redeem_url(reward), {"idempotency_key": "k"})

    assert response.status_code == 403


def test_a_member_cancels_their_request_and_gets_the_points_back(member_client, member, reward):
    give({"member": member}, member.home_community, "25")
    redemption = request_redemption(
        reward=reward, member=member, by=member.user, idempotency_key="k"
    )

    member_client.post(reverse("evaluation:cancel_own_redemption", args=[redemption.pk]))

    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.CANCELLED
    assert balance_of(member=member) == Decimal("25.00")


def test_a_member_cannot_cancel_someone_elses_request(client, member, reward, tree):
    give({"member": member}, member.home_community, "25")
    redemption = request_redemption(
        reward=reward, member=member, by=member.user, idempotency_key="k"
    )
    other = make_party_member(tree["a"])
    client.force_login(other.user)

    response = client.post(reverse("evaluation:cancel_own_redemption", args=[redemption.pk]))

    assert response.status_code == 404
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.REQUESTED


# -- unit contacts --------------------------------------------------------------------------


def test_a_unit_contact_sees_their_units_balance(client, unit):
    give({"unit": unit}, unit.community, "6", n=5)
    client.force_login(unit.contact)

    content = client.get(MY_POINTS).content.decode()
    detail = client.get(reverse("evaluation:unit_points", args=[unit.pk])).content.decode()

    assert "区图书馆" in content and "6.00" in content
    assert "6.00" in detail and "Entry 5" in detail


def test_a_unit_admin_who_is_not_the_contact_cannot_see_the_units_points(client, unit, tree):
    other_admin = user_with_role(Role.UNIT_ADMIN, tree["a"])
    client.force_login(other_admin)

    response = client.get(reverse("evaluation:unit_points", args=[unit.pk]))

    assert response.status_code == 404


def test_the_unit_page_runs_a_bounded_number_of_queries(
    client, unit, django_assert_max_num_queries
):
    for n in range(30):
        give({"unit": unit}, unit.community, "1", n=n)
    client.force_login(unit.contact)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("evaluation:unit_points", args=[unit.pk]))

    assert response.status_code == 200


def test_someone_with_neither_profile_is_told_what_points_are_for(client, worker):
    client.force_login(worker)

    content = client.get(MY_POINTS).content.decode()

    assert "Points are for registered party members" in content


def test_members_and_unit_contacts_get_the_my_points_link(client, member, unit, worker):
    for user, expected in [(member.user, True), (unit.contact, True), (worker, False)]:
        client.force_login(user)
        assert (MY_POINTS in client.get(reverse("access_matrix")).content.decode()) is expected
