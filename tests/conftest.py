import pytest

from portal.celery import app as celery_app
from portal.models import Role
from tests.factories import make_tree, user_with_role


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def worker(tree):
    """A community worker of community A."""
    return user_with_role(Role.COMMUNITY_WORKER, tree["a"], username="worker_a")


@pytest.fixture
def worker_b(tree):
    return user_with_role(Role.COMMUNITY_WORKER, tree["b"], username="worker_b")


@pytest.fixture
def street_officer(tree):
    """Street officer of street 1 (communities A and C)."""
    return user_with_role(Role.STREET_OFFICER, tree["street1"], username="street1")


@pytest.fixture
def secretary(tree):
    return user_with_role(Role.COMMUNITY_SECRETARY, tree["a"], username="secretary_a")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_2fa: test clients' sign-ins are not given a verified second factor automatically",
    )


@pytest.fixture(autouse=True)
def _two_factor_on_test_logins(request, monkeypatch):
    """``client.force_login``/``login`` of a user who requires 2FA (officials, auditors,
    superusers) also gives them an authenticator and a verified session, as if they had typed
    the code; ``@pytest.mark.real_2fa`` turns this off for the two-factor tests."""
    if request.node.get_closest_marker("real_2fa"):
        return
    from django.test import Client

    from tests.two_factor import verify_client_session

    original = Client._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        verify_client_session(self, user)

    monkeypatch.setattr(Client, "_login", _login)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashers cost ~0.4 s a user; tests only need passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _public_rate_limits_off(settings):
    # Counts would carry over between tests in a shared cache (locmem, or Redis in CI) and turn
    # the 6th public-form test into a 429; tests/security/test_rate_limits.py switches them on.
    settings.RATELIMIT_ENABLE = False


# Tasks run in the calling process in tests; tests/integration starts a real worker on Redis.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True
