"""portal.access: reach, scope and can. The cell-by-cell walk is in tests/test_scoping_matrix.py."""

import pytest
from django.contrib.auth.models import AnonymousUser

from portal.access import (
    ALL_ACTIONS,
    PERMISSIONS,
    Action,
    areas_for,
    can,
    matrix,
    reach,
    role_grants,
    scope,
)
from portal.models import Area, Role, RoleAssignment, User
from resources.models import Need
from tests.factories import NeedFactory, UserFactory, user_with_role


def test_every_role_has_a_row_in_the_permission_matrix():
    assert set(PERMISSIONS) == {role.value for role in Role}


def test_the_matrix_only_names_known_actions():
    for actions in PERMISSIONS.values():
        assert actions <= set(ALL_ACTIONS)


def test_matrix_rows_mirror_the_permissions_table():
    for role, _label, cells in matrix():
        assert cells == [action in PERMISSIONS[role] for action in ALL_ACTIONS]


def test_only_community_workers_secretaries_and_partners_may_reveal_contact_details():
    # Partners additionally need the `needs:contact` scope on their key (tests/api).
    assert {role for role in Role if role_grants(role, Action.NEED_REVEAL_CONTACT)} == {
        Role.COMMUNITY_WORKER,
        Role.COMMUNITY_SECRETARY,
        Role.PARTNER,
    }


def test_the_auditor_reads_only_the_audit_log():
    assert PERMISSIONS[Role.AUDITOR] == frozenset({Action.AUDIT_VIEW})


def test_reach_is_the_path_of_each_granting_assignment(tree, worker):
    assert reach(worker, Action.NEED_VIEW) == [tree["a"].path]


def test_reach_collapses_areas_nested_under_another(tree):
    user = user_with_role(Role.STREET_OFFICER, tree["street1"])
    RoleAssignment.objects.create(user=user, role=Role.COMMUNITY_WORKER, area=tree["a"])

    assert reach(user, Action.NEED_VIEW) == [tree["street1"].path]


def test_reach_ignores_assignments_whose_role_lacks_the_action(tree):
    user = user_with_role(Role.MEMBER, tree["a"])

    assert reach(user, Action.NEED_PROCESS) == []


def test_anonymous_users_reach_nothing(tree):
    assert reach(AnonymousUser(), Action.NEED_VIEW) == []


def test_inactive_users_reach_nothing(tree):
    user = user_with_role(Role.COMMUNITY_WORKER, tree["a"], is_active=False)

    assert reach(user, Action.NEED_VIEW) == []
    assert not scope(Need.objects.all(), user, Action.NEED_VIEW).exists()


def test_superusers_get_no_bypass(tree):
    NeedFactory(community=tree["a"])
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert not scope(Need.objects.all(), admin, Action.NEED_VIEW).exists()
    assert not can(admin, Action.NEED_VIEW)


def test_scope_keeps_only_records_under_the_users_reach(tree, worker):
    mine = NeedFactory(community=tree["a"])
    in_my_grid = NeedFactory(community=tree["a"], grid=tree["grid_a"])
    NeedFactory(community=tree["b"])
    NeedFactory(community=tree["c"])

    assert set(scope(Need.objects.all(), worker, Action.NEED_VIEW)) == {mine, in_my_grid}


def test_scope_is_empty_for_a_user_without_the_action(tree):
    NeedFactory(community=tree["a"])
    auditor = user_with_role(Role.AUDITOR, tree["city"])

    assert list(scope(Need.objects.all(), auditor, Action.NEED_VIEW)) == []


def test_scope_refuses_a_model_that_is_not_registered(tree, worker):
    with pytest.raises(LookupError):
        scope(User.objects.all(), worker, Action.NEED_VIEW)


def test_assignments_are_read_once_per_user_object(tree, worker, django_assert_num_queries):
    worker = User.objects.get(pk=worker.pk)

    with django_assert_num_queries(1):
        for action in ALL_ACTIONS:
            reach(worker, action)


def test_can_without_an_area_asks_whether_the_user_may_do_it_anywhere(tree, worker):
    assert can(worker, Action.NEED_PROCESS)
    assert not can(worker, Action.PROJECT_APPROVE)


def test_can_in_an_area_holds_for_the_area_and_below_only(tree, worker):
    assert can(worker, Action.NEED_PROCESS, area=tree["a"])
    assert can(worker, Action.NEED_PROCESS, area=tree["grid_a"])
    assert not can(worker, Action.NEED_PROCESS, area=tree["street1"])
    assert not can(worker, Action.NEED_PROCESS, area=tree["b"])


def test_areas_for_lists_the_areas_in_reach_filtered_by_level(tree, street_officer):
    communities = areas_for(street_officer, Action.NEED_CREATE, levels=[Area.Level.COMMUNITY])

    assert set(communities) == {tree["a"], tree["c"]}
