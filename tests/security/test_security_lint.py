"""ruff's security rules (S, the flake8-bandit port) are part of the project's lint: they are
selected in pyproject.toml, the project's code passes them, and they catch what they should.

`make lint` (run by CI) applies the same configuration to the whole tree.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_CODE = ["portal", "resources", "reporting", "evaluation", "benchmarks", "manage.py"]


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_security_rules_are_selected_and_only_tests_relax_them():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]

    assert "S" in lint["select"]
    assert not any(code.startswith("S") for code in lint.get("ignore", []))
    assert set(lint["per-file-ignores"]) <= {"tests/**", "benchmarks/**"}


def test_the_project_code_passes_the_security_rules():
    result = ruff("--select", "S", *PROJECT_CODE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_security_rules_flag_a_shell_command_and_a_hardcoded_secret(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import subprocess\n"
        "PASSWORD = 'hunter2-hunter2'\n"
        "def run(name):\n"
        "    subprocess.call('ls ' + name, shell=True)\n"
    )

    result = ruff("--isolated", "--select", "S", str(bad), cwd=tmp_path)

    assert result.returncode != 0
    assert "S602" in result.stdout
    assert "S105" in result.stdout
