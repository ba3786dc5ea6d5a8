"""Comparing configs by meaning: what Jenkins changes when it saves a job is not drift, anything else is.

Each normalisation is proven both ways: the difference Jenkins introduces compares equal, and a
real change of the same kind does not. The last tests go through a JENKINS_HOME on disk and the
fake Jenkins, as sync sees configs.
"""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from helpers import BASE_IMAGES, REGISTRY, inventory_file, remote, sync
from jenkins_docker import JenkinsHome, apply, load, make_plan, render
from jenkins_docker.rendering.renderer import bundled_templates
from jenkins_docker.sync import xmlcompare
from jenkins_docker.testing.fake_jenkins import FakeJenkins

BASE = "<project><description>d</description><keepDependencies>false</keepDependencies><builders>" \
       "<hudson.tasks.Shell><command>make</command></hudson.tasks.Shell>" \
       "<hudson.tasks.Shell><command>make push</command></hudson.tasks.Shell></builders><disabled>true</disabled></project>"


def test_indentation_and_line_breaks_between_elements_are_not_a_change() -> None:
    pretty = """<?xml version='1.1' encoding='UTF-8'?>
<project>
  <description>d</description>
  <keepDependencies>false</keepDependencies>
  <builders>
    <hudson.tasks.Shell>
      <command>make</command>
    </hudson.tasks.Shell>
    <hudson.tasks.Shell>
      <command>make push</command>
    </hudson.tasks.Shell>
  </builders>
  <disabled>true</disabled>
</project>
"""
    assert xmlcompare.same(pretty, BASE)
    assert xmlcompare.canonical(pretty) == xmlcompare.canonical(BASE)


def test_whitespace_inside_a_value_is_a_change() -> None:
    assert not xmlcompare.same(BASE.replace("<command>make</command>", "<command>make </command>"), BASE)
    assert not xmlcompare.same(BASE.replace("<command>make</command>", "<command>\nmake</command>"), BASE)


def test_whitespace_only_text_of_a_leaf_is_kept() -> None:
    # A field whose value is a single space is not the same as an empty one.
    one = "<project><description> </description></project>"
    assert not xmlcompare.same(one, "<project><description>x</description></project>")
    assert "<description> </description>" in xmlcompare.canonical(one)


def test_line_ends_in_a_value_are_normalised_to_lf() -> None:
    lf = "<project><command>a\nb</command></project>"
    assert xmlcompare.same("<project><command>a\r\nb</command></project>", lf)
    assert xmlcompare.same("<project><command>a&#13;\nb</command></project>", lf)
    assert xmlcompare.same("<project><command>a&#13;b</command></project>", lf)
    assert not xmlcompare.same("<project><command>a b</command></project>", lf)


def test_field_order_is_not_a_change_but_the_order_of_list_entries_is() -> None:
    reordered = "<project><disabled>true</disabled><builders>" \
                "<hudson.tasks.Shell><command>make</command></hudson.tasks.Shell>" \
                "<hudson.tasks.Shell><command>make push</command></hudson.tasks.Shell></builders>" \
                "<keepDependencies>false</keepDependencies><description>d</description></project>"
    assert xmlcompare.same(reordered, BASE)
    swapped = BASE.replace("<command>make</command>", "<command>TMP</command>") \
                  .replace("<command>make push</command>", "<command>make</command>").replace("TMP", "make push")
    assert not xmlcompare.same(swapped, BASE)


def test_plugin_versions_are_not_a_change() -> None:
    with_plugin = BASE.replace("<project>", '<project plugin="x@1.0">').replace("<hudson.tasks.Shell>", '<hudson.tasks.Shell plugin="y@2">')
    assert xmlcompare.same(with_plugin, BASE)
    other_attribute = BASE.replace("<hudson.tasks.Shell>", '<hudson.tasks.Shell class="other">', 1)
    assert not xmlcompare.same(other_attribute, BASE)


