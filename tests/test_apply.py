"""Applying a plan: a failed type change, what the result reports, and progress.

Real HTTP against the fake Jenkins (faults injected where Jenkins would fail) and a JENKINS_HOME
on disk. These behaviours were found untested by mutation testing (``make mutate``).
"""
from __future__ import annotations

import functools
import json
import logging
import tempfile
import threading
from pathlib import Path

import pytest

from helpers import BASE_IMAGES, REGISTRY, CountingJenkins, braced, many_apps, remote, write
from helpers import sync as shared_sync
from jenkins_docker import JenkinsHome, apply, load, make_plan, render
from jenkins_docker.errors import JobError
from jenkins_docker.sync import apply as sync_module
from jenkins_docker.sync.apply import SyncResult
from jenkins_docker.sync.plan import Change, Failure, Plan
from jenkins_docker.testing.fake_jenkins import FakeJenkins

# One job (and its folder): a job type change replaces exactly one job.
ONE_JOB = """\
version: 1
jenkins:
  folder: docker
  job_type: {job_type}
  git_credentials: gitlab-ssh
""" + braced(REGISTRY) + BASE_IMAGES + "{more}"

WEB = """\
  acme/web:
    git: git@gitlab.example.org:docker/web.git
    from: acme/base
"""

BOOM = "java.lang.IllegalStateException: cannot create the job"

#: One worker unless a test asks for more: the writes happen in the plan's order.
sync = functools.partial(shared_sync, workers=1)


def inventory(tmp_path: Path, job_type: str = "freestyle", more: str = "") -> Path:
    return write(tmp_path, ONE_JOB.format(job_type=job_type, more=more))


# -- a type change (freestyle -> pipeline) is delete + create -----------------------------------------

