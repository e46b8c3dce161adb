"""Recompute the KPI roll-ups of a date range from the raw records.

    python manage.py rebuild_kpis --from 2026-01-01 --to 2026-03-31
    python manage.py rebuild_kpis --from 2026-03-01 --to 2026-03-31 --area 310101001

Each day is replaced as a whole (idempotent); upper areas are summed again from their
communities. Today is never stored: the dashboards compute it live.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evaluation.services.kpi import rebuild_kpis
from portal.errors import DomainError
from portal.models import Area


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "Recompute KPI roll-ups for every day in a range (inclusive)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", help="Last day (default: yesterday).")
        parser.add_argument("--area", help="Only the communities under this area code.")

    def handle(self, *args, start: str, end: str | None, area: str | None, **options):
        first = _day(start)
        last = _day(end) if end else timezone.localdate() - timedelta(days=1)
        areas = None
        if area:
            areas = list(Area.objects.filter(code=area))
            if not areas:
                raise CommandError(f"No area has the code {area}.")
        try:
            counts = rebuild_kpis(start=first, end=last, areas=areas)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Rebuilt {counts['days']} day(s) from {first} to {last}: "
            f"{counts['community_rows']} community rows, {counts['upper_rows']} upper-area rows."
        )
