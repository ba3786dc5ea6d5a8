"""The CI examples of an inventory repository (examples/ci), their commands run for real.

The GitLab CI jobs' ``script`` lines and the Jenkinsfile's ``sh`` steps run in a copy of the
iiiepe example with ``jenkins-docker`` on PATH, against a fake Jenkins reached through
JENKINS_URL / JENKINS_USER / JENKINS_API_TOKEN, as the CI variables would set them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from jenkins_docker.testing.fake_jenkins import FakeJenkins

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
IIIEPE = ROOT / "examples" / "iiiepe"
USER, TOKEN = "ci", "ci-api-token"
GITLAB_KEYWORDS = {"workflow", "stages", "variables", "default", "include", "image", "services", "cache", "before_script", "after_script"}
# A single-quoted Groovy string after `sh`: the shell, not Groovy, expands its variables.
SH_STEP = re.compile(r"""\bsh\s+'((?:[^'\\]|\\.)*)'""")


def gitlab_ci() -> dict[str, Any]:
    return yaml.safe_load((CI / ".gitlab-ci.yml").read_text(encoding="utf-8"))


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    return {name: job for name, job in gitlab_ci().items() if name not in GITLAB_KEYWORDS and isinstance(job, dict)}


def gitlab_commands() -> list[str]:
    """Every job's script lines, in file order: the jenkins-docker commands of the pipeline."""
    return [line for job in gitlab_jobs().values() for line in job["script"]]


def jenkinsfile_sh_steps() -> list[str]:
    return SH_STEP.findall((CI / "Jenkinsfile").read_text(encoding="utf-8"))


def jenkinsfile_commands() -> list[str]:
    """The Jenkinsfile's sh steps that run jenkins-docker (the install step aside)."""
    return [step for step in jenkinsfile_sh_steps() if step.startswith("jenkins-docker ")]


