"""The platform as ops run it (issue 12): exact rebuilds, deploys of what was built, disabled
images, deploy jobs in `impact`, overlapping schedules.

Cascades are replayed by the trigger simulator from the rendered XML; rebuilds go through the
CLI against the fake Jenkins; the rendered freestyle build script is run by bash to see when it
hands a deploy over.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from helpers import cli, env_for
from jenkins_docker.graph.imagegraph import UnknownImageError
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import check, load
from jenkins_docker.rendering.renderer import render
from simulator import Simulator, read_jobset

PLATFORM = """\
version: 1
jenkins: {{folder: ops, job_type: {job_type}}}
registries:
  private: {{host: registry.example.org, credentials: registry-push}}
defaults: {{registry: private}}
base_images:
  acme/base:
    git: git@git.example:base.git
    from: debian:bookworm
  acme/python:
    git: git@git.example:python.git
    from: acme/base
  acme/node:
    git: git@git.example:node.git
    from: acme/base
  acme/pinned:
    git: git@git.example:pinned.git
    from: "acme/base@sha256:0a4eaa0eecf5f8c050e5bba433f58c052be7587ee8af3e8b3910ef9ab5fbe9f5"
apps:
  shop:
    git: git@git.example:shop.git
    from: [acme/python, acme/node]
    deploy: ./deploy.sh shop
{extra}"""


def platform(tmp_path: Path, job_type: str = "freestyle", extra: str = "") -> Path:
    path = tmp_path / f"{job_type}-inventory.yml"
    path.write_text(PLATFORM.format(job_type=job_type, extra=extra), encoding="utf-8")
    return path


# -- item 2: rebuild A B ----------------------------------------------------------------------------
def test_topmost_keeps_only_the_requested_images_no_other_requested_image_rebuilds(tmp_path):
    graph = load(platform(tmp_path)).graph
    assert graph.topmost(["acme/python", "acme/base", "shop"]) == ["acme/base"]
    assert graph.topmost(["acme/python", "acme/node"]) == ["acme/node", "acme/python"]
    # a digest-pinned child is not rebuilt by its parent's rebuild: both are started
    assert graph.topmost(["acme/base", "acme/pinned"]) == ["acme/base", "acme/pinned"]
    assert graph.topmost("shop") == ["shop"]


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_the_simulator_replaying_rebuild_a_b_builds_every_job_once(tmp_path, job_type):
    inventory = load(platform(tmp_path, job_type))
    specs = read_jobset(render(inventory))
    requested = ["acme/base", "acme/python", "shop"]

    def replay(queued: list[str]) -> Counter[str]:
        simulator = Simulator(specs, executors=4, seed=3)
        for key in queued:
            simulator.schedule(inventory.job(key), {"CASCADE": "true"} if job_type == "pipeline" else None)
        return Counter(build.job for build in simulator.run())

    counts = replay(inventory.graph.topmost(requested))
    rebuilt = {"acme/base"} | inventory.graph.dependents("acme/base")
    assert counts == Counter({inventory.job(key): 1 for key in rebuilt} | {"ops/shop-deploy": 1})
    # what `rebuild` did before: every requested job queued, so the ones below build twice
    assert replay(requested)[inventory.job("acme/python")] > 1


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_cli_rebuild_queues_only_the_topmost_images_and_prints_the_cascade(tmp_path, jenkins, job_type):
    path = platform(tmp_path, job_type)
    env = env_for(jenkins)
    assert cli("sync", str(path), env=env).returncode == 0
    done = cli("rebuild", str(path), "acme/python", "acme/base", env=env)
    assert done.returncode == 0, done.stderr
    assert jenkins.queue() == ["ops/acme-base"]
    lines = done.stdout.splitlines()
    assert "queued ops/acme-base" in lines[0]
    assert "not queued ops/acme-python: it is built from acme/base, so the cascade rebuilds it (once, after its parents)" in lines
    assert "then the cascade builds, wave 1: ops/acme-node, ops/acme-pinned, ops/acme-python" not in lines  # pinned: no rebuild
    assert "then the cascade builds, wave 1: ops/acme-node, ops/acme-python" in lines
    assert "then the cascade builds, wave 2: ops/shop" in lines


def test_validate_warns_when_a_scheduled_image_is_below_another_scheduled_image(tmp_path):
    path = platform(tmp_path)
    text = path.read_text().replace("    from: debian:bookworm\n", "    from: debian:bookworm\n    rebuild: H H * * 0\n")
    text = text.replace("    from: acme/base\n  acme/node:", "    from: acme/base\n    rebuild: H H * * 3\n  acme/node:")
    path.write_text(text)
    report = check(path)
    assert report.ok
    assert [(w.location.line, w.message) for w in report.warnings if "schedule" in w.message] == [
        (11, "'acme/python' has a `rebuild:` schedule, and the schedule of 'acme/base' already rebuilds it "
             "(it is built from it): it will build twice; keep the schedule of the topmost image only")]
    strict = cli("validate", "--strict", str(path))
    assert strict.returncode == 1


# -- item 4: deploy the built commit ----------------------------------------------------------------
# A `docker` that reads the login's password, answers `image inspect` with a digest (the build
# records its parents' digests) and does nothing else.
FAKE_DOCKER = """#!/bin/sh
case "$1" in
  login) cat >/dev/null ;;
  image) echo sha256:0a4eaa0eecf5f8c050e5bba433f58c052be7587ee8af3e8b3910ef9ab5fbe9f5 ;;
