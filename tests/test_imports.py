"""Each command imports what it needs and no more (issue 15: the fixed cost of a command).

Importing networkx costs a command 0.1-0.2 s (it scans every installed package's entry points
for backends), requests and python-jenkins about as much: more than loading and rendering a
hundred images. These tests run the command line in a fresh interpreter and look at
``sys.modules`` when it ends, so a top-level import that drags a heavy library back into
``validate``, ``render`` or a ``plan``/``sync`` into a JENKINS_HOME fails here. They time
nothing: the speed itself is measured by ``make bench`` (bench/fast.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iiiepe"

# Runs the command line in-process, then writes the names of every module imported to a file.
_PROBE = """
import json, sys
from jenkins_docker.cli.main import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""

HEAVY = ("networkx", "jinja2", "requests", "jenkins", "urllib3", "gitlab", "yaml")


def imported(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code of ``jenkins-docker ARGS`` and the top-level packages it imported."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "PYTHON"))}
    env["PYTHONPATH"] = str(ROOT)   # the checkout's code, as the rest of the suite tests it
    subprocess.run([sys.executable, "-c", _PROBE, str(report), *args], env=env, cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    result = json.loads(report.read_text(encoding="utf-8"))
    return result["code"], {name.split(".")[0] for name in result["modules"]}


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    return copy / "inventory.yml"


def test_version_imports_no_library_but_click(tmp_path: Path) -> None:
    code, modules = imported(tmp_path, "--version")
    assert code == 0
    assert "click" in modules
    assert not modules & set(HEAVY)


def test_validate_imports_neither_networkx_nor_jinja2_nor_an_http_client(tmp_path: Path, example: Path) -> None:
    code, modules = imported(tmp_path, "validate", str(example))
    assert code == 0
    assert "yaml" in modules                       # it did load the inventory
    assert not modules & {"networkx", "jinja2", "requests", "jenkins", "urllib3", "gitlab"}


def test_validate_of_a_cycle_still_describes_it_with_networkx(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "version: 1\nregistries:\n  hub: {host: docker.io}\ndefaults:\n  registry: hub\n"
        "base_images:\n"
        "  acme/a: {git: 'git@example.org:acme/a.git', from: acme/b}\n"
        "  acme/b: {git: 'git@example.org:acme/b.git', from: acme/a}\n", encoding="utf-8")
    code, modules = imported(tmp_path, "validate", str(inventory))
    assert code == 1
    assert "networkx" in modules                   # only a cycle needs it, to print its path


def test_render_imports_jinja2_but_not_networkx_nor_an_http_client(tmp_path: Path, example: Path) -> None:
    code, modules = imported(tmp_path, "render", str(example), "-o", str(tmp_path / "out"))
    assert code == 0
    assert "jinja2" in modules and any((tmp_path / "out" / "jobs").rglob("config.xml"))
    assert not modules & {"networkx", "requests", "jenkins", "urllib3", "gitlab"}


def test_sync_and_plan_into_a_jenkins_home_import_no_http_client_and_no_networkx(tmp_path: Path, example: Path) -> None:
    home = tmp_path / "home"
    code, modules = imported(tmp_path, "sync", str(example), "--jenkins-home", str(home))
    assert code == 0 and any(home.rglob("config.xml"))
    assert not modules & {"networkx", "requests", "jenkins", "urllib3", "gitlab"}
    code, modules = imported(tmp_path, "plan", str(example), "--jenkins-home", str(home), "--fast", "--detailed-exitcode")
    assert code == 0                               # nothing to do after the sync
    assert not modules & {"networkx", "requests", "jenkins", "urllib3", "gitlab"}


def test_importing_the_package_imports_none_of_its_libraries(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "PYTHON"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", "import sys, jenkins_docker; print(sorted({m.split('.')[0] for m in sys.modules}))"],
                          env=env, capture_output=True, text=True, check=True, timeout=60)
    assert not set(json.loads(done.stdout.replace("'", '"'))) & {*HEAVY, "click"}
