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
