from django.core.management.base import BaseCommand, CommandError

from portal.audit import chain_start, verify_chain


class Command(BaseCommand):
    help = (
        "Verify the hash chain of the audit log and report the first broken link. The chain in "
        "the database continues from the latest archive; --archives also recomputes the "
        "archive files (checksums, every event's hash, the links between files)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--archives",
            action="store_true",
            help="Also verify the archive files written by the archive_logs job.",
        )

    def handle(self, *args, archives: bool = False, **options):
        if archives:
            self._verify_archives()
        checked, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at event #{broken.seq} (id {broken.event_id}): "
                f"{broken.reason}. {checked} event(s) before it are intact."
            )
        _first, _prev, archived = chain_start()
        after = f" after {archived} archived event(s)" if archived else ""
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {checked} event(s) verified{after}.")
        )

    def _verify_archives(self) -> None:
        from portal.retention import verify_archives

        check = verify_archives()
        for name in check.unrecorded:
            self.stderr.write(
                f"Not recorded (left by an interrupted archive run; its rows are still in the "
                f"database, so it may be deleted): {name}"
            )
        if check.problems:
            raise CommandError("Audit archives broken: " + "; ".join(check.problems))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit archives intact: {check.files} file(s), {check.events} event(s) verified."
            )
        )
