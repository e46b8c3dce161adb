"""Two-factor helpers for tests: give a user an authenticator, compute its current code, and
mark a test client's session as verified (what the autouse fixture in conftest does)."""

from __future__ import annotations

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.policy import requires_two_factor

# Only for tests and the demo: 20 bytes, hex.
TEST_TOTP_KEY = "3132333435363738393031323334353637383930"


def give_device(user, *, key: str = TEST_TOTP_KEY, confirmed: bool = True) -> TOTPDevice:
    """A TOTP device of ``user`` with a known key (the existing confirmed one if any)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", key=key, confirmed=confirmed)
    return device


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the authenticator app shows now (or ``offset_steps`` steps away)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + offset_steps * device.step
    return f"{generator.token():0{device.digits}d}"


def verify_client_session(client, user) -> None:
    """After a test client signed ``user`` in: if 2FA is required, give them a device and mark
    the session as having passed it."""
    if not requires_two_factor(user):
        return
    device = give_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
