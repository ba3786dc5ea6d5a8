"""What a real Jenkins does with our XML (issue 10): the fake does it, and the project copes.

Each ``test_fake_*`` shows the fake Jenkins reproduces one behaviour read in Jenkins's or a
plugin's source (cited where the fake implements it); each other test shows jenkins-docker
copes with that behaviour, over real HTTP against the fake.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from helpers import BASE_IMAGES, REGISTRY, ROOT, braced, env_for, plan_for, remote, sync, write
from jenkins_docker import RemoteJenkins, apply, load, make_plan, render
from jenkins_docker.sync import xmlcompare
from jenkins_docker.sync.targets.remote import XML_CONTENT_TYPE
from jenkins_docker.testing.fake_jenkins import FakeJenkins

AUTH = ("admin", "admin-token")

NON_ASCII = """\
version: 1
jenkins:
  folder: Educación/Imágenes
  view: Vistas ñandú
  git_credentials: gitlab-ssh
  gitlab_connection: gitlab
registries:
  private: {host: registry.example.org, credentials: registry-push}
defaults:
  registry: private
base_images:
  acme/base:
    git: git@gitlab.example.org:docker/base.git
    from: debian:bookworm
    build_args: {SALUDO: "¡Hola, señor Müller! 日本語 ✓"}
apps:
  portal:
    git: git@gitlab.example.org:web/portal.git
    from: acme/base
    deploy: ./deploy.sh «portal»
    env: {TITULO: "Educación"}
