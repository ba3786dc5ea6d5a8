"""End to end: the rendered jobs run for real, with a Docker engine and registries on loopback.

Each scenario writes an inventory, pushes the images' repositories (Dockerfile, Makefile) to
local git remotes, renders the jobs with jenkins-docker, and lets the trigger simulator order a
rebuild while an agent (tests/jobrunner.py) runs each build it starts: a real ``git`` checkout,
the job's own shell steps under ``sh -xe``, a real ``docker build --pull`` and ``docker push``.
The checks read the registries (tags, digests) and the images' files, not only exit codes.

The engine and the registries start once per session (tests/e2e_harness.py); each scenario
uses its own repository namespace. Missing programs fail the tests with the packages to install
(.ci/run installs them): they are never skipped.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

import jenkins_docker as jd
from e2e_harness import Lab, missing_programs, root_image
from jobrunner import Agent, BuildRun, Cascade

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Stands in for the deploy tool a deploy job calls (Maestro-NG in the IIIEPE example): it records
# the image and tag it was asked to deploy, the commit checked out, and its arguments.
DEPLOY_TOOL = """#!/bin/sh
set -e
printf '%s %s %s %s\\n' "$IMAGE" "$IMAGE_TAG" "$(git rev-parse HEAD)" "$*" >> "$E2E_DEPLOYS"
"""


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """dockerd and three registries, for the whole session; stopped and removed at its end."""
    missing = missing_programs()
    if missing:
        pytest.fail("the end-to-end tests need " + ", ".join(missing) + ": install these Debian packages "
                    "(.ci/run does it when they are missing)", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the end-to-end tests start dockerd, which needs root", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="jd-e2e-"))      # short: it holds dockerd's unix socket
    lab = Lab(root)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")      # pytest then still runs the teardown below

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()
        shutil.rmtree(root, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def slug(key: str) -> str:
    return key.replace("/", "-")


def layer(key: str, parent: str, *, copy: Mapping[str, str] | None = None, fail: bool = False) -> str:
    """A Dockerfile built FROM ``parent`` that writes /etc/e2e/<key>: "<key> on <root version>";
    ``copy`` maps an image reference to the /etc/e2e file it copies from that image."""
    lines = [f"FROM {parent}"]
    lines += [f"COPY --from={image} /etc/e2e/{name} /etc/e2e/{name}" for image, name in (copy or {}).items()]
    if fail:
        lines.append("RUN false")
    lines.append(f'RUN mkdir -p /etc/e2e && echo "{key} on $(cat /etc/root-version)" > /etc/e2e/{slug(key)}')
    return "\n".join(lines) + "\n"


MAKEFILE_OK = "test:\n\ttest -f Makefile\n"
MAKEFILE_FAILS = "test:\n\t@echo 'tests failed' && false\n"


class Scenario:
    """One inventory on the lab: its git remotes, rendered jobs, agent and cascade."""

    def __init__(self, lab: Lab, tmp: Path, inventory: str, repos: Mapping[str, Mapping[str, str]],
                 files: Mapping[str, str] | None = None, branch: str = "main") -> None:
        from e2e_harness import GitRemotes

        self.lab = lab
        self.tmp = tmp
        for token, registry in (("@HUB@", lab.hub), ("@A@", lab.a), ("@B@", lab.b)):
            inventory = inventory.replace(token, registry.host)
        self.dir = tmp / "inventory"
        for name, text in {"inventory.yml": inventory, **(files or {})}.items():
            (self.dir / name).parent.mkdir(parents=True, exist_ok=True)
            (self.dir / name).write_text(self.hosts(text))
        self.remotes = GitRemotes(tmp / "git")
        (tmp / "git").mkdir()
        self.branch = branch
        self.commits = {url: self.remotes.push(url, {k: self.hosts(v) for k, v in tree.items()}, branch=branch)
                        for url, tree in repos.items()}
        self.inventory = jd.load(self.dir / "inventory.yml")
        self.jobset = jd.render(self.inventory)
        tools = tmp / "tools"
        tools.mkdir()
        (tools / "maestro").write_text(DEPLOY_TOOL)
        (tools / "maestro").chmod(0o755)
        self.deploys = tmp / "deploys.txt"
        self.deploys.touch()
        home = tmp / "home"
        home.mkdir()
        env = {"PATH": f"{tools}:{os.environ['PATH']}", "HOME": str(home), "LANG": "C.UTF-8",
               "E2E_DEPLOYS": str(self.deploys), **lab.engine.env, **self.remotes.client_env()}
        self.agent = Agent(tmp / "agent", env=env, credentials=lab.credentials)
        self.cascade = Cascade(self.jobset, self.agent)
        self._files: dict[tuple[str, str], dict[str, str]] = {}

    def hosts(self, text: str) -> str:
        for token, registry in (("@HUB@", self.lab.hub), ("@A@", self.lab.a), ("@B@", self.lab.b)):
            text = text.replace(token, registry.host)
        return text

    def job(self, key: str) -> str:
        return self.inventory.job(key)

    def tags(self, key: str) -> set[str]:
        image = self.inventory.images[key]
        return self.lab.registry(image.registry.host).tags(image.repository)

    def digest(self, key: str, tag: str) -> str:
        image = self.inventory.images[key]
        return self.lab.registry(image.registry.host).digest(image.repository, tag)

    def files(self, key: str, tag: str = "latest") -> dict[str, str]:
        """The /etc/e2e files of the pushed image (name -> text), pulled with its registry's
        credentials and read by one container with no network."""
        image = self.inventory.images[key]
        registry = self.lab.registry(image.registry.host)
        if registry.auth:
            self.lab.engine.docker("login", "--username", registry.auth[0], "--password-stdin", registry.host,
                                   input=registry.auth[1].encode())
        listing = self.lab.engine.read_files(f"{image.push_name}:{tag}", "/etc/e2e")
        return {name: text.strip() for name, text in listing.items()}

    def file(self, key: str, path: str, tag: str = "latest") -> str:
        """One /etc/e2e file of the pushed image (reads them all once per image and tag)."""
        cache = self._files.get((key, tag))
        if cache is None:
            cache = self._files[(key, tag)] = self.files(key, tag)
        return cache[path.rsplit("/", 1)[-1]]

    def forget(self) -> None:
        """Forget the files read: images were rebuilt."""
        self._files.clear()

    def push(self, url: str, files: Mapping[str, str]) -> str:
        """A new commit of the repository behind ``url``."""
        self.commits[url] = self.remotes.push(url, {k: self.hosts(v) for k, v in files.items()}, branch=self.branch,
                                              message="change")
        return self.commits[url]

    def rebuild_root(self, root: str) -> list[BuildRun]:
        """What a new version of the external ``root`` rebuilds: the jobs of the images built from it."""
        starts = [self.job(key) for key, image in self.inventory.images.items()
                  if any(parent.image is None and parent.normalized == self.hosts(root) for parent in image.parents)]
        assert starts, f"no image is built from {root}"
        self.forget()
        return self.cascade.rebuild(*starts)


def assert_once_after_parents(scenario: Scenario, runs: list[BuildRun], expected: set[str]) -> None:
    """Every expected image's job built once, each after every listed parent built in the same runs."""
    keys = {scenario.job(key): key for key in scenario.inventory.images}
    build_jobs = [run.job for run in runs if run.job in keys]
    built = {keys[job] for job in build_jobs}
    assert sorted(build_jobs) == sorted(set(build_jobs)), f"a job built twice: {build_jobs}"
    assert built == expected
    order = {keys[job]: index for index, job in enumerate(build_jobs)}
    for key in built:
        for parent in scenario.inventory.images[key].parents:
            if parent.image in order:
                assert order[parent.image] < order[key], f"{key} built before its parent {parent.image}"


