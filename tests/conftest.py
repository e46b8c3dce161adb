import pytest

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
