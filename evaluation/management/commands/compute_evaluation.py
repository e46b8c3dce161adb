"""Compute the annual evaluation now, in this process, and print what it did.

    python manage.py compute_evaluation --year 2026                    # every street
    python manage.py compute_evaluation --year 2026 --area 110105001   # a street, or a
                                                                       # community's street,
                                                                       # or every street below

Recorded as a job run ("evaluation") like the nightly one; published streets are skipped.
"""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evaluation.services.annual import compute_evaluation
from portal.jobs import run_job
from portal.models import Area, JobRun


class Command(BaseCommand):
    help = "Compute the annual evaluation of members and units for a year (and an area)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="Default: this year.")
        parser.add_argument("--area", help="Area code; default: every street.")

    def handle(self, *args, year: int | None, area: str | None, **options):
        year = year or timezone.localdate().year
        if not 2000 <= year <= 2100:
            raise CommandError(f"{year} is not a year the portal keeps.")
        target = None
        if area:
            target = Area.objects.filter(code=area).first()
            if target is None:
                raise CommandError(f"No area has the code {area!r}.")
        run = run_job(
            job="evaluation",
            area=target,
            run_key=f"{year}@command-{uuid.uuid4().hex[:12]}",
            trigger=JobRun.Trigger.COMMAND,
            work=lambda run: compute_evaluation(year=year, area=target),
        )
        counts = ", ".join(f"{name}={value}" for name, value in run.counts.items())
        label = f"{year} {target.name if target else ''}".strip()
        self.stdout.write(self.style.SUCCESS(f"evaluation {label}: {counts}"))
