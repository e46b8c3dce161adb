"""Retention of the audit log and the sign-in logs: archive what is past its time, verify it.

Audit events older than ``settings.BAODAO_AUDIT_RETENTION_DAYS`` and django-axes' access and
failure logs older than ``settings.BAODAO_ACCESS_LOG_RETENTION_DAYS`` (both at least 184 days)
leave the database for gzip JSONL files under ``settings.BAODAO_ARCHIVE_DIR``, one file per log
per run, named by the range it holds. The nightly job ``archive_logs`` (portal.tasks) runs this.

Crash safety: a file is written to a temporary name, flushed to disk (fsync), renamed, and only
then are its rows deleted, in the same transaction that records the file (``AuditArchive``,
``AccessLogArchive``). A crash before the commit leaves the rows in the database and at worst an
unrecorded file, which the next run rewrites with the same content (the file name and bytes are
deterministic) or ``verify_audit --archives`` reports; a crash after it leaves both recorded. A
rerun therefore never loses nor duplicates a row.

Audit events leave in seq order only (a prefix of the chain), and only after their links were
checked, so the chain stays verifiable: each archive records the hashes at both of its ends and
the database's chain continues from the latest one (portal.audit.verify_chain).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from portal import audit
from portal.models import AccessLogArchive, AuditArchive, AuditEvent, AuditHead

# One run moves at most this many rows per log; a larger backlog takes several nights.
MAX_ROWS_PER_RUN = 200_000
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
    """Write ``lines`` durably to ``path`` (temporary name, fsync, rename); return its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("wb") as raw:
            # mtime=0 and no embedded name: the same rows always give the same bytes.
            with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed:
                for line in lines:
                    text = json.dumps(line, sort_keys=True, ensure_ascii=False, default=str)
                    packed.write(text.encode("utf-8") + b"\n")
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
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


def archive_audit_events(*, now: datetime | None = None, limit: int = MAX_ROWS_PER_RUN) -> int:
    """Move the audit events older than the retention period into one archive file.

    Returns how many events were archived (0 when none are due).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BAODAO_AUDIT_RETENTION_DAYS)
    due = AuditEvent.objects.filter(created_at__lt=cutoff).aggregate(last=models.Max("seq"))
    if due["last"] is None:
        return 0
    first, prev_hash, _archived = audit.chain_start()
    last = min(due["last"], first + limit - 1)
    if last < first:
        return 0
    path = archive_dir() / f"audit-{first:012d}-{last:012d}.jsonl.gz"
    sha256 = _write_jsonl_gz(path, _audit_lines(first, last, prev_hash))
    last_hash = AuditEvent.objects.values_list("hash", flat=True).get(seq=last)
    count = last - first + 1
    try:
        with transaction.atomic():
            # The chain head's lock serialises archive runs with each other (and with appends).
            AuditHead.objects.select_for_update().get_or_create(pk=1)
            if AuditArchive.objects.filter(last_seq__gte=first).exists():
                return 0  # another run archived these meanwhile (into the same bytes)
            AuditArchive.objects.create(
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
    except Exception:
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
    ids = list(
        model.objects.filter(attempt_time__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    first, last = ids[0], ids[-1]
    path = archive_dir() / f"{log}-log-{first:012d}-{last:012d}.jsonl.gz"
    rows = model.objects.filter(pk__in=ids).order_by("pk")
    sha256 = _write_jsonl_gz(path, (_row(obj) for obj in rows.iterator(chunk_size=2000)))
    try:
        with transaction.atomic():
            if AccessLogArchive.objects.filter(file_name=path.name).exists():
                return 0
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


def _check_audit_file(archive: AuditArchive, path: Path, check: ArchiveCheck) -> None:
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
        expected_prev, expected_seq, count = stored, expected_seq + 1, count + 1
    if count != archive.count or expected_seq != archive.last_seq + 1:
        check.problems.append(f"{path.name}: holds {count} events, the record says {archive.count}")
    elif expected_prev != archive.last_hash:
        check.problems.append(f"{path.name}: last hash differs from the record")
    else:
        check.events += count


def verify_archives() -> ArchiveCheck:
    """Recompute every recorded audit archive file: checksum, each event's hash, the links
    from file to file (the first starts at the genesis hash); also checksums of the sign-in
    log files, and names files in the directory that no record knows."""
    check = ArchiveCheck()
    directory = archive_dir()
    expected_seq, expected_prev = 1, audit.GENESIS_HASH
    for archive in AuditArchive.objects.order_by("first_seq"):
        check.files += 1
        if archive.first_seq != expected_seq or archive.first_prev_hash != expected_prev:
            check.problems.append(
                f"{archive.file_name}: does not continue the previous archive "
                f"(starts at #{archive.first_seq}, expected #{expected_seq})"
            )
        expected_seq, expected_prev = archive.last_seq + 1, archive.last_hash
        path = directory / archive.file_name
        if not path.is_file():
            check.problems.append(f"{archive.file_name}: file missing")
            continue
        if _sha256_of(path) != archive.file_sha256:
            check.problems.append(f"{archive.file_name}: file checksum differs from the record")
            continue
        _check_audit_file(archive, path, check)
    for archive in AccessLogArchive.objects.all():
        check.files += 1
        path = directory / archive.file_name
        if not path.is_file():
            check.problems.append(f"{archive.file_name}: file missing")
        elif _sha256_of(path) != archive.file_sha256:
            check.problems.append(f"{archive.file_name}: file checksum differs from the record")
    if directory.is_dir():
        recorded = set(AuditArchive.objects.values_list("file_name", flat=True))
        recorded |= set(AccessLogArchive.objects.values_list("file_name", flat=True))
        check.unrecorded = sorted(
            p.name for p in directory.glob("*.jsonl.gz") if p.name not in recorded
        )
    return check