def failures(runs: list[BuildRun]) -> str:
    return "\n".join(f"--- {run.job} #{run.number}: {run.result}\n{run.log[-2500:]}" for run in runs if run.result != "SUCCESS")


# -- a diamond with a multi-stage bottom, both job types ------------------------------------------
DIAMOND = """
version: 1
jenkins: {folder: NS, job_type: TYPE}
registries:
  private: {host: "@A@", credentials: push-a}
defaults: {branch: main, registry: private, test: make test}
base_images:
  NS/runtime: {git: "git@gitlab.example.org:NS/runtime.git", from: "@HUB@/NS/root:latest"}
  NS/python: {git: "git@gitlab.example.org:NS/python.git", from: NS/runtime}
  NS/node: {git: "git@gitlab.example.org:NS/node.git", from: NS/runtime}
apps:
  shop: {git: "git@gitlab.example.org:NS/shop.git", image: NS/shop, from: [NS/python, NS/node]}
"""


def diamond_repo(ns: str, name: str, *, fail: bool = False) -> dict[str, str]:
    """The repository of one image of the diamond (``shop`` copies a file of ``node``)."""
    parents = {"runtime": f"@HUB@/{ns}/root:latest", "python": f"@A@/{ns}/runtime:latest",
               "node": f"@A@/{ns}/runtime:latest", "shop": f"@A@/{ns}/python:latest"}
    copy = {f"@A@/{ns}/node:latest": f"{ns}-node"} if name == "shop" else None
    key = "shop" if name == "shop" else f"{ns}/{name}"
    return {"Dockerfile": layer(key, parents[name], copy=copy, fail=fail), "Makefile": MAKEFILE_OK}


