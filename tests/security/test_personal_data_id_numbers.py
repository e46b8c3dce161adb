"""ID numbers: validated (GB 11643), encrypted at rest under rotatable keys, found through a
keyed hash (one person, one account), masked by default, revealed only to the member's own
community workers with an audit event."""

from __future__ import annotations

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from portal import crypto, privacy
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.identity import id_number_hash, validate_id_number
from portal.models import AuditEvent, User, mask_id_number
from tests.factories import UserFactory, make_party_member

pytestmark = pytest.mark.django_db

VALID = "11010519491231002X"
OTHER_VALID = "330102199001011234"


def _stored(user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM portal_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [VALID, VALID.lower(), OTHER_VALID, " 3301021990 01011234 "])
def test_valid_id_numbers_pass(value):
    validate_id_number(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11010519491231002", "18 characters"),
        ("1101051949123100200", "18 characters"),
        ("01010519491231002X", "17 digits followed by a digit or X"),
        ("1101051949123100X2", "17 digits followed by a digit or X"),
        ("110105194913310025", "birth date"),
        ("110105189901010027", "birth date"),
        ("110105209901010020", "birth date"),
        ("110105194912310021", "does not match"),
    ],
)
def test_invalid_id_numbers_get_a_clear_message(value, message, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert message in exc.value.messages[0]


def test_mask_keeps_only_the_last_four():
    assert mask_id_number(VALID) == "**************002X"


# --- encryption at rest -----------------------------------------------------------------------


def test_id_number_is_encrypted_in_the_database_and_decrypted_in_python(db):
    user = UserFactory(id_number=VALID.lower())

    stored = _stored(user)
    assert VALID not in stored and VALID.lower() not in stored
    assert crypto.decrypt(stored) == VALID
    assert User.objects.get(pk=user.pk).id_number == VALID
    assert user.id_number_hash == id_number_hash(VALID) and len(user.id_number_hash) == 64


def test_the_lookup_hash_is_keyed(db, settings):
    digest = id_number_hash(VALID)
    settings.BAODAO_LOOKUP_HASH_KEY = "another-key-" * 4
    assert id_number_hash(VALID) != digest


def test_no_id_number_stays_empty(db):
    user = UserFactory()
    assert _stored(user) == "" and user.id_number_hash == ""


def test_one_person_one_account(db):
    UserFactory(id_number=VALID)
    with pytest.raises(IntegrityError):
        UserFactory(id_number=VALID.lower())


def test_find_by_id_number_uses_the_hash(db):
    user = UserFactory(id_number=VALID)
    UserFactory(id_number=OTHER_VALID)
    assert privacy.find_user_by_id_number(VALID.lower()) == user
    assert privacy.find_user_by_id_number("110101199001011237") is None


def test_a_value_under_an_unknown_key_fails_loudly(db, settings):
    user = UserFactory(id_number=VALID)
    settings.BAODAO_FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="rotate_field_keys"):
        User.objects.get(pk=user.pk)


def test_rotation_re_encrypts_under_the_new_key_and_is_idempotent(db, settings):
    old = settings.BAODAO_FIELD_ENCRYPTION_KEYS[0]
    users = [UserFactory(id_number=VALID), UserFactory(id_number=OTHER_VALID), UserFactory()]
    new = Fernet.generate_key().decode()
    settings.BAODAO_FIELD_ENCRYPTION_KEYS = [new, old]

    out = StringIO()
    call_command("rotate_field_keys", "--batch-size", "1", stdout=out)

    assert "2 encrypted value(s) checked: 2 re-encrypted" in out.getvalue()
    settings.BAODAO_FIELD_ENCRYPTION_KEYS = [new]  # the old key can go now
    assert User.objects.get(pk=users[0].pk).id_number == VALID
    assert User.objects.get(pk=users[1].pk).id_number == OTHER_VALID
    again = StringIO()
    call_command("rotate_field_keys", stdout=again)
    assert "0 re-encrypted" in again.getvalue() and "0 lookup hash" in again.getvalue()


