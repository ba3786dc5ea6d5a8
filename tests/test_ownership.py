"""Ownership by construction (issue 9): sync never touches what this inventory did not make.

Each reproduced example of the audit has a test here, against the fake Jenkins over HTTP and, where
it applies, against a JENKINS_HOME on disk. The rules themselves live in jenkins_docker/ownership.py.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import BASE_IMAGES, REGISTRY, braced, cli, env_for, home_put, remote, sync, write
from jenkins_docker import JenkinsHome, load, ownership, render
from jenkins_docker.errors import InventoryError, TargetError, UsageError
from jenkins_docker.ownership import LEGACY_LINE, ownership_line
from jenkins_docker.rendering.renderer import TemplateError, bundled_templates
from jenkins_docker.sync.xmlcompare import parse
from jenkins_docker.testing.fake_jenkins import FakeJenkins

TEAM = """\
version: 1
jenkins:
{jenkins}
""" + braced(REGISTRY) + BASE_IMAGES + """\
apps:
{apps}"""

APP = """\
  {name}:
    git: git@gitlab.example.org:web/{name}.git
    from: acme/base
    image: web/{image}
"""


def inventory(tmp_path: Path, name: str = "inventory.yml", *, folder: str | None = "docker", owner: str | None = None,
              apps: tuple[str, ...] = ("portal", "shop"), job_type: str = "freestyle", view: str | None = None) -> Path:
    settings = [f"  job_type: {job_type}"]
    if folder is not None:
        settings.append(f"  folder: {folder}")
    if owner is not None:
        settings.append(f"  owner: {owner}")
    if view is not None:
        settings.append(f"  view: {view}")
    text = TEAM.format(jenkins="\n".join(settings), apps="".join(APP.format(name=a, image=a.lower()) for a in apps) or "  {}\n")
    return write(tmp_path, text, name)


def job_xml(description: str, root: str = "project") -> str:
    escaped = description.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return f"<{root}><description>{escaped}</description></{root}>"


FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"


def folder_xml(description: str = "made by hand") -> str:
    return f"<{FOLDER}><description>{description}</description></{FOLDER}>"


# -- a JENKINS_HOME on disk, seeded by hand ---------------------------------------------------------


def home_config(home: Path, full_name: str) -> str:
    directory = home
    for part in full_name.split("/"):
        directory = directory / "jobs" / part
    return (directory / "config.xml").read_text(encoding="utf-8")


# -- the ownership line ----------------------------------------------------------------------------

def test_the_ownership_line_names_the_tool_and_the_owner_and_parses_back() -> None:
    line = ownership_line("ops/docker images")
    assert line == ("Managed by jenkins-docker [owner=ops/docker%20images]: "
                    "changes made in the Jenkins UI are overwritten by the next sync.")
    marker = ownership.parse_line(line)
    assert marker is not None and marker.owner == "ops/docker images"
    assert ownership.parse_line(ownership_line("team-b", digest="sha256:ab")) == ownership.Marker("team-b", {"digest": "sha256:ab"})


def test_only_the_exact_last_line_makes_an_item_ours() -> None:
    ours = ownership_line("docker")
    assert ownership.classify(f"Builds it.\n{ours}", "docker").status == "ours"
    assert ownership.classify(f"Builds it.\r\n{ours}\r\n", "docker").status == "ours"
    assert ownership.classify(f"{ours}\nedited below the line", "docker").status == "hand-made"
    assert ownership.classify(f"this job is NOT \"{ours}\"", "docker").status == "hand-made"
    assert ownership.classify(ours + " ", "docker").status == "hand-made"
    assert ownership.classify(ownership_line("docker/team-b"), "docker") == ownership.Ownership("other-owner", "docker/team-b")
    assert ownership.classify(f"x\n{LEGACY_LINE}", "docker").status == "legacy"
    assert ownership.classify(f"x {LEGACY_LINE}", "docker").status == "hand-made"


def test_the_owner_defaults_to_the_folder_path_and_jenkins_owner_sets_it(tmp_path: Path) -> None:
    assert render(load(inventory(tmp_path, folder="ops/docker"))).owner == "ops/docker"
    jobs = render(load(inventory(tmp_path, folder="ops/docker", owner="team-a")))
    assert jobs.owner == "team-a"
    for job in jobs.jobs:
        description = parse(job.xml).findtext("description") or ""
        assert ownership.marker_of(description) == ownership.Marker("team-a", {"digest": job.digest})


def test_a_user_template_that_drops_the_description_is_an_error_naming_it(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    text = (bundled_templates() / "freestyle.xml.j2").read_text(encoding="utf-8")
    (templates / "freestyle.xml.j2").write_text(text.replace("{{ description }}", "my own words"), encoding="utf-8")
    with pytest.raises(TemplateError, match=r"template freestyle\.xml\.j2: the description must end with the ownership line"):
        render(load(inventory(tmp_path)), templates=templates)


# -- 1. the marker is no longer a substring anywhere ----------------------------------------------

@pytest.mark.parametrize("where", ["remote", "home"])
def test_1_a_hand_made_job_quoting_the_marker_survives_prune(tmp_path: Path, jenkins: FakeJenkins, where: str) -> None:
    path = inventory(tmp_path)
    text = 'this job is NOT "Managed by jenkins-docker" - hands off'
    home = tmp_path / "home"
    target = remote(jenkins) if where == "remote" else JenkinsHome(home)
    sync(path, target)
    if where == "remote":
        jenkins.put_job("docker/release-prod", job_xml(text))
    else:
        home_put(home, "docker/release-prod", job_xml(text))
    plan, result = sync(path, target, prune=True)
    assert result.ok and result.delete == [] and plan.orphans == []
    config = jenkins.get_config("docker/release-prod") if where == "remote" else home_config(home, "docker/release-prod")
    assert "hands off" in config


def test_1_a_top_level_view_that_only_mentions_the_marker_is_not_ours(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory(tmp_path, folder=None, view="Docker")
    client = remote(jenkins)
    hand_made = ("<hudson.model.ListView><name>Docker</name><description>Not Managed by jenkins-docker</description>"
                 "<filterExecutors>false</filterExecutors><filterQueue>false</filterQueue>"
                 "<properties class=\"hudson.model.View$PropertyList\"/><jobNames/><jobFilters/><columns/>"
                 "<recurse>false</recurse></hudson.model.ListView>")
    client.write_view("Docker", hand_made, create=True)
    plan, result = sync(path, client)
    assert [f.job for f in result.failed] == ["view Docker"]
    assert "hand-made" in result.failed[0].error
    assert "Not Managed by" in jenkins.views()["Docker"]


# -- 2. ownership is per inventory ------------------------------------------------------------------

@pytest.mark.parametrize("where", ["remote", "home"])
def test_2_prune_of_team_a_never_deletes_team_b_nested_in_its_folder(tmp_path: Path, jenkins: FakeJenkins, where: str) -> None:
    home = tmp_path / "home"
    target = remote(jenkins) if where == "remote" else JenkinsHome(home)
    team_a = inventory(tmp_path, "a.yml", folder="docker", apps=("portal",))
    team_b = inventory(tmp_path, "b.yml", folder="docker/team-b", apps=("billing",))
    sync(team_a, target)
    sync(team_b, target)
    if where == "remote":
        jenkins.put_job("docker/team-b/hotfix", job_xml("made by hand"))
    else:
        home_put(home, "docker/team-b/hotfix", job_xml("made by hand"))
    plan, result = sync(team_a, target, prune=True)
    assert result.ok and result.delete == []
    names = set(jenkins.job_names()) if where == "remote" else {
        p.parent.relative_to(home).as_posix().replace("jobs/", "") for p in home.rglob("config.xml")}
    assert {"docker/team-b/acme-base", "docker/team-b/billing", "docker/team-b/hotfix"} <= names


def test_2_inventories_without_folder_or_owner_may_not_prune_or_adopt(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory(tmp_path, folder=None)
    with pytest.raises(UsageError, match="jenkins.owner"):
        sync(path, remote(jenkins), prune=True)
    with pytest.raises(UsageError, match="jenkins.owner"):
        sync(path, remote(jenkins), adopt=True)
    done = cli("sync", str(path), "--prune", env=env_for(jenkins))
    assert done.returncode == 2 and "jenkins.owner" in done.stderr and "Traceback" not in done.stderr
    assert jenkins.count(method="POST") == 0


def test_2_two_top_level_inventories_with_owners_prune_only_their_own(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    team_a = inventory(tmp_path, "a.yml", folder=None, owner="team-a", apps=("portal",))
    team_b = inventory(tmp_path, "b.yml", folder=None, owner="team-b", apps=("billing",))
    sync(team_a, client)
    plan, result = sync(team_b, client, prune=True)
    # acme-base is team A's: team B may not take it over, and deletes nothing of team A.
    assert [f.job for f in result.failed] == ["acme-base"] and "owner 'team-a'" in result.failed[0].error
    assert result.delete == [] and {"portal", "acme-base"} <= set(jenkins.job_names())
    assert "team-a" in jenkins.get_config("acme-base")


# -- 3. a plain sync never deletes a folder; 4. nor does --adopt --------------------------------------

@pytest.mark.parametrize("adopt", [False, True])
def test_3_4_a_job_never_replaces_a_folder(tmp_path: Path, jenkins: FakeJenkins, adopt: bool) -> None:
    client = remote(jenkins)
    team_a = inventory(tmp_path, "a.yml", folder="web", apps=("portal",))
    sync(team_a, client)
    jenkins.put_job("web/hotfix", job_xml("made by hand"))
    team_b = inventory(tmp_path, "b.yml", folder=None, owner="team-b", apps=("web",))
    plan, result = sync(team_b, client, adopt=adopt)
    assert [f.job for f in result.failed] == ["web"]
    error = result.failed[0].error
    assert "a job never replaces a folder" in error and "web" in error and "a folder" in error
    assert {"web/hotfix", "web/portal"} <= set(jenkins.job_names()) and "web" in jenkins.folder_names()
    assert "web" not in result.update + result.create


def test_4_adopt_never_deletes_a_hand_made_folder_a_job_lands_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home_put(home, "portal", folder_xml())
    home_put(home, "portal/precious", job_xml("made by hand"))
    plan, result = sync(inventory(tmp_path, folder=None, owner="team"), JenkinsHome(home), adopt=True)
    assert [f.job for f in result.failed] == ["portal"]
    assert "made by hand" in home_config(home, "portal/precious")


def test_a_folder_never_replaces_a_job(tmp_path: Path, jenkins: FakeJenkins) -> None:
    jenkins.put_job("docker", job_xml(ownership_line("docker")))
    plan, result = sync(inventory(tmp_path), remote(jenkins), adopt=True)
    assert "docker" in [f.job for f in result.failed]
    assert all(f.error.startswith("not written: its folder docker") for f in result.failed if f.job != "docker")
    assert jenkins.job_names() == ["docker"] and jenkins.count(method="POST") == 0


# -- replace: only our jobs, and shown as losing history ---------------------------------------------

def test_a_type_change_of_our_job_is_a_replace_that_says_it_loses_history(tmp_path: Path, jenkins: FakeJenkins) -> None:
    sync(inventory(tmp_path), remote(jenkins))
    path = inventory(tmp_path, job_type="pipeline")
    done = cli("plan", str(path), env=env_for(jenkins))
    assert "± replace docker/portal (freestyle -> pipeline: its build history is lost)" in done.stdout
    data = json.loads(cli("plan", str(path), "--format", "json", env=env_for(jenkins)).stdout)
    assert "docker/portal" in data["replace"] and "docker/portal" in data["update"]


@pytest.mark.parametrize("description, adopt", [(LEGACY_LINE, False), ("made by hand", True)])
def test_a_type_change_is_refused_for_a_job_that_is_not_ours(tmp_path: Path, jenkins: FakeJenkins, description: str, adopt: bool) -> None:
    jenkins.put_folder("docker")
    jenkins.put_job("docker/portal", job_xml(f"old job\n{description}"))
    plan, result = sync(inventory(tmp_path, job_type="pipeline"), remote(jenkins), adopt=adopt)
    assert [f.job for f in result.failed] == ["docker/portal"] and "build history" in result.failed[0].error
    assert "<project>" in jenkins.get_config("docker/portal").replace("\n", "")


# -- legacy marker ----------------------------------------------------------------------------------

def test_legacy_jobs_are_updated_when_rendered_and_deleted_only_with_adopt(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    jenkins.put_folder("docker", folder_xml(LEGACY_LINE))
    jenkins.put_job("docker/portal", job_xml(f"first release\n{LEGACY_LINE}"))
    jenkins.put_job("docker/gone", job_xml(f"first release\n{LEGACY_LINE}"))
    path = inventory(tmp_path)
    plan, result = sync(path, client, prune=True)
    assert result.ok and "docker/portal" in result.update and result.delete == []
    marker = ownership.marker_of(parse(jenkins.get_config("docker/portal")).findtext("description") or "")
    assert marker is not None and marker.owner == "docker" and set(marker.fields) == {"digest"}
    assert "docker/gone" in jenkins.job_names()
    assert "kept 1 item(s) of the first release (no owner) that the inventory no longer has: docker/gone; " \
           "--prune --adopt deletes them" in plan.notes
    plan, result = sync(path, client, prune=True, adopt=True)
    assert result.delete == ["docker/gone"]


# -- orphans ---------------------------------------------------------------------------------------

def test_plan_without_prune_lists_orphans_in_text_and_json(tmp_path: Path, jenkins: FakeJenkins) -> None:
    sync(inventory(tmp_path), remote(jenkins))
    jenkins.put_job("docker/hand-made", job_xml("made by hand"))
    path = inventory(tmp_path, apps=("portal",))
    data = json.loads(cli("plan", str(path), "--format", "json", env=env_for(jenkins)).stdout)
    assert data["orphans"] == ["docker/shop"] and data["delete"] == []
    text = cli("plan", str(path), env=env_for(jenkins)).stdout
    assert "? orphan docker/shop" in text and "hand-made" not in text
    synced = json.loads(cli("sync", str(path), "--format", "json", env=env_for(jenkins)).stdout)
    assert synced["orphans"] == ["docker/shop"]
    pruned = json.loads(cli("sync", str(path), "--prune", "--format", "json", env=env_for(jenkins)).stdout)
    assert pruned["delete"] == ["docker/shop"] and pruned["orphans"] == []


def test_prune_keeps_a_folder_of_ours_that_holds_something_not_ours_and_says_what(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    sync(inventory(tmp_path), client)
    ours = ownership_line("docker")
    jenkins.put_folder("docker/old", folder_xml(ours))
    jenkins.put_job("docker/old/ours", job_xml(ours))
    jenkins.put_job("docker/old/theirs", job_xml("made by hand"))
    jenkins.put_folder("docker/empty", folder_xml(ours))
    plan, result = sync(inventory(tmp_path), client, prune=True)
    assert sorted(result.delete) == ["docker/empty", "docker/old/ours"]
    assert any("kept folder docker/old" in note and "docker/old/theirs (not managed by jenkins-docker (hand-made))" in note
               for note in plan.notes)
    assert "docker/old/theirs" in jenkins.job_names()


def test_prune_never_deletes_outside_the_inventory_folder(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    jenkins.put_job("outside", job_xml(ownership_line("docker")))
    jenkins.put_folder("docker2")
    jenkins.put_job("docker2/near", job_xml(ownership_line("docker")))
    plan, result = sync(inventory(tmp_path), client, prune=True)
    assert result.delete == [] and {"outside", "docker2/near"} <= set(jenkins.job_names())


# -- 5. folders: own only what we render -------------------------------------------------------------

CREDENTIALS = ("<properties><com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty>"
               "<domainCredentialsMap class=\"hudson.util.CopyOnWriteMap$Hash\"/>"
               "</com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty>"
               "</properties>")


@pytest.mark.parametrize("where", ["remote", "home"])
def test_5_a_credential_store_added_to_our_folder_is_kept(tmp_path: Path, jenkins: FakeJenkins, where: str) -> None:
    home = tmp_path / "home"
    target = remote(jenkins) if where == "remote" else JenkinsHome(home)
    path = inventory(tmp_path, view="Docker images")
    sync(path, target)
    live = jenkins.get_config("docker") if where == "remote" else home_config(home, "docker")
    edited = live.replace("<properties/>", CREDENTIALS)
    assert edited != live
    if where == "remote":
        jenkins.put_folder("docker", edited)
    else:
        home_put(home, "docker", edited)
    plan, result = sync(path, target)
    assert "docker" in result.unchanged
    after = jenkins.get_config("docker") if where == "remote" else home_config(home, "docker")
    assert "FolderCredentialsProperty" in after
    # A change of what we manage (the view) is written, and the store still stays.
    plan, result = sync(inventory(tmp_path, view="Images", apps=("portal",)), target)
    assert "docker" in result.update
    after = jenkins.get_config("docker") if where == "remote" else home_config(home, "docker")
    assert "FolderCredentialsProperty" in after and "<name>Images</name>" in after


# -- 6 and 7. names Jenkins would not keep -------------------------------------------------------------

BAD_NAMES = [
    ('"portal,release-prod"', "','"),
    ('"portal "', "whitespace"),
    ('" portal"', "whitespace"),
    ('"port\\u0085al"', "U+0085"),
    ('"port\\uffffal"', "U+FFFF"),
    ('"port\\ufffeal"', "U+FFFE"),
]


@pytest.mark.parametrize("key, message", BAD_NAMES)
def test_6_7_app_names_jenkins_would_not_keep_are_located_errors(tmp_path: Path, key: str, message: str) -> None:
    path = tmp_path / "inventory.yml"
    path.write_text(TEAM.format(jenkins="  folder: docker", apps=f"  {key}:\n    git: git@gitlab.example.org:web/p.git\n"
                                                                "    from: acme/base\n    image: web/portal\n"), encoding="utf-8")
    with pytest.raises(InventoryError) as caught:
        load(path)
    assert any(str(p).startswith(f"{path}:13:3: ") and message in p.message for p in caught.value.problems), caught.value.problems


def test_6_a_branch_with_a_comma_is_a_located_error(tmp_path: Path) -> None:
    path = inventory(tmp_path)
    path.write_text(path.read_text().replace("    from: debian:bookworm\n", "    from: debian:bookworm\n    branch: main,feature\n"))
    done = cli("validate", str(path))
    assert done.returncode == 1 and f"{path}:13:13: error: `branch` 'main,feature'" in done.stderr + done.stdout


def test_7_case_insensitive_names_follow_javas_rule_not_casefold(tmp_path: Path) -> None:
    from jenkins_docker.naming import collision_key

    assert collision_key("Docker") == collision_key("docker")
    assert collision_key("straße") != collision_key("STRASSE")   # casefold would join them; Jenkins does not
    assert collision_key("ǅ") == collision_key("ǆ") == collision_key("Ǆ")
    path = inventory(tmp_path, apps=("straße", "STRASSE"))
    path.write_text(path.read_text().replace("image: web/straße", "image: web/strasse-a").replace("image: web/strasse\n", "image: web/strasse-b\n"))
    assert {job.name for job in render(load(path)).jobs} >= {"straße", "STRASSE"}


def test_7_a_hand_made_folder_differing_in_case_stops_the_plan_before_any_write(tmp_path: Path, jenkins: FakeJenkins) -> None:
    jenkins.put_folder("Docker")
    plan, result = sync(inventory(tmp_path), remote(jenkins))
    assert not result.ok and jenkins.count(method="POST") == 0 and jenkins.job_names() == []
    assert any(f.job == "docker" and "differs only in case" in f.error for f in result.failed)


# -- 8. XML 1.1 configs and the JENKINS_HOME target ------------------------------------------------------

def test_8_a_live_xml_1_1_config_is_updated_in_place_not_replaced(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    path = inventory(tmp_path)
    sync(path, client)
    item = jenkins.store.find("docker/portal")
    assert item is not None and item.obj is not None
    # Edited in the UI, the line kept: Jenkins writes the escape character as &#x1b; under XML 1.1.
    item.obj.values["description"] = "edited in the UI \x1b[1mbold\x1b[0m\n" + ownership_line("docker")
    assert "&#x1b;" in jenkins.get_config("docker/portal")
    plan, result = sync(path, client)
    assert [c.action for c in plan.changes] == ["update"] and result.update == ["docker/portal"]
    assert jenkins.count(method="POST", path="doDelete") == 0


def test_8_home_never_overwrites_a_job_below_an_xml_1_1_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home_put(home, "docker", f"<?xml version='1.1' encoding='UTF-8'?>\n<{FOLDER}><description>made &#x1b; by hand"
                             f"</description></{FOLDER}>")
    home_put(home, "docker/portal", job_xml("made by hand"))
    plan, result = sync(inventory(tmp_path), JenkinsHome(home))
    assert "made by hand" in home_config(home, "docker/portal")
    assert "docker/portal" not in result.create and "docker/portal" not in result.update


def test_8_home_create_refuses_an_existing_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    target = JenkinsHome(home)
    home_put(home, "portal", job_xml("made by hand"))
    from jenkins_docker.errors import JobError

    with pytest.raises(JobError, match="already exists"):
        target.create("portal", job_xml(ownership_line("x")))
    assert "made by hand" in home_config(home, "portal")


def test_8_home_never_follows_a_symlink_out_of_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    outside = tmp_path / "outside"
    home_put(outside, "docker", folder_xml(ownership_line("docker")))
    (home / "jobs").mkdir(parents=True)
    (home / "jobs" / "docker").symlink_to(outside / "jobs" / "docker")
    plan, result = sync(inventory(tmp_path), JenkinsHome(home))
    assert not result.ok and all("symlink" in f.error or "folder docker" in f.error for f in result.failed)
    assert sorted(p.name for p in (outside / "jobs" / "docker").iterdir()) == ["config.xml"]


# -- 9. replace is restore-or-fail-loud; deletes leave nothing Jenkins would load ----------------------

def test_9_a_failed_type_change_restores_the_old_job(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    sync(inventory(tmp_path), client)
    jenkins.inject_fault(method="POST", path="createItem", status=500, body="java.lang.IllegalStateException: boom", times=1)
    plan, result = sync(inventory(tmp_path, job_type="pipeline", apps=()), client, workers=1)
    assert "docker/acme-base" in [f.job for f in result.failed]
    assert "old job restored" in dict((f.job, f.error) for f in result.failed)["docker/acme-base"]
    assert "<project>" in jenkins.get_config("docker/acme-base").replace("\n", "")


def test_9_a_type_change_whose_restore_fails_too_says_what_is_missing_and_where_its_config_is(
        tmp_path: Path, jenkins: FakeJenkins, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    client = remote(jenkins)
    sync(inventory(tmp_path, apps=()), client)
    old = jenkins.get_config("docker/acme-base")
    jenkins.inject_fault(method="POST", path="createItem", status=403, body="Forbidden", times=10)
    plan, result = sync(inventory(tmp_path, job_type="pipeline", apps=()), client, workers=1)
    error = dict((f.job, f.error) for f in result.failed)["docker/acme-base"]
    assert error.startswith("MISSING") and "restoring the old one failed 3 times" in error
    saved = Path(error.split("saved at ")[1].split(":")[0])
    assert saved.is_file() and saved.parent.parent == tmp_path / "tmp"
    assert parse(saved.read_text(encoding="utf-8")).findtext("description") == parse(old).findtext("description")


def test_9_a_half_failed_delete_on_disk_leaves_nothing_jenkins_would_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    home = tmp_path / "home"
    target = JenkinsHome(home)
    path = inventory(tmp_path)
    sync(path, target)

    def broken_rmtree(path: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(shutil, "rmtree", broken_rmtree)
    plan, result = sync(inventory(tmp_path, apps=("portal",)), target, prune=True)
    assert result.delete == ["docker/shop"]
    monkeypatch.undo()
    assert sorted(p.name for p in (home / "jobs" / "docker" / "jobs").iterdir()) == ["acme-base", "portal"]
    plan, result = sync(inventory(tmp_path, apps=("portal",)), target, prune=True)
    assert result.ok and not plan.has_changes


def test_9_a_deleting_leftover_of_the_first_release_is_refused_by_name(tmp_path: Path) -> None:
    home = tmp_path / "home"
    target = JenkinsHome(home)
    sync(inventory(tmp_path), target)
    home_put(home, "docker/.shop.deleting", job_xml(f"x\n{LEGACY_LINE}"))
    with pytest.raises(TargetError, match=r"half-deleted items .*docker/jobs/\.shop\.deleting; remove"):
        sync(inventory(tmp_path), target, prune=True)
    assert (home / "jobs" / "docker" / "jobs" / ".shop.deleting" / "config.xml").is_file()


def test_a_seed_job_without_folder_or_owner_syncs_without_prune_and_validate_says_so(tmp_path: Path) -> None:
    path = inventory(tmp_path, folder=None)
    path.write_text(path.read_text().replace("jenkins:\n", "jenkins:\n  seed_job: {git: \"git@gitlab.example.org:ops/inv.git\"}\n"))
    seed = next(job for job in render(load(path)).jobs if job.role == "seed")
    command = parse(seed.xml).findtext("builders/hudson.tasks.Shell/command") or ""
    assert "jenkins-docker sync inventory.yml" in command and "--prune" not in command
    done = cli("validate", str(path))
    assert done.returncode == 0 and "the seed job syncs without --prune" in done.stdout + done.stderr
    path.write_text(path.read_text().replace("jenkins:\n", "jenkins:\n  owner: team-web\n"))
    seed = next(job for job in render(load(path)).jobs if job.role == "seed")
    assert (parse(seed.xml).findtext("builders/hudson.tasks.Shell/command") or "").endswith("--prune\n")


def test_a_hand_made_view_named_like_ours_in_our_folder_is_left_alone(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    path = inventory(tmp_path, view="Docker images")
    sync(path, client)
    live = jenkins.get_config("docker")
    assert live.count("Managed by jenkins-docker [owner=docker") == 2  # the folder's description and its view's
    jenkins.put_folder("docker", _hand_made_view(live))
    before = jenkins.get_config("docker")
    plan, result = sync(path, client)
    assert "docker" in result.unchanged and jenkins.get_config("docker") == before
    assert any("view 'Docker images' exists and is not this inventory's" in note for note in plan.notes)


def _hand_made_view(folder_config: str) -> str:
    """The folder config with its list view's description replaced by a hand-written one."""
    head, _, tail = folder_config.partition("<hudson.model.ListView>")
    view, _, rest = tail.partition("</hudson.model.ListView>")
    start = view.index("<description>")
    end = view.index("</description>")
    view = view[:start] + "<description>my own view</description>" + view[end + len("</description>"):]
    return head + "<hudson.model.ListView>" + view + "</hudson.model.ListView>" + rest


