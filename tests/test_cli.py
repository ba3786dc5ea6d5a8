"""The command line as users run it: a real process, real files, exit codes and output streams."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IIIEPE = ROOT / "examples" / "iiiepe" / "inventory.yml"
PLATFORM = ROOT / "examples" / "platform" / "inventory.yml"
COMMANDS = ["validate", "graph", "impact", "render", "plan", "sync", "rebuild", "webhooks", "schema", "outdated", "status"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``jenkins-docker ARGS`` as a separate process, as a shell user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "GITLAB_"))}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "jenkins_docker", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, input=stdin, timeout=120)


def write(tmp_path: Path, text: str, name: str = "inventory.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_valid_inventory_prints_a_summary_and_exits_0() -> None:
    done = run("validate", str(IIIEPE))
    assert done.returncode == 0, done.stderr
    assert "ok: 5 base images, 5 apps, 10 dependencies, 15 jobs" in done.stdout  # 10 builds, 4 deploys, the seed job


def test_validate_reports_every_problem_as_file_line_col_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nregistries:\n  r: {host: r.example.org, credentials: c}\nbase_images:\n"
                 "  acme/a:\n    git: g\n    from: debian\n    regstry: r\n  acme/b:\n    from: acme/a\n    registry: r\n")
    done = run("validate", str(path))
    assert done.returncode == 1
    assert f"{path}:8:5:" in done.stdout and "did you mean `registry`" in done.stdout
    assert f"{path}:9:3: error: base image 'acme/b' is missing the required key `git`" in done.stdout
    assert f"{path}:5:3:" in done.stdout and "has no registry" in done.stdout  # acme/a: regstry is no registry
    assert "Traceback" not in done.stdout + done.stderr


def test_validate_json_matches_the_contract(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: nowhere}\n")
    done = run("validate", str(path), "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False
    error = document["errors"][0]
    assert set(error) == {"file", "line", "column", "message"}
    assert (error["file"], error["line"]) == (str(path), 3)
    assert document["warnings"] == []


def test_validate_json_of_a_valid_inventory_lists_warnings() -> None:
    done = run("validate", str(PLATFORM), "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert document["ok"] is True and document["errors"] == []
    assert any("pinned by digest" in w["message"] for w in document["warnings"])


def test_yaml_syntax_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images: [unclosed\n")
    done = run("validate", str(path))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.startswith(str(path))]
    assert len(lines) == 1 and "YAML syntax error" in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_inventory_file_is_a_clear_error(tmp_path: Path) -> None:
    done = run("graph", str(tmp_path / "nope.yml"))
    assert done.returncode == 1
    assert "nope.yml:1:1: no such file" in done.stderr


def test_graph_json_matches_the_contract() -> None:
    done = run("graph", str(IIIEPE), "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    nodes = {n["id"]: n for n in document["nodes"]}
    assert nodes["iiiepe/nginx"] == {"id": "iiiepe/nginx", "kind": "base", "job": "docker/iiiepe-nginx"}
    assert nodes["website"]["kind"] == "app"
    assert nodes["debian:bookworm"] == {"id": "debian:bookworm", "kind": "external", "job": None}
    assert {"from": "debian:bookworm", "to": "iiiepe/nginx", "pinned": False} in document["edges"]


def test_graph_text_is_a_tree_of_what_is_built_from_what() -> None:
    done = run("graph", str(IIIEPE))
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "debian:bookworm  [external]"
    assert "├── iiiepe/nginx" in done.stdout and "[app]" in done.stdout


def test_graph_dot_and_mermaid_name_every_node() -> None:
    dot = run("graph", str(PLATFORM), "--format", "dot").stdout
    mermaid = run("graph", str(PLATFORM), "--format", "mermaid").stdout
    for node in ("acme/runtime", "shop", "debian:bookworm-slim"):
        assert f'"{node}"' in dot and node in mermaid
    assert "style=dashed" in dot  # the pinned edge
    assert mermaid.startswith("flowchart LR")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is installed by .ci/run; this machine lacks it")
def test_graph_svg_is_drawn_by_graphviz_with_the_highlight(tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    done = run("graph", str(PLATFORM), "--format", "svg", "--highlight", "acme/python", "-o", str(out))
    assert done.returncode == 0, done.stderr
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "acme/fullstack" in svg and "#f6c26b" in svg  # a dependent of acme/python, highlighted


def test_graph_svg_without_graphviz_says_how_to_install_it(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}  # no `dot` on this PATH
    done = run("graph", str(IIIEPE), "--format", "svg", "-o", str(tmp_path / "g.svg"), env=env)
    assert done.returncode == 1
    assert "apt-get install graphviz" in done.stderr


def test_impact_json_gives_waves_and_jobs_in_build_order() -> None:
    done = run("impact", str(IIIEPE), "iiiepe/nginx-php", "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert document["changed"] == ["iiiepe/nginx-php"]
    assert document["waves"] == [["iiiepe/nginx-php"], ["iiiepe/nginx-drupal6", "iiiepe/nginx-drupal7"], ["courses", "intranet", "website"]]
    assert document["jobs"][0] == "docker/iiiepe-nginx-php"
    assert document["jobs"].index("docker/iiiepe-nginx-drupal7") < document["jobs"].index("docker/intranet")


def test_impact_accepts_external_references_in_any_spelling() -> None:
    short = json.loads(run("impact", str(IIIEPE), "debian:bookworm", "--format", "json").stdout)
    long = json.loads(run("impact", str(IIIEPE), "docker.io/library/debian:bookworm", "--format", "json").stdout)
    assert short == long and short["changed"] == ["debian:bookworm"]
    assert len(short["jobs"]) == 10 + len(short["deploys"]) and len(short["deploys"]) == 4


def test_impact_of_an_unknown_image_suggests_a_name() -> None:
    done = run("impact", str(IIIEPE), "iiiepe/ngnix")
    assert done.returncode == 1
    assert "did you mean" in done.stderr and "iiiepe/nginx" in done.stderr


def test_schema_prints_a_json_schema() -> None:
    done = run("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "base_images" in schema["properties"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0
    assert "Examples:" in done.stdout and f"jenkins-docker {command}" in done.stdout


def test_version_prints_the_version() -> None:
    from jenkins_docker import __version__
    done = run("--version")
    assert done.returncode == 0 and __version__ in done.stdout


def test_bad_usage_exits_2() -> None:
    assert run("impact", str(IIIEPE)).returncode == 2
    assert run("no-such-command").returncode == 2
    assert run("graph", str(IIIEPE), "--format", "gif").returncode == 2


def test_sync_without_a_target_is_a_usage_error() -> None:
    done = run("sync", str(IIIEPE))
    assert done.returncode == 2
    assert "--jenkins URL" in done.stderr


def test_tokens_cannot_be_passed_as_arguments() -> None:
    done = run("sync", str(IIIEPE), "--jenkins", "http://127.0.0.1:9", "--token", "s3cret")
    assert done.returncode == 2
    assert "No such option '--token'" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr


def test_no_colour_when_output_is_not_a_terminal(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: nowhere}\n")
    done = run("validate", str(path))
    assert "\x1b[" not in done.stdout + done.stderr


def test_colour_on_request_with_force_color(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: nowhere}\n")
    done = run("validate", str(path), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in done.stdout
