"""KPI dashboards: figures read from the roll-ups versus computed from the raw records.

Builds, with PostgreSQL COPY, a city of 10 districts × 10 streets × 10 communities (1,000
communities), members enrolled in them, a year of activities and 10 million check-ins (each
confirmed check-in with its service record), plus needs, resources and match proposals. It
rolls up the days of one month, then times the city's KPI figures for that month — the city
and its districts, and the top and bottom communities — two ways:

  roll-ups  evaluation.selectors_kpi.area_rows + period_figures over KpiDaily (what the
            /kpi/ pages run)
  raw       evaluation.kpi.extract.extract_range over the month in one pass (flows over the
            month, stocks at its end), summed to the same areas: the fastest way to get the
            same figures without roll-ups

and prints both, their ratio and what the roll-up of one day costs (the nightly job).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/kpi.py
    DATABASE_URL=... .venv/bin/python benchmarks/kpi.py --checkins 1000000 --keep

It creates (and, unless --keep, drops) its own database ``baodao_bench`` next to the one named,
so it never touches the test database.

Measured on the development container (PostgreSQL 15 in the same box), 10,000,000 check-ins:
data generated in 634 s; roll-up 3.97 s a day (median, 31 days); the month's figures
82 ms from roll-ups against 3,520 ms from raw rows (43 ×), the same figures both ways.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import configure, reset_pg_database  # noqa: E402

DB_NAME = "baodao_bench"


class Copier:
    """COPY rows into a model's table: the columns given, every other column its default."""

    def __init__(self, connection):
        self.connection = connection

    def _defaults(self, model, given: set[str]) -> dict[str, object]:
        from django.db import models
        from django.utils import timezone

        now = timezone.now()
        values = {}
        for field in model._meta.concrete_fields:
            if field.attname in given or field.primary_key:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()  # "" for text, None for nullable columns
                if value is None and not field.null:
                    raise ValueError(f"{model.__name__}.{field.name} needs a value")
            if isinstance(field, models.JSONField):
                value = json.dumps(value)
            values[field.column] = value
        return values

    def copy(self, model, columns: list[str], rows, *, every: int = 0, label: str = "") -> int:
        """COPY ``rows`` (tuples in the order of ``columns``, attnames); returns the count."""
        defaults = self._defaults(model, set(columns))
        names = [model._meta.get_field(c).column if c != "id" else "id" for c in columns]
        extra = list(defaults.values())
        sql = (
            f'COPY "{model._meta.db_table}" ('
            + ", ".join(f'"{n}"' for n in names + list(defaults))
            + ") FROM STDIN"
        )
        count = 0
        started = time.perf_counter()
        with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, *extra))
                count += 1
                if every and count % every == 0:
                    rate = count / (time.perf_counter() - started)
                    print(f"  {label}: {count:,} rows ({rate:,.0f}/s)", flush=True)
        with self.connection.cursor() as cursor:
            # The table name comes from the model, never from input.
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
        return count


