"""Requests that must not happen twice (a build, a view's creation) are not sent again blindly.

When the answer to such a request is lost, the request may or may not have taken effect; the
target looks at Jenkins (the queue, the view list) before deciding. The fake Jenkins loses
replies on demand: ``drop=True`` closes the connection before handling the request,
``drop_reply=True`` after (the request took effect).
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from helpers import cli, env_for, write
from helpers import remote as shared_remote
from jenkins_docker.errors import JobError
from jenkins_docker.sync.targets.remote import Credentials, RemoteJenkins
from jenkins_docker.testing.fake_jenkins import FakeJenkins

FREESTYLE = "<project><description>made here</description></project>"
VIEW = "<hudson.model.ListView><name>Docker</name></hudson.model.ListView>"
#: A client that retries without waiting.
remote = functools.partial(shared_remote, sleep=lambda _: None)
INVENTORY = """\
version: 1
registries: {r: {host: registry.example.org, credentials: push}}
defaults: {registry: r}
base_images:
  acme/base: {git: "git@gitlab.example.org:docker/base.git", from: debian}
"""


def test_a_build_whose_reply_was_lost_is_found_in_the_queue_not_queued_again(jenkins: FakeJenkins) -> None:
    jenkins.put_job("acme-base", FREESTYLE)
    jenkins.inject_fault(method="POST", path=r"/build$", drop_reply=True)
    where = remote(jenkins).build("acme-base")
    assert jenkins.queue() == ["acme-base"]
    assert jenkins.count(method="POST", path=r"/build$") == 1  # sent once, never again
    assert where is not None and where.endswith("/queue/item/1/")


def test_a_build_lost_before_it_arrived_is_reported_not_guessed(jenkins: FakeJenkins) -> None:
    jenkins.put_job("acme-base", FREESTYLE)
    jenkins.inject_fault(method="POST", path=r"/build$", drop=True)
    with pytest.raises(JobError, match="the answer to the build request was lost .* the queue does not hold the build"):
        remote(jenkins).build("acme-base")
    assert jenkins.count(method="POST", path=r"/build$") == 1
    assert jenkins.queue() == []


def test_a_build_that_cannot_connect_is_retried(tmp_path: Path) -> None:
    with FakeJenkins(tokens={"admin": "admin-token"}) as fake:
        url = fake.url
    target = RemoteJenkins(url, Credentials("admin", "admin-token"), retries=2, backoff=0.01, sleep=lambda _: None)
    with pytest.raises(JobError, match="cannot reach Jenkins .*after 3 attempts"):
        target.build("acme-base")  # nothing was sent: trying again is safe


def test_rebuild_from_the_cli_after_a_lost_reply_queues_one_build(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = write(tmp_path, INVENTORY)
    env = env_for(jenkins)
    assert cli("sync", str(path), env=env).returncode == 0
    jenkins.inject_fault(method="POST", path=r"/build$", drop_reply=True)
    done = cli("rebuild", str(path), "acme/base", env=env)
    assert done.returncode == 0, done.stderr
    assert "queued acme-base" in done.stdout
    assert jenkins.count(method="POST", path=r"/build$") == 1 and jenkins.queue() == ["acme-base"]


def test_a_view_created_but_whose_reply_was_lost_is_written_not_created_again(jenkins: FakeJenkins) -> None:
    jenkins.inject_fault(method="POST", path=r"/createView$", drop_reply=True)
    remote(jenkins).write_view("Docker", VIEW, create=True)  # no "already exists" failure
    assert "Docker" in jenkins.views()
    assert jenkins.count(method="POST", path=r"/createView$") == 1


def test_a_view_whose_create_never_arrived_is_created_after_looking(jenkins: FakeJenkins) -> None:
    jenkins.inject_fault(method="POST", path=r"/createView$", drop=True)
    remote(jenkins).write_view("Docker", VIEW, create=True)
    assert "Docker" in jenkins.views()
    assert jenkins.count(method="POST", path=r"/createView$") == 2
    assert jenkins.count(method="GET", path=r"^/api/json$") == 1  # looked once before sending again
