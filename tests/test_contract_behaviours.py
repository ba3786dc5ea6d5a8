"""Behaviours the contract and the issues promise that no other test proves.

Real HTTP against :class:`jenkins_docker.testing.FakeJenkins`, real files, and the command line
as a real process (``python -m jenkins_docker``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from jenkins_docker import RemoteJenkins, apply, load, make_plan, render
from jenkins_docker.rendering.renderer import MANAGED_MARKER, bundled_templates
from jenkins_docker.sync.targets.remote import Credentials
from jenkins_docker.testing.fake_jenkins import FakeJenkins
from test_sync import EXTRA_APP, SMALL, inventory_file

ROOT = Path(__file__).resolve().parent.parent
IIIEPE = ROOT / "examples" / "iiiepe" / "inventory.yml"
PLATFORM = ROOT / "examples" / "platform" / "inventory.yml"
CONTRACT_KEYS = {"create", "update", "delete", "unchanged", "failed"}
FOLDER_AND_JOBS = {"docker", "docker/acme-base", "docker/acme-web", "docker/portal", "docker/portal-deploy", "docker/shop"}
BLOG_APP = """\
  blog:
    git: git@gitlab.example.org:web/blog.git
    from: acme/web
"""


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "GITLAB_"))}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "jenkins_docker", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=120)


def env_for(fake: FakeJenkins, token: str = "admin-token") -> dict[str, str]:
    return {"JENKINS_URL": fake.url, "JENKINS_USER": "admin", "JENKINS_API_TOKEN": token}


def remote(fake: FakeJenkins) -> RemoteJenkins:
    return RemoteJenkins(fake.url, Credentials("admin", "admin-token"), backoff=0.01)


def sync(path: Path, target: Any, *, prune: bool = False, workers: int = 4) -> tuple[Any, Any]:
    inventory = load(path)
    plan = make_plan(render(inventory), target, folder=inventory.jenkins.folder, prune=prune, workers=workers)
    return plan, apply(plan, target, workers=workers)


@pytest.fixture
def jenkins() -> Iterator[FakeJenkins]:
    with FakeJenkins(tokens={"admin": "admin-token"}) as fake:
        yield fake


def templates_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the bundled templates with one edit to the shared macros (a user's --templates DIR)."""
    directory = tmp_path / "templates"
    shutil.copytree(bundled_templates(), directory, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    macros = directory / "_macros.xml.j2"
    text = macros.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the bundled macros no longer hold {old!r}"
    macros.write_text(text.replace(old, new), encoding="utf-8")
    return directory


# -- plan: the JSON document and the exit codes --------------------------------------------------

def test_plan_json_has_the_contract_keys_with_full_names_including_a_delete_and_a_failure(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    assert cli("sync", str(path), env=env_for(jenkins)).returncode == 0
    # shop leaves the inventory (a delete with --prune), blog joins it (a create), but a job made
    # by hand already stands where blog must go (a failure); acme-web drifts (an update).
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra=BLOG_APP + "  news:\n"
                                 "    git: git@gitlab.example.org:web/news.git\n    from: acme/base\n"), encoding="utf-8")
    jenkins.put_job("docker/blog", "<project><description>made by hand</description></project>")
    jenkins.put_job("docker/acme-web", jenkins.get_config("docker/acme-web").replace("docker build ", "docker build --no-cache "))
    jenkins.reset_requests()
    done = cli("plan", str(path), "--prune", "--format", "json", env=env_for(jenkins))
    assert done.returncode == 1, done.stderr  # a failure is an error
    document = json.loads(done.stdout)
    assert CONTRACT_KEYS <= set(document)
    assert document["create"] == ["docker/news"]
    assert document["update"] == ["docker/acme-base", "docker/acme-web"]  # acme-base: its children changed
    assert document["delete"] == ["docker/shop"]
    assert sorted(document["unchanged"]) == ["docker", "docker/portal", "docker/portal-deploy"]
    assert len(document["failed"]) == 1
    failure = document["failed"][0]
    assert set(failure) == {"job", "error"}
    assert failure["job"] == "docker/blog" and "not managed by jenkins-docker" in failure["error"]
    assert jenkins.count(method="POST") == 0  # plan changed nothing
    assert "docker/shop" in jenkins.job_names() and "docker/news" not in jenkins.job_names()
    assert "docker build --no-cache" in jenkins.get_config("docker/acme-web")


