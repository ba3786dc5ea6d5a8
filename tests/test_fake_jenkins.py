"""The fake Jenkins behaves like Jenkins for python-jenkins and for plain HTTP clients."""
from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from typing import Iterator
from xml.sax.saxutils import escape

import jenkins
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import parse
from jenkins_docker.testing import FakeJenkins
from jenkins_docker.testing.jenkins_store import JenkinsStore
from jenkins_docker.testing.plugin import ADMIN_PASSWORD, ADMIN_TOKEN, ADMIN_USER

FREESTYLE = """<?xml version='1.0' encoding='UTF-8'?>
<!-- managed by jenkins-docker -->
<project>
  <builders>
    <hudson.tasks.Shell>
      <command>docker build --pull .\r\necho 'built "it"'&#13;</command>
    </hudson.tasks.Shell>
  </builders>
  <description>It's "acme"</description>
  <properties>
    <com.dabsquared.gitlabjenkins.connection.GitLabConnectionProperty plugin="gitlab-plugin@1.0">
      <gitLabConnection>gitlab</gitLabConnection>
    </com.dabsquared.gitlabjenkins.connection.GitLabConnectionProperty>
  </properties>
  <scm class="hudson.plugins.git.GitSCM">
    <configVersion>2</configVersion>
    <userRemoteConfigs>
      <hudson.plugins.git.UserRemoteConfig>
        <url>git@gitlab.example.org:docker/nginx.git</url>
        <credentialsId>gitlab-ssh</credentialsId>
      </hudson.plugins.git.UserRemoteConfig>
    </userRemoteConfigs>
    <branches>
      <hudson.plugins.git.BranchSpec><name>*/master</name></hudson.plugins.git.BranchSpec>
    </branches>
    <doGenerateSubmoduleConfigurations>false</doGenerateSubmoduleConfigurations>
    <submoduleCfg class="empty-list"/>
    <extensions/>
  </scm>
  <assignedNode>docker</assignedNode>
  <canRoam>false</canRoam>
  <triggers>
    <com.dabsquared.gitlabjenkins.GitLabPushTrigger>
      <spec></spec>
      <triggerOnPush>true</triggerOnPush>
      <secretToken>hook-secret</secretToken>
    </com.dabsquared.gitlabjenkins.GitLabPushTrigger>
  </triggers>
  <buildWrappers>
    <org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper>
      <bindings>
        <org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding>
          <credentialsId>registry-push</credentialsId>
          <usernameVariable>REGISTRY_USER</usernameVariable>
          <passwordVariable>REGISTRY_PASSWORD</passwordVariable>
        </org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding>
      </bindings>
    </org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper>
  </buildWrappers>
  <blockBuildWhenUpstreamBuiding>true</blockBuildWhenUpstreamBuiding>
</project>"""

PIPELINE = """<flow-definition>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition">
    <script>node { sh 'make' }</script>
    <sandbox>true</sandbox>
  </definition>
</flow-definition>"""

CHILD_OF = "<project><publishers><hudson.tasks.BuildTrigger><childProjects>{}</childProjects>" \
           "<threshold><ordinal>0</ordinal></threshold></hudson.tasks.BuildTrigger></publishers></project>"


@pytest.fixture
def server() -> Iterator[FakeJenkins]:
    with FakeJenkins(users={ADMIN_USER: ADMIN_PASSWORD}, tokens={ADMIN_USER: ADMIN_TOKEN}) as fake:
        yield fake


@pytest.fixture
def client(server: FakeJenkins) -> jenkins.Jenkins:
    """python-jenkins logged in with the API token."""
    return jenkins.Jenkins(server.url, ADMIN_USER, ADMIN_TOKEN)