def diamond(lab: Lab, tmp: Path, ns: str, job_type: str) -> Scenario:
    repos = {f"git@gitlab.example.org:{ns}/{name}.git": diamond_repo(ns, name) for name in ("runtime", "python", "node", "shop")}
    root_image(lab.engine, f"{lab.hub.host}/{ns}/root:latest", {"etc/root-version": "root-v1"})
    return Scenario(lab, tmp, DIAMOND.replace("NS", ns).replace("TYPE", job_type), repos)


def outdated(scenario: Scenario) -> tuple[int, dict[str, Any]]:
    """``jenkins-docker outdated --format json --detailed-exitcode`` on the scenario's inventory,
    logged in to the private registry from the environment; its exit code and JSON."""
    config = scenario.tmp / "outdated-docker-config"
    config.mkdir(exist_ok=True)
    user, password = scenario.lab.credentials["push-a"]
    env = {**os.environ, "DOCKER_CONFIG": str(config), "REGISTRY_PRIVATE_USER": user, "REGISTRY_PRIVATE_PASSWORD": password}
    done = subprocess.run([sys.executable, "-m", "jenkins_docker", "outdated", str(scenario.dir / "inventory.yml"),
                           "--format", "json", "--detailed-exitcode"], env=env, capture_output=True, text=True, timeout=120)
    assert password not in done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def new_root(scenario: Scenario, ns: str, version: str) -> list[BuildRun]:
    """Push a new version of the diamond's external root and rebuild what is built from it."""
    root_image(scenario.lab.engine, f"{scenario.lab.hub.host}/{ns}/root:latest", {"etc/root-version": version})
    return scenario.rebuild_root(f"@HUB@/{ns}/root:latest")


def test_freestyle_diamond_rebuilds_what_outdated_finds_once_each_and_a_failed_side_stays_outdated(
        lab: Lab, tmp_path: Path) -> None:
    ns = "diamond-fs"
    scenario = diamond(lab, tmp_path, ns, "freestyle")
    everything = {f"{ns}/runtime", f"{ns}/python", f"{ns}/node", "shop"}

    first = scenario.rebuild_root(f"@HUB@/{ns}/root:latest")
    assert not failures(first), failures(first)
    assert_once_after_parents(scenario, first, everything)
    for key in everything:
        commit = scenario.commits[scenario.inventory.images[key].git][:7]
        assert scenario.tags(key) == {"1", commit, "latest"}, key

    # The builds recorded their parents' digests: nothing has moved yet.
    assert outdated(scenario) == (0, {"outdated": [], "unknown": [], "errors": []})
    root = f"{lab.hub.host}/{ns}/root:latest"
    built_from = lab.hub.digest(f"{ns}/root", "latest")
    root_image(lab.engine, root, {"etc/root-version": "root-v2"})
    code, report = outdated(scenario)
    assert code == 2
    assert report["outdated"] == [{"image": f"{ns}/runtime", "parents": [
        {"name": root, "built_from": built_from, "current": lab.hub.digest(f"{ns}/root", "latest")}]}]
    # Rebuild what outdated names (the top of the diamond); the cascade does the rest.
    scenario.forget()
    second = scenario.cascade.rebuild(*(scenario.job(entry["image"]) for entry in report["outdated"]))
    assert not failures(second), failures(second)
    assert_once_after_parents(scenario, second, everything)
    assert outdated(scenario) == (0, {"outdated": [], "unknown": [], "errors": []})
    assert scenario.file("shop", "/etc/e2e/shop") == "shop on root-v2"
    assert scenario.file("shop", f"/etc/e2e/{ns}-python") == f"{ns}/python on root-v2"
    assert scenario.file("shop", f"/etc/e2e/{ns}-node") == f"{ns}/node on root-v2"      # COPY --from the sibling
    assert scenario.file("shop", "/etc/e2e/shop", tag="1") == "shop on root-v1"         # build 1 is kept
    for key in everything:
        assert scenario.digest(key, "latest") == scenario.digest(key, "2"), key

    # One side of the diamond breaks: the freestyle bottom still builds once, after the other
    # side (the README's diamond caveat), on the broken side's previous image.
    scenario.push(f"git@gitlab.example.org:{ns}/python.git", diamond_repo(ns, "python", fail=True))
    third = new_root(scenario, ns, "root-v3")
    results = {run.job: run.result for run in third}
    assert results == {scenario.job(f"{ns}/runtime"): "SUCCESS", scenario.job(f"{ns}/python"): "FAILURE",
                       scenario.job(f"{ns}/node"): "SUCCESS", scenario.job("shop"): "SUCCESS"}
    assert "3" not in scenario.tags(f"{ns}/python")
    assert scenario.file(f"{ns}/python", f"/etc/e2e/{ns}-python") == f"{ns}/python on root-v2"
    assert scenario.file("shop", f"/etc/e2e/{ns}-python") == f"{ns}/python on root-v2"
    assert scenario.file("shop", f"/etc/e2e/{ns}-node") == f"{ns}/node on root-v3"
    # The failed side is the one image left on a moved parent.
    code, report = outdated(scenario)
    assert (code, [entry["image"] for entry in report["outdated"]]) == (2, [f"{ns}/python"])


