"""The inventory rules of CONTRACT section 1: each malformed inventory yields the exact
``FILE:LINE:COL: message`` of the key or value at fault, and valid ones load as written."""
from __future__ import annotations

import json
import re
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jenkins_docker.errors import InventoryError, Problem
from jenkins_docker.loading.loader import Report, check, load
from strategies import mutated_documents, mutated_texts

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = Path(__file__).resolve().parent / "data"

HEADER = """\
version: 1
registries:
  hub: {host: docker.io, credentials: hub-push}
  private: {host: registry.example.org, credentials: registry-push}
defaults:
  registry: private
"""  # 6 lines: entries written after it start on line 7


def write(tmp_path: Path, text: str, name: str = "inventory.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check_text(tmp_path: Path, text: str) -> tuple[Path, Report]:
    path = write(tmp_path, text)
    return path, check(path)


def the_error(report: Report, path: Path, line: int, column: int, *fragments: str) -> Problem:
    """The report's only error, asserted to be at path:line:column and to say ``fragments``."""
    assert report.inventory is None
    assert len(report.errors) == 1, "\n".join(map(str, report.errors))
    return error_at(report, path, line, column, *fragments)


def error_at(report: Report, path: Path, line: int, column: int, *fragments: str) -> Problem:
    """The error of the report at path:line:column, asserted to say ``fragments``."""
    found = [e for e in report.errors if (e.location.line, e.location.column) == (line, column)]
    assert found, f"no error at {line}:{column} in:\n" + "\n".join(map(str, report.errors))
    problem = found[0]
    assert str(problem).startswith(f"{path}:{line}:{column}: ")
    for fragment in fragments:
        assert fragment in problem.message, problem.message
    assert "\n" not in problem.message and "Traceback" not in problem.message
    return problem


# -- the examples load as written --------------------------------------------------------------

def test_iiiepe_example_loads_images_kinds_registries_and_parents() -> None:
    inventory = load(EXAMPLES / "iiiepe" / "inventory.yml")
    assert [i.key for i in inventory.base_images] == [
        "iiiepe/nginx", "iiiepe/nginx-php", "iiiepe/nginx-drupal6", "iiiepe/nginx-drupal7", "iiiepe/nodejs"]
    assert [i.key for i in inventory.apps] == ["website", "intranet", "courses", "api", "notifier"]
    parents = {i.key: [p.node for p in i.parents] for i in inventory.images.values()}
    assert parents["iiiepe/nginx"] == ["debian:bookworm"]
    assert parents["iiiepe/nginx-drupal7"] == ["iiiepe/nginx-php"]  # read from its Dockerfile
    assert parents["website"] == ["iiiepe/nginx-drupal6"]
    nginx = inventory.images["iiiepe/nginx"]
    assert nginx.registry.name == "hub" and nginx.push_name == "docker.io/iiiepe/nginx"
    assert nginx.rebuild == "H H * * 0"
    website = inventory.images["website"]
    assert website.registry.host == "registry.iiiepe.net" and website.repository == "web/website"
    assert website.branch == "master" and website.test == "make test"  # from defaults
    assert website.deploy_job_name == "website-deploy"
    assert inventory.images["notifier"].deploy is None
    assert inventory.images["iiiepe/nodejs"].test == "true"  # its own value wins
    assert inventory.jenkins.folder == "docker" and inventory.jenkins.keep_builds == 20
    assert inventory.jenkins.seed_job is not None and inventory.jenkins.seed_job.branch == "master"
    assert inventory.warnings == []


def test_platform_example_loads_diamond_multistage_and_pinned_parent() -> None:
    report = check(EXAMPLES / "platform" / "inventory.yml")
    assert report.ok, report.errors
    inventory = report.inventory
    assert inventory is not None
    parents = {i.key: [p.node for p in i.parents] for i in inventory.images.values()}
    assert parents["acme/node"] == ["acme/runtime"]  # host-qualified, pushed to that host
    assert sorted(parents["acme/fullstack"]) == ["acme/node", "acme/python"]  # Dockerfile: ARG + stages
    assert parents["shop"] == ["acme/node", "acme/nginx-php"]
    assert parents["acme/nginx"] == ["nginx:1.27"]
    runner = inventory.images["ci-runner"].parents[0]
    assert runner.image == "acme/tools" and runner.pinned
    tools = inventory.images["acme/tools"].parents[0]
    assert tools.image is None and tools.pinned  # an external pinned parent: no warning
    assert [w.location.line for w in report.warnings] == [70]
    assert "pinned by digest" in report.warnings[0].message
    assert inventory.jenkins.folder == "ops/docker"
    assert inventory.job("acme/nginx") == "ops/docker/acme-nginx"
    assert inventory.images["acme/nginx"].registry.name == "hub"
    assert inventory.images["acme/python"].registry.host == "registry.example.org:5000"
    assert inventory.images["acme/python"].branch == "main"
    assert inventory.images["dashboard"].env == {"NODE_ENV": "production", "PUBLIC_URL": "https://dash.example.org/?a=1&b=2"}


def test_defaults_build_args_and_env_merge_one_level_with_the_entry_winning(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        version: 1
        registries: {hub: {host: docker.io, credentials: c}}
        defaults:
          registry: hub
          branch: develop
          build_args: {A: "1", B: "2"}
          env: {X: x, Y: 2}
        base_images:
          acme/base:
            git: g
            from: debian
            build_args: {B: "20", C: "30"}
        apps:
          portal:
            git: g
            from: acme/base
            branch: main
            env: {Y: "y"}
        """)
    inventory = load(path)
    base = inventory.images["acme/base"]
    assert base.build_args == {"A": "1", "B": "20", "C": "30"}
    assert base.env == {"X": "x", "Y": "2"}
    assert base.branch == "develop"
    portal = inventory.images["portal"]
    assert portal.build_args == {"A": "1", "B": "2"}
    assert portal.env == {"X": "x", "Y": "y"}
    assert portal.branch == "main"


def test_defaults_deploy_applies_to_apps_only(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + """\
  deploy: ./deploy.sh
base_images:
  acme/base: {git: g, from: debian}
apps:
  portal: {git: g, from: acme/base}
""")
    inventory = load(path)
    assert inventory.images["acme/base"].deploy is None
    assert inventory.images["portal"].deploy == "./deploy.sh"


# -- unknown keys, with a did-you-mean ------------------------------------------------------------

def test_unknown_top_level_key_suggests_the_closest(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_image:
  acme/base: {git: g, from: debian}
""")
    error_at(report, path, 7, 1, "unknown key `base_image` in the inventory", "did you mean `base_images`?")


def test_unknown_jenkins_key_suggests_the_closest(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins:
  fodler: docker
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 8, 3, "unknown key `fodler` in `jenkins`", "did you mean `folder`?")


def test_unknown_registry_key_suggests_the_closest(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, """\
        version: 1
        registries:
          hub: {hots: docker.io, credentials: c}
        """)
    error_at(report, path, 3, 9, "unknown key `hots` in registry 'hub'", "did you mean `host`?")
    error_at(report, path, 3, 3, "registry 'hub' is missing the required key `host`")


def test_unknown_entry_key_suggests_the_closest(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base:
    git: g
    from: debian
    regsitry: hub
""")
    the_error(report, path, 11, 5, "unknown key `regsitry` in base image 'acme/base'", "did you mean `registry`?")


def test_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
apps:
  portal: {git: g, from: debian, zzz: 1}
""")
    the_error(report, path, 8, 34, "unknown key `zzz` in app 'portal'", "expected one of: git, branch")


def test_app_only_key_on_a_base_image_says_where_it_belongs(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base:
    git: g
    from: debian
    deploy: ./deploy.sh
""")
    the_error(report, path, 11, 5, "`deploy` is not allowed in base image 'acme/base'", "only apps")


def test_per_image_key_under_defaults_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
  from: debian
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 7, 3, "`from` is not allowed in `defaults`", "sets its own")


# -- duplicate keys --------------------------------------------------------------------------------

def test_duplicate_key_in_an_entry_is_reported_at_the_second_with_the_first_line(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base:
    git: g
    from: debian
    git: h
""")
    the_error(report, path, 11, 5, "duplicate key 'git'", "first defined on line 9")


def test_duplicate_image_key_is_reported(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
  acme/base: {git: h, from: debian}
""")
    the_error(report, path, 9, 3, "duplicate key 'acme/base'", "first defined on line 8")


def test_duplicate_top_level_section_is_reported(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
version: 1
""")
    the_error(report, path, 9, 1, "duplicate key 'version'", "first defined on line 1")


def test_same_key_in_base_images_and_apps_is_reported(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
apps:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 10, 3, "app 'acme/base' has the same name as base image 'acme/base'")


# -- wrong types -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "column", "fragments"), [
    ("    branch: 1.10", 13, ("`branch` in base image 'acme/base' must be a string, not a number ('1.10')", '"1.10"')),
    ("    branch: yes", 13, ("must be a string, not a boolean ('yes')", "quotes")),
    ("    agent: [a, b]", 12, ("`agent` in base image 'acme/base' must be a string, not a list",)),
    ("    test: {run: x}", 11, ("`test` in base image 'acme/base' must be a string, not a mapping",)),
    ("    build_args: [A=1]", 17, ("`build_args` in base image 'acme/base' must be a mapping of NAME: value, not a list",)),
    ("    env: {A: [1]}", 14, ("`env.A` in base image 'acme/base' must be a string, number or boolean, not a list",)),
    ("    branch:", 12, ("`branch` in base image 'acme/base' has no value; expected a string",)),
    ("    branch: ''", 13, ("`branch` in base image 'acme/base' is empty",)),
    ("    rebuild: 2024-01-01", 14, ("must be a string, not a date",)),
])
def test_wrong_type_of_an_entry_value_is_located_at_the_value(tmp_path: Path, line: str, column: int, fragments: tuple[str, ...]) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base:\n    git: g\n    from: debian\n" + line + "\n")
    the_error(report, path, 11, column, *fragments)


