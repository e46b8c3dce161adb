"""The append-only, hash-chained audit log and its verifier."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError

from portal import audit
from portal.models import AuditEvent
from tests.factories import UserFactory

TABLE = AuditEvent._meta.db_table


def _raw(sql: str, params: list) -> None:
    """Write behind the model's back, as someone with database access might."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(TABLE)), params)


@pytest.fixture
def chain(tree, worker):
    """Three events about community A."""
    return [
        audit.record(action=f"test.step{i}", actor=worker, area=tree["a"], data={"step": i})
        for i in range(1, 4)
    ]


def test_the_first_event_links_to_the_genesis_hash(chain):
    assert chain[0].seq == 1
    assert chain[0].prev_hash == audit.GENESIS_HASH


def test_each_event_links_to_the_hash_of_the_one_before(chain):
    for previous, event in zip(chain, chain[1:], strict=False):
        assert event.seq == previous.seq + 1
        assert event.prev_hash == previous.hash


def test_an_events_hash_covers_its_content(chain):
    for event in AuditEvent.objects.all():
        assert event.hash == audit.compute_hash(event)


def test_record_names_the_actor_and_the_object(tree, worker):
    event = audit.record(action="test.object", actor=worker, obj=tree["a"], area=tree["a"])

    assert event.actor == worker
    assert event.actor_label == str(worker)
    assert (event.object_type, event.object_id) == ("portal.area", str(tree["a"].pk))


def test_record_without_a_signed_in_actor_leaves_the_actor_empty(tree):
    event = audit.record(action="test.resident", area=tree["a"])

    assert event.actor is None
    assert event.actor_label == ""


def test_history_for_lists_one_records_events_oldest_first(tree, worker):
    first = audit.record(action="test.one", actor=worker, obj=tree["a"], area=tree["a"])
    audit.record(action="test.other", actor=worker, obj=tree["b"], area=tree["b"])
    second = audit.record(action="test.two", actor=worker, obj=tree["a"], area=tree["a"])

    assert list(audit.history_for(tree["a"])) == [first, second]


def test_verify_chain_accepts_an_untouched_chain(chain):
    assert audit.verify_chain() == (3, None)


def test_verify_audit_command_reports_an_intact_chain(chain, capsys):
    call_command("verify_audit")

    assert "3 event(s) verified" in capsys.readouterr().out


def test_verify_audit_accepts_an_empty_log(db, capsys):
    call_command("verify_audit")

    assert "0 event(s)" in capsys.readouterr().out


def test_tampering_with_an_events_data_is_detected_at_that_event(chain):
    _raw("UPDATE {table} SET data = %s WHERE seq = %s", [json.dumps({"step": 99}), 2])

    with pytest.raises(CommandError, match=r"#2\b.*content does not match its hash"):
        call_command("verify_audit")


def test_tampering_with_an_events_action_is_detected_at_that_event(chain):
    _raw("UPDATE {table} SET action = %s WHERE seq = %s", ["test.innocent", 3])

    with pytest.raises(CommandError, match=r"#3\b"):
        call_command("verify_audit")


def test_rewriting_an_event_and_its_hash_breaks_the_next_link(chain):
    forged = AuditEvent.objects.get(seq=2)
    forged.data = {"step": 99}
    _raw(
        "UPDATE {table} SET data = %s, hash = %s WHERE seq = %s",
        [json.dumps(forged.data), audit.compute_hash(forged), 2],
    )

    with pytest.raises(CommandError, match=r"#3\b.*previous-hash link"):
        call_command("verify_audit")


def test_deleting_a_middle_event_is_detected_as_a_gap(chain):
    _raw("DELETE FROM {table} WHERE seq = %s", [2])

    with pytest.raises(CommandError, match=r"#3\b.*expected #2"):
        call_command("verify_audit")


def test_deleting_the_last_event_is_detected_against_the_chain_head(chain):
    _raw("DELETE FROM {table} WHERE seq = %s", [3])

    with pytest.raises(CommandError, match=r"#3\b.*head records #3"):
        call_command("verify_audit")


def test_an_existing_event_cannot_be_saved_again(chain):
    event = AuditEvent.objects.get(seq=1)
    event.data = {"step": 99}

    with pytest.raises(ValidationError):
        event.save()
    assert AuditEvent.objects.get(seq=1).data == {"step": 1}


def test_an_event_cannot_be_deleted(chain):
    with pytest.raises(ValidationError):
        AuditEvent.objects.get(seq=1).delete()
    assert AuditEvent.objects.count() == 3


def test_a_user_with_audit_history_cannot_be_deleted(tree):
    user = UserFactory()
    audit.record(action="test.by_leaver", actor=user, area=tree["a"])

    with pytest.raises(ProtectedError):
        user.delete()

    assert audit.verify_chain()[1] is None


def test_bulk_update_and_delete_of_audit_events_are_refused(tree):
    audit.record(action="test.one", area=tree["a"])

    with pytest.raises(ValidationError):
        AuditEvent.objects.all().update(action="forged")
    with pytest.raises(ValidationError):
        AuditEvent.objects.all().delete()

    assert audit.verify_chain() == (1, None)
