"""What `pip install .` gives users: a command that works outside the source tree, with its data."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iiiepe" / "inventory.yml"


def test_installed_command_renders_from_outside_the_source_tree(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "jenkins-docker"
    if not script.exists():
        pytest.fail("the jenkins-docker console script is not installed next to this Python (run `make test`)")
    done = subprocess.run([str(script), "render", str(EXAMPLE), "-o", str(tmp_path / "out")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "jobs" / "docker" / "jobs" / "website" / "config.xml").is_file()


def test_wheel_holds_the_templates_the_schema_marker_and_the_entry_points(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wheel = next(tmp_path.glob("jenkins_docker-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in ("freestyle.xml.j2", "pipeline.xml.j2", "deploy-freestyle.xml.j2", "seed.xml.j2", "watch.xml.j2", "folder.xml.j2", "view.xml.j2"):
        assert f"jenkins_docker/job_templates/{template}" in names
    assert "jenkins_docker/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "jenkins-docker = jenkins_docker.cli:main" in text
    # The fake Jenkins's pytest plugin is opt-in: installing the package must not load it into every pytest session.
    assert "pytest11" not in text and "jenkins_docker.testing.plugin" not in text
