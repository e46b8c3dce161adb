from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from portal.access import ACTION_LABELS, ALL_ACTIONS, matrix

HEADER = """# Roles and permissions

Generated from `portal/access.py` by `python manage.py permissions_doc`; a test fails when
this file and the code disagree. The same table is shown to signed-in users at
`/staff/access/`.

Each role is assigned in an area and reaches that area and every area below it
(city → district → street → community → grid). A record belongs to the area of its
community (or grid). Objects outside a user's reach answer 404; actions the role does
not grant answer 403.

"""


def render() -> str:
    with translation.override("en"):
        lines = [
            HEADER,
            "| action | " + " | ".join(str(label) for _r, label, _c in matrix()) + " |",
        ]
        lines.append("|---" * (len(matrix()) + 1) + "|")
        rows = matrix()
        for index, action in enumerate(ALL_ACTIONS):
            cells = ["✓" if cells[index] else "" for _r, _l, cells in rows]
            lines.append(f"| `{action}` {ACTION_LABELS[action]} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


class Command(BaseCommand):
    requires_system_checks = []
    help = "Write docs/permissions.md from the permission matrix in portal/access.py."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if the file is out of date.")

    def handle(self, *args, check=False, **options):
        target = Path(settings.BASE_DIR) / "docs" / "permissions.md"
        content = render()
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != content:
                raise CommandError(
                    "docs/permissions.md is out of date: run manage.py permissions_doc"
                )
            return
        target.write_text(content, encoding="utf-8")
        self.stdout.write(f"Wrote {target.relative_to(settings.BASE_DIR)}")
