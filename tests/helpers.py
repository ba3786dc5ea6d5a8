"""What the test files share: the command line as a process, a client of the fake Jenkins, plan and sync in one call, the test inventory's common sections.

A test file imports what it uses (``from helpers import cli, remote, sync``); the ``jenkins``
fixture (a started fake Jenkins) is in ``tests/conftest.py``. A helper that two test files need
lives here, once (``tests/test_habits.py`` fails when one is defined twice).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from jenkins_docker import RemoteJenkins, apply, load, make_plan, render
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.sync.apply import SyncResult
from jenkins_docker.sync.plan import Plan
from jenkins_docker.sync.targets.remote import Credentials
from jenkins_docker.testing.fake_jenkins import FakeJenkins
from jenkins_docker.testing.plugin import ADMIN_TOKEN, ADMIN_USER

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IIIEPE = EXAMPLES / "iiiepe" / "inventory.yml"
PLATFORM = EXAMPLES / "platform" / "inventory.yml"

# -- the test inventory's common sections ----------------------------------------------------------

#: The private registry, every image's default.
REGISTRY = """\
registries:
  private: {host: registry.example.org, credentials: registry-push}
defaults:
  registry: private
"""

#: ``base_images:`` with acme/base, built FROM debian:bookworm; more base images may follow.
BASE_IMAGES = """\
base_images:
  acme/base:
    git: git@gitlab.example.org:docker/base.git
    from: debian:bookworm
"""


def braced(text: str) -> str:
    """``text`` to put into a ``str.format`` template: its braces doubled, so that it comes out as it is."""
    return text.replace("{", "{{").replace("}", "}}")


def app(name: str, parent: str = "acme/base") -> str:
    """An entry of ``apps:`` (or ``base_images:``) built FROM ``parent``, its repository named after it."""
    return f"  {name}:\n    git: git@gitlab.example.org:web/{name}.git\n    from: {parent}\n"


#: A small inventory: acme/base, acme/web built FROM it, the app portal (with a deploy) and ``extra`` apps.
SMALL = """\
version: 1
jenkins:
  folder: {folder}
  job_type: {job_type}
  git_credentials: gitlab-ssh
  gitlab_connection: gitlab
""" + braced(REGISTRY) + BASE_IMAGES + """\
  acme/web:
    git: git@gitlab.example.org:docker/web.git
    from: acme/base
apps:
  portal:
    git: git@gitlab.example.org:web/portal.git
    from: acme/web
    deploy: ./deploy.sh portal
{extra}"""

#: SMALL's second app, built FROM acme/base.
EXTRA_APP = """\
  shop:
    git: git@gitlab.example.org:web/shop.git
    from: acme/base
"""


def inventory_file(tmp_path: Path, *, folder: str = "docker", job_type: str = "freestyle", extra: str = EXTRA_APP, test: str | None = None) -> Path:
    """SMALL written to ``tmp_path/inventory.yml``; ``test``: the default test command of every image."""
    text = SMALL.format(folder=folder, job_type=job_type, extra=extra)
    if test:
        text = text.replace("  registry: private\n", f"  registry: private\n  test: {test}\n", 1)
    return write(tmp_path, text)


#: An app built FROM acme/web, to add to SMALL.
BLOG_APP = """\
  blog:
    git: git@gitlab.example.org:web/blog.git
    from: acme/web
"""


def many_apps(tmp_path: Path, count: int) -> Path:
    """SMALL with ``count`` more apps (app00, app01, ...) built FROM acme/base."""
    extra = "".join(f"  app{i:02d}:\n    git: git@gitlab.example.org:web/app{i:02d}.git\n    from: acme/base\n" for i in range(count))
    return inventory_file(tmp_path, extra=extra)


def home_put(home: Path, full_name: str, xml: str) -> Path:
    """A config written into the JENKINS_HOME ``home`` by hand (``jobs/<part>/...``, folders made); its path."""
    directory = home
    for part in full_name.split("/"):
        directory = directory / "jobs" / part
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.xml").write_text(xml, encoding="utf-8")
    return directory / "config.xml"


def load_text(tmp_path: Path, text: str) -> Inventory:
    """The inventory ``text``, written to ``tmp_path/inventory.yml`` and loaded."""
    return load(write(tmp_path, text))


def with_job_type(inventory: Inventory, job_type: str) -> Inventory:
    """The same inventory rendered as another kind of job."""
    copy = dataclasses.replace(inventory, jenkins=dataclasses.replace(inventory.jenkins, job_type=job_type))
    copy._graph = None
    return copy


def expected_builds(inventory: Inventory, changed: str) -> dict[str, list[str]]:
    """Job full name -> full names of the jobs it must start after, for a rebuild of ``changed``."""
    graph = inventory.graph
    rebuilt = {changed} | graph.dependents({changed})
    rebuild = graph.rebuild_graph()
    out: dict[str, list[str]] = {}
    for key in rebuilt:
        out[inventory.job(key)] = [inventory.job(p) for p in rebuild.predecessors(key) if p in rebuilt]
        image = inventory.images[key]
        if image.deploy_job_name:
            out[f"{inventory.jenkins.folder}/{image.deploy_job_name}" if inventory.jenkins.folder else image.deploy_job_name] = [inventory.job(key)]
    return out


def parse(xml: str) -> ET.Element:
    """A config (rendered, or returned by Jenkins), parsed."""
    return ET.fromstring(xml.encode("utf-8"))


def write(tmp_path: Path, text: str, name: str = "inventory.yml") -> Path:
    """``text`` written (UTF-8) to ``tmp_path/name``; the path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the command line -----------------------------------------------------------------------------

