"""Demo data for points and the volunteer-service shop (志愿服务超市), through the real services.

Run by ``seed_demo`` after the city and its reporting data exist: a few point rules set by the
demo officials, the nightly award over the demo records, a catalogue in every community's shop
(added by that community's worker), and some redemptions in the first community: waiting to be
handed over, handed over and cancelled. Safe to run again: once the first community's shop has
rewards nothing is created and no audit event is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from evaluation.models import PointEvent, PointRule, Redemption, Reward
from evaluation.selectors import balance_of
from evaluation.services.points import award_points
from evaluation.services.rewards import (
    cancel_redemption,
    confirm_redemption,
    create_reward,
    request_redemption,
)
from evaluation.services.rules import set_point_rule
from portal.models import Area, Role, RoleAssignment, User
from reporting.models import PartyMember

CITY_CODE, FIRST_DISTRICT, FIRST_COMMUNITY = "3390", "339001", "339001001001"
DEMO_MEMBER = "member"

# fmt: off
# name, description, points, stock
CATALOGUE = (
    ("环保购物袋", "可折叠帆布袋，印有社区志愿服务标识。", "5", 40),
    ("理发券", "社区便民理发点通用，一次。", "8", 20),
    ("晴雨伞", "自动开合，适合老人使用的长柄伞。", "12", 15),
    ("保温杯", "500 毫升不锈钢保温杯。", "20", 10),
    ("米面油礼包", "大米 5 公斤、面粉 2.5 公斤、食用油 1.8 升。", "40", 6),
)
# fmt: on


@dataclass
class PointsDemoResult:
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


def points_demo_exists() -> bool:
    """Has the first community's shop been stocked already?"""
    return Reward.objects.filter(community__code=FIRST_COMMUNITY).exists()


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _rules(now: datetime) -> None:
    city = Area.objects.filter(code=CITY_CODE).first()
    district = Area.objects.filter(code=FIRST_DISTRICT).first()
    city_admin, official = _user("city"), _user("district")
    if city is not None and city_admin is not None:
        if not PointRule.objects.filter(area=city, event=PointEvent.SERVICE_HOUR).exists():
            set_point_rule(
                area=city, event=PointEvent.SERVICE_HOUR, points="1", daily_cap="8", by=city_admin
            )
    if district is not None and official is not None:
        if not PointRule.objects.filter(area=district, event=PointEvent.RATING_FIVE_STAR).exists():
            set_point_rule(
                area=district,
                event=PointEvent.RATING_FIVE_STAR,
                points="2",
                year=now.year,
                by=official,
            )


def _catalogues(city: Area) -> int:
    workers: dict[int, int] = {}
    assignments = RoleAssignment.objects.filter(
        role=Role.COMMUNITY_WORKER,
        area__level=Area.Level.COMMUNITY,
        area__path__startswith=city.path,
    ).order_by("area__code", "user_id")
    for area_id, user_id in assignments.values_list("area_id", "user_id"):
        workers.setdefault(area_id, user_id)  # the community's first worker stocks its shop
    users = User.objects.in_bulk(set(workers.values()))
    created = 0
    for community in Area.objects.filter(pk__in=workers).order_by("code"):
        for name, description, points, stock in CATALOGUE:
            create_reward(
                community=community,
                name=name,
                description=description,
                points_cost=points,
                stock=stock,
                by=users[workers[community.pk]],
            )
            created += 1
    return created


def _redemptions(now: datetime) -> int:
    first = Area.objects.filter(code=FIRST_COMMUNITY).first()
    worker = _user("worker")
    if first is None or worker is None:
        return 0
    rewards = list(Reward.objects.filter(community=first).order_by("points_cost"))
    members = sorted(
        PartyMember.objects.filter(home_community=first).select_related("user"),
        key=lambda m: (m.user.username != DEMO_MEMBER, m.pk),
    )
    made: list[Redemption] = []
    for n, member in enumerate(members[:6]):
        balance = balance_of(member=member)
        affordable = [r for r in rewards if r.points_cost <= balance]
        if not affordable:
            continue
        reward = affordable[-1] if n % 2 else affordable[0]
        made.append(
            request_redemption(
                reward=reward,
                member=member,
                by=member.user,
                idempotency_key=f"demo-{member.pk}-{reward.pk}",
                now=now,
            )
        )
    # The demo member's request waits for the worker; of the others, some were handed over
    # and one was cancelled because the member could not come.
    for n, redemption in enumerate(made[1:]):
        if n == 1:
            cancel_redemption(
                redemption=redemption, by=worker, reason="本人出差，无法到场领取。", now=now
            )
        else:
            confirm_redemption(redemption=redemption, by=worker, now=now)
    return len(made)


def seed_points_demo(*, now: datetime | None = None) -> PointsDemoResult:
    """Rules, the award of points, the shops and some redemptions, once."""
    now = now or timezone.now()
    city = Area.objects.filter(code=CITY_CODE).first()
    if city is None or points_demo_exists():
        return PointsDemoResult(created=False)
    with transaction.atomic():
        _rules(now)
        awarded = award_points(until=now)
        rewards = _catalogues(city)
        redemptions = _redemptions(now)
    booked = sum(n for key, n in awarded.items() if key != "skipped")
    return PointsDemoResult(
        created=True,
        counts={"points entries": booked, "rewards": rewards, "redemptions": redemptions},
    )
