"""Shell completion, as click generates it from the command definitions."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import cli

BIN = Path(sys.executable).parent


def complete(*words: str) -> list[str]:
    """What ``jenkins-docker`` offers for the last of ``words`` (``type,value`` lines, bash protocol)."""
    done = cli(env={"_JENKINS_DOCKER_COMPLETE": "bash_complete", "COMP_WORDS": " ".join(("jenkins-docker", *words)),
                    "COMP_CWORD": str(len(words))})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_bash_completion_script_registers_a_completion_function_for_jenkins_docker() -> None:
    done = cli(env={"_JENKINS_DOCKER_COMPLETE": "bash_source"})
    assert done.returncode == 0, done.stderr
    assert "complete -o nosort -F _jenkins_docker_completion jenkins-docker" in done.stdout


def test_zsh_completion_script_is_a_compdef_for_jenkins_docker() -> None:
    done = cli(env={"_JENKINS_DOCKER_COMPLETE": "zsh_source"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#compdef jenkins-docker")
    assert "compdef _jenkins_docker_completion jenkins-docker" in done.stdout


def test_completion_offers_commands_options_and_choices() -> None:
    assert complete("web") == ["plain,webhooks"]
    assert "plain,--format" in complete("plan", "inventory.yml", "--for")
    assert complete("graph", "inventory.yml", "--format", "") == [f"plain,{f}" for f in ("text", "dot", "mermaid", "json", "svg", "png")]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_a_command_name_with_the_sourced_script() -> None:
    # A missing console script is a packaging failure, not a reason to skip.
    assert (BIN / "jenkins-docker").exists(), "the jenkins-docker console script is not installed next to this Python (run `make test`)"
    script = 'eval "$(_JENKINS_DOCKER_COMPLETE=bash_source jenkins-docker)"\n' \
             'COMP_WORDS=(jenkins-docker val); COMP_CWORD=1; _jenkins_docker_completion jenkins-docker\n' \
             'echo "${COMPREPLY[@]}"\n'
    env = {k: v for k, v in os.environ.items() if not k.startswith("_JENKINS_DOCKER")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["validate"]
