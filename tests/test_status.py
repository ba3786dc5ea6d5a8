"""`status`: each image's last build and whether it is behind a parent, from one request to a
fake Jenkins whose builds the tests seed (the fake never runs anything)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from jenkins_docker.freshness.status import image_status
from jenkins_docker.loading.loader import load
from jenkins_docker.rendering.renderer import render
from jenkins_docker.sync.apply import apply
from jenkins_docker.sync.plan import make_plan
from jenkins_docker.sync.targets.remote import Credentials, RemoteJenkins
from jenkins_docker.testing.fake_jenkins import FakeJenkins

INVENTORY = """\
version: 1
jenkins: {folder: docker}
registries:
  private: {host: registry.example.org, credentials: registry-push}
defaults: {registry: private}
base_images:
  acme/base: {git: g, from: "debian:bookworm"}
  acme/web: {git: g, from: acme/base}
  acme/pinned: {git: g, from: "acme/base@sha256:0000000000000000000000000000000000000000000000000000000000000000"}
apps:
  shop: {git: g, from: acme/web}
  blog: {git: g, from: acme/web}
"""

MINUTE = 60_000
T0 = 1_764_000_000_000


def synced(tmp_path: Path, fake: FakeJenkins) -> tuple[Path, RemoteJenkins]:
    path = tmp_path / "inventory.yml"
    path.write_text(INVENTORY, encoding="utf-8")
    target = RemoteJenkins(fake.url, Credentials("admin", "admin-token"))
    apply(make_plan(render(load(path)), target, folder="docker"), target)
    return path, target


def test_the_fake_jenkins_reports_last_and_last_successful_builds_as_jenkins_does(tmp_path, fake_jenkins):
    synced(tmp_path, fake_jenkins)
    fake_jenkins.add_build("docker/acme-base", "SUCCESS", T0)
    fake_jenkins.add_build("docker/acme-base", "UNSTABLE", T0 + MINUTE)
    fake_jenkins.add_build("docker/acme-base", "FAILURE", T0 + 2 * MINUTE)
    fake_jenkins.add_build("docker/acme-base", None, T0 + 3 * MINUTE)   # running
    answer = requests.get(fake_jenkins.url + "job/docker/job/acme-base/api/json",
                          params={"tree": "lastBuild[number,result,building,timestamp],lastSuccessfulBuild[number,result]"},
                          auth=("admin", "admin-token"), timeout=10).json()
    assert answer["lastBuild"] == {"_class": "hudson.model.FreeStyleBuild", "building": True, "number": 4, "result": None,
                                   "timestamp": T0 + 3 * MINUTE}
    # UNSTABLE counts as successful (Job.getLastSuccessfulBuild); a running build does not.
    assert answer["lastSuccessfulBuild"] == {"_class": "hudson.model.FreeStyleBuild", "number": 2, "result": "UNSTABLE"}


def test_status_reads_every_job_in_one_request_and_finds_the_images_behind_a_parent(tmp_path, fake_jenkins):
    path, target = synced(tmp_path, fake_jenkins)
    fake_jenkins.add_build("docker/acme-base", "SUCCESS", T0)
    fake_jenkins.add_build("docker/acme-web", "SUCCESS", T0 + MINUTE)
    fake_jenkins.add_build("docker/shop", "SUCCESS", T0 + 2 * MINUTE)
    fake_jenkins.add_build("docker/blog", "SUCCESS", T0 + 2 * MINUTE)
    fake_jenkins.add_build("docker/acme-pinned", "SUCCESS", T0 - MINUTE)
    # The weekly rebuild: the base builds again, web fails, so shop and blog never ran.
    fake_jenkins.add_build("docker/acme-base", "SUCCESS", T0 + 10 * MINUTE)
    fake_jenkins.add_build("docker/acme-web", "FAILURE", T0 + 11 * MINUTE)
    fake_jenkins.reset_requests()
    statuses = {s.image: s for s in image_status(load(path), target.last_builds(2))}
    assert fake_jenkins.count(method="GET") == 1
    assert statuses["acme/web"].behind == ("acme/base",)
    assert (statuses["acme/web"].last.result, statuses["acme/web"].last_success.number) == ("FAILURE", 1)  # type: ignore[union-attr]
    assert statuses["shop"].behind == () and statuses["blog"].behind == ()   # web's last success is older than theirs
    assert statuses["acme/base"].behind == ()
    assert statuses["acme/pinned"].behind == ()   # pinned by digest: the base's rebuilds do not concern it


def test_an_image_never_built_is_behind_a_parent_that_built(tmp_path, fake_jenkins):
    path, target = synced(tmp_path, fake_jenkins)
    fake_jenkins.add_build("docker/acme-base", "SUCCESS", T0)
    statuses = {s.image: s for s in image_status(load(path), target.last_builds(2))}
    assert statuses["acme/web"].last is None and statuses["acme/web"].behind == ("acme/base",)
    assert statuses["shop"].behind == ()     # its parent never built either


def test_status_command_prints_text_and_json(tmp_path, fake_jenkins):
    path, _ = synced(tmp_path, fake_jenkins)
    fake_jenkins.add_build("docker/acme-base", "SUCCESS", T0 + 10 * MINUTE)
    fake_jenkins.add_build("docker/acme-web", "FAILURE", T0 + 11 * MINUTE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    env.update(JENKINS_URL=fake_jenkins.url, JENKINS_USER="admin", JENKINS_API_TOKEN="admin-token")
    done = subprocess.run([sys.executable, "-m", "jenkins_docker", "status", str(path), "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    images = {entry["image"]: entry for entry in json.loads(done.stdout)["images"]}
    assert images["acme/web"]["last_build"] == {"number": 1, "result": "FAILURE", "when": "2025-11-24T16:11:00Z",
                                                "timestamp": T0 + 11 * MINUTE}
    assert images["acme/web"]["behind"] == ["acme/base"] and images["acme/web"]["last_success"] is None
    text = subprocess.run([sys.executable, "-m", "jenkins_docker", "status", str(path)], capture_output=True, text=True, env=env, timeout=120)
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert lines["acme/web"].endswith("FAILURE #1 2025-11-24T16:11:00Z  behind acme/base")
    assert lines["shop"].endswith("never built")
    assert "5 images, 1 behind a parent." in text.stderr