def test_rotation_recomputes_lookup_hashes_after_a_hash_key_change(db, settings):
    user = UserFactory(id_number=VALID)
    settings.BAODAO_LOOKUP_HASH_KEY = "a-new-lookup-key-" * 3
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "1 lookup hash(es) recomputed" in out.getvalue()
    assert privacy.find_user_by_id_number(VALID) == user


def test_the_migration_encrypts_plain_values_left_by_earlier_versions(db):
    user = UserFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE portal_user SET id_number = %s WHERE id = %s", [VALID, user.pk])
    migration = importlib.import_module("portal.migrations.0007_id_number_encrypted_at_rest")

    # What RunPython hands over; SQLite's real schema editor refuses to open in a test's
    # transaction.
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.encrypt_existing(apps, editor)

    assert crypto.decrypt(_stored(user)) == VALID
    user.refresh_from_db()
    assert user.id_number == VALID and user.id_number_hash == id_number_hash(VALID)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("BAODAO_FIELD_ENCRYPTION_KEYS", "BAODAO_FIELD_ENCRYPTION_KEYS must be set"),
        ("BAODAO_LOOKUP_HASH_KEY", "BAODAO_LOOKUP_HASH_KEY must be set"),
    ],
)
def test_production_refuses_to_start_without_the_keys(monkeypatch, missing, message):
    from portal import settings as project_settings

    monkeypatch.setattr(project_settings, "PRODUCTION", True)
    monkeypatch.setenv("BAODAO_FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("BAODAO_LOOKUP_HASH_KEY", "x" * 40)
    monkeypatch.delenv(missing)
    with pytest.raises(ImproperlyConfigured, match=message):
        project_settings._personal_data_keys()


def test_a_malformed_key_is_refused(monkeypatch):
    from portal import settings as project_settings

    monkeypatch.setenv("BAODAO_FIELD_ENCRYPTION_KEYS", "not-a-fernet-key")
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        project_settings._personal_data_keys()


# --- set and reveal (services) ----------------------------------------------------------------


@pytest.fixture
def member(tree):
    return make_party_member(tree["a"])


def test_a_community_worker_sets_a_members_id_number_audited_without_the_number(member, worker):
    privacy.set_id_number(
        person=member.user, community=member.home_community, id_number=VALID, by=worker
    )

    member.user.refresh_from_db()
    assert member.user.id_number == VALID
    event = AuditEvent.objects.get(action="person.id_number_changed")
    assert event.actor == worker and VALID not in str(event.data)


def test_a_duplicate_id_number_is_refused_with_a_clear_message(member, worker, settings):
    settings.LANGUAGE_CODE = "en"
    UserFactory(id_number=VALID)
    with pytest.raises(Conflict, match="already registered to another account"):
        privacy.set_id_number(
            person=member.user, community=member.home_community, id_number=VALID, by=worker
        )


def test_an_invalid_id_number_is_refused_naming_the_field(member, worker):
    with pytest.raises(InvalidInput) as exc:
        privacy.set_id_number(
            person=member.user, community=member.home_community, id_number="123", by=worker
        )
    assert exc.value.field == "id_number"


@pytest.mark.parametrize("who", ["worker_b", "street_officer", "member"])
def test_only_the_members_own_community_workers_set_or_reveal(request, member, who):
    by = member.user if who == "member" else request.getfixturevalue(who)
    member.user.id_number = VALID
    member.user.save()
    with pytest.raises(PermissionDenied):
        privacy.reveal_id_number(person=member.user, community=member.home_community, by=by)
    with pytest.raises(PermissionDenied):
        privacy.set_id_number(
            person=member.user, community=member.home_community, id_number="", by=by
        )
    assert not AuditEvent.objects.filter(action__startswith="person.id_number").exists()


def test_a_reveal_returns_the_number_and_is_audited(member, worker):
    member.user.id_number = VALID
    member.user.save()
    assert (
        privacy.reveal_id_number(person=member.user, community=member.home_community, by=worker)
        == VALID
    )
    event = AuditEvent.objects.get(action="person.id_number_revealed")
    assert event.actor == worker and event.object_id == str(member.user.pk)


# --- the member import's optional ID-number column --------------------------------------------


def _import(worker, rows, *, dry_run=False, with_id=True):
    from reporting.importing import run_import
    from tests.reporting.test_import import MEMBER_HEADERS, workbook

    headers = [*MEMBER_HEADERS, "身份证号"] if with_id else MEMBER_HEADERS
    content = workbook(headers, rows)
    return run_import(
        by=worker, kind="members", file_name="名单.xlsx", content=content, dry_run=dry_run
    )


def test_import_stores_id_numbers_encrypted(worker, tree):
    code = tree["a"].code
    report = _import(
        worker,
        [
            ["张三", "13800000001", "甲支部", "", code, VALID.lower()],
            ["李四", "13800000002", "甲支部", "", code, ""],
        ],
    )
    assert report.ok and report.created == 2
    user = User.objects.get(phone="13800000001")
    assert user.id_number == VALID and VALID not in _stored(user)
    assert privacy.find_user_by_id_number(VALID) == user


def test_import_without_the_id_column_still_works(worker, tree):
    report = _import(worker, [["张三", "13800000001", "甲支部", "", tree["a"].code]], with_id=False)
    assert report.ok and report.created == 1


def test_import_names_the_rows_of_duplicate_and_invalid_id_numbers(worker, tree, settings):
    settings.LANGUAGE_CODE = "en"
    UserFactory(id_number=OTHER_VALID)
    code = tree["a"].code
    report = _import(
        worker,
        [
            ["甲", "13800000001", "甲支部", "", code, VALID],
            ["乙", "13800000002", "甲支部", "", code, VALID],
            ["丙", "13800000003", "甲支部", "", code, OTHER_VALID],
            ["丁", "13800000004", "甲支部", "", code, "110105194912310021"],
        ],
    )
    assert report.created == 0
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(3, "身份证号")] == "This ID number is also on row 2."
    assert "already registered" in messages[(4, "身份证号")]
    assert "does not match" in messages[(5, "身份证号")]
    assert not User.objects.filter(phone__startswith="1380000000").exists()


