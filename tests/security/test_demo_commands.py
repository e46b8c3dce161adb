"""The demo data commands refuse to run under production settings: the demo accounts (a
superuser among them) share a published password and two-factor key."""

import pytest
from django.core.management import CommandError, call_command

from portal.models import User


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_demo_2fa_code_refuses_to_run_in_production(settings, capsys):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        call_command("demo_2fa_code")

    assert "Authenticator key" not in capsys.readouterr().out


def test_demo_2fa_code_still_prints_the_code_outside_production(settings, capsys):
    settings.PRODUCTION = False

    call_command("demo_2fa_code")

    assert "Authenticator key" in capsys.readouterr().out
