"""What the plan decides: the order of its writes, what prune deletes, and what it refuses.

Each test syncs through the real code against the fake Jenkins over HTTP or a JENKINS_HOME on
disk. These behaviours were found untested by mutation testing (``make mutate``, docs/mutation.md).
"""
from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from helpers import BASE_IMAGES, REGISTRY, braced, cli, env_for, home_put, plan_for, remote, sync, write
from helpers import app as shared_app
from jenkins_docker import JenkinsHome, apply, load, make_plan, render
from jenkins_docker.errors import UsageError
from jenkins_docker.ownership import LEGACY_LINE, classify, ownership_line
from jenkins_docker.sync.plan import Change, Plan, scan_depth
from jenkins_docker.testing.fake_jenkins import FakeJenkins

INVENTORY = """\
version: 1
jenkins:
  folder: {folder}
  job_type: freestyle
  git_credentials: gitlab-ssh
""" + braced(REGISTRY) + BASE_IMAGES + """\
  acme/web:
    git: {web_git}
    from: acme/base
apps:
{apps}"""

WEB_GIT = "git@gitlab.example.org:docker/web.git"


def app(name: str, parent: str = "acme/web") -> str:
    """An app of this file's inventories: built FROM acme/web unless told otherwise."""
    return shared_app(name, parent)


def write_inventory(tmp_path: Path, *apps: str, folder: str = "docker", web_git: str = WEB_GIT) -> Path:
    return write(tmp_path, INVENTORY.format(folder=folder, web_git=web_git, apps="".join(apps) or "  {}\n"))


def order(plan: Plan) -> list[tuple[str, str]]:
    return [(c.action, c.name) for c in plan.changes]


# -- the order of the writes ------------------------------------------------------------------------

