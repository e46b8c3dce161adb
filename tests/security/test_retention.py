"""Retention: audit events and sign-in logs past their retention move to archive files.

The nightly ``archive_logs`` job (portal.retention) writes gzip JSONL files, records them and
deletes the rows in one transaction; ``verify_audit`` still verifies the chain that remains
(from the latest archive's last hash) and, with ``--archives``, the files themselves.
"""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone

from portal import audit, retention
from portal.models import AccessLogArchive, AuditArchive, AuditEvent, JobRun, ScheduledJob

pytestmark = pytest.mark.django_db

DAYS = 184


@pytest.fixture(autouse=True)
def _archive_dir(settings, tmp_path):
    settings.BAODAO_ARCHIVE_DIR = tmp_path / "archive"
    settings.BAODAO_AUDIT_RETENTION_DAYS = DAYS
    settings.BAODAO_ACCESS_LOG_RETENTION_DAYS = DAYS
    return settings.BAODAO_ARCHIVE_DIR


def _record_at(when, n: int, *, actor=None, area=None):
    with mock.patch("portal.audit.timezone.now", return_value=when):
        return [
            audit.record(action=f"test.step{i}", actor=actor, area=area, data={"i": i})
            for i in range(n)
        ]


@pytest.fixture
def old_and_new(tree, worker):
    """Four events from 200 days ago, three from yesterday."""
    now = timezone.now()
    old = _record_at(now - timedelta(days=200), 4, actor=worker, area=tree["a"])
    new = _record_at(now - timedelta(days=1), 3, actor=worker, area=tree["a"])
    return old, new


