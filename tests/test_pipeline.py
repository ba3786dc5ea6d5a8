"""One call per pipeline: plan_inventory and sync_inventory do what `plan` and `sync` do, scoped by the rendered items."""
from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import jenkins_docker as jd
from jenkins_docker.errors import UsageError
from jenkins_docker.sync.plan import make_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "iiiepe" / "inventory.yml"   # jenkins.folder: docker


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jenkins_docker", *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_plan_inventory_is_the_plan_the_command_line_shows(tmp_path: Path) -> None:
    home = tmp_path / "home"
    planned = jd.plan_inventory(EXAMPLE, jd.JenkinsHome(str(home)))
    shown = _cli("plan", str(EXAMPLE), "--jenkins-home", str(home), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert planned.plan.to_json() == json.loads(shown.stdout)
    assert planned.inventory.jenkins.folder == "docker"
    assert len(planned.plan.names("create")) == 16


def test_sync_inventory_writes_what_sync_writes_and_then_converges(tmp_path: Path) -> None:
    by_library, by_command = tmp_path / "library", tmp_path / "command"
    result = jd.sync_inventory(EXAMPLE, jd.JenkinsHome(str(by_library)))
    done = _cli("sync", str(EXAMPLE), "--jenkins-home", str(by_command), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert result.ok and result.to_json() == json.loads(done.stdout)
    written = sorted(p.relative_to(by_library) for p in by_library.rglob("config.xml"))
    assert written == sorted(p.relative_to(by_command) for p in by_command.rglob("config.xml"))
    assert all((by_library / p).read_bytes() == (by_command / p).read_bytes() for p in written)
    again = jd.sync_inventory(EXAMPLE, jd.JenkinsHome(str(by_library)))
    assert (again.create, again.update, again.delete) == ([], [], [])
    assert len(again.unchanged) == 16


def test_the_plan_prunes_in_the_folder_the_items_were_rendered_for(tmp_path: Path) -> None:
    home = jd.JenkinsHome(str(tmp_path / "home"))
    inventory = jd.load(EXAMPLE)
    assert jd.sync_inventory(inventory, home).ok
    assert "website" in inventory.graph.dependents("iiiepe/nginx-drupal6")   # the graph is built, and cached
    fewer = dataclasses.replace(inventory, images={k: v for k, v in inventory.images.items() if k != "website"})
    assert "website" not in fewer.graph.dependents("iiiepe/nginx-drupal6")   # a replaced inventory never reuses the old graph
    plan = jd.plan_inventory(fewer, home, prune=True).plan
    assert sorted(plan.names("delete")) == ["docker/website", "docker/website-deploy"]   # no folder= passed: it came with the items


def test_a_folder_given_to_make_plan_must_agree_with_the_rendered_one(tmp_path: Path) -> None:
    items = jd.render(jd.load(EXAMPLE))
    assert items.folder == "docker"
    target = jd.JenkinsHome(str(tmp_path / "home"))
    with pytest.raises(UsageError, match="rendered for folder 'docker', not 'other'"):
        make_plan(items, target, folder="other", prune=True)
    assert make_plan(items, target, folder="docker").names("create") == make_plan(items, target).names("create")


TYPO = """\
version: 1
registries:
  private: {host: registry.example.org, credentials: push}
defaults: {registry: private}
base_images:
  nw/python: {git: "git@git.example:python.git", from: "debian:bookworm"}
  nw/web: {git: "git@git.example:web.git", from: "nw/pyhton:3.12"}
"""


def test_inventory_warnings_reach_the_log_when_the_pipeline_loads_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(TYPO, encoding="utf-8")
    warnings = [str(w) for w in jd.check(inventory).warnings]
    assert len(warnings) == 1 and "did you mean 'nw/python'?" in warnings[0]
    with caplog.at_level(logging.WARNING, logger="jenkins_docker"):
        jd.plan_inventory(inventory, jd.JenkinsHome(str(tmp_path / "home")))
    assert [r.getMessage() for r in caplog.records if r.name == "jenkins_docker"] == warnings


@pytest.mark.parametrize("package", ["jenkins_docker", "jenkins_docker.loading", "jenkins_docker.graph", "jenkins_docker.rendering",
                                     "jenkins_docker.sync", "jenkins_docker.freshness", "jenkins_docker.cli"])
def test_each_stage_exports_its_entry_points_and_type_checkers_see_the_same_names(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    guarded = next(node for node in ast.parse(source).body if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.asname for node in guarded.body if isinstance(node, ast.ImportFrom) for alias in node.names if alias.asname == alias.name}
    assert seen == set(module.__all__) - {"__version__"}


def test_the_api_functions_stay_functions_whatever_was_imported_first() -> None:
    """A subpackage import sets the package attribute of its name: no stage folder may be named like an API function."""
    code = ("import jenkins_docker.loading.loader, jenkins_docker.rendering.renderer, jenkins_docker.sync.apply, "
            "jenkins_docker.sync.webhooks, jenkins_docker.pipeline, types\n"
            "import jenkins_docker as jd\n"
            "names = [n for n in jd.__all__ if isinstance(getattr(jd, n), types.ModuleType)]\n"
            "print(names)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_one_call_never_prunes_adopts_or_trusts_digests_unless_asked(tmp_path: Path) -> None:
    from jenkins_docker.rendering.files import item_dir

    root = tmp_path / "home"
    home = jd.JenkinsHome(str(root))
    inventory = jd.load(EXAMPLE)
    assert jd.sync_inventory(inventory, home).ok
    # Someone edits a job in the UI: a plain plan reads every config and sees it (no --fast by default).
    config = item_dir(root, "docker/api") / "config.xml"
    config.write_text(config.read_text(encoding="utf-8").replace("<numToKeep>", "<numToKeep>1"), encoding="utf-8")
    assert jd.plan_inventory(inventory, home).plan.names("update") == ["docker/api"]
    assert jd.sync_inventory(inventory, home).update == ["docker/api"]   # and a sync repairs it
    # An image leaves the inventory: its jobs are orphans, kept (no --prune by default), by both calls.
    fewer = dataclasses.replace(inventory, images={k: v for k, v in inventory.images.items() if k != "website"})
    planned = jd.plan_inventory(fewer, home).plan
    assert planned.names("delete") == [] and "docker/website" in planned.orphans
    result = jd.sync_inventory(fewer, home)
    assert result.delete == [] and (item_dir(root, "docker/website") / "config.xml").is_file()


def test_the_one_call_takes_over_no_hand_made_job_unless_asked(tmp_path: Path) -> None:
    from jenkins_docker.rendering.files import item_dir, write_atomically

    root = tmp_path / "home"
    home = jd.JenkinsHome(str(root))
    assert jd.sync_inventory(EXAMPLE, home).ok
    # The job is someone's own now: its description has no ownership line.
    write_atomically(item_dir(root, "docker/website") / "config.xml", "<project><description>made by hand</description></project>")
    result = jd.sync_inventory(EXAMPLE, home)
    assert [f.job for f in result.failed] == ["docker/website"]
    assert "made by hand" in (item_dir(root, "docker/website") / "config.xml").read_text(encoding="utf-8")
    assert [f.job for f in jd.plan_inventory(EXAMPLE, home).plan.failed] == ["docker/website"]


def test_the_one_call_tells_the_progress_how_many_items_it_will_read(tmp_path: Path) -> None:
    seen: list[int] = []
    reads: list[int] = []
    home = jd.JenkinsHome(str(tmp_path / "home"))
    assert jd.sync_inventory(EXAMPLE, home).ok
    jd.plan_inventory(EXAMPLE, home, on_items=seen.append, progress=reads.append)
    assert seen == [len(jd.render(jd.load(EXAMPLE)).jobs)] and len(reads) == seen[0]
