"""The recipe in templates: what a job runs (shell, Groovy) comes from small templates a user can
override, every value quoted by the ``sh`` and ``groovy`` filters, and what the cascade needs is
checked after any template. The variables every template receives are documented once, in
docs/templates.md, and checked here against what the renderer gives.
"""
from __future__ import annotations

import collections
import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

import pytest

from helpers import ROOT, parse, with_job_type
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import load
from jenkins_docker.rendering import renderer
from jenkins_docker.rendering.renderer import TemplateError, bundled_templates, render
from simulator import groovy_literal, groovy_strings

DOC = ROOT / "docs" / "templates.md"

#: Every kind of job and every optional part of a recipe: a seed and a watch job, a test, env and
#: build arguments, a pull-only registry, a deploy after every build and one after pushes only.
FULL = """\
version: 1
jenkins:
  folder: docker
  view: Images
  agent: docker
  git_credentials: gitlab-ssh
  gitlab_connection: gitlab
  keep_builds: 10
  install: "jenkins-docker @ git+https://git.example.org/jenkins-docker.git@v0.2.0"
  seed_job: {git: "git@gitlab.example.org:ops/inventory.git", jenkins_url: "https://ci.example.org/", credentials: api-token}
  watch: {schedule: "H/30 * * * *"}
registries:
  private: {host: registry.example.org, credentials: registry-push}
  beta: {host: registry.beta.example, credentials: beta-push, pull_credentials: beta-pull}
defaults: {branch: main, registry: private}
base_images:
  acme/base: {git: "git@gitlab.example.org:docker/base.git", from: "debian:bookworm", test: make test, env: {LANG: C.UTF-8}}
  acme/tools: {git: "git@gitlab.example.org:docker/tools.git", from: acme/base, registry: beta}
apps:
  shop:
    git: "git@gitlab.example.org:web/shop.git"
    from: [acme/base, acme/tools]
    deploy: ./deploy.sh shop
    deploy_on: [push]
    build_args: {APP_ENV: production, NOTE: NOTE_VALUE}
    env: {SHOP: "1"}
  blog: {git: "git@gitlab.example.org:web/blog.git", from: acme/tools, deploy: ./deploy.sh blog}
"""

#: Values a shell or Groovy string must carry exactly: quotes of both kinds, expansions, escapes,
#: XML's special characters, a CDATA end, several lines, non-ASCII.
HOSTILE = [
    "a&b<c>]]>'d\"e $(touch pwned) `id` ünïcødé ☃ \\ $HOME ${HOME} &#39; &#34; &amp;",
    "it's '' ''' \\' \\\\ \t tab",
    "line 1\nline '2'\n'''\n",
    "-n",
    "",
]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Inventory:
    path = tmp_path_factory.mktemp("full") / "inventory.yml"
    path.write_text(FULL, encoding="utf-8")
    return load(path)


def user_templates(directory: Path, name: str, edit: Any) -> Path:
    """``directory`` holding the bundled template ``name`` changed by ``edit`` (a function of its text)."""
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(edit((bundled_templates() / name).read_text(encoding="utf-8")), encoding="utf-8")
    return directory


def shell_steps(xml: str) -> list[str]:
    return [element.text or "" for element in parse(xml).iter("command")]


def pipeline_script(xml: str) -> str:
    return parse(xml).findtext("definition/script") or ""


# -- the documented variables ----------------------------------------------------------------
def documented() -> dict[str, dict[str, str]]:
    """docs/templates.md's variables table: template -> variable -> the value column."""
    lines = DOC.read_text(encoding="utf-8").split("\n## The variables\n", 1)[1].splitlines()
    table: dict[str, dict[str, str]] = collections.defaultdict(dict)
    templates: list[str] = []
    for line in lines:
        if not line.startswith("| ") or line.startswith("| template |"):
            continue
        first, variables, value = (cell.strip() for cell in line.strip("|").split(" | ", 2))
        if first:
            templates = re.findall(r"`([^`]+)`", first)
        for template in templates:
            for variable in re.findall(r"`([^`]+)`", variables):
                table[template][variable] = value
    return table


