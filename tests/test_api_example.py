"""The README's automation script runs as documented, and the package root exports the API."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jenkins_docker

ROOT = Path(__file__).resolve().parent.parent


def test_the_automation_example_plans_and_syncs_a_jenkins_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = subprocess.run([sys.executable, "examples/automation.py", str(home)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "wave 1: iiiepe/nginx, iiiepe/nodejs" in first.stdout
    assert "plan: 16 to create, 0 to update" in first.stdout
    again = subprocess.run([sys.executable, "examples/automation.py", str(home)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "plan: 0 to create, 0 to update" in again.stdout


def test_every_public_name_resolves_from_the_package_root() -> None:
    for name in jenkins_docker.__all__:
        assert getattr(jenkins_docker, name) is not None, name
    assert callable(jenkins_docker.render) and callable(jenkins_docker.load)


def test_the_automation_example_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    """Users run mypy --strict on their scripts: the root's exports must be explicit re-exports."""
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--cache-dir", str(tmp_path),
                           "examples/automation.py"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found in 1 source file" in done.stdout


def test_the_type_checking_imports_name_every_export() -> None:
    """The lazy exports and the names type checkers see are one list."""
    import ast

    tree = ast.parse((ROOT / "jenkins_docker" / "__init__.py").read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.asname for node in guarded.body if isinstance(node, ast.ImportFrom) for alias in node.names if alias.asname == alias.name}
    assert seen == set(jenkins_docker.__all__) - {"__version__"}