def test_import_records_how_many_id_numbers_it_set_never_the_numbers(worker, tree):
    code = tree["a"].code
    report = _import(
        worker,
        [
            ["张三", "13800000001", "甲支部", "", code, VALID],
            ["李四", "13800000002", "甲支部", "", code, ""],
            ["王五", "13800000003", "甲支部", "", code, OTHER_VALID],
        ],
    )
    assert report.ok and report.created == 3
    event = AuditEvent.objects.get(action="roster.imported")
    assert event.data["id_numbers_set"] == 2
    assert VALID not in str(event.data) and OTHER_VALID not in str(event.data)


# --- legacy duplicates (migration 0007 left the second holder without a lookup hash) ----------


def _legacy_duplicate_pair() -> tuple[User, User]:
    """What migration 0007 leaves for two accounts that shared a number: both encrypted, the
    second without a lookup hash."""
    first = UserFactory(id_number=VALID)
    second = UserFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_user SET id_number = %s, id_number_hash = '' WHERE id = %s",
            [crypto.encrypt(VALID), second.pk],
        )
    return first, User.objects.get(pk=second.pk)


def test_a_legacy_duplicate_can_still_be_saved_and_change_its_password(db):
    first, second = _legacy_duplicate_pair()

    second.real_name = "改名"
    second.save()
    second.set_password("a-new-long-passphrase-42")
    second.save()

    second = User.objects.get(pk=second.pk)
    assert second.real_name == "改名" and second.check_password("a-new-long-passphrase-42")
    assert second.id_number == VALID and second.id_number_hash == ""
    assert privacy.find_user_by_id_number(VALID) == first


def test_a_changed_id_number_still_gets_its_hash(db):
    _first, second = _legacy_duplicate_pair()
    second.id_number = OTHER_VALID.lower()
    second.save()
    assert User.objects.get(pk=second.pk).id_number_hash == id_number_hash(OTHER_VALID)