def test_a_type_change_whose_create_fails_puts_the_old_job_back(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(inventory(tmp_path), remote(fake_jenkins))
    old = fake_jenkins.get_config("docker/acme-base")
    fake_jenkins.inject_fault(method="POST", path="createItem", status=500, body=BOOM, times=1)
    plan, result = sync(inventory(tmp_path, "pipeline"), remote(fake_jenkins))
    assert [c.action for c in plan.changes] == ["replace"]
    assert [f.job for f in result.failed] == ["docker/acme-base"]
    assert "old job restored" in result.failed[0].error and "cannot create the job" in result.failed[0].error
    assert result.update == [] and not result.ok
    assert fake_jenkins.get_config("docker/acme-base") == old  # the freestyle job is back, unchanged
    # the next run makes the change
    plan, result = sync(inventory(tmp_path, "pipeline"), remote(fake_jenkins))
    assert plan.to_json()["update"] == ["docker/acme-base"]  # a replace is reported as an update
    assert result.ok and result.update == ["docker/acme-base"]
    assert "<flow-definition" in fake_jenkins.get_config("docker/acme-base")


def test_a_type_change_that_cannot_create_nor_restore_says_so(tmp_path: Path, fake_jenkins: FakeJenkins,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    sync(inventory(tmp_path), remote(fake_jenkins))
    fake_jenkins.inject_fault(method="POST", path="createItem", status=500, body=BOOM, times=20)
    with caplog.at_level(logging.ERROR, logger="jenkins_docker.sync.apply"):
        plan, result = sync(inventory(tmp_path, "pipeline"), remote(fake_jenkins))
    assert [f.job for f in result.failed] == ["docker/acme-base"]
    error = result.failed[0].error
    assert "cannot create the job" in error and "restor" in error and "old job restored" not in error
    assert "docker/acme-base" not in fake_jenkins.job_names()
    assert any("docker/acme-base" in r.getMessage() and "restor" in r.getMessage() for r in caplog.records)


def test_a_type_change_on_a_jenkins_home_replaces_the_job(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sync(inventory(tmp_path), JenkinsHome(home))
    plan, result = sync(inventory(tmp_path, "pipeline"), JenkinsHome(home))
    assert result.ok and result.update == ["docker/acme-base"]
    config = home / "jobs" / "docker" / "jobs" / "acme-base" / "config.xml"
    assert "<flow-definition" in config.read_text(encoding="utf-8")
    assert not [p for p in home.rglob("*") if ".deleting" in p.name]


# -- what the result reports --------------------------------------------------------------------------

def test_the_result_sorts_every_list_and_names_each_failure(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = inventory(tmp_path, more=WEB)
    fake_jenkins.put_folder("docker")
    fake_jenkins.put_job("docker/acme-web", "<project><description>made by hand</description></project>")
    plan, result = sync(path, remote(fake_jenkins), workers=4)
    doc = json.loads(json.dumps(result.to_json()))
    assert doc["create"] == ["docker/acme-base"]
    assert doc["failed"] == [{"job": "docker/acme-web", "error": plan.failed[0].error}]
    assert doc["update"] == doc["delete"] == [] and doc["unchanged"] == [] and doc["views"] == {}
    assert not result.ok


def test_result_lists_are_sorted_whatever_the_order_they_finished_in() -> None:
    result = SyncResult(create=["b", "a"], update=["d", "c"], delete=["f", "e"], unchanged=["h", "g"],
                        failed=[Failure("z", "late"), Failure("y", "early")], replace=["d", "c"], orphans=["j", "i"])
    doc = result.to_json()
    assert doc["replace"] == ["c", "d"] and doc["orphans"] == ["i", "j"]
    assert doc["create"] == ["a", "b"] and doc["update"] == ["c", "d"] and doc["delete"] == ["e", "f"]
    assert doc["unchanged"] == ["g", "h"] and [f["job"] for f in doc["failed"]] == ["y", "z"]
    assert not result.ok and SyncResult().ok


def test_a_delete_is_reported_as_a_delete_and_progress_counts_every_write(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(inventory(tmp_path, more=WEB), remote(fake_jenkins))
    steps: list[int] = []
    plan, result = sync(inventory(tmp_path), remote(fake_jenkins), prune=True, progress=steps.append)
    # acme-base loses its downstream job (an update), acme-web goes (a delete)
    assert result.delete == ["docker/acme-web"] and result.update == ["docker/acme-base"] and result.create == []
    assert steps == [1, 1] and "docker/acme-web" not in fake_jenkins.job_names()


def test_progress_counts_each_write_once(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    steps: list[int] = []
    plan, result = sync(inventory(tmp_path, more=WEB), remote(fake_jenkins), workers=2, progress=steps.append)
    assert len(result.create) == 3 and steps == [1, 1, 1]


def test_a_view_write_that_fails_is_reported_with_the_view_name(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = inventory(tmp_path, more=WEB)
    path.write_text(path.read_text().replace("  folder: docker\n", "  view: Docker images\n"), encoding="utf-8")
    fake_jenkins.inject_fault(method="POST", path="createView", status=500, body="java.io.IOException: no view", times=1)
    plan, result = sync(path, remote(fake_jenkins))
    assert [f.job for f in result.failed] == ["view Docker images"] and "no view" in result.failed[0].error
    assert sorted(result.create) == ["acme-base", "acme-web"] and result.views == {}
    plan, result = sync(path, remote(fake_jenkins))
    assert result.ok and result.views == {"create": ["Docker images"]}
    assert "Docker images" in fake_jenkins.views()


def test_a_changed_view_is_updated_in_place(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = inventory(tmp_path)
    path.write_text(path.read_text().replace("  folder: docker\n", "  view: Docker images\n"), encoding="utf-8")
    sync(path, remote(fake_jenkins))
    path.write_text(path.read_text() + WEB, encoding="utf-8")
    plan, result = sync(path, remote(fake_jenkins))
    assert result.ok and result.views == {"update": ["Docker images"]} and result.create == ["acme-web"]
    assert "acme-web" in fake_jenkins.views()["Docker images"]
    assert fake_jenkins.count(method="POST", path="createView") == 1


def test_a_plan_applied_twice_writes_the_same_configs(tmp_path: Path) -> None:
    """apply writes exactly the configs of the plan: create, update and delete, nothing else."""
    home = tmp_path / "home"
    target = JenkinsHome(home)
    target.create("a", "<project><description>a</description></project>")
    target.create("b", "<project><description>b</description></project>")
    plan = Plan(target.label, changes=[
        Change("update", "a", "job", "<project><description>new a</description></project>", "<project/>"),
        Change("create", "c", "job", "<project><description>c</description></project>", None),
        Change("delete", "b", "job", None, None),
    ])
    result = apply(plan, target, workers=1)
    assert result.ok and result.update == ["a"] and result.create == ["c"] and result.delete == ["b"]
    assert "new a" in (home / "jobs" / "a" / "config.xml").read_text() and not (home / "jobs" / "b").exists()
    assert (home / "jobs" / "c" / "config.xml").read_text() == "<project><description>c</description></project>"


def test_a_restore_is_tried_again_until_the_old_job_is_back(tmp_path: Path, fake_jenkins: FakeJenkins,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    sync(inventory(tmp_path), remote(fake_jenkins))
    old = fake_jenkins.get_config("docker/acme-base")
    # the create and the first two restores fail; the third restore (the last one allowed) works
    fake_jenkins.inject_fault(method="POST", path="createItem", status=500, body=BOOM, times=3)
    plan, result = sync(inventory(tmp_path, "pipeline"), remote(fake_jenkins))
    assert [f.job for f in result.failed] == ["docker/acme-base"] and "old job restored" in result.failed[0].error
    assert fake_jenkins.get_config("docker/acme-base") == old
    assert list(sync_module.saved_configs_dir().iterdir()) == []  # nothing left behind once it is back


def test_a_missing_job_s_old_config_is_kept_on_disk_and_named(tmp_path: Path, fake_jenkins: FakeJenkins,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    sync(inventory(tmp_path), remote(fake_jenkins))
    old = fake_jenkins.get_config("docker/acme-base")
    fake_jenkins.inject_fault(method="POST", path="createItem", status=500, body=BOOM, times=4)
    plan, result = sync(inventory(tmp_path, "pipeline"), remote(fake_jenkins))
    saved = list(sync_module.saved_configs_dir().iterdir())
    assert len(saved) == 1 and saved[0].name.startswith("docker_acme-base.") and saved[0].read_text(encoding="utf-8") == old
    assert saved[0].name.endswith(".config.xml")   # Jenkins's own name for it: create the job from it as it is
    error = result.failed[0].error
    assert error.startswith("MISSING: ") and str(saved[0]) in error and "failed 3 times" in error
    assert "docker/acme-base" not in fake_jenkins.job_names()


def test_a_successful_type_change_leaves_no_saved_config(tmp_path: Path, fake_jenkins: FakeJenkins,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    sync(inventory(tmp_path), remote(fake_jenkins))
    plan, result = sync(inventory(tmp_path, "pipeline"), remote(fake_jenkins))
    assert result.ok and result.replace == ["docker/acme-base"] and result.to_json()["replace"] == ["docker/acme-base"]
    assert list(sync_module.saved_configs_dir().iterdir()) == []


def test_a_sync_stopped_before_it_starts_writes_nothing_and_fails_nothing(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(inventory(tmp_path, more=WEB), remote(fake_jenkins))
    loaded = load(inventory(tmp_path))  # acme-web leaves, acme-base changes
    plan = make_plan(render(loaded), remote(fake_jenkins), folder="docker", prune=True)
    assert plan.names("update") == ["docker/acme-base"] and plan.names("delete") == ["docker/acme-web"]
    fake_jenkins.reset_requests()
    stop = threading.Event()
    stop.set()
    result = apply(plan, remote(fake_jenkins), workers=1, stop=stop)
    assert fake_jenkins.count(method="POST") == 0
    assert result.update == result.delete == result.create == [] and result.failed == []
    assert "docker/acme-web" in fake_jenkins.job_names()


def test_apply_with_zero_workers_writes_with_one(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    plan, result = sync(inventory(tmp_path, more=WEB), remote(fake_jenkins), workers=0)
    assert result.ok and sorted(result.create) == ["docker", "docker/acme-base", "docker/acme-web"]
    assert {"docker/acme-base", "docker/acme-web"} <= set(fake_jenkins.job_names())


class CleanedHome(JenkinsHome):
    """A JENKINS_HOME where a temporary-file cleaner empties the saved configs while a job is created."""

    def __init__(self, home: Path, failures: int = 0) -> None:
        super().__init__(home)
        self.failures = failures

    def create(self, full_name: str, xml: str) -> None:
        for saved in sync_module.saved_configs_dir().glob("*"):
            saved.unlink()
        if self.failures:
            self.failures -= 1
            raise JobError(full_name, "refused")
        super().create(full_name, xml)


@pytest.mark.parametrize("failures, reported", [(0, None), (1, "could not change the job type, old job restored: refused")])
def test_a_type_change_whose_saved_config_was_cleaned_away_still_finishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        failures: int, reported: str | None) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    sync(inventory(tmp_path), JenkinsHome(tmp_path / "home"))
    plan, result = sync(inventory(tmp_path, "pipeline"), CleanedHome(tmp_path / "home", failures))
    assert [f.error for f in result.failed] == ([reported] if reported else [])
    config = (tmp_path / "home" / "jobs" / "docker" / "jobs" / "acme-base" / "config.xml").read_text(encoding="utf-8")
    assert ("<flow-definition" in config) == (reported is None)   # the new job, or the old one put back


# -- --workers: requests really run concurrently ---------------------------------------------------

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


class FailingOutOfOrder(JenkinsHome):
    """Both creates fail; the second job of the plan fails first, the first only once that failure is recorded."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.recorded = threading.Event()

    def create(self, full_name: str, xml: str) -> None:
        if full_name == "first":
            self.recorded.wait(timeout=60)   # set by apply's progress callback: "second" is recorded
        raise JobError(full_name, "refused")


def test_failures_are_listed_in_plan_order_whatever_order_the_writes_finished_in(tmp_path: Path) -> None:
    xml = "<project/>"
    plan = Plan("t", changes=[Change("create", "first", "job", xml, None), Change("create", "second", "job", xml, None)],
                failed=[Failure("planned", "could not be read")])
    target = FailingOutOfOrder(str(tmp_path / "home"))
    result = apply(plan, target, workers=2, progress=lambda _: target.recorded.set())
    assert [f.job for f in result.failed] == ["planned", "first", "second"]