def test_a_secret_is_never_a_change_but_its_siblings_are() -> None:
    posted = "<project><triggers><x><secretToken>clear</secretToken><branch>main</branch></x></triggers></project>"
    saved = "<project><triggers><x><secretToken>{AQAAABAAAAA=}</secretToken><branch>main</branch></x></triggers></project>"
    assert xmlcompare.same(posted, saved)
    assert "clear" not in xmlcompare.canonical(posted)
    assert not xmlcompare.same(posted, saved.replace(">main<", ">dev<"))
    assert "<branch>main</branch>" in xmlcompare.canonical(posted)  # the secret goes, its siblings stay


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_a_field_at_its_default_equals_an_absent_field(value: str) -> None:
    assert xmlcompare.same(f"<project><concurrentBuild>{value}</concurrentBuild><a>1</a></project>", "<project><a>1</a></project>")


def test_a_field_not_at_its_default_is_a_change() -> None:
    assert not xmlcompare.same("<project><concurrentBuild>true</concurrentBuild></project>", "<project/>")
    assert not xmlcompare.same("<project><x attr='1'/></project>", "<project/>")  # attributes make it not default
    assert not xmlcompare.same("<project><x><y>true</y></x></project>", "<project/>")  # nor does a child


def test_the_xml_declaration_does_not_matter_and_xml_1_1_parses() -> None:
    assert xmlcompare.same("<?xml version='1.1' encoding='UTF-8'?>\n" + BASE, BASE)
    assert xmlcompare.parse("<?xml version='1.1'?><a>x</a>").text == "x"


def test_a_line_break_before_the_declaration_is_not_a_change() -> None:
    # A user template that starts with a Jinja tag renders a line break before <?xml ...?>,
    # which expat alone refuses ("XML or text declaration not at start of entity").
    assert xmlcompare.same("\n  <?xml version='1.0' encoding='UTF-8'?>\n" + BASE, BASE)
    assert xmlcompare.same("\r\n<?xml version='1.1'?>" + BASE, "<?xml version='1.0'?>" + BASE)


def test_an_empty_secret_is_left_out_too() -> None:
    assert xmlcompare.same("<project><x><secretToken/><branch>main</branch></x></project>",
                           "<project><x><branch>main</branch></x></project>")


def test_malformed_xml_is_an_xml_error_naming_the_problem() -> None:
    with pytest.raises(xmlcompare.XMLError, match="not well-formed XML"):
        xmlcompare.canonical("<project><description></project>")
    assert issubclass(xmlcompare.XMLError, ValueError)


def test_tag_and_canonical_returns_the_root_kind_and_the_canonical_form() -> None:
    tag, text = xmlcompare.tag_and_canonical('<flow-definition plugin="workflow-job@1"><a>1</a></flow-definition>')
    assert tag == "flow-definition"
    assert text == xmlcompare.canonical("<flow-definition><a>1</a></flow-definition>") == "<flow-definition><a>1</a></flow-definition>"


def test_the_diff_is_of_readable_canonical_forms() -> None:
    old = '<project plugin="p@1"><a>1</a><b>same</b><secretToken>s</secretToken></project>'
    new = "<project><b>same</b><a>2</a></project>"
    text = xmlcompare.diff(old, new, "docker/x")
    assert text.startswith("--- docker/x (live)\n+++ docker/x (inventory)\n")
    assert "-  <a>1</a>\n" in text and "+  <a>2</a>\n" in text
    assert "plugin" not in text
    assert "-  <secretToken>(secret)</secretToken>\n" in text and "<secretToken>s<" not in text  # set or not, never its value
    created = xmlcompare.diff(None, new, "docker/x")
    assert "+<project>\n" in created and "+  <b>same</b>\n" in created and "\n-" not in created
    assert xmlcompare.diff(new, new, "docker/x") == ""


def test_the_diff_shows_two_lines_of_context_around_a_change() -> None:
    fields = "".join(f"<f{i}>v{i}</f{i}>" for i in range(9))
    text = xmlcompare.diff(f"<project>{fields}</project>", f"<project>{fields.replace('v4', 'changed')}</project>", "x")
    assert text.splitlines()[2:] == ["@@ -4,5 +4,5 @@", "   <f2>v2</f2>", "   <f3>v3</f3>", "-  <f4>v4</f4>",
                                     "+  <f4>changed</f4>", "   <f5>v5</f5>", "   <f6>v6</f6>"]


# -- XML 1.1 control characters (Jenkins writes them as character references) ------------------------

# Every C0 control that XML 1.0 forbids; tab, line feed and carriage return are plain XML 1.0 text.
CONTROLS = [code for code in range(1, 0x20) if code not in (0x9, 0xA, 0xD)]