def test_integer_setting_given_as_string_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins:
  keep_builds: "20"
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 8, 16, "`keep_builds` in `jenkins` must be an integer, not a string ('20')")


def test_integer_setting_below_its_minimum_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins: {keep_builds: 0}
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 7, 24, "`keep_builds` in `jenkins` must be at least 1, not 0")


def test_explicit_int_tag_on_text_is_a_type_error_not_a_crash(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins: {keep_builds: !!int twenty}
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 7, 24, "`keep_builds` in `jenkins` must be an integer")


def test_enum_setting_suggests_the_closest_value(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins: {job_type: pipline}
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 7, 21, "`job_type` must be one of freestyle, pipeline, not 'pipline'", "did you mean `pipeline`?")


def test_section_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins: docker
base_images:
  - acme/base
""")
    error_at(report, path, 7, 10, "`jenkins` must be a mapping, not a string ('docker')")
    error_at(report, path, 9, 3, "`base_images` must be a mapping, not a list")


def test_entry_that_is_not_a_mapping_is_refused_once(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: git@example.org:base.git
""")
    the_error(report, path, 8, 14, "base image 'acme/base' must be a mapping of keys (git, branch")


def test_empty_entry_says_what_it_needs(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base:
""")
    the_error(report, path, 8, 3, "base image 'acme/base' is empty; it needs at least `git`")


def test_from_of_the_wrong_type_is_reported_once(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: {image: debian}}
""")
    the_error(report, path, 8, 29, "`from` in base image 'acme/base' must be a string, not a mapping")