def given_contexts(monkeypatch: pytest.MonkeyPatch, inventories: list[Inventory]) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of every template rendered for ``inventories``."""
    seen = []
    real = renderer._render_template

    def spy(env: Any, name: str, context: Mapping[str, Any]) -> str:
        seen.append((name, dict(context)))
        return real(env, name, context)

    monkeypatch.setattr(renderer, "_render_template", spy)
    for inventory in inventories:
        render(inventory)
    return seen


def test_every_documented_variable_is_given_to_its_template_and_every_given_one_is_documented(full, monkeypatch):
    doc = documented()
    golden = load(ROOT / "tests" / "golden" / "inventory.yml")
    inventories = [with_job_type(inventory, job_type) for inventory in (full, golden) for job_type in ("freestyle", "pipeline")]
    contexts = given_contexts(monkeypatch, inventories)
    bundled = {path.name for path in bundled_templates().glob("*.j2") if not path.name.startswith("_")}
    assert {name for name, _ in contexts} == bundled == set(doc), "every bundled template is rendered and documented"
    for name, context in contexts:
        assert set(context) == set(doc[name]), f"{name}: given {sorted(context)}, documented {sorted(doc[name])}"


def test_the_documented_fields_of_each_variable_are_the_fields_given(full, monkeypatch):
    """A value documented as `{a, b}` or `[{a, b}]` has exactly those fields whenever it is set."""
    doc = documented()
    contexts = given_contexts(monkeypatch, [with_job_type(full, job_type) for job_type in ("freestyle", "pipeline")])
    checked = set()
    for name, context in contexts:
        for variable, value in context.items():
            match = re.match(r"`\[?\{([^}]*)\}\]?`", doc[name][variable])
            if match is None or not value:
                continue
            fields = {field.strip() for field in match.group(1).split(",")}
            for item in value if isinstance(value, list) else [value]:
                assert set(item) == fields, f"{name}: {variable} has {sorted(item)}, documented {sorted(fields)}"
            checked.add((name, variable))
    assert ("build.sh.j2", "image") in checked and ("build.groovy.j2", "deploy") in checked and ("freestyle.xml.j2", "deploy_trigger") in checked


def test_the_readme_and_the_renderer_point_to_the_one_variables_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/templates.md" in readme and "docs/templates.md" in (renderer.__doc__ or "")
    # The table lives in one place: neither repeats its rows.
    for text in (readme, renderer.__doc__ or ""):
        assert "| `freestyle.xml.j2` | `git` |" not in text and "`block_upstream`" not in text


# -- overriding the recipe -------------------------------------------------------------------
SCAN = "trivy image --exit-code 1 {{ image.push_name|sh }}:$SHORT_COMMIT --note {{ image.build_args.NOTE|default('none')|sh }}\n"


def add_scan(text: str) -> str:
    """The bundled build.sh.j2 with a scan step before the pushes."""
    pushes = "{% for tag in tags %}\ndocker push"
    assert pushes in text
    return text.replace(pushes, SCAN + pushes, 1)


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_a_users_build_recipe_adds_a_scan_step_to_every_build_and_nothing_else(full, tmp_path, job_type):
    inventory = with_job_type(full, job_type)
    templates = user_templates(tmp_path / "templates", "build.sh.j2", add_scan)
    bundled, custom = render(inventory).by_name(), render(inventory, templates=templates).by_name()
    scan = "trivy image --exit-code 1 registry.example.org/shop:$SHORT_COMMIT --note NOTE_VALUE"
    for name, job in custom.items():
        if job.role != "build":
            assert job.xml == bundled[name].xml, f"{name} changed: only build jobs run build.sh.j2"
            continue
        if job_type == "freestyle":
            shell = shell_steps(job.xml)[-1]
        else:
            shell = next(s for s in groovy_strings(pipeline_script(job.xml)) if s.startswith("export DOCKER_CONFIG="))
        lines = shell.splitlines()
        scans = [line for line in lines if line.startswith("trivy image")]
        assert len(scans) == 1 and lines.index(scans[0]) + 1 == next(i for i, line in enumerate(lines) if line.startswith("docker push")), name
        if name == "docker/shop":
            assert scans[0] == scan
    via_inventory = dataclasses.replace(inventory, templates=templates)
    assert render(via_inventory).by_name()["docker/shop"].xml == custom["docker/shop"].xml


def test_the_sh_filter_quotes_hostile_values_so_the_shell_gets_them_exactly(full, tmp_path):
    """The scan step of a user's build.sh.j2, run by a real shell, receives each value as written."""
    for index, value in enumerate(HOSTILE):
        inventory = dataclasses.replace(full, images={**full.images, "shop": dataclasses.replace(
            full.images["shop"], build_args={**full.images["shop"].build_args, "NOTE": value})})
        templates = user_templates(tmp_path / f"templates{index}", "build.sh.j2", add_scan)
        shell = shell_steps(render(inventory, templates=templates).by_name()["docker/shop"].xml)[-1]
        scan = "trivy image" + shell.split("\ntrivy image", 1)[1].split("\ndocker push", 1)[0]  # the step, all its lines
        done = subprocess.run(["sh", "-c", 'trivy() { for arg in "$@"; do printf "%s\\0" "$arg"; done; }\n' + scan],
                              capture_output=True, cwd=tmp_path, env={"PATH": os.environ["PATH"], "SHORT_COMMIT": "abc"})
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode("utf-8").split("\0")[:-1] == [
            "image", "--exit-code", "1", "registry.example.org/shop:abc", "--note", value]
        assert not (tmp_path / "pwned").exists()
        assert shlex.split(scan)[-1] == value


