"""Every build logs in to each registry it pushes to and pulls from (issue 12, item 3).

A platform spread over two private registries: parents pushed to the other registry, a stage
image there, an external parent written with a listed host, public Docker Hub parents. Each
build job, read back from its rendered XML (freestyle and pipeline), must bind one credentials
id per registry and log in to each; the freestyle build script is then run for real by bash,
with the bindings' variables set as credentials-binding sets them and a recording `docker`.
"""
from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import load
from jenkins_docker.rendering.logins import pull_registries, registry_logins
from jenkins_docker.rendering.renderer import render
from simulator import groovy_strings

BINDING = ("buildWrappers/org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper/bindings/"
           "org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding")

TWO_REGISTRIES = """\
version: 1
jenkins: {{folder: platform, job_type: {job_type}}}
registries:
  alpha: {{host: "registry.alpha.example:5000", credentials: alpha-push}}
  beta:  {{host: registry.beta.example, credentials: beta-push, pull_credentials: beta-pull}}
  hub:   {{host: docker.io, credentials: hub-push}}
defaults: {{registry: alpha}}
base_images:
  team/base:
    git: git@git.example:base.git
    from: debian:bookworm
  team/beta-base:
    git: git@git.example:beta-base.git
    from: team/base
    registry: beta
  team/vendored:
    git: git@git.example:vendored.git
    from: registry.beta.example/vendor/thing:1
  team/hubbed:
    git: git@git.example:hubbed.git
    from: [docker.io/acme/private-base:2, python:3.12]
apps:
  shop:
    git: git@git.example:shop.git
    from: [team/beta-base, golang:1.22, team/base]
    deploy: ./deploy.sh
"""

# What each build must log in to (host -> credentials id), worked out by hand from the inventory.
EXPECTED = {
    "team/base": {"registry.alpha.example:5000": "alpha-push"},                   # public parent: no login
    "team/beta-base": {"registry.beta.example": "beta-push",                      # pushes to beta
                       "registry.alpha.example:5000": "alpha-push"},              # pulls team/base from alpha
    "team/vendored": {"registry.alpha.example:5000": "alpha-push",
                      "registry.beta.example": "beta-pull"},                      # external parent on a listed host
    "team/hubbed": {"registry.alpha.example:5000": "alpha-push",
                    "docker.io": "hub-push"},                                     # docker.io written out: the listed hub
    "shop": {"registry.alpha.example:5000": "alpha-push",
             "registry.beta.example": "beta-pull"},                               # a stage pulled from beta
}
CREDENTIAL_IDS = {"alpha-push", "beta-push", "beta-pull", "hub-push"}


def platform(tmp_path: Path, job_type: str) -> Inventory:
    path = tmp_path / job_type / "inventory.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TWO_REGISTRIES.format(job_type=job_type), encoding="utf-8")
    return load(path)


def freestyle_logins(root: ET.Element) -> tuple[dict[str, tuple[str, str]], str]:
    """credentials id -> (user variable, password variable) bound, and the build script."""
    bound = {b.findtext("credentialsId"): (b.findtext("usernameVariable"), b.findtext("passwordVariable"))
             for b in root.findall(BINDING)}
    script = root.findall("builders/hudson.tasks.Shell/command")[-1].text or ""
    return bound, script


def pipeline_logins(root: ET.Element) -> tuple[dict[str, tuple[str, str]], str]:
    body = root.findtext("definition/script") or ""
    bound = {m[0]: (m[1], m[2]) for m in re.findall(
        r"usernamePassword\(credentialsId: '([^']*)', usernameVariable: '([^']*)', passwordVariable: '([^']*)'\)", body)}
    script = next(s for s in groovy_strings(body) if s.startswith("export DOCKER_CONFIG="))
    return bound, script