def _verify(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_old_audit_events_move_to_a_gzip_jsonl_file_named_by_seq_range(old_and_new, _archive_dir):
    old, _new = old_and_new

    assert retention.archive_audit_events() == 4

    # The three young events stay, and the run's own audit.archived event follows them.
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [5, 6, 7, 8]
    archive = AuditArchive.objects.get()
    assert (archive.first_seq, archive.last_seq, archive.count) == (1, 4, 4)
    assert archive.first_prev_hash == audit.GENESIS_HASH
    assert archive.last_hash == old[-1].hash
    assert archive.file_name == "audit-000000000001-000000000004.jsonl.gz"
    with gzip.open(_archive_dir / archive.file_name, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    assert lines[2]["hash"] == old[2].hash and lines[2]["data"] == {"i": 2}


def test_the_remaining_chain_and_the_archives_verify(old_and_new):
    retention.archive_audit_events()

    assert audit.verify_chain() == (4, None)
    assert "4 event(s) verified after 4 archived event(s)" in _verify()
    assert "Audit archives intact: 1 file(s), 4 event(s) verified." in _verify("--archives")


def test_a_second_run_archives_nothing_more(old_and_new):
    assert retention.archive_audit_events() == 4
    assert retention.archive_audit_events() == 0
    assert AuditArchive.objects.count() == 1
    assert AuditEvent.objects.count() == 4  # three young ones and the run's audit.archived


def _archive_at(when, **kwargs) -> int:
    """An archive run on day ``when`` (its audit.archived event is dated that day too)."""
    with mock.patch("portal.audit.timezone.now", return_value=when):
        return retention.archive_audit_events(now=when, **kwargs)


def test_consecutive_archives_link_and_verify(tree, worker):
    now = timezone.now()
    _record_at(now - timedelta(days=400), 2, actor=worker)  # #1, #2
    assert _archive_at(now - timedelta(days=200)) == 2  # its audit.archived event is #3
    _record_at(now - timedelta(days=199), 3, actor=worker)  # #4..#6
    _record_at(now, 1, actor=worker)  # #7

    # The second run takes the first run's audit.archived event along with #4..#6.
    assert retention.archive_audit_events(now=now) == 4

    first, second = AuditArchive.objects.order_by("first_seq")
    assert (second.first_seq, second.first_prev_hash) == (3, first.last_hash)
    # The first archive is vouched for by #3, now inside the second archive's file.
    assert "Audit archives intact: 2 file(s) checked." in _verify()
    assert "Audit archives intact: 2 file(s), 6 event(s) verified." in _verify("--archives")
    assert "2 event(s) verified after 6 archived event(s)" in _verify()


def test_only_a_prefix_of_the_chain_is_archived_in_batches(old_and_new):
    assert retention.archive_audit_events(limit=3) == 3
    assert retention.archive_audit_events(limit=3) == 1
    assert [a.count for a in AuditArchive.objects.order_by("first_seq")] == [3, 1]
    assert audit.verify_chain() == (5, None)  # #5..#7 and the two runs' audit.archived events


def test_nothing_is_archived_inside_the_retention_period(tree, worker):
    _record_at(timezone.now() - timedelta(days=DAYS - 1), 2, actor=worker)
    assert retention.archive_audit_events() == 0
    assert AuditEvent.objects.count() == 2
    assert not AuditArchive.objects.exists()


def test_a_broken_chain_is_not_archived_and_nothing_is_deleted(old_and_new, _archive_dir):
    models.QuerySet.update(AuditEvent.objects.filter(seq=2), data={"i": 99})

    with pytest.raises(retention.ArchiveError, match="#2"):
        retention.archive_audit_events()

    assert AuditEvent.objects.count() == 7
    assert not AuditArchive.objects.exists()
    assert not list(_archive_dir.glob("*"))


def test_a_failed_commit_keeps_the_rows_and_removes_the_file(old_and_new, _archive_dir):
    with mock.patch.object(AuditArchive.objects, "create", side_effect=RuntimeError("db down")):
        with pytest.raises(RuntimeError):
            retention.archive_audit_events()

    assert AuditEvent.objects.count() == 7
    assert not list(_archive_dir.glob("*.jsonl.gz"))
    # The rerun after the failure archives exactly once.
    assert retention.archive_audit_events() == 4
    assert "Audit archives intact: 1 file(s), 4 event(s) verified." in _verify("--archives")


def test_a_crash_after_the_file_was_written_is_repaired_by_the_rerun(old_and_new, _archive_dir):
    # The process died between writing the file and committing: the file exists, unrecorded,
    # and every row is still in the database.
    retention._write_jsonl_gz(
        _archive_dir / "audit-000000000001-000000000004.jsonl.gz",
        retention._audit_lines(1, 4, audit.GENESIS_HASH),
    )
    assert "Not recorded" in _verify("--archives")

    assert retention.archive_audit_events() == 4

    output = _verify("--archives")
    assert "Not recorded" not in output
    assert "Audit archives intact: 1 file(s), 4 event(s) verified." in output


def test_verify_archives_detects_an_altered_file(old_and_new, _archive_dir):
    retention.archive_audit_events()
    archive = AuditArchive.objects.get()
    path = _archive_dir / archive.file_name
    lines = list(retention.read_jsonl_gz(path))
    lines[1]["data"] = {"i": 42}
    sha = retention._write_jsonl_gz(path, lines)

    with pytest.raises(CommandError, match="checksum"):
        _verify("--archives")

    # Even with the recorded checksum forged to match, the event's hash gives it away.
    models.QuerySet.update(AuditArchive.objects.all(), file_sha256=sha)
    with pytest.raises(CommandError, match="#2 does not match its hash"):
        _verify("--archives")


def test_verify_archives_detects_a_missing_file(old_and_new, _archive_dir):
    retention.archive_audit_events()
    (_archive_dir / AuditArchive.objects.get().file_name).unlink()

    with pytest.raises(CommandError, match="file missing"):
        _verify("--archives")


def test_removing_the_archive_record_breaks_the_database_chain(old_and_new):
    retention.archive_audit_events()
    AuditArchive.objects.all().delete()

    with pytest.raises(CommandError, match="expected #1"):
        _verify()


def test_the_job_runs_once_a_day_and_is_scheduled_nightly(old_and_new):
    from portal.tasks import archive_logs

    run_id = archive_logs.delay().get()

    run = JobRun.objects.get(pk=run_id)
    assert run.job == "archive_logs" and run.status == JobRun.Status.SUCCEEDED
    assert run.counts["audit_events"] == 4
    assert archive_logs.delay().get() is None  # today's unit of work is done
    scheduled = ScheduledJob.objects.get(name="archive-logs-nightly")
    assert scheduled.task == "portal.archive_logs" and scheduled.enabled


def test_run_job_command_archives(old_and_new):
    from io import StringIO

    out = StringIO()
    call_command("run_job", "archive_logs", stdout=out)
    assert "audit_events=4" in out.getvalue()


@pytest.mark.parametrize(
    "name", ["BAODAO_AUDIT_RETENTION_DAYS", "BAODAO_ACCESS_LOG_RETENTION_DAYS"]
)
def test_a_retention_below_184_days_is_refused(monkeypatch, name):
    from portal.settings import _retention_days

    monkeypatch.setenv(name, "183")
    with pytest.raises(ImproperlyConfigured, match="184"):
        _retention_days(name)
    monkeypatch.setenv(name, "365")
    assert _retention_days(name) == 365
    monkeypatch.delenv(name)
    assert _retention_days(name) == 184


# --- sign-in logs ---------------------------------------------------------------------------


def test_old_sign_in_logs_are_archived_and_deleted(_archive_dir):
    axes_models = pytest.importorskip("axes.models")
    from django.apps import apps

    if not apps.is_installed("axes"):
        pytest.skip("django-axes is not installed in this checkout")
    now = timezone.now()

    def make(model, days_ago, **extra):
        row = model.objects.create(
            user_agent="pytest",
            ip_address="10.0.0.1",
            username="13800000000",
            http_accept="*/*",
            path_info="/accounts/login/",
            **extra,
        )
        model.objects.filter(pk=row.pk).update(attempt_time=now - timedelta(days=days_ago))
        return row

    old_access = [make(axes_models.AccessLog, 200) for _ in range(2)]
    make(axes_models.AccessLog, 10)
    make(axes_models.AccessFailureLog, 190, locked_out=False)
    make(axes_models.AccessFailureLog, 1, locked_out=True)

    counts = retention.archive_logs()

    assert counts == {"audit_events": 0, "access_log": 2, "access_failure_log": 1}
    assert axes_models.AccessLog.objects.count() == 1
    assert axes_models.AccessFailureLog.objects.count() == 1
    archive = AccessLogArchive.objects.get(log="access")
    assert (archive.first_id, archive.last_id, archive.count) == (
        old_access[0].pk,
        old_access[1].pk,
        2,
    )
    rows = list(retention.read_jsonl_gz(_archive_dir / archive.file_name))
    assert [row["id"] for row in rows] == [r.pk for r in old_access]
    assert retention.archive_logs()["access_log"] == 0
    assert "Audit archives intact: 2 file(s)" in _verify("--archives")


# --- the audit.archived event, concurrency, the cutoff, the migration -----------------------


def test_each_archive_run_appends_an_audit_archived_event_vouching_for_its_record(old_and_new):
    retention.archive_audit_events()

    archive = AuditArchive.objects.get()
    event = AuditEvent.objects.get(action="audit.archived")
    assert (event.seq, event.object_type, event.object_id) == (
        8,
        "portal.auditarchive",
        str(archive.pk),
    )
    assert event.data == {
        "first_seq": 1,
        "last_seq": 4,
        "count": 4,
        "first_prev_hash": audit.GENESIS_HASH,
        "last_hash": archive.last_hash,
        "file_name": archive.file_name,
        "file_sha256": archive.file_sha256,
        "cutoff": archive.cutoff.isoformat(),
    }


def test_a_failed_run_appends_no_audit_archived_event(old_and_new):
    with (
        mock.patch.object(AuditEvent.objects.none().__class__, "_raw_delete", return_value=3),
        pytest.raises(retention.ArchiveError, match="expected to remove 4"),
    ):
        retention.archive_audit_events()

    assert not AuditEvent.objects.filter(action="audit.archived").exists()
    assert not AuditArchive.objects.exists()
    assert AuditEvent.objects.count() == 7


def test_the_default_verify_reports_a_missing_archive_file(old_and_new, _archive_dir):
    retention.archive_audit_events()
    (_archive_dir / AuditArchive.objects.get().file_name).unlink()

    with pytest.raises(
        CommandError, match="audit-000000000001-000000000004.jsonl.gz: file missing"
    ):
        _verify()


def test_the_default_verify_reports_an_altered_archive_file(old_and_new, _archive_dir):
    retention.archive_audit_events()
    path = _archive_dir / AuditArchive.objects.get().file_name
    lines = list(retention.read_jsonl_gz(path))
    lines[1]["data"] = {"i": 42}
    retention._write_jsonl_gz(path, lines)

    with pytest.raises(CommandError, match="file checksum differs from the record"):
        _verify()


def test_an_audit_archived_event_without_its_record_is_reported(old_and_new):
    retention.archive_audit_events()
    archive = AuditArchive.objects.get()
    AuditArchive.objects.all().delete()

    with pytest.raises(CommandError) as failure:
        _verify()

    assert (
        f"audit.archived event #8 records {archive.file_name} (#1-#4), which has no archive"
        in str(failure.value)
    )


def test_two_writes_of_one_archive_name_use_separate_temporary_files(_archive_dir):
    # A second run writing the same archive while the first is half-way through its file.
    path = _archive_dir / "audit-000000000001-000000000002.jsonl.gz"
    seen: list[set[str]] = []

    def first_run_lines():
        yield {"seq": 1}
        seen.append({p.name for p in _archive_dir.glob(".*.tmp")})
        retention._write_jsonl_gz(path, [{"seq": 1}, {"seq": 2}])
        seen.append({p.name for p in _archive_dir.glob(".*.tmp")})
        yield {"seq": 2}

    retention._write_jsonl_gz(path, first_run_lines())

    # The second writer neither truncated nor renamed away the first one's temporary file.
    assert len(seen[0]) == 1 and seen[1] == seen[0]
    assert [line["seq"] for line in retention.read_jsonl_gz(path)] == [1, 2]
    assert not list(_archive_dir.glob(".*.tmp"))


def test_the_lock_is_taken_before_the_range_is_chosen(old_and_new):
    calls: list[str] = []
    real_chain_start = audit.chain_start

    def chain_start():
        calls.append("chain_start")
        return real_chain_start()

    with (
        mock.patch.object(
            retention, "_lock_archive_runs", side_effect=lambda: calls.append("lock")
        ),
        mock.patch.object(retention.audit, "chain_start", side_effect=chain_start),
    ):
        retention.archive_audit_events()

    assert calls[:2] == ["lock", "chain_start"]


@pytest.mark.django_db(transaction=True)
def test_a_second_run_started_meanwhile_waits_and_archives_nothing_twice(
    tree, worker, _archive_dir
):
    """Two real connections (PostgreSQL): the second run starts while the first writes its file."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs two concurrent connections with row and advisory locks (PostgreSQL)")
    now = timezone.now()
    _record_at(now - timedelta(days=200), 4, actor=worker)
    writing, release = threading.Event(), threading.Event()
    real_write = retention._write_jsonl_gz
    writes: list[str] = []

    def slow_write(path, lines):
        writes.append(path.name)
        writing.set()
        release.wait(10)
        return real_write(path, lines)

    results: dict[str, int] = {}

    def run(name: str) -> None:
        try:
            results[name] = retention.archive_audit_events(now=now)
        finally:
            connections.close_all()

    def append_one() -> None:
        try:
            audit.record(action="test.meanwhile")
        finally:
            connections.close_all()

    with mock.patch.object(retention, "_write_jsonl_gz", side_effect=slow_write):
        first = threading.Thread(target=run, args=("first",))
        first.start()
        assert writing.wait(10)
        # Audit appends go on while the file is written (the run holds a lock of its own).
        appender = threading.Thread(target=append_one)
        appender.start()
        appender.join(5)
        assert not appender.is_alive()
        second = threading.Thread(target=run, args=("second",))
        second.start()
        second.join(1)
        assert second.is_alive()  # waiting for the first run's lock, not writing
        release.set()
        first.join(10)
        second.join(10)

    assert results == {"first": 4, "second": 0}
    assert writes == ["audit-000000000001-000000000004.jsonl.gz"]
    assert AuditArchive.objects.count() == 1
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "test.meanwhile",
        "audit.archived",
    ]
    assert "Audit archives intact: 1 file(s), 4 event(s) verified." in _verify("--archives")


def test_events_after_a_younger_one_stay_when_the_clock_went_backwards(tree, worker):
    now = timezone.now()
    _record_at(now - timedelta(days=200), 2, actor=worker)  # #1, #2
    _record_at(now - timedelta(days=1), 1, actor=worker)  # #3
    _record_at(now - timedelta(days=250), 1, actor=worker)  # #4: the clock went back
    _record_at(now, 1, actor=worker)  # #5

    assert retention.archive_audit_events(now=now) == 2

    assert AuditArchive.objects.get().last_seq == 2
    assert list(AuditEvent.objects.values_list("seq", flat=True)[:3]) == [3, 4, 5]


def test_unapplying_the_archive_migration_is_refused_while_archives_exist(old_and_new):
    import importlib

    from django.apps import apps
    from django.db.migrations.exceptions import IrreversibleError

    migration = importlib.import_module("portal.migrations.0008_log_archives")
    retention.archive_audit_events()

    with pytest.raises(IrreversibleError, match="1 log archive record"):
        migration.unseed(apps, None)
    assert ScheduledJob.objects.filter(name="archive-logs-nightly").exists()

    AuditArchive.objects.all().delete()
    migration.unseed(apps, None)  # nothing archived yet: unapplying may go ahead
    assert not ScheduledJob.objects.filter(name="archive-logs-nightly").exists()