# -- required keys and versions ---------------------------------------------------------------------

def test_missing_git_is_reported_at_the_entry_key(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base:
    from: debian
""")
    the_error(report, path, 8, 3, "base image 'acme/base' is missing the required key `git`")


def test_missing_from_and_path_is_reported_at_the_entry_key(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
apps:
  portal:
    git: g
""")
    the_error(report, path, 8, 3, "app 'portal' has no `from`", "`path`")


def test_missing_version_is_reported_at_the_start(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, """\
        base_images:
          acme/base: {git: g, from: debian, registry: hub}
        registries: {hub: {host: docker.io, credentials: c}}
        """)
    the_error(report, path, 1, 1, "the inventory is missing the required key `version`")


def test_version_2_is_refused_at_its_value(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER.replace("version: 1", "version: 2") + """\
base_images:
  acme/base: {git: g, from: debian}
""")
    the_error(report, path, 1, 10, "unsupported inventory version 2", "version 1")


def test_missing_registry_is_reported_at_the_entry_key(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, """\
        version: 1
        base_images:
          acme/base: {git: g, from: debian}
        """)
    the_error(report, path, 3, 3, "base image 'acme/base' has no registry", "`defaults`")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n", "---\n", "~\n"])
def test_empty_or_comment_only_file_is_refused(tmp_path: Path, text: str) -> None:
    path, report = check_text(tmp_path, text)
    the_error(report, path, 1, 1, "the inventory is empty")


def test_version_alone_is_an_inventory_without_images(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, "version: 1\n")
    the_error(report, path, 1, 1, "lists no base_images and no apps")


def test_scalar_document_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, "just some text\n")
    the_error(report, path, 1, 1, "the inventory must be a mapping")


# -- the file as text ---------------------------------------------------------------------------------

def test_yaml_syntax_error_is_one_located_line(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: [debian
""")
    problem = the_error(report, path, 9, 1, "YAML syntax error")
    assert "flow" in problem.message


def test_tab_indentation_is_a_located_syntax_error(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base:\n\tgit: g\n")
    the_error(report, path, 9, 1, "YAML syntax error")


def test_several_documents_are_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, "version: 1\n---\nversion: 1\n")
    the_error(report, path, 2, 1, "several YAML documents")


def test_undefined_alias_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base: *nothing\n")
    the_error(report, path, 8, 14, "alias (*name) refers to no anchor")


def test_non_utf8_file_is_refused_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_bytes(HEADER.encode() + b"base_images:\n  acme/caf\xe9: {git: g, from: debian}\n")
    report = check(path)
    the_error(report, path, 8, 11, "not UTF-8", "0xe9")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + b"base_images:\n  acme/base: {git: g, from: debian}\n")
    assert check(path).ok


def test_raw_control_character_in_the_text_is_refused_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_bytes(HEADER.encode() + "base_images:\n  acme/base: {git: \"é\x07\", from: debian}\n".encode())
    report = check(path)
    the_error(report, path, 8, 22, "control character U+0007")


def test_escaped_control_character_in_a_value_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + 'base_images:\n  acme/base: {git: "g\\x1b[31m", from: debian}\n')
    the_error(report, path, 8, 20, "control character U+001B is not allowed in `git`")


def test_line_break_in_a_one_line_value_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + 'base_images:\n  acme/base: {git: g, branch: "a\\nb", from: debian}\n')
    the_error(report, path, 8, 31, "a line break is not allowed in `branch`")


def test_multi_line_shell_command_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "base_images:\n  acme/base:\n    git: g\n    from: debian\n    test: |\n      make lint\n      make test\n")
    assert load(path).images["acme/base"].test == "make lint\nmake test\n"


def test_missing_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    the_error(check(path), path, 1, 1, "no such file")


def test_directory_is_reported(tmp_path: Path) -> None:
    the_error(check(tmp_path), tmp_path, 1, 1, "is a directory")


def test_fifty_megabyte_file_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    line = b"# " + b"x" * 1021 + b"\n"
    with path.open("wb") as stream:
        for _ in range(50 * 1024):
            stream.write(line)
    report = check(path)   # refused by its size: how fast is measured in bench/, not here
    the_error(report, path, 1, 1, "50.0 MiB", "limited to 16 MiB")


def test_billion_laughs_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    report = check(path)   # 9**10 nodes: a loader that walked them would never return
    the_error(report, path, 1, 1, "alias bomb")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base: &loop\n    git: g\n    from: [*loop]\n")
    the_error(report, path, 10, 11, "recursive YAML alias")


def test_reused_anchors_within_reason_are_not_a_bomb(tmp_path: Path) -> None:
    entries = "".join(f"  acme/img-{i}: {{<<: *common, from: debian}}\n" for i in range(300))
    path = write(tmp_path, HEADER + "base_images:\n  acme/first: &common {git: g, from: debian, env: {A: a, B: b}}\n" + entries)
    inventory = load(path)
    assert len(inventory.images) == 301
    assert inventory.images["acme/img-299"].env == {"A": "a", "B": "b"}


# -- merge keys --------------------------------------------------------------------------------------

def test_merge_key_fills_in_an_entry_and_its_own_keys_win(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + """\
base_images:
  acme/base: &common
    git: git@example.org:images.git
    from: debian
    branch: stable
    build_args: {A: "1"}
  acme/other:
    <<: *common
    from: acme/base
""")
    inventory = load(path)
    other = inventory.images["acme/other"]
    assert other.git == "git@example.org:images.git"
    assert other.branch == "stable" and other.build_args == {"A": "1"}
    assert [p.node for p in other.parents] == ["acme/base"]


def test_chained_merge_keys_resolve_and_earlier_sources_win(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + """\
base_images:
  acme/a: &a {git: ga, from: debian, branch: a}
  acme/b: &b {<<: *a, branch: b, test: tb}
  acme/c: {<<: *b, from: acme/b}
  acme/d: {<<: [*a, *b], from: acme/c}
""")
    inventory = load(path)
    c = inventory.images["acme/c"]
    assert (c.git, c.branch, c.test) == ("ga", "b", "tb")
    d = inventory.images["acme/d"]
    assert (d.git, d.branch, d.test) == ("ga", "a", "tb")


def test_merge_key_of_a_scalar_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base:
    <<: git
    from: debian
""")
    error_at(report, path, 9, 9, "a merge key (<<) takes a mapping")


# -- image references -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("reference", "reason"), [
    ("Debian:bookworm", "must be lowercase"),
    ("debian:", "tag is empty"),
    ("debian@sha256:abc", "invalid digest"),
    ("foo_bar.com/x", "invalid registry host"),
    ("acme//nginx", "empty component"),
])
def test_invalid_from_reference_is_refused_with_the_reason(tmp_path: Path, reference: str, reason: str) -> None:
    path, report = check_text(tmp_path, HEADER + f"base_images:\n  acme/base:\n    git: g\n    from: \"{reference}\"\n")
    the_error(report, path, 10, 11, f"`from` {reference!r} is not a valid image reference", reason)