def logged_in(script: str) -> dict[str, tuple[str, str]]:
    """host -> (user variable, password variable) of every `docker login` line of the script."""
    out = {}
    for line in script.splitlines():
        if "docker login" in line:
            match = re.fullmatch(r"""printf '%s\\n' "\$(\w+)" \| docker login --username "\$(\w+)" --password-stdin (\S+)""", line)
            assert match, line
            out[shlex.split(match[3])[0]] = (match[2], match[1])
    return out


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_every_build_logs_in_to_each_registry_it_pushes_to_and_pulls_from(tmp_path, job_type):
    inventory = platform(tmp_path, job_type)
    jobs = {job.image: ET.fromstring(job.xml.encode()) for job in render(inventory).jobs if job.role == "build"}
    assert set(jobs) == set(EXPECTED)
    for key, expected in EXPECTED.items():
        bound, script = (freestyle_logins if job_type == "freestyle" else pipeline_logins)(jobs[key])
        logins = logged_in(script)
        assert set(logins) == set(expected), key
        for host, credentials in expected.items():
            assert bound[credentials] == logins[host], (key, host)     # the login reads the variables that id binds
        assert set(bound) == set(expected.values()), key               # nothing else is bound
        assert set(bound) <= CREDENTIAL_IDS                            # only credentials ids reach the XML
        trap = next(line for line in script.splitlines() if line.startswith("trap "))
        assert sorted(re.findall(r"docker logout (\S+?)[;']", trap)) == sorted(expected), key


def test_a_build_that_only_pulls_from_a_registry_uses_its_pull_credentials_and_its_pushes_use_the_push_ones(tmp_path):
    inventory = platform(tmp_path, "freestyle")
    by_host = {login.host: login for login in registry_logins(inventory, inventory.images["team/beta-base"])}
    assert (by_host["registry.beta.example"].credentials, by_host["registry.beta.example"].push) == ("beta-push", True)
    pull = {login.host: login for login in registry_logins(inventory, inventory.images["shop"])}["registry.beta.example"]
    assert (pull.credentials, pull.push, pull.username_variable) == ("beta-pull", False, "PULL_USER_1")


def test_public_parents_written_without_a_host_need_no_login(tmp_path):
    inventory = platform(tmp_path, "freestyle")
    assert pull_registries(inventory, inventory.images["team/base"]) == []
    # python:3.12 is on docker.io like the listed hub registry, but written without a host: public
    assert [r.name for r in pull_registries(inventory, inventory.images["team/hubbed"])] == ["hub"]


FAKE_DOCKER = """#!/bin/sh
# Records each call and what it read on stdin (only `login --password-stdin` reads it).
case "$1" in login) stdin=$(cat) ;; *) stdin= ;; esac
printf '%s|%s|%s\\n' "$DOCKER_CONFIG" "$*" "$stdin" >> "$DOCKER_LOG"
# `image inspect` answers a digest, as the engine does after a pull (the recording step reads it).
case "$1" in image) echo sha256:0123 ;; esac
"""


def test_the_rendered_freestyle_script_logs_in_to_every_registry_with_the_bound_secrets_when_run(tmp_path):
    """Run the build step with bash as Jenkins would: bindings set, in a git checkout."""
    inventory = platform(tmp_path, "freestyle")
    root = ET.fromstring(render(inventory).by_name()["platform/shop"].xml.encode())
    bound, script = freestyle_logins(root)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    git = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "WORKSPACE": str(workspace), "BUILD_NUMBER": "7",
           "DOCKER_LOG": str(tmp_path / "docker.log"), "HOME": str(tmp_path)}
    for credentials, (user, password) in bound.items():
        env[user], env[password] = f"user-of-{credentials}", f"secret of {credentials}"
    subprocess.run(["bash", "-e", "-c", script], cwd=workspace, env=env, check=True)
    calls = [line.split("|") for line in (tmp_path / "docker.log").read_text().splitlines()]
    assert {call[0] for call in calls} == {f"{workspace}@tmp/docker-config"}       # one DOCKER_CONFIG per build
    logins = {args.split()[-1]: (args.split()[2], stdin) for _, args, stdin in calls if args.startswith("login")}
    assert logins == {"registry.alpha.example:5000": ("user-of-alpha-push", "secret of alpha-push"),
                      "registry.beta.example": ("user-of-beta-pull", "secret of beta-pull")}
    order = [args.split()[0] for _, args, _ in calls]
    assert order.index("pull") > max(i for i, verb in enumerate(order) if verb == "login")   # logged in before the pull
    assert sorted(args.split()[-1] for _, args, _ in calls if args.startswith("logout")) == sorted(logins)