"""


FREESTYLE = "<project><description>{}</description></project>"


# -- charset of updates --------------------------------------------------------------------------

def test_fake_decodes_an_update_without_charset_as_iso_8859_1(jenkins: FakeJenkins) -> None:
    jenkins.put_job("x", FREESTYLE.format("plain"))
    body = FREESTYLE.format("Educación").encode("utf-8")
    requests.post(jenkins.url + "job/x/config.xml", data=body, auth=AUTH,
                  headers={"Content-Type": "application/xml"}).raise_for_status()
    assert "<description>EducaciÃ³n</description>" in jenkins.get_config("x")


def test_fake_decodes_an_update_with_charset_utf_8_as_utf_8(jenkins: FakeJenkins) -> None:
    jenkins.put_job("x", FREESTYLE.format("plain"))
    body = FREESTYLE.format("Educación").encode("utf-8")
    requests.post(jenkins.url + "job/x/config.xml", data=body, auth=AUTH,
                  headers={"Content-Type": "application/xml; charset=UTF-8"}).raise_for_status()
    assert "<description>Educación</description>" in jenkins.get_config("x")


def test_fake_reads_a_create_as_bytes_whatever_the_content_type_says(jenkins: FakeJenkins) -> None:
    body = ("<?xml version='1.0' encoding='UTF-8'?>" + FREESTYLE.format("Educación")).encode("utf-8")
    requests.post(jenkins.url + "createItem?name=x", data=body, auth=AUTH,
                  headers={"Content-Type": "application/xml"}).raise_for_status()
    assert "<description>Educación</description>" in jenkins.get_config("x")


def test_fake_decodes_a_view_update_without_charset_as_iso_8859_1(jenkins: FakeJenkins) -> None:
    view = "<hudson.model.ListView><name>v</name><description>{}</description></hudson.model.ListView>"
    requests.post(jenkins.url + "createView?name=v", data=view.format("a").encode(), auth=AUTH,
                  headers={"Content-Type": "application/xml"}).raise_for_status()
    requests.post(jenkins.url + "view/v/config.xml", data=view.format("ñandú").encode("utf-8"), auth=AUTH,
                  headers={"Content-Type": "application/xml"}).raise_for_status()
    assert "<description>Ã±andÃº</description>" in jenkins.views()["v"]


def test_every_xml_post_says_charset_utf_8() -> None:
    assert XML_CONTENT_TYPE == "application/xml; charset=UTF-8"


def test_non_ascii_text_survives_an_update_of_every_job_and_view(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = write(tmp_path, NON_ASCII)
    target = remote(jenkins)
    sync(path, target)
    # Force an update of everything: each item's description is edited by hand (above the
    # ownership line, which keeps the item ours).
    for name in [*jenkins.folder_names(), *jenkins.job_names()]:
        config = jenkins.get_config(name).replace("<description>", "<description>(edited) ", 1)
        jenkins.put_job(name, config) if name in jenkins.job_names() else jenkins.put_folder(name, config)
    plan, result = sync(path, target)
    assert result.ok and len(result.update) == len(jenkins.job_names()) + len(jenkins.folder_names())
    again = plan_for(path, target)
    assert not again.has_changes, [c.diff for c in again.changes]
    assert "SALUDO=¡Hola, señor Müller! 日本語 ✓" in jenkins.get_config("Educación/Imágenes/acme-base")
    assert "./deploy.sh «portal»" in jenkins.get_config("Educación/Imágenes/portal-deploy")
    for job in render(load(path)).jobs:  # the text read back is the text rendered
        live = xmlcompare.parse(jenkins.get_config(job.full_name))
        assert live.findtext("description") == xmlcompare.parse(job.xml).findtext("description")
    assert "Vistas ñandú" in jenkins.get_config("Educación/Imágenes")


# -- folders converge -------------------------------------------------------------------------------

def test_fake_renames_a_primary_all_view_called_All_to_all(jenkins: FakeJenkins) -> None:
    folder = """<com.cloudbees.hudson.plugins.folder.Folder><folderViews class="com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder">
      <views><hudson.model.AllView><name>All</name></hudson.model.AllView></views>
      <primaryView>All</primaryView></folderViews></com.cloudbees.hudson.plugins.folder.Folder>"""
    jenkins.put_folder("f", folder)
    config = jenkins.get_config("f")
    assert "<name>all</name>" in config and "<primaryView>all</primaryView>" in config
    assert "<name>All</name>" not in config


def test_fake_keeps_All_when_it_is_not_the_primary_view(jenkins: FakeJenkins) -> None:
    folder = """<com.cloudbees.hudson.plugins.folder.Folder><folderViews class="com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder">
      <views><hudson.model.AllView><name>All</name></hudson.model.AllView>
      <hudson.model.ListView><name>mine</name></hudson.model.ListView></views>
      <primaryView>mine</primaryView></folderViews></com.cloudbees.hudson.plugins.folder.Folder>"""
    jenkins.put_folder("f", folder)
    assert "<name>All</name>" in jenkins.get_config("f")


def test_managed_folders_converge_and_carry_no_health_metric(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = write(tmp_path, NON_ASCII.replace("Educación/Imágenes", "ops/docker"))
    target = remote(jenkins)
    sync(path, target)
    plan = plan_for(path, target)
    assert not plan.has_changes, [c.diff for c in plan.changes]
    for folder in ("ops", "ops/docker"):
        config = jenkins.get_config(folder)
        assert "<primaryView>all</primaryView>" in config
        assert "HealthMetric" not in config


@pytest.mark.parametrize("example", ["iiiepe", "platform"])
def test_both_examples_converge_after_a_first_sync_and_after_an_update_of_every_job(
        example: str, jenkins: FakeJenkins) -> None:
    path = ROOT / "examples" / example / "inventory.yml"
    target = remote(jenkins)
    _, first = sync(path, target)
    assert first.ok and first.create
    assert not plan_for(path, target).has_changes
    for name in jenkins.job_names():
        jenkins.put_job(name, jenkins.get_config(name).replace("<description>", "<description>(edited) ", 1))
    _, second = sync(path, target)
    assert second.ok and len(second.update) == len(jenkins.job_names())
    plan = plan_for(path, target)
    assert not plan.has_changes, [c.diff for c in plan.changes]


def test_no_log_rotator_writes_remove_last_build() -> None:
    inventory = load(ROOT / "examples" / "iiiepe" / "inventory.yml")
    jobs = render(inventory).jobs
    assert any("hudson.tasks.LogRotator" in job.xml for job in jobs)
    assert not any("removeLastBuild" in job.xml for job in jobs)


# -- GitLab push triggers authenticate ------------------------------------------------------------

SMALL = """\
version: 1
jenkins:
  folder: docker
  job_type: {job_type}
  gitlab_connection: gitlab
  seed_job: {{git: "git@gitlab.example.org:ops/inventory.git"}}
""" + braced(REGISTRY) + BASE_IMAGES + """\
apps:
  portal:
    git: git@gitlab.example.org:web/portal.git
    from: acme/base
    deploy: ./deploy.sh portal
