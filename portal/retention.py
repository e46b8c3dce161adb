"""Retention of the audit log and the sign-in logs: archive what is past its time, verify it.

Audit events older than ``settings.BAODAO_AUDIT_RETENTION_DAYS`` and django-axes' access and
failure logs older than ``settings.BAODAO_ACCESS_LOG_RETENTION_DAYS`` (both at least 184 days)
leave the database for gzip JSONL files under ``settings.BAODAO_ARCHIVE_DIR``, one file per log
per run, named by the range it holds. The nightly job ``archive_logs`` (portal.tasks) runs this.

Crash safety: a file is written to a temporary file of its own (``tempfile.mkstemp``), flushed
to disk (fsync), renamed, and only then are its rows deleted, in the same transaction that
records the file (``AuditArchive``, ``AccessLogArchive``). A crash before the commit leaves the
rows in the database and at worst an unrecorded file, which the next run rewrites with the same
content (the file name and bytes are deterministic) or ``verify_audit`` reports; a crash after
it leaves both recorded. A rerun therefore never loses nor duplicates a row.

Concurrency: a run holds a lock from choosing its range to its commit (``_lock_archive_runs``),
so the nightly job and ``manage.py run_job archive_logs`` started together never pick the same
range; the second waits and then finds nothing (or only what became due meanwhile).

Audit events leave in seq order only (a prefix of the chain), and only after their links were
checked, so the chain stays verifiable: each archive records the hashes at both of its ends and
the database's chain continues from the latest one (portal.audit.verify_chain). The same
transaction appends an ``audit.archived`` event describing the archive (range, hashes, file name
and SHA-256) to the chain, so an archive record cannot be forged by writing to the
``AuditArchive`` table alone: ``verify_archives`` requires every record to be vouched for by
such an event, in the database's chain or in a later, verified archive file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from portal import audit
from portal.models import AccessLogArchive, AuditArchive, AuditEvent, AuditHead

# One run moves at most this many rows per log; a larger backlog takes several nights.
MAX_ROWS_PER_RUN = 200_000
# The audit event each archive run appends to the chain, vouching for its AuditArchive record.
ARCHIVED_ACTION = "audit.archived"
# What an ``audit.archived`` event must agree on with the AuditArchive record it vouches for.
VOUCHED_FIELDS = (
    "first_seq",
    "last_seq",
    "count",
    "first_prev_hash",
    "last_hash",
    "file_name",
    "file_sha256",
)
# PostgreSQL advisory lock key of archive runs ("baodao" + 1), private to this module.
ARCHIVE_LOCK_KEY = 0x62616F64616F01
ACCESS_LOGS = {
    AccessLogArchive.Log.ACCESS: ("axes", "AccessLog"),
    AccessLogArchive.Log.FAILURE: ("axes", "AccessFailureLog"),
}


class ArchiveError(Exception):
    """The archive cannot be written safely (a broken chain); nothing was deleted."""


def archive_dir() -> Path:
    return Path(settings.BAODAO_ARCHIVE_DIR)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_jsonl_gz(path: Path, lines: Iterable[dict[str, Any]]) -> str:
    """Write ``lines`` durably to ``path`` (temporary file, fsync, rename); return its SHA-256.

    The temporary file is unique to this call (mkstemp, created exclusively), so two writers of
    the same archive never write into one file; the last rename wins with complete content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            # mtime=0 and no embedded name: the same rows always give the same bytes.
            with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed:
                for line in lines:
                    text = json.dumps(line, sort_keys=True, ensure_ascii=False, default=str)
                    packed.write(text.encode("utf-8") + b"\n")
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return _sha256_of(path)


