"""Rendering jobs: the config.xml of every item, read back with an XML parser.

Golden files: ``tests/golden/<case>/`` holds the rendered tree of ``tests/golden/inventory.yml``
(``freestyle`` and ``pipeline`` jobs; ``jobs/.../config.xml`` as in JENKINS_HOME, and
``views/<name>.xml`` for each view). They are compared byte for byte; after an intended change,
regenerate them with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py`` and
review the diff.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import load_text as write_inventory
from helpers import parse, with_job_type
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import load
from jenkins_docker.ownership import ownership_line
from jenkins_docker.rendering.renderer import MANAGED_LINE, MANAGED_MARKER, Item, TemplateError, bundled_templates, render, write_tree
from jenkins_docker.sync import xmlcompare
from jenkins_docker.testing.fake_jenkins import DEFAULT_PLUGINS, FakeJenkins
from simulator import groovy_literal, groovy_strings, split_waves

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS.parent / "examples"
GOLDEN = TESTS / "golden"
TEMPLATES = ["freestyle.xml.j2", "pipeline.xml.j2", "deploy-freestyle.xml.j2", "deploy-pipeline.xml.j2",
             "seed.xml.j2", "watch.xml.j2", "folder.xml.j2", "view.xml.j2"]


def text(root: ET.Element, path: str) -> str | None:
    element = root.find(path)
    return None if element is None else (element.text or "")


@pytest.fixture(scope="module")
def iiiepe() -> Inventory:
    return load(EXAMPLES / "iiiepe" / "inventory.yml")


@pytest.fixture(scope="module")
def platform() -> Inventory:
    return load(EXAMPLES / "platform" / "inventory.yml")


@pytest.fixture(scope="module")
def iiiepe_jobs(iiiepe) -> dict[str, ET.Element]:
    return {name: parse(job.xml) for name, job in render(iiiepe).by_name().items()}


@pytest.fixture(scope="module")
def platform_jobs(platform) -> dict[str, ET.Element]:
    return {name: parse(job.xml) for name, job in render(platform).by_name().items()}


@pytest.fixture(scope="module")
def iiiepe_pipelines(iiiepe) -> dict[str, ET.Element]:
    return {name: parse(job.xml) for name, job in render(with_job_type(iiiepe, "pipeline")).by_name().items()}


def script(root: ET.Element) -> str:
    return text(root, "definition/script") or ""


def commands(root: ET.Element) -> list[str]:
    return [c.text or "" for c in root.findall("builders/hudson.tasks.Shell/command")]


# -- every job -------------------------------------------------------------------------------
@pytest.mark.parametrize("example", ["iiiepe", "platform"])
@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_every_item_is_xml_with_the_managed_marker_as_its_last_description_line(example, job_type):
    inventory = with_job_type(load(EXAMPLES / example / "inventory.yml"), job_type)
    jobs = render(inventory)
    expected_root = {"folder": "com.cloudbees.hudson.plugins.folder.Folder", "freestyle": "project", "pipeline": "flow-definition"}
    for job in jobs.jobs:
        root = parse(job.xml)
        assert root.tag == expected_root[job.kind], job.full_name
        assert len(job.digest) == 32, job.full_name
        line = ownership_line(inventory.jenkins.identity, digest=job.digest)
        assert (root.findtext("description") or "").splitlines()[-1] == line != MANAGED_LINE
        assert MANAGED_MARKER in (root.findtext("description") or "")
        assert root.find("*[@plugin]") is None and "plugin=" not in job.xml
    for view in jobs.views:
        assert (parse(view.xml).findtext("description") or "").splitlines()[-1] == ownership_line(inventory.jenkins.identity)


def test_jobs_come_folders_first_then_each_after_what_it_depends_on(platform):
    jobs = render(platform).jobs
    assert [j.full_name for j in jobs[:2]] == ["ops", "ops/docker"] and all(j.kind == "folder" for j in jobs[:2])
    position = {job.full_name: index for index, job in enumerate(jobs)}
    for job in jobs:
        if job.role == "build":
            for upstream in platform.graph.upstreams(job.image):
                assert position[platform.job(upstream)] < position[job.full_name]
        if job.role == "deploy":
            assert position[platform.job(job.image)] < position[job.full_name]
        assert all(position[first] < position[job.full_name] for first in job.after)
    after = {job.full_name: job.after for job in jobs}
    assert after["ops"] == () and after["ops/docker"] == ("ops",)
    assert after["ops/docker/acme-runtime"] == ("ops/docker",)
    assert after["ops/docker/acme-fullstack"] == ("ops/docker", "ops/docker/acme-node", "ops/docker/acme-python")
    assert after["ops/docker/shop-deploy"] == ("ops/docker", "ops/docker/shop")


def test_job_records_say_what_each_job_is(iiiepe):
    jobs = render(iiiepe).by_name()
    assert jobs["docker"] == Item("docker", "docker", None, "folder", "folder", None, jobs["docker"].xml, digest=jobs["docker"].digest)
    assert (jobs["docker/website"].kind, jobs["docker/website"].role, jobs["docker/website"].image) == ("freestyle", "build", "website")
    assert (jobs["docker/website-deploy"].role, jobs["docker/website-deploy"].image) == ("deploy", "website")
    assert (jobs["docker/jenkins-docker-seed"].role, jobs["docker/jenkins-docker-seed"].image) == ("seed", None)
    assert jobs["docker/website"].folder == "docker" and jobs["docker/website"].name == "website"


# -- freestyle build jobs --------------------------------------------------------------------
def test_a_build_job_clones_its_repository_and_branch_with_the_git_credentials(iiiepe_jobs):
    scm = iiiepe_jobs["docker/website"].find("scm")
    assert scm.get("class") == "hudson.plugins.git.GitSCM"
    assert text(scm, "configVersion") == "2"
    assert text(scm, "userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url") == "git@gitlab.iiiepe.net:web/website.git"
    assert text(scm, "userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/credentialsId") == "gitlab-ssh"
    assert text(scm, "branches/hudson.plugins.git.BranchSpec/name") == "*/master"
    assert text(scm, "doGenerateSubmoduleConfigurations") == "false"
    assert scm.find("submoduleCfg").get("class") == "empty-list"


def test_the_gitlab_trigger_builds_on_pushes_to_the_branch_only(platform_jobs):
    root = platform_jobs["ops/docker/acme-python"]
    trigger = root.find("triggers/com.dabsquared.gitlabjenkins.GitLabPushTrigger")
    assert text(trigger, "triggerOnPush") == "true"
    booleans = {child.tag: child.text for child in trigger if child.text in ("true", "false")}
    assert {tag for tag, value in booleans.items() if value == "true"} == {"triggerOnPush"}
    assert {"triggerOnMergeRequest", "triggerOnNoteRequest", "ciSkip", "setBuildDescription"} <= set(booleans)
    assert text(trigger, "branchFilterType") == "NameBasedFilter"
    assert text(trigger, "includeBranchesSpec") == "main"
    assert trigger.find("secretToken") is None
    assert text(root, "properties/com.dabsquared.gitlabjenkins.connection.GitLabConnectionProperty/gitLabConnection") == "gitlab"


def test_a_rebuild_schedule_is_a_timer_trigger_and_keep_builds_a_log_rotator(iiiepe_jobs):
    assert text(iiiepe_jobs["docker/iiiepe-nginx"], "triggers/hudson.triggers.TimerTrigger/spec") == "H H * * 0"
    assert iiiepe_jobs["docker/iiiepe-nginx-php"].find("triggers/hudson.triggers.TimerTrigger") is None
    rotator = iiiepe_jobs["docker/iiiepe-nginx-php"].find("properties/jenkins.model.BuildDiscarderProperty/strategy")
    assert rotator.get("class") == "hudson.tasks.LogRotator"
    assert [text(rotator, f) for f in ("daysToKeep", "numToKeep", "artifactDaysToKeep", "artifactNumToKeep")] == ["-1", "20", "-1", "-1"]


def test_build_triggers_are_the_reduced_children_by_absolute_name(platform, platform_jobs):
    runtime = platform_jobs["ops/docker/acme-runtime"].find("publishers/hudson.tasks.BuildTrigger")
    assert text(runtime, "childProjects") == "/ops/docker/acme-node,/ops/docker/acme-python"  # absolute: no item can shadow them
    assert [text(runtime, f"threshold/{f}") for f in ("name", "ordinal", "color", "completeBuild")] == ["SUCCESS", "0", "BLUE", "true"]
    for key in platform.images:
        root = platform_jobs[platform.job(key)]
        children = text(root, "publishers/hudson.tasks.BuildTrigger/childProjects")
        expected = ",".join(sorted("/" + platform.job(c) for c in platform.graph.triggers(key))) or None
        assert children == expected, key
    # a digest-pinned child is not rebuilt: acme/tools triggers nothing
    assert platform_jobs["ops/docker/acme-tools"].find("publishers/hudson.tasks.BuildTrigger") is None


def test_only_jobs_with_several_upstreams_block_while_an_upstream_builds(platform, platform_jobs):
    for key in platform.images:
        root = platform_jobs[platform.job(key)]
        several = len(platform.graph.upstreams(key)) > 1
        assert text(root, "blockBuildWhenUpstreamBuilding") == ("true" if several else "false"), key
        assert text(root, "blockBuildWhenDownstreamBuilding") == "false"
        assert text(root, "concurrentBuild") == "false"
    assert text(platform_jobs["ops/docker/acme-fullstack"], "blockBuildWhenUpstreamBuilding") == "true"


def test_the_agent_pins_jobs_and_without_one_they_roam(iiiepe_jobs, tmp_path):
    assert (text(iiiepe_jobs["docker/api"], "assignedNode"), text(iiiepe_jobs["docker/api"], "canRoam")) == ("docker", "false")
    inventory = write_inventory(tmp_path, MINIMAL)
    root = parse(render(inventory).jobs[0].xml)
    assert root.find("assignedNode") is None and text(root, "canRoam") == "true"
    assert root.find("triggers/com.dabsquared.gitlabjenkins.GitLabPushTrigger") is None
    assert root.find("scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/credentialsId") is None
    assert root.find("properties/jenkins.model.BuildDiscarderProperty") is None


def test_registry_credentials_are_bound_as_username_and_password_variables(iiiepe_jobs):
    binding = iiiepe_jobs["docker/iiiepe-nginx"].find(
        "buildWrappers/org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper/bindings/"
        "org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding")
    assert [text(binding, f) for f in ("credentialsId", "usernameVariable", "passwordVariable")] == [
        "dockerhub-iiiepe", "REGISTRY_USER", "REGISTRY_PASSWORD"]


def test_a_build_tests_then_logs_in_builds_three_tags_pushes_them_and_logs_out(iiiepe_jobs):
    test, build = commands(iiiepe_jobs["docker/website"])
    assert test == "export BASE_URL=http://iiiepe.edu.mx\nmake test\n"
    image = "registry.iiiepe.net/web/website"
    assert build.splitlines() == [
        "export BASE_URL=http://iiiepe.edu.mx",
        'export DOCKER_CONFIG="${WORKSPACE_TMP:-$WORKSPACE@tmp}/docker-config"',
        "trap 'docker logout registry.iiiepe.net; docker logout docker.io' EXIT",
        "printf '%s\\n' \"$REGISTRY_PASSWORD\" | docker login --username \"$REGISTRY_USER\" --password-stdin registry.iiiepe.net",
        # its parent is pushed to Docker Hub (hub): pulled with that registry's credentials
        "printf '%s\\n' \"$PULL_PASSWORD_1\" | docker login --username \"$PULL_USER_1\" --password-stdin docker.io",
        "SHORT_COMMIT=$(git rev-parse --short HEAD)",
        "docker pull docker.io/iiiepe/nginx-drupal6:latest",
        "PARENT_DIGEST_1=$(docker image inspect --format "
        "'{{range .RepoDigests}}{{if eq (index (split . \"@\") 0) \"iiiepe/nginx-drupal6\"}}{{index (split . \"@\") 1}}{{end}}{{end}}' "
        "docker.io/iiiepe/nginx-drupal6:latest)",
        "test -n \"$PARENT_DIGEST_1\" || { echo 'cannot read the digest of docker.io/iiiepe/nginx-drupal6:latest after pulling it' >&2; exit 1; }",
        "docker build -f Dockerfile --label org.opencontainers.image.base.name=docker.io/iiiepe/nginx-drupal6:latest "
        "--label \"org.opencontainers.image.base.digest=${PARENT_DIGEST_1}\" "
        "--label \"org.jenkins-docker.parents=docker.io/iiiepe/nginx-drupal6:latest@${PARENT_DIGEST_1}\" "
        f"--build-arg DRUPAL_ENVIRONMENT=production -t {image}:$BUILD_NUMBER "
        f"-t {image}:$SHORT_COMMIT -t {image}:latest .",
        f"docker push {image}:$BUILD_NUMBER",
        f"docker push {image}:$SHORT_COMMIT",
        f"docker push {image}:latest",
    ]
    drupal7 = commands(iiiepe_jobs["docker/iiiepe-nginx-drupal7"])[1]
    build_line = next(line for line in drupal7.splitlines() if line.startswith("docker build "))
    assert build_line.startswith("docker build -f nginx-drupal7/Dockerfile --label") and build_line.endswith(" nginx-drupal7")


def test_an_app_build_starts_its_deploy_job_with_the_build_number(iiiepe_jobs):
    config = iiiepe_jobs["docker/website"].find(
        "publishers/hudson.plugins.parameterizedtrigger.BuildTrigger/configs/hudson.plugins.parameterizedtrigger.BuildTriggerConfig")
    assert text(config, "projects") == "/docker/website-deploy"
    assert text(config, "condition") == "SUCCESS"
    assert text(config, "triggerWithNoParameters") == "false"
    properties = text(config, "configs/hudson.plugins.parameterizedtrigger.PredefinedBuildParameters/properties")
    assert properties == "IMAGE_TAG=$BUILD_NUMBER\nDEPLOY_COMMIT=$GIT_COMMIT"
    assert iiiepe_jobs["docker/notifier"].find("publishers/hudson.plugins.parameterizedtrigger.BuildTrigger") is None


def test_a_deploy_job_runs_the_deploy_command_with_image_and_a_tag_parameter(iiiepe_jobs):
    root = iiiepe_jobs["docker/website-deploy"]
    assert root.tag == "project"
    parameter = root.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/hudson.model.StringParameterDefinition")
    assert (text(parameter, "name"), text(parameter, "defaultValue")) == ("IMAGE_TAG", "latest")
    assert commands(root) == ["export BASE_URL=http://iiiepe.edu.mx\nexport IMAGE=registry.iiiepe.net/web/website\n"
                              "maestro -f maestro.yml restart website\n"]
    assert text(root, "scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url") == "git@gitlab.iiiepe.net:web/website.git"
    assert root.find("triggers/*") is None


def test_the_seed_job_validates_and_syncs_the_inventory_repository(iiiepe_jobs):
    root = iiiepe_jobs["docker/jenkins-docker-seed"]
    assert text(root, "scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url") == "git@gitlab.iiiepe.net:ops/docker-inventory.git"
    assert text(root, "triggers/com.dabsquared.gitlabjenkins.GitLabPushTrigger/triggerOnPush") == "true"
    binding = root.find("buildWrappers/*/bindings/org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding")
    assert [text(binding, f) for f in ("credentialsId", "usernameVariable", "passwordVariable")] == [
        "jenkins-docker-api", "JENKINS_USER", "JENKINS_API_TOKEN"]
    assert commands(root) == [
        "python3 -m venv .venv && .venv/bin/pip install 'jenkins-docker @ git+https://gitlab.iiiepe.net/ops/jenkins-docker.git@v0.1.0'"
        " && .venv/bin/jenkins-docker validate inventory.yml"
        " && .venv/bin/jenkins-docker sync inventory.yml --jenkins \"${JENKINS_URL:?set jenkins.seed_job.jenkins_url in the inventory,"
        " or the Jenkins URL in Manage Jenkins > System}\" --prune\n"]


# -- pipeline jobs ---------------------------------------------------------------------------
def test_a_pipeline_job_has_no_concurrent_builds_a_cascade_parameter_and_sandboxed_script(iiiepe_pipelines):
    root = iiiepe_pipelines["docker/iiiepe-nginx"]
    assert root.tag == "flow-definition"
    assert root.find("definition").get("class") == "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
    assert text(root, "definition/sandbox") == "true"
    assert text(root, "properties/org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty/abortPrevious") == "false"
    parameter = root.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/hudson.model.BooleanParameterDefinition")
    assert (text(parameter, "name"), text(parameter, "defaultValue")) == ("CASCADE", "true")
    triggers = root.find("properties/org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty/triggers")
    assert text(triggers, "hudson.triggers.TimerTrigger/spec") == "H H * * 0"
    assert text(triggers, "com.dabsquared.gitlabjenkins.GitLabPushTrigger/includeBranchesSpec") == "master"
    for absent in ("scm", "assignedNode", "canRoam", "blockBuildWhenUpstreamBuilding", "builders"):
        assert root.find(absent) is None


def test_a_pipeline_cascades_its_dependents_in_waves_without_further_cascading(iiiepe, iiiepe_pipelines):
    root = iiiepe_pipelines["docker/iiiepe-nginx-php"]
    body = script(root)
    waves = root.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/hudson.model.TextParameterDefinition")
    assert text(waves, "name") == "WAVES"
    assert text(waves, "defaultValue") == "/docker/iiiepe-nginx-drupal6;/docker/iiiepe-nginx-drupal7\n/docker/courses;/docker/intranet;/docker/website"
    assert split_waves(text(waves, "defaultValue")) == [["/" + iiiepe.job(k) for k in wave] for wave in iiiepe.graph.waves(["iiiepe/nginx-php"])[1:]]
    assert body.startswith("def waves = params.WAVES.replace('\\r', '')\n")
    cascade = body[body.index("if (params.CASCADE) {"):]
    assert "for (wave in waves.tokenize('\\n')) {" in cascade and "for (name in wave.tokenize(';')) {" in cascade
    assert "parallel builds" in cascade
    assert "build job: job, parameters: [booleanParam(name: 'CASCADE', value: false)], wait: true, propagate: true" in cascade
    # the cascade runs after the node block, holding no executor while it waits
    assert body.index("if (params.CASCADE)") > body.rindex("\n}\n", 0, body.index("if (params.CASCADE)"))
    assert "def waves" not in script(iiiepe_pipelines["docker/website"])
    assert iiiepe_pipelines["docker/website"].find(".//hudson.model.TextParameterDefinition") is None


def test_a_pipeline_builds_with_bound_credentials_and_starts_its_deploy(iiiepe_pipelines):
    body = script(iiiepe_pipelines["docker/website"])
    assert "node('docker') {" in body
    assert ("checkout([$class: 'GitSCM', branches: [[name: '*/master']], userRemoteConfigs: "
            "[[url: 'git@gitlab.iiiepe.net:web/website.git', credentialsId: 'gitlab-ssh']]])") in body
    assert "withEnv(['BASE_URL=http://iiiepe.edu.mx']) {" in body
    assert ("withCredentials([usernamePassword(credentialsId: 'registry-push', usernameVariable: 'REGISTRY_USER', passwordVariable: 'REGISTRY_PASSWORD'), "
            "usernamePassword(credentialsId: 'dockerhub-iiiepe', usernameVariable: 'PULL_USER_1', passwordVariable: 'PULL_PASSWORD_1')]) {") in body
    assert "sh 'make test'" in body
    assert ("build job: '/docker/website-deploy', parameters: [string(name: 'IMAGE_TAG', value: env.BUILD_NUMBER), "
            "string(name: 'DEPLOY_COMMIT', value: built.GIT_COMMIT)], wait: false") in body
    shell = next(s for s in groovy_strings(body) if s.startswith("export DOCKER_CONFIG="))
    assert "docker push registry.iiiepe.net/web/website:latest" in shell.splitlines()


def test_a_pipeline_deploy_job_runs_the_command_with_image_in_its_environment(iiiepe_pipelines):
    root = iiiepe_pipelines["docker/website-deploy"]
    assert root.tag == "flow-definition"
    assert text(root, "properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/hudson.model.StringParameterDefinition/name") == "IMAGE_TAG"
    body = script(root)
    assert "withEnv(['BASE_URL=http://iiiepe.edu.mx', 'IMAGE=registry.iiiepe.net/web/website']) {" in body
    assert "sh 'maestro -f maestro.yml restart website'" in body


# -- folders and views -----------------------------------------------------------------------
def test_nested_folders_are_one_item_each_and_the_view_lives_in_the_innermost(platform, platform_jobs):
    jobs = render(platform)
    assert [(j.full_name, j.name, j.folder) for j in jobs.jobs if j.kind == "folder"] == [("ops", "ops", None), ("ops/docker", "docker", "ops")]
    assert platform_jobs["ops"].find("folderViews/views/hudson.model.ListView") is None
    holder = platform_jobs["ops/docker"].find("folderViews")
    assert holder.get("class") == "com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder"
    assert [text(v, "name") for v in holder.find("views")] == ["all", "Platform images"]
    assert text(holder, "primaryView") == "all"
    listed = [s.text for s in holder.findall("views/hudson.model.ListView/jobNames/string")]
    assert listed == sorted(j.name for j in jobs.jobs if j.kind != "folder")
    assert text(holder, "views/hudson.model.ListView/recurse") == "false"
    assert [(v.name, v.folder) for v in jobs.views] == [("Platform images", "ops/docker")]
    standalone = parse(jobs.views[0].xml)
    assert standalone.tag == "hudson.model.ListView"
    assert [s.text for s in standalone.findall("jobNames/string")] == listed


def test_without_a_folder_the_view_is_a_top_level_list_view(tmp_path):
    inventory = write_inventory(tmp_path, MINIMAL.replace("jenkins: {}", "jenkins: {view: Builds}"))
    jobs = render(inventory)
    assert all(j.kind != "folder" and j.folder is None for j in jobs.jobs)
    assert [(v.name, v.folder) for v in jobs.views] == [("Builds", None)]
    view = parse(jobs.views[0].xml)
    assert [s.text for s in view.findall("jobNames/string")] == ["acme-base", "app", "app-deploy"]
    assert [c.tag for c in view.find("columns")][:3] == ["hudson.views.StatusColumn", "hudson.views.WeatherColumn", "hudson.views.JobColumn"]


# -- determinism, hostile values, secrets ----------------------------------------------------
def test_rendering_is_byte_identical_across_runs_and_processes(platform, tmp_path):
    first, second = render(platform), render(platform)
    assert [(j.full_name, j.xml) for j in first.jobs] == [(j.full_name, j.xml) for j in second.jobs]
    assert [v.xml for v in first.views] == [v.xml for v in second.views]
    code = ("import hashlib, sys; from jenkins_docker.loading.loader import load; from jenkins_docker.rendering.renderer import render; "
            "js = render(load(sys.argv[1])); print(hashlib.sha256(''.join(j.full_name + j.xml for j in js.jobs).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code, str(EXAMPLES / "platform" / "inventory.yml")], check=True,
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert digests == {hashlib.sha256("".join(j.full_name + j.xml for j in first.jobs).encode()).hexdigest() + "\n"}
    paths = write_tree(first, tmp_path / "a")
    again = write_tree(second, tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in paths] == [p.relative_to(tmp_path / "b") for p in again]
    assert all(p.read_bytes() == q.read_bytes() for p, q in zip(paths, again))
    write_tree(first, tmp_path / "a")
    assert all(p.read_bytes() == j.xml.encode("utf-8") for p, j in zip(paths, first.jobs))


HOSTILE = "a&b<c>]]>'d\"e $(rm -rf /) `id` ünïcødé ☃ \\ $HOME"
MULTI = "line 1\nline '2'"
HOSTILE_TEST = "echo 'it''s' && test \"$(printf '%s' x)\" = x\n# ]]> <!-- & ünï"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Inventory:
    directory = tmp_path_factory.mktemp("hostile")
    multi = yaml_str(MULTI)
    body = f"""\
