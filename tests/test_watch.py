"""`jenkins.watch`: a job that runs `rebuild --outdated` on a schedule, with its logins bound by id."""
from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jenkins_docker.errors import InventoryError
from jenkins_docker.loading.loader import load
from jenkins_docker.rendering.renderer import render
from jenkins_docker.sync import xmlcompare
from jenkins_docker.testing.fake_jenkins import FakeJenkins

BASE = """\
version: 1
jenkins:
  folder: docker
{jenkins}
registries:
  hub: {{host: docker.io, credentials: hub-push}}
  private-eu: {{host: registry.example.org, credentials: registry-push}}
defaults: {{registry: private-eu}}
base_images:
  acme/base: {{git: g, from: "debian:bookworm"}}
"""
BINDING = "buildWrappers/org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper/bindings/"


def write(tmp_path: Path, jenkins: str) -> Path:
    path = tmp_path / "inventory.yml"
    path.write_text(BASE.format(jenkins=jenkins), encoding="utf-8")
    return path


def test_the_watch_job_runs_rebuild_outdated_on_its_schedule_with_every_login_bound_by_id(tmp_path):
    path = write(tmp_path, '  watch: {schedule: "H/30 * * * *", git: "git@gitlab.example.org:ops/inventory.git", '
                           'inventory: "platform/inventory.yml"}')
    jobs = render(load(path)).by_name()
    job = jobs["docker/jenkins-docker-watch"]
    root = ET.fromstring(job.xml.encode())
    assert root.findtext("triggers/hudson.triggers.TimerTrigger/spec") == "H/30 * * * *"
    assert root.findtext("scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url") == "git@gitlab.example.org:ops/inventory.git"
    command = root.findtext("builders/hudson.tasks.Shell/command") or ""
    words = shlex.split(command.split("&&")[-1])
    assert words == [".venv/bin/jenkins-docker", "rebuild", "--outdated", "platform/inventory.yml", "--jenkins",
                     "${JENKINS_URL:?set jenkins.seed_job.jenkins_url in the inventory, or the Jenkins URL in Manage Jenkins > System}"]
    bindings = [(b.findtext("credentialsId"), b.findtext("usernameVariable"), b.findtext("passwordVariable"))
                for b in root.findall(BINDING + "org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding")]
    assert bindings == [("jenkins-docker-api", "JENKINS_USER", "JENKINS_API_TOKEN"),
                        ("hub-push", "REGISTRY_HUB_USER", "REGISTRY_HUB_PASSWORD"),
                        ("registry-push", "REGISTRY_PRIVATE_EU_USER", "REGISTRY_PRIVATE_EU_PASSWORD")]


def test_the_watch_job_takes_the_inventory_repository_from_the_seed_job(tmp_path):
    path = write(tmp_path, '  seed_job: {git: "git@gitlab.example.org:ops/inv.git", branch: main, credentials: api-token}\n'
                           '  watch: {schedule: "H * * * *"}')
    watch = load(path).jenkins.watch
    assert watch is not None
    assert (watch.git, watch.branch, watch.inventory, watch.credentials) == ("git@gitlab.example.org:ops/inv.git", "main", "inventory.yml", "api-token")


def test_a_watch_without_a_repository_is_an_error_at_its_line(tmp_path):
    path = write(tmp_path, '  watch: {schedule: "H * * * *"}')
    with pytest.raises(InventoryError) as caught:
        load(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4:3: `watch` needs `git`, the inventory repository the job checks out (or a `seed_job` to take it from)"]


def test_a_watch_without_a_schedule_is_an_error(tmp_path):
    path = write(tmp_path, '  watch: {git: "git@gitlab.example.org:ops/inv.git"}')
    with pytest.raises(InventoryError) as caught:
        load(path)
    assert any("schedule" in str(p) and ":4:" in str(p) for p in caught.value.problems)


def test_the_watch_job_loads_into_jenkins_unchanged(tmp_path, fake_jenkins: FakeJenkins):
    path = write(tmp_path, '  watch: {schedule: "H/30 * * * *", git: "git@gitlab.example.org:ops/inventory.git"}')
    job = render(load(path)).by_name()["docker/jenkins-docker-watch"]
    fake_jenkins.put_folder("docker")
    fake_jenkins.put_job(job.full_name, job.xml)
    live = fake_jenkins.get_config(job.full_name)
    assert xmlcompare.same(live, job.xml), xmlcompare.diff(live, job.xml, job.full_name)


def test_validate_counts_the_watch_job(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, '  watch: {schedule: "H/30 * * * *", git: "git@gitlab.example.org:ops/inventory.git"}')
    done = subprocess.run([sys.executable, "-m", "jenkins_docker", "validate", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2 jobs" in done.stdout      # the base image's and the watcher


def test_the_watch_job_reads_a_registry_with_its_pull_credentials_when_it_has_them(tmp_path):
    path = write(tmp_path, '  watch: {schedule: "H/30 * * * *", git: "git@gitlab.example.org:ops/inventory.git"}')
    path.write_text(path.read_text().replace("credentials: registry-push}", "credentials: registry-push, pull_credentials: registry-pull}"))
    root = ET.fromstring(render(load(path)).by_name()["docker/jenkins-docker-watch"].xml.encode())
    ids = [b.findtext("credentialsId") for b in root.findall(BINDING + "org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding")]
    assert ids == ["jenkins-docker-api", "hub-push", "registry-pull"]
