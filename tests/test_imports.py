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

from jenkins_docker.testing.fake_jenkins import FakeJenkins
from jenkins_docker.testing.plugin import ADMIN_TOKEN, ADMIN_USER

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iiiepe"

# Runs the command line in-process, then writes the names of every module imported to a file.
# (json is imported only after the command, which must not find it already there.)
_PROBE = """
import sys
from jenkins_docker.cli.main import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
modules = sorted(sys.modules)
import json
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": modules}, out)
"""

HEAVY = ("networkx", "jinja2", "requests", "jenkins", "urllib3", "gitlab", "yaml")


def imported(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code of ``jenkins-docker ARGS`` and the top-level packages it imported."""
    code, modules = imported_modules(tmp_path, *args)
    return code, {name.split(".")[0] for name in modules}


def imported_modules(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code of ``jenkins-docker ARGS`` and every module it imported (full names)."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "PYTHON"))}
    env["PYTHONPATH"] = str(ROOT)   # the checkout's code, as the rest of the suite tests it
    subprocess.run([sys.executable, "-c", _PROBE, str(report), *args], env=env, cwd=tmp_path, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    result = json.loads(report.read_text(encoding="utf-8"))
    return result["code"], set(result["modules"])


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


# An inventory with neither a local `path` (a Dockerfile to read) nor a `rebuild` schedule.
_PLAIN = ("version: 1\nregistries:\n  hub: {host: docker.io, credentials: hub-push}\ndefaults:\n  registry: hub\n"
          "base_images:\n  acme/base: {git: 'git@example.org:acme/base.git', from: 'debian:bookworm'}\n"
          "apps:\n  acme/app: {git: 'git@example.org:acme/app.git', from: acme/base}\n")

# Standard-library modules that only some paths need: logging (configured for the commands that
# may log), json (--format json, `schema`, exec-form Dockerfile lines), difflib (the hint of a mistake).
_ON_DEMAND = {"logging", "json", "difflib"}


def test_validate_of_a_valid_inventory_imports_neither_logging_nor_json_nor_difflib(tmp_path: Path, example: Path) -> None:
    code, modules = imported(tmp_path, "validate", str(example))
    assert code == 0
    assert not modules & _ON_DEMAND


def test_validate_with_verbose_still_configures_logging(tmp_path: Path, example: Path) -> None:
    code, modules = imported(tmp_path, "-v", "validate", str(example))
    assert code == 0
    assert "logging" in modules


def test_validate_json_and_a_mistake_import_what_they_need(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(_PLAIN.replace("registry: hub", "registry: hbu"), encoding="utf-8")
    code, modules = imported(tmp_path, "validate", "--format", "json", str(inventory))
    assert code == 1                                # unknown registry `hbu`, with a hint
    assert {"json", "difflib"} <= modules


def test_validate_reads_the_dockerfile_parser_and_cron_checker_only_when_the_inventory_needs_them(tmp_path: Path, example: Path) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(_PLAIN, encoding="utf-8")
    code, modules = imported_modules(tmp_path, "validate", str(inventory))
    assert code == 0
    assert not modules & {"jenkins_docker.loading.dockerfile", "jenkins_docker.loading.cron"}
    code, modules = imported_modules(tmp_path, "validate", str(example))   # a `path:` and `rebuild:` schedules
    assert code == 0
    assert {"jenkins_docker.loading.dockerfile", "jenkins_docker.loading.cron"} <= modules


def test_the_command_line_makes_each_kind_of_path_argument_once() -> None:
    import click

    from jenkins_docker.cli.main import cli

    assert isinstance(cli, click.Group)
    path_types = {id(param.type) for command in cli.commands.values() for param in command.params if isinstance(param.type, click.Path)}
    assert 0 < len(path_types) <= 4                 # each click.Path asks gettext for its name when made


def test_render_imports_neither_logging_nor_difflib_nor_an_xml_parser(tmp_path: Path, example: Path) -> None:
    # --output, not -o: click's parser first tries a short option as a long one, and the error it
    # makes (then drops) imports difflib for its suggestions.
    code, modules = imported(tmp_path, "render", str(example), "--output", str(tmp_path / "out"))
    assert code == 0 and any((tmp_path / "out" / "jobs").rglob("config.xml"))
    assert not modules & {"logging", "difflib", "xml", "pyexpat"}   # rendering writes XML, it never parses it


def test_a_sync_to_a_remote_jenkins_does_not_load_the_html_entities_of_error_pages(tmp_path: Path, example: Path, fake_jenkins: FakeJenkins) -> None:
    token = tmp_path / "token"
    token.write_text(ADMIN_TOKEN, encoding="utf-8")
    code, modules = imported(tmp_path, "sync", str(example), "--jenkins", fake_jenkins.url, "--user", ADMIN_USER, "--token-file", str(token))
    assert code == 0 and fake_jenkins.job_names()   # it did sync, through requests and python-jenkins
    assert {"requests", "jenkins"} <= modules
    assert "html" not in modules                 # read only to get the message out of an error page


def _freeze_after(tmp_path: Path, call: str, *args: str) -> str:
    probe = ("import gc, sys\nfrom jenkins_docker.cli.main import main\nargs = sys.argv[1:]\nsys.argv = ['jenkins-docker', *args]\n"
             f"try:\n    {call}\nexcept SystemExit as exc:\n    print(exc.code, gc.get_freeze_count() > 0)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "PYTHON"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", probe, *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.split("\n")[-2]


def test_the_program_freezes_its_objects_before_exiting_so_the_exit_collects_none_of_them(tmp_path: Path, example: Path) -> None:
    assert _freeze_after(tmp_path, "main()", "validate", str(example)) == "0 True"
    assert _freeze_after(tmp_path, "main()", "validate", str(tmp_path / "missing.yml")) == "1 True"   # on failure too


def test_a_caller_passing_its_own_arguments_keeps_its_objects_collectable(tmp_path: Path, example: Path) -> None:
    assert _freeze_after(tmp_path, "main(args)", "validate", str(example)) == "0 False"


def _run_python(tmp_path: Path, code: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "PYTHON"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_the_console_scripts_import_of_click_and_the_commands_runs_no_garbage_collection(tmp_path: Path) -> None:
    code = ("import gc\ncollections = []\ngc.callbacks.append(lambda phase, info: collections.append(info['generation']) if phase == 'stop' else None)\n"
            "from jenkins_docker.cli import main\nimport click\nprint(len(collections), gc.isenabled())")
    assert _run_python(tmp_path, code).split() == ["0", "True"]   # none during the import, and collection is back on


def test_the_program_collects_young_objects_less_often_than_pythons_default(tmp_path: Path, example: Path) -> None:
    code = ("import gc, sys\nfrom jenkins_docker.cli import main\nsys.argv = ['jenkins-docker', 'validate', sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    print(exc.code, gc.get_threshold()[0])\n")
    status, young = _run_python(tmp_path, code, str(example)).split()[-2:]
    assert status == "0" and int(young) >= 10 * 700   # Python's default: a collection every 700 new objects


def test_importing_the_package_does_not_import_typing(tmp_path: Path) -> None:
    assert _run_python(tmp_path, "import sys, jenkins_docker, jenkins_docker.cli\nprint('typing' in sys.modules)").strip() == "False"