@pytest.mark.parametrize(("key", "fragments"), [
    ("acme/Nginx", ("base image key 'acme/Nginx' is not a valid image repository", "lowercase")),
    ("acme/nginx:1.2", ("has a tag or digest", "repository only")),
    ("registry.example.org/acme/nginx", ("names a registry host", "`registry:`")),
])
def test_base_image_key_must_be_a_bare_repository(tmp_path: Path, key: str, fragments: tuple[str, ...]) -> None:
    path, report = check_text(tmp_path, HEADER + f"base_images:\n  {key}:\n    git: g\n    from: debian\n")
    the_error(report, path, 8, 3, *fragments)


def test_app_image_with_a_tag_is_refused_at_the_value(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "apps:\n  portal:\n    git: g\n    from: debian\n    image: web/portal:latest\n")
    the_error(report, path, 11, 12, "`image` 'web/portal:latest' has a tag or digest")


def test_app_key_that_is_no_repository_needs_an_image(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "apps:\n  Portal:\n    git: g\n    from: debian\n")
    the_error(report, path, 8, 3, "app key 'Portal' is not a valid image repository", "set `image:`")


# -- from: matching listed images ---------------------------------------------------------------------------

def _parents(tmp_path: Path, text: str) -> dict[str, list[tuple[str, bool]]]:
    inventory = load(write(tmp_path, text))
    return {i.key: [(p.node, p.pinned) for p in i.parents] for i in inventory.images.values()}


@pytest.mark.parametrize("reference", [
    "acme/base", "acme/base:1.2", "docker.io/acme/base", "index.docker.io/acme/base:latest",
    "docker.io/acme/base:2@sha256:" + "a" * 64,
])
def test_from_matches_a_listed_image_by_repository_on_docker_hub(tmp_path: Path, reference: str) -> None:
    parents = _parents(tmp_path, HEADER + f"""\
base_images:
  acme/base: {{git: g, from: debian, registry: hub}}
  acme/child: {{git: g, from: "{reference}"}}
""")
    assert [node for node, _ in parents["acme/child"]] == ["acme/base"]


@pytest.mark.parametrize(("key", "reference"), [("x", "docker.io/library/x:1"), ("library/x", "x"), ("x", "library/x")])
def test_official_image_spellings_match_each_other(tmp_path: Path, key: str, reference: str) -> None:
    parents = _parents(tmp_path, HEADER + f"""\
base_images:
  {key}: {{git: g, from: debian, registry: hub}}
  acme/child: {{git: g, from: "{reference}"}}
""")
    assert parents["acme/child"] == [(key, False)]