def test_pipeline_cascade_builds_the_diamond_in_waves_and_stops_below_a_failed_wave(lab: Lab, tmp_path: Path) -> None:
    ns = "diamond-pl"
    scenario = diamond(lab, tmp_path, ns, "pipeline")
    everything = {f"{ns}/runtime", f"{ns}/python", f"{ns}/node", "shop"}

    first = scenario.rebuild_root(f"@HUB@/{ns}/root:latest")
    assert not failures(first), failures(first)
    assert_once_after_parents(scenario, first, everything)
    assert scenario.file("shop", f"/etc/e2e/{ns}-node") == f"{ns}/node on root-v1"
    for key in everything:
        commit = scenario.commits[scenario.inventory.images[key].git][:7]
        assert scenario.tags(key) == {"1", commit, "latest"}, key

    scenario.push(f"git@gitlab.example.org:{ns}/python.git", diamond_repo(ns, "python", fail=True))
    second = new_root(scenario, ns, "root-v2")
    results = {run.job: run.result for run in second}
    # python and node share a wave (parallel branches both finish); the wave failed, so the
    # runtime job's build fails and shop, in the next wave, is not built.
    assert results == {scenario.job(f"{ns}/runtime"): "SUCCESS", scenario.job(f"{ns}/python"): "FAILURE",
                       scenario.job(f"{ns}/node"): "SUCCESS"}
    runtime_build = next(b for b in scenario.cascade.simulator.builds if b.job == scenario.job(f"{ns}/runtime") and b.number == 2)
    assert runtime_build.result == "FAILURE"
    assert scenario.tags("shop") == {"1", scenario.commits["git@gitlab.example.org:diamond-pl/shop.git"][:7], "latest"}
    assert scenario.file(f"{ns}/node", f"/etc/e2e/{ns}-node") == f"{ns}/node on root-v2"
    assert scenario.file("shop", f"/etc/e2e/{ns}-node") == f"{ns}/node on root-v1"


# -- a failing test command -----------------------------------------------------------------------
FAILING_TEST = """
version: 1
jenkins: {folder: failing-test}
registries:
  private: {host: "@A@", credentials: push-a}
defaults: {branch: main, registry: private, test: make test}
base_images:
  failing/base: {git: "git@gitlab.example.org:failing/base.git", from: "@HUB@/failing/root:latest"}
apps:
  failing-app: {git: "git@gitlab.example.org:failing/app.git", image: failing/app, from: failing/base}
"""


def test_a_failing_test_command_stops_the_build_before_anything_is_pushed(lab: Lab, tmp_path: Path) -> None:
    root_image(lab.engine, f"{lab.hub.host}/failing/root:latest", {"etc/root-version": "root-v1"})
    repos = {"git@gitlab.example.org:failing/base.git": {"Dockerfile": layer("failing/base", "@HUB@/failing/root:latest"),
                                                         "Makefile": MAKEFILE_FAILS},
             "git@gitlab.example.org:failing/app.git": {"Dockerfile": layer("failing-app", "@A@/failing/base:latest"),
                                                        "Makefile": MAKEFILE_OK}}
    scenario = Scenario(lab, tmp_path, FAILING_TEST, repos)
    runs = scenario.rebuild_root("@HUB@/failing/root:latest")
    assert [(run.job, run.result, run.steps_run) for run in runs] == [(scenario.job("failing/base"), "FAILURE", 1)]
    assert "tests failed" in runs[0].log
    assert scenario.tags("failing/base") == set()           # the registry has never seen it
    assert scenario.tags("failing-app") == set()