def test_a_new_job_is_planned_after_its_upstream_that_changes(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(write_inventory(tmp_path, app("portal")), remote(fake_jenkins))
    # acme/web changes (its git URL) and a new app is built FROM it in the same run.
    path = write_inventory(tmp_path, app("portal"), app("blog"), web_git="git@gitlab.example.org:docker/web2.git")
    plan = plan_for(path, remote(fake_jenkins))
    steps = order(plan)
    assert ("update", "docker/acme-web") in steps and ("create", "docker/blog") in steps
    assert steps.index(("update", "docker/acme-web")) < steps.index(("create", "docker/blog"))
    blog = next(c for c in plan.changes if c.name == "docker/blog")
    assert "docker/acme-web" in blog.after


def test_one_worker_finishes_a_sync_that_creates_a_job_below_an_updated_upstream(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    env = env_for(fake_jenkins)
    assert cli("sync", str(write_inventory(tmp_path, app("portal"))), env=env).returncode == 0
    path = write_inventory(tmp_path, app("portal"), app("blog"), web_git="git@gitlab.example.org:docker/web2.git")
    done = cli("sync", str(path), "--workers", "1", "--format", "json", env=env)  # raises TimeoutExpired on a deadlock
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["create"] == ["docker/blog"] and "docker/acme-web" in result["update"]
    assert "git@gitlab.example.org:docker/web2.git" in fake_jenkins.get_config("docker/acme-web")


def test_writes_come_in_rendered_order_then_views_then_deletes(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(write_inventory(tmp_path, app("portal"), app("shop")), remote(fake_jenkins))
    path = write_inventory(tmp_path, app("portal"), app("blog"), web_git="git@gitlab.example.org:docker/web2.git")
    plan = plan_for(path, remote(fake_jenkins), prune=True)
    actions = [c.action for c in plan.changes]
    assert actions[-1] == "delete" and actions.count("delete") == 1
    assert plan.names("delete") == ["docker/shop"]
    rendered = [job.full_name for job in render(load(path)).jobs]
    writes = [c.name for c in plan.changes if c.action != "delete"]
    assert writes == sorted(writes, key=rendered.index)
    assert plan.unchanged == sorted(plan.unchanged) and len(plan.unchanged) >= 2


# -- prune --------------------------------------------------------------------------------------------

def test_prune_deletes_every_job_that_left_the_inventory_not_just_one(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(write_inventory(tmp_path, app("portal"), app("shop"), app("blog")), remote(fake_jenkins))
    path = write_inventory(tmp_path, app("portal"))
    plan, result = sync(path, remote(fake_jenkins), prune=True)
    assert sorted(result.delete) == ["docker/blog", "docker/shop"]
    assert plan.to_json()["delete"] == ["docker/blog", "docker/shop"]
    names = set(fake_jenkins.job_names())
    assert "docker/shop" not in names and "docker/blog" not in names and "docker/portal" in names


def test_prune_on_a_jenkins_home_deletes_every_job_that_left(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sync(write_inventory(tmp_path, app("portal"), app("shop"), app("blog")), JenkinsHome(home))
    plan, result = sync(write_inventory(tmp_path, app("portal")), JenkinsHome(home), prune=True)
    assert sorted(result.delete) == ["docker/blog", "docker/shop"]
    jobs = home / "jobs" / "docker" / "jobs"
    assert sorted(p.name for p in jobs.iterdir()) == ["acme-base", "acme-web", "portal"]


def test_without_prune_nothing_is_deleted(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(write_inventory(tmp_path, app("portal"), app("shop")), remote(fake_jenkins))
    plan, result = sync(write_inventory(tmp_path, app("portal")), remote(fake_jenkins))
    assert plan.names("delete") == [] and result.delete == []
    assert "docker/shop" in fake_jenkins.job_names()


def test_make_plan_neither_prunes_nor_adopts_unless_asked(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(write_inventory(tmp_path, app("portal"), app("shop")), remote(fake_jenkins))
    fake_jenkins.put_job("docker/blog", "<project><description>made by hand</description></project>")
    loaded = load(write_inventory(tmp_path, app("portal"), app("blog")))
    plan = make_plan(render(loaded), remote(fake_jenkins), folder="docker")  # the API's defaults
    assert plan.names("delete") == [] and [f.job for f in plan.failed] == ["docker/blog"]


def test_prune_never_reaches_outside_the_inventory_folder(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    # Another inventory (folder "docker-old") made jobs whose names start with our folder's name.
    other = tmp_path / "other"
    other.mkdir()
    sync(write_inventory(other, app("shop"), folder="docker-old"), remote(fake_jenkins))
    sync(write_inventory(tmp_path, app("portal")), remote(fake_jenkins))
    plan, result = sync(write_inventory(tmp_path), remote(fake_jenkins), prune=True)
    assert result.delete == ["docker/portal"]
    assert "docker-old/shop" in fake_jenkins.job_names()


# -- what the plan refuses ----------------------------------------------------------------------------

def test_a_job_differing_only_in_case_is_a_failure_and_is_not_written(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    config = fake_jenkins.get_config("docker/portal")
    remote(fake_jenkins).delete("docker/portal")
    fake_jenkins.put_job("docker/Portal", config.replace("web/portal.git", "web/old.git"))
    fake_jenkins.reset_requests()
    plan, result = sync(path, remote(fake_jenkins))
    assert [f.job for f in result.failed] == ["docker/portal"]
    assert "differs only in case" in result.failed[0].error and "docker/Portal" in result.failed[0].error
    assert "docker/portal" not in plan.names("create", "update", "replace")
    assert "web/old.git" in fake_jenkins.get_config("docker/Portal")  # left as it was
    assert fake_jenkins.count(method="POST") == 0


def test_a_case_only_collision_on_a_jenkins_home_is_a_failure(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = write_inventory(tmp_path, app("portal"))
    sync(path, JenkinsHome(home))
    jobs = home / "jobs" / "docker" / "jobs"
    (jobs / "portal").rename(jobs / "Portal")
    before = (jobs / "Portal" / "config.xml").read_bytes()
    plan, result = sync(path, JenkinsHome(home))
    assert [f.job for f in result.failed] == ["docker/portal"] and "differs only in case" in result.failed[0].error
    assert not (jobs / "portal").exists() and (jobs / "Portal" / "config.xml").read_bytes() == before


def test_a_config_that_cannot_be_read_fails_that_job_only(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"), app("shop"))
    sync(path, remote(fake_jenkins))
    fake_jenkins.inject_fault(method="GET", path="job/portal/config.xml", status=500,
                              body="java.io.IOException: disk full", times=5)
    fake_jenkins.reset_requests()
    plan, result = sync(path, remote(fake_jenkins))
    assert [f.job for f in plan.failed] == ["docker/portal"]
    assert "disk full" in plan.failed[0].error
    assert not plan.has_changes and "docker/shop" in plan.unchanged and "docker/portal" not in plan.unchanged
    assert [f.job for f in result.failed] == ["docker/portal"] and not result.ok
    assert fake_jenkins.count(method="POST") == 0


def test_a_view_that_is_not_ours_is_a_failure_and_kept(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  view: Docker images\n"), encoding="utf-8")
    sync(path, remote(fake_jenkins))
    hand_made = "<hudson.model.ListView><name>Docker images</name><description>mine</description></hudson.model.ListView>"
    remote(fake_jenkins).write_view("Docker images", hand_made, create=False)  # edited in the UI by someone
    plan, result = sync(path, remote(fake_jenkins))
    assert [f.job for f in result.failed] == ["view Docker images"]
    assert "not managed" in result.failed[0].error or "hand-made" in result.failed[0].error
    assert "mine" in fake_jenkins.views()["Docker images"]


# -- small parts of the plan's output -----------------------------------------------------------------

def test_the_listing_depth_covers_the_folder_and_its_items() -> None:
    assert scan_depth(None) == 1
    assert scan_depth("docker") == 2
    assert scan_depth("ops/docker") == 3


def test_a_delete_diff_names_the_item_and_a_view_diff_says_view() -> None:
    assert Change("delete", "docker/shop", "job", None, None).diff == "delete docker/shop\n"
    view = Change("create", "Docker images", "view", "<listView><name>Docker images</name></listView>", None).diff
    assert "view Docker images (inventory)" in view and "+<listView>" in view
    update = Change("update", "docker/a", "job", "<project><a>2</a></project>", "<project><a>1</a></project>").diff
    assert "docker/a (live)" in update and "-  <a>1</a>" in update and "+  <a>2</a>" in update
    broken = Change("update", "docker/a", "job", "<project><a>2</a></project>", "<project>").diff
    assert "+  <a>2</a>" in broken and "(live)" in broken


def test_plan_json_lists_views_by_action_and_failures_as_the_contract_says(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  view: Docker images\n"), encoding="utf-8")
    doc = plan_for(path, remote(fake_jenkins)).to_json()
    assert doc["views"] == {"create": ["Docker images"]}
    assert doc["create"] == ["acme-base", "acme-web", "portal"] and doc["update"] == doc["delete"] == []
    assert doc["failed"] == [] and doc["unchanged"] == []


# -- prune without a folder (needs an owner) ------------------------------------------------------------

def without_folder(path: Path, owner: str = "team-a") -> Path:
    path.write_text(path.read_text().replace("  folder: docker\n", f"  owner: {owner}\n"), encoding="utf-8")
    return path


def test_prune_without_a_folder_deletes_only_this_owner_s_top_level_jobs(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    other = tmp_path / "other"
    other.mkdir()
    sync(write_inventory(other, app("shop"), folder="team-b"), remote(fake_jenkins))        # another inventory's folder
    fake_jenkins.put_job("hand-made", "<project><description>made by hand</description></project>")
    sync(without_folder(write_inventory(tmp_path, app("portal"), app("shop"), app("blog"))), remote(fake_jenkins))
    # blog now belongs to another top-level inventory (owner team-c)
    fake_jenkins.put_job("blog", fake_jenkins.get_config("blog").replace("[owner=team-a ", "[owner=team-c "))
    plan, result = sync(without_folder(write_inventory(tmp_path, app("portal"))), remote(fake_jenkins), prune=True)
    assert result.ok, result.failed
    assert result.delete == ["shop"]
    names = set(fake_jenkins.job_names())
    assert "shop" not in names and {"portal", "hand-made", "team-b/shop", "blog"} <= names


def test_prune_without_a_folder_on_a_jenkins_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sync(without_folder(write_inventory(tmp_path, app("portal"), app("shop"), app("blog"))), JenkinsHome(home))
    (home / "jobs" / "hand-made").mkdir()
    (home / "jobs" / "hand-made" / "config.xml").write_text("<project><description>mine</description></project>")
    plan, result = sync(without_folder(write_inventory(tmp_path, app("portal"))), JenkinsHome(home), prune=True)
    assert sorted(result.delete) == ["blog", "shop"]
    assert sorted(p.name for p in (home / "jobs").iterdir()) == ["acme-base", "acme-web", "hand-made", "portal"]


# -- whose items: what the plan refuses, and the words it uses --------------------------------------------

def test_an_inventory_without_folder_or_owner_keeps_updating_its_own_jobs(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", ""), encoding="utf-8")
    sync(path, remote(fake_jenkins))
    path.write_text(path.read_text().replace(WEB_GIT, "git@gitlab.example.org:docker/web2.git"), encoding="utf-8")
    plan, result = sync(path, remote(fake_jenkins))
    assert result.ok, result.failed
    assert result.update == ["acme-web"] and "docker/web2.git" in fake_jenkins.get_config("acme-web")


def test_another_inventory_s_job_is_never_taken_over_even_with_adopt(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    team_b = tmp_path / "b"
    team_b.mkdir()
    other = write_inventory(team_b, app("portal"))
    other.write_text(other.read_text().replace("  folder: docker\n", "  folder: docker\n  owner: team-b\n"), encoding="utf-8")
    sync(other, remote(fake_jenkins))
    before = fake_jenkins.get_config("docker/portal")
    path = write_inventory(tmp_path, app("portal", "acme/base"))
    plan = plan_for(path, remote(fake_jenkins), adopt=True)
    failed = {f.job: f.error for f in plan.failed}
    assert "owned by another inventory (owner 'team-b', see jenkins.owner)" in failed["docker/portal"]
    apply(plan, remote(fake_jenkins))
    assert fake_jenkins.get_config("docker/portal") == before


def test_a_job_made_by_an_inventory_without_owner_is_named_so(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    nobody = tmp_path / "nobody"
    nobody.mkdir()
    first = write_inventory(nobody, app("portal"))
    first.write_text(first.read_text().replace("  folder: docker\n", ""), encoding="utf-8")
    sync(first, remote(fake_jenkins))
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  owner: team-a\n"), encoding="utf-8")
    plan = plan_for(path, remote(fake_jenkins))
    assert "owned by another inventory (an inventory without folder or owner, see jenkins.owner)" in \
        {f.job: f.error for f in plan.failed}["portal"]


def test_a_folder_where_a_job_must_go_and_a_job_where_a_folder_must_go_are_named(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    fake_jenkins.put_job("docker", "<project><description>made by hand</description></project>")
    plan = plan_for(write_inventory(tmp_path, app("portal")), remote(fake_jenkins), adopt=True)
    error = {f.job: f.error for f in plan.failed}["docker"]
    assert "the inventory makes docker a folder, but Jenkins has a freestyle job docker there" in error
    assert "not managed by jenkins-docker (hand-made)" in error
    other = tmp_path / "top"
    other.mkdir()
    path = write_inventory(other, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  owner: team-a\n"), encoding="utf-8")
    error = {f.job: f.error for f in plan_for(path, remote(fake_jenkins)).failed}
    fake_jenkins.put_folder("portal")
    error = {f.job: f.error for f in plan_for(path, remote(fake_jenkins), adopt=True).failed}["portal"]
    assert "the inventory makes portal a freestyle job, but Jenkins has a folder portal there" in error


def test_a_legacy_job_changes_type_only_with_adopt_and_the_refusal_says_how(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    legacy = fake_jenkins.get_config("docker/portal")
    start, end = legacy.index("<description>") + len("<description>"), legacy.index("</description>")
    fake_jenkins.put_job("docker/portal", legacy[:start] + LEGACY_LINE + legacy[end:])
    pipeline = path.read_text().replace("job_type: freestyle", "job_type: pipeline")
    path.write_text(pipeline, encoding="utf-8")
    plan = plan_for(path, remote(fake_jenkins))
    error = {f.job: f.error for f in plan.failed}["docker/portal"]
    assert "is a freestyle job managed by the first release of jenkins-docker (no owner)" in error
    assert "(pass --adopt to replace a job of the first release)" in error
    adopted = plan_for(path, remote(fake_jenkins), adopt=True)
    assert "docker/portal" in adopted.names("replace") and "docker/portal" not in {f.job for f in adopted.failed}


def test_a_case_only_collision_with_our_own_job_says_it_is_ours(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    config = fake_jenkins.get_config("docker/portal")
    remote(fake_jenkins).delete("docker/portal")
    fake_jenkins.put_job("docker/Portal", config)
    error = {f.job: f.error for f in plan_for(path, remote(fake_jenkins)).failed}["docker/portal"]
    assert "differs only in case (managed by this inventory)" in error


def test_the_ownership_line_may_end_with_a_line_break_but_owner_must_come_first() -> None:
    line = ownership_line("docker")
    assert classify("Builds acme/web.\n" + line + "\n", "docker").status == "ours"
    assert classify("Builds acme/web.\r\n" + line + "\r\n\r\n", "docker").status == "ours"
    assert classify("Builds acme/web.\r" + line, "docker").status == "ours"  # a lone CR ends a line too
    reordered = line.replace("[owner=docker]", "[digest=abc owner=docker]")
    assert classify(reordered, "docker").status == "hand-made" and classify(reordered, "abc").status == "hand-made"


def test_a_job_of_another_kind_where_the_folder_must_go_is_named_a_job(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "jobs" / "docker").mkdir(parents=True)
    (home / "jobs" / "docker" / "config.xml").write_text("<maven2-moduleset><description>made by hand</description></maven2-moduleset>")
    plan = plan_for(write_inventory(tmp_path, app("portal")), JenkinsHome(home), adopt=True)
    error = {f.job: f.error for f in plan.failed}["docker"]
    assert "the inventory makes docker a folder, but Jenkins has a job docker there" in error
    assert not plan.names("create", "update", "replace", "delete")


def test_a_type_change_of_an_adopted_hand_made_job_is_refused_and_says_why(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    fake_jenkins.put_folder("docker")
    fake_jenkins.put_job("docker/portal", "<project><description>made by hand</description></project>")
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("job_type: freestyle", "job_type: pipeline"), encoding="utf-8")
    plan = plan_for(path, remote(fake_jenkins), adopt=True)
    error = {f.job: f.error for f in plan.failed}["docker/portal"]
    assert error == ("docker/portal is a freestyle job not managed by jenkins-docker (hand-made); changing it to pipeline "
                     "means deleting it with its build history, which sync does only to its own jobs")
    assert "docker/portal" not in plan.names("replace", "update", "create")


FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"


def described(root: str, text: str) -> str:
    return f"<{root}><description>{escape(text)}</description></{root}>"


def test_prune_or_adopt_at_the_top_level_without_an_owner_is_refused_naming_the_flags(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", ""), encoding="utf-8")
    for flags, start in (({"prune": True}, "--prune at the top level of Jenkins needs an owner"),
                         ({"adopt": True}, "--adopt at the top level of Jenkins needs an owner"),
                         ({"prune": True, "adopt": True}, "--prune and --adopt at the top level of Jenkins needs an owner")):
        with pytest.raises(UsageError) as caught:
            plan_for(path, remote(fake_jenkins), **flags)
        assert str(caught.value).startswith(start), str(caught.value)
    assert fake_jenkins.count(method="POST") == 0


def test_prune_judges_a_folder_by_what_it_holds_not_by_a_sibling_with_a_longer_name(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    ours = ownership_line("docker")
    fake_jenkins.put_folder("docker/team", described(FOLDER_CLASS, ours))
    fake_jenkins.put_job("docker/team/ours", described("project", ours))
    fake_jenkins.put_job("docker/team-x", described("project", "made by hand"))
    plan, result = sync(path, remote(fake_jenkins), prune=True)
    assert result.delete == ["docker/team"]  # its job goes with it
    assert not [note for note in plan.notes if "kept folder" in note]
    names = set(fake_jenkins.job_names())
    assert "docker/team-x" in names and "docker/team/ours" not in names


def test_a_kept_folder_s_note_lists_everything_in_it_that_stays(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    ours = ownership_line("docker")
    fake_jenkins.put_folder("docker/old", described(FOLDER_CLASS, ours))
    fake_jenkins.put_job("docker/old/b", described("project", ownership_line("team-b")))
    fake_jenkins.put_job("docker/old/a", described("project", "made by hand"))
    plan, result = sync(path, remote(fake_jenkins), prune=True)
    assert result.delete == [] and result.ok
    assert ("kept folder docker/old: it holds docker/old/a (not managed by jenkins-docker (hand-made)), docker/old/b "
            "(owned by another inventory (owner 'team-b', see jenkins.owner)); prune deletes a folder only when "
            "everything in it is this inventory's and goes too") in plan.notes


def test_a_folder_whose_contents_the_listing_did_not_show_is_kept(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    ours = ownership_line("docker")
    fake_jenkins.put_folder("docker/old", described(FOLDER_CLASS, ours))
    fake_jenkins.put_folder("docker/old/deep", described(FOLDER_CLASS, ours))
    fake_jenkins.put_job("docker/old/deep/job", described("project", "made by hand"))
    plan, result = sync(path, remote(fake_jenkins), prune=True)
    assert result.delete == []
    assert any(note.startswith("kept folder docker/old/deep: it holds items the listing did not show") for note in plan.notes)
    assert "docker/old/deep/job" in fake_jenkins.job_names()


# -- what each planned item says about itself ----------------------------------------------------------


def test_unchanged_items_are_listed_by_name_not_in_rendered_order(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"), app("aaa"))
    rendered = [job.full_name for job in render(load(path)).jobs]
    assert rendered.index("docker/aaa") > rendered.index("docker/acme-web")  # an app sorts before its base image
    sync(path, remote(fake_jenkins))
    plan = plan_for(path, remote(fake_jenkins))
    assert plan.unchanged == sorted(rendered) and plan.to_json()["unchanged"] == sorted(rendered)


def test_only_a_replace_carries_a_note(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    sync(write_inventory(tmp_path, app("portal")), remote(fake_jenkins))
    path = write_inventory(tmp_path, app("portal"), app("blog"))
    path.write_text(path.read_text().replace("job_type: freestyle", "job_type: pipeline"), encoding="utf-8")
    plan = plan_for(path, remote(fake_jenkins))
    lost = "freestyle -> pipeline: its build history is lost"
    assert {(c.action, c.name): c.note for c in plan.changes} == {
        ("replace", "docker/acme-base"): lost, ("replace", "docker/acme-web"): lost, ("replace", "docker/portal"): lost,
        ("create", "docker/blog"): ""}


def test_a_job_whose_folder_is_refused_fails_naming_the_folder(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    fake_jenkins.put_job("docker", described("project", "made by hand"))
    plan = plan_for(write_inventory(tmp_path, app("portal")), remote(fake_jenkins))
    errors = {f.job: f.error for f in plan.failed}
    assert errors["docker"].startswith("the inventory makes docker a folder, but Jenkins has a freestyle job docker there")
    for job in ("docker/acme-base", "docker/acme-web", "docker/portal"):
        assert errors[job] == "not written: its folder docker cannot be used (see its own failure)"
    assert not plan.has_changes


@pytest.mark.parametrize("description, who", [("made by hand", "not managed by jenkins-docker (hand-made)"),
                                              (ownership_line("team-b"), "owned by another inventory (owner 'team-b', see jenkins.owner)")])
def test_a_folder_of_someone_else_named_like_ours_takes_our_jobs_and_keeps_its_config(
        tmp_path: Path, fake_jenkins: FakeJenkins, description: str, who: str) -> None:
    fake_jenkins.put_folder("docker", described(FOLDER_CLASS, description))
    before = fake_jenkins.get_config("docker")
    path = write_inventory(tmp_path, app("portal"))
    plan, result = sync(path, remote(fake_jenkins))
    assert plan.notes == [f"folder docker exists and is {who}: its jobs go into it, its configuration is left alone"]
    assert "docker" not in plan.names("create", "update", "replace") and result.ok
    assert sorted(result.create) == ["docker/acme-base", "docker/acme-web", "docker/portal"]
    assert fake_jenkins.get_config("docker") == before


def test_plan_reports_one_progress_step_per_config_read(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"), app("shop"))
    sync(path, remote(fake_jenkins))
    steps: list[int] = []
    inventory = load(path)
    fake_jenkins.reset_requests()
    make_plan(render(inventory), remote(fake_jenkins), folder="docker", progress=steps.append)
    reads = fake_jenkins.count(method="GET", path="config.xml")
    assert reads == 5 and steps == [1] * reads


def test_a_config_read_that_fails_is_reported_without_repeating_the_job_name(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    fake_jenkins.inject_fault(method="GET", path="job/portal/config.xml", status=500, body="java.io.IOException: disk full", times=5)
    plan = plan_for(path, remote(fake_jenkins))
    assert [(f.job, f.error) for f in plan.failed] == [("docker/portal", "Jenkins answered 500 Internal Server Error: java.io.IOException: disk full")]


def test_a_live_job_config_that_is_not_xml_is_rewritten_in_place(tmp_path: Path, fake_jenkins: FakeJenkins, caplog: pytest.LogCaptureFixture) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    fake_jenkins.inject_fault(method="GET", path="job/portal/config.xml", status=200, body="<project><description>", times=1)
    plan = plan_for(path, remote(fake_jenkins))
    assert order(plan) == [("update", "docker/portal")] and plan.failed == []
    assert "docker/portal: live config is not XML" in caplog.text


def test_a_live_folder_config_that_is_not_xml_is_a_failure_and_not_written(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    fake_jenkins.inject_fault(method="GET", path="^/job/docker/config.xml", status=200, body="<folder", times=1)
    plan = plan_for(path, remote(fake_jenkins))
    errors = {f.job: f.error for f in plan.failed}
    assert list(errors) == ["docker"] and errors["docker"].startswith("its live config.xml cannot be read (not well-formed XML")
    assert errors["docker"].endswith("); not changed") and not plan.has_changes


def test_a_live_job_of_another_type_that_is_not_xml_is_a_failure(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    path.write_text(path.read_text().replace("job_type: freestyle", "job_type: pipeline"), encoding="utf-8")
    fake_jenkins.inject_fault(method="GET", path="job/portal/config.xml", status=200, body="garbage", times=1)
    plan = plan_for(path, remote(fake_jenkins))
    errors = {f.job: f.error for f in plan.failed}
    assert list(errors) == ["docker/portal"] and errors["docker/portal"].startswith("its live config.xml cannot be read")
    assert "docker/portal" not in plan.names("update", "replace")


def test_fast_leaves_an_item_with_the_current_digest_unread(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    fake_jenkins.reset_requests()
    plan = make_plan(render(load(path)), remote(fake_jenkins), folder="docker", fast=True)
    assert plan.unchanged == ["docker", "docker/acme-base", "docker/acme-web", "docker/portal"] and not plan.has_changes
    assert fake_jenkins.count(method="GET", path="config.xml") == 0


def test_fast_still_reads_a_job_whose_type_changed_under_the_same_digest(tmp_path: Path) -> None:
    home = JenkinsHome(tmp_path / "home")
    path = write_inventory(tmp_path, app("portal"))
    sync(path, home)
    config = tmp_path / "home" / "jobs" / "docker" / "jobs" / "portal" / "config.xml"
    text = config.read_text(encoding="utf-8")   # turned into a pipeline on disk, description (digest) kept
    config.write_text(text[:text.index("<project")] + "<flow-definition>" + text[text.index("<description>"):text.index("</description>")]
                      + "</description></flow-definition>", encoding="utf-8")
    plan = make_plan(render(load(path)), home, folder="docker", fast=True)
    assert "docker/portal" not in plan.unchanged and plan.names("replace") == ["docker/portal"]


def test_deletes_say_whether_they_delete_a_folder_or_a_job(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"), app("shop"))
    sync(path, remote(fake_jenkins))
    ours = ownership_line("docker")
    fake_jenkins.put_folder("docker/old", described(FOLDER_CLASS, ours))
    plan = plan_for(write_inventory(tmp_path, app("portal")), remote(fake_jenkins), prune=True)
    deletes = [(c.name, c.what) for c in plan.changes if c.action == "delete"]
    assert deletes == [("docker/old", "folder"), ("docker/shop", "job")]


def test_orphans_and_kept_first_release_items_are_listed_by_name_on_a_jenkins_home(tmp_path: Path) -> None:
    # JENKINS_HOME is listed depth first (docker/a, docker/a/x, docker/a-b): the plan sorts by name.
    home = tmp_path / "home"
    path = write_inventory(tmp_path, app("portal"))
    sync(path, JenkinsHome(home))
    ours = ownership_line("docker")
    home_put(home, "docker/a", described(FOLDER_CLASS, ours))
    home_put(home, "docker/a/x", described(FOLDER_CLASS, ours))        # holds what the listing does not show
    home_put(home, "docker/a/x/deep", described("project", "made by hand"))
    home_put(home, "docker/a/l", described("project", LEGACY_LINE))
    home_put(home, "docker/a-b", described(FOLDER_CLASS, ours))
    home_put(home, "docker/a-b/h", described("project", "made by hand"))
    home_put(home, "docker/a-c", described("project", LEGACY_LINE))
    plan = plan_for(path, JenkinsHome(home), prune=True)
    assert not plan.has_changes
    assert plan.orphans == ["docker/a", "docker/a-b", "docker/a/x"]
    assert ("kept 2 item(s) of the first release (no owner) that the inventory no longer has: docker/a-c, docker/a/l; "
            "--prune --adopt deletes them") in plan.notes


def test_items_beside_a_deleted_folder_with_a_longer_name_are_still_reported(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    ours = ownership_line("docker")
    fake_jenkins.put_folder("docker/old", described(FOLDER_CLASS, ours))       # goes
    fake_jenkins.put_job("docker/old-legacy", described("project", LEGACY_LINE))  # kept, named in a note
    fake_jenkins.put_folder("docker/old-kept", described(FOLDER_CLASS, ours))  # kept: holds a hand-made job
    fake_jenkins.put_job("docker/old-kept/h", described("project", "made by hand"))
    plan = plan_for(path, remote(fake_jenkins), prune=True)
    assert plan.names("delete") == ["docker/old"]
    assert plan.orphans == ["docker/old-kept"]
    assert any(note.startswith("kept 1 item(s) of the first release") and note.endswith(": docker/old-legacy; --prune --adopt deletes them")
               for note in plan.notes)


def test_plan_without_prune_lists_an_orphan_folder_not_what_it_holds(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    ours = ownership_line("docker")
    fake_jenkins.put_folder("docker/old", described(FOLDER_CLASS, ours))
    fake_jenkins.put_job("docker/old/job", described("project", ours))
    assert plan_for(path, remote(fake_jenkins)).orphans == ["docker/old"]


def test_make_plan_with_zero_workers_reads_with_one(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    sync(path, remote(fake_jenkins))
    plan = plan_for(path, remote(fake_jenkins), workers=0)
    assert len(plan.unchanged) == 4 and not plan.has_changes


def test_ctrl_c_while_reading_configs_stops_the_reads_and_leaves_no_reader_behind(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    import threading
    path = write_inventory(tmp_path, *(app(f"app{i}") for i in range(12)))
    sync(path, remote(fake_jenkins))
    fake_jenkins.reset_requests()
    readers = lambda: {t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor")}  # noqa: E731
    before = readers()

    def interrupt(step: int) -> None:
        raise KeyboardInterrupt

    items = render(load(path))
    with pytest.raises(KeyboardInterrupt):
        make_plan(items, remote(fake_jenkins), folder="docker", workers=1, progress=interrupt)
    # Interrupted at the first read's answer: the queued reads are cancelled. The one worker may have
    # taken a read or two more before the cancel (no promise there, so no exact bound: CI saw 3), but
    # never the whole list, and nothing reads once make_plan has returned.
    done = fake_jenkins.count(method="GET", path="config.xml")
    assert done < len(items.jobs) - 5
    assert readers() <= before
    assert fake_jenkins.count(method="GET", path="config.xml") == done


# -- top-level views ---------------------------------------------------------------------------------------

def test_a_view_inside_the_folder_is_written_with_the_folder_not_at_the_top_level(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  folder: docker\n  view: Images\n"), encoding="utf-8")
    plan, result = sync(path, remote(fake_jenkins))
    assert [c for c in plan.changes if c.what == "view"] == [] and result.ok
    assert "Images" not in fake_jenkins.views()


def test_a_top_level_view_that_cannot_be_read_is_a_note_and_the_jobs_go_on(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  view: Docker images\n"), encoding="utf-8")
    fake_jenkins.inject_fault(method="GET", path="view/Docker", status=500, body="broken", times=5)
    plan = plan_for(path, remote(fake_jenkins))
    assert [n for n in plan.notes if n.startswith("view 'Docker images' not synced: ")] != []
    assert [c for c in plan.changes if c.what == "view"] == [] and plan.names("create") == ["acme-base", "acme-web", "portal"]


def test_our_top_level_view_is_updated_and_a_hand_made_one_is_refused_by_name(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  owner: team-a\n  view: Docker images\n"), encoding="utf-8")
    sync(path, remote(fake_jenkins))
    path.write_text(path.read_text().replace("  portal:", "  blog:\n    git: git@gitlab.example.org:web/blog.git\n    from: acme/web\n  portal:"),
                    encoding="utf-8")
    plan = plan_for(path, remote(fake_jenkins))
    assert [(c.action, c.name) for c in plan.changes if c.what == "view"] == [("update", "Docker images")]
    remote(fake_jenkins).write_view("Docker images", "<hudson.model.ListView><name>Docker images</name>"
                                    "<description>mine</description></hudson.model.ListView>", create=False)
    failed = plan_for(path, remote(fake_jenkins)).failed
    assert [(f.job, f.error) for f in failed] == [("view Docker images", "view Docker images exists and is not managed by jenkins-docker "
                                                   "(hand-made); rename or delete it, or pass --adopt to take it over")]


def test_a_first_release_view_in_our_folder_is_taken_over_by_the_rendered_view(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    import xml.etree.ElementTree as ET

    path = write_inventory(tmp_path, app("portal"))
    path.write_text(path.read_text().replace("  folder: docker\n", "  folder: docker\n  view: Images\n"), encoding="utf-8")
    sync(path, remote(fake_jenkins))
    root = ET.fromstring(fake_jenkins.get_config("docker").split("?>", 1)[-1])
    view = root.find("folderViews/views/hudson.model.ListView")
    assert view is not None and view.findtext("name") == "Images"
    description = view.find("description")
    if description is None:
        description = ET.SubElement(view, "description")
    description.text = f"Images built here.\n{LEGACY_LINE}"     # as the first release wrote it
    remote(fake_jenkins).update("docker", ET.tostring(root, encoding="unicode"))
    plan, result = sync(path, remote(fake_jenkins))
    assert not [note for note in plan.notes if "left alone" in note]
    assert plan.names("update") == ["docker"] and result.ok
    assert LEGACY_LINE not in fake_jenkins.get_config("docker")


# -- the folder a plan works in comes with the rendered items ------------------------------------------

def test_the_plan_s_folder_comes_with_the_rendered_items_and_a_different_one_is_refused(tmp_path: Path) -> None:
    from jenkins_docker.sync.plan import scope

    items = render(load(write_inventory(tmp_path, app("portal"))))
    assert items.folder == "docker"
    assert scope(items) == scope(items, "docker") == "docker"
    with pytest.raises(UsageError) as caught:
        scope(items, "other")
    assert str(caught.value) == ("the jobs were rendered for folder 'docker', not 'other': "
                                 "leave make_plan's folder out (it comes with the rendered jobs)")
    with pytest.raises(UsageError):
        scope(items, None)


def test_a_folder_given_for_items_rendered_without_one_bounds_prune(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    from jenkins_docker.sync.plan import scope

    top = render(load(without_folder(write_inventory(tmp_path, app("portal")))))
    assert top.folder is None and scope(top) is None and scope(top, "docker") == "docker"
    fake_jenkins.put_folder("docker")
    fake_jenkins.put_job("docker/old", described("project", ownership_line("team-a")))
    fake_jenkins.put_job("old", described("project", ownership_line("team-a")))
    plan = make_plan(top, remote(fake_jenkins), folder="docker", prune=True)
    assert plan.names("delete") == ["docker/old"]              # the given folder bounds prune, not the top level
    assert make_plan(top, remote(fake_jenkins), prune=True).names("delete") == ["old"]