version: 1
jenkins: {{folder: docker, agent: {yaml_str("docker && !windows")}, gitlab_connection: gitlab}}
registries: {{private: {{host: registry.example.org, credentials: push}}}}
defaults: {{registry: private}}
base_images:
  acme/base: {{git: "git@example.org:base.git", from: debian:bookworm}}
apps:
  app:
    git: {yaml_str("https://example.org/r.git?x=1&y=<2>")}
    from: acme/base
    branch: {yaml_str(HOSTILE)}
    test: {yaml_str(HOSTILE_TEST)}
    deploy: {yaml_str(HOSTILE_TEST)}
    env: {{HOSTILE_ENV: {yaml_str(HOSTILE)}, MULTI: {multi}}}
    build_args: {{HOSTILE_ARG: {yaml_str(HOSTILE)}}}
"""
    (directory / "inventory.yml").write_text(body, encoding="utf-8")
    return load(directory / "inventory.yml")


def yaml_str(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_hostile_values_survive_xml_exactly_and_reach_the_shell_quoted(hostile):
    root = parse(render(hostile).by_name()["docker/app"].xml)
    assert text(root, "scm/branches/hudson.plugins.git.BranchSpec/name") == "*/" + HOSTILE
    assert text(root, "triggers/com.dabsquared.gitlabjenkins.GitLabPushTrigger/includeBranchesSpec") == HOSTILE
    assert text(root, "scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url") == "https://example.org/r.git?x=1&y=<2>"
    assert text(root, "assignedNode") == "docker && !windows"
    test, build = commands(root)
    assert test.endswith("\n" + HOSTILE_TEST + "\n")
    words = shlex.split(build)
    assert words[words.index("--build-arg") + 1] == "HOSTILE_ARG=" + HOSTILE
    assert "HOSTILE_ENV=" + HOSTILE in words and "MULTI=" + MULTI in words
    assert words[words.index("export") + 1] == "HOSTILE_ENV=" + HOSTILE
    assert HOSTILE in (root.findtext("description") or "")
    deploy = commands(parse(render(hostile).by_name()["docker/app-deploy"].xml))[0]
    assert deploy.endswith("\n" + HOSTILE_TEST + "\n")
    assert "HOSTILE_ENV=" + HOSTILE in shlex.split(deploy.removesuffix(HOSTILE_TEST + "\n"))


def test_hostile_values_survive_groovy_exactly(hostile):
    jobs = render(with_job_type(hostile, "pipeline")).by_name()
    body = script(parse(jobs["docker/app"].xml))
    strings = groovy_strings(body)
    assert HOSTILE_TEST in strings and "*/" + HOSTILE in strings and "docker && !windows" in strings
    assert "HOSTILE_ENV=" + HOSTILE in strings and "MULTI=" + MULTI in strings
    shell = next(s for s in strings if s.startswith("export DOCKER_CONFIG="))
    words = shlex.split(shell)
    assert words[words.index("--build-arg") + 1] == "HOSTILE_ARG=" + HOSTILE
    assert HOSTILE_TEST in groovy_strings(script(parse(jobs["docker/app-deploy"].xml)))


def test_groovy_literals_decode_back_to_the_text(hostile):
    from jenkins_docker.rendering.renderer import groovy_string

    for value in [HOSTILE, HOSTILE_TEST, "'", "''", "'''", "a'''\n'", "\\\n\\", "x\n", "\ttab\n'", ""]:
        assert groovy_literal(groovy_string(value), 0) == (value, len(groovy_string(value)))


def test_no_secret_reaches_the_xml_only_credentials_ids(iiiepe, platform):
    for inventory in (iiiepe, platform, with_job_type(iiiepe, "pipeline")):
        ids = {r.credentials for r in inventory.registries.values()} | {inventory.jenkins.git_credentials}
        if inventory.jenkins.seed_job:
            ids.add(inventory.jenkins.seed_job.credentials)
        allowed_tags = {"passwordVariable", "org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper",
                        "org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding"}
        for job in render(inventory).jobs:
            root = parse(job.xml)
            for element in root.iter():
                if any(word in element.tag.lower() for word in ("password", "secret", "token")):
                    assert element.tag in allowed_tags, (job.full_name, element.tag)
                if element.tag == "passwordVariable":
                    assert element.text in ("REGISTRY_PASSWORD", "PULL_PASSWORD_1", "JENKINS_API_TOKEN")
                if element.tag == "credentialsId":
                    assert element.text in ids
            for match in re.finditer(r"credentialsId: ('[^']*')", script(root)):
                assert groovy_literal(match.group(1), 0)[0] in ids


# -- what Jenkins keeps ------------------------------------------------------------------------
@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_every_rendered_field_survives_jenkins_loading_and_saving_the_job(iiiepe, platform, hostile, tmp_path, job_type):
    """Posted to the fake Jenkins (which loads configs into models of the real classes and writes
    them back as XStream does), every job reads back as the same configuration: no field we
    render vanishes or changes, so a second sync has nothing to do."""
    minimal = write_inventory(tmp_path, MINIMAL.replace("jenkins: {}", "jenkins: {view: V}"))
    plugins = {**DEFAULT_PLUGINS, "parameterized-trigger": "806.vf6fff3e28c3e"}
    for inventory in (iiiepe, platform, hostile, minimal):
        fake = FakeJenkins(plugins=plugins)
        for job in render(with_job_type(inventory, job_type)).jobs:
            (fake.put_folder if job.kind == "folder" else fake.put_job)(job.full_name, job.xml)
            live = fake.get_config(job.full_name)
            assert xmlcompare.same(live, job.xml), xmlcompare.diff(live, job.xml, job.full_name)


# -- templates -------------------------------------------------------------------------------
def test_the_bundled_templates_are_found(tmp_path):
    directory = bundled_templates()
    assert all((directory / name).is_file() for name in TEMPLATES)


def test_a_users_template_replaces_the_bundled_one_and_may_use_its_macros(iiiepe, tmp_path):
    (tmp_path / "freestyle.xml.j2").write_text(
        '{% import "_macros.xml.j2" as m %}<project><description>{{ description }}</description>'
        "<custom>{{ full_name }}</custom>\n{{ m.timer_trigger(timer or 'never') }}\n</project>\n", encoding="utf-8")
    jobs = render(iiiepe, templates=tmp_path).by_name()
    root = parse(jobs["docker/iiiepe-nginx"].xml)
    assert text(root, "custom") == "docker/iiiepe-nginx"
    assert text(root, "hudson.triggers.TimerTrigger/spec") == "H H * * 0"
    assert parse(jobs["docker/website-deploy"].xml).find("scm") is not None  # still the bundled deploy template
    via_inventory = dataclasses.replace(iiiepe, templates=tmp_path)
    assert render(via_inventory).by_name()["docker/iiiepe-nginx"].xml == jobs["docker/iiiepe-nginx"].xml


def test_a_template_using_an_unknown_variable_fails_loudly(iiiepe, tmp_path):
    (tmp_path / "freestyle.xml.j2").write_text("<project>{{ no_such_variable }}</project>\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="no_such_variable"):
        render(iiiepe, templates=tmp_path)
    (tmp_path / "freestyle.xml.j2").write_text("<project>{% if %}</project>\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"freestyle\.xml\.j2:1: "):   # the syntax error, at its line
        render(iiiepe, templates=tmp_path)


def test_a_template_edited_between_two_renders_of_one_process_is_read_again(iiiepe, tmp_path):
    # A script may render, change a template and render again: the second render uses the change.
    (tmp_path / "freestyle.xml.j2").write_text(
        (bundled_templates() / "freestyle.xml.j2").read_text(encoding="utf-8").replace("<actions/>", "<actions/><!-- one -->", 1),
        encoding="utf-8")
    assert "<!-- one -->" in render(iiiepe, templates=tmp_path).by_name()["docker/iiiepe-nginx"].xml
    template = tmp_path / "freestyle.xml.j2"
    template.write_text(template.read_text(encoding="utf-8").replace("<!-- one -->", "<!-- two -->"), encoding="utf-8")
    os.utime(template, ns=(template.stat().st_atime_ns, template.stat().st_mtime_ns + 1_000_000_000))  # a later save
    assert "<!-- two -->" in render(iiiepe, templates=tmp_path).by_name()["docker/iiiepe-nginx"].xml


# -- write_tree --------------------------------------------------------------------------------
def test_write_tree_nests_folders_as_jenkins_home_does(platform, tmp_path):
    jobs = render(platform)
    paths = write_tree(jobs, tmp_path)
    relative = {p.relative_to(tmp_path).as_posix() for p in paths}
    assert "jobs/ops/config.xml" in relative and "jobs/ops/jobs/docker/config.xml" in relative
    assert "jobs/ops/jobs/docker/jobs/acme-runtime/config.xml" in relative
    assert relative == {"/".join(f"jobs/{part}" for part in j.full_name.split("/")) + "/config.xml" for j in jobs.jobs}
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["config.xml"] * len(jobs.jobs)


def test_write_tree_rewrites_exactly_the_files_whose_bytes_differ(iiiepe, tmp_path):
    jobs = render(iiiepe)
    assert len(write_tree(jobs, tmp_path)) == len(jobs.jobs)
    assert write_tree(jobs, tmp_path) == []                    # nothing changed: nothing written
    api = tmp_path / "jobs/docker/jobs/api/config.xml"
    nginx = tmp_path / "jobs/docker/jobs/iiiepe-nginx/config.xml"
    right = api.read_bytes()
    api.write_bytes(right.replace(b"<project>", b"<projekt>", 1))   # same size, other bytes
    nginx.write_bytes(nginx.read_bytes() + b"\n")                # another size
    assert sorted(write_tree(jobs, tmp_path)) == sorted([api, nginx])
    assert api.read_bytes() == right and nginx.read_bytes() == jobs.by_name()["docker/iiiepe-nginx"].xml.encode()


def test_a_failed_write_leaves_neither_a_half_file_nor_its_temporary_file(tmp_path):
    from jenkins_docker.rendering.files import write_atomically

    config = tmp_path / "jobs" / "a" / "config.xml"
    with pytest.raises(UnicodeEncodeError):
        write_atomically(config, "<project>\ud800</project>")    # cannot be written as UTF-8
    assert list(config.parent.iterdir()) == []
    write_atomically(config, "<project/>")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(config, "<project>\ud800</project>")
    assert config.read_text() == "<project/>" and [p.name for p in config.parent.iterdir()] == ["config.xml"]


def test_a_file_where_an_item_s_directory_goes_is_an_error_not_overwritten(tmp_path):
    from jenkins_docker.rendering.files import write_atomically

    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "a").write_text("not a directory")
    with pytest.raises(FileExistsError):
        write_atomically(tmp_path / "jobs" / "a" / "config.xml", "<project/>")
    assert (tmp_path / "jobs" / "a").read_text() == "not a directory"


def test_each_item_names_what_sync_writes_before_it(iiiepe):
    """A job's folder first; a build job's upstream jobs; a deploy job's build job; the seed job its folder."""
    jobs = render(iiiepe).by_name()
    graph = iiiepe.graph
    for item in jobs.values():
        if item.role == "folder":
            assert item.after == ()
        elif item.role == "build":
            assert item.after == ("docker", *(iiiepe.job(u) for u in graph.upstreams(item.image)))
        elif item.role == "deploy":
            assert item.after == ("docker", iiiepe.job(item.image))
        else:
            assert item.role == "seed" and item.after == ("docker",)
    assert jobs["docker/website"].after == ("docker", "docker/iiiepe-nginx-drupal6")
    assert jobs["docker/website-deploy"].after == ("docker", "docker/website")
    assert {item.role for item in jobs.values()} == {"folder", "build", "deploy", "seed"}
    # Build jobs come in the graph's order, deploy jobs after them all, by name (how plan lists them).
    order = [item.name for item in render(iiiepe).jobs if item.role == "deploy"]
    assert order == sorted(order) == ["api-deploy", "courses-deploy", "intranet-deploy", "website-deploy"]