def test_host_qualified_reference_matches_only_the_image_pushed_to_that_host(tmp_path: Path) -> None:
    parents = _parents(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
  acme/hub-only: {git: g, from: debian, registry: hub}
  acme/a: {git: g, from: registry.example.org/acme/base:1}
  acme/b: {git: g, from: REGISTRY.example.org/acme/base}
  acme/c: {git: g, from: other.example.org/acme/base}
  acme/d: {git: g, from: registry.example.org/acme/hub-only}
  acme/e: {git: g, from: docker.io/acme/base}
""")
    assert parents["acme/a"] == [("acme/base", False)]
    assert parents["acme/b"] == [("acme/base", False)]
    assert parents["acme/c"] == [("other.example.org/acme/base", False)]
    assert parents["acme/d"] == [("registry.example.org/acme/hub-only", False)]
    assert parents["acme/e"] == [("docker.io/acme/base", False)]  # the Hub original: external


def test_external_parents_are_named_in_familiar_form(tmp_path: Path) -> None:
    parents = _parents(tmp_path, HEADER + """\
base_images:
  acme/a: {git: g, from: docker.io/library/debian:bookworm}
  acme/b: {git: g, from: "library/debian:bookworm"}
  acme/c: {git: g, from: [debian:bookworm, debian:bookworm-slim, scratch]}
""")
    assert parents["acme/a"] == parents["acme/b"] == [("debian:bookworm", False)]
    assert parents["acme/c"] == [("debian:bookworm", False), ("debian:bookworm-slim", False)]


def test_external_spelt_like_a_listed_key_stays_a_separate_node(tmp_path: Path) -> None:
    inventory = load(write(tmp_path, HEADER + """\
base_images:
  nginx: {git: g, from: docker.io/library/nginx}
"""))
    assert [p.node for p in inventory.images["nginx"].parents] == ["docker.io/library/nginx"]
    assert inventory.graph.kind("docker.io/library/nginx") == "external"
    assert inventory.graph.parents("nginx") == ["docker.io/library/nginx"]


def test_digest_pinned_listed_parent_is_a_pinned_edge_and_a_warning(tmp_path: Path) -> None:
    digest = "sha256:" + "0123456789abcdef" * 4
    path = write(tmp_path, HEADER + f"""\
base_images:
  acme/base: {{git: g, from: debian}}
  acme/child:
    git: g
    from: "acme/base@{digest}"
""")
    report = check(path)
    assert report.ok
    assert report.inventory is not None
    assert [(p.node, p.pinned) for p in report.inventory.images["acme/child"].parents] == [("acme/base", True)]
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert str(warning).startswith(f"{path}:11:11: ")
    assert "pinned by digest" in warning.message and "will not rebuild 'acme/child'" in warning.message
    assert report.inventory.warnings == report.warnings
    assert report.to_json()["warnings"][0]["line"] == 11


# -- path: Dockerfile parents ----------------------------------------------------------------------------------

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=acme/base
ARG TAG=1
FROM ${BASE}:${TAG} AS build
RUN make
FROM debian:bookworm-slim
COPY --from=build /out /out
COPY --from=alpine:3.20 /bin/busybox /bin/
"""


def _with_dockerfile(tmp_path: Path, dockerfile: str = DOCKERFILE) -> None:
    (tmp_path / "images" / "tool").mkdir(parents=True)
    (tmp_path / "images" / "tool" / "Dockerfile").write_text(dockerfile, encoding="utf-8")


def test_path_reads_parents_from_arg_stages_and_copy_from(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path)
    parents = _parents(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
  acme/tool:
    git: g
    path: images/tool
""")
    assert parents["acme/tool"] == [("acme/base", False), ("debian:bookworm-slim", False), ("alpine:3.20", False)]


def test_path_parents_use_build_args(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path)
    parents = _parents(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
  acme/other: {git: g, from: debian}
  acme/tool:
    git: g
    path: images/tool
    build_args: {BASE: acme/other}
""")
    assert parents["acme/tool"][0] == ("acme/other", False)


def test_path_parent_location_is_the_dockerfile_line(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path)
    inventory = load(write(tmp_path, HEADER + "base_images:\n  acme/base: {git: g, from: debian}\n  acme/tool: {git: g, path: images/tool}\n"))
    first = inventory.images["acme/tool"].parents[0]
    assert (Path(first.location.file).name, first.location.line, first.location.column) == ("Dockerfile", 4, 6)


def test_from_agreeing_with_the_dockerfile_is_accepted(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path)
    parents = _parents(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian, registry: hub}
  acme/tool:
    git: g
    path: images/tool
    from: [docker.io/acme/base, "debian:bookworm-slim", alpine]
""")
    assert [node for node, _ in parents["acme/tool"]] == ["acme/base", "debian:bookworm-slim", "alpine"]


def test_from_disagreeing_with_the_dockerfile_names_both(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path)
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: debian}
  acme/tool:
    git: g
    path: images/tool
    from: [acme/base, ubuntu]
""")
    the_error(report, path, 12, 11, "`from` says acme/base, ubuntu", "images/tool/Dockerfile builds from",
              "alpine:3.20", "debian:bookworm-slim", "make them agree")