@pytest.fixture
def jenkins() -> Iterator[FakeJenkins]:
    with FakeJenkins(tokens={USER: TOKEN}) as fake:
        yield fake


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A checkout of an inventory repository: the iiiepe example."""
    return Path(shutil.copytree(IIIEPE, tmp_path / "inventory-repo"))


class Pipeline:
    """Runs CI commands the way a runner does: a shell with -e, the CI variables in the environment."""

    def __init__(self, workdir: Path, jenkins: FakeJenkins, shell: list[str], token: str = TOKEN) -> None:
        self.workdir = workdir
        variables = {k: str(v) for k, v in (gitlab_ci().get("variables") or {}).items()}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "GITLAB_", "CI_"))}
        self.env.update(PATH=str(Path(sys.executable).parent) + os.pathsep + self.env.get("PATH", ""), CI_PROJECT_DIR=str(workdir),
                        JENKINS_URL=jenkins.url, JENKINS_USER=USER, JENKINS_API_TOKEN=token, NO_COLOR="1")
        self.env.update({k: os.path.expandvars(v.replace("$CI_PROJECT_DIR", str(workdir))) for k, v in variables.items()})
        self.shell = shell

    def run(self, *commands: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.shell, "\n".join(commands)], cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120)

    def exit_code(self, command: str) -> int:
        """The exit code of the jenkins-docker command alone, without the `|| ...` of its script line."""
        return self.run(command.split(" || ")[0]).returncode


GITLAB_SHELL = ["bash", "-e", "-o", "pipefail", "-c"]   # how GitLab Runner's bash executor runs a script
JENKINS_SHELL = ["sh", "-e", "-c"]                     # how the `sh` step runs (`sh -xe`, without tracing)


def test_gitlab_ci_validates_every_push_plans_merge_requests_and_syncs_the_default_branch() -> None:
    jobs = gitlab_jobs()
    assert list(jobs) == ["validate", "plan", "sync"]
    assert "rules" not in jobs["validate"] and "only" not in jobs["validate"]
    assert jobs["plan"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert jobs["sync"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    # installed from the one variable that says where jenkins-docker comes from (not PyPI)
    assert any(line.startswith("pip install") and '"$JENKINS_DOCKER_PIP"' in line for line in gitlab_ci()["default"]["before_script"])
    assert gitlab_ci()["variables"]["JENKINS_DOCKER_PIP"].startswith("jenkins-docker @ git+")
    assert [line.split()[1] for line in gitlab_commands()] == ["validate", "plan", "sync"]


def test_gitlab_ci_scripts_plan_then_sync_jenkins_until_nothing_is_left_to_change(workdir: Path, jenkins: FakeJenkins) -> None:
    pipeline = Pipeline(workdir, jenkins, GITLAB_SHELL)
    jobs = gitlab_jobs()
    validate = pipeline.run(*jobs["validate"]["script"])
    assert validate.returncode == 0, validate.stderr
    assert "ok: 5 base images, 5 apps" in validate.stdout

    plan = pipeline.run(*jobs["plan"]["script"])
    assert plan.returncode == 0, plan.stderr  # changes pending (exit 2) do not fail the job
    assert "+ create docker/iiiepe-nginx" in plan.stdout and "0 to delete" in plan.stdout
    assert pipeline.exit_code(jobs["plan"]["script"][0]) == 2
    assert jenkins.job_names() == []  # plan changed nothing

    sync = pipeline.run(*jobs["sync"]["script"])
    assert sync.returncode == 0, sync.stderr
    assert {"docker/iiiepe-nginx", "docker/website", "docker/website-deploy", "docker/jenkins-docker-seed"} <= set(jenkins.job_names())

    again = pipeline.run(*jobs["plan"]["script"])
    assert again.returncode == 0, again.stderr
    assert "0 to create, 0 to update, 0 to delete" in again.stdout, again.stdout
    assert pipeline.exit_code(jobs["plan"]["script"][0]) == 0


def test_gitlab_ci_validate_job_fails_on_an_invalid_inventory(workdir: Path, jenkins: FakeJenkins) -> None:
    inventory = workdir / "inventory.yml"
    inventory.write_text(inventory.read_text(encoding="utf-8").replace("    from: debian:bookworm\n    registry: hub\n",
                                                                       "    from: debian:bookworm\n    registy: hub\n", 1), encoding="utf-8")
    done = Pipeline(workdir, jenkins, GITLAB_SHELL).run(*gitlab_jobs()["validate"]["script"])
    assert done.returncode == 1
    assert re.search(r"inventory\.yml:\d+:\d+: error: unknown key `registy`", done.stdout)


def pipeline_plan_exit(workdir: Path, jenkins: FakeJenkins) -> int:
    return Pipeline(workdir, jenkins, GITLAB_SHELL, token="wrong-token").exit_code(gitlab_jobs()["plan"]["script"][0])


def test_gitlab_ci_plan_job_fails_when_jenkins_refuses_the_token(workdir: Path, jenkins: FakeJenkins) -> None:
    done = Pipeline(workdir, jenkins, GITLAB_SHELL, token="wrong-token").run(*gitlab_jobs()["plan"]["script"])
    assert done.returncode == 1  # only "changes pending" (2) is tolerated, never an error (1)
    assert pipeline_plan_exit(workdir, jenkins) == 1
    assert "refused the credentials" in done.stderr
    assert "wrong-token" not in done.stdout + done.stderr


def test_jenkinsfile_runs_the_same_jenkins_docker_commands_as_gitlab_ci() -> None:
    assert jenkinsfile_commands() == gitlab_commands()
    text = (CI / "Jenkinsfile").read_text(encoding="utf-8")
    assert f"INVENTORY = '{gitlab_ci()['variables']['INVENTORY']}'" in text
    assert any(".venv/bin/pip install" in step and '"$JENKINS_DOCKER_PIP"' in step for step in jenkinsfile_sh_steps())
    assert f"JENKINS_DOCKER_PIP = '{gitlab_ci()['variables']['JENKINS_DOCKER_PIP']}'" in text


def test_jenkinsfile_binds_the_jenkins_credentials_for_plan_and_sync() -> None:
    text = (CI / "Jenkinsfile").read_text(encoding="utf-8")
    bindings = re.findall(r"withCredentials\(\[usernamePassword\(credentialsId: '([^']+)',\s*usernameVariable: 'JENKINS_USER', "
                          r"passwordVariable: 'JENKINS_API_TOKEN'\)\]\)\s*\{([^}]*)\}", text)
    assert [credentials for credentials, _ in bindings] == ["jenkins-docker-api", "jenkins-docker-api"]
    assert [SH_STEP.findall(body)[0].split()[1] for _, body in bindings] == ["plan", "sync"]
    assert "when { changeRequest() }" in text and "when { branch 'master' }" in text


def test_jenkinsfile_commands_plan_then_sync_jenkins_until_nothing_is_left_to_change(workdir: Path, jenkins: FakeJenkins) -> None:
    pipeline = Pipeline(workdir, jenkins, JENKINS_SHELL)
    validate, plan, sync = jenkinsfile_commands()
    assert pipeline.run(validate).returncode == 0
    assert pipeline.run(plan).returncode == 0 and pipeline.exit_code(plan) == 2
    assert pipeline.run(sync).returncode == 0
    assert "docker/iiiepe-nginx" in jenkins.job_names()
    again = pipeline.run(plan.split(" || ")[0])
    assert again.returncode == 0, again.stdout  # converged: nothing left to change
