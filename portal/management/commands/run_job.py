"""Run a background job now, in this process, and print what it did.

    python manage.py run_job matching                 # every street
    python manage.py run_job matching --area 110105001  # one street or community (area code)
    python manage.py run_job points
    python manage.py run_job response_clock
    python manage.py run_job archive_logs             # audit and sign-in logs past retention

Each invocation is a new unit of work unless --key names one: the same --key twice does the
work once (the second run reports "skipped"), like the scheduled runs.
"""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from portal.jobs import run_job
from portal.models import Area, JobRun

JOBS = ("matching", "points", "response_clock", "archive_logs")


def _matching(area: Area):
    from resources.services.matching import match_area

    return lambda run: match_area(area=area, run=run)


def _points():
    from evaluation.services.points import award_points

    return lambda run: dict(award_points())


def _response_clock():
    from resources.services.escalation import run_response_clock

    return lambda run: run_response_clock()


def _archive_logs():
    from portal.retention import archive_logs

    return lambda run: archive_logs()


class Command(BaseCommand):
    help = (
        "Run a background job now (matching, points, response_clock or archive_logs) and "
        "print its counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", choices=JOBS)
        parser.add_argument("--area", help="Area code of a street or community (matching only).")
        parser.add_argument("--key", help="Name the unit of work; the same key runs once.")

    def handle(self, *args, job: str, area: str | None, key: str | None, **options):
        key = key or f"command-{uuid.uuid4().hex[:12]}"
        if job == "matching":
            areas = self._matching_areas(area)
            for target in areas:
                self._run(job, key, target, _matching(target))
            if not areas:
                self.stdout.write("No streets to match.")
            return
        if area:
            raise CommandError("--area applies to matching only.")
        work = {"points": _points, "archive_logs": _archive_logs}.get(job, _response_clock)()
        self._run(job, key, None, work)

    def _matching_areas(self, code: str | None) -> list[Area]:
        if not code:
            return list(Area.objects.filter(level=Area.Level.STREET).order_by("path"))
        target = Area.objects.filter(code=code).first()
        if target is None:
            raise CommandError(f"No area has the code {code!r}.")
        if target.level not in (Area.Level.STREET, Area.Level.COMMUNITY):
            raise CommandError(f"{target} is not a street or a community.")
        return [target]

    def _run(self, job: str, key: str, area: Area | None, work) -> None:
        run = run_job(job=job, area=area, run_key=key, trigger=JobRun.Trigger.COMMAND, work=work)
        label = f"{job} {area.name if area else ''}".strip()
        if run is None:
            self.stdout.write(f"{label}: skipped (unit {key} already done or running)")
            return
        counts = ", ".join(f"{name}={value}" for name, value in run.counts.items())
        self.stdout.write(self.style.SUCCESS(f"{label}: {counts}"))
