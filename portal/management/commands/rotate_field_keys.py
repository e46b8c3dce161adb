"""Re-encrypt every encrypted personal field under the current (first) key.

    BAODAO_FIELD_ENCRYPTION_KEYS="<new>,<old>" python manage.py rotate_field_keys

Then drop the old key from the list. Safe to run again at any time: values already under the
current key are left alone, and the lookup hashes are recomputed too (so changing
BAODAO_LOOKUP_HASH_KEY, with the old key in BAODAO_LOOKUP_HASH_KEY_FALLBACKS, is followed by the
same command). Works in batches, one transaction each.

An ID number that another account already holds (a duplicate left by migration 0007, which
gave the second holder no lookup hash) is still re-encrypted but gets no hash, so the unique
constraint holds; every other row is processed, then the command names those accounts and
exits non-zero until an operator has merged or corrected them.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from portal import crypto
from portal.identity import id_number_hash, id_number_hashes
from portal.models import User


def _held_by_another(user: User) -> bool:
    """Does another account hold this number, hashed under the current or a fallback key?"""
    return (
        User.objects.filter(id_number_hash__in=id_number_hashes(user.id_number))
        .exclude(pk=user.pk)
        .exists()
    )


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields under the first key of BAODAO_FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        rotated = rehashed = checked = 0
        duplicates: list[int] = []
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    User.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .exclude(id_number="")
                    # The stored token, not the decrypted value the field gives.
                    .annotate(token=Cast("id_number", output_field=TextField()))
                    .only("pk", "id_number", "id_number_hash")
                    .order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                for user in batch:
                    changes = {}
                    if not crypto.is_current(user.token):
                        changes["id_number"] = user.id_number  # saving encrypts under the first key
                        rotated += 1
                    digest = id_number_hash(user.id_number)
                    duplicate = digest != user.id_number_hash and _held_by_another(user)
                    if duplicate:
                        digest = ""  # the other holder keeps the lookup
                    if digest != user.id_number_hash:
                        changes["id_number_hash"] = digest
                    if changes and not self._update(user, changes):
                        duplicate = True
                    elif digest and "id_number_hash" in changes:
                        rehashed += 1
                    if duplicate:
                        duplicates.append(user.pk)
                checked += len(batch)
                last_pk = batch[-1].pk
        self.stdout.write(
            self.style.SUCCESS(
                f"{checked} encrypted value(s) checked: {rotated} re-encrypted under the "
                f"current key, {rehashed} lookup hash(es) recomputed."
            )
        )
        if duplicates:
            raise CommandError(
                f"{len(duplicates)} account(s) hold an ID number that another account also "
                f"holds, so they have no lookup hash: user id(s) "
                f"{', '.join(str(pk) for pk in duplicates)}. Merge these accounts with the other "
                f"holder or correct their ID number, then run rotate_field_keys again."
            )

    @staticmethod
    def _update(user: User, changes: dict[str, str]) -> bool:
        # update(), not save(): no signals, no other field touched. The savepoint covers a
        # holder who took the same number since the check; the number is still re-encrypted.
        try:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(**changes)
        except IntegrityError:
            User.objects.filter(pk=user.pk).update(
                **{k: v for k, v in changes.items() if k != "id_number_hash"}, id_number_hash=""
            )
            return False
        return True
