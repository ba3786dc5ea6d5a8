"""What a real Jenkins does with our XML (issue 10): the fake does it, and the project copes.

Each ``test_fake_*`` shows the fake Jenkins reproduces one behaviour read in Jenkins's or a
plugin's source (cited where the fake implements it); each other test shows jenkins-docker
copes with that behaviour, over real HTTP against the fake.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import requests

from jenkins_docker import RemoteJenkins, apply, load, make_plan, render, xmlcompare
from jenkins_docker.targets.remote import XML_CONTENT_TYPE, Credentials
from jenkins_docker.testing.fake_jenkins import FakeJenkins

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.fixture
def jenkins() -> Iterator[FakeJenkins]:
    with FakeJenkins(tokens={"admin": "admin-token"}) as fake:
        yield fake


def remote(fake: FakeJenkins) -> RemoteJenkins:
    return RemoteJenkins(fake.url, Credentials(*AUTH), backoff=0.01)


def write(tmp_path: Path, text: str, name: str = "inventory.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def sync(path: Path, target: RemoteJenkins):
    inventory = load(path)
    plan = make_plan(render(inventory), target, folder=inventory.jenkins.folder)
    return plan, apply(plan, target)


def replan(path: Path, target: RemoteJenkins):
    inventory = load(path)
    return make_plan(render(inventory), target, folder=inventory.jenkins.folder)


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
    again = replan(path, target)
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
    plan = replan(path, target)
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
    assert not replan(path, target).has_changes
    for name in jenkins.job_names():
        jenkins.put_job(name, jenkins.get_config(name).replace("<description>", "<description>(edited) ", 1))
    _, second = sync(path, target)
    assert second.ok and len(second.update) == len(jenkins.job_names())
    plan = replan(path, target)
    assert not plan.has_changes, [c.diff for c in plan.changes]


def test_no_log_rotator_writes_remove_last_build() -> None:
    inventory = load(ROOT / "examples" / "iiiepe" / "inventory.yml")
    jobs = render(inventory).jobs
    assert any("hudson.tasks.LogRotator" in job.xml for job in jobs)
    assert not any("removeLastBuild" in job.xml for job in jobs)
