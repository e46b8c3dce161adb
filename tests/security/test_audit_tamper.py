"""``manage.py verify_audit`` against someone with database access who edits the audit log.

Each tamper goes around the model's append-only guards the way an operator with ORM or SQL
access would (the plain ``QuerySet`` methods, not ``AppendOnlyQuerySet``'s refusals), then runs
the command as ``manage.py`` does: a broken chain must end the process with a non-zero status
and name the first bad sequence number. tests/portal/test_audit.py covers the same ground
through ``call_command`` and raw SQL; this file pins the exit status and the reordering cases,
and the forged archive records that would otherwise hide deleted events (portal.retention).
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import load_command_class
from django.db import connections, models
from django.utils import timezone

from portal import audit, retention
from portal.models import AuditArchive, AuditEvent, AuditHead

pytestmark = pytest.mark.django_db

EVENTS = 5


@pytest.fixture
def chain(tree, worker):
    """Five events about community A."""
    return [
        audit.record(action=f"test.step{i}", actor=worker, area=tree["a"], data={"step": i})
        for i in range(1, EVENTS + 1)
    ]


def _events(**lookup) -> models.QuerySet:
    return AuditEvent.objects.filter(**lookup)


def _update(queryset: models.QuerySet, **values) -> None:
    """A bulk update that skips AppendOnlyQuerySet's refusal (as ORM access could)."""
    assert models.QuerySet.update(queryset, **values) == 1


def _delete(seq: int) -> None:
    queryset = _events(seq=seq)
    assert queryset._raw_delete(queryset.db) == 1


def _swap(seq_a: int, seq_b: int, field: str) -> None:
    first = _events(seq=seq_a).values_list(field, flat=True).get()
    second = _events(seq=seq_b).values_list(field, flat=True).get()
    if field == "seq":
        # seq is unique: move one aside first.
        _update(_events(seq=seq_a), seq=10_000)
        _update(_events(seq=seq_b), seq=first)
        _update(_events(seq=10_000), seq=second)
    else:
        _update(_events(seq=seq_a), **{field: second})
        _update(_events(seq=seq_b), **{field: first})


def _verify(capsys) -> tuple[int, str]:
    """Run ``manage.py verify_audit``; return (exit status, stdout + stderr)."""
    try:
        # What manage.py runs after setup: a CommandError becomes a message and sys.exit(1).
        # run_from_argv closes every connection when done, which would end the test's
        # transaction on PostgreSQL; the test database must stay open.
        with mock.patch.object(connections, "close_all"):
            load_command_class("portal", "verify_audit").run_from_argv(
                ["manage.py", "verify_audit"]
            )
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_a_clean_chain_passes_with_exit_status_zero(chain, capsys):
    status, output = _verify(capsys)

    assert status == 0
    assert f"{EVENTS} event(s) verified" in output


def test_an_altered_data_field_fails_naming_its_seq(chain, capsys):
    _update(_events(seq=3), data={"step": 99})

    status, output = _verify(capsys)

    assert status != 0
    assert "#3 " in output and "content does not match its hash" in output


def test_an_altered_action_fails_naming_its_seq(chain, capsys):
    _update(_events(seq=2), action="test.innocent")

    status, output = _verify(capsys)

    assert status != 0
    assert "#2 " in output


def test_an_altered_actor_fails_naming_its_seq(chain, capsys, tree):
    _update(_events(seq=4), actor=None, actor_label="")

    status, output = _verify(capsys)

    assert status != 0
    assert "#4 " in output


def test_a_deleted_middle_row_fails_naming_the_row_after_the_gap(chain, capsys):
    _delete(3)

    status, output = _verify(capsys)

    assert status != 0
    assert "#4 " in output and "expected #3" in output


def test_a_deleted_last_row_fails_against_the_chain_head(chain, capsys):
    _delete(EVENTS)

    status, output = _verify(capsys)

    assert status != 0
    assert f"#{EVENTS} " in output and f"head records #{EVENTS}" in output
    assert AuditHead.objects.get().last_seq == EVENTS


def test_deleting_the_first_row_fails_at_seq_one(chain, capsys):
    _delete(1)

    status, output = _verify(capsys)

    assert status != 0
    assert "#2 " in output and "expected #1" in output