def read_jsonl_gz(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _lock_archive_runs() -> None:
    """Hold off every other archive run until the current transaction ends.

    Taken before a run chooses its range and held until its commit, so two runs never archive
    the same range. On PostgreSQL a transaction-level advisory lock of its own: audit appends
    (which lock the ``AuditHead`` row) are not held up while a large file is written. SQLite's
    transactions are IMMEDIATE (settings), so a run already holds the database's write lock;
    elsewhere the chain head's row lock serves, holding appends for the length of the run.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ARCHIVE_LOCK_KEY])
    else:
        AuditHead.objects.select_for_update().get_or_create(pk=1)


def _remove_unrecorded(path: Path, recorded: models.QuerySet) -> None:
    """After a failed commit, drop the file unless another run recorded the same one."""
    if not recorded.filter(file_name=path.name).exists():
        path.unlink(missing_ok=True)


# --- audit events ---------------------------------------------------------------------------


def _audit_lines(first: int, last: int, prev_hash: str) -> Iterator[dict[str, Any]]:
    """The events first..last as archive lines, checking every link on the way."""
    expected_seq, expected_prev = first, prev_hash
    events = AuditEvent.objects.filter(seq__gte=first, seq__lte=last).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq or event.prev_hash != expected_prev:
            raise ArchiveError(f"audit chain broken at #{event.seq}; run verify_audit")
        if audit.compute_hash(event) != event.hash:
            raise ArchiveError(f"audit event #{event.seq} does not match its hash")
        yield {**audit.event_content(event), "prev_hash": event.prev_hash, "hash": event.hash}
        expected_prev = event.hash
        expected_seq += 1
    if expected_seq != last + 1:
        raise ArchiveError(f"audit chain broken at #{expected_seq}; run verify_audit")


def _last_due_seq(first: int, cutoff: datetime, limit: int) -> int | None:
    """The last seq of this run's range, or None when nothing is due.

    Only the events before the first one (by seq) created at or after the cutoff are due: if
    the clock ever went backwards, an older-looking event after a younger one stays.
    """
    events = AuditEvent.objects.filter(seq__gte=first)
    young = (
        events.filter(created_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    )
    if young is None:
        newest = events.aggregate(last=models.Max("seq"))["last"]
        if newest is None:
            return None
        young = newest + 1
    last = min(young - 1, first + limit - 1)
    return last if last >= first else None


def archive_audit_events(*, now: datetime | None = None, limit: int = MAX_ROWS_PER_RUN) -> int:
    """Move the audit events older than the retention period into one archive file.

    One transaction, under the archive runs' lock: choose the range, write and check the file,
    record it, delete its events and append the ``audit.archived`` event that vouches for the
    record. Returns how many events were archived (0 when none are due).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BAODAO_AUDIT_RETENTION_DAYS)
    path: Path | None = None
    try:
        with transaction.atomic():
            _lock_archive_runs()
            first, prev_hash, _archived = audit.chain_start()
            last = _last_due_seq(first, cutoff, limit)
            if last is None:
                return 0
            path = archive_dir() / f"audit-{first:012d}-{last:012d}.jsonl.gz"
            sha256 = _write_jsonl_gz(path, _audit_lines(first, last, prev_hash))
            last_hash = AuditEvent.objects.values_list("hash", flat=True).get(seq=last)
            count = last - first + 1
            # Appends wait from here to the commit only (the file is already written).
            AuditHead.objects.select_for_update().get_or_create(pk=1)
            archive = AuditArchive.objects.create(
                first_seq=first,
                last_seq=last,
                first_prev_hash=prev_hash,
                last_hash=last_hash,
                count=count,
                file_name=path.name,
                file_sha256=sha256,
                cutoff=cutoff,
            )
            doomed = AuditEvent.objects.filter(seq__gte=first, seq__lte=last)
            # The only deletion of audit events there is: AppendOnlyQuerySet refuses delete(),
            # so go below it, for exactly the rows just written and recorded.
            deleted = doomed._raw_delete(doomed.db)
            if deleted != count:
                raise ArchiveError(f"expected to remove {count} audit events, found {deleted}")
            audit.record(
                action=ARCHIVED_ACTION,
                obj=archive,
                data={
                    **{name: getattr(archive, name) for name in VOUCHED_FIELDS},
                    "cutoff": cutoff.isoformat(),
                },
            )
    except Exception:
        if path is not None:
            _remove_unrecorded(path, AuditArchive.objects.all())
        raise
    return count


# --- sign-in logs (django-axes) ------------------------------------------------------------


def _access_model(log: str) -> type[models.Model] | None:
    app_label, model_name = ACCESS_LOGS[log]
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None  # django-axes not installed: nothing to archive