"""

PUSH = b'{"ref": "refs/heads/master", "after": "abc", "user_name": "dev"}'


def sync_with_token(path: Path, target: RemoteJenkins, token: str | None):
    inventory = load(path)
    plan = make_plan(render(inventory, webhook_token=token), target, folder=inventory.jenkins.folder)
    return plan, apply(plan, target)


def hook(fake: FakeJenkins, job: str, token: str | None) -> int:
    headers = {"X-Gitlab-Event": "Push Hook", "Content-Type": "application/json"}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return requests.post(f"{fake.url}project/{job}", data=PUSH, headers=headers).status_code


def test_fake_refuses_an_anonymous_hook_for_a_trigger_without_token(jenkins: FakeJenkins, tmp_path: Path) -> None:
    sync(write(tmp_path, SMALL.format(job_type="freestyle")), remote(jenkins))
    assert hook(jenkins, "docker/acme-base", None) == 403
    assert jenkins.queue() == []


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_sync_with_a_webhook_token_writes_it_into_every_push_trigger(job_type: str, jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.format(job_type=job_type))
    _, result = sync_with_token(path, remote(jenkins), "s3cret-hook")
    assert result.ok
    triggered = [n for n in jenkins.job_names() if "GitLabPushTrigger" in jenkins.get_config(n)]
    assert sorted(triggered) == ["docker/acme-base", "docker/jenkins-docker-seed", "docker/portal"]
    for name in triggered:
        assert "<secretToken>{AQAAAB" in jenkins.get_config(name)
        assert "s3cret-hook" not in jenkins.get_config(name)
    assert hook(jenkins, "docker/portal", "wrong") == 401
    assert hook(jenkins, "docker/portal", "s3cret-hook") == 200
    assert jenkins.queue() == ["docker/portal"]


def test_a_no_op_sync_with_the_token_writes_nothing(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.format(job_type="freestyle"))
    sync_with_token(path, remote(jenkins), "s3cret-hook")
    jenkins.reset_requests()
    plan, result = sync_with_token(path, remote(jenkins), "s3cret-hook")
    assert not plan.has_changes and result.update == []
    assert jenkins.count(method="POST") == 0


def test_adding_a_token_to_jobs_that_had_none_is_a_change_whose_diff_hides_it(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.format(job_type="freestyle"))
    sync_with_token(path, remote(jenkins), None)
    plan = make_plan(render(load(path), webhook_token="s3cret-hook"), remote(jenkins), folder="docker")
    assert sorted(plan.names("update")) == ["docker/acme-base", "docker/jenkins-docker-seed", "docker/portal"]
    diffs = "".join(c.diff for c in plan.changes)
    assert "+" in diffs and "<secretToken>(secret)</secretToken>" in diffs
    assert "s3cret-hook" not in diffs


def test_fake_nulls_out_a_secret_omitted_by_an_update(jenkins: FakeJenkins) -> None:
    trigger = ("<project><triggers><com.dabsquared.gitlabjenkins.GitLabPushTrigger>{}"
               "</com.dabsquared.gitlabjenkins.GitLabPushTrigger></triggers></project>")
    jenkins.put_job("x", trigger.format("<secretToken>ui-token</secretToken>"))
    assert "<secretToken>{" in jenkins.get_config("x")
    requests.post(jenkins.url + "job/x/config.xml", data=trigger.format("").encode(), auth=AUTH,
                  headers={"Content-Type": XML_CONTENT_TYPE}).raise_for_status()
    assert "secretToken" not in jenkins.get_config("x")


def test_a_token_set_in_the_ui_survives_an_update_that_does_not_set_one(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.format(job_type="freestyle"))
    target = remote(jenkins)
    sync_with_token(path, target, None)
    config = jenkins.get_config("docker/portal").replace(
        "<cancelPendingBuildsOnUpdate>", "<secretToken>ui-token</secretToken><cancelPendingBuildsOnUpdate>", 1)
    jenkins.put_job("docker/portal", config)
    assert hook(jenkins, "docker/portal", "ui-token") == 200
    write(tmp_path, SMALL.format(job_type="freestyle").replace("from: acme/base\n", "from: acme/base\n    test: make check\n"))
    plan, result = sync_with_token(path, target, None)
    assert "docker/portal" in result.update
    assert "ui-token" not in "".join(c.diff for c in plan.changes)
    assert "<secretToken>{AQAAAB" in jenkins.get_config("docker/portal")
    assert hook(jenkins, "docker/portal", "ui-token") == 200  # still the token GitLab sends
    assert not plan_for(path, target).has_changes


def test_cli_plan_warns_once_without_a_webhook_token_and_not_with_one(jenkins: FakeJenkins, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    path = write(tmp_path, SMALL.format(job_type="freestyle"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    env.update(env_for(jenkins))

    def run(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jenkins_docker", *args], env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=60)

    for command in (["validate", str(path)], ["plan", str(path)]):
        done = run(*command)
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("no GitLab webhook token") == 1
        assert run(*command, extra={"JENKINS_WEBHOOK_TOKEN": "t"}).stderr.count("webhook token") == 0
    token_file = tmp_path / "hook-token"
    token_file.write_text("file-token\n")
    done = run("sync", str(path), "--webhook-token-file", str(token_file))
    assert done.returncode == 0 and "webhook token" not in done.stderr and "file-token" not in done.stdout + done.stderr
    assert hook(jenkins, "docker/acme-base", "file-token") == 200
    done = run("plan", str(path), "--detailed-exitcode", "--webhook-token-file", str(token_file))
    assert done.returncode == 0, done.stdout


# -- required plugins -------------------------------------------------------------------------------

def test_fake_drops_the_classes_of_an_uninstalled_plugin_with_a_200(tmp_path: Path) -> None:
    plugins = {k: v for k, v in FakeJenkins().plugins.items() if k != "parameterized-trigger"}
    with FakeJenkins(tokens={"admin": "admin-token"}, plugins=plugins) as fake:
        xml = ("<project><publishers><hudson.plugins.parameterizedtrigger.BuildTrigger><configs/>"
               "</hudson.plugins.parameterizedtrigger.BuildTrigger></publishers></project>")
        answer = requests.post(fake.url + "createItem?name=x", data=xml.encode(), auth=AUTH,
                               headers={"Content-Type": XML_CONTENT_TYPE})
        assert answer.status_code == 200
        assert "parameterizedtrigger" not in fake.get_config("x")


def test_a_controller_without_parameterized_trigger_fails_the_sync_before_any_write(tmp_path: Path) -> None:
    plugins = {k: v for k, v in FakeJenkins().plugins.items() if k != "parameterized-trigger"}
    with FakeJenkins(tokens={"admin": "admin-token"}, plugins=plugins) as fake:
        path = write(tmp_path, SMALL.format(job_type="freestyle"))
        with pytest.raises(Exception) as failed:
            sync(path, remote(fake))
        message = str(failed.value)
        assert "\n" not in message
        assert "parameterized-trigger >= " in message and "installed: none" in message
        assert fake.count(method="POST") == 0 and fake.job_names() == []
        # the CLI says it in one line, for plan as for sync, and exits 1
        import os
        import subprocess
        import sys
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")},
               "JENKINS_URL": fake.url, "JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token",
               "JENKINS_WEBHOOK_TOKEN": "t"}
        for command in ("plan", "sync"):
            done = subprocess.run([sys.executable, "-m", "jenkins_docker", command, str(path)], env=env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 1
            failures = [line for line in done.stderr.splitlines() if not line.startswith("warning: ")]
            assert len(failures) == 1 and "parameterized-trigger" in failures[0], done.stderr   # one line names the plugin
        assert fake.count(method="POST") == 0


def test_an_old_or_disabled_plugin_is_named_with_its_installed_version() -> None:
    from jenkins_docker.sync import plugins
    needed = [r for r in plugins.requirements() if r.plugin in ("gitlab-plugin", "git")]
    found = plugins.problems(needed, {"gitlab-plugin": plugins.Installed("1.2.0", True),
                                      "git": plugins.Installed("5.5.2", False)})
    assert found == ["git >= 2.0 for the build, deploy and seed jobs (checkout) (installed: 5.5.2, disabled)",
                     "gitlab-plugin >= 1.4.1 for the push triggers (jenkins.gitlab_connection) (installed: 1.2.0)"]


def test_plugin_versions_compare_by_their_leading_numbers() -> None:
    from jenkins_docker.sync.plugins import version_key
    assert version_key("806.vf6fff3e28c3e") > version_key("2.36")
    assert version_key("1.10") > version_key("1.9.7")
    assert version_key("2.0") == (2, 0)


def test_only_the_plugins_the_rendered_jobs_use_are_required(tmp_path: Path) -> None:
    from jenkins_docker.sync import plugins
    def needed(text: str) -> set[str]:
        return {r.plugin for r in plugins.required(render(load(write(tmp_path, text))).jobs)}

    freestyle = needed(SMALL.format(job_type="freestyle"))
    assert freestyle == {"cloudbees-folder", "git", "credentials-binding", "gitlab-plugin", "parameterized-trigger"}
    pipeline = needed(SMALL.format(job_type="pipeline"))
    assert {"workflow-job", "workflow-cps", "pipeline-build-step", "git", "credentials-binding"} <= pipeline
    assert "parameterized-trigger" not in pipeline
    bare = needed(SMALL.format(job_type="freestyle").replace("  folder: docker\n", "").replace("  gitlab_connection: gitlab\n", ""))
    assert "cloudbees-folder" not in bare and "gitlab-plugin" not in bare


def test_a_sync_with_all_plugins_present_reads_the_plugin_list_once(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.format(job_type="freestyle"))
    sync(path, remote(jenkins))
    assert jenkins.count(path="^/pluginManager/api/json$") == 1
    jenkins.reset_requests()
    sync(path, remote(jenkins))
    assert jenkins.count(path="^/pluginManager/api/json$") == 1
    assert jenkins.count(method="POST") == 0


# -- names that cannot be shadowed -------------------------------------------------------------------

def downstream(fake: FakeJenkins, job: str) -> list[str]:
    path = "".join(f"job/{p}/" for p in job.split("/"))
    data = requests.get(f"{fake.url}{path}api/json?tree=downstreamProjects[fullName]", auth=AUTH).json()
    return sorted(d["fullName"] for d in data["downstreamProjects"])


def trigger_job(children: str) -> str:
    return (f"<project><publishers><hudson.tasks.BuildTrigger><childProjects>{children}</childProjects>"
            "<threshold><name>SUCCESS</name><ordinal>0</ordinal><color>BLUE</color><completeBuild>true</completeBuild>"
            "</threshold></hudson.tasks.BuildTrigger></publishers></project>")


def test_fake_resolves_a_relative_name_in_the_callers_folder_first(jenkins: FakeJenkins) -> None:
    jenkins.put_folder("docker")
    jenkins.put_job("docker/x", "<project/>")
    jenkins.put_job("x", "<project/>")
    jenkins.put_job("docker/up", trigger_job("x"))
    assert downstream(jenkins, "docker/up") == ["docker/x"]


def test_fake_lets_a_job_shadow_the_folder_of_the_same_name(jenkins: FakeJenkins) -> None:
    jenkins.put_folder("docker")
    jenkins.put_job("docker/x", "<project/>")
    jenkins.put_job("docker/up", trigger_job("docker/x"))
    assert downstream(jenkins, "docker/up") == ["docker/x"]  # docker/docker/x is missing: full name
    jenkins.put_job("docker/docker", "<project/>")            # now "docker" names a job there
    assert downstream(jenkins, "docker/up") == []
    jenkins.put_job("docker/up", trigger_job("/docker/x"))     # a leading / is absolute
    assert downstream(jenkins, "docker/up") == ["docker/x"]


def test_fake_splits_child_projects_and_parameterized_projects_at_commas(jenkins: FakeJenkins) -> None:
    for name in ("a", "b", "c", "d"):
        jenkins.put_job(name, "<project/>")
    jenkins.put_job("up", trigger_job(" a , b"))
    assert downstream(jenkins, "up") == ["a", "b"]
    jenkins.put_job("deployer", """<project><publishers><hudson.plugins.parameterizedtrigger.BuildTrigger><configs>
      <hudson.plugins.parameterizedtrigger.BuildTriggerConfig><projects>c,d</projects><condition>SUCCESS</condition>
      </hudson.plugins.parameterizedtrigger.BuildTriggerConfig></configs></hudson.plugins.parameterizedtrigger.BuildTrigger>
      </publishers></project>""")
    assert downstream(jenkins, "deployer") == ["c", "d"]


LAYOUT_WITH_A_SHADOW = """\
version: 1
jenkins:
  folder: docker
