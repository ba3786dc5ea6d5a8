"""The end-to-end tests' job runner reads the rendered jobs as Jenkins would (no Docker needed here)."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import jenkins_docker as jd
from e2e_harness import GitRemotes
from jobrunner import Agent, read_steps

INVENTORY = """
version: 1
jenkins: {folder: ci, job_type: TYPE}
registries:
  private: {host: registry.example.org, credentials: registry-push}
defaults: {branch: main, registry: private}
base_images:
  acme/base:
    git: git@gitlab.example.org:acme/base.git
    from: debian:bookworm
    test: TEST
    env: {GREETING: "it's $HOME"}
    build_args: {A: "1 2"}
apps:
  web: {git: "git@gitlab.example.org:acme/web.git", from: acme/base, deploy: "./deploy.sh"}
"""


def render(tmp_path: Path, job_type: str, test: str = "make test") -> jd.JobSet:
    path = tmp_path / job_type / "inventory.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(INVENTORY.replace("TYPE", job_type).replace("TEST", test))
    return jd.render(jd.load(path))


def test_pipeline_sh_steps_are_the_freestyle_shell_steps_with_the_same_variables_and_bindings(tmp_path: Path) -> None:
    """Both job types run the same commands with the same variables: freestyle as export lines at
    the top of each shell step, pipeline in withEnv; the registry login is bound around the build
    step in both (freestyle's wrapper binds it around the test step too)."""
    freestyle = render(tmp_path, "freestyle").by_name()
    pipeline = render(tmp_path, "pipeline").by_name()
    repositories = {"ci/acme-base": "base", "ci/web": "web", "ci/web-deploy": "web"}
    for name, repository in repositories.items():
        shell = read_steps(freestyle[name].xml)
        groovy = read_steps(pipeline[name].xml)
        assert (groovy.git_url, groovy.branch) == (shell.git_url, shell.branch) == (
            f"git@gitlab.example.org:acme/{repository}.git", "main")
        assert len(groovy.steps) == len(shell.steps)
        for sh, step in zip(groovy.steps, shell.steps):
            exports = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in sorted(sh.env))
            assert step.script == exports + sh.script.rstrip("\n") + "\n"
        assert shell.steps[-1].bindings == groovy.steps[-1].bindings
    base = read_steps(pipeline["ci/acme-base"].xml)
    assert [len(base.steps), dict(base.steps[0].env)] == [2, {"GREETING": "it's $HOME"}]
    assert [b.credentials for b in base.steps[1].bindings] == ["registry-push"]
    assert base.steps[0].bindings == ()        # the pipeline's test runs outside withCredentials
    assert dict(read_steps(pipeline["ci/web-deploy"].xml).steps[0].env)["IMAGE"] == "registry.example.org/web"


def test_an_agent_checks_out_the_branch_sets_jenkins_variables_and_stops_at_a_failing_step(tmp_path: Path) -> None:
    remotes = GitRemotes(tmp_path / "git")
    (tmp_path / "git").mkdir()
    commit = remotes.push("git@gitlab.example.org:acme/base.git", {"Makefile": "x"}, branch="main")
    remotes.push("git@gitlab.example.org:acme/base.git", {"other": "x"}, branch="other")
    job = render(tmp_path, "freestyle", test='env | sort > "$WORKSPACE_TMP/env"; git rev-parse HEAD > "$WORKSPACE_TMP/head"; exit 3').by_name()["ci/acme-base"]
    agent = Agent(tmp_path / "agent", env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **remotes.client_env()},
                  credentials={"registry-push": ("pusher", "pa55word")})
    run = agent.run(job.full_name, job.xml, 7, {"EXTRA": "yes"})
    assert (run.result, run.steps_run, run.commit) == ("FAILURE", 1, commit)     # the build step never ran
    tmp = tmp_path / "agent" / "workspace" / "ci" / "acme-base@tmp"
    env = dict(line.split("=", 1) for line in (tmp / "env").read_text().splitlines() if "=" in line)
    assert (tmp / "head").read_text().strip() == commit
    assert {k: env[k] for k in ("BUILD_NUMBER", "BUILD_ID", "JOB_NAME", "JOB_BASE_NAME", "GIT_COMMIT", "GIT_BRANCH", "EXTRA", "GREETING")} == {
        "BUILD_NUMBER": "7", "BUILD_ID": "7", "JOB_NAME": "ci/acme-base", "JOB_BASE_NAME": "acme-base",
        "GIT_COMMIT": commit, "GIT_BRANCH": "origin/main", "EXTRA": "yes", "GREETING": "it's $HOME"}
    assert env["WORKSPACE"] == str(tmp_path / "agent" / "workspace" / "ci" / "acme-base")
    assert env["WORKSPACE_TMP"] == str(tmp)
    assert env["REGISTRY_USER"] == "pusher"                # the wrapper binds around every step
    assert "+ exit 3" in run.log and "pa55word" not in run.log


def test_an_agent_fails_a_build_whose_credentials_id_is_unknown(tmp_path: Path) -> None:
    remotes = GitRemotes(tmp_path / "git")
    (tmp_path / "git").mkdir()
    remotes.push("git@gitlab.example.org:acme/base.git", {"Makefile": "x"}, branch="main")
    job = render(tmp_path, "freestyle", test="touch ran").by_name()["ci/acme-base"]
    agent = Agent(tmp_path / "agent", env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **remotes.client_env()},
                  credentials={})
    run = agent.run(job.full_name, job.xml, 1)
    assert (run.result, run.steps_run) == ("FAILURE", 0)
    assert "Could not find credentials entry with ID 'registry-push'" in run.log
    assert not (tmp_path / "agent" / "workspace" / "ci" / "acme-base" / "ran").exists()