def test_rotation_skips_legacy_duplicates_names_them_and_fails(db, settings):
    old = settings.BAODAO_FIELD_ENCRYPTION_KEYS[0]
    first, second = _legacy_duplicate_pair()
    later = UserFactory(id_number=OTHER_VALID)  # after the duplicate: must still be done
    settings.BAODAO_FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS = [settings.BAODAO_LOOKUP_HASH_KEY]
    settings.BAODAO_LOOKUP_HASH_KEY = "a-new-lookup-key-" * 3

    out = StringIO()
    with pytest.raises(CommandError, match=rf"user id\(s\) {second.pk}\. Merge"):
        call_command("rotate_field_keys", "--batch-size", "1", stdout=out)

    assert "3 encrypted value(s) checked: 3 re-encrypted" in out.getvalue()
    assert "2 lookup hash(es) recomputed" in out.getvalue()
    settings.BAODAO_FIELD_ENCRYPTION_KEYS = settings.BAODAO_FIELD_ENCRYPTION_KEYS[:1]
    settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS = []
    for user in (first, second, later):
        user.refresh_from_db()
    assert first.id_number_hash == id_number_hash(VALID)
    assert later.id_number_hash == id_number_hash(OTHER_VALID)
    assert second.id_number == VALID and second.id_number_hash == ""

    again = StringIO()
    with pytest.raises(CommandError, match=rf"user id\(s\) {second.pk}\. Merge"):
        call_command("rotate_field_keys", stdout=again)
    assert "0 re-encrypted" in again.getvalue() and "0 lookup hash" in again.getvalue()


def test_rotation_names_a_duplicate_processed_before_the_holder(db, settings):
    # The duplicate has the lower id: the holder's hash, still under the old key, must count.
    settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS = []
    duplicate = UserFactory()
    holder = UserFactory(id_number=VALID)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE portal_user SET id_number = %s, id_number_hash = '' WHERE id = %s",
            [crypto.encrypt(VALID), duplicate.pk],
        )
    settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS = [settings.BAODAO_LOOKUP_HASH_KEY]
    settings.BAODAO_LOOKUP_HASH_KEY = "a-new-lookup-key-" * 3

    with pytest.raises(CommandError, match=rf"user id\(s\) {duplicate.pk}\. Merge"):
        call_command("rotate_field_keys", stdout=StringIO())

    holder.refresh_from_db()
    assert holder.id_number_hash == id_number_hash(VALID)
    assert User.objects.get(pk=duplicate.pk).id_number_hash == ""


# --- rotating the lookup-hash key ------------------------------------------------------------


def test_an_old_key_hash_is_found_and_refused_as_duplicate_until_rotated(member, worker, settings):
    holder = UserFactory(id_number=VALID)
    old_hash = holder.id_number_hash
    settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS = [settings.BAODAO_LOOKUP_HASH_KEY]
    settings.BAODAO_LOOKUP_HASH_KEY = "a-new-lookup-key-" * 3

    assert privacy.find_user_by_id_number(VALID) == holder
    assert privacy.id_number_conflict(VALID, exclude=member.user)
    with pytest.raises(Conflict):
        privacy.set_id_number(
            person=member.user, community=member.home_community, id_number=VALID, by=worker
        )
    code = member.home_community.code
    report = _import(worker, [["张三", "13800000001", "甲支部", "", code, VALID]])
    assert not report.ok

    call_command("rotate_field_keys", stdout=StringIO())
    holder.refresh_from_db()
    assert holder.id_number_hash == id_number_hash(VALID) != old_hash
    settings.BAODAO_LOOKUP_HASH_KEY_FALLBACKS = []
    assert privacy.find_user_by_id_number(VALID) == holder


def test_without_the_fallback_an_old_key_hash_is_not_found(db, settings):
    UserFactory(id_number=VALID)
    settings.BAODAO_LOOKUP_HASH_KEY = "a-new-lookup-key-" * 3
    assert privacy.find_user_by_id_number(VALID) is None