def _generate(args, copier: Copier, *, month_first: date, today: date) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from portal.models import Area, Role, RoleAssignment, User
    from reporting.models import Activity, CheckIn, Enrollment, PartyMember, ServiceRecord
    from resources.models import Match, Need, NeedCategory, Resource

    tz = timezone.get_current_timezone()
    city = Area.objects.create(code="99", name="Bench city", level=Area.Level.CITY)
    communities: list[Area] = []
    districts: list[Area] = []
    for d in range(args.districts):
        district = Area.objects.create(
            code=f"99{d:02d}", name=f"区{d}", level=Area.Level.DISTRICT, parent=city
        )
        districts.append(district)
        for s in range(args.streets):
            street = Area.objects.create(
                code=f"{district.code}{s:03d}", name=f"街道{d}-{s}", level=Area.Level.STREET,
                parent=district,
            )  # fmt: skip
            Area.objects.bulk_create(
                [
                    Area(
                        code=f"{street.code}{c:03d}",
                        name=f"社区{d}-{s}-{c}",
                        level=Area.Level.COMMUNITY,
                        parent=street,
                        path=f"{street.path}{street.code}{c:03d}/",
                    )
                    for c in range(args.communities)
                ]
            )
    communities = list(Area.objects.filter(level=Area.Level.COMMUNITY).order_by("pk"))
    admin = User.objects.create(username="bench-city", real_name="市管理员", phone="13900000000")
    RoleAssignment.objects.create(user=admin, role=Role.CITY_ADMIN, area=city)
    confirmer = admin

    members_per = args.members
    n_members = len(communities) * members_per
    password = make_password(None)
    year_start = datetime(today.year - 1, today.month, today.day, tzinfo=tz)
    copier.copy(
        User,
        ["id", "username", "real_name", "phone", "password"],
        (
            (10 + i, f"m{i}", f"党员{i}", f"137{i:08d}", password)
            for i in range(n_members)
        ),
    )  # fmt: skip
    copier.copy(
        PartyMember,
        ["id", "user_id", "party_organisation", "home_community_id", "created_at"],
        (
            (1 + i, 10 + i, "党支部", communities[i // members_per].pk, year_start)
            for i in range(n_members)
        ),
    )
    # Nine members in ten enrolled for the current year (confirmed before the month).
    confirmed = datetime(today.year, 1, 2, 9, tzinfo=tz)
    copier.copy(
        Enrollment,
        ["member_id", "community_id", "year", "status", "submitted_at", "confirmed_at"],
        (
            (1 + i, communities[i // members_per].pk, today.year, "active", confirmed, confirmed)
            for i in range(n_members)
            if i % 10
        ),
    )

    # Activities: each member of a community checks in once at each of its activities.
    per_community = max(1, args.checkins // n_members)
    days = 365
    n_activities = len(communities) * per_community

    def activity_start(index: int) -> datetime:
        day_back = days - 1 - (index % per_community) * days // per_community
        return datetime.combine(today - timedelta(days=day_back), datetime.min.time()).replace(
            tzinfo=tz
        ) + timedelta(hours=9)

    copier.copy(
        Activity,
        ["id", "community_id", "title", "venue", "starts_at", "ends_at", "capacity", "organiser_id", "status"],
        (
            (1 + a, communities[a // per_community].pk, "志愿服务", "活动室",
             activity_start(a), activity_start(a) + timedelta(hours=2), members_per, admin.pk, "published")
            for a in range(n_activities)
        ),
    )  # fmt: skip

    print(f"generating {n_activities * members_per:,} check-ins and their service records")
    started = time.perf_counter()

    def checkins():
        for a in range(n_activities):
            start = activity_start(a)
            first_member = (a // per_community) * members_per
            for m in range(members_per):
                status = "voided" if (a + m) % 50 == 0 else "confirmed"
                yield (
                    1 + a * members_per + m, 1 + a, 1 + first_member + m, "qr", status,
                    start, start + timedelta(hours=2), Decimal("2.00"),
                    start + timedelta(hours=3) if status == "confirmed" else None,
                )  # fmt: skip

    n_checkins = copier.copy(
        CheckIn,
        ["id", "activity_id", "member_id", "method", "status", "checked_in_at", "checked_out_at",
         "hours", "confirmed_at"],
        checkins(),
        every=1_000_000,
        label="check-ins",
    )  # fmt: skip

    def service_records():
        for a in range(n_activities):
            start = activity_start(a)
            community = communities[a // per_community].pk
            first_member = (a // per_community) * members_per
            for m in range(members_per):
                if (a + m) % 50 == 0:
                    continue
                yield (
                    1 + a, 1 + a * members_per + m, 1 + first_member + m, community, "社区",
                    "活动室", start.date(), start, start + timedelta(hours=2), Decimal("2.00"),
                    confirmer.pk,
                )  # fmt: skip

    n_records = copier.copy(
        ServiceRecord,
        ["activity_id", "checkin_id", "member_id", "community_id", "organisation", "place",
         "service_date", "started_at", "ended_at", "hours", "confirmed_by_id"],
        service_records(),
        every=1_000_000,
        label="service records",
    )  # fmt: skip
    generated = time.perf_counter() - started

    # Needs across the year (a few a day per community), resources and proposals.
    category = NeedCategory.objects.get(code="elderly_care")
    needs_per = args.needs

    def needs():
        n = 0
        for community in communities:
            for k in range(needs_per):
                submitted = datetime.combine(
                    today - timedelta(days=1 + k * days // needs_per), datetime.min.time()
                ).replace(tzinfo=tz) + timedelta(hours=8 + k % 10)
                state = k % 5
                accepted = submitted + timedelta(hours=1 + k % 30) if state else None
                resolved = accepted + timedelta(days=3) if state >= 3 else None
                n += 1
                yield (
                    n, f"BK{n:010d}", "需求", "帮助", category.pk,
                    "elderly_alone" if k % 4 == 0 else "general", "online", 2, community.pk,
                    community.pk, "张阿姨", f"138{n % 10**8:08d}",
                    ["submitted", "accepted", "in_progress", "resolved", "evaluated"][state],
                    submitted, submitted + timedelta(hours=24), accepted, resolved,
                    resolved + timedelta(days=1) if state == 4 else None,
                    (4 + k % 2) if state == 4 else None,
                )  # fmt: skip

    n_needs = copier.copy(
        Need,
        ["id", "tracking_number", "title", "description", "category_id", "target_group",
         "channel", "urgency", "community_id", "area_id", "requester_name", "requester_phone",
         "status", "submitted_at", "due_at", "accepted_at", "resolved_at", "evaluated_at",
         "rating"],
        needs(),
    )  # fmt: skip
    copier.copy(
        Resource,
        ["id", "name", "provider_type", "provider_name", "kind", "capacity", "area_id", "status",
         "created_at"],
        (
            (1 + i, f"资源{i}", "community", "社区", "service", 5, communities[i // 5].pk,
             "available", year_start)
            for i in range(len(communities) * 5)
        ),
    )  # fmt: skip
    copier.copy(
        Match,
        ["need_id", "resource_id", "score", "status", "proposed_at", "decided_at"],
        (
            (n, 1 + ((n - 1) // needs_per) * 5, 500, "accepted" if n % 3 else "proposed",
             year_start + timedelta(days=n % 300), year_start + timedelta(days=n % 300, hours=2)
             if n % 3 else None)
            for n in range(1, n_needs + 1, 2)
        ),
    )  # fmt: skip
    print(
        f"generated {len(communities):,} communities, {n_members:,} members, "
        f"{n_activities:,} activities, {n_checkins:,} check-ins, {n_records:,} service records "
        f"(in {generated:.0f} s), {n_needs:,} needs"
    )
    return {"city": city, "districts": districts, "user": admin, "checkins": n_checkins}


def _analyze(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _median(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkins", type=int, default=10_000_000)
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--streets", type=int, default=10, help="per district")
    parser.add_argument("--communities", type=int, default=10, help="per street")
    parser.add_argument("--members", type=int, default=20, help="per community")
    parser.add_argument("--needs", type=int, default=200, help="per community, over the year")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    configure(
        args,
        db_name=DB_NAME,
        postgres_only="benchmarks/kpi.py needs PostgreSQL (COPY): set DATABASE_URL=postgres://...",
    )
    reset_pg_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from evaluation.kpi.definitions import KPI_BY_CODE, Parts, sum_parts, value_of
    from evaluation.kpi.extract import extract_range
    from evaluation.kpi.periods import month_of
    from evaluation.models import KpiDaily
    from evaluation.selectors_kpi import area_rows
    from evaluation.selectors_kpi_charts import top_and_bottom
    from evaluation.services.kpi import rollup_kpis
    from portal.models import Area

    try:
        call_command("migrate", verbosity=0)
        today = timezone.localdate()
        month = month_of(today.replace(day=1) - timedelta(days=1))  # last full month
        started = time.perf_counter()
        world = _generate(args, Copier(connection), month_first=month.start, today=today)
        _analyze(connection)
        print(f"data ready in {time.perf_counter() - started:.0f} s")

        day_times = []
        day = month.start
        while day <= month.end:
            t0 = time.perf_counter()
            rollup_kpis(day=day)
            day_times.append(time.perf_counter() - t0)
            day += timedelta(days=1)
        _analyze(connection)
        print(
            f"rolled up {len(day_times)} days ({month.label}): median {statistics.median(day_times):.2f} s "
            f"a day, {sum(day_times):.0f} s in all; {KpiDaily.objects.count():,} roll-up rows"
        )

        user, city, districts = world["user"], world["city"], world["districts"]
        areas = [city, *districts]
        spec = KPI_BY_CODE["member_participation"]

        def from_rollups():
            rows = area_rows(user=user, areas=areas, period=month, today=today, live=None)
            ranked = top_and_bottom(
                user=user, area=city, spec=spec, period=month, today=today, live=None
            )
            return {r.area.pk: {f.code: f.value for f in r.figures} for r in rows}, ranked

        def from_raw():
            parts = extract_range(month.start, month.end, under=city.path)
            paths = dict(Area.objects.filter(level=Area.Level.COMMUNITY).values_list("pk", "path"))
            figures = {}
            for area in areas:
                mine = [p for cid, p in parts.items() if paths[cid].startswith(area.path)]
                figures[area.pk] = {
                    code: value_of(s, sum_parts(m.get(code, Parts()) for m in mine))
                    for code, s in KPI_BY_CODE.items()
                }
            ranked = sorted(
                (value_of(spec, p.get(spec.code, Parts())), cid) for cid, p in parts.items()
            )
            return figures, ranked

        rollup_time, (rolled, _ranked) = _median(from_rollups, args.repeat)
        raw_time, (raw, _raw_ranked) = _median(from_raw, max(1, args.repeat // 2))
        mismatched = [
            (area_id, code)
            for area_id, values in rolled.items()
            for code, value in values.items()
            if value != raw[area_id][code]
        ]
        communities = Area.objects.filter(level=Area.Level.COMMUNITY).count()
        print(
            f"KPIs of the city and its {len(districts)} districts, and the top and bottom of "
            f"{communities:,} communities, {month.label}:"
        )
        print(f"  from roll-ups: {rollup_time * 1000:8.1f} ms")
        print(f"  from raw rows: {raw_time * 1000:8.1f} ms")
        print(f"  ratio:         {raw_time / rollup_time:8.1f} ×")
        print(f"  figures equal: {'yes' if not mismatched else f'no, {mismatched[:5]}'}")
    finally:
        connection.close()
        if not args.keep:
            reset_pg_database(args, drop_only=True)


if __name__ == "__main__":
    main()
