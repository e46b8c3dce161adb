"""The rewards shop: requests take points and stock at once; confirm, cancel and refund."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections

from evaluation.models import PointEntry, PointEvent, Redemption, Reward
from evaluation.selectors import balance_of
from evaluation.services.ledger import Subject, book_entry
from evaluation.services.rewards import (
    cancel_redemption,
    confirm_redemption,
    create_reward,
    request_redemption,
    update_reward,
)
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import AuditEvent
from tests.evaluation.conftest import DAY
from tests.factories import RewardFactory, make_party_member, make_tree


def give(member, points, key=None):
    book_entry(
        subject=Subject.of(member=member),
        community=member.home_community,
        event=PointEvent.ADJUSTMENT,
        source_key=key or f"adjustment:{uuid.uuid4().hex}",
        occurred_on=DAY,
        points=Decimal(points),
    )


def redeem(reward, member, key=None):
    return request_redemption(
        reward=reward, member=member, by=member.user, idempotency_key=key or uuid.uuid4().hex
    )


@pytest.fixture
def reward(tree):
    return RewardFactory(community=tree["a"], points_cost=Decimal("10"), stock=2)


@pytest.fixture
def rich_member(member):
    give(member, "25")
    return member


# -- requesting -----------------------------------------------------------------------------


def test_a_request_takes_the_points_and_reserves_one_unit(reward, rich_member):
    redemption = redeem(reward, rich_member)

    reward.refresh_from_db()
    assert redemption.status == Redemption.Status.REQUESTED
    assert redemption.points == Decimal("10.00")
    assert reward.stock == 1
    assert balance_of(member=rich_member) == Decimal("15.00")
    entry = PointEntry.objects.get(source_key=f"redemption:{redemption.pk}")
    assert (entry.event, entry.points, entry.note) == ("redemption", Decimal("-10.00"), reward.name)
    assert AuditEvent.objects.filter(action="redemption.requested").count() == 1


def test_a_request_without_enough_points_is_refused_and_changes_nothing(reward, member):
    give(member, "9.99")

    with pytest.raises(InvalidInput) as error:
        redeem(reward, member)

    assert "9.99" in str(error.value.message)
    reward.refresh_from_db()
    assert reward.stock == 2
    assert balance_of(member=member) == Decimal("9.99")
    assert not Redemption.objects.exists()


def test_a_request_when_out_of_stock_is_refused(tree, rich_member):
    empty = RewardFactory(community=tree["a"], stock=0)

    with pytest.raises(Conflict):
        redeem(empty, rich_member)

    assert balance_of(member=rich_member) == Decimal("25.00")


def test_a_reward_no_longer_on_offer_cannot_be_requested(reward, rich_member):
    Reward.objects.filter(pk=reward.pk).update(active=False)

    with pytest.raises(Conflict):
        redeem(reward, rich_member)


def test_the_last_unit_goes_to_one_member_only(reward, rich_member, tree):
    other = make_party_member(tree["a"])
    give(other, "50")
    redeem(reward, rich_member)
    redeem(reward, other)

    with pytest.raises(Conflict):
        redeem(reward, rich_member)

    reward.refresh_from_db()
    assert reward.stock == 0


def test_the_same_form_submitted_twice_redeems_once(reward, rich_member):
    first = redeem(reward, rich_member, key="form-1")
    second = redeem(reward, rich_member, key="form-1")

    assert first == second
    assert Redemption.objects.count() == 1
    assert balance_of(member=rich_member) == Decimal("15.00")


def test_a_form_key_used_by_another_member_is_refused(reward, rich_member, tree):
    other = make_party_member(tree["a"])
    give(other, "50")
    redeem(reward, rich_member, key="form-1")

    with pytest.raises(Conflict):
        redeem(reward, other, key="form-1")


def test_a_member_cannot_redeem_in_another_communitys_shop(tree, rich_member):
    elsewhere = RewardFactory(community=tree["b"])

    with pytest.raises(PermissionDenied):
        redeem(elsewhere, rich_member)


def test_nobody_redeems_for_someone_else(reward, rich_member, worker):
    with pytest.raises(PermissionDenied):
        request_redemption(reward=reward, member=rich_member, by=worker, idempotency_key="k")


# -- confirming and cancelling --------------------------------------------------------------


@pytest.fixture
def redemption(reward, rich_member):
    return redeem(reward, rich_member)


def test_a_worker_confirms_the_hand_over(redemption, worker):
    confirmed = confirm_redemption(redemption=redemption, by=worker)

    assert confirmed.status == Redemption.Status.CONFIRMED
    assert confirmed.decided_by == worker and confirmed.decided_at is not None
    assert balance_of(member=redemption.member) == Decimal("15.00")
    assert AuditEvent.objects.filter(action="redemption.confirmed").exists()


def test_a_worker_of_another_community_cannot_confirm(redemption, worker_b):
    with pytest.raises(PermissionDenied):
        confirm_redemption(redemption=redemption, by=worker_b)


def test_a_cancelled_request_refunds_the_points_and_restores_the_stock(redemption, worker):
    cancel_redemption(redemption=redemption, by=worker, reason="不要了")

    redemption.refresh_from_db()
    redemption.reward.refresh_from_db()
    assert redemption.status == Redemption.Status.CANCELLED
    assert redemption.cancel_reason == "不要了"
    assert redemption.reward.stock == 2
    assert balance_of(member=redemption.member) == Decimal("25.00")
    refund = PointEntry.objects.get(source_key=f"redemption:{redemption.pk}:refund")
    assert (refund.event, refund.points) == ("redemption_refund", Decimal("10.00"))


def test_a_member_can_cancel_their_own_request(redemption):
    cancel_redemption(redemption=redemption, by=redemption.member.user)

    assert balance_of(member=redemption.member) == Decimal("25.00")


def test_another_member_cannot_cancel_a_request(redemption, tree):
    other = make_party_member(tree["a"])

    with pytest.raises(PermissionDenied):
        cancel_redemption(redemption=redemption, by=other.user)


def test_a_confirmed_redemption_cannot_be_cancelled(redemption, worker):
    confirm_redemption(redemption=redemption, by=worker)

    with pytest.raises(IllegalTransition):
        cancel_redemption(redemption=redemption, by=worker)

    redemption.reward.refresh_from_db()
    assert redemption.reward.stock == 1
    assert balance_of(member=redemption.member) == Decimal("15.00")


def test_a_request_cannot_be_cancelled_twice(redemption, worker):
    cancel_redemption(redemption=redemption, by=worker)

    with pytest.raises(IllegalTransition):
        cancel_redemption(redemption=redemption, by=worker)

    redemption.reward.refresh_from_db()
    assert redemption.reward.stock == 2
    assert balance_of(member=redemption.member) == Decimal("25.00")


# -- the catalogue --------------------------------------------------------------------------


def test_a_worker_adds_a_reward_to_their_communitys_catalogue(tree, worker):
    reward = create_reward(
        community=tree["a"], name=" 保温杯 ", points_cost="30", stock=4, by=worker
    )

    assert (reward.name, reward.points_cost, reward.stock) == ("保温杯", Decimal("30"), 4)
    assert AuditEvent.objects.filter(action="reward.created", object_id=str(reward.pk)).exists()


def test_a_worker_cannot_add_to_another_communitys_catalogue(tree, worker):
    with pytest.raises(PermissionDenied):
        create_reward(community=tree["b"], name="伞", points_cost="5", stock=1, by=worker)


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("name", {"name": "  "}),
        ("points_cost", {"points_cost": "0"}),
        ("points_cost", {"points_cost": "x"}),
        ("stock", {"stock": -1}),
    ],
)
def test_an_invalid_reward_is_refused_with_the_field_named(tree, worker, field, values):
    values = {"name": "伞", "points_cost": "5", "stock": 1} | values

    with pytest.raises(InvalidInput) as error:
        create_reward(community=tree["a"], by=worker, **values)

    assert error.value.field == field


def test_a_worker_restocks_and_withdraws_a_reward_with_an_audit_trail(reward, worker):
    update_reward(reward=reward, by=worker, stock=10, active=False)

    reward.refresh_from_db()
    assert (reward.stock, reward.active) == (10, False)
    event = AuditEvent.objects.get(action="reward.changed")
    assert event.data["changed"]["stock"] == {"from": "2", "to": "10"}


def test_the_database_refuses_negative_stock(reward):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(stock=-1)


# -- concurrency (PostgreSQL: real row locks between connections) ---------------------------

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
def test_concurrent_requests_never_take_the_balance_below_zero():
    tree = make_tree()
    member = make_party_member(tree["a"])
    give(member, "30")
    rewards = [RewardFactory(community=tree["a"], points_cost=10, stock=5) for _ in range(6)]

    results = _race(lambda i: redeem(rewards[i], member), 6)

    assert sum(isinstance(r, Redemption) for r in results) == 3
    assert all(isinstance(r, (Redemption, InvalidInput)) for r in results), results
    assert balance_of(member=member) == Decimal("0.00")
    assert sum(PointEntry.objects.filter(member=member).values_list("points", flat=True)) == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_the_last_unit_give_it_to_one_member():
    tree = make_tree()
    reward = RewardFactory(community=tree["a"], points_cost=10, stock=1)
    members = [make_party_member(tree["a"]) for _ in range(5)]
    for member in members:
        give(member, "10")

    results = _race(lambda i: redeem(reward, members[i]), 5)

    assert sum(isinstance(r, Redemption) for r in results) == 1
    assert all(isinstance(r, (Redemption, Conflict)) for r in results), results
    reward.refresh_from_db()
    assert reward.stock == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_the_same_moment_redeems_once():
    tree = make_tree()
    member = make_party_member(tree["a"])
    give(member, "100")
    reward = RewardFactory(community=tree["a"], points_cost=10, stock=5)

    results = _race(lambda i: redeem(reward, member, key="same-form"), 4)

    assert all(isinstance(r, Redemption) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert balance_of(member=member) == Decimal("90.00")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_award_runs_at_once_book_each_record_once():
    from evaluation.services.points import award_points
    from tests.factories import make_service_record

    tree = make_tree()
    member = make_party_member(tree["a"])
    for n in range(20):
        make_service_record(member, hours="1", day=DAY.replace(day=1 + n))

    results = _race(lambda i: award_points(), 2)

    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["service_hour"] for r in results) == 20
    assert PointEntry.objects.count() == 20
    assert balance_of(member=member) == Decimal("20.00")
