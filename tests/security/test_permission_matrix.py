"""The permission matrix, pinned: every role × every action, written out here by hand.

tests/test_scoping_matrix.py derives its expectations from ``portal.access.PERMISSIONS``, so it
proves that ``scope`` and the pages follow the matrix, whatever the matrix says. This file does
not read ``PERMISSIONS`` at all: it states what each role may do, so that an accidental grant
(or revocation) in the code fails here cell by cell. A new role or action fails until a row or
column for it is written below, by someone who decided what it should be.
"""

from __future__ import annotations

import pytest

from portal.access import ALL_ACTIONS, PERMISSIONS, can
from portal.models import Area, Role
from tests.factories import AreaFactory, make_tree, user_with_role

pytestmark = pytest.mark.django_db

# Columns: the roles, in this order.
COLUMNS = {
    "MEM": "member",
    "UNIT": "unit_admin",
    "GRID": "grid_worker",
    "CW": "community_worker",
    "SEC": "community_secretary",
    "ST": "street_officer",
    "DIST": "district_official",
    "CITY": "city_admin",
    "AUD": "auditor",
    "PART": "partner",
}
# Y: the role may do the action in its area and below; .: it may not, anywhere.
EXPECTED_TABLE = """
action                 MEM UNIT GRID   CW  SEC   ST DIST CITY  AUD PART
need.view                Y    Y    Y    Y    Y    Y    Y    Y    .    Y
need.create              .    .    Y    Y    Y    Y    .    .    .    Y
need.process             .    .    .    Y    Y    Y    Y    .    .    Y
need.reveal_contact      .    .    .    Y    Y    .    .    .    .    Y
resource.view            Y    Y    Y    Y    Y    Y    Y    Y    .    Y
resource.change          .    .    .    Y    Y    Y    .    .    .    Y
project.view             Y    Y    Y    Y    Y    Y    Y    Y    .    Y
project.change           .    .    .    Y    Y    Y    .    .    .    .
project.approve          .    .    .    .    Y    Y    .    .    .    .
dashboard.view           .    .    Y    Y    Y    Y    Y    Y    .    .
setting.change           .    .    .    .    .    .    Y    Y    .    .
audit.view               .    .    .    .    .    .    .    .    Y    .
roster.view              .    .    .    Y    Y    Y    Y    Y    .    .
roster.change            .    .    .    Y    Y    .    .    .    .    .
enrollment.view          .    .    .    Y    Y    Y    Y    Y    .    Y
enrollment.decide        .    .    .    Y    Y    .    .    .    .    .
activity.view            Y    Y    Y    Y    Y    Y    Y    Y    .    Y
activity.manage          .    .    .    Y    Y    .    .    .    .    .
service.view             .    .    .    Y    Y    Y    Y    Y    .    Y
match.decide             .    .    .    Y    Y    Y    .    .    .    .
job.view                 .    .    .    Y    Y    Y    Y    Y    .    .
job.run                  .    .    .    Y    Y    Y    .    .    .    .
points.view              .    .    .    Y    Y    Y    Y    Y    .    .
reward.manage            .    .    .    Y    Y    .    .    .    .    .
evaluation.results       Y    Y    Y    Y    Y    Y    Y    Y    .    .
evaluation.view          .    .    .    Y    Y    Y    Y    Y    .    .
evaluation.adjust        .    .    .    .    .    Y    .    .    .    .
evaluation.publish       .    .    .    .    .    Y    .    .    .    .
"""


def _parse(table: str) -> dict[tuple[str, str], bool]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    roles = [COLUMNS[column] for column in header]
    cells: dict[tuple[str, str], bool] = {}
    for action, *marks in rows:
        assert len(marks) == len(roles), f"row {action} has {len(marks)} cells"
        assert set(marks) <= {"Y", "."}, f"row {action}: only Y and . are allowed"
        for role, mark in zip(roles, marks, strict=True):
            cells[(role, action)] = mark == "Y"
    return cells


EXPECTED = _parse(EXPECTED_TABLE)
TABLE_ROLES = list(COLUMNS.values())
TABLE_ACTIONS = list(dict.fromkeys(action for _role, action in EXPECTED))

# Where each role sits, an area below it (its reach) and a sibling outside it.
PLACES = {
    "member": ("a", "grid_a", "c"),
    "unit_admin": ("a", "grid_a", "c"),
    "grid_worker": ("grid_a", "grid_a", "grid_b"),
    "community_worker": ("a", "grid_a", "c"),
    "community_secretary": ("a", "grid_a", "c"),
    "street_officer": ("street1", "a", "b"),
    "district_official": ("district", "b", "d"),
    "city_admin": ("city", "d", "e"),
    "auditor": ("city", "d", "e"),
    "partner": ("a", "grid_a", "c"),
}


@pytest.fixture
def world():
    areas = make_tree()
    district2 = AreaFactory(level=Area.Level.DISTRICT, parent=areas["city"])
    street3 = AreaFactory(level=Area.Level.STREET, parent=district2)
    areas["d"] = AreaFactory(level=Area.Level.COMMUNITY, parent=street3)
    street9 = AreaFactory(
        level=Area.Level.STREET,
        parent=AreaFactory(level=Area.Level.DISTRICT, parent=AreaFactory(level=Area.Level.CITY)),
    )
    areas["e"] = AreaFactory(level=Area.Level.COMMUNITY, parent=street9)
    return areas


def test_the_table_names_every_role_and_every_action_of_the_code():
    code_roles = {role.value for role in Role} | set(PERMISSIONS)
    code_actions = set(ALL_ACTIONS).union(*PERMISSIONS.values())

    missing_roles = sorted(code_roles - set(TABLE_ROLES))
    missing_actions = sorted(code_actions - set(TABLE_ACTIONS))
    assert not missing_roles, f"roles without a column in EXPECTED_TABLE: {missing_roles}"
    assert not missing_actions, f"actions without a row in EXPECTED_TABLE: {missing_actions}"
    assert not set(TABLE_ROLES) - code_roles, "EXPECTED_TABLE has a role the code lacks"
    assert not set(TABLE_ACTIONS) - code_actions, "EXPECTED_TABLE has an action the code lacks"


@pytest.mark.parametrize("role", TABLE_ROLES)
def test_every_cell_of_the_role_matches_can_in_its_area_its_reach_and_nowhere_else(world, role):
    home, below, outside = (world[key] for key in PLACES[role])
    user = user_with_role(role, home)

    wrong = []
    for action in TABLE_ACTIONS:
        expected = EXPECTED[(role, action)]
        seen = (
            can(user, action, area=home),
            can(user, action, area=below),
            can(user, action),
            can(user, action, area=outside),
        )
        if seen != (expected, expected, expected, False):
            wrong.append(f"{role} × {action}: expected {expected}, can() gave {seen}")

    assert not wrong, "\n".join(wrong)


def test_the_number_of_cells(capsys):
    cells = len(TABLE_ROLES) * len(TABLE_ACTIONS)
    assert len(EXPECTED) == cells
    with capsys.disabled():
        print(
            f"\nPermission matrix: {cells} cells "
            f"({len(TABLE_ROLES)} roles × {len(TABLE_ACTIONS)} actions)"
        )
