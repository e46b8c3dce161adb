import pytest

from tests.factories import NeedFactory


@pytest.mark.django_db
def test_factories_build_a_need_in_community_a(tree):
    need = NeedFactory(community=tree["a"])
    assert need.area == tree["a"]