esac
exit 0
"""


def run_build_script(tmp_path: Path, inventory: Inventory, job: str, *, previous_successful: str | None) -> dict[str, str] | None:
    """Run the last build step of ``job`` in a real git checkout; the deploy parameters it hands over, or None."""
    root = ET.fromstring(render(inventory).by_name()[job].xml.encode())
    script = root.findall("builders/hudson.tasks.Shell/command")[-1].text or ""
    workspace = tmp_path / "ws"
    bin_dir = tmp_path / "bin"
    if not workspace.exists():
        workspace.mkdir()
        bin_dir.mkdir()
        (bin_dir / "docker").write_text(FAKE_DOCKER)
        (bin_dir / "docker").chmod(0o755 | stat.S_IEXEC)
        git = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@example.org"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
        (workspace / ".jenkins-docker-deploy.properties").write_text("IMAGE_TAG=1\n")   # left by an earlier build
    head = subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "WORKSPACE": str(workspace), "BUILD_NUMBER": "42", "HOME": str(tmp_path),
           "REGISTRY_USER": "u", "REGISTRY_PASSWORD": "p"}
    if previous_successful == "HEAD":
        env["GIT_PREVIOUS_SUCCESSFUL_COMMIT"] = head
    subprocess.run(["sh", "-e", "-c", script], cwd=workspace, env=env, check=True)
    properties = workspace / ".jenkins-docker-deploy.properties"
    if not properties.exists():
        return None
    values = dict(line.split("=", 1) for line in properties.read_text().splitlines())
    assert values == {"IMAGE_TAG": "42", "DEPLOY_COMMIT": head}
    return values


@pytest.mark.parametrize("deploy_on, push_deploys, cascade_deploys", [("[push]", True, False), ("[cascade]", False, True)])
def test_a_freestyle_build_hands_its_tag_and_commit_to_the_deploy_only_for_the_builds_deploy_on_names(
        tmp_path, deploy_on, push_deploys, cascade_deploys):
    inventory = load(platform(tmp_path, extra=""))
    path = platform(tmp_path)
    path.write_text(path.read_text().replace("    deploy: ./deploy.sh shop\n", f"    deploy: ./deploy.sh shop\n    deploy_on: {deploy_on}\n"))
    inventory = load(path)
    root = ET.fromstring(render(inventory).by_name()["ops/shop"].xml.encode())
    file_params = root.find("publishers/hudson.plugins.parameterizedtrigger.BuildTrigger/configs/*/configs/"
                            "hudson.plugins.parameterizedtrigger.FileBuildParameters")
    assert file_params is not None and file_params.findtext("failTriggerOnMissing") == "true"
    assert file_params.findtext("propertiesFile") == ".jenkins-docker-deploy.properties"
    # a push: the commit was never built successfully
    assert (run_build_script(tmp_path, inventory, "ops/shop", previous_successful=None) is not None) == push_deploys
    # a cascade: the same commit rebuilt because a base image changed
    assert (run_build_script(tmp_path, inventory, "ops/shop", previous_successful="HEAD") is not None) == cascade_deploys


def test_the_deploy_job_checks_out_exactly_the_commit_it_is_given(tmp_path):
    for job_type in ("freestyle", "pipeline"):
        inventory = load(platform(tmp_path, job_type))
        root = ET.fromstring(render(inventory).by_name()["ops/shop-deploy"].xml.encode())
        parameters = {p.findtext("name"): p.findtext("defaultValue") for p in root.iter("hudson.model.StringParameterDefinition")}
        assert parameters == {"IMAGE_TAG": "latest", "DEPLOY_COMMIT": "master"}
        if job_type == "freestyle":
            assert root.findtext("scm/branches/hudson.plugins.git.BranchSpec/name") == "${DEPLOY_COMMIT}"
        else:
            assert "branches: [[name: params.DEPLOY_COMMIT]]" in root.findtext("definition/script")
    build = ET.fromstring(render(inventory).by_name()["ops/shop"].xml.encode()).findtext("definition/script") or ""
    assert "built = checkout(" in build
    assert ("build job: '/ops/shop-deploy', parameters: [string(name: 'IMAGE_TAG', value: env.BUILD_NUMBER), "
            "string(name: 'DEPLOY_COMMIT', value: built.GIT_COMMIT)], wait: false") in build


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_a_push_only_app_deploys_after_a_push_but_not_in_a_base_image_cascade(tmp_path, job_type):
    path = platform(tmp_path, job_type)
    path.write_text(path.read_text().replace("    deploy: ./deploy.sh shop\n", "    deploy: ./deploy.sh shop\n    deploy_on: push\n"))
    inventory = load(path)
    specs = read_jobset(render(inventory))
    params = {"CASCADE": "true"} if job_type == "pipeline" else None
    cascade = Simulator(specs, executors=4)
    cascade.schedule("ops/acme-base", params)
    assert "ops/shop-deploy" not in {b.job for b in cascade.run()}
    assert "ops/shop" in {b.job for b in cascade.builds}
    push = Simulator(specs, executors=4)
    push.schedule("ops/shop", params, new_commit=True)
    assert [b.job for b in push.run()] == ["ops/shop", "ops/shop-deploy"]


# -- item 5: disabled ---------------------------------------------------------------------------------
@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_a_disabled_image_keeps_a_disabled_job_and_the_cascade_stops_there(tmp_path, job_type):
    path = platform(tmp_path, job_type)
    path.write_text(path.read_text().replace("    from: acme/base\n  acme/node:", "    from: acme/base\n    disabled: true\n  acme/node:"))
    inventory = load(path)
    jobs = render(inventory).by_name()
    assert ET.fromstring(jobs["ops/acme-python"].xml.encode()).findtext("disabled") == "true"
    assert ET.fromstring(jobs["ops/acme-node"].xml.encode()).findtext("disabled") == "false"
    simulator = Simulator(read_jobset(render(inventory)), executors=4)
    simulator.schedule("ops/acme-base", {"CASCADE": "true"} if job_type == "pipeline" else None)
    built = Counter(b.job for b in simulator.run())
    # shop is built from python (disabled) and node: node's rebuild still reaches it, once
    assert built == Counter({"ops/acme-base": 1, "ops/acme-node": 1, "ops/shop": 1, "ops/shop-deploy": 1})
    assert inventory.graph.dependents("acme/base") == {"acme/node", "shop"}
    assert "disabled: true" in ET.fromstring(jobs["ops/acme-python"].xml.encode()).findtext("description")


def test_rebuild_refuses_a_disabled_image(tmp_path, jenkins):
    path = platform(tmp_path)
    path.write_text(path.read_text().replace("    from: acme/base\n  acme/node:", "    from: acme/base\n    disabled: true\n  acme/node:"))
    done = cli("rebuild", str(path), "acme/python", env=env_for(jenkins))
    assert done.returncode == 2
    assert "ops/acme-python is disabled in the inventory (disabled: true)" in done.stderr
    assert jenkins.queue() == []


def test_disabled_must_be_a_boolean(tmp_path):
    path = platform(tmp_path)
    path.write_text(path.read_text().replace("    from: acme/base\n  acme/node:", "    from: acme/base\n    disabled: 'yes'\n  acme/node:"))
    report = check(path)
    assert [e.message for e in report.errors] == ["`disabled` in base image 'acme/python' must be true or false, not a string ('yes')"]


# -- item 6: impact lists deploy jobs ---------------------------------------------------------------
def test_impact_lists_the_deploy_jobs_a_change_starts_marked_as_deploys(tmp_path):
    path = platform(tmp_path)
    document = json.loads(cli("impact", str(path), "debian:bookworm", "--format", "json").stdout)
    assert document["deploys"] == ["ops/shop-deploy"]
    assert document["jobs"][-2:] == ["ops/shop", "ops/shop-deploy"]
    assert all(isinstance(job, str) for job in document["jobs"])
    text = cli("impact", str(path), "debian:bookworm").stdout
    assert "and 1 deploy: ops/shop-deploy (deploy of shop)" in text
    path.write_text(path.read_text().replace("    deploy: ./deploy.sh shop\n", "    deploy: ./deploy.sh shop\n    deploy_on: [push]\n"))
    assert json.loads(cli("impact", str(path), "debian:bookworm", "--format", "json").stdout)["deploys"] == []
    assert json.loads(cli("impact", str(path), "shop", "--format", "json").stdout)["deploys"] == ["ops/shop-deploy"]


def test_deploy_on_takes_only_push_and_cascade(tmp_path):
    path = platform(tmp_path)
    path.write_text(path.read_text().replace("    deploy: ./deploy.sh shop\n", "    deploy: ./deploy.sh shop\n    deploy_on: [push, cascde]\n"))
    report = check(path)
    assert [e.message for e in report.errors] == ["`deploy_on` takes push, cascade, not 'cascde'; did you mean `cascade`?"]


# -- item 8 (graph part): one signature, UnknownImageError ----------------------------------------
def test_graph_queries_take_one_name_or_several_and_refuse_unknown_names(tmp_path):
    graph = load(platform(tmp_path)).graph
    assert graph.dependents("acme/python") == graph.dependents(["acme/python"]) == {"shop"}
    assert graph.waves("acme/node") == graph.waves(["acme/node"])
    for query in (graph.parents, graph.children, graph.ancestors, graph.dependents, graph.kind, graph.job, graph.triggers):
        with pytest.raises(UnknownImageError, match="'acme/pyton' is not an image of the inventory"):
            query("acme/pyton")