def test_missing_dockerfile_is_reported_at_path(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/tool:\n    git: g\n    path: images/nowhere\n")
    the_error(report, path, 10, 11, "no Dockerfile at", "images/nowhere/Dockerfile")


def test_dockerfile_named_by_dockerfile_key_is_read(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "Dockerfile.prod").write_text("FROM alpine:3.20\n", encoding="utf-8")
    parents = _parents(tmp_path, HEADER + "base_images:\n  acme/tool: {git: g, path: images, dockerfile: docker/Dockerfile.prod}\n")
    assert parents["acme/tool"] == [("alpine:3.20", False)]


def test_dockerfile_problem_is_reported_in_the_dockerfile(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path, "RUN echo\nFROM\n")
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/tool: {git: g, path: images/tool}\n")
    assert len(report.errors) == 1
    problem = report.errors[0]
    assert problem.location.file.endswith("Dockerfile") and problem.location.line == 2
    assert "FROM has no image" in problem.message


def test_invalid_reference_in_the_dockerfile_is_reported_there(tmp_path: Path) -> None:
    _with_dockerfile(tmp_path, "FROM Alpine\n")
    _, report = check_text(tmp_path, HEADER + "base_images:\n  acme/tool: {git: g, path: images/tool}\n")
    assert [(Path(e.location.file).name, e.location.line, e.location.column) for e in report.errors] == [("Dockerfile", 1, 6)]
    assert "FROM 'Alpine' is not a valid image reference" in report.errors[0].message


# -- the graph -----------------------------------------------------------------------------------------------

def test_cycle_prints_its_whole_path_and_where_each_from_is(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/a: {git: g, from: acme/c}
  acme/b: {git: g, from: acme/a}
  acme/c: {git: g, from: acme/b}
""")
    problem = the_error(report, path, 9, 26, "dependency cycle: acme/a -> acme/b -> acme/c -> acme/a")
    assert f"acme/b FROM acme/a at {path}:9:26" in problem.message
    assert f"acme/c FROM acme/b at {path}:10:26" in problem.message
    assert f"acme/a FROM acme/c at {path}:8:26" in problem.message


def test_every_separate_cycle_is_reported(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/a: {git: g, from: acme/b}
  acme/b: {git: g, from: acme/a}
  acme/x: {git: g, from: [acme/y, debian]}
  acme/y: {git: g, from: acme/x}
""")
    assert len(report.errors) == 2
    error_at(report, path, 9, 26, "acme/a -> acme/b -> acme/a")
    error_at(report, path, 11, 26, "acme/x -> acme/y -> acme/x", f"acme/x FROM acme/y at {path}:10:27")


def test_cycle_is_reported_with_other_errors(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/a: {git: g, from: acme/b, colour: red}
  acme/b: {git: g, from: acme/a}
""")
    assert len(report.errors) == 2
    error_at(report, path, 8, 34, "unknown key `colour`")
    error_at(report, path, 9, 26, "dependency cycle: acme/a -> acme/b -> acme/a")


def test_image_built_from_itself_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/a: {git: g, from: acme/a:1}\n")
    the_error(report, path, 8, 26, "base image 'acme/a' cannot be built FROM itself")


def test_app_named_as_a_parent_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/base: {git: g, from: web/portal}
apps:
  portal: {git: g, from: debian, image: web/portal}
  admin: {git: g, from: "registry.example.org/portal"}
  helper: {git: g, from: debian}
""")
    assert len(report.errors) == 1
    error_at(report, path, 8, 29, "'web/portal' is the image of app 'portal'", "apps are leaves")


def test_app_named_by_key_as_a_parent_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
apps:
  portal: {git: g, from: debian}
  admin: {git: g, from: portal}
""")
    the_error(report, path, 9, 25, "'portal' is the image of app 'portal'")


def test_two_base_images_of_the_same_repository_are_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  x: {git: g, from: debian}\n  library/x: {git: g, from: debian}\n")
    the_error(report, path, 9, 3, "base image 'library/x' is the same repository as base image 'x'")


# -- job names -------------------------------------------------------------------------------------------------

def test_slash_and_dash_job_name_collision_names_both(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
base_images:
  acme/nginx: {git: g, from: debian}
  acme-nginx: {git: g, from: debian}
""")
    the_error(report, path, 9, 3, "base image 'acme-nginx' would be the Jenkins job 'acme-nginx'",
              f"base image 'acme/nginx' ({path}:8:3)")


def test_case_only_job_name_collision_names_both(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins: {folder: docker}
apps:
  portal: {git: g, from: debian}
  Portal: {git: g, from: debian, image: web/portal}
""")
    the_error(report, path, 10, 3, "app 'Portal' would be the Jenkins job 'docker/Portal'", "app 'portal'", "ignore case")


def test_app_colliding_with_another_apps_deploy_job_names_both(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
apps:
  portal: {git: g, from: debian, deploy: ./deploy.sh}
  portal-deploy: {git: g, from: debian}
""")
    the_error(report, path, 8, 3, "the deploy job of app 'portal' would be the Jenkins job 'portal-deploy'",
              f"already the job of app 'portal-deploy' ({path}:9:3)")


def test_seed_job_colliding_with_an_app_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + """\
jenkins:
  seed_job: {git: g, name: portal}
apps:
  portal: {git: g, from: debian}
""")
    the_error(report, path, 8, 28, "the seed job would be the Jenkins job 'portal'", "app 'portal'")