@pytest.mark.parametrize("code", CONTROLS)
def test_a_control_character_reference_parses_and_is_written_back_as_the_same_reference(code: int) -> None:
    text = f"<?xml version='1.1'?><project><description>a&#x{code:x};b&#{code};c</description></project>"
    assert xmlcompare.parse(text).findtext("description") == f"a{chr(0xF0000 + code)}b{chr(0xF0000 + code)}c"
    assert xmlcompare.canonical(text) == f"<project><description>a&#x{code:x};b&#x{code:x};c</description></project>"
    assert xmlcompare.same(text, f"<project><description>a&#{code};b&#x{code:X};c</description></project>")
    assert not xmlcompare.same(text, "<project><description>abc</description></project>")


def test_different_control_characters_are_a_change() -> None:
    assert not xmlcompare.same("<project><d>&#x1b;</d></project>", "<project><d>&#x1c;</d></project>")
    assert not xmlcompare.same("<project><d>&#x1f;</d></project>", "<project><d>&#x1;</d></project>")


@pytest.mark.parametrize("reference, char", [("&#9;", "\t"), ("&#x9;", "\t"), ("&#10;", "\n"), ("&#xA;", "\n"), ("&#32;", " "),
                                             ("&#x41;", "A")])
def test_references_xml_1_0_allows_stay_plain_characters(reference: str, char: str) -> None:
    text = f"<project><d>a{reference}b</d></project>"
    assert xmlcompare.parse(text).findtext("d") == f"a{char}b"
    assert xmlcompare.same(text, f"<project><d>a{char}b</d></project>")
    assert "&#" not in xmlcompare.canonical(text)


def test_a_nul_reference_is_malformed_even_in_xml_1_1() -> None:
    # XML 1.1 allows &#x1; to &#x1F; as references, never &#0; (the Char production of XML 1.1, section 2.2).
    with pytest.raises(xmlcompare.XMLError):
        xmlcompare.parse("<?xml version='1.1'?><project><d>&#0;</d></project>")
    with pytest.raises(xmlcompare.XMLError):
        xmlcompare.parse("<?xml version='1.1'?><project><d>&#x0;</d></project>")


def test_a_raw_control_character_is_malformed() -> None:
    with pytest.raises(xmlcompare.XMLError):
        xmlcompare.parse("<project><d>a\x1bb</d></project>")


def test_the_diff_shows_a_control_character_as_its_reference() -> None:
    text = xmlcompare.diff("<project><d>&#x1b;[31m</d></project>", "<project><d>plain</d></project>", "x")
    assert "-  <d>&#x1b;[31m</d>\n" in text and "+  <d>plain</d>\n" in text


# -- secrets set in the UI are carried into an update that does not set them --------------------------

TRIGGER = "com.dabsquared.gitlabjenkins.GitLabPushTrigger"


def trigger_job(inside: str, attrs: str = ' plugin="gitlab-plugin@1.9.6"') -> str:
    return (f"<project><description>d</description><triggers><{TRIGGER}{attrs}>{inside}<branchFilterType>All</branchFilterType>"
            f"</{TRIGGER}></triggers></project>")


LIVE = trigger_job("<secretToken>{AQAAABAAAAAQ}</secretToken>")


def test_a_live_secret_missing_from_the_new_config_is_put_right_after_its_holders_opening_tag() -> None:
    new = trigger_job("", attrs="")
    out = xmlcompare.carry_secrets(new, LIVE)
    assert out == trigger_job("<secretToken>{AQAAABAAAAAQ}</secretToken>", attrs="")
    assert xmlcompare.parse(out).findtext(f"triggers/{TRIGGER}/secretToken") == "{AQAAABAAAAAQ}"


def test_a_secret_goes_after_an_opening_tag_with_attributes() -> None:
    out = xmlcompare.carry_secrets(trigger_job(""), LIVE)
    assert out == trigger_job("<secretToken>{AQAAABAAAAAQ}</secretToken>")


@pytest.mark.parametrize("empty", ["<secretToken/>", "<secretToken />", "<secretToken></secretToken>", "<secretToken>  </secretToken>"])
def test_an_empty_secret_in_the_new_config_is_filled_from_the_live_one(empty: str) -> None:
    out = xmlcompare.carry_secrets(trigger_job(empty), LIVE)
    assert out == trigger_job("<secretToken>{AQAAABAAAAAQ}</secretToken>")


