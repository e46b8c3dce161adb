"""Print the current two-factor code of the demo accounts (their authenticator key is public)."""

import time
from base64 import b32encode
from binascii import unhexlify

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from portal.demo import DEMO_TOTP_KEY
from portal.management.commands.seed_demo import refuse_in_production


class Command(BaseCommand):
    help = (
        "Print the 6-digit code that the demo officials, auditor and admin type after their "
        "password (demo data only), and the key to add to an authenticator app instead."
    )

    def handle(self, *args, **options):
        refuse_in_production()
        key = unhexlify(DEMO_TOTP_KEY)
        generator = TOTP(key, step=30, t0=0, digits=6)
        generator.time = time.time()
        remaining = 30 - int(generator.time) % 30
        self.stdout.write(f"{generator.token():06d}  (valid for {remaining} more seconds)")
        self.stdout.write(f"Authenticator key: {b32encode(key).decode()}")
