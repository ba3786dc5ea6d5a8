"""The command line as users run it: a real process, real files, exit codes and output streams."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import BLOG_APP, IIIEPE, PLATFORM, SMALL, CountingJenkins, cli, env_for, inventory_file, many_apps, remote, sync, write
from jenkins_docker import load, render
from jenkins_docker.rendering.renderer import MANAGED_MARKER
from jenkins_docker.testing.fake_jenkins import FakeJenkins

COMMANDS = ["validate", "graph", "impact", "render", "plan", "sync", "rebuild", "webhooks", "schema", "outdated", "status"]


def test_validate_valid_inventory_prints_a_summary_and_exits_0() -> None:
    done = cli("validate", str(IIIEPE))
    assert done.returncode == 0, done.stderr
    assert "ok: 5 base images, 5 apps, 10 dependencies, 15 jobs" in done.stdout  # 10 builds, 4 deploys, the seed job


def test_validate_reports_every_problem_as_file_line_col_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nregistries:\n  r: {host: r.example.org, credentials: c}\nbase_images:\n"
                 "  acme/a:\n    git: g\n    from: debian\n    regstry: r\n  acme/b:\n    from: acme/a\n    registry: r\n")
    done = cli("validate", str(path))
    assert done.returncode == 1
    assert f"{path}:8:5:" in done.stdout and "did you mean `registry`" in done.stdout
    assert f"{path}:9:3: error: base image 'acme/b' is missing the required key `git`" in done.stdout
    assert f"{path}:5:3:" in done.stdout and "has no registry" in done.stdout  # acme/a: regstry is no registry
    assert "Traceback" not in done.stdout + done.stderr


def test_validate_json_matches_the_contract(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: nowhere}\n")
    done = cli("validate", str(path), "--format", "json")
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False
    error = document["errors"][0]
    assert set(error) == {"file", "line", "column", "message"}
    assert (error["file"], error["line"]) == (str(path), 3)
    assert document["warnings"] == []


def test_validate_json_of_a_valid_inventory_lists_warnings() -> None:
    done = cli("validate", str(PLATFORM), "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert document["ok"] is True and document["errors"] == []
    assert any("pinned by digest" in w["message"] for w in document["warnings"])


def test_yaml_syntax_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images: [unclosed\n")
    done = cli("validate", str(path))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.startswith(str(path))]
    assert len(lines) == 1 and "YAML syntax error" in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_inventory_file_is_a_clear_error(tmp_path: Path) -> None:
    done = cli("graph", str(tmp_path / "nope.yml"))
    assert done.returncode == 1
    assert "nope.yml:1:1: no such file" in done.stderr


def test_graph_json_matches_the_contract() -> None:
    done = cli("graph", str(IIIEPE), "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    nodes = {n["id"]: n for n in document["nodes"]}
    assert nodes["iiiepe/nginx"] == {"id": "iiiepe/nginx", "kind": "base", "job": "docker/iiiepe-nginx"}
    assert nodes["website"]["kind"] == "app"
    assert nodes["debian:bookworm"] == {"id": "debian:bookworm", "kind": "external", "job": None}
    assert {"from": "debian:bookworm", "to": "iiiepe/nginx", "pinned": False} in document["edges"]


def test_graph_text_is_a_tree_of_what_is_built_from_what() -> None:
    done = cli("graph", str(IIIEPE))
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "debian:bookworm  [external]"
    assert "├── iiiepe/nginx" in done.stdout and "[app]" in done.stdout


def test_graph_dot_and_mermaid_name_every_node() -> None:
    dot = cli("graph", str(PLATFORM), "--format", "dot").stdout
    mermaid = cli("graph", str(PLATFORM), "--format", "mermaid").stdout
    for node in ("acme/runtime", "shop", "debian:bookworm-slim"):
        assert f'"{node}"' in dot and node in mermaid
    assert "style=dashed" in dot  # the pinned edge
    assert mermaid.startswith("flowchart LR")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is installed by .ci/run; this machine lacks it")
def test_graph_svg_is_drawn_by_graphviz_with_the_highlight(tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    done = cli("graph", str(PLATFORM), "--format", "svg", "--highlight", "acme/python", "-o", str(out))
    assert done.returncode == 0, done.stderr
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "acme/fullstack" in svg and "#f6c26b" in svg  # a dependent of acme/python, highlighted


def test_graph_svg_without_graphviz_says_how_to_install_it(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}  # no `dot` on this PATH
    done = cli("graph", str(IIIEPE), "--format", "svg", "-o", str(tmp_path / "g.svg"), env=env)
    assert done.returncode == 1
    assert "apt-get install graphviz" in done.stderr


def test_impact_json_gives_waves_and_jobs_in_build_order() -> None:
    done = cli("impact", str(IIIEPE), "iiiepe/nginx-php", "--format", "json")
    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert document["changed"] == ["iiiepe/nginx-php"]
    assert document["waves"] == [["iiiepe/nginx-php"], ["iiiepe/nginx-drupal6", "iiiepe/nginx-drupal7"], ["courses", "intranet", "website"]]
    assert document["jobs"][0] == "docker/iiiepe-nginx-php"
    assert document["jobs"].index("docker/iiiepe-nginx-drupal7") < document["jobs"].index("docker/intranet")


def test_impact_accepts_external_references_in_any_spelling() -> None:
    short = json.loads(cli("impact", str(IIIEPE), "debian:bookworm", "--format", "json").stdout)
    long = json.loads(cli("impact", str(IIIEPE), "docker.io/library/debian:bookworm", "--format", "json").stdout)
    assert short == long and short["changed"] == ["debian:bookworm"]
    assert len(short["jobs"]) == 10 + len(short["deploys"]) and len(short["deploys"]) == 4


def test_impact_of_an_unknown_image_suggests_a_name() -> None:
    done = cli("impact", str(IIIEPE), "iiiepe/ngnix")
    assert done.returncode == 1
    assert "did you mean" in done.stderr and "iiiepe/nginx" in done.stderr


def test_schema_prints_a_json_schema() -> None:
    done = cli("schema")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "base_images" in schema["properties"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    done = cli(command, "--help")
    assert done.returncode == 0
    assert "Examples:" in done.stdout and f"jenkins-docker {command}" in done.stdout


def test_version_prints_the_version() -> None:
    from jenkins_docker import __version__
    done = cli("--version")
    assert done.returncode == 0 and __version__ in done.stdout


def test_bad_usage_exits_2() -> None:
    assert cli("impact", str(IIIEPE)).returncode == 2
    assert cli("no-such-command").returncode == 2
    assert cli("graph", str(IIIEPE), "--format", "gif").returncode == 2


def test_sync_without_a_target_is_a_usage_error() -> None:
    done = cli("sync", str(IIIEPE))
    assert done.returncode == 2
    assert "--jenkins URL" in done.stderr


def test_tokens_cannot_be_passed_as_arguments() -> None:
    done = cli("sync", str(IIIEPE), "--jenkins", "http://127.0.0.1:9", "--token", "s3cret")
    assert done.returncode == 2
    assert "No such option '--token'" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr


def test_no_colour_when_output_is_not_a_terminal(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: nowhere}\n")
    done = cli("validate", str(path))
    assert "\x1b[" not in done.stdout + done.stderr


def test_colour_on_request_with_force_color(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: nowhere}\n")
    done = cli("validate", str(path), env={"FORCE_COLOR": "1"})
    assert "\x1b[" in done.stdout


# -- plan and sync through the command line: the JSON document, exit codes, --dry-run, --workers ---
CONTRACT_KEYS = {"create", "update", "delete", "unchanged", "failed"}
FOLDER_AND_JOBS = {"docker", "docker/acme-base", "docker/acme-web", "docker/portal", "docker/portal-deploy", "docker/shop"}


def test_plan_json_has_the_contract_keys_with_full_names_including_a_delete_and_a_failure(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    assert cli("sync", str(path), env=env_for(jenkins)).returncode == 0
    # shop leaves the inventory (a delete with --prune), blog joins it (a create), but a job made
    # by hand already stands where blog must go (a failure); acme-web drifts (an update).
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra=BLOG_APP + "  news:\n"
                                 "    git: git@gitlab.example.org:web/news.git\n    from: acme/base\n"), encoding="utf-8")
    jenkins.put_job("docker/blog", "<project><description>made by hand</description></project>")
    jenkins.put_job("docker/acme-web", jenkins.get_config("docker/acme-web").replace("docker build ", "docker build --no-cache "))
    jenkins.reset_requests()
    done = cli("plan", str(path), "--prune", "--format", "json", env=env_for(jenkins))
    assert done.returncode == 1, done.stderr  # a failure is an error
    document = json.loads(done.stdout)
    assert CONTRACT_KEYS <= set(document)
    assert document["create"] == ["docker/news"]
    assert document["update"] == ["docker/acme-base", "docker/acme-web"]  # acme-base: its children changed
    assert document["delete"] == ["docker/shop"]
    assert sorted(document["unchanged"]) == ["docker", "docker/portal", "docker/portal-deploy"]
    assert len(document["failed"]) == 1
    failure = document["failed"][0]
    assert set(failure) == {"job", "error"}
    assert failure["job"] == "docker/blog" and "not managed by jenkins-docker" in failure["error"]
    assert jenkins.count(method="POST") == 0  # plan changed nothing
    assert "docker/shop" in jenkins.job_names() and "docker/news" not in jenkins.job_names()
    assert "docker build --no-cache" in jenkins.get_config("docker/acme-web")


def test_sync_json_has_the_contract_keys_with_a_delete_and_a_failure(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    assert cli("sync", str(path), env=env_for(jenkins)).returncode == 0
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra=BLOG_APP), encoding="utf-8")
    jenkins.put_job("docker/blog", "<project><description>made by hand</description></project>")
    done = cli("sync", str(path), "--prune", "--format", "json", env=env_for(jenkins))
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert CONTRACT_KEYS <= set(document)
    assert document["delete"] == ["docker/shop"] and document["create"] == []
    assert document["update"] == ["docker/acme-base", "docker/acme-web"]  # their children changed
    assert [f["job"] for f in document["failed"]] == ["docker/blog"]
    assert "not managed by jenkins-docker" in document["failed"][0]["error"]
    assert "docker/shop" not in jenkins.job_names()
    assert "made by hand" in jenkins.get_config("docker/blog")


def test_plan_detailed_exitcode_is_1_on_a_failed_job_not_2(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    jenkins.put_folder("docker")
    jenkins.put_job("docker/shop", "<project><description>not ours</description></project>")
    done = cli("plan", str(path), "--detailed-exitcode", env=env_for(jenkins))
    assert done.returncode == 1, (done.stdout, done.stderr)  # changes are pending too, but the error wins
    assert "failed docker/shop" in done.stdout


def test_plan_detailed_exitcode_is_1_when_jenkins_refuses_the_credentials(tmp_path: Path, jenkins: FakeJenkins) -> None:
    done = cli("plan", str(inventory_file(tmp_path)), "--detailed-exitcode", env=env_for(jenkins, token="wrong"))
    assert done.returncode == 1
    assert "refused the credentials" in done.stderr


def test_plan_detailed_exitcode_is_1_for_an_invalid_inventory(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    path.write_text(path.read_text().replace("    from: acme/base\n", "    form: acme/base\n", 1), encoding="utf-8")
    done = cli("plan", str(path), "--detailed-exitcode", env=env_for(jenkins))
    assert done.returncode == 1
    assert "unknown key `form`" in done.stdout + done.stderr


def test_sync_dry_run_writes_nothing_to_a_live_jenkins(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    done = cli("sync", str(path), "--dry-run", env=env_for(jenkins))
    assert done.returncode == 0, done.stderr
    assert "+ create docker/portal" in done.stdout and "6 to create" in done.stdout
    assert jenkins.count(method="POST") == 0
    assert jenkins.job_names() == [] and jenkins.folder_names() == []
    as_json = cli("sync", str(path), "--dry-run", "--format", "json", env=env_for(jenkins))
    assert as_json.returncode == 0
    assert set(json.loads(as_json.stdout)["create"]) == FOLDER_AND_JOBS
    assert jenkins.count(method="POST") == 0


def test_sync_dry_run_of_a_change_and_a_prune_leaves_jenkins_as_it_was(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    before = {name: jenkins.get_config(name) for name in jenkins.job_names()}
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra="").replace("./deploy.sh portal", "./deploy.sh other"),
                    encoding="utf-8")
    jenkins.reset_requests()
    done = cli("sync", str(path), "--dry-run", "--prune", env=env_for(jenkins))
    assert done.returncode == 0, done.stderr
    assert "~ update docker/portal-deploy" in done.stdout and "- delete docker/shop" in done.stdout
    assert jenkins.count(method="POST") == 0
    assert {name: jenkins.get_config(name) for name in jenkins.job_names()} == before


def test_sync_dry_run_writes_nothing_into_a_jenkins_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = cli("sync", str(inventory_file(tmp_path)), "--jenkins-home", str(home), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "6 to create" in done.stdout
    assert not home.exists() or [p for p in home.rglob("*") if p.is_file()] == []


def test_cli_workers_option_sets_how_many_requests_are_in_flight(tmp_path: Path) -> None:
    path = many_apps(tmp_path, 12)
    with CountingJenkins(tokens={"admin": "admin-token"}, latency=0.05) as fake:
        done = cli("sync", str(path), "--workers", "6", env=env_for(fake))
        assert done.returncode == 0, done.stderr
        assert 3 <= fake.most_in_flight <= 6, fake.most_in_flight
    with CountingJenkins(tokens={"admin": "admin-token"}, latency=0.01) as fake:
        done = cli("sync", str(path), "--workers", "1", env=env_for(fake))
        assert done.returncode == 0, done.stderr
        assert fake.most_in_flight == 1


def test_jenkins_home_sync_json_has_the_contract_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = cli("sync", str(inventory_file(tmp_path)), "--jenkins-home", str(home), "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert CONTRACT_KEYS <= set(document)
    assert set(document["create"]) == FOLDER_AND_JOBS and document["failed"] == []
    assert MANAGED_MARKER in (home / "jobs" / "docker" / "jobs" / "shop" / "config.xml").read_text(encoding="utf-8")


def test_render_cli_writes_every_job_as_jobs_folder_jobs_name_config_xml(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("render", str(IIIEPE), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = render(load(IIIEPE))
    expected = {"/".join(f"jobs/{part}" for part in job.full_name.split("/")) + "/config.xml": job.xml for job in jobs.jobs}
    assert "jobs/docker/jobs/website/config.xml" in expected and "jobs/docker/config.xml" in expected
    written = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    assert written == expected
    assert f"wrote {len(expected)} config.xml files under {out}" in done.stderr


def test_render_cli_nests_a_nested_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("render", str(PLATFORM), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "jobs" / "ops" / "config.xml").is_file()
    assert (out / "jobs" / "ops" / "jobs" / "docker" / "jobs" / "acme-runtime" / "config.xml").is_file()


def test_validate_several_files_at_once_reports_each_and_exits_1_if_any_is_invalid(tmp_path: Path) -> None:
    bad_a = tmp_path / "a.yml"
    bad_a.write_text("version: 1\nbase_images:\n  acme/a: {git: g, from: debian, regstry: x}\n", encoding="utf-8")
    bad_b = tmp_path / "b.yml"
    bad_b.write_text("version: 1\nbase_images:\n  acme/b: {from: debian}\n", encoding="utf-8")
    both_good = cli("validate", str(IIIEPE), str(PLATFORM))
    assert both_good.returncode == 0, both_good.stdout
    assert f"{IIIEPE}: ok:" in both_good.stdout and f"{PLATFORM}: ok:" in both_good.stdout
    mixed = cli("validate", str(IIIEPE), str(bad_a), str(bad_b))
    assert mixed.returncode == 1
    assert f"{IIIEPE}: ok:" in mixed.stdout
    assert f"{bad_a}:3:" in mixed.stdout and "did you mean `registry`" in mixed.stdout
    assert f"{bad_b}:3:" in mixed.stdout  # the second bad file is checked too, not just the first
    as_json = json.loads(cli("validate", str(bad_a), str(bad_b), "--format", "json").stdout)
    assert as_json["ok"] is False
    assert {e["file"] for e in as_json["errors"]} == {str(bad_a), str(bad_b)}
    good_json = cli("validate", str(IIIEPE), str(PLATFORM), "--format", "json")
    assert good_json.returncode == 0 and json.loads(good_json.stdout)["ok"] is True


def test_python_dash_m_jenkins_docker_runs_the_cli_from_outside_the_source_tree(tmp_path: Path) -> None:
    from jenkins_docker import __version__
    version = subprocess.run([sys.executable, "-m", "jenkins_docker", "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"jenkins-docker, version {__version__}"
    graph = subprocess.run([sys.executable, "-m", "jenkins_docker", "graph", str(IIIEPE), "--format", "json"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert graph.returncode == 0, graph.stderr
    assert {"nodes", "edges"} == set(json.loads(graph.stdout))
    usage = subprocess.run([sys.executable, "-m", "jenkins_docker", "no-such-command"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert usage.returncode == 2