def test_the_groovy_filter_writes_literals_real_groovy_reads_back_exactly(tmp_path):
    groovy = shutil.which("groovy")
    assert groovy, "groovy not found: install Debian's groovy package (apt-get install groovy; .ci/run does)"
    env = renderer._environment((str(bundled_templates()),))
    literals = [env.filters["groovy"](value) for value in HOSTILE]
    assert [groovy_literal(literal, 0)[0] for literal in literals] == HOSTILE
    script = tmp_path / "literals.groovy"
    script.write_text("".join(f"print({literal})\nprint('\\u0000')\n" for literal in literals), encoding="utf-8")
    java_home = {} if "JAVA_HOME" in os.environ or Path("/usr/lib/jvm/default-java").exists() else {
        "JAVA_HOME": str(Path(shutil.which("java") or "/usr/bin/java").resolve().parents[1])}
    done = subprocess.run([groovy, str(script)], capture_output=True, env={**os.environ, **java_home}, timeout=300)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode("utf-8").split("\0")[:-1] == HOSTILE


def test_recipe_text_is_escaped_once_in_the_xml(full, tmp_path):
    """Shell and Groovy templates are not XML-escaped themselves; the job template holding their
    text escapes it once, so the XML parser gives back exactly the shell and Groovy text."""
    value = HOSTILE[0]
    inventory = dataclasses.replace(full, images={**full.images, "shop": dataclasses.replace(full.images["shop"], env={"SHOP": value})})
    freestyle = render(inventory).by_name()["docker/shop"].xml
    export = f"export SHOP={shlex.quote(value)}\n"
    assert export in shell_steps(freestyle)[0]
    escaped = export.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&apos;")
    assert escaped in freestyle   # escaped once, as XStream writes it
    pipeline = pipeline_script(render(with_job_type(inventory, "pipeline")).by_name()["docker/shop"].xml)
    assert f"SHOP={value}" in groovy_strings(pipeline)


