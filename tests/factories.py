"""factory-boy factories. Areas hang off one city tree so that scoping tests are realistic."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from portal.models import Area, Role, RoleAssignment, User
from resources.models import (
    BudgetLine,
    Channel,
    Need,
    NeedCategory,
    Project,
    ProjectTask,
    Resource,
)

_codes = itertools.count(1)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    code = factory.LazyFunction(lambda: f"T{next(_codes):06d}")
    name = factory.Sequence(lambda n: f"Area {n}")
    level = Area.Level.CITY
    parent = None


def make_tree() -> dict[str, Area]:
    """city → district → 2 streets → community A (street 1), B (street 2), C (street 1) → grids."""
    city = AreaFactory(level=Area.Level.CITY, name="City")
    district = AreaFactory(level=Area.Level.DISTRICT, parent=city, name="District")
    street1 = AreaFactory(level=Area.Level.STREET, parent=district, name="Street 1")
    street2 = AreaFactory(level=Area.Level.STREET, parent=district, name="Street 2")
    a = AreaFactory(level=Area.Level.COMMUNITY, parent=street1, name="Community A")
    b = AreaFactory(level=Area.Level.COMMUNITY, parent=street2, name="Community B")
    c = AreaFactory(level=Area.Level.COMMUNITY, parent=street1, name="Community C")
    grid_a = AreaFactory(level=Area.Level.GRID, parent=a, name="Grid A1")
    grid_b = AreaFactory(level=Area.Level.GRID, parent=b, name="Grid B1")
    return {
        "city": city,
        "district": district,
        "street1": street1,
        "street2": street2,
        "a": a,
        "b": b,
        "c": c,
        "grid_a": grid_a,
        "grid_b": grid_b,
    }


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"用户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(role: str, area: Area, **kwargs) -> User:
    user = UserFactory(**kwargs)
    RoleAssignment.objects.create(user=user, role=role, area=area)
    return user


def category(code: str = "elderly_care") -> NeedCategory:
    obj, _ = NeedCategory.objects.get_or_create(code=code, defaults={"name": code})
    return obj


class NeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Need

    tracking_number = factory.Sequence(lambda n: f"BDT{n:08d}")
    title = factory.Sequence(lambda n: f"Need {n}")
    description = "Help needed with weekly shopping."
    category = factory.LazyFunction(category)
    channel = Channel.ONLINE
    requester_name = "张阿姨"
    requester_phone = "13812345678"
    submitted_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.submitted_at + timedelta(hours=24))
    community = None


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Resource {n}")
    provider_type = Resource.ProviderType.UNIT
    provider_name = "区图书馆"
    kind = Resource.Kind.VENUE
    capacity = 2
    contact_name = "李老师"
    contact_phone = "13900001111"

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):
        if create:
            obj.categories.set(extracted or [category()])


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"Project {n}")
    planned_start = factory.LazyFunction(lambda: date.today() - timedelta(days=10))
    planned_end = factory.LazyFunction(lambda: date.today() + timedelta(days=30))
    contingency_rate = Decimal("0.10")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectTask

    title = factory.Sequence(lambda n: f"Task {n}")
    owner_name = "王主任"
    start_date = factory.LazyFunction(lambda: date.today() - timedelta(days=5))
    due_date = factory.LazyFunction(lambda: date.today() + timedelta(days=5))


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    item = "Materials"
    amount = Decimal("1000.00")


ROLES = [r.value for r in Role]


# -- points and rewards (evaluation) ------------------------------------------------------------

_unit_codes = itertools.count(1)


def unit_credit_code() -> str:
    """A fresh unified social credit code with a correct check character."""
    from reporting.models import uscc_check_character

    first17 = f"91330000{next(_unit_codes):09d}"
    return first17 + uscc_check_character(first17)


def make_party_member(community: Area, **user_kwargs):
    """A user with the member role in ``community`` and their PartyMember profile."""
    from reporting.models import PartyMember

    user = user_with_role(Role.MEMBER, community, **user_kwargs)
    return PartyMember.objects.create(
        user=user, party_organisation="第一党支部", home_community=community
    )


def make_resident_unit(community: Area, contact: User | None = None, name: str = "区图书馆"):
    """A resident unit of ``community``; its contact holds the unit-admin role there."""
    from reporting.models import ResidentUnit

    if contact is None:
        contact = user_with_role(Role.UNIT_ADMIN, community)
    return ResidentUnit.objects.create(
        name=name,
        unit_type=ResidentUnit.UnitType.SCHOOL,
        credit_code=unit_credit_code(),
        address="幸福路 1 号",
        community=community,
        contact=contact,
    )


def make_service_record(member, *, hours="2", day: date | None = None, corrects=None, **kwargs):
    """A verified service record (or, with ``corrects``, a correction carrying a difference)."""
    from datetime import datetime, time

    from reporting.models import ServiceRecord

    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.combine(day, time(9)))
    return ServiceRecord.objects.create(
        member=member,
        community=kwargs.pop("community", member.home_community),
        organisation="社区",
        place="活动室",
        service_date=day,
        started_at=start,
        ended_at=start + timedelta(hours=float(abs(Decimal(hours)))),
        hours=Decimal(hours),
        confirmed_by=kwargs.pop("confirmed_by", None) or UserFactory(),
        corrects=corrects,
        reason="更正" if corrects else "",
        **kwargs,
    )


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "evaluation.Reward"

    name = factory.Sequence(lambda n: f"Reward {n}")
    description = "A thermos flask."
    points_cost = Decimal("10.00")
    stock = 5
