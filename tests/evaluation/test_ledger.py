"""The ledger itself: entries never change, balances never go below zero."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from evaluation.models import PointAccount, PointEntry, PointEvent
from evaluation.services.ledger import Subject, book_entry, book_once
from tests.evaluation.conftest import DAY


def book(member, key="adjustment:1", **kwargs):
    kwargs.setdefault("points", Decimal("5"))
    return book_entry(
        subject=Subject.of(member=member),
        community=member.home_community,
        event=PointEvent.ADJUSTMENT,
        source_key=key,
        occurred_on=DAY,
        **kwargs,
    )


def test_an_entry_cannot_be_changed(member):
    entry = book(member)
    entry.points = Decimal("500")

    with pytest.raises(ValidationError):
        entry.save()


def test_an_entry_cannot_be_deleted(member):
    entry = book(member)

    with pytest.raises(ValidationError):
        entry.delete()


def test_entries_cannot_be_updated_or_deleted_in_bulk(member):
    book(member)

    with pytest.raises(ValidationError):
        PointEntry.objects.update(points=0)
    with pytest.raises(ValidationError):
        PointEntry.objects.all().delete()


def test_the_same_source_key_twice_books_one_entry(member):
    book(member, key="service_record:7")

    again = book_once(
        subject=Subject.of(member=member),
        community=member.home_community,
        event=PointEvent.SERVICE_HOUR,
        source_key="service_record:7",
        occurred_on=DAY,
        rule_points=Decimal("3"),
    )

    assert again is None
    assert PointEntry.objects.count() == 1
    assert PointAccount.objects.get(member=member).balance == Decimal("5.00")


def test_the_database_refuses_a_second_entry_with_the_same_source_key(member):
    book(member, key="enrollment:1")

    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntry.objects.create(
            member=member,
            community=member.home_community,
            event=PointEvent.ENROLLMENT_CONFIRMED,
            points=5,
            source_key="enrollment:1",
            occurred_on=DAY,
        )


def test_the_database_refuses_a_negative_balance(member):
    book(member)

    with pytest.raises(IntegrityError), transaction.atomic():
        PointAccount.objects.filter(member=member).update(balance=Decimal("-0.01"))


def test_the_database_refuses_an_entry_for_both_a_member_and_a_unit(member, unit):
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntry.objects.create(
            member=member,
            unit=unit,
            community=member.home_community,
            event=PointEvent.ADJUSTMENT,
            points=1,
            source_key="adjustment:both",
            occurred_on=DAY,
        )


def test_an_unclamped_booking_below_zero_is_refused_and_leaves_nothing(member):
    book(member, points=Decimal("2"))

    with pytest.raises(IntegrityError):
        book(member, key="redemption:1", points=Decimal("-3"), clamp=False)

    assert PointEntry.objects.count() == 1
    assert PointAccount.objects.get(member=member).balance == Decimal("2.00")


def test_a_clamped_booking_takes_only_what_is_there(member):
    book(member, points=Decimal("2"))

    entry = book(member, key="adjustment:2", points=Decimal("-3"))

    assert entry.points == Decimal("-2.00")
    assert entry.details == {"clamped_from": "-3.00"}
    assert PointAccount.objects.get(member=member).balance == Decimal("0.00")


def test_the_balance_is_the_sum_of_the_entries(member):
    for n, points in enumerate(["2.50", "1.25", "-0.75"]):
        book(member, key=f"adjustment:{n}", points=Decimal(points))

    total = sum(PointEntry.objects.values_list("points", flat=True))
    assert PointAccount.objects.get(member=member).balance == total == Decimal("3.00")


def test_a_unit_has_its_own_account(unit, member):
    book_entry(
        subject=Subject.of(unit=unit),
        community=unit.community,
        event=PointEvent.ADJUSTMENT,
        source_key="adjustment:unit",
        occurred_on=DAY,
        points=Decimal("4"),
    )

    assert PointAccount.objects.get(unit=unit).balance == Decimal("4.00")
    assert not PointAccount.objects.filter(member=member).exists()
