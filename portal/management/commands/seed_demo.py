import time
import unicodedata
from base64 import b32encode
from binascii import unhexlify

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evaluation.demo import seed_points_demo
from evaluation.demo_annual import seed_evaluation_demo
from evaluation.demo_kpi import seed_kpi_demo
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_KEY, SITE_URL, seed_demo
from portal.models import Role


def refuse_in_production() -> None:
    """Demo accounts share one published password and authenticator key: never in production."""
    if settings.PRODUCTION:
        raise CommandError(
            "Refusing to run under production settings (DJANGO_ENV=production): the demo "
            "accounts, a superuser among them, share a published password and two-factor key. "
            "Use a development or throw-away demo environment."
        )


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = (
        "Fill the database with a demo city (areas, needs, resources, projects, party members, "
        "resident units, enrollments, activities, attendance, service hours, points and the "
        "volunteer-service shop) and demo "
        "accounts. Safe to run again: existing demo data is kept and only the accounts are "
        "checked; a city seeded before reporting (报到) existed gets that part added."
    )

    def handle(self, *args, **options):
        refuse_in_production()
        started = time.monotonic()
        result = seed_demo()
        points = seed_points_demo()
        evaluation = seed_evaluation_demo()
        # Last: the KPI roll-ups of the past days read everything seeded above.
        kpis = seed_kpi_demo()
        elapsed = time.monotonic() - started
        if result.created or points.created or evaluation.created or kpis.created:
            every = result.counts | points.counts | evaluation.counts | kpis.counts
            counts = ", ".join(f"{n} {what}" for what, n in every.items())
            self.stdout.write(
                self.style.SUCCESS(f"Demo data created in {elapsed:.1f} s: {counts}.")
            )
        else:
            self.stdout.write("Demo data already present; nothing created. Demo accounts checked.")

        rows = [("username", "role", "area", "password")]
        for account, area in result.accounts:
            role = f"{account.role} ({Role(account.role).label})"
            rows.append((account.username, role, area.name if area else "-", DEMO_PASSWORD))
        widths = [max(_width(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        for n, row in enumerate(rows):
            line = "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write(f"Open {SITE_URL} and sign in with any account above.")
        self.stdout.write(
            "district, city, auditor and admin also need a two-factor code (demo only: their "
            f"authenticator key is {b32encode(unhexlify(DEMO_TOTP_KEY)).decode()}); add that key "
            "to an authenticator app, or run `python manage.py demo_2fa_code` for the current code."
        )