def test_a_secret_the_inventory_sets_is_kept() -> None:
    new = trigger_job("<secretToken>from-the-inventory</secretToken>")
    assert xmlcompare.carry_secrets(new, LIVE) == new


def test_nothing_is_carried_when_the_live_secret_is_empty_or_absent() -> None:
    new = trigger_job("")
    assert xmlcompare.carry_secrets(new, trigger_job("<secretToken>  </secretToken>")) == new
    assert xmlcompare.carry_secrets(new, trigger_job("<secretToken></secretToken>")) == new
    assert xmlcompare.carry_secrets(new, trigger_job("<secretToken/>")) == new
    assert xmlcompare.carry_secrets(new, trigger_job("")) == new


def test_nothing_is_carried_without_a_single_holder_in_the_new_config() -> None:
    twice = ("<project><triggers>" + f"<{TRIGGER}><branchFilterType>All</branchFilterType></{TRIGGER}>" * 2 + "</triggers></project>")
    assert xmlcompare.carry_secrets(twice, LIVE) == twice
    without = "<project><description>d</description><triggers/></project>"
    assert xmlcompare.carry_secrets(without, LIVE) == without


def test_a_holder_whose_name_starts_another_tag_gets_the_secret_in_the_right_place() -> None:
    live = "<project><x><t><secretToken>{AQ}</secretToken></t></x></project>"
    new = "<project><x><tt>1</tt><t><b>2</b></t></x></project>"
    assert xmlcompare.carry_secrets(new, live) == "<project><x><tt>1</tt><t><secretToken>{AQ}</secretToken><b>2</b></t></x></project>"


def test_a_carried_secret_is_escaped() -> None:
    live = "<project><t><secretToken>a&amp;b&lt;c&gt;d</secretToken></t></project>"
    out = xmlcompare.carry_secrets("<project><t><b>1</b></t></project>", live)
    assert out == "<project><t><secretToken>a&amp;b&lt;c&gt;d</secretToken><b>1</b></t></project>"
    assert xmlcompare.parse(out).findtext("t/secretToken") == "a&b<c>d"


def test_secrets_are_not_carried_between_configs_that_cannot_be_parsed() -> None:
    broken = "<project><t><b>1</b></project>"
    assert xmlcompare.carry_secrets(broken, LIVE) == broken
    new = trigger_job("")
    assert xmlcompare.carry_secrets(new, LIVE.replace("</project>", "")) == new


def test_a_value_that_is_not_a_secret_is_never_carried() -> None:
    live = "<project><t><secretToken>{AQ}</secretToken><branch>main</branch></t></project>"
    new = "<project><t><b>1</b></t></project>"
    assert xmlcompare.carry_secrets(new, live) == "<project><t><secretToken>{AQ}</secretToken><b>1</b></t></project>"


# -- as sync sees it ------------------------------------------------------------------------------------

INVENTORY = """\
version: 1
jenkins:
  folder: docker
  git_credentials: gitlab-ssh
""" + REGISTRY + BASE_IMAGES