# -- secrets ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "column", "name"), [
    ("    env: {MYSQL_PASSWORD: x}", 11, "MYSQL_PASSWORD"),
    ("    build_args: {API_TOKEN: x}", 18, "API_TOKEN"),
    ("    env: {apiKey: x}", 11, "apiKey"),
    ("    env: {DB_PASS: x}", 11, "DB_PASS"),
    ("    env: {AWS_SECRET_ACCESS_KEY: x}", 11, "AWS_SECRET_ACCESS_KEY"),
    ("    env: {MYSQLPASSWORD: x}", 11, "MYSQLPASSWORD"),
    ("    password: hunter2", 5, "password"),
])
def test_secret_looking_key_is_refused_with_advice(tmp_path: Path, line: str, column: int, name: str) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base:\n    git: g\n    from: debian\n" + line + "\n")
    the_error(report, path, 11, column, f"{name!r} looks like a secret", "Jenkins credentials", "reference its id")


def test_secret_looking_key_in_a_registry_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "  token: x\nbase_images:\n  acme/base: {git: g, from: debian}\n")
    the_error(report, path, 7, 3, "'token' looks like a secret")


def test_words_that_only_resemble_secrets_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + """\
jenkins: {git_credentials: gitlab-ssh}
base_images:
  acme/base:
    git: g
    from: debian
    env: {BYPASS_CACHE: "1", PASSPORT_URL: x, KEY_ID: x, CREDENTIALS_ID: x, TOKENIZER: x}
""")
    inventory = load(path)
    assert "BYPASS_CACHE" in inventory.images["acme/base"].env
    assert inventory.registries["hub"].credentials == "hub-push"


def test_git_url_holding_a_password_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base: {git: 'https://bot:s3cret@gitlab.example.org/a.git', from: debian}\n")
    the_error(report, path, 8, 20, "git URL holds a password", "git_credentials")


# -- registries, cron, names ---------------------------------------------------------------------------------------

