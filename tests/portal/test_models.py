"""The area tree and the user's display helpers."""

import pytest
from django.db import IntegrityError, transaction

from portal.models import Area, mask_id_number, mask_phone
from portal.selectors import area_and_below
from tests.factories import AreaFactory, UserFactory


def test_area_path_is_materialised_from_the_codes_of_its_ancestors(tree):
    city, district, street1, a = tree["city"], tree["district"], tree["street1"], tree["a"]

    assert city.path == f"{city.code}/"
    assert a.path == f"{city.code}/{district.code}/{street1.code}/{a.code}/"


def test_area_path_is_recomputed_on_save(tree):
    a = tree["a"]
    a.code = "310101001001"
    a.save()

    a.refresh_from_db()
    assert a.path == f"{tree['street1'].path}310101001001/"


def test_area_and_below_returns_the_subtree_in_one_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        below = list(area_and_below(tree["street1"]))

    # Ordered by path: depth-first, each area before the areas under it.
    assert below == [tree["street1"], tree["a"], tree["grid_a"], tree["c"]]


def test_area_and_below_does_not_match_a_sibling_whose_code_shares_a_prefix(tree):
    street = tree["street1"]
    short = AreaFactory(level=Area.Level.COMMUNITY, parent=street, code="4401")
    longer = AreaFactory(level=Area.Level.COMMUNITY, parent=street, code="44011")

    assert list(area_and_below(short)) == [short]
    assert list(area_and_below(longer)) == [longer]


def test_a_city_is_the_only_level_that_may_be_a_root(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaFactory(level=Area.Level.DISTRICT, parent=None)


def test_a_city_cannot_have_a_parent(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaFactory(level=Area.Level.CITY, parent=tree["city"])


def test_ancestors_run_from_the_root_down_to_the_area_itself(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        chain = list(tree["grid_a"].ancestors())

    assert chain == [
        tree["city"],
        tree["district"],
        tree["street1"],
        tree["a"],
        tree["grid_a"],
    ]


def test_is_within_holds_for_descendants_and_the_area_itself(tree):
    assert tree["grid_a"].is_within(tree["street1"])
    assert tree["a"].is_within(tree["a"])
    assert not tree["b"].is_within(tree["street1"])


def test_mask_phone_keeps_the_first_three_and_last_four_digits():
    assert mask_phone("13812341234") == "138****1234"


def test_mask_phone_of_nothing_is_empty():
    assert mask_phone("") == ""
    assert mask_phone(None) == ""


def test_mask_id_number_keeps_only_the_last_four_characters():
    assert mask_id_number("11010119900101123X") == "**************123X"


def test_user_exposes_masked_phone_and_id_number(db):
    user = UserFactory(phone="13812341234", id_number="110101199001011234")

    assert user.masked_phone == "138****1234"
    assert user.masked_id_number == "**************1234"


def test_user_display_name_prefers_the_real_name(db):
    assert UserFactory(username="zhang", real_name="张三").display_name == "张三"
    assert UserFactory(username="li", real_name="").display_name == "li"