# -- golden files ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["freestyle", "pipeline"])
def test_rendered_files_match_the_golden_files(case, tmp_path):
    inventory = with_job_type(load(GOLDEN / "inventory.yml"), case)
    jobs = render(inventory)
    kinds = {(j.kind, j.role) for j in jobs.jobs}
    assert {("folder", "folder"), (case, "build"), (case, "deploy"), ("freestyle", "seed")} <= kinds and jobs.views
    out = tmp_path / case
    write_tree(jobs, out)
    for view in jobs.views:
        (out / "views").mkdir(exist_ok=True)
        (out / "views" / f"{view.name}.xml").write_bytes(view.xml.encode("utf-8"))
    expected_dir = GOLDEN / case
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(out, expected_dir)
    rendered = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    expected = {p.relative_to(expected_dir).as_posix(): p.read_bytes() for p in expected_dir.rglob("*") if p.is_file()}
    assert sorted(rendered) == sorted(expected)
    for name, content in rendered.items():
        assert content == expected[name], f"{case}/{name} differs from its golden file (UPDATE_GOLDEN=1 regenerates)"


MINIMAL = """\
version: 1
jenkins: {}
registries: {private: {host: registry.example.org, credentials: push}}
defaults: {registry: private}
base_images:
  acme/base: {git: "git@example.org:base.git", from: debian:bookworm}
apps:
  app: {git: "git@example.org:app.git", from: acme/base, deploy: ./deploy.sh}
"""
