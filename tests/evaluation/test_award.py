"""The nightly award: which records earn points, how many, and never twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from evaluation.models import PointAccount, PointEntry, PointEvent, PointRule
from evaluation.selectors import balance_of
from evaluation.services.points import award_points
from portal.models import AuditEvent
from reporting.models import Enrollment
from resources.models import Match, Need, Project
from tests.evaluation.conftest import DAY
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
    make_party_member,
    make_service_record,
)

ZERO = {
    "service_hour": 0,
    "enrollment_confirmed": 0,
    "project_owner_completed": 0,
    "rating_five_star": 0,
    "skipped": 0,
}


def confirmed_enrollment(*, member=None, unit=None, community, year=2026):
    now = timezone.now()
    return Enrollment.objects.create(
        member=member,
        unit=unit,
        community=community,
        year=year,
        status=Enrollment.Status.CONFIRMED,
        submitted_at=now - timedelta(days=1),
        confirmed_at=now,
    )


def completed_project(*, owner, community):
    project = ProjectFactory(area=community, owner=owner)
    Project.objects.filter(pk=project.pk).update(
        status=Project.Status.COMPLETED, completed_at=timezone.now()
    )
    return project


def rated_need(*, community, rating=5, provider_member=None, provider_unit=None):
    need = NeedFactory(community=community)
    resource = ResourceFactory(
        area=community, provider_member=provider_member, provider_unit=provider_unit
    )
    now = timezone.now()
    Match.objects.create(
        need=need,
        resource=resource,
        score=800,
        proposed_at=now,
        status=Match.Status.ACCEPTED,
        decided_at=now,
    )
    Need.objects.filter(pk=need.pk).update(
        status=Need.Status.EVALUATED, accepted_at=now, evaluated_at=now, rating=rating
    )
    return need


# -- sources --------------------------------------------------------------------------------


def test_a_verified_service_record_earns_one_point_per_hour(member):
    record = make_service_record(member, hours="2.5", day=DAY)

    counts = award_points()

    entry = PointEntry.objects.get()
    assert counts["service_hour"] == 1
    assert entry.source_key == f"service_record:{record.pk}"
    assert entry.points == Decimal("2.50")
    assert entry.occurred_on == DAY
    assert entry.community == member.home_community
    assert balance_of(member=member) == Decimal("2.50")


def test_a_confirmed_enrollment_earns_five_points_for_a_member(member, tree):
    enrollment = confirmed_enrollment(member=member, community=tree["a"])

    award_points()

    entry = PointEntry.objects.get(source_key=f"enrollment:{enrollment.pk}")
    assert (entry.member, entry.points) == (member, Decimal("5.00"))


def test_a_confirmed_enrollment_earns_five_points_for_a_unit(unit, tree):
    confirmed_enrollment(unit=unit, community=tree["a"])

    award_points()

    assert balance_of(unit=unit) == Decimal("5.00")


def test_a_pending_enrollment_earns_nothing(member, tree):
    Enrollment.objects.create(
        member=member, community=tree["a"], year=2026, submitted_at=timezone.now()
    )

    assert award_points() == ZERO


def test_a_completed_project_earns_its_member_owner_ten_points(member, tree):
    project = completed_project(owner=member.user, community=tree["a"])

    award_points()

    entry = PointEntry.objects.get(source_key=f"project:{project.pk}:owner")
    assert (entry.member, entry.points) == (member, Decimal("10.00"))


def test_a_project_owner_who_is_not_a_party_member_is_skipped(tree):
    completed_project(owner=UserFactory(), community=tree["a"])

    assert award_points() == ZERO
    assert not PointEntry.objects.exists()


def test_a_project_in_progress_earns_nothing(member, tree):
    ProjectFactory(area=tree["a"], owner=member.user)

    assert award_points() == ZERO


def test_a_five_star_rating_earns_the_registered_member_provider_one_point(member, tree):
    need = rated_need(community=tree["a"], provider_member=member)

    award_points()

    entry = PointEntry.objects.get(source_key=f"rating:need:{need.pk}")
    assert (entry.member, entry.points) == (member, Decimal("1.00"))


def test_a_five_star_rating_earns_the_registered_unit_provider_one_point(unit, tree):
    rated_need(community=tree["a"], provider_unit=unit)

    award_points()

    assert balance_of(unit=unit) == Decimal("1.00")


def test_a_four_star_rating_earns_nothing(member, tree):
    rated_need(community=tree["a"], rating=4, provider_member=member)

    assert award_points() == ZERO


def test_a_rating_of_a_resource_without_a_registered_provider_is_skipped(tree):
    rated_need(community=tree["a"])

    assert award_points() == ZERO


def test_records_after_until_wait_for_a_later_run(member):
    make_service_record(member, hours="1")

    counts = award_points(until=timezone.now() - timedelta(hours=1))

    assert counts == ZERO
    assert award_points()["service_hour"] == 1


# -- idempotency ----------------------------------------------------------------------------


@pytest.fixture
def one_of_each(member, unit, tree):
    make_service_record(member, hours="3", day=DAY)
    confirmed_enrollment(member=member, community=tree["a"])
    confirmed_enrollment(unit=unit, community=tree["a"])
    completed_project(owner=member.user, community=tree["a"])
    rated_need(community=tree["a"], provider_member=member)


def test_a_run_counts_what_it_booked_per_event(one_of_each):
    assert award_points() == {
        "service_hour": 1,
        "enrollment_confirmed": 2,
        "project_owner_completed": 1,
        "rating_five_star": 1,
        "skipped": 0,
    }


def test_a_second_run_books_nothing_and_returns_zeros(one_of_each, member):
    award_points()
    entries = PointEntry.objects.count()
    balance = balance_of(member=member)
    events = AuditEvent.objects.count()

    assert award_points() == ZERO
    assert PointEntry.objects.count() == entries
    assert balance_of(member=member) == balance
    assert AuditEvent.objects.count() == events


def test_a_second_run_does_not_read_records_booked_before(
    one_of_each, django_assert_max_num_queries
):
    award_points()

    # One query per source and one for the rules, however long the history.
    with django_assert_max_num_queries(5):
        award_points()


def test_a_run_leaves_one_audit_event_with_its_counts(one_of_each):
    counts = award_points()

    event = AuditEvent.objects.get(action="points.awarded")
    assert event.data["counts"] == counts


def test_a_record_booked_by_another_run_meanwhile_is_counted_as_skipped(member, monkeypatch):
    from evaluation.services import points

    record = make_service_record(member, hours="1")
    real_book_once = points.book_once

    def racing_book_once(**kwargs):
        # Another run books the same record just before this one does.
        real_book_once(**kwargs)
        return real_book_once(**kwargs)

    monkeypatch.setattr(points, "book_once", racing_book_once)

    counts = award_points()

    assert counts["skipped"] == 1
    assert PointEntry.objects.filter(source_key=f"service_record:{record.pk}").count() == 1
    assert balance_of(member=member) == Decimal("1.00")


# -- corrections and caps -------------------------------------------------------------------


def test_a_negative_correction_books_negative_points(member):
    original = make_service_record(member, hours="3", day=DAY)
    award_points()
    make_service_record(member, hours="-1", day=DAY, corrects=original)

    award_points()

    correction = PointEntry.objects.order_by("-id").first()
    assert correction.points == Decimal("-1.00")
    assert balance_of(member=member) == Decimal("2.00")


def test_a_correction_booked_in_the_same_run_as_its_original_nets_out(member):
    original = make_service_record(member, hours="3", day=DAY)
    make_service_record(member, hours="-3", day=DAY, corrects=original)

    award_points()

    assert balance_of(member=member) == Decimal("0.00")
    assert not any(e.details for e in PointEntry.objects.all())


def test_a_daily_cap_books_only_up_to_the_cap_and_says_so(member, tree):
    PointRule.objects.create(
        area=tree["city"], event=PointEvent.SERVICE_HOUR, points=1, daily_cap=8
    )
    make_service_record(member, hours="6", day=DAY)
    make_service_record(member, hours="4", day=DAY)

    award_points()

    second = PointEntry.objects.order_by("-id").first()
    assert (second.points, second.rule_points) == (Decimal("2.00"), Decimal("4.00"))
    assert second.details == {"cap": "8.00"}
    assert "8.00" in second.explanation()[0]
    assert balance_of(member=member) == Decimal("8.00")


def test_a_daily_cap_is_per_day(member, tree):
    PointRule.objects.create(
        area=tree["city"], event=PointEvent.SERVICE_HOUR, points=1, daily_cap=8
    )
    make_service_record(member, hours="8", day=DAY)
    make_service_record(member, hours="8", day=DAY + timedelta(days=1))

    award_points()

    assert balance_of(member=member) == Decimal("16.00")


def test_a_negative_correction_on_a_capped_day_takes_back_only_what_the_cap_let_through(
    member, tree
):
    PointRule.objects.create(
        area=tree["city"], event=PointEvent.SERVICE_HOUR, points=1, daily_cap=8
    )
    original = make_service_record(member, hours="10", day=DAY)
    award_points()
    make_service_record(member, hours="-2", day=DAY, corrects=original)

    award_points()

    correction = PointEntry.objects.order_by("-id").first()
    assert correction.points == Decimal("0.00")
    assert balance_of(member=member) == Decimal("8.00")


def test_a_negative_correction_larger_than_the_balance_is_clamped_at_zero(member):
    original = make_service_record(member, hours="3", day=DAY)
    award_points()
    PointAccount.objects.filter(member=member).update(balance=Decimal("1.00"))  # spent the rest
    make_service_record(member, hours="-3", day=DAY, corrects=original)

    award_points()

    correction = PointEntry.objects.order_by("-id").first()
    assert correction.points == Decimal("-1.00")
    assert correction.details == {"clamped_from": "-3.00"}
    with translation.override("en"):
        assert "below zero" in " ".join(correction.explanation())
    assert balance_of(member=member) == Decimal("0.00")


# -- rules ----------------------------------------------------------------------------------


def test_an_area_rule_changes_the_points_per_hour(member, tree):
    PointRule.objects.create(area=tree["street1"], event=PointEvent.SERVICE_HOUR, points=2)
    make_service_record(member, hours="1.5")

    award_points()

    assert balance_of(member=member) == Decimal("3.00")


def test_a_rule_of_another_branch_does_not_apply(member, tree):
    PointRule.objects.create(area=tree["street2"], event=PointEvent.SERVICE_HOUR, points=2)
    make_service_record(member, hours="1")

    award_points()

    assert balance_of(member=member) == Decimal("1.00")


def test_an_enrollment_uses_the_rule_of_its_year(member, tree):
    PointRule.objects.create(
        area=tree["a"], event=PointEvent.ENROLLMENT_CONFIRMED, points=7, year=2027
    )
    confirmed_enrollment(member=member, community=tree["a"], year=2027)

    award_points()

    assert balance_of(member=member) == Decimal("7.00")


def test_a_rule_of_zero_points_books_a_zero_entry_so_the_record_is_not_read_again(member, tree):
    PointRule.objects.create(area=tree["city"], event=PointEvent.SERVICE_HOUR, points=0)
    make_service_record(member, hours="2")

    assert award_points()["service_hour"] == 1
    assert PointEntry.objects.get().points == Decimal("0.00")
    assert award_points() == ZERO


def test_points_are_booked_to_the_community_of_the_record(tree):
    member = make_party_member(tree["a"])
    make_service_record(member, hours="1", community=tree["c"])

    award_points()

    assert PointEntry.objects.get().community == tree["c"]
