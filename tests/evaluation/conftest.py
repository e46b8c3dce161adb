from __future__ import annotations

from datetime import date

import pytest

from tests.factories import make_party_member, make_resident_unit

DAY = date(2026, 3, 14)


@pytest.fixture
def member(tree):
    """A party member living in community A."""
    return make_party_member(tree["a"], real_name="王小明")


@pytest.fixture
def unit(tree):
    """A resident unit of community A; its contact holds the unit-admin role there."""
    return make_resident_unit(tree["a"], name="区图书馆")