def test_a_config_reformatted_on_disk_is_not_drift_but_an_edit_is(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_text(INVENTORY, encoding="utf-8")
    home = JenkinsHome(tmp_path / "home")
    jobs = render(load(path))
    apply(make_plan(jobs, home, folder="docker"), home)
    config = tmp_path / "home" / "jobs" / "docker" / "jobs" / "acme-base" / "config.xml"
    root = xmlcompare.parse(config.read_text(encoding="utf-8"))
    root[:] = list(reversed(root))                       # every field in another order ...
    ET.indent(root, space="    ")                        # ... indented differently
    config.write_text("<?xml version='1.1' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="unicode").replace("\n", "\r\n"),
                      encoding="utf-8")
    plan = make_plan(jobs, home, folder="docker")
    assert not plan.has_changes and "docker/acme-base" in plan.unchanged
    config.write_text(config.read_text(encoding="utf-8").replace("docker/base.git", "docker/other.git"), encoding="utf-8")
    assert make_plan(jobs, home, folder="docker").names("update") == ["docker/acme-base"]


def test_what_the_fake_jenkins_serves_back_compares_equal_to_what_was_posted(tmp_path: Path, fake_jenkins: FakeJenkins) -> None:
    path = tmp_path / "inventory.yml"
    path.write_text(INVENTORY, encoding="utf-8")
    target = remote(fake_jenkins)
    jobs = render(load(path))
    apply(make_plan(jobs, target, folder="docker"), target)
    job = next(j for j in jobs.jobs if j.full_name == "docker/acme-base")
    served = fake_jenkins.get_config("docker/acme-base")
    assert served != job.xml                                # Jenkins never returns the text it was given
    assert xmlcompare.same(served, job.xml)


# -- what Jenkins changes on its own is not a change, through sync ---------------------------------

def templates_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the bundled templates with one edit to the build job's template (a user's --templates DIR)."""
    directory = tmp_path / "templates"
    shutil.copytree(bundled_templates(), directory, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    template = directory / "freestyle.xml.j2"
    text = template.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the bundled build job template no longer holds {old!r}"
    template.write_text(text.replace(old, new), encoding="utf-8")
    return directory


def test_an_encrypted_secret_token_is_not_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    templates = templates_with(tmp_path, "      <spec></spec>\n      <triggerOnPush>true</triggerOnPush>\n",
                               "      <spec></spec>\n      <triggerOnPush>true</triggerOnPush>\n      <secretToken>hook-secret</secretToken>\n")
    path = inventory_file(tmp_path)
    path.write_text(path.read_text() + f"templates: {templates}\n", encoding="utf-8")
    inventory = load(path)
    assert "<secretToken>hook-secret</secretToken>" in render(inventory).by_name()["docker/acme-base"].xml
    plan, result = sync(path, remote(jenkins))
    assert result.ok and len(result.create) == 6
    live = jenkins.get_config("docker/acme-base")
    assert "<secretToken>{" in live and "hook-secret" not in live   # Jenkins keeps it encrypted
    jenkins.reset_requests()
    plan, result = sync(path, remote(jenkins))
    assert not plan.has_changes, [(c.name, c.diff) for c in plan.changes]
    assert jenkins.count(method="POST") == 0


def test_a_secret_token_set_in_the_ui_is_not_drift(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    config = jenkins.get_config("docker/portal")
    assert "<secretToken>" not in config
    jenkins.put_job("docker/portal", config.replace("<triggerOnPush>", "<secretToken>set-in-the-ui</secretToken><triggerOnPush>", 1))
    assert "<secretToken>{" in jenkins.get_config("docker/portal")
    plan, _ = sync(path, remote(jenkins))
    assert not plan.has_changes


def crlf_templates(tmp_path: Path) -> Path:
    """Templates whose shell commands end their lines with CRLF (as an editor on Windows would)."""
    return templates_with(tmp_path, "<command>{{ command }}</command>",
                          '<command>{{ command | replace("\\n", "&#13;\\n" | safe) }}</command>')


def test_crlf_in_a_shell_command_coming_back_as_lf_is_not_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path, test="make test")
    path.write_text(path.read_text() + f"templates: {crlf_templates(tmp_path)}\n", encoding="utf-8")
    xml = render(load(path)).by_name()["docker/acme-base"].xml
    assert "make test&#13;\n" in xml   # what is posted carries CRLF line ends
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    # What Jenkins answers: hudson.tasks.Shell stores its command with LF line ends.
    live = jenkins.get_config("docker/acme-base")
    jenkins.put_job("docker/acme-base", live.replace("&#xd;\n", "\n"))
    live = jenkins.get_config("docker/acme-base")
    assert "<command>make test\n</command>" in live and "&#xd;" not in live
    jenkins.reset_requests()
    plan, result = sync(path, remote(jenkins))
    assert not plan.has_changes, [(c.name, c.diff) for c in plan.changes]
    assert jenkins.count(method="POST") == 0


def test_a_command_edited_by_hand_is_still_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    """Ignoring line ends must not hide a real edit of a shell command."""
    path = inventory_file(tmp_path, test="make test")
    sync(path, remote(jenkins))
    jenkins.put_job("docker/acme-base", jenkins.get_config("docker/acme-base").replace("make test\n", "make test-all\n", 1))
    plan, _ = sync(path, remote(jenkins))
    assert [c.name for c in plan.changes] == ["docker/acme-base"]