# -- the policy's answers, one by one ---------------------------------------------------------------

def test_the_policy_never_replaces_across_kinds_even_for_our_items() -> None:
    policy = ownership.policy("docker", "docker", prune=True, adopt=True)
    ours = ownership_line("docker")
    for live, new in (("folder", "freestyle"), ("pipeline", "folder")):
        decision = policy.may_replace("docker/x", ours, live, new)
        assert not decision.allowed and decision.reason == "docker/x: a job never replaces a folder nor a folder a job"
    assert policy.may_replace("docker/x", ours, "freestyle", "pipeline").allowed


def test_the_policy_names_both_kinds_when_they_would_cross() -> None:
    policy = ownership.policy("docker", "docker")
    decision = policy.may_write("docker/x", "docker/x", "other", "made by hand", "folder")
    assert not decision.allowed
    assert decision.reason.startswith("the inventory makes docker/x a folder, but Jenkins has a job docker/x there "
                                      "(not managed by jenkins-docker (hand-made))")
    decision = policy.may_write("docker/x", "docker/x", "folder", "made by hand", "pipeline")
    assert decision.reason.startswith("the inventory makes docker/x a pipeline job, but Jenkins has a folder docker/x")


def test_a_refused_replace_suggests_adopt_only_for_first_release_jobs() -> None:
    policy = ownership.policy("docker", "docker")
    legacy = policy.may_replace("docker/x", LEGACY_LINE, "freestyle", "pipeline")
    hand = policy.may_replace("docker/x", "made by hand", "freestyle", "pipeline")
    assert not legacy.allowed and legacy.reason.endswith("(pass --adopt to replace a job of the first release)")
    assert not hand.allowed and hand.reason.endswith("which sync does only to its own jobs")