def test_sync_json_has_the_contract_keys_with_a_delete_and_a_failure(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    assert cli("sync", str(path), env=env_for(jenkins)).returncode == 0
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra=BLOG_APP), encoding="utf-8")
    jenkins.put_job("docker/blog", "<project><description>made by hand</description></project>")
    done = cli("sync", str(path), "--prune", "--format", "json", env=env_for(jenkins))
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert CONTRACT_KEYS <= set(document)
    assert document["delete"] == ["docker/shop"] and document["create"] == []
    assert document["update"] == ["docker/acme-base", "docker/acme-web"]  # their children changed
    assert [f["job"] for f in document["failed"]] == ["docker/blog"]
    assert "not managed by jenkins-docker" in document["failed"][0]["error"]
    assert "docker/shop" not in jenkins.job_names()
    assert "made by hand" in jenkins.get_config("docker/blog")


def test_plan_detailed_exitcode_is_1_on_a_failed_job_not_2(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    jenkins.put_folder("docker")
    jenkins.put_job("docker/shop", "<project><description>not ours</description></project>")
    done = cli("plan", str(path), "--detailed-exitcode", env=env_for(jenkins))
    assert done.returncode == 1, (done.stdout, done.stderr)  # changes are pending too, but the error wins
    assert "failed docker/shop" in done.stdout


def test_plan_detailed_exitcode_is_1_when_jenkins_refuses_the_credentials(tmp_path: Path, jenkins: FakeJenkins) -> None:
    done = cli("plan", str(inventory_file(tmp_path)), "--detailed-exitcode", env=env_for(jenkins, token="wrong"))
    assert done.returncode == 1
    assert "refused the credentials" in done.stderr


def test_plan_detailed_exitcode_is_1_for_an_invalid_inventory(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    path.write_text(path.read_text().replace("    from: acme/base\n", "    form: acme/base\n", 1), encoding="utf-8")
    done = cli("plan", str(path), "--detailed-exitcode", env=env_for(jenkins))
    assert done.returncode == 1
    assert "unknown key `form`" in done.stdout + done.stderr


# -- sync --dry-run --------------------------------------------------------------------------------

def test_sync_dry_run_writes_nothing_to_a_live_jenkins(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    done = cli("sync", str(path), "--dry-run", env=env_for(jenkins))
    assert done.returncode == 0, done.stderr
    assert "+ create docker/portal" in done.stdout and "6 to create" in done.stdout
    assert jenkins.count(method="POST") == 0
    assert jenkins.job_names() == [] and jenkins.folder_names() == []
    as_json = cli("sync", str(path), "--dry-run", "--format", "json", env=env_for(jenkins))
    assert as_json.returncode == 0
    assert set(json.loads(as_json.stdout)["create"]) == FOLDER_AND_JOBS
    assert jenkins.count(method="POST") == 0


def test_sync_dry_run_of_a_change_and_a_prune_leaves_jenkins_as_it_was(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    before = {name: jenkins.get_config(name) for name in jenkins.job_names()}
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra="").replace("./deploy.sh portal", "./deploy.sh other"),
                    encoding="utf-8")
    jenkins.reset_requests()
    done = cli("sync", str(path), "--dry-run", "--prune", env=env_for(jenkins))
    assert done.returncode == 0, done.stderr
    assert "~ update docker/portal-deploy" in done.stdout and "- delete docker/shop" in done.stdout
    assert jenkins.count(method="POST") == 0
    assert {name: jenkins.get_config(name) for name in jenkins.job_names()} == before


def test_sync_dry_run_writes_nothing_into_a_jenkins_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = cli("sync", str(inventory_file(tmp_path)), "--jenkins-home", str(home), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "6 to create" in done.stdout
    assert not home.exists() or [p for p in home.rglob("*") if p.is_file()] == []


# -- render through the command line ---------------------------------------------------------------

def test_render_cli_writes_every_job_as_jobs_folder_jobs_name_config_xml(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("render", str(IIIEPE), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = render(load(IIIEPE))
    expected = {"/".join(f"jobs/{part}" for part in job.full_name.split("/")) + "/config.xml": job.xml for job in jobs.jobs}
    assert "jobs/docker/jobs/website/config.xml" in expected and "jobs/docker/config.xml" in expected
    written = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert f"wrote {len(expected)} config.xml files under {out}" in done.stderr


def test_render_cli_nests_a_nested_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("render", str(PLATFORM), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "jobs" / "ops" / "config.xml").is_file()
    assert (out / "jobs" / "ops" / "jobs" / "docker" / "jobs" / "acme-runtime" / "config.xml").is_file()


# -- validate of several files ------------------------------------------------------------------------

def test_validate_several_files_at_once_reports_each_and_exits_1_if_any_is_invalid(tmp_path: Path) -> None:
    bad_a = tmp_path / "a.yml"
    bad_a.write_text("version: 1\nbase_images:\n  acme/a: {git: g, from: debian, regstry: x}\n", encoding="utf-8")
    bad_b = tmp_path / "b.yml"
    bad_b.write_text("version: 1\nbase_images:\n  acme/b: {from: debian}\n", encoding="utf-8")
    both_good = cli("validate", str(IIIEPE), str(PLATFORM))
    assert both_good.returncode == 0, both_good.stdout
    assert f"{IIIEPE}: ok:" in both_good.stdout and f"{PLATFORM}: ok:" in both_good.stdout
    mixed = cli("validate", str(IIIEPE), str(bad_a), str(bad_b))
    assert mixed.returncode == 1
    assert f"{IIIEPE}: ok:" in mixed.stdout
    assert f"{bad_a}:3:" in mixed.stdout and "did you mean `registry`" in mixed.stdout
    assert f"{bad_b}:3:" in mixed.stdout  # the second bad file is checked too, not just the first
    as_json = json.loads(cli("validate", str(bad_a), str(bad_b), "--format", "json").stdout)
    assert as_json["ok"] is False
    assert {e["file"] for e in as_json["errors"]} == {str(bad_a), str(bad_b)}
    good_json = cli("validate", str(IIIEPE), str(PLATFORM), "--format", "json")
    assert good_json.returncode == 0 and json.loads(good_json.stdout)["ok"] is True


# -- python -m jenkins_docker --------------------------------------------------------------------------

def test_python_dash_m_jenkins_docker_runs_the_cli_from_outside_the_source_tree(tmp_path: Path) -> None:
    from jenkins_docker import __version__
    version = subprocess.run([sys.executable, "-m", "jenkins_docker", "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"jenkins-docker, version {__version__}"
    graph = subprocess.run([sys.executable, "-m", "jenkins_docker", "graph", str(IIIEPE), "--format", "json"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert graph.returncode == 0, graph.stderr
    assert {"nodes", "edges"} == set(json.loads(graph.stdout))
    usage = subprocess.run([sys.executable, "-m", "jenkins_docker", "no-such-command"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert usage.returncode == 2


# -- the view inside a folder, on a live Jenkins --------------------------------------------------------

def view_jobs(fake: FakeJenkins, name: str) -> list[str]:
    import xml.etree.ElementTree as ET

    xml = fake.views()[name]
    root = ET.fromstring(xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml)
    return [s.text or "" for s in root.findall("jobNames/string")]


def test_a_view_inside_the_folder_is_created_and_kept_in_sync_on_a_live_jenkins(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    path.write_text(path.read_text().replace("  folder: docker\n", "  folder: docker\n  view: Docker images\n"), encoding="utf-8")
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    assert "docker/Docker images" in jenkins.views()
    assert view_jobs(jenkins, "docker/Docker images") == ["acme-base", "acme-web", "portal", "portal-deploy", "shop"]
    # a new app joins the view on the next sync
    path.write_text(path.read_text() + BLOG_APP, encoding="utf-8")
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    assert "blog" in view_jobs(jenkins, "docker/Docker images")
    # an app that leaves (with --prune) leaves the view
    path.write_text(path.read_text().replace(EXTRA_APP, ""), encoding="utf-8")
    plan, result = sync(path, remote(jenkins), prune=True)
    assert result.ok and result.delete == ["docker/shop"]
    assert view_jobs(jenkins, "docker/Docker images") == ["acme-base", "acme-web", "blog", "portal", "portal-deploy"]
    # a view edited by hand in the UI is drift that sync repairs, then nothing is left to do
    folder = jenkins.get_config("docker")
    jenkins.put_folder("docker", folder.replace("<string>blog</string>", ""))
    assert "blog" not in view_jobs(jenkins, "docker/Docker images")
    plan, result = sync(path, remote(jenkins))
    assert result.ok and "docker" in result.update
    assert "blog" in view_jobs(jenkins, "docker/Docker images")
    assert not sync(path, remote(jenkins))[0].has_changes


# -- --workers: requests really run concurrently -------------------------------------------------------

class CountingJenkins(FakeJenkins):
    """A fake Jenkins that records how many requests it was serving at the same moment."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gauge = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def _serve(self, handler: Any, body: bytes) -> None:
        with self._gauge:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            super()._serve(handler, body)
        finally:
            with self._gauge:
                self.in_flight -= 1


def many_apps(tmp_path: Path, count: int) -> Path:
    extra = "".join(f"  app{i:02d}:\n    git: git@gitlab.example.org:web/app{i:02d}.git\n    from: acme/base\n" for i in range(count))
    return inventory_file(tmp_path, extra=extra)


def test_workers_run_writes_and_reads_concurrently_and_one_worker_does_not(tmp_path: Path) -> None:
    path = many_apps(tmp_path, 16)   # 1 folder + 20 jobs
    latency = 0.05
    # Concurrency is proven by what the server saw in flight at once, not by a wall clock (which
    # a busy machine stretches): the speed itself is measured in bench/.
    with CountingJenkins(tokens={"admin": "admin-token"}, latency=latency) as fake:
        plan, result = sync(path, remote(fake), workers=8)
        assert result.ok and len(result.create) == 21
        assert fake.most_in_flight >= 4, fake.most_in_flight
        fake.most_in_flight = 0
        plan, result = sync(path, remote(fake), workers=8)   # a no-op sync: the reads overlap too
        assert not plan.has_changes and fake.most_in_flight >= 4
    with CountingJenkins(tokens={"admin": "admin-token"}, latency=0.01) as serial:
        sync(path, remote(serial), workers=1)
        assert serial.most_in_flight == 1


def test_cli_workers_option_sets_how_many_requests_are_in_flight(tmp_path: Path) -> None:
    path = many_apps(tmp_path, 12)
    with CountingJenkins(tokens={"admin": "admin-token"}, latency=0.05) as fake:
        done = cli("sync", str(path), "--workers", "6", env=env_for(fake))
        assert done.returncode == 0, done.stderr
        assert 3 <= fake.most_in_flight <= 6, fake.most_in_flight
    with CountingJenkins(tokens={"admin": "admin-token"}, latency=0.01) as fake:
        done = cli("sync", str(path), "--workers", "1", env=env_for(fake))
        assert done.returncode == 0, done.stderr
        assert fake.most_in_flight == 1


# -- what Jenkins changes on its own is not a change ----------------------------------------------------

def test_an_encrypted_secret_token_is_not_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    templates = templates_with(tmp_path, "      <spec></spec>\n      <triggerOnPush>true</triggerOnPush>\n",
                               "      <spec></spec>\n      <triggerOnPush>true</triggerOnPush>\n      <secretToken>hook-secret</secretToken>\n")
    path = inventory_file(tmp_path)
    path.write_text(path.read_text() + f"templates: {templates}\n", encoding="utf-8")
    inventory = load(path)
    assert "<secretToken>hook-secret</secretToken>" in render(inventory).by_name()["docker/acme-base"].xml
    plan, result = sync(path, remote(jenkins))
    assert result.ok and len(result.create) == 6
    live = jenkins.get_config("docker/acme-base")
    assert "<secretToken>{" in live and "hook-secret" not in live   # Jenkins keeps it encrypted
    jenkins.reset_requests()
    plan, result = sync(path, remote(jenkins))
    assert not plan.has_changes, [(c.name, c.diff) for c in plan.changes]
    assert jenkins.count(method="POST") == 0


def test_a_secret_token_set_in_the_ui_is_not_drift(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    config = jenkins.get_config("docker/portal")
    assert "<secretToken>" not in config
    jenkins.put_job("docker/portal", config.replace("<triggerOnPush>", "<secretToken>set-in-the-ui</secretToken><triggerOnPush>", 1))
    assert "<secretToken>{" in jenkins.get_config("docker/portal")
    plan, _ = sync(path, remote(jenkins))
    assert not plan.has_changes


def crlf_templates(tmp_path: Path) -> Path:
    """Templates whose shell commands end their lines with CRLF (as an editor on Windows would)."""
    return templates_with(tmp_path, "<command>{{ command }}</command>",
                          '<command>{{ command | replace("\\n", "&#13;\\n" | safe) }}</command>')


def test_crlf_in_a_shell_command_coming_back_as_lf_is_not_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path, test="make test")
    path.write_text(path.read_text() + f"templates: {crlf_templates(tmp_path)}\n", encoding="utf-8")
    xml = render(load(path)).by_name()["docker/acme-base"].xml
    assert "make test&#13;\n" in xml   # what is posted carries CRLF line ends
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    # What Jenkins answers: hudson.tasks.Shell stores its command with LF line ends.
    live = jenkins.get_config("docker/acme-base")
    jenkins.put_job("docker/acme-base", live.replace("&#xd;\n", "\n"))
    live = jenkins.get_config("docker/acme-base")
    assert "<command>make test\n</command>" in live and "&#xd;" not in live
    jenkins.reset_requests()
    plan, result = sync(path, remote(jenkins))
    assert not plan.has_changes, [(c.name, c.diff) for c in plan.changes]
    assert jenkins.count(method="POST") == 0


def test_fake_jenkins_answers_a_shell_commands_crlf_as_lf_even_when_the_cr_is_a_character_reference(jenkins: FakeJenkins) -> None:
    """JENKINS-FACTS: "Shell commands: CRLF comes back as LF" (Shell converts EOLs when it is loaded).

    An XML parser already turns a literal CRLF into LF; a CR written as ``&#13;`` reaches the
    model, and Jenkins's Shell still converts it."""
    jenkins.put_job("crlf", "<project><builders><hudson.tasks.Shell><command>make test&#13;\nmake lint&#13;\n</command>"
                            "</hudson.tasks.Shell></builders></project>")
    live = jenkins.get_config("crlf")
    assert "<command>make test\nmake lint\n</command>" in live


def test_a_command_edited_by_hand_is_still_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    """Ignoring line ends must not hide a real edit of a shell command."""
    path = inventory_file(tmp_path, test="make test")
    sync(path, remote(jenkins))
    jenkins.put_job("docker/acme-base", jenkins.get_config("docker/acme-base").replace("make test\n", "make test-all\n", 1))
    plan, _ = sync(path, remote(jenkins))
    assert [c.name for c in plan.changes] == ["docker/acme-base"]


# -- the JENKINS_HOME target, through the CLI ----------------------------------------------------------

def test_jenkins_home_sync_json_has_the_contract_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = cli("sync", str(inventory_file(tmp_path)), "--jenkins-home", str(home), "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert CONTRACT_KEYS <= set(document)
    assert set(document["create"]) == FOLDER_AND_JOBS and document["failed"] == []
    assert MANAGED_MARKER in (home / "jobs" / "docker" / "jobs" / "shop" / "config.xml").read_text(encoding="utf-8")