def _row(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def archive_access_log(
    log: str, *, now: datetime | None = None, limit: int = MAX_ROWS_PER_RUN
) -> int:
    """Move one sign-in log's records older than the retention period into an archive file."""
    model = _access_model(log)
    if model is None:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BAODAO_ACCESS_LOG_RETENTION_DAYS)
    path: Path | None = None
    try:
        with transaction.atomic():
            _lock_archive_runs()
            ids = list(
                model.objects.filter(attempt_time__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:limit]
            )
            if not ids:
                return 0
            first, last = ids[0], ids[-1]
            path = archive_dir() / f"{log}-log-{first:012d}-{last:012d}.jsonl.gz"
            if AccessLogArchive.objects.filter(file_name=path.name).exists():
                path = None  # recorded already: not ours to remove
                return 0
            rows = model.objects.filter(pk__in=ids).order_by("pk")
            sha256 = _write_jsonl_gz(path, (_row(obj) for obj in rows.iterator(chunk_size=2000)))
            AccessLogArchive.objects.create(
                log=log,
                first_id=first,
                last_id=last,
                count=len(ids),
                file_name=path.name,
                file_sha256=sha256,
                cutoff=cutoff,
            )
            deleted = 0
            for start in range(0, len(ids), 5000):
                deleted += model.objects.filter(pk__in=ids[start : start + 5000]).delete()[0]
            if deleted != len(ids):
                raise ArchiveError(f"expected to remove {len(ids)} {log} records, found {deleted}")
    except Exception:
        if path is not None:
            _remove_unrecorded(path, AccessLogArchive.objects.all())
        raise
    return len(ids)


def archive_logs(*, now: datetime | None = None) -> dict[str, int]:
    """The nightly job: archive every log past its retention; returns the counts moved."""
    now = now or timezone.now()
    return {
        "audit_events": archive_audit_events(now=now),
        "access_log": archive_access_log(AccessLogArchive.Log.ACCESS, now=now),
        "access_failure_log": archive_access_log(AccessLogArchive.Log.FAILURE, now=now),
    }


# --- verification ---------------------------------------------------------------------------


@dataclass
class ArchiveCheck:
    files: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)


# ``audit.archived`` events met so far, keyed by the first seq of the archive each describes:
# (the event's seq, its data).
Vouchers = dict[int, tuple[int, dict[str, Any]]]


def _add_voucher(vouchers: Vouchers, seq: int, data: Any) -> None:
    if isinstance(data, dict) and isinstance(data.get("first_seq"), int):
        vouchers.setdefault(data["first_seq"], (seq, data))


def _label(archive: AuditArchive) -> str:
    return f"{archive.file_name} (#{archive.first_seq}-#{archive.last_seq})"


def _vouch_problem(archive: AuditArchive, vouchers: Vouchers) -> str | None:
    """Why ``archive`` is not backed by the ``audit.archived`` event its run appended, if so."""
    voucher = vouchers.get(archive.first_seq)
    if voucher is None:
        return (
            f"{_label(archive)}: no {ARCHIVED_ACTION} event in the audit chain records this "
            f"archive, so the archive job did not write it (forged archive record?)"
        )
    seq, data = voucher
    differing = [name for name in VOUCHED_FIELDS if data.get(name) != getattr(archive, name)]
    if seq <= archive.last_seq:
        differing.append("seq")
    if differing:
        return (
            f"{_label(archive)}: the record differs from its {ARCHIVED_ACTION} event #{seq} "
            f"({', '.join(differing)})"
        )
    return None


def _file_matches(name: str, expected_sha256: str, check: ArchiveCheck) -> Path | None:
    """The recorded file's path when it exists and its SHA-256 is the recorded one."""
    if Path(name).name != name:
        check.problems.append(f"{name}: not a file name in the archive directory")
        return None
    path = archive_dir() / name
    if not path.is_file():
        check.problems.append(f"{name}: file missing")
        return None
    if _sha256_of(path) != expected_sha256:
        check.problems.append(f"{name}: file checksum differs from the record")
        return None
    return path