def http(server: FakeJenkins, method: str, path: str, *, secret: str = ADMIN_TOKEN, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", 5)
    return requests.request(method, server.url + path, auth=(ADMIN_USER, secret), allow_redirects=False, **kwargs)


def xml_post(server: FakeJenkins, path: str, xml: str, **kwargs) -> requests.Response:
    headers = {"Content-Type": "application/xml", **kwargs.pop("headers", {})}
    return http(server, "POST", path, data=xml.encode("utf-8"), headers=headers, **kwargs)


def meaning(xml: str) -> ET.Element:
    """A config as a tree without plugin attributes or whitespace, for comparing meanings."""
    root = parse(xml)
    for el in root.iter():
        el.attrib.pop("plugin", None)
        el.text = el.text if el.text and el.text.strip() else None
        el.tail = None
    return root


# -- config.xml is XStream's re-serialisation ------------------------------------------------------

def test_get_config_is_the_reserialised_job_not_the_posted_text(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    config = client.get_job_config("acme-nginx")
    assert config != FREESTYLE
    assert config.startswith('<?xml version="1.1" encoding="UTF-8"?>\n<project>\n  <actions/>\n')
    assert config.endswith("</project>")
    assert "managed by jenkins-docker" not in config
    assert "\n      <hudson.plugins.git.UserRemoteConfig>\n        <url>" in config, "two-space indentation"
    assert all(re.match(r"^( {2})*\S", line) for line in config.splitlines())


def test_get_config_escapes_quotes_and_turns_a_shell_steps_line_ends_into_lf(client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    config = client.get_job_config("acme-nginx")
    assert "<description>It&apos;s &quot;acme&quot;</description>" in config
    # A shell step's line ends all become LF (Shell.readResolve -> LineEndingConversion, Unix),
    # a trailing CR written as a character reference included.
    assert "<command>docker build --pull .\necho &apos;built &quot;it&quot;&apos;\n</command>" in config
    assert "<description>It&apos;s &quot;acme&quot;</description>" in config


def test_fields_come_back_in_java_declaration_order_with_omitted_ones_filled(client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    root = parse(client.get_job_config("acme-nginx"))
    assert [child.tag for child in root] == [
        "actions", "description", "keepDependencies", "properties", "scm", "assignedNode", "canRoam", "disabled",
        "blockBuildWhenDownstreamBuilding", "blockBuildWhenUpstreamBuilding", "triggers", "concurrentBuild",
        "builders", "publishers", "buildWrappers"]
    assert root.findtext("blockBuildWhenUpstreamBuilding") == "false", "the misspelt element vanished"
    trigger = root.find("triggers/com.dabsquared.gitlabjenkins.GitLabPushTrigger")
    assert trigger is not None and trigger.findtext("triggerOnMergeRequest") == "false"
    assert trigger.findtext("branchFilterType") == "All"


def test_plugin_attribute_marks_only_where_the_owning_plugin_changes(client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    config = client.get_job_config("acme-nginx")
    assert '<scm class="hudson.plugins.git.GitSCM" plugin="git@5.5.2">' in config
    assert "<hudson.plugins.git.UserRemoteConfig>" in config
    assert 'GitLabConnectionProperty plugin="gitlab-plugin@1.8.1">' in config
    assert re.search(r'SecretBuildWrapper plugin="credentials-binding@[^"]+">', config)
    assert "<hudson.tasks.Shell>" in config


def test_classes_of_plugins_not_installed_vanish_and_the_post_still_succeeds(server: FakeJenkins) -> None:
    plugins = {k: v for k, v in server.plugins.items() if k != "gitlab-plugin"}
    with FakeJenkins(tokens={"admin": "t"}, plugins=plugins) as bare:
        client = jenkins.Jenkins(bare.url, "admin", "t")
        client.create_job("acme-nginx", FREESTYLE)
        config = client.get_job_config("acme-nginx")
    assert "gitlabjenkins" not in config
    assert "<triggers/>" in config and "<properties/>" in config


def test_pipeline_root_carries_its_plugin_and_legacy_fields_move_into_properties(client: jenkins.Jenkins) -> None:
    client.create_job("portal", PIPELINE.replace("</flow-definition>",
                                                 "<concurrentBuild>false</concurrentBuild></flow-definition>"))
    config = client.get_job_config("portal")
    assert config.split("\n")[1] == '<flow-definition plugin="workflow-job@1400.v7fd111b_ec82f">'
    assert 'class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps@' in config
    assert "<script>node { sh &apos;make&apos; }</script>" in config
    assert "DisableConcurrentBuildsJobProperty" in config and "<concurrentBuild>" not in config


def test_secret_comes_back_encrypted_and_reposting_it_keeps_the_secret(server: FakeJenkins,
                                                                      client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    config = client.get_job_config("acme-nginx")
    token = re.search(r"<secretToken>(.*)</secretToken>", config)
    assert token and token.group(1).startswith("{AQAAABAAAA") and "hook-secret" not in config
    client.reconfig_job("acme-nginx", config)
    assert client.get_job_config("acme-nginx") == config
    response = requests.post(server.url + "project/acme-nginx", json={"ref": "refs/heads/master"}, timeout=5,
                             headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "hook-secret"})
    assert response.status_code == 200 and server.queue() == ["acme-nginx"]


def test_gitlab_webhook_needs_the_secret_token_and_honours_the_branch_filter(server: FakeJenkins) -> None:
    server.put_job("acme-nginx", FREESTYLE.replace("<secretToken>", "<branchFilterType>NameBasedFilter"
                                                   "</branchFilterType><includeBranchesSpec>master"
                                                   "</includeBranchesSpec><secretToken>"))

    def push(token: str, ref: str) -> int:
        return requests.post(server.url + "project/acme-nginx", json={"ref": ref}, timeout=5,
                             headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": token}).status_code

    assert push("wrong", "refs/heads/master") == 401
    assert push("hook-secret", "refs/heads/feature") == 200 and server.queue() == []
    assert push("hook-secret", "refs/heads/master") == 200 and server.queue() == ["acme-nginx"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40))
def test_any_description_survives_the_round_trip_except_crlf(server: FakeJenkins, text: str) -> None:
    xml_safe = "".join(c for c in text if c in "\t\n\r" or (ord(c) >= 0x20 and c not in "\ufffe\uffff"))
    encoded = escape(xml_safe).replace("\r", "&#13;")
    server.put_job("job", f"<project><description>{encoded}</description></project>")
    config = server.get_config("job")
    assert parse(config).findtext("description") == xml_safe
    server.put_job("job", config)
    assert server.get_config("job") == config


# -- create, update, delete ----------------------------------------------------------------------

def test_update_replaces_the_job_and_resets_fields_it_omits(client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    client.reconfig_job("acme-nginx", "<project><description>v2</description></project>")
    config = client.get_job_config("acme-nginx")
    assert "<description>v2</description>" in config
    assert '<scm class="hudson.scm.NullSCM"/>' in config and "<builders/>" in config


def test_changing_the_job_type_is_refused_with_500_and_the_job_stays(server: FakeJenkins,
                                                                   client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    before = client.get_job_config("acme-nginx")
    response = xml_post(server, "job/acme-nginx/config.xml", PIPELINE)
    assert response.status_code == 500
    assert ("Expecting class hudson.model.FreeStyleProject but got class "
            "org.jenkinsci.plugins.workflow.job.WorkflowJob") in response.text
    with pytest.raises(jenkins.JenkinsException, match=r"\[500\]"):
        client.reconfig_job("acme-nginx", PIPELINE)
    assert client.get_job_config("acme-nginx") == before


def test_malformed_xml_is_500_and_creates_or_changes_nothing(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    assert xml_post(server, "createItem?name=broken", "<project><description>").status_code == 500
    assert server.job_names() == []
    client.create_job("acme-nginx", FREESTYLE)
    before = client.get_job_config("acme-nginx")
    assert xml_post(server, "job/acme-nginx/config.xml", "<project></projekt>").status_code == 500
    assert client.get_job_config("acme-nginx") == before


def test_jobs_live_in_folders_and_deleting_a_folder_deletes_its_contents(server: FakeJenkins,
                                                                        client: jenkins.Jenkins) -> None:
    client.create_folder("docker")
    client.create_job("docker/acme-nginx", FREESTYLE)
    client.create_job("docker/portal", PIPELINE)
    assert server.job_names() == ["docker/acme-nginx", "docker/portal"] and server.folder_names() == ["docker"]
    assert client.get_job_info("docker/acme-nginx")["fullName"] == "docker/acme-nginx"
    response = http(server, "POST", "job/docker/doDelete")
    assert response.status_code == 302 and response.headers["Location"] == server.url
    assert server.job_names() == [] and server.folder_names() == []


def test_creating_in_a_missing_folder_is_404(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    assert xml_post(server, "job/nowhere/createItem?name=x", FREESTYLE).status_code == 404
    with pytest.raises(jenkins.JenkinsException, match="folder for the job does not exist"):
        client.create_job("nowhere/x", FREESTYLE)


def test_a_name_taken_in_any_case_is_400_with_x_error(server: FakeJenkins) -> None:
    assert xml_post(server, "createItem?name=Acme", FREESTYLE).status_code == 200
    response = xml_post(server, "createItem?name=ACME", FREESTYLE)
    assert response.status_code == 400
    # Jetty writes characters above U+00FF in headers as spaces; the page keeps the quotes.
    assert response.headers["X-Error"].startswith("A job already exists with the name  ACME")
    assert "A job already exists with the name ‘ACME’" in response.text
    assert http(server, "GET", "job/aCmE/api/json?tree=name").json()["name"] == "Acme"


@pytest.mark.parametrize("name, message", [
    ("a?b", "‘?’ is an unsafe character"), ("a/b", "‘/’ is an unsafe character"),
    (".", "“.” is not an allowed name"), ("name.", "A name cannot end with ‘.’"),
    ("a\x01b", "No control code is allowed: a\\u1;b"), ("", "No name is specified")])
def test_bad_names_are_refused_as_check_good_name_does(server: FakeJenkins, name: str, message: str) -> None:
    response = xml_post(server, "createItem", FREESTYLE, params={"name": name})
    assert response.status_code == 400 and message in response.text and "X-Error" in response.headers
    assert server.job_names() == []


def test_python_jenkins_lets_a_400_through_as_http_error(client: jenkins.Jenkins) -> None:
    with pytest.raises(requests.HTTPError) as raised:
        client.create_view("a?b", jenkins.EMPTY_VIEW_CONFIG_XML)
    assert raised.value.response.status_code == 400


def test_missing_name_or_content_type_is_400(server: FakeJenkins) -> None:
    assert "Query parameter &#x27;name&#x27; is required" in xml_post(server, "createItem", FREESTYLE).text
    response = http(server, "POST", "createItem?name=x", data=FREESTYLE.encode())
    assert response.status_code == 400 and response.headers["X-Error"] == "No Content-Type header set"


def test_delete_job_and_missing_jobs_map_to_python_jenkins_exceptions(client: jenkins.Jenkins) -> None:
    client.create_job("acme-nginx", FREESTYLE)
    client.delete_job("acme-nginx")
    assert not client.job_exists("acme-nginx")
    with pytest.raises(jenkins.NotFoundException):
        client.get_job_config("acme-nginx")
    with pytest.raises(jenkins.JenkinsException, match="does not exist"):
        client.get_job_info("acme-nginx")


def test_put_job_seeds_like_the_ui_and_needs_an_existing_folder(server: FakeJenkins) -> None:
    with pytest.raises(KeyError):
        server.put_job("docker/acme-nginx", FREESTYLE)
    server.put_folder("ops/docker")
    server.put_job("ops/docker/acme-nginx", FREESTYLE)
    assert server.folder_names() == ["ops", "ops/docker"]
    assert server.get_config("ops/docker/acme-nginx") == http(
        server, "GET", "job/ops/job/docker/job/acme-nginx/config.xml").text
    with pytest.raises(ValueError):
        server.put_job("ops/bad", "<project>")


def test_resave_bumps_plugin_versions_and_keeps_the_meaning(server: FakeJenkins) -> None:
    server.put_job("acme-nginx", FREESTYLE)
    before = server.get_config("acme-nginx")
    server.resave("acme-nginx")
    after = server.get_config("acme-nginx")
    assert after != before and 'plugin="git@5.5.3"' in after
    assert ET.tostring(meaning(after)) == ET.tostring(meaning(before))


def test_renaming_a_job_rewrites_the_child_projects_that_trigger_it(server: FakeJenkins) -> None:
    server.put_folder("docker")
    server.put_job("docker/base", CHILD_OF.format("web, other"))
    server.put_job("docker/web", "<project/>")
    response = http(server, "POST", "job/docker/job/web/doRename?newName=www")
    assert response.status_code == 302
    assert "<childProjects>www,other</childProjects>" in server.get_config("docker/base")


# -- the remote API ------------------------------------------------------------------------------

def test_tree_nesting_returns_folders_only_as_deep_as_asked(server: FakeJenkins) -> None:
    server.put_folder("a/b/c")
    server.put_job("a/b/c/deep", "<project><description>deepest</description></project>")
    server.put_job("top", PIPELINE)
    data = http(server, "GET", "api/json", params={"tree": "jobs[name,description,jobs[name,jobs]]"}).json()
    folder_a, top = data["jobs"]
    assert top == {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "name": "top", "description": None}
    assert folder_a["_class"] == "com.cloudbees.hudson.plugins.folder.Folder"
    assert folder_a["jobs"] == [{"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": "b",
                                 "jobs": [{"_class": "com.cloudbees.hudson.plugins.folder.Folder"}]}]
    deep = http(server, "GET", "api/json", params={"tree": "jobs[jobs[jobs[jobs[name,description,url]]]]"}).json()
    assert deep["jobs"][0]["jobs"][0]["jobs"][0]["jobs"][0]["description"] == "deepest"


def test_root_api_json_without_tree_gives_basic_info(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    server.put_job("acme-nginx", FREESTYLE)
    info = client.get_info()
    assert info["mode"] == "NORMAL" and info["useCrumbs"] is True and "nodeDescription" in info
    assert info["jobs"] == [{"_class": "hudson.model.FreeStyleProject", "name": "acme-nginx",
                             "url": server.url + "job/acme-nginx/", "color": "notbuilt"}]
    assert [v["name"] for v in info["views"]] == ["all"]
    assert client.get_version() == "2.462.3"


def test_every_response_has_x_jenkins_and_content_length_on_one_connection(server: FakeJenkins) -> None:
    with requests.Session() as session:
        session.auth = (ADMIN_USER, ADMIN_TOKEN)
        responses = [session.get(server.url + path, timeout=5) for path in ("api/json", "job/none/api/json", "")]
    assert [r.status_code for r in responses] == [200, 404, 200]
    assert all(r.headers["X-Jenkins"] == "2.462.3" and "Content-Length" in r.headers for r in responses)
    assert "<html>" in responses[1].text


def test_job_api_json_lists_dependency_graph_neighbours(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    server.put_folder("docker")
    server.put_job("docker/base", CHILD_OF.format("web"))
    server.put_job("docker/web", "<project/>")
    assert [p["name"] for p in client.get_job_info("docker/base")["downstreamProjects"]] == ["web"]
    assert [p["name"] for p in client.get_job_info("docker/web")["upstreamProjects"]] == ["base"]
    assert client.is_folder("docker")


# -- authentication and crumbs -------------------------------------------------------------------

def test_password_logins_need_the_crumb_of_their_session(server: FakeJenkins) -> None:
    no_crumb = xml_post(server, "createItem?name=a", FREESTYLE, secret=ADMIN_PASSWORD)
    assert no_crumb.status_code == 403 and "No valid crumb was included in the request" in no_crumb.text
    with requests.Session() as session:
        session.auth = (ADMIN_USER, ADMIN_PASSWORD)
        crumb = session.get(server.url + "crumbIssuer/api/json", timeout=5).json()
        assert crumb["_class"] == "hudson.security.csrf.DefaultCrumbIssuer"
        headers = {crumb["crumbRequestField"]: crumb["crumb"], "Content-Type": "application/xml"}
        assert session.post(server.url + "createItem?name=a", data=FREESTYLE, headers=headers,
                            timeout=5).status_code == 200
    other_session = xml_post(server, "createItem?name=b", FREESTYLE, secret=ADMIN_PASSWORD,
                             headers={"Jenkins-Crumb": crumb["crumb"], "Content-Type": "application/xml"})
    assert other_session.status_code == 403
    assert xml_post(server, "createItem?name=c", FREESTYLE).status_code == 200, "API tokens need no crumb"
    assert server.job_names() == ["a", "c"]


def test_python_jenkins_works_with_a_password_through_the_crumb(server: FakeJenkins) -> None:
    client = jenkins.Jenkins(server.url, ADMIN_USER, ADMIN_PASSWORD)
    client.create_job("acme-nginx", FREESTYLE)
    assert server.job_names() == ["acme-nginx"]
    assert server.count(method="GET", path="^/crumbIssuer/") == 1


def test_bad_credentials_are_401_and_anonymous_is_403(server: FakeJenkins) -> None:
    with pytest.raises(jenkins.JenkinsException, match=r"\[401\]"):
        jenkins.Jenkins(server.url, ADMIN_USER, "wrong").get_info()
    with pytest.raises(jenkins.JenkinsException, match=r"\[403\]"):
        jenkins.Jenkins(server.url).get_job_config("anything")
    response = requests.get(server.url + "api/json", timeout=5)
    assert response.status_code == 403 and response.headers["X-You-Are-Authenticated-As"] == "anonymous"
    assert requests.get(server.url + "whoAmI/api/json", timeout=5).json()["anonymous"] is True
    assert [r.user for r in server.requests][-2:] == ["anonymous", "anonymous"]


def test_anonymous_read_allows_gets_but_not_writes() -> None:
    with FakeJenkins(tokens={"admin": "t"}, anonymous_read=True) as server:
        server.put_job("acme-nginx", FREESTYLE)
        assert requests.get(server.url + "job/acme-nginx/api/json", timeout=5).status_code == 200
        assert requests.get(server.url + "job/acme-nginx/config.xml", timeout=5).status_code == 403
        with requests.Session() as session:
            crumb = session.get(server.url + "crumbIssuer/api/json", timeout=5).json()
            denied = session.post(server.url + "job/acme-nginx/doDelete", timeout=5,
                                  headers={crumb["crumbRequestField"]: crumb["crumb"]})
        assert denied.status_code == 403 and denied.headers["X-Required-Permission"] == "hudson.model.Item.Delete"
        assert server.job_names() == ["acme-nginx"]


# -- views and builds ----------------------------------------------------------------------------

def test_views_are_created_read_updated_and_deleted(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    server.put_job("acme-nginx", FREESTYLE)
    server.put_job("portal", PIPELINE)
    view = jenkins.EMPTY_VIEW_CONFIG_XML.replace("<jobNames>", "<jobNames><string>ACME-NGINX</string>")
    client.create_view("Docker images", view)
    assert [j["name"] for j in client.get_jobs(view_name="Docker images")] == ["acme-nginx"]
    config = client.get_view_config("Docker images")
    assert "<name>Docker images</name>" in config and "<string>ACME-NGINX</string>" in config
    client.reconfig_view("Docker images", config.replace("<name>Docker images</name>", "<name>other</name>"))
    assert "<name>Docker images</name>" in server.views()["Docker images"], "a view keeps its name"
    client.delete_view("Docker images")
    assert server.views() == {}


def test_views_inside_folders_belong_to_the_folder_config(server: FakeJenkins) -> None:
    server.put_folder("docker")
    assert xml_post(server, "job/docker/createView?name=images", jenkins.EMPTY_VIEW_CONFIG_XML).status_code == 200
    folder = server.get_config("docker")
    assert "<name>images</name>" in folder and 'reference="../../../.."' in folder
    assert list(server.views()) == ["docker/images"]
    assert http(server, "GET", "job/docker/view/images/api/json").json()["name"] == "images"


def test_builds_queue_once_per_job_with_a_location_to_the_queue_item(server: FakeJenkins,
                                                                     client: jenkins.Jenkins) -> None:
    server.put_job("acme-nginx", FREESTYLE)
    server.put_job("portal", PIPELINE)
    first = client.build_job("acme-nginx")
    assert client.build_job("acme-nginx") == first
    client.build_job("portal")
    assert server.queue() == ["acme-nginx", "portal"]
    assert client.get_queue_item(first)["task"]["name"] == "acme-nginx"
    response = http(server, "POST", "job/portal/build")
    assert response.status_code == 201 and re.fullmatch(server.url + r"queue/item/\d+/", response.headers["Location"])


def test_cancelling_a_queued_build_answers_204_and_an_unknown_id_404(server: FakeJenkins,
                                                                     client: jenkins.Jenkins) -> None:
    # Queue.doCancelItem of current Jenkins (python-jenkins's cancel_queue posts the same form).
    server.put_job("acme-nginx", FREESTYLE)
    queued = client.build_job("acme-nginx")
    assert http(server, "POST", f"queue/cancelItem?id={queued}").status_code == 204
    assert server.queue() == []
    response = http(server, "POST", f"queue/cancelItem?id={queued}")
    assert response.status_code == 404 and f"Provided id ({queued}) not found" in response.text


# -- faults, latency, the request log ------------------------------------------------------------

def test_an_injected_status_answers_the_next_matching_requests_only(server: FakeJenkins,
                                                                   client: jenkins.Jenkins) -> None:
    server.inject_fault(method="POST", path="createItem", status=503, body="busy", times=2)
    for _ in range(2):
        response = xml_post(server, "createItem?name=x", FREESTYLE)
        assert response.status_code == 503 and response.text == "busy"
    assert xml_post(server, "createItem?name=x", FREESTYLE).status_code == 200
    server.inject_fault(path="config.xml$", status=500)
    with pytest.raises(jenkins.JenkinsException, match=r"\[500\]"):
        client.get_job_config("x")


def test_a_dropped_connection_is_a_connection_error(server: FakeJenkins, client: jenkins.Jenkins) -> None:
    server.inject_fault(method="GET", path="^/api/json$", drop=True)
    with pytest.raises(requests.ConnectionError):
        client.get_info()
    assert client.get_info()["mode"] == "NORMAL"
    assert [(r.path, r.status) for r in server.requests if r.path == "/api/json"] == [("/api/json", 0),
                                                                                    ("/api/json", 200)]


def test_delays_and_latency_slow_the_answers(server: FakeJenkins) -> None:
    server.inject_fault(path="api/json", delay=0.3)
    with pytest.raises(requests.ReadTimeout):
        http(server, "GET", "api/json", timeout=0.1)
    server.latency = 0.05
    start = time.monotonic()
    for _ in range(3):
        assert http(server, "GET", "api/json").status_code == 200
    assert time.monotonic() - start >= 0.15


def test_every_request_is_recorded_with_method_path_query_status_and_user(server: FakeJenkins) -> None:
    xml_post(server, "createItem?name=acme nginx", FREESTYLE)
    http(server, "GET", "job/acme%20nginx/config.xml")
    http(server, "GET", "job/missing/api/json", params={"tree": "name"})
    assert [(r.method, r.path, r.query, r.status, r.user) for r in server.requests] == [
        ("POST", "/createItem", "name=acme%20nginx", 200, "admin"),
        ("GET", "/job/acme nginx/config.xml", "", 200, "admin"),
        ("GET", "/job/missing/api/json", "tree=name", 404, "admin")]
    assert server.count(method="POST") == 1
    server.reset_requests()
    assert server.count() == 0


def test_the_pytest_fixture_is_a_started_fake_with_the_admin_account(fake_jenkins: FakeJenkins) -> None:
    assert fake_jenkins.url.startswith("http://127.0.0.1:")
    client = jenkins.Jenkins(fake_jenkins.url, "admin", "admin-password")
    client.create_job("x", "<project/>")
    assert jenkins.Jenkins(fake_jenkins.url, "admin", "admin-token").job_exists("x")


# -- shell commands: CRLF comes back as LF ---------------------------------------------------------

def test_fake_jenkins_answers_a_shell_commands_crlf_as_lf_even_when_the_cr_is_a_character_reference(jenkins: FakeJenkins) -> None:
    """JENKINS-FACTS: "Shell commands: CRLF comes back as LF" (Shell converts EOLs when it is loaded).

    An XML parser already turns a literal CRLF into LF; a CR written as ``&#13;`` reaches the
    model, and Jenkins's Shell still converts it."""
    jenkins.put_job("crlf", "<project><builders><hudson.tasks.Shell><command>make test&#13;\nmake lint&#13;\n</command>"
                            "</hudson.tasks.Shell></builders></project>")
    live = jenkins.get_config("crlf")
    assert "<command>make test\nmake lint\n</command>" in live


# -- the fake holds its store ---------------------------------------------------------------------------

def test_the_fake_holds_its_store_and_its_seeding_and_inspection_methods_act_on_it(jenkins: FakeJenkins) -> None:
    assert not isinstance(jenkins, JenkinsStore) and isinstance(jenkins.store, JenkinsStore)
    jenkins.put_folder("team")
    jenkins.put_job("team/x", "<project><description>seeded</description></project>")
    assert jenkins.store.job_names() == jenkins.job_names() == ["team/x"]
    assert jenkins.store.folder_names() == jenkins.folder_names() == ["team"]
    served = requests.get(jenkins.url + "job/team/job/x/config.xml", auth=(ADMIN_USER, ADMIN_TOKEN))
    assert served.text == jenkins.get_config("team/x") == jenkins.store.get_config("team/x")
    assert jenkins.add_build("team/x", "SUCCESS", 1_700_000_000_000) == 1
    item = jenkins.store.find("team/x")
    assert item is not None and [b.number for b in item.builds] == [1]
    requests.post(jenkins.url + "job/team/job/x/build", auth=(ADMIN_USER, ADMIN_TOKEN)).raise_for_status()
    assert jenkins.queue() == jenkins.store.queue() == ["team/x"]
    assert jenkins.plugins == jenkins.store.plugins and jenkins.version == jenkins.store.version == "2.462.3"
    jenkins.store.put_job("y", "<project/>")          # what a test seeds in the store, the fake serves
    assert requests.get(jenkins.url + "job/y/config.xml", auth=(ADMIN_USER, ADMIN_TOKEN)).status_code == 200
