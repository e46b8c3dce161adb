"""Re-encrypt every encrypted personal field under the current (first) key.

    BAODAO_FIELD_ENCRYPTION_KEYS="<new>,<old>" python manage.py rotate_field_keys

Then drop the old key from the list. Safe to run again at any time: values already under the
current key are left alone, and the lookup hashes are recomputed too (so changing
BAODAO_LOOKUP_HASH_KEY is followed by the same command). Works in batches, one transaction each.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from portal import crypto
from portal.identity import id_number_hash
from portal.models import User


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields under the first key of BAODAO_FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        rotated = rehashed = checked = 0
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
                    changed = []
                    if not crypto.is_current(user.token):
                        changed.append("id_number")  # saving encrypts under the first key
                        rotated += 1
                    digest = id_number_hash(user.id_number)
                    if digest != user.id_number_hash:
                        user.id_number_hash = digest
                        changed.append("id_number_hash")
                        rehashed += 1
                    if changed:
                        # update(), not save(): no signals, no other field touched.
                        User.objects.filter(pk=user.pk).update(
                            **{name: getattr(user, name) for name in changed}
                        )
                checked += len(batch)
                last_pk = batch[-1].pk
        self.stdout.write(
            self.style.SUCCESS(
                f"{checked} encrypted value(s) checked: {rotated} re-encrypted under the "
                f"current key, {rehashed} lookup hash(es) recomputed."
            )
        )