def test_a_lone_carriage_return_ends_a_line_too() -> None:
    assert ownership.classify("edited\r" + ownership_line("docker"), "docker").status == "ours"
    assert ownership.last_line("a\nb\n\n") == "b"


# -- the ownership line in a rendered config --------------------------------------------------------

def test_text_after_the_ownership_line_inside_the_description_fails_the_template_check(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    text = (bundled_templates() / "freestyle.xml.j2").read_text(encoding="utf-8")
    assert "{{ description }}</description>" in text
    (templates / "freestyle.xml.j2").write_text(text.replace("{{ description }}</description>", "{{ description }}\nP.S. my words</description>"),
                                                encoding="utf-8")
    with pytest.raises(TemplateError, match=r"template freestyle\.xml\.j2: the description must end with the ownership line"):
        render(load(inventory(tmp_path)), templates=templates)
    line = ownership_line("docker")
    assert ownership.check_rendered(f"<project><description>x\n{line}</description></project>", line, "t") is None
    assert ownership.check_rendered(f"<project><description>x\n{line} P.S.</description></project>", line, "t") is not None
    assert ownership.check_rendered(f"<project><description>{line}\nP.S.</description></project>", line, "t") is not None


@given(owner=st.text(min_size=1, max_size=30), digest=st.text(max_size=20))
def test_the_ownership_line_holds_nothing_xml_escapes_and_parses_back_for_any_owner(owner: str, digest: str) -> None:
    # check_rendered and stamp look for the line verbatim in the rendered XML: that is only right
    # because no owner or field value can put & < > ' " into it.
    line = ownership_line(owner, digest=digest)
    assert not set(line) & set("&<>'\"\n\r")
    assert ownership.parse_line(line) == ownership.Marker(owner, {"digest": digest})


@given(value=st.text(max_size=30) | st.from_regex(r"[A-Za-z0-9_.~/@:+,%-]{0,30}", fullmatch=True))
def test_a_field_of_the_ownership_line_is_percent_encoded_as_quote_does_whatever_the_shortcut(value: str) -> None:
    # _encode leaves plain values as they are without calling quote(): the result must be quote's.
    from urllib.parse import quote

    assert ownership._encode(value) == quote(value, safe="/@:+,")


def test_stamp_puts_the_digest_into_the_description_s_ownership_line_only(tmp_path: Path) -> None:
    line = ownership_line("docker")
    xml = (f"<project><description>Builds it.\n{line}</description>"
           f"<views><v><description>{line}</description></v></views></project>")
    stamped, digest = ownership.stamp(xml, "docker")
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert ownership.digest_of(parse(stamped).findtext("description") or "") == digest
    assert parse(stamped).findtext("views/v/description") == line   # the first line only
    again, same = ownership.stamp(xml, "docker")
    assert (again, same) == (stamped, digest)
    assert ownership.stamp(xml.replace("Builds it.", "Builds it!"), "docker")[1] != digest
    with_secret = xml.replace("<views>", "<secretToken>a</secretToken><views>")
    assert ownership.stamp(with_secret, "docker")[1] == ownership.stamp(with_secret.replace(">a<", ">b<"), "docker")[1]
    assert ownership.stamp(with_secret, "docker")[1] != digest   # a secret added (or removed) is a change


# -- the policy's answers without flags, and why it refuses a delete ----------------------------------

def test_a_policy_given_no_flags_neither_prunes_nor_adopts() -> None:
    policy = ownership.policy("docker", "docker")
    assert not policy.prune and not policy.adopt
    assert policy.may_delete("docker/x", ownership_line("docker")) == ownership.Decision(False, "kept: pass --prune to delete it")
    assert not policy.may_write("docker/x", "docker/x", "freestyle", "made by hand", "freestyle").allowed
    assert ownership.policy("docker", "docker", prune=True).may_delete("docker/x", ownership_line("docker")).allowed


def test_may_delete_says_why_it_refuses() -> None:
    policy = ownership.policy("docker", "docker", prune=True)
    ours = ownership_line("docker")
    assert policy.may_delete("docker2/x", ours) == ownership.Decision(False, "docker2/x is outside the inventory's folder")
    assert policy.may_delete("docker/x", ownership_line("team-b")) == ownership.Decision(
        False, "docker/x is owned by another inventory (owner 'team-b', see jenkins.owner)")
    assert policy.may_delete("docker/x", "made by hand") == ownership.Decision(False, "docker/x is not managed by jenkins-docker (hand-made)")
    assert policy.may_delete("docker/x", LEGACY_LINE) == ownership.Decision(
        False, "docker/x is managed by the first release of jenkins-docker (no owner)")
    assert ownership.policy("docker", "docker", prune=True, adopt=True).may_delete("docker/x", LEGACY_LINE).allowed
    assert policy.may_delete("docker/x", ours) == ownership.ALLOWED


@pytest.mark.parametrize("where", ["remote", "home"])
def test_prune_deletes_deepest_first_then_by_name(tmp_path: Path, jenkins: FakeJenkins, where: str) -> None:
    home = tmp_path / "home"
    target = remote(jenkins) if where == "remote" else JenkinsHome(home)
    sync(inventory(tmp_path), target)
    ours = ownership_line("docker")
    put_job = jenkins.put_job if where == "remote" else (lambda name, xml: home_put(home, name, xml))
    put_folder = jenkins.put_folder if where == "remote" else (lambda name, xml: home_put(home, name, xml))
    # a long name at depth 1 and a short one at depth 2: deepest first is not longest first
    put_job("docker/a-rather-long-name", job_xml(ours))
    put_folder("docker/s", folder_xml(ours))
    put_job("docker/s/b", job_xml(ours))
    put_job("docker/s/keep", job_xml("made by hand"))
    put_job("docker/zz", job_xml(ours))
    plan, result = sync(inventory(tmp_path), target, prune=True)
    assert plan.names("delete") == ["docker/s/b", "docker/a-rather-long-name", "docker/zz"]
    assert sorted(result.delete) == ["docker/a-rather-long-name", "docker/s/b", "docker/zz"]
    assert any(note.startswith("kept folder docker/s: it holds docker/s/keep (not managed") for note in plan.notes)


class ReversedHome(JenkinsHome):
    """A JENKINS_HOME target that lists its items in reverse order (the Target protocol promises no order)."""

    def list_items(self, depth: int) -> list[Any]:
        return list(reversed(super().list_items(depth)))


def test_a_kept_folder_s_note_lists_what_it_holds_by_name_whatever_the_listing_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sync(inventory(tmp_path), JenkinsHome(home))
    ours = ownership_line("docker")
    home_put(home, "docker/old", folder_xml(ours))
    home_put(home, "docker/old/a", job_xml("made by hand"))
    home_put(home, "docker/old/b", job_xml(ownership_line("team-b")))
    plan, result = sync(inventory(tmp_path), ReversedHome(home), prune=True)
    assert result.delete == [] and result.ok
    assert [note for note in plan.notes if note.startswith("kept folder")] == [
        "kept folder docker/old: it holds docker/old/a (not managed by jenkins-docker (hand-made)), docker/old/b "
        "(owned by another inventory (owner 'team-b', see jenkins.owner)); prune deletes a folder only when "
        "everything in it is this inventory's and goes too"]


def test_kept_folders_are_noted_deepest_first_then_by_name(tmp_path: Path, jenkins: FakeJenkins) -> None:
    client = remote(jenkins)
    sync(inventory(tmp_path), client)
    ours = ownership_line("docker")
    jenkins.put_folder("docker/a-rather-long-folder", folder_xml(ours))   # depth 1, a long name
    jenkins.put_job("docker/a-rather-long-folder/h", job_xml("made by hand"))
    jenkins.put_folder("docker/s", folder_xml(ours))
    jenkins.put_folder("docker/s/t", folder_xml(ours))                     # depth 2, a short name
    jenkins.put_job("docker/s/t/h", job_xml("made by hand"))
    plan, result = sync(inventory(tmp_path), client, prune=True)
    kept = [note.split(":")[0] for note in plan.notes if note.startswith("kept folder")]
    assert kept == ["kept folder docker/s/t", "kept folder docker/a-rather-long-folder", "kept folder docker/s"]
    assert result.delete == []