# -- what Python keeps -----------------------------------------------------------------------
def test_a_pipeline_recipe_that_drops_the_cascade_is_an_error_naming_the_template(full, tmp_path):
    def drop_cascade(text: str) -> str:
        return text.split("{% if waves %}\nif (params.CASCADE) {", 1)[0]

    templates = user_templates(tmp_path / "templates", "build.groovy.j2", drop_cascade)
    with pytest.raises(TemplateError, match=r"template build\.groovy\.j2: .*cascade of the images built from acme/base: it reads params\.WAVES"):
        render(with_job_type(full, "pipeline"), templates=templates)


def test_a_pipeline_recipe_that_drops_the_deploy_is_an_error_naming_the_template(full, tmp_path):
    def drop_deploy(text: str) -> str:
        return text.replace("        {{ start }}\n", "        echo 'no deploy'\n").replace("    {{ start }}\n", "    echo 'no deploy'\n")

    templates = user_templates(tmp_path / "templates", "build.groovy.j2", drop_deploy)
    with pytest.raises(TemplateError, match=r"template build\.groovy\.j2: .*deploy job /docker/(shop|blog)-deploy"):
        render(with_job_type(full, "pipeline"), templates=templates)


def test_a_build_recipe_that_drops_the_deploy_condition_is_an_error_naming_the_template(full, tmp_path):
    """shop deploys after pushes only: its freestyle build writes the trigger's parameters file
    only then, and a build.sh.j2 without those lines would never deploy."""
    def drop_guard(text: str) -> str:
        return text.replace("{{ deploy_guard.last }}", "")

    templates = user_templates(tmp_path / "templates", "build.sh.j2", drop_guard)
    with pytest.raises(TemplateError, match=r"template build\.sh\.j2: .*deploy_guard.*shop.*\.jenkins-docker-deploy\.properties"):
        render(full, templates=templates)
    # Without a condition there is nothing to keep: blog deploys after every build.
    no_condition = dataclasses.replace(full, images={**full.images, "shop": dataclasses.replace(full.images["shop"], deploy_on=("push", "cascade"))})
    assert "docker/shop" in render(no_condition, templates=templates).by_name()


def test_a_recipe_template_using_an_unknown_variable_fails_loudly(full, tmp_path):
    templates = user_templates(tmp_path / "templates", "deploy.sh.j2", lambda text: text + "{{ no_such_variable|sh }}\n")
    with pytest.raises(TemplateError, match="no_such_variable"):
        render(full, templates=templates)


