"""What does the partner API cost over a bare Django view?

Generates a city with N needs (100 000 by default) in a throw-away database, registers a
partner for one district, then measures requests per second, in one run and in process
(Django's test client, no HTTP server), of

  api   GET /api/v1/needs/?page_size=50   the real endpoint: API key, scope check, throttling
                                          (in the cache), cursor pagination, serializer
  bare  GET /bench/bare-needs/            a plain Django view: the same scoped query, the same
                                          50 rows and fields (masked) as JSON, nothing else

and prints both and their ratio. Rounds alternate between the two so drift hits both alike.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/api.py                 # 100 000 needs
    .venv/bin/python benchmarks/api.py --needs 20000      # SQLite in a temp dir

On PostgreSQL it creates and drops its own database (bench_baodao_api) next to the one named.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import configure, reset_pg_database  # noqa: E402

DB_NAME = "bench_baodao_api"


def _generate(args):
    """A city of districts × streets × communities and ``args.needs`` needs; returns the
    district the partner is registered for."""
    from django.utils import timezone

    from portal.models import Area
    from resources.models import Need, NeedCategory

    city = Area.objects.create(code="99", name="Bench city", level=Area.Level.CITY)
    communities, districts = [], []
    for d in range(args.districts):
        district = Area.objects.create(
            code=f"99{d:02d}", name=f"D{d}", level=Area.Level.DISTRICT, parent=city
        )
        districts.append(district)
        for s in range(args.streets):
            street = Area.objects.create(
                code=f"{district.code}{s:03d}",
                name=f"S{s}",
                level=Area.Level.STREET,
                parent=district,
            )
            for c in range(args.communities):
                communities.append(
                    Area.objects.create(
                        code=f"{street.code}{c:03d}",
                        name=f"C{c}",
                        level=Area.Level.COMMUNITY,
                        parent=street,
                    )
                )
    category = NeedCategory.objects.get_or_create(
        code="elderly_care", defaults={"name": "老年照料"}
    )[0]
    now = timezone.now()
    batch = []
    for i in range(args.needs):
        community = communities[i % len(communities)]
        submitted = now - timedelta(minutes=i)
        batch.append(
            Need(
                tracking_number=f"BB{i:010d}",
                title=f"need {i}",
                description="Help with weekly shopping.",
                category=category,
                channel="online",
                community=community,
                area_id=community.pk,
                requester_name="张阿姨",
                requester_phone="13812345678",
                submitted_at=submitted,
                due_at=submitted + timedelta(hours=24),
            )
        )
        if len(batch) == 5000:
            Need.objects.bulk_create(batch)
            batch = []
    Need.objects.bulk_create(batch)
    return districts[0]


def _bare_urlconf(user):
    """The project's URLs plus one plain view that lists the same 50 needs as JSON, for the
    same service account the partner's key stands for (no authentication, no throttling)."""
    from django.http import JsonResponse
    from django.urls import include, path

    from portal.access import Action, scope
    from portal.models import mask_name, mask_phone
    from resources.models import Need

    fields = (
        "id",
        "tracking_number",
        "title",
        "description",
        "category__code",
        "target_group",
        "channel",
        "urgency",
        "status",
        "community__code",
        "grid__code",
        "requester_name",
        "requester_phone",
        "availability",
        "escalation_level",
        "submitted_at",
        "due_at",
        "accepted_at",
        "matched_at",
        "started_at",
        "resolved_at",
        "evaluated_at",
        "closed_at",
        "close_reason",
        "resolution",
        "rating",
        "updated_at",
    )

    def bare_needs(request):
        rows = list(
            scope(Need.objects.all(), user, Action.NEED_VIEW)
            .order_by("-submitted_at", "-id")
            .values(*fields)[:50]
        )
        for row in rows:
            row["requester_phone"] = mask_phone(row["requester_phone"])
            row["requester_name"] = mask_name(row["requester_name"])
            row["area"] = row["grid__code"] or row["community__code"]
        return JsonResponse({"results": rows})

    module = types.ModuleType("bench_api_urls")
    module.bare_needs = bare_needs
    module.urlpatterns = [
        path("bench/bare-needs/", bare_needs),
        path("", include("portal.urls")),
    ]
    sys.modules[module.__name__] = module
    return module


def _rate(client, url, *, requests: int, **headers) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(url, **headers)
        assert response.status_code == 200, response.content[:300]
    return requests / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--districts", type=int, default=4)
    parser.add_argument("--streets", type=int, default=6, help="per district")
    parser.add_argument("--communities", type=int, default=8, help="per street")
    parser.add_argument("--requests", type=int, default=200, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    configure(args, db_name=DB_NAME)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    if args.pg_admin_url:
        reset_pg_database(args)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from portal.api_clients import register_client
    from portal.models import PartnerScope
    from resources.models import Need

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        district = _generate(args)
        print(
            f"generated {Need.objects.count()} needs in {time.perf_counter() - started:.1f}s "
            f"on {connection.vendor}; cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        client_record, issued = register_client(
            name="Bench partner",
            areas=[district],
            scopes=[PartnerScope.NEEDS_READ],
            rate_per_minute=10_000_000,
            by=None,
        )
        settings.ROOT_URLCONF = _bare_urlconf(client_record.user).__name__
        setup_test_environment()
        settings.DEBUG = False
        http = Client()

        api_url, bare_url = "/api/v1/needs/?page_size=50", "/bench/bare-needs/"
        auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.key}"}
        api_rows = len(http.get(api_url, **auth).json()["results"])
        bare_rows = len(http.get(bare_url).json()["results"])
        assert api_rows == bare_rows == 50, (api_rows, bare_rows)
        in_reach = Need.objects.filter(area__path__startswith=district.path).count()
        print(f"partner reaches {in_reach} needs; page of {api_rows}")

        _rate(http, api_url, requests=20, **auth)  # warm up
        _rate(http, bare_url, requests=20)
        api_rates, bare_rates = [], []
        for _ in range(args.rounds):
            api_rates.append(_rate(http, api_url, requests=args.requests, **auth))
            bare_rates.append(_rate(http, bare_url, requests=args.requests))
        api, bare = statistics.median(api_rates), statistics.median(bare_rates)
        print(f"\n{'endpoint':<34}{'req/s (median of rounds)':>26}")
        print(f"{'api  GET /api/v1/needs/ (50)':<34}{api:>26.1f}")
        print(f"{'bare Django view, same 50 rows':<34}{bare:>26.1f}")
        print(
            f"\nAPI / bare = {api / bare:.2f}  (the API serves {api / bare:.0%} of the bare rate)"
        )
    finally:
        if args.pg_admin_url:
            django.db.connections.close_all()
            reset_pg_database(args, drop_only=True)


if __name__ == "__main__":
    main()
