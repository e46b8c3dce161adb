"""How fast is the one scoping rule on a city-sized dataset?

Generates a city (districts × streets × communities × grids) and N needs in a throw-away
database, then times `portal.access.scope` for a community worker, a street officer and a
district official (count + first page), against the naive alternative of walking the tree
level by level and filtering by a list of area ids. Prints figures and ratios.

    python benchmarks/bench_scope.py                 # SQLite file in a temp dir
    DATABASE_URL=postgres://... python benchmarks/bench_scope.py --needs 200000

On PostgreSQL it creates and drops its own database (bench_baodao) next to the one named.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import configure, reset_pg_database  # noqa: E402


def _timeit(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--districts", type=int, default=6)
    parser.add_argument("--streets", type=int, default=8, help="per district")
    parser.add_argument("--communities", type=int, default=10, help="per street")
    parser.add_argument("--grids", type=int, default=4, help="per community")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    configure(args, db_name="bench_baodao")
    if args.pg_admin_url:
        reset_pg_database(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from portal.access import Action, scope
    from portal.models import Area, Role, RoleAssignment, User
    from resources.models import Need, NeedCategory

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    city = Area.objects.create(code="99", name="Bench city", level=Area.Level.CITY)
    communities, grids = [], []
    for d in range(args.districts):
        district = Area.objects.create(
            code=f"99{d:02d}", name=f"D{d}", level=Area.Level.DISTRICT, parent=city
        )
        for s in range(args.streets):
            street = Area.objects.create(
                code=f"{district.code}{s:03d}",
                name=f"S{d}-{s}",
                level=Area.Level.STREET,
                parent=district,
            )
            for c in range(args.communities):
                community = Area.objects.create(
                    code=f"{street.code}{c:03d}",
                    name=f"C{d}-{s}-{c}",
                    level=Area.Level.COMMUNITY,
                    parent=street,
                )
                communities.append(community)
                for g in range(args.grids):
                    grids.append(
                        Area.objects.create(
                            code=f"{community.code}G{g}",
                            name=f"G{g}",
                            level=Area.Level.GRID,
                            parent=community,
                        )
                    )
    category = NeedCategory.objects.get_or_create(
        code="elderly_care", defaults={"name": "老年照料"}
    )[0]
    now = timezone.now()
    batch = []
    for i in range(args.needs):
        community = communities[i % len(communities)]
        grid = grids[(i // len(communities)) % len(grids)] if i % 3 == 0 else None
        if grid is not None and grid.parent_id != community.pk:
            grid = None
        batch.append(
            Need(
                tracking_number=f"BB{i:010d}",
                title=f"need {i}",
                description="-",
                category=category,
                channel="online",
                community=community,
                grid=grid,
                area_id=(grid or community).pk,
                requester_name="x",
                requester_phone="13800000000",
                submitted_at=now - timedelta(minutes=i),
                due_at=now - timedelta(minutes=i) + timedelta(hours=24),
            )
        )
        if len(batch) == 5000:
            Need.objects.bulk_create(batch)
            batch = []
    Need.objects.bulk_create(batch)
    print(
        f"generated {Area.objects.count()} areas, {Need.objects.count()} needs "
        f"in {time.perf_counter() - started:.1f}s on {django.db.connection.vendor}"
    )

    community = communities[len(communities) // 2]
    street = community.parent
    district = street.parent
    users = {}
    for label, role, area in [
        ("community worker", Role.COMMUNITY_WORKER, community),
        ("street officer", Role.STREET_OFFICER, street),
        ("district official", Role.DISTRICT_OFFICIAL, district),
    ]:
        user = User.objects.create(username=f"bench-{role}")
        RoleAssignment.objects.create(user=user, role=role, area=area)
        users[label] = (user, area)

    def naive_ids(area: Area) -> list[int]:
        ids, frontier = [area.pk], [area.pk]
        while frontier:
            frontier = list(
                Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.extend(frontier)
        return ids

    print(
        f"\n{'who':<20}{'rows':>8}{'scope count':>14}{'naive count':>14}{'ratio':>8}{'scope page':>13}"
    )
    for label, (user, area) in users.items():

        def scoped_count(user=user):
            if hasattr(user, "_baodao_assignments"):
                del user._baodao_assignments  # include the role look-up, as a request would
            return scope(Need.objects.all(), user, Action.NEED_VIEW).count()

        def naive_count(area=area):
            return Need.objects.filter(area_id__in=naive_ids(area)).count()

        def scoped_page(user=user):
            if hasattr(user, "_baodao_assignments"):
                del user._baodao_assignments
            return list(
                scope(
                    Need.objects.select_related("category", "community"), user, Action.NEED_VIEW
                ).order_by("-submitted_at")[:25]
            )

        rows = scoped_count()
        assert rows == naive_count(), "scope and the naive walk disagree"
        t_scope = _timeit(scoped_count, args.repeat)
        t_naive = _timeit(naive_count, args.repeat)
        t_page = _timeit(scoped_page, args.repeat)
        print(
            f"{label:<20}{rows:>8}{t_scope:>12.2f}ms{t_naive:>12.2f}ms{t_naive / t_scope:>7.1f}x{t_page:>11.2f}ms"
        )

    if args.pg_admin_url:
        django.db.connections.close_all()
        reset_pg_database(args, drop_only=True)


if __name__ == "__main__":
    main()
