from django.core.management.base import BaseCommand, CommandError

from portal.audit import chain_start, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the hash chain of the audit log and report the first broken link. The chain in "
        "the database continues from the latest archive; the archive records must form an "
        "unbroken range from #1, each vouched for by the audit.archived event its run appended, "
        "and their files must exist with the recorded checksums. --archives also recomputes "
        "every archived event's hash and the links inside the files."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--archives",
            action="store_true",
            help="Also recompute the events inside the archive files (slower).",
        )

    def handle(self, *args, archives: bool = False, **options):
        from portal.retention import verify_archives

        problems: list[str] = []
        checked, broken = verify_chain()
        if broken is not None:
            problems.append(
                f"Audit chain broken at event #{broken.seq} (id {broken.event_id}): "
                f"{broken.reason}. {checked} event(s) before it are intact."
            )
        check = verify_archives(deep=archives)
        for name in check.unrecorded:
            self.stderr.write(
                f"Not recorded (left by an interrupted archive run; its rows are still in the "
                f"database, so it may be deleted): {name}"
            )
        if check.problems:
            problems.append("Audit archives broken: " + "; ".join(check.problems))
        if problems:
            raise CommandError(" ".join(problems))
        _first, _prev, archived = chain_start()
        after = f" after {archived} archived event(s)" if archived else ""
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {checked} event(s) verified{after}.")
        )
        if archives:
            summary = f"{check.files} file(s), {check.events} event(s) verified."
        else:
            summary = f"{check.files} file(s) checked."
        if archives or check.files:
            self.stdout.write(self.style.SUCCESS(f"Audit archives intact: {summary}"))