def _check_audit_file(
    archive: AuditArchive, path: Path, check: ArchiveCheck, vouchers: Vouchers | None
) -> None:
    """Recompute every event of the file: seq, links, hashes, count and last hash."""
    expected_seq, expected_prev, count = archive.first_seq, archive.first_prev_hash, 0
    for line in read_jsonl_gz(path):
        prev_hash, stored = line.pop("prev_hash", ""), line.pop("hash", "")
        if line.get("seq") != expected_seq:
            check.problems.append(f"{path.name}: sequence gap at #{line.get('seq')}")
            return
        if prev_hash != expected_prev:
            check.problems.append(f"{path.name}: previous-hash link broken at #{expected_seq}")
            return
        if audit.hash_content(prev_hash, line) != stored:
            check.problems.append(f"{path.name}: event #{expected_seq} does not match its hash")
            return
        if vouchers is not None and line.get("action") == ARCHIVED_ACTION:
            _add_voucher(vouchers, expected_seq, line.get("data"))
        expected_prev, expected_seq, count = stored, expected_seq + 1, count + 1
    if count != archive.count or expected_seq != archive.last_seq + 1:
        check.problems.append(f"{path.name}: holds {count} events, the record says {archive.count}")
    elif expected_prev != archive.last_hash:
        check.problems.append(f"{path.name}: last hash differs from the record")
    else:
        check.events += count


def _collect_vouchers(path: Path, vouchers: Vouchers) -> None:
    """The ``audit.archived`` events inside a file whose checksum was just verified."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for text in handle:
            if ARCHIVED_ACTION not in text:
                continue  # most lines: skip the JSON parsing
            line = json.loads(text)
            if line.get("action") == ARCHIVED_ACTION:
                _add_voucher(vouchers, line.get("seq"), line.get("data"))


def verify_archives(*, deep: bool = False) -> ArchiveCheck:
    """Check the archive records against the chain and their files.

    Always: the audit archives cover an unbroken range from #1 (the first starting at the
    genesis hash, each next one at the previous one's last hash); each is vouched for by the
    ``audit.archived`` event its run appended (in the database's chain, whose hashes
    ``portal.audit.verify_chain`` checks, or inside a later archive file already verified) and
    every such event has its record; every recorded file (sign-in logs too) exists with its
    recorded SHA-256. With ``deep``, also recompute each event's hash in the audit files. Names
    files in the directory that no record knows.
    """
    check = ArchiveCheck()
    archives = list(AuditArchive.objects.order_by("first_seq"))
    expected_seq, expected_prev = 1, audit.GENESIS_HASH
    for archive in archives:
        if archive.first_seq != expected_seq or archive.first_prev_hash != expected_prev:
            check.problems.append(
                f"{archive.file_name}: does not continue the previous archive "
                f"(starts at #{archive.first_seq}, expected #{expected_seq})"
            )
        expected_seq, expected_prev = archive.last_seq + 1, archive.last_hash

    vouchers: Vouchers = {}
    in_database = AuditEvent.objects.filter(action=ARCHIVED_ACTION).order_by("seq")
    for seq, data in in_database.values_list("seq", "data"):
        _add_voucher(vouchers, seq, data)
    # Newest first: the event vouching for an archive came after its range, so it is in the
    # database or in a later archive, whose file has been verified by the time it is needed.
    for archive in reversed(archives):
        check.files += 1
        vouch_problem = _vouch_problem(archive, vouchers)
        if vouch_problem:
            check.problems.append(vouch_problem)
        path = _file_matches(archive.file_name, archive.file_sha256, check)
        if path is None:
            continue
        # An unvouched file vouches for nothing, but its contents are still worth a report.
        trusted = vouchers if not vouch_problem else None
        try:
            if deep:
                _check_audit_file(archive, path, check, trusted)
            elif trusted is not None:
                _collect_vouchers(path, trusted)
        except (OSError, EOFError, ValueError) as exc:
            check.problems.append(f"{archive.file_name}: cannot be read ({exc})")
    recorded_firsts = {archive.first_seq for archive in archives}
    for first, (seq, data) in sorted(vouchers.items()):
        if first not in recorded_firsts:
            check.problems.append(
                f"{ARCHIVED_ACTION} event #{seq} records {data.get('file_name')} "
                f"(#{first}-#{data.get('last_seq')}), which has no archive record"
            )

    for access_archive in AccessLogArchive.objects.all():
        check.files += 1
        _file_matches(access_archive.file_name, access_archive.file_sha256, check)
    directory = archive_dir()
    if directory.is_dir():
        recorded = set(AuditArchive.objects.values_list("file_name", flat=True))
        recorded |= set(AccessLogArchive.objects.values_list("file_name", flat=True))
        check.unrecorded = sorted(
            p.name for p in directory.glob("*.jsonl.gz") if p.name not in recorded
        )
    return check
