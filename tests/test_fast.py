"""``plan --fast`` / ``sync --fast``: the digest in the ownership line stands in for reading a config.

The listing request already returns every description, so an item of ours whose ownership line
carries the digest of the config rendered now needs no read. What changed is still read and
written; what was edited in the Jenkins UI is not seen (the documented trade).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import inventory_file, plan_for, remote, sync, write
from jenkins_docker import JenkinsHome, ownership
from jenkins_docker.testing.fake_jenkins import FakeJenkins

CONFIG_READS = r"/config\.xml$"


def write_inventory(tmp_path: Path, *, job_type: str = "freestyle", base_test: str = "make test") -> Path:
    """The small inventory (portal with a deploy, shop), acme/base with a test command of its own."""
    text = inventory_file(tmp_path, job_type=job_type).read_text(encoding="utf-8")
    return write(tmp_path, text.replace("    from: debian:bookworm\n", f"    from: debian:bookworm\n    test: {base_test}\n", 1))


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_a_fast_no_op_plan_reads_no_config(jenkins: FakeJenkins, tmp_path: Path, job_type: str) -> None:
    path = write_inventory(tmp_path, job_type=job_type)
    target = remote(jenkins)
    first, _ = sync(path, target)
    jenkins.reset_requests()
    plan = plan_for(path, target, fast=True)
    assert not plan.changes and not plan.failed
    assert sorted(plan.unchanged) == sorted(c.name for c in first.changes if c.what != "view")
    assert jenkins.count(path=CONFIG_READS) == 0
    assert jenkins.count(path=r"^/api/json$") == 1   # the listing, one request for the folder depth


def test_without_fast_every_config_is_read(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    target = remote(jenkins)
    first, _ = sync(path, target)
    jenkins.reset_requests()
    plan = plan_for(path, target, fast=False)
    assert not plan.changes
    assert jenkins.count(method="GET", path=CONFIG_READS) == len(plan.unchanged) == len(first.changes)


def test_fast_reads_and_writes_only_the_jobs_whose_rendered_config_changed(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    target = remote(jenkins)
    sync(path, target)
    changed = write_inventory(tmp_path, base_test="make check")   # only acme/base's job changes
    jenkins.reset_requests()
    plan, result = sync(changed, target, fast=True)
    assert result.ok and result.update == ["docker/acme-base"]
    assert jenkins.count(method="GET", path=CONFIG_READS) == 1
    assert jenkins.count(method="GET", path=r"/job/acme-base/config\.xml$") == 1
    assert jenkins.count(method="POST") == 1
    assert "make check" in jenkins.get_config("docker/acme-base")
    # The stored digest now matches again: a full plan agrees that nothing differs.
    assert not plan_for(changed, target, fast=False).changes


def test_fast_does_not_see_an_edit_made_in_the_ui_but_a_full_plan_does(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    target = remote(jenkins)
    sync(path, target)
    live = jenkins.get_config("docker/shop")
    jenkins.put_job("docker/shop", live.replace("<concurrentBuild>false</concurrentBuild>", "<concurrentBuild>true</concurrentBuild>"))
    assert "<concurrentBuild>true</concurrentBuild>" in jenkins.get_config("docker/shop")
    assert not plan_for(path, target, fast=True).changes            # the trade --fast makes
    assert [c.name for c in plan_for(path, target, fast=False).changes] == ["docker/shop"]


def test_an_edited_description_is_read_even_with_fast(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    target = remote(jenkins)
    sync(path, target)
    live = jenkins.get_config("docker/shop")
    digest = ownership.digest_of(ownership.description_of(live))
    assert digest
    jenkins.put_job("docker/shop", live.replace(f"digest={digest}", "digest=0"))
    jenkins.reset_requests()
    plan = plan_for(path, target, fast=True)
    assert [c.name for c in plan.changes] == ["docker/shop"]
    assert jenkins.count(method="GET", path=CONFIG_READS) == 1


def test_fast_on_a_jenkins_home(tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    home = JenkinsHome(tmp_path / "home")
    sync(path, home)
    config = tmp_path / "home" / "jobs" / "docker" / "jobs" / "shop" / "config.xml"
    config.write_text(config.read_text(encoding="utf-8").replace("<concurrentBuild>false", "<concurrentBuild>true"), encoding="utf-8")
    assert not plan_for(path, home, fast=True).changes
    assert [c.name for c in plan_for(path, home, fast=False).changes] == ["docker/shop"]


def test_the_digest_names_the_rendered_config_and_leaves_secrets_out() -> None:
    xml = ("<project><description>Builds.\n" + ownership.ownership_line("docker") + "</description>"
           "<secretToken>{0}</secretToken></project>")
    stamped_a, digest_a = ownership.stamp(xml.format("token-one"), "docker")
    stamped_b, digest_b = ownership.stamp(xml.format("token-two"), "docker")
    assert digest_a == digest_b and len(digest_a) == 32
    assert ownership.digest_of(ownership.description_of(stamped_a)) == digest_a
    assert ownership.classify(ownership.description_of(stamped_a), "docker").status == "ours"
    _, other = ownership.stamp(xml.format("t").replace("Builds.", "Builds!"), "docker")
    assert other != digest_a
    assert "token-one" not in digest_a


def test_a_digest_on_another_owners_line_is_not_trusted() -> None:
    policy = ownership.policy("team-a", "team-a")
    _, digest = ownership.stamp("<project><description>" + ownership.ownership_line("team-b") + "</description></project>", "team-b")
    foreign = ownership.ownership_line("team-b", digest=digest)
    assert not policy.unchanged_by_digest(foreign, digest)
    assert policy.unchanged_by_digest(ownership.ownership_line("team-a", digest=digest), digest)
    assert not policy.unchanged_by_digest(ownership.ownership_line("team-a"), "")


def test_cli_sync_fast_json(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    env = {**os.environ, "JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"}
    cmd = [sys.executable, "-m", "jenkins_docker", "sync", str(path), "--jenkins", jenkins.url, "--format", "json"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    jenkins.reset_requests()
    again = subprocess.run(cmd + ["--fast"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["unchanged"] == sorted(json.loads(first.stdout)["create"])
    assert jenkins.count(method="GET", path=CONFIG_READS) == 0 and jenkins.count(method="POST") == 0


def test_a_fast_no_op_sync_is_the_listing_request_alone(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write_inventory(tmp_path)
    target = remote(jenkins)
    sync(path, target)
    jenkins.reset_requests()
    plan, result = sync(path, target, fast=True)
    assert not plan.changes and result.ok
    # No config read, no plugin list: the last sync that wrote these configs checked the plugins.
    assert [(r.method, r.path) for r in jenkins.requests] == [("GET", "/api/json")]
    jenkins.reset_requests()
    sync(path, target)                                             # without --fast the check stays
    assert jenkins.count(path=r"^/pluginManager/api/json$") == 1


def test_a_fast_sync_that_writes_checks_the_plugins_before_the_first_write(tmp_path: Path) -> None:
    plugins = {k: v for k, v in FakeJenkins().plugins.items() if k != "parameterized-trigger"}
    with FakeJenkins(tokens={"admin": "admin-token"}, plugins=plugins) as fake:
        with pytest.raises(Exception, match="parameterized-trigger >= .*installed: none"):
            sync(write_inventory(tmp_path), remote(fake), fast=True)
        assert fake.count(path=r"^/pluginManager/api/json$") == 1
        assert fake.count(method="POST") == 0 and fake.job_names() == []
