"""How long does one check-in take, and how heavy is the check-in page?

Creates a community, N enrolled members and a running activity in a throw-away database,
then, for each member, opens the check-in page with the Django test client and times the
one-tap check-in POST (service, audit event, redirect). Prints the median and the spread,
and the bytes a phone downloads for the page (HTML + CSS + JS). Not a test: it asserts nothing.

    python benchmarks/bench_checkin.py                    # SQLite file in a temp dir
    DATABASE_URL=postgres://... python benchmarks/bench_checkin.py --members 20

On PostgreSQL it creates and drops its own database (bench_baodao) next to the one named.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchdb import configure, reset_pg_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=21)
    args = parser.parse_args()
    configure(args, db_name="bench_baodao")
    if args.pg_admin_url:
        reset_pg_database(args)

    import django

    django.setup()
    from django.contrib.staticfiles import finders
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from portal.models import Area, Role, RoleAssignment, User
    from reporting import tokens
    from reporting.models import Activity, CheckIn, Enrollment, PartyMember

    call_command("migrate", verbosity=0)
    city = Area.objects.create(code="99", name="Bench city", level=Area.Level.CITY)
    district = Area.objects.create(code="9901", name="D", level=Area.Level.DISTRICT, parent=city)
    street = Area.objects.create(code="9901001", name="S", level=Area.Level.STREET, parent=district)
    community = Area.objects.create(
        code="9901001001", name="C", level=Area.Level.COMMUNITY, parent=street
    )
    organiser = User.objects.create(username="bench-organiser")
    RoleAssignment.objects.create(user=organiser, role=Role.COMMUNITY_WORKER, area=community)
    now = timezone.now()
    activity = Activity.objects.create(
        community=community,
        title="Bench activity",
        venue="Hall",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=2),
        capacity=1000,
        organiser=organiser,
    )
    members = []
    for n in range(args.members):
        user = User.objects.create(username=f"bench-member-{n}", real_name=f"成员{n}")
        RoleAssignment.objects.create(user=user, role=Role.MEMBER, area=community)
        member = PartyMember.objects.create(
            user=user, party_organisation="Branch", home_community=community
        )
        Enrollment.objects.create(
            member=member,
            community=community,
            year=timezone.localdate(activity.starts_at).year,
            status="confirmed",
            submitted_at=now,
        )
        members.append(member)

    post_ms, page_bytes = [], 0
    for member in members:
        client = Client(HTTP_HOST="localhost")
        client.force_login(member.user)
        url = tokens.checkin_url(activity, timezone.now())
        page = client.get(url)
        page_bytes = len(page.content)
        key = re.search(rb'name="key" value="([0-9a-f]+)"', page.content).group(1).decode()
        start = time.perf_counter()
        response = client.post(url, {"action": "in", "key": key})
        post_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.status_code
    # The first request warms caches and connections; leave it out.
    samples = post_ms[1:] if len(post_ms) > 1 else post_ms
    css = finders.find("css/app.css")
    css_bytes = Path(css).stat().st_size
    print(f"database: {connection.vendor}; check-ins recorded: {CheckIn.objects.count()}")
    print(
        f"check-in POST: median {statistics.median(samples):.1f} ms, "
        f"min {min(samples):.1f} ms, max {max(samples):.1f} ms over {len(samples)} requests"
    )
    print(
        f"check-in page: HTML {page_bytes} B + CSS {css_bytes} B + JS 0 B "
        f"= {page_bytes + css_bytes} B (uncompressed)"
    )
    connection.close()
    if args.pg_admin_url:
        reset_pg_database(args, drop_only=True)


if __name__ == "__main__":
    main()