registries:
  private: {host: registry.example.org, credentials: registry-push}
defaults:
  registry: private
base_images:
  docker:
    git: git@gitlab.example.org:docker/docker.git
    from: debian:bookworm
  acme/base:
    git: git@gitlab.example.org:docker/base.git
    from: debian:bookworm
apps:
  portal:
    git: git@gitlab.example.org:web/portal.git
    from: acme/base
    deploy: ./deploy.sh portal
"""


def test_a_job_named_like_its_folder_shadows_none_of_the_cascade_or_the_deploy(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, LAYOUT_WITH_A_SHADOW)
    _, result = sync(path, remote(jenkins))
    assert result.ok and "docker/docker" in jenkins.job_names()
    assert downstream(jenkins, "docker/acme-base") == ["docker/portal"]
    assert downstream(jenkins, "docker/portal") == ["docker/portal-deploy"]


def test_pipeline_build_steps_name_their_jobs_absolutely(tmp_path: Path) -> None:
    from simulator import read_jobset
    jobs = render(load(write(tmp_path, LAYOUT_WITH_A_SHADOW.replace("  folder: docker\n", "  folder: docker\n  job_type: pipeline\n"))))
    specs = read_jobset(jobs)
    assert specs["docker/acme-base"].waves == [["/docker/portal"]]
    assert specs["docker/portal"].deploys[0][0] == "/docker/portal-deploy"


# -- names and text Jenkins changes ---------------------------------------------------------------------

def test_fake_trims_the_name_of_a_created_item(jenkins: FakeJenkins) -> None:
    requests.post(jenkins.url + "createItem?name=" + requests.utils.quote("portal "), data=b"<project/>", auth=AUTH,
                  headers={"Content-Type": XML_CONTENT_TYPE}).raise_for_status()
    assert jenkins.job_names() == ["portal"]


def test_fake_answers_a_control_character_as_an_xml_1_1_reference(jenkins: FakeJenkins) -> None:
    jenkins.put_job("x", "<?xml version='1.1'?>" + FREESTYLE.format("a&#x1b;b"))
    config = requests.get(jenkins.url + "job/x/config.xml", auth=AUTH).text
    assert config.startswith('<?xml version="1.1"') and "<description>a&#x1b;b</description>" in config


def test_a_live_config_with_an_xml_1_1_control_character_is_an_update_not_a_replace(jenkins: FakeJenkins, tmp_path: Path) -> None:
    path = write(tmp_path, SMALL.format(job_type="freestyle"))
    target = remote(jenkins)
    sync(path, target)
    config = jenkins.get_config("docker/portal").replace("<description>", "<description>&#x1b;[31m", 1)
    jenkins.put_job("docker/portal", config)
    assert "&#x1b;[31m" in jenkins.get_config("docker/portal")
    plan = plan_for(path, target)
    assert [(c.action, c.name) for c in plan.changes] == [("update", "docker/portal")]
    _, result = sync(path, target)
    assert result.update == ["docker/portal"] and not plan_for(path, target).has_changes


# -- cascade promises: the simulator agrees with the README ------------------------------------------

def test_a_push_started_build_never_merges_with_one_an_upstream_queued(tmp_path: Path) -> None:
    from simulator import Simulator, read_jobset
    jobs = read_jobset(render(load(write(tmp_path, SMALL.format(job_type="freestyle")))))
    merged = Simulator(jobs, executors=1, durations=lambda job: 5.0)
    merged.schedule("docker/acme-base")
    merged.at(1.0, lambda: merged.schedule("docker/portal"))    # a trigger-like start: merges
    assert [b.job for b in merged.run()].count("docker/portal") == 1
    pushed = Simulator(jobs, executors=1, durations=lambda job: 5.0)
    pushed.schedule("docker/acme-base")
    pushed.at(1.0, lambda: pushed.push("docker/portal"))        # a GitLab push: builds on its own
    assert [b.job for b in pushed.run()].count("docker/portal") == 2


# -- the seed job knows where Jenkins is ---------------------------------------------------------------

def seed_command(tmp_path: Path, seed: str) -> str:
    text = SMALL.format(job_type="freestyle").replace(
        '  seed_job: {git: "git@gitlab.example.org:ops/inventory.git"}', f"  seed_job: {seed}")
    job = render(load(write(tmp_path, text))).by_name()["docker/jenkins-docker-seed"]
    return xmlcompare.parse(job.xml).findtext("builders/hudson.tasks.Shell/command") or ""


def test_the_seed_job_syncs_to_the_inventory_s_jenkins_url(tmp_path: Path) -> None:
    command = seed_command(tmp_path, '{git: "git@gitlab.example.org:ops/inventory.git", jenkins_url: "https://ci.example.org/"}')
    assert "--jenkins https://ci.example.org/ --prune" in command
    assert "$JENKINS_URL" not in command


def test_without_a_url_the_seed_job_uses_jenkins_url_and_stops_clearly_when_it_is_unset(tmp_path: Path) -> None:
    import subprocess
    command = seed_command(tmp_path, '{git: "git@gitlab.example.org:ops/inventory.git"}')
    assert '--jenkins "${JENKINS_URL:?' in command
    probe = command[command.index('"${JENKINS_URL'):command.index(" --prune")]
    unset = subprocess.run(["sh", "-c", f"echo {probe}"], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert unset.returncode != 0 and "seed_job.jenkins_url" in unset.stderr
    given = subprocess.run(["sh", "-c", f"echo {probe}"], env={"PATH": "/usr/bin:/bin", "JENKINS_URL": "https://x/"},
                           capture_output=True, text=True)
    assert given.stdout.strip() == "https://x/"


def test_a_seed_job_url_with_credentials_or_no_scheme_is_refused_at_its_line(tmp_path: Path) -> None:
    from jenkins_docker.loading.loader import check
    for url in ("https://admin:t@ci.example.org/", "ci.example.org"):
        text = SMALL.format(job_type="freestyle").replace(
            '  seed_job: {git: "git@gitlab.example.org:ops/inventory.git"}',
            f'  seed_job: {{git: "git@gitlab.example.org:ops/inventory.git", jenkins_url: "{url}"}}')
        report = check(write(tmp_path, text))
        assert [(p.location.line, "jenkins_url" in p.message) for p in report.errors] == [(6, True)]


def test_the_watch_job_rebuilds_against_the_same_jenkins_url(tmp_path: Path) -> None:
    text = SMALL.format(job_type="freestyle").replace(
        '  seed_job: {git: "git@gitlab.example.org:ops/inventory.git"}',
        '  seed_job: {git: "git@gitlab.example.org:ops/inventory.git", jenkins_url: "https://ci.example.org/"}\n'
        '  watch: {schedule: "H/30 * * * *"}')
    jobs = render(load(write(tmp_path, text))).jobs
    watch = [job for job in jobs if "rebuild --outdated" in job.xml]
    assert len(watch) == 1
    assert "--jenkins https://ci.example.org/" in xmlcompare.parse(watch[0].xml).findtext(".//hudson.tasks.Shell/command")


# -- done when: the command line converges on all three inventories --------------------------------------

def test_cli_plan_detailed_exitcode_is_0_right_after_a_sync_and_after_an_update_of_every_job(
        jenkins: FakeJenkins, tmp_path: Path) -> None:
    # The examples go through the same plan in test_both_examples_converge_... (API level).
    import os
    import subprocess
    import sys

    path = write(tmp_path, NON_ASCII)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")},
           "JENKINS_URL": jenkins.url, "JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token",
           "JENKINS_WEBHOOK_TOKEN": "hook-token"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jenkins_docker", *args, str(path)], env=env,
                              capture_output=True, text=True, timeout=120)

    assert run("sync").returncode == 0
    done = run("plan", "--detailed-exitcode")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in jenkins.job_names():  # an edit above the ownership line makes every job drift
        jenkins.put_job(name, jenkins.get_config(name).replace("<description>", "<description>edited ", 1))
    assert run("plan", "--detailed-exitcode").returncode == 2
    synced = run("sync", "--format", "json")
    assert synced.returncode == 0
    import json
    assert len(json.loads(synced.stdout)["update"]) == len(jenkins.job_names())
    done = run("plan", "--detailed-exitcode")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_user_who_may_not_read_the_plugin_list_still_syncs_unchecked(jenkins: FakeJenkins, tmp_path: Path) -> None:
    # pluginManager/api/json needs Overall/SystemRead (hudson/PluginManager.java getApi)
    jenkins.inject_fault(method="GET", path="^/pluginManager/", status=403, body="anonymous is missing the Overall/SystemRead permission")
    _, result = sync(write(tmp_path, SMALL.format(job_type="freestyle")), remote(jenkins))
    assert result.ok and "docker/portal" in jenkins.job_names()
