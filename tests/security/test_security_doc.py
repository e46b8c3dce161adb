"""docs/security.md names the test behind each control; every test it names must exist."""

import ast
import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
DOC = BASE / "docs" / "security.md"
# `file.py::test_name`, `::test_name` (same file as the reference before it in the line) and
# bare `path/file.py` references.
REFERENCE = re.compile(r"`((?:[\w/]+\.py)?)(?:::(\w+))?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def named_tests() -> list[tuple[str, str | None]]:
    found = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        current = None
        for file, name in REFERENCE.findall(line):
            if not file and not name:
                continue
            if file:
                current = file if "/" in file else f"tests/security/{file}"
            if current is None:
                continue
            found.append((current, name or None))
    return found


def test_the_security_doc_names_only_tests_that_exist():
    references = named_tests()
    assert len(references) > 100  # the document is the list of controls, not a summary

    missing = []
    for file, name in references:
        path = BASE / file
        if not path.exists():
            missing.append(file)
        elif name and name not in _tests_in(path):
            missing.append(f"{file}::{name}")
    assert not missing, f"docs/security.md names tests that do not exist: {missing}"


def test_the_checker_notices_a_renamed_test(tmp_path, monkeypatch):
    fake = tmp_path / "security.md"
    fake.write_text("| x | `test_csp.py::test_that_was_renamed` |\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.DOC", fake)

    ((file, name),) = named_tests()

    assert name not in _tests_in(BASE / file)