# -- images on two private registries ----------------------------------------------------------------
TWO_REGISTRIES = """
version: 1
jenkins: {folder: two-registries-TYPE, job_type: TYPE}
registries:
  team-a: {host: "@A@", credentials: push-a}
  team-b: {host: "@B@", credentials: push-b}
defaults: {branch: main, test: make test}
base_images:
  two/TYPE-base: {git: "git@gitlab.example.org:two/TYPE-base.git", from: "@HUB@/two/root:latest", registry: team-a}
apps:
  two-TYPE-app: {git: "git@gitlab.example.org:two/TYPE-app.git", image: two/TYPE-app, from: two/TYPE-base, registry: team-b}
"""


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_an_app_on_one_private_registry_builds_from_a_base_on_another(lab: Lab, tmp_path: Path, job_type: str) -> None:
    root_image(lab.engine, f"{lab.hub.host}/two/root:latest", {"etc/root-version": "root-v1"})
    base, app = f"two/{job_type}-base", f"two-{job_type}-app"
    repos = {f"git@gitlab.example.org:{base}.git": {"Dockerfile": layer(base, "@HUB@/two/root:latest"), "Makefile": MAKEFILE_OK},
             f"git@gitlab.example.org:two/{job_type}-app.git": {"Dockerfile": layer(app, f"@A@/{base}:latest"),
                                                                "Makefile": MAKEFILE_OK}}
    scenario = Scenario(lab, tmp_path, TWO_REGISTRIES.replace("TYPE", job_type), repos)
    runs = scenario.rebuild_root("@HUB@/two/root:latest")
    # Before issue 12 (each job logged in to its push registry only) the app's build failed:
    # Head "http://<a>/v2/two/.../manifests/latest": no basic auth credentials
    assert not failures(runs), failures(runs)
    assert scenario.tags(base) >= {"1", "latest"}
    assert scenario.tags(app) >= {"1", "latest"}
    assert scenario.file(app, f"/etc/e2e/{slug(base)}") == f"{base} on root-v1"
    for run in runs:      # each registry's password reached the build only as a masked secret
        assert "alice-secret-1" not in run.log and "bob-secret-2" not in run.log


# -- a deploy job deploys what its build pushed -------------------------------------------------------
DEPLOYED = """
version: 1
jenkins: {folder: NS, job_type: TYPE}
registries:
  private: {host: "@A@", credentials: push-a}
defaults: {branch: main, registry: private, test: make test}
apps:
  NS-app: {git: "git@gitlab.example.org:NS/app.git", image: NS/app, from: "@HUB@/NS/root:latest",
           deploy: "maestro -f maestro.yml restart app"}
"""


@pytest.mark.xfail(strict=True, reason="issue 12 item 4: a deploy job checks out its branch's head, not the commit built")
@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_a_deploy_job_deploys_the_tag_and_the_commit_its_build_pushed_even_after_a_new_push(
        lab: Lab, tmp_path: Path, job_type: str) -> None:
    ns = f"deploy-{job_type}"
    url = f"git@gitlab.example.org:{ns}/app.git"
    root_image(lab.engine, f"{lab.hub.host}/{ns}/root:latest", {"etc/root-version": "root-v1"})
    app = {"Dockerfile": layer(f"{ns}-app", f"@HUB@/{ns}/root:latest"), "Makefile": MAKEFILE_OK, "maestro.yml": "{}\n"}
    scenario = Scenario(lab, tmp_path, DEPLOYED.replace("NS", ns).replace("TYPE", job_type), {url: app})
    built = scenario.commits[url]
    deploy_job = next(job.full_name for job in scenario.jobset.jobs if job.role == "deploy")

    def push_while_building(job: str) -> None:      # someone pushes between the build and its deploy
        if job == deploy_job:
            scenario.push(url, {**app, "README": "a newer commit, not built yet\n"})

    scenario.agent.before = push_while_building
    runs = scenario.rebuild_root(f"@HUB@/{ns}/root:latest")
    assert not failures(runs), failures(runs)
    assert [run.job for run in runs] == [scenario.job(f"{ns}-app"), deploy_job]
    assert scenario.commits[url] != built
    image = scenario.inventory.images[f"{ns}-app"].push_name
    assert scenario.deploys.read_text().split() == [image, "1", built, "-f", "maestro.yml", "restart", "app"]
    assert scenario.digest(f"{ns}-app", "1") == scenario.digest(f"{ns}-app", "latest")


