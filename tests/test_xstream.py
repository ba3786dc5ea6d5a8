"""The XStream model on its own: loading config XML and writing it back as Jenkins does, without HTTP."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jenkins_docker.testing import fake_jenkins, xstream
from jenkins_docker.testing.fake_jenkins import DEFAULT_PLUGINS
from jenkins_docker.testing.xstream import (
    FREESTYLE,
    MODELLED_CLASSES,
    Cipher,
    Loader,
    Obj,
    Raw,
    Writer,
    XmlError,
    ci_key,
    decode_tag,
    encode_tag,
    parse_xml,
    root_class,
    root_tag,
    version_tuple,
)


def loader(plugins: dict[str, str] | None = None, version: str = "2.462.3", cipher: Cipher | None = None) -> Loader:
    return Loader(DEFAULT_PLUGINS if plugins is None else plugins, cipher or Cipher(), version_tuple(version))


def round_trip(xml: str, ld: Loader | None = None) -> str:
    """Load a job document and write it back, as ``POST`` then ``GET config.xml`` would."""
    ld = ld or loader()
    root = parse_xml(xml)
    obj = ld.obj(root_class(root.tag), root)
    assert isinstance(obj, Obj)
    return Writer(ld, ld.installed, ld.cipher).document(root_tag(obj.cls), obj)


def test_the_server_module_re_exports_the_model_names() -> None:
    assert fake_jenkins.MODELLED_CLASSES is xstream.MODELLED_CLASSES
    assert {"DEFAULT_PLUGINS", "MODELLED_CLASSES", "FakeJenkins", "RecordedRequest"} <= set(dir(fake_jenkins))
    assert FREESTYLE in MODELLED_CLASSES and "hudson.plugins.git.GitSCM" in MODELLED_CLASSES


def test_an_empty_freestyle_job_gets_its_defaults_in_declaration_order() -> None:
    assert round_trip("<project/>") == (
        '<?xml version="1.1" encoding="UTF-8"?>\n'
        "<project>\n"
        "  <actions/>\n"
        "  <keepDependencies>false</keepDependencies>\n"
        "  <properties/>\n"
        '  <scm class="hudson.scm.NullSCM"/>\n'
        "  <canRoam>false</canRoam>\n"
        "  <disabled>false</disabled>\n"
        "  <blockBuildWhenDownstreamBuilding>false</blockBuildWhenDownstreamBuilding>\n"
        "  <blockBuildWhenUpstreamBuilding>false</blockBuildWhenUpstreamBuilding>\n"
        "  <triggers/>\n"
        "  <concurrentBuild>false</concurrentBuild>\n"
        "  <builders/>\n"
        "  <publishers/>\n"
        "  <buildWrappers/>\n"
        "</project>"
    )


def test_text_is_escaped_like_pretty_print_writer_and_comments_and_unknown_fields_vanish() -> None:
    out = round_trip("<?xml version='1.0'?><!-- note --><project><description>It's \"a\" &lt;b&gt;\r\n"
                     "next&#13;</description><misspelt>1</misspelt></project>")
    assert "<description>It&apos;s &quot;a&quot; &lt;b&gt;\nnext&#xd;</description>" in out
    assert "misspelt" not in out and "note" not in out


def test_classes_jenkins_could_not_load_vanish_and_unmodelled_known_classes_are_kept() -> None:
    out = round_trip("<project><builders>"
                     "<org.example.Unknown/>"                         # no known plugin
                     "<hudson.tasks.Shel/>"                           # a typo in a fully listed core package
                     "<hudson.plugins.emailext.ExtendedEmailPublisher/>"  # a plugin that is not installed
                     "<hudson.model.Whatever plugin='x@1'><b>x</b></hudson.model.Whatever>"
                     "</builders></project>")
    builders = out[out.index("<builders>"):out.index("</builders>")]
    assert builders == "<builders>\n    <hudson.model.Whatever>\n      <b>x</b>\n    </hudson.model.Whatever>\n  "


def test_plugin_attributes_name_the_installed_version_once_per_plugin_boundary() -> None:
    plugins = {**DEFAULT_PLUGINS, "git": "9.9.9"}
    ld = loader(plugins)
    out = round_trip('<project><scm class="hudson.plugins.git.GitSCM" plugin="git@1.0"><userRemoteConfigs>'
                     "<hudson.plugins.git.UserRemoteConfig><url>u</url></hudson.plugins.git.UserRemoteConfig>"
                     "</userRemoteConfigs></scm></project>", ld)
    assert '<scm class="hudson.plugins.git.GitSCM" plugin="git@9.9.9">' in out
    assert "<hudson.plugins.git.UserRemoteConfig>" in out  # same plugin as its owner: no attribute
    root = parse_xml(out)
    obj = ld.obj(root_class(root.tag), root)
    assert isinstance(obj, Obj)
    writer = Writer(ld, plugins, ld.cipher)
    writer.document("project", obj)
    assert writer.plugins_used == {"git"}


def test_a_secret_is_written_encrypted_and_loads_back_only_with_the_same_key() -> None:
    cipher = Cipher()
    ld = loader(cipher=cipher)
    out = round_trip("<project><triggers><com.dabsquared.gitlabjenkins.GitLabPushTrigger>"
                     "<secretToken>s3cret</secretToken></com.dabsquared.gitlabjenkins.GitLabPushTrigger>"
                     "</triggers></project>", ld)
    encrypted = parse_xml(out).findtext(".//secretToken")
    assert encrypted is not None and encrypted.startswith("{AQAAABAAAAA") and "s3cret" not in out
    assert cipher.load(encrypted).plain == "s3cret"
    assert round_trip(out, ld) == out  # re-posting the encrypted value keeps it (same IV)
    assert Cipher().load(encrypted).plain == encrypted  # another controller takes it as clear text


def test_fields_added_in_a_later_jenkins_appear_only_from_that_version() -> None:
    xml = ("<project><logRotator class='hudson.tasks.LogRotator'><numToKeep>5</numToKeep></logRotator>"
           "</project>")
    assert "removeLastBuild" not in round_trip(xml, loader(version="2.462.3"))
    assert "<removeLastBuild>false</removeLastBuild>" in round_trip(xml, loader(version="2.474"))


def test_loader_returns_raw_for_unmodelled_and_none_for_unloadable_classes() -> None:
    ld = loader()
    assert isinstance(ld.obj("hudson.model.Whatever", parse_xml("<x/>")), Raw)
    assert ld.obj("org.example.Unknown", parse_xml("<x/>")) is None
    assert ld.obj("hudson.plugins.git.GitSCM", parse_xml("<x/>")) is not None
    assert loader(plugins={}).obj("hudson.plugins.git.GitSCM", parse_xml("<x/>")) is None


@pytest.mark.parametrize("text, message", [
    ('<!DOCTYPE project><project/>', "DOCTYPE is disallowed"),
    ("<project>", "SAXParseException"),
])
def test_parse_xml_refuses_what_jenkins_refuses(text: str, message: str) -> None:
    with pytest.raises(XmlError, match=message) as caught:
        parse_xml(text)
    assert str(caught.value).startswith("java.io.IOException: Failed to persist config.xml\n")


def test_a_text_body_ignores_its_declared_encoding_and_bytes_follow_it() -> None:
    assert parse_xml("<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>").text == "é"
    assert parse_xml("<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>".encode("latin-1")).text == "é"


def test_root_elements_use_the_job_aliases() -> None:
    assert root_class("project") == FREESTYLE and root_tag(FREESTYLE) == "project"
    assert root_class("flow-definition") == "org.jenkinsci.plugins.workflow.job.WorkflowJob"
    assert root_tag("hudson.model.ListView") == "hudson.model.ListView"


@given(st.text(alphabet="abc._$-", min_size=1))
def test_element_names_escape_underscore_and_dollar_reversibly(cls: str) -> None:
    assert decode_tag(encode_tag(cls)) == cls


def test_case_insensitive_order_is_javas() -> None:
    assert sorted(["b", "A", "a", "C"], key=ci_key) == ["A", "a", "b", "C"]
    assert ci_key("Job") == ci_key("JOB") == ci_key("job")
    assert version_tuple("2.462.3") == (2, 462, 3) and version_tuple("2.474") == (2, 474)
