"""Demo data for reporting to the community (报到), built through ``reporting.services``.

Called by ``portal.demo.seed_demo`` after the city, its staff and the three lists exist, or on
its own for a database seeded before reporting landed. Party members, resident units,
enrollments, activities, sign-ups, check-ins, service records and a certificate all go through
the real services, so their audit trail is the real one; times are backdated with ``now=``
where a service takes it. Two things no service can do are written directly, each with the
audit event the service would have written:

* the ``member`` demo account already exists, so its party member record is created here
  (``register_member`` would create a new account);
* sign-ups to activities that have already ended (``sign_up`` refuses them), with their
  ``created_at`` backdated.

Its own ``random.Random`` keeps the data the same from one fresh database to the next without
disturbing the draws of ``portal.demo``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from portal import audit
from portal.models import Area, Role, RoleAssignment, User
from reporting import tokens
from reporting.models import (
    USCC_ALPHABET,
    Activity,
    CheckIn,
    Enrollment,
    PartyMember,
    ResidentUnit,
    ServiceRecord,
    Signup,
    uscc_check_character,
)
from reporting.services import activities, certificates, checkin, enrollment, roster
from resources.models import AvailabilitySlot, NeedCategory, ResourceKind

SEED = 20240701
DEMO_MEMBER, DEMO_UNIT = "member", "unit"

# fmt: off
# (party organisation, workplace)
ORGANISATIONS = (
    ("清川市第一人民医院党委第二支部", "清川市第一人民医院"),
    ("清川市第一人民医院党委护理支部", "清川市第一人民医院"),
    ("清川市教育局机关党委第一支部", "清川市教育局"),
    ("清川市第二中学党总支教工第一支部", "清川市第二中学"),
    ("国网清川供电公司党委运检支部", "国网清川供电公司"),
    ("工商银行清川分行党委营业部支部", "工商银行清川分行"),
    ("清川远航科技有限公司党支部", "清川远航科技有限公司"),
    ("湖滨区人民法院机关党委第二支部", "湖滨区人民法院"),
    ("国家税务总局清川市税务局第一税务分局党支部", "清川市税务局第一税务分局"),
    ("清川日报社党委编辑部支部", "清川日报社"),
    ("清川市中医院党委医技支部", "清川市中医院"),
    ("西岭区城市管理局机关党支部", "西岭区城市管理局"),
    ("清川明德律师事务所党支部", "清川明德律师事务所"),
    ("清川地铁集团运营分公司党委第三支部", "清川地铁集团运营分公司"),
)
SKILLS = (
    "会测血压血糖，能讲慢病用药常识", "中小学数学辅导", "水电维修，持电工证", "法律咨询，擅长婚姻家事",
    "会拍照和剪辑视频", "心理咨询师二级", "智能手机使用教学", "书法和国画", "会开车，可接送老人就医",
    "垃圾分类宣讲", "急救培训导师", "英语口语辅导",
)
# name, type, USCC registration code (first two characters), agreement lines
# ((resource name, kind, category codes, capacity), ...)
U, K = ResidentUnit.UnitType, ResourceKind
UNITS = (
    ("清川市第一人民医院", U.HOSPITAL, "12", (("每月社区义诊", K.SERVICE, ("health", "elderly_care"), 40),)),
    ("清川市第二中学", U.SCHOOL, "12", (("操场周末开放", K.VENUE, ("culture_sports", "child_care"), 150),
                                      ("教师志愿辅导队", K.VOLUNTEER_TEAM, ("education",), 8))),
    ("国网清川供电公司柳浪供电所", U.STATE_ENTERPRISE, "91", (("安全用电上门检查", K.SERVICE, ("safety",), 10),)),
    ("工商银行清川分行柳浪支行", U.STATE_ENTERPRISE, "91", (("反诈宣讲进楼道", K.SERVICE, ("safety", "legal_aid"), 60),)),
    ("清川远航科技有限公司", U.PRIVATE_COMPANY, "91", (("共建专项资金", K.FUNDS, ("accessibility", "child_care"), 1),
                                                  ("员工志愿服务队", K.VOLUNTEER_TEAM, ("elderly_care",), 15))),
    ("湖滨区人民法院", U.GOVERNMENT, "11", (("法官进社区普法", K.SERVICE, ("legal_aid", "neighbour_disputes"), 30),)),
    ("清川市税务局第一税务分局", U.GOVERNMENT, "11", (("会议室周末开放", K.VENUE, ("education",), 40),)),
    ("清川日报社", U.STATE_ENTERPRISE, "12", (("社区新闻摄影培训", K.SKILL, ("culture_sports",), 20),)),
    ("清川市中医院", U.HOSPITAL, "12", (("中医推拿义诊", K.SERVICE, ("health",), 30),)),
    ("西岭区城市管理局", U.GOVERNMENT, "11", (("环境整治志愿队", K.VOLUNTEER_TEAM, ("sanitation",), 12),)),
    ("清川明德律师事务所", U.PRIVATE_COMPANY, "31", (("公益法律咨询", K.SKILL, ("legal_aid",), 6),)),
    ("清川地铁集团运营分公司", U.STATE_ENTERPRISE, "91", (("文明出行宣传", K.SERVICE, ("parking_traffic",), 20),)),
    ("阳光社会工作服务中心", U.SOCIAL_ORGANISATION, "52", (("独居老人个案服务", K.SERVICE, ("elderly_care", "health"), 8),)),
    ("清川巾帼家政服务中心", U.SOCIAL_ORGANISATION, "52", (("家政技能培训", K.SERVICE, ("housekeeping", "employment"), 25),)),
    ("联华超市桂山店", U.PRIVATE_COMPANY, "91", (("爱心米面油", K.DONATION, ("meal_assistance",), 30),)),
    ("农业银行清川松涛支行", U.STATE_ENTERPRISE, "91", (("助老服务点", K.VENUE, ("elderly_care",), 15),)),
    ("清川市第三小学", U.SCHOOL, "12", (("四点半课堂教室", K.VENUE, ("child_care", "education"), 35),)),
    ("清川市政建设集团", U.STATE_ENTERPRISE, "91", (("无障碍设施改造", K.SERVICE, ("accessibility",), 3),)),
    ("清川市老年大学", U.SCHOOL, "12", (("智能手机课堂", K.SERVICE, ("education", "elderly_care"), 30),)),
    ("清川市慈善总会松涛分会", U.SOCIAL_ORGANISATION, "51", (("困难家庭慰问物资", K.DONATION, ("elderly_care", "employment"), 20),)),
)
# title, category code, venue (in the community), hours
ACTIVITIES = (
    ("楼道堆物清理志愿行动", "sanitation", "小区中心广场集合", 2),
    ("独居老人走访慰问", "elderly_care", "社区党群服务中心", 3),
    ("垃圾分类定时定点督导", "sanitation", "小区北门垃圾投放点", 2),
    ("社区义诊与健康咨询", "health", "社区卫生服务站", 3),
    ("老年人智能手机课堂", "education", "党群服务中心多功能活动室", 2),
    ("四点半课堂作业辅导", "education", "党群服务中心二楼教室", 2),
    ("防范电信诈骗宣讲", "safety", "社区文化家园", 2),
    ("长者食堂助餐配送", "meal_assistance", "社区长者食堂", 2),
    ("文明停车劝导", "parking_traffic", "小区东门", 2),
    ("邻里矛盾调解日", "neighbour_disputes", "社区调解室", 3),
    ("口袋公园义务植绿", "culture_sports", "小区口袋公园", 3),
    ("夜间平安巡逻", "safety", "社区警务室集合", 2),
)
RETURN_REASONS = (
    "服务意向只填了类别，请补充可服务时间和特长后重新提交。",
    "所在党组织名称与组织关系不符，请核对后重新提交。",
    "共建协议中的资源数量与单位盖章材料不一致，请修改后重新提交。",
)
CORRECTION_REASON = "签退时手机没电，按现场签到表更正：提前半小时离开。"
# fmt: on

# Main-year outcomes for the members and units of the city (the demo accounts come on top).
MEMBER_PLAN = ["active"] * 38 + ["confirmed"] * 10 + ["pending"] * 8 + ["returned"] * 4
UNIT_PLAN = ["active"] * 8 + ["confirmed"] * 6 + ["pending"] * 4 + ["returned"] * 2
MEMBERS_IN_FIRST = 16  # of the 60 above; the rest are spread over the other communities
# (past, upcoming) activities: the other communities, the first community
ACTIVITY_COUNTS = {False: (3, 2), True: (6, 4)}


@dataclass
class _Attendance:
    checkin: CheckIn
    flagged: bool


def reporting_demo_exists() -> bool:
    return PartyMember.objects.filter(user__username=DEMO_MEMBER).exists()


def credit_code(rng: random.Random, registration: str, region: str) -> str:
    """A unified social credit code with a correct check character."""
    body = registration + region + "".join(rng.choice(USCC_ALPHABET[:10]) for _i in range(9))
    return body + uscc_check_character(body)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


class ReportingBuilder:
    def __init__(self, now: datetime, communities: list[Area]) -> None:
        from portal.demo import GIVEN_NAMES, SURNAMES

        self.now = now
        self.today = timezone.localdate(now)
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not a secret
        self.surnames, self.given_names = SURNAMES, GIVEN_NAMES
        self.communities = communities
        self.first = communities[0]
        self.staff: dict[tuple[int, str], User] = {}
        for ra in (
            RoleAssignment.objects.filter(
                area__in=communities, role__in=[Role.COMMUNITY_WORKER, Role.COMMUNITY_SECRETARY]
            )
            .select_related("user")
            .order_by("id")
        ):
            self.staff.setdefault((ra.area_id, ra.role), ra.user)
        self.categories = {c.code: c for c in NeedCategory.objects.all()}
        self.members: dict[int, list[PartyMember]] = {c.pk: [] for c in communities}
        self.demo_member: PartyMember | None = None
        self.units: list[ResidentUnit] = []
        self.enrollments: list[Enrollment] = []
        self.activities: list[Activity] = []
        self.attendance: list[_Attendance] = []
        self.certificates = 0
        # The enrollment years the activities fall in (two only around New Year).
        days = [self.today + timedelta(days=d) for d in (-30, 0, 14)]
        self.years = sorted({d.year for d in days})

    def worker(self, community: Area) -> User:
        return self.staff[(community.pk, Role.COMMUNITY_WORKER)]

    def secretary(self, community: Area) -> User:
        return self.staff[(community.pk, Role.COMMUNITY_SECRETARY)]

    def name(self) -> str:
        return self.rng.choice(self.surnames) + self.rng.choice(self.given_names)

    def days_ago(self, low: float, high: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low, high))

    # -- build -----------------------------------------------------------------------
    def build(self) -> dict[str, int]:
        self.build_members()
        self.build_units()
        self.build_enrollments()
        self.build_activities()
        self.build_attendance()
        self.build_certificate()
        return {
            "party members": sum(len(m) for m in self.members.values()),
            "resident units": len(self.units),
            "enrollments": len(self.enrollments),
            "activities": len(self.activities),
            "check-ins": len(self.attendance),
            "service records": ServiceRecord.objects.filter(community__in=self.communities).count(),
            "certificate for the member account": self.certificates,
        }

    def build_members(self) -> None:
        others = self.communities[1:]
        for n in range(len(MEMBER_PLAN)):
            if n < MEMBERS_IN_FIRST:
                community = self.first
            else:
                community = others[(n - MEMBERS_IN_FIRST) % len(others)]
            organisation, workplace = self.rng.choice(ORGANISATIONS)
            member = roster.register_member(
                by=self.worker(community),
                real_name=self.name(),
                phone=f"1365710{n + 1:04d}",
                party_organisation=organisation,
                workplace=workplace,
                community=community,
            )
            self.members[community.pk].append(member)
        # The demo account exists already; register_member would make a second account.
        user = User.objects.get(username=DEMO_MEMBER)
        organisation, workplace = ORGANISATIONS[0]
        self.demo_member = PartyMember.objects.create(
            user=user,
            party_organisation=organisation,
            workplace=workplace,
            home_community=self.first,
        )
        RoleAssignment.objects.get_or_create(user=user, role=Role.MEMBER, area=self.first)
        audit.record(
            action="member.registered",
            actor=self.worker(self.first),
            obj=self.demo_member,
            area=self.first,
            data={"party_organisation": organisation},
        )
        self.members[self.first.pk].insert(0, self.demo_member)

    def build_units(self) -> None:
        others = self.communities[1:]
        demo_unit_user = User.objects.get(username=DEMO_UNIT)
        for n, (name, unit_type, registration, _agreement) in enumerate(UNITS):
            community = self.first if n < 4 else others[(n - 4) % len(others)]
            if n == 0:
                contact = demo_unit_user
            else:
                contact = User(
                    username=f"unit-{n + 1:02d}",
                    real_name=self.name(),
                    phone=f"1365720{n + 1:04d}",
                )
                contact.set_unusable_password()
                contact.save()
            region = community.code[:6]
            self.units.append(
                roster.register_unit(
                    by=self.worker(community),
                    name=name,
                    unit_type=unit_type,
                    credit_code=credit_code(self.rng, registration, region),
                    address=f"{community.parent.name.removesuffix('街道')}路{self.rng.randint(1, 388)}号",
                    community=community,
                    contact=contact,
                )
            )

    # -- enrollments -----------------------------------------------------------------
    def intentions(self) -> dict:
        codes = self.rng.sample(sorted(self.categories), self.rng.randint(1, 3))
        return {
            "categories": codes,
            "skills": self.rng.choice(SKILLS),
            "times": self.rng.sample(AvailabilitySlot.values, self.rng.randint(1, 3)),
        }

    def enrol(self, *, by: User, community: Area, year: int, outcome: str, unit=None) -> None:
        submitted = self.days_ago(35, 100)
        agreement = None
        if unit is not None:
            lines = next(u[3] for u in UNITS if u[0] == unit.name)
            agreement = [
                {"name": name, "kind": kind, "categories": list(codes), "capacity": capacity}
                for name, kind, codes, capacity in lines
            ]
        item = enrollment.submit_enrollment(
            by=by,
            community=community,
            year=year,
            intentions=self.intentions(),
            agreement=agreement,
            unit=unit,
            now=submitted,
        )
        decided = submitted + timedelta(days=self.rng.uniform(0.2, 4))
        if outcome == "returned":
            item = enrollment.return_enrollment(
                enrollment=item,
                by=self.worker(community),
                reason=self.rng.choice(RETURN_REASONS),
                now=decided,
            )
        elif outcome in ("confirmed", "active"):
            item = enrollment.confirm_enrollment(
                enrollment=item, by=self.worker(community), now=decided
            )
            if outcome == "active":
                item = enrollment.activate_enrollment(
                    enrollment=item,
                    by=self.secretary(community),
                    now=decided + timedelta(days=self.rng.uniform(1, 4)),
                )
        self.enrollments.append(item)

    def build_enrollments(self) -> None:
        main = self.today.year
        plan = list(MEMBER_PLAN)
        self.rng.shuffle(plan)
        regular = [m for ms in self.members.values() for m in ms if m != self.demo_member]
        outcomes = {self.demo_member.pk: "active"} | {
            m.pk: outcome for m, outcome in zip(regular, plan, strict=True)
        }
        for member in [self.demo_member, *regular]:
            outcome = outcomes[member.pk]
            community = member.home_community
            for year in self.years:
                if year == main or outcome in ("confirmed", "active"):
                    self.enrol(by=member.user, community=community, year=year, outcome=outcome)
            if self.rng.random() < 0.8 or member == self.demo_member:
                checkin.grant_location_consent(user=member.user, now=self.days_ago(31, 34))
        unit_plan = list(UNIT_PLAN)
        self.rng.shuffle(unit_plan)
        unit_plan[unit_plan.index("confirmed")] = unit_plan[0]
        unit_plan[0] = "confirmed"  # the demo unit's
        for unit, outcome in zip(self.units, unit_plan, strict=True):
            self.enrol(
                by=unit.contact, community=unit.community, year=main, outcome=outcome, unit=unit
            )

    # -- activities and sign-ups -----------------------------------------------------
    def build_activities(self) -> None:
        for index, community in enumerate(self.communities):
            past, upcoming = ACTIVITY_COUNTS[index == 0]
            templates = self.rng.sample(ACTIVITIES, past + upcoming)
            past_days = sorted(self.rng.sample(range(1, 31), past), reverse=True)
            upcoming_days = sorted(self.rng.sample(range(1, 15), upcoming))
            days = [-d for d in past_days] + upcoming_days
            for n, ((title, code, venue, length), offset) in enumerate(
                zip(templates, days, strict=True)
            ):
                day = self.today + timedelta(days=offset)
                starts_at = _at(day, self.rng.choice((9, 14, 19)), self.rng.choice((0, 30)))
                geofence = {}
                if self.rng.random() < 0.5 and community.latitude is not None:
                    geofence = {
                        "geofence_latitude": community.latitude,
                        "geofence_longitude": community.longitude,
                    }
                members = self.enrolled(community, day.year)
                full = index == 0 and offset > 0 and n == len(days) - 1
                activity = activities.create_activity(
                    by=self.worker(community),
                    community=community,
                    title=title,
                    description=f"{community.name}党员志愿服务活动：{title}。请提前十分钟到场签到。",
                    category=self.categories.get(code),
                    venue=f"{community.name.removesuffix('社区')}{venue}",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=length),
                    capacity=max(2, len(members) - 2) if full else self.rng.randint(20, 40),
                    **geofence,
                )
                self.activities.append(activity)
                self.sign_up(activity, members, everyone=full)

    def enrolled(self, community: Area, year: int) -> list[PartyMember]:
        live = {
            e.member_id
            for e in self.enrollments
            if e.member_id
            and e.year == year
            and e.community_id == community.pk
            and e.status in activities.SIGNUP_ENROLLMENT
        }
        return [m for m in self.members[community.pk] if m.pk in live]

    def sign_up(self, activity: Activity, members: list[PartyMember], *, everyone: bool) -> None:
        chosen = [
            m for m in members if m == self.demo_member or everyone or self.rng.random() < 0.7
        ][: activity.capacity]
        if activity.starts_at > self.now:
            for member in chosen:
                activities.sign_up(activity=activity, member=member)
            return
        # The activity has ended, so sign_up would refuse: write what it writes, backdated.
        for member in chosen:
            signup = Signup.objects.create(activity=activity, member=member)
            audit.record(
                action="activity.signed_up",
                actor=member.user,
                obj=signup,
                area=activity.community,
                data={"activity": activity.pk, "backdated": True},
            )
            signed_at = activity.starts_at - timedelta(days=self.rng.uniform(1, 6))
            Signup.objects.filter(pk=signup.pk).update(created_at=signed_at)

    # -- check-in, check-out, confirmation --------------------------------------------
    def build_attendance(self) -> None:
        past = [a for a in self.activities if a.ends_at < self.now]
        proxy_done = False
        for activity in past:
            signups = list(Signup.objects.filter(activity=activity).select_related("member__user"))
            for signup in signups:
                member = signup.member
                if member != self.demo_member and self.rng.random() < 0.15:
                    continue  # did not come
                if not proxy_done and activity.community_id == self.first.pk:
                    self.attendance.append(self.proxy(activity, member))
                    proxy_done = True
                    continue
                self.attendance.append(self.attend(activity, member))
        self.confirm()
        self.correct()

    def attend(self, activity: Activity, member: PartyMember) -> _Attendance:
        capped = member != self.demo_member and self.rng.random() < 0.05
        early = 20 if capped else self.rng.uniform(-10, 10)
        arrived = activity.starts_at - timedelta(minutes=early)
        position = {}
        if activity.has_geofence:
            far = member != self.demo_member and self.rng.random() < 0.1
            spread = 0.015 if far else 0.0008  # about 1.5 km, or under 100 m
            position = {
                "latitude": float(activity.geofence_latitude) + spread,
                "longitude": float(activity.geofence_longitude) + self.rng.uniform(-1, 1) * 0.0005,
            }
        row = checkin.check_in(
            activity=activity,
            member=member,
            token=tokens.token_for(activity, arrived),
            now=arrived,
            device_id=f"demo-{member.pk}",
            **position,
        )
        late = 45 if capped else -self.rng.uniform(10, 30)
        left = activity.ends_at + timedelta(minutes=late)
        row = checkin.check_out(
            activity=activity, member=member, token=tokens.token_for(activity, left), now=left
        )
        return _Attendance(row, flagged=bool(set(row.flags) - {"hours_capped"}))

    def proxy(self, activity: Activity, member: PartyMember) -> _Attendance:
        row = checkin.proxy_checkin(
            activity=activity,
            member=member,
            by=self.worker(activity.community),
            checked_in_at=activity.starts_at,
            checked_out_at=activity.ends_at - timedelta(minutes=15),
            note="手机没带，由组织者代为签到签退。",
        )
        return _Attendance(row, flagged=False)

    def confirm(self) -> None:
        """Organisers confirm most attendance; the latest day and most flags wait for them."""
        yesterday = self.today - timedelta(days=1)
        demo_latest = max(
            (
                i.checkin.checked_in_at
                for i in self.attendance
                if i.checkin.member == self.demo_member
            ),
            default=None,
        )
        for item in self.attendance:
            row, activity = item.checkin, item.checkin.activity
            if row.member == self.demo_member:
                if row.checked_in_at == demo_latest:
                    continue  # the demo member's newest hours await confirmation
            elif timezone.localdate(activity.starts_at) >= yesterday or (
                item.flagged and self.rng.random() < 0.7
            ):
                continue
            at = min(
                row.checked_out_at + timedelta(hours=self.rng.uniform(1, 30)),
                self.now - timedelta(minutes=5),
            )
            item.checkin = checkin.confirm_checkin(checkin=row, by=activity.organiser, now=at)

    def correct(self) -> None:
        """One confirmed attendance in the first community gets its hours corrected."""
        for item in self.attendance:
            row = item.checkin
            if (
                row.status == CheckIn.Status.CONFIRMED
                and row.method == CheckIn.Method.QR
                and row.activity.community_id == self.first.pk
                and row.member != self.demo_member
                and row.hours > Decimal("0.50")
            ):
                item.checkin = checkin.correct_checkin(
                    checkin=row,
                    by=row.activity.organiser,
                    reason=CORRECTION_REASON,
                    hours=row.hours - Decimal("0.50"),
                )
                return

    def build_certificate(self) -> None:
        records = ServiceRecord.objects.filter(member=self.demo_member).order_by("service_date")
        first = records.first()
        if first is None:
            return
        certificates.issue_certificate(
            member=self.demo_member,
            period_start=first.service_date.replace(day=1),
            period_end=self.today,
        )
        self.certificates = 1


def build_reporting_demo(*, now: datetime, city: Area) -> dict[str, int]:
    """Add the reporting demo data to an already seeded city; returns what was created."""
    communities = list(
        Area.objects.filter(path__startswith=city.path, level=Area.Level.COMMUNITY)
        .select_related("parent")
        .order_by("code")
    )
    return ReportingBuilder(now, communities).build()