# -- the seed's platform: examples/iiiepe ---------------------------------------------------------
def iiiepe(lab: Lab, tmp: Path) -> Scenario:
    """examples/iiiepe with its registries moved to the lab (Docker Hub is the anonymous ``hub``,
    the private registry is ``a``) and debian:bookworm served by ``hub``; Dockerfiles made here."""
    text = (EXAMPLES / "iiiepe" / "inventory.yml").read_text()
    text = text.replace("host: docker.io", "host: \"@HUB@\"").replace("host: registry.iiiepe.net", "host: \"@A@\"")
    text = text.replace("from: debian:bookworm", "from: \"@HUB@/library/debian:bookworm\"")
    text = text.replace("credentials: dockerhub-iiiepe", "credentials: hub-push").replace("credentials: registry-push", "credentials: push-a")
    inventory = jd.load(EXAMPLES / "iiiepe" / "inventory.yml")
    repos: dict[str, dict[str, str]] = {}
    for key, image in inventory.images.items():
        parent = image.parents[0]
        if parent.image is None:
            reference = "@HUB@/library/debian:bookworm"
        else:
            host = "@HUB@" if inventory.images[parent.image].registry.name == "hub" else "@A@"
            reference = f"{host}/{inventory.images[parent.image].repository}:latest"
        files = repos.setdefault(image.git, {"Makefile": MAKEFILE_OK, "maestro.yml": "{}\n",
                                             "package.json": '{"name": "e2e", "version": "1.0.0", "scripts": {"test": "test -f Makefile"}}\n'})
        files[image.dockerfile if image.context == "." else f"{image.context}/Dockerfile"] = layer(key, reference)
    drupal7 = {"images/nginx-drupal7/Dockerfile": layer("iiiepe/nginx-drupal7", "@HUB@/iiiepe/nginx-php:latest")}
    root_image(lab.engine, f"{lab.hub.host}/library/debian:bookworm", {"etc/root-version": "bookworm-1"})
    return Scenario(lab, tmp, text, repos, files=drupal7, branch="master")


def test_the_example_platform_rebuilds_from_debian_in_order_and_deploys_each_built_tag(lab: Lab, tmp_path: Path) -> None:
    scenario = iiiepe(lab, tmp_path)
    runs = scenario.rebuild_root("@HUB@/library/debian:bookworm")
    assert not failures(runs), failures(runs)
    assert_once_after_parents(scenario, runs, set(scenario.inventory.images))
    for key, image in scenario.inventory.images.items():
        assert scenario.tags(key) == {"1", scenario.commits[image.git][:7], "latest"}, key
    # Every app holds the chain of files its bases wrote, down to the root.
    assert scenario.file("website", "/etc/e2e/iiiepe-nginx-drupal6") == "iiiepe/nginx-drupal6 on bookworm-1"
    assert scenario.file("intranet", "/etc/e2e/iiiepe-nginx-drupal7") == "iiiepe/nginx-drupal7 on bookworm-1"
    assert scenario.file("courses", "/etc/e2e/iiiepe-nginx") == "iiiepe/nginx on bookworm-1"
    assert scenario.file("api", "/etc/e2e/iiiepe-nodejs") == "iiiepe/nodejs on bookworm-1"
    # Each deploy job ran once, with the tag its app's build pushed, in a checkout of the app.
    deploys = sorted(line.split() for line in scenario.deploys.read_text().splitlines())
    expected = sorted([scenario.inventory.images[key].push_name, "1", scenario.commits[scenario.inventory.images[key].git],
                       "-f", "maestro.yml", "restart", key] for key in ("website", "intranet", "courses", "api"))
    assert deploys == expected
    # The variables Jenkins sets reached the builds; the push password only masked.
    website = next(run for run in runs if run.job == scenario.job("website"))
    assert website.env["JOB_NAME"] == "docker/website" and website.env["GIT_COMMIT"] == scenario.commits[scenario.inventory.images["website"].git]
    assert "alice-secret-1" not in website.log and "****" in website.log