#: Settings of the machine running the tests that a command under test must not see.
_MACHINE_SETTINGS = ("JENKINS_", "GITLAB_", "REGISTRY_", "DOCKER_CONFIG")


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``jenkins-docker ARGS`` (``python -m jenkins_docker``) as a separate process, as a shell user would.

    The process sees this environment without its ``JENKINS_*``, ``GITLAB_*`` and ``REGISTRY_*``
    settings and with no Docker logins (``DOCKER_CONFIG`` names no directory), plus ``env``. A
    command that deadlocks never exits: the timeout turns that into a failure of the test."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(_MACHINE_SETTINGS)}
    full_env["DOCKER_CONFIG"] = "/nonexistent"
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "jenkins_docker", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, input=stdin, timeout=120)


def env_for(fake: FakeJenkins, token: str = ADMIN_TOKEN) -> dict[str, str]:
    """The environment that points the command line at ``fake`` as its admin (with ``token``)."""
    return {"JENKINS_URL": fake.url, "JENKINS_USER": ADMIN_USER, "JENKINS_API_TOKEN": token}


# -- the library against a target -----------------------------------------------------------------

def remote(fake: FakeJenkins, *, user: str = ADMIN_USER, token: str = ADMIN_TOKEN, **options: Any) -> RemoteJenkins:
    """A client of ``fake`` with the admin's API token that retries quickly (``options``: RemoteJenkins's)."""
    return RemoteJenkins(fake.url, Credentials(user, token), **{"backoff": 0.01, **options})


def plan_for(path: Path, target: Any, *, workers: int = 4, **options: Any) -> Plan:
    """The plan for the inventory at ``path`` against ``target`` (``options``: make_plan's, e.g. prune, adopt, fast)."""
    inventory = load(path)
    return make_plan(render(inventory), target, folder=inventory.jenkins.folder, workers=workers, **options)


def sync(path: Path, target: Any, *, workers: int = 4, progress: Any = None, **options: Any) -> tuple[Plan, SyncResult]:
    """Plan the inventory at ``path`` against ``target`` and apply it: the plan and the result."""
    plan = plan_for(path, target, workers=workers, **options)
    return plan, apply(plan, target, workers=workers, progress=progress)


# -- the fake Jenkins, measured --------------------------------------------------------------------

class CountingJenkins(FakeJenkins):
    """A fake Jenkins that records how many requests it was serving at the same moment.

    A request counts from its arrival until its answer is recorded, which is before the answer is
    sent: a client that waits for each answer (one worker) is never seen twice at once, however
    late the thread that served it finishes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gauge = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def _serve(self, handler: Any, body: bytes) -> None:
        with self._gauge:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        super()._serve(handler, body)

    def _record(self, req: Any, status: int) -> None:
        with self._gauge:
            self.in_flight -= 1
        super()._record(req, status)


# -- git and this working tree -------------------------------------------------------------------

def clean_env(**extra: str) -> dict[str, str]:
    """The environment without git or jenkins-docker settings of the caller (a git hook may set GIT_DIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "JENKINS_", "PRE_COMMIT"))}
    env.update(GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.org", GIT_COMMITTER_NAME="Test",
               GIT_COMMITTER_EMAIL="test@example.org", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, **extra)
    return env


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, check=True, timeout=60)
    return done.stdout


def working_tree_files() -> list[str]:
    """This repository's files as they are now (tracked and untracked, without ignored ones)."""
    if (ROOT / ".git").exists():
        listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        return [name for name in listed if name and (ROOT / name).is_file()]
    skip = {".venv", ".git", "build", "dist", "__pycache__", ".hypothesis", ".pytest_cache", "demo-out"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts) and not p.name.endswith(".egg-info")]


def git_copy_of_this_tree(repo: Path) -> Path:
    """``repo`` made a git repository holding this working tree in one commit (what pre-commit clones)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed (.ci/run installs it)")
    for name in working_tree_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "working tree under test")
    return repo