# -- the compiled-template cache ---------------------------------------------------------------
def test_recipe_templates_are_cached_in_one_directory_and_an_edited_one_is_recompiled(full, tmp_path):
    """Each process finds the same cache directory (its name depends on the compile options,
    autoescape included), and an edited user build.sh.j2 of the same size and mtime is used."""
    cache, templates = tmp_path / "cache", user_templates(tmp_path / "templates", "build.sh.j2", add_scan)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("JENKINS_DOCKER_NO_CACHE", None)

    def render_cli(out: str) -> str:
        done = subprocess.run([sys.executable, "-m", "jenkins_docker", "render", str(full.path), "-o", str(tmp_path / out),
                               "--templates", str(templates)], env=env, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return (tmp_path / out / "jobs" / "docker" / "jobs" / "shop" / "config.xml").read_text(encoding="utf-8")

    assert "trivy image" in render_cli("one")
    entries = sorted(cache.rglob("*.cache"))
    assert len({entry.parent for entry in entries}) == 1 and entries
    assert "trivy image" in render_cli("again") and sorted(cache.rglob("*.cache")) == entries   # all found, none added
    user = templates / "build.sh.j2"
    stat = user.stat()
    user.write_text(user.read_text(encoding="utf-8").replace("trivy image", "grype image"), encoding="utf-8")
    os.utime(user, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = render_cli("two")
    assert "grype image" in second and "trivy image" not in second
    assert {entry.parent for entry in cache.rglob("*.cache")} == {entries[0].parent}


# -- the build job's template and the shared macros ---------------------------------------------
#: Fewer options than FULL: no agent, no GitLab connection, no build discarder, a scheduled
#: rebuild, a git URL and branch with characters XML escapes.
SPARE = """\
version: 1
registries:
  open: {host: registry.example.org, credentials: "push&'key'"}
defaults: {registry: open}
base_images:
  acme/base: {git: "https://git.example.org/base.git?a=1&b='2'", branch: "r<1>", from: "debian:bookworm", rebuild: "H H * * 0"}
apps:
  shop: {git: "git@gitlab.example.org:web/shop.git", from: acme/base}
"""

#: freestyle.xml.j2's elements and the macros of _macros.xml.j2 writing the same ones (with the
#: argument each takes from the template's variables).
BUILD_JOB_MACROS = {
    "build_discarder": "keep_builds", "gitlab_connection": "gitlab", "git_scm": "git", "node": "agent",
    "gitlab_trigger": "gitlab", "timer_trigger": "timer", "shell_builders": "builders", "username_passwords": "registry_logins",
}


@pytest.mark.parametrize("text", [FULL, SPARE], ids=["full", "spare"])
def test_the_build_job_template_writes_each_element_as_the_shared_macros_do(text, tmp_path, monkeypatch):
    """freestyle.xml.j2, rendered once per image, writes its elements inline instead of calling
    _macros.xml.j2 (eight macro calls were a third of its time); the other templates share the
    macros. The same inputs must give the same XML either way, so the two cannot drift apart."""
    path = tmp_path / "inventory.yml"
    path.write_text(text, encoding="utf-8")
    inventory = load(path)
    seen: list[tuple[str, dict[str, Any]]] = []
    real = renderer._render_template

    def recording(env: Any, name: str, context: Mapping[str, Any]) -> str:
        xml = real(env, name, context)
        if name == "freestyle.xml.j2":
            seen.append((xml, dict(context)))
        return xml

    monkeypatch.setattr(renderer, "_render_template", recording)
    render(inventory)
    assert len(seen) == len(inventory.images)
    macros = renderer._environment((str(bundled_templates()),)).get_template("_macros.xml.j2").module
    compared = collections.Counter()
    for xml, context in seen:
        for macro, variable in BUILD_JOB_MACROS.items():
            if context[variable] or macro == "node":    # the template writes the element only then
                expected = renderer._xstream_entities(str(getattr(macros, macro)(context[variable])))
                assert expected in xml, f"freestyle.xml.j2 and the macro {macro} write different XML"
                compared[macro] += 1
    present = {"full": set(BUILD_JOB_MACROS) - {"timer_trigger"}, "spare": {"git_scm", "node", "timer_trigger", "shell_builders", "username_passwords"}}
    assert set(compared) == present["full" if text is FULL else "spare"]


def test_overriding_the_shared_macros_alone_warns_that_build_jobs_do_not_use_them(tmp_path):
    from jenkins_docker.loading.loader import check

    templates = user_templates(tmp_path / "templates", "_macros.xml.j2", lambda text: text.replace("<extensions/>", "<extensions><x/></extensions>"))
    path = tmp_path / "inventory.yml"
    path.write_text(FULL.replace("version: 1\n", "version: 1\ntemplates: templates\n"), encoding="utf-8")

    def warnings() -> list[str]:
        return [str(w) for w in check(path).warnings if "macros" in w.message]

    assert warnings() == [f"{templates / '_macros.xml.j2'}:1:1: this override of the shared macros does not reach the build jobs: "
                          "freestyle.xml.j2 writes its elements itself (it is rendered once per image); copy freestyle.xml.j2 "
                          "here too and make the same change there"]
    user_templates(templates, "freestyle.xml.j2", lambda text: text)
    assert warnings() == []
    (templates / "freestyle.xml.j2").unlink()
    path.write_text(path.read_text(encoding="utf-8").replace("  folder: docker\n", "  folder: docker\n  job_type: pipeline\n"), encoding="utf-8")
    assert warnings() == []   # a pipeline's template calls the macros