def test_unknown_registry_suggests_the_closest(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base: {git: g, from: debian, registry: privat}\n")
    the_error(report, path, 8, 47, "unknown registry 'privat'", "did you mean `private`?")


def test_unknown_default_registry_is_reported_once(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER.replace("registry: private", "registry: nowhere") + """\
base_images:
  acme/a: {git: g, from: debian}
  acme/b: {git: g, from: debian}
  acme/c: {git: g, from: debian, registry: hub}
""")
    the_error(report, path, 6, 13, "unknown registry 'nowhere'", "known: hub, private")


def test_invalid_registry_host_is_refused_and_not_reported_again_as_unknown(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, """\
        version: 1
        registries:
          private: {host: "https://registry.example.org", credentials: c}
        defaults: {registry: private}
        base_images:
          acme/base: {git: g, from: debian}
        """)
    the_error(report, path, 3, 19, "registry host 'https://registry.example.org' is not valid", "without https://")


def test_docker_hub_host_aliases_mean_docker_io(tmp_path: Path) -> None:
    inventory = load(write(tmp_path, """\
        version: 1
        registries: {hub: {host: index.docker.io, credentials: c}}
        defaults: {registry: hub}
        base_images:
          acme/base: {git: g, from: debian}
        """))
    assert inventory.registries["hub"].host == "docker.io"


@pytest.mark.parametrize(("spec", "fragment"), [
    ("61 * * * *", "minute '61' is out of range 0-59"),
    ("H 24 * * *", "hour '24' is out of range 0-23"),
    ("H H 0 * *", "day of month '0' is out of range 1-31"),
    ("H H * 13 *", "month '13' is out of range 1-12"),
    ("H H * * 8", "day of week '8' is out of range 0-7"),
    ("H H * *", "must have 5 fields"),
    ("H H * * MON", "is not valid cron"),
    ("H H(5-2) * * *", "empty range"),
    ("*/0 * * * *", "step of 0"),
    ("# nothing\n", "holds no cron line"),
])
def test_bad_cron_is_refused_with_the_field_at_fault(tmp_path: Path, spec: str, fragment: str) -> None:
    path, report = check_text(tmp_path, HEADER + f"base_images:\n  acme/base:\n    git: g\n    from: debian\n    rebuild: {json.dumps(spec)}\n")
    the_error(report, path, 11, 14, fragment)


@pytest.mark.parametrize("spec", ["H H * * 0", "H H(0-5) * * 0", "@daily", "*/15 * * * 1-5", "H/30 H(8-18) 1,15 1-12/2 *",
                                  "TZ=Europe/London\nH 3 * * *", "0 0 31 12 7"])
def test_valid_cron_is_accepted(tmp_path: Path, spec: str) -> None:
    path = write(tmp_path, HEADER + f"base_images:\n  acme/base:\n    git: g\n    from: debian\n    rebuild: {json.dumps(spec)}\n")
    assert load(path).images["acme/base"].rebuild == spec


@pytest.mark.parametrize(("setting", "column", "fragment"), [
    ("folder: 'ops/do?cker'", 19, "`folder` 'ops/do?cker': folder part 'do?cker': '?' is not allowed"),
    ("folder: 'ops//docker'", 19, "folder part '': a Jenkins name cannot be empty"),
    ("view: 'a/b'", 17, "`view` 'a/b': '/' is not allowed"),
    ("view: 'images.'", 17, "cannot end with '.'"),
])
def test_bad_folder_or_view_name_is_refused(tmp_path: Path, setting: str, column: int, fragment: str) -> None:
    path, report = check_text(tmp_path, HEADER + f"jenkins: {{{setting}}}\nbase_images:\n  acme/base: {{git: g, from: debian}}\n")
    the_error(report, path, 7, column, fragment)


def test_nested_folder_is_accepted_and_slashes_trimmed(tmp_path: Path) -> None:
    inventory = load(write(tmp_path, HEADER + "jenkins: {folder: /ops/docker/}\nbase_images:\n  acme/base: {git: g, from: debian}\n"))
    assert inventory.jenkins.folder == "ops/docker"


def test_missing_templates_directory_is_reported(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "templates: my-templates\nbase_images:\n  acme/base: {git: g, from: debian}\n")
    the_error(report, path, 7, 12, "templates directory 'my-templates' does not exist")


# -- reporting everything at once --------------------------------------------------------------------------------------

def test_every_error_of_a_file_is_reported_in_one_run_sorted_by_location(tmp_path: Path) -> None:
    path = tmp_path / "five-problems.yml"
    path.write_text((DATA / "five-problems.yml").read_text(encoding="utf-8"), encoding="utf-8")
    report = check(path)
    assert [(e.location.line, e.location.column) for e in report.errors] == [(6, 3), (13, 13), (17, 15), (22, 11), (23, 5)]
    messages = [e.message for e in report.errors]
    assert "unknown key `fodler`" in messages[0]
    assert "`branch` in base image 'acme/base' must be a string" in messages[1]
    assert "unknown registry 'privat'" in messages[2]
    assert "'MYSQL_PASSWORD' looks like a secret" in messages[3]
    assert "duplicate key 'git'" in messages[4]


def test_load_raises_an_inventory_error_carrying_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "five-problems.yml"
    path.write_text((DATA / "five-problems.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InventoryError) as caught:
        load(path)
    assert len(caught.value.problems) == 5
    assert str(caught.value).splitlines()[0].startswith(f"{path}:6:3: ")


def test_report_json_has_the_contract_shape(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "base_images:\n  acme/base: {git: g, from: debian, form: x}\n")
    document = report.to_json()
    assert document == {
        "ok": False,
        "errors": [{"file": str(path), "line": 8, "column": 37, "message": document["errors"][0]["message"]}],
        "warnings": [],
    }
    assert "did you mean `from`?" in document["errors"][0]["message"]


# -- properties: nothing a user can write crashes the loader ---------------------------------------------

def _check_bytes(data: bytes) -> tuple[Path, int, Report]:
    """Check ``data`` as an inventory file: its path, its number of lines (as YAML counts
    them: CR, LF and CRLF end a line, so do NEL, LS and PS), and the report."""
    text = data.decode("utf-8", errors="replace")
    lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "inventory.yml"
        path.write_bytes(data)
        return path, lines, check(path)


def _assert_report_is_sound(path: Path, lines: int, report: Report) -> None:
    assert isinstance(report, Report)
    if report.errors:
        assert report.inventory is None
        for problem in report.errors:
            assert problem.location.file == str(path)
            assert 1 <= problem.location.line <= lines and problem.location.column >= 1
            assert problem.message and "\n" not in problem.message
        assert report.errors == sorted(report.errors, key=lambda p: (p.location, p.message))
    else:
        assert report.inventory is not None
        assert report.inventory.graph.find_cycle() is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_structurally_mutated_inventory_never_crashes_the_loader(text: str) -> None:
    _assert_report_is_sound(*_check_bytes(text.encode("utf-8")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_texts())
def test_textually_damaged_inventory_never_crashes_the_loader(data: bytes) -> None:
    _assert_report_is_sound(*_check_bytes(data))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_loader(data: bytes) -> None:
    path, lines, report = _check_bytes(data)
    assert report.errors or report.inventory is not None
    if report.errors:
        _assert_report_is_sound(path, lines, report)


def test_path_the_system_cannot_even_look_up_is_a_missing_dockerfile(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + f"templates: {'t' * 5000}\nbase_images:\n  acme/tool: {{git: g, path: {'d' * 5000}}}\n")
    assert [(e.location.line, e.location.column) for e in report.errors] == [(7, 12), (9, 29)]
    assert "no Dockerfile at" in report.errors[1].message


def test_bad_default_registry_is_reported_once_not_for_every_image(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER.replace("registry: private", "registry: [private]") + """\
base_images:
  acme/a: {git: g, from: debian}
  acme/b: {git: g, from: debian}
""")
    the_error(report, path, 6, 13, "`registry` in `defaults` must be a string, not a list")


def test_empty_registry_is_reported_once_not_again_by_the_images_using_it(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, """\
        version: 1
        registries:
          private:
        defaults: {registry: private}
        base_images:
          acme/a: {git: g, from: debian}
        """)
    the_error(report, path, 3, 3, "registry 'private' is empty; it needs at least `host`, `credentials`")


def test_app_key_that_jenkins_refuses_as_a_job_name_is_refused(tmp_path: Path) -> None:
    path, report = check_text(tmp_path, HEADER + "apps:\n  'my?app': {git: g, from: debian, image: web/app}\n")
    the_error(report, path, 8, 3, "app name 'my?app': '?' is not allowed in a Jenkins name")


def test_app_key_may_be_any_jenkins_name_when_image_is_given(tmp_path: Path) -> None:
    inventory = load(write(tmp_path, HEADER + "apps:\n  Web Portal: {git: g, from: debian, image: web/portal}\n"))
    assert inventory.images["Web Portal"].job_name == "Web Portal"