def test_two_rows_with_swapped_seq_fail_at_the_first_of_them(chain, capsys):
    _swap(2, 3, "seq")

    status, output = _verify(capsys)

    assert status != 0
    assert "#2 " in output


def test_two_rows_with_swapped_created_at_fail_at_the_first_of_them(chain, capsys):
    assert chain[1].created_at != chain[3].created_at
    _swap(2, 4, "created_at")

    status, output = _verify(capsys)

    assert status != 0
    assert "#2 " in output and "content does not match its hash" in output


def test_a_reordered_chain_whose_hashes_were_recomputed_still_fails_at_the_head_link(chain, capsys):
    # A careful forger swaps two rows' seq and recomputes their own hashes; the links to the
    # neighbours (prev_hash) cannot all be repaired without rewriting every later event.
    _swap(3, 4, "seq")
    for seq in (3, 4):
        event = _events(seq=seq).get()
        _update(_events(seq=seq), hash=audit.compute_hash(event))

    status, output = _verify(capsys)

    assert status != 0
    assert "#3 " in output and "previous-hash link" in output


# --- forged archive records ------------------------------------------------------------------


@pytest.fixture
def archive_dir(settings, tmp_path):
    settings.BAODAO_ARCHIVE_DIR = tmp_path / "archive"
    return settings.BAODAO_ARCHIVE_DIR


def _forge_archive(last_seq: int, archive_dir) -> None:
    """Delete #1..#last_seq and record them as archived, as someone with database and file
    access could: the hashes at both ends were readable before, and the file even holds the
    real events with its real checksum, so only the missing audit.archived event tells."""
    name = f"audit-{1:012d}-{last_seq:012d}.jsonl.gz"
    sha256 = retention._write_jsonl_gz(
        archive_dir / name, retention._audit_lines(1, last_seq, audit.GENESIS_HASH)
    )
    last_hash = _events(seq=last_seq).values_list("hash", flat=True).get()
    doomed = _events(seq__lte=last_seq)
    assert doomed._raw_delete(doomed.db) == last_seq
    AuditArchive.objects.create(
        first_seq=1,
        last_seq=last_seq,
        first_prev_hash=audit.GENESIS_HASH,
        last_hash=last_hash,
        count=last_seq,
        file_name=name,
        file_sha256=sha256,
        cutoff=timezone.now(),
    )


def test_a_forged_archive_record_hiding_the_first_events_fails(chain, capsys, archive_dir):
    _forge_archive(3, archive_dir)
    # Without the archive check the rest of the chain would pass: it starts at #3's hash.
    assert audit.verify_chain() == (EVENTS - 3, None)

    status, output = _verify(capsys)

    assert status != 0
    assert "(#1-#3): no audit.archived event in the audit chain records this archive" in output


def test_a_forged_archive_record_hiding_the_whole_log_fails(chain, capsys, archive_dir):
    _forge_archive(EVENTS, archive_dir)
    assert AuditEvent.objects.count() == 0
    assert audit.verify_chain() == (0, None)  # the head agrees with the forged record

    status, output = _verify(capsys)

    assert status != 0
    assert f"(#1-#{EVENTS}): no audit.archived event" in output


def test_a_legitimate_archive_run_passes_with_exit_status_zero(tree, worker, capsys, archive_dir):
    with mock.patch("portal.audit.timezone.now", return_value=timezone.now() - timedelta(300)):
        for i in range(3):
            audit.record(action=f"test.step{i}", actor=worker, area=tree["a"])
    assert retention.archive_audit_events() == 3

    status, output = _verify(capsys)

    assert status == 0
    assert "1 event(s) verified after 3 archived event(s)" in output
    assert "Audit archives intact: 1 file(s) checked." in output


def test_an_archive_record_edited_away_from_its_audit_archived_event_fails(
    tree, worker, capsys, archive_dir
):
    with mock.patch("portal.audit.timezone.now", return_value=timezone.now() - timedelta(300)):
        for i in range(3):
            audit.record(action=f"test.step{i}", actor=worker, area=tree["a"])
    retention.archive_audit_events()
    # A file swapped for another one, its new checksum written into the record.
    _update(AuditArchive.objects.all(), file_sha256="f" * 64)

    status, output = _verify(capsys)

    assert status != 0
    assert "differs from its audit.archived event #4 (file_sha256)" in output
