"""The README's "try it against the bundled fake Jenkins" section works when pasted (issue 12, item 10).

The fake Jenkins runs as the program the README starts (``python -m
jenkins_docker.testing.fake_jenkins``); the second terminal's commands are taken from the README
and run by bash, as pasted, against it.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Try it against the bundled fake Jenkins"


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def start_fake(port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """The fake as a program, and the lines it printed up to its last export line (it is listening then)."""
    process = subprocess.Popen([sys.executable, "-m", "jenkins_docker.testing.fake_jenkins", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("export JENKINS_API_TOKEN="):
            break
    return process, lines


@pytest.fixture
def fake_program() -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    process, lines = start_fake(0)
    yield process, lines
    if process.poll() is None:
        process.kill()
        process.wait()


def test_the_fake_jenkins_program_prints_url_user_and_token_and_stops_on_ctrl_c(fake_program):
    process, lines = fake_program
    assert re.fullmatch(r"export JENKINS_URL=http://127\.0\.0\.1:\d+/", lines[1]), lines
    assert lines[2:] == ["export JENKINS_USER=admin", "export JENKINS_API_TOKEN=admin-token"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "fake Jenkins stopped" in (process.stderr.read() if process.stderr else "")


def test_the_fake_jenkins_program_says_when_its_port_is_taken(fake_program):
    _, lines = fake_program
    port = lines[1].rsplit(":", 1)[1].strip("/")
    second = subprocess.run([sys.executable, "-m", "jenkins_docker.testing.fake_jenkins", "--port", port], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port} (it is in use); pass --port N (0 picks a free port)" in second.stderr


def test_the_readme_tryout_runs_as_pasted_against_the_fake(fake_program):
    first, second = readme_blocks()
    assert first.strip() == "python -m jenkins_docker.testing.fake_jenkins --port 8080"
    _, lines = fake_program
    url = lines[1].split("=", 1)[1]
    script = second.replace("http://127.0.0.1:8080/", url)      # the port this test's fake got
    assert script != second
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"Plan for .*: 16 to create", out), out
    drift = out[out.index("in sync\n"):]                    # after the first sync, a clean plan
    assert "~ update docker/website" in drift
    # the diff runs from the live job (edited) to the inventory's
    assert re.search(r"^ +- +<numToKeep>5</numToKeep>$", drift, re.M) and re.search(r"^ +\+ +<numToKeep>20</numToKeep>$", drift, re.M), drift
    assert re.search(r"Synced .*: 0 created, 1 updated", drift), out
    assert "queued docker/iiiepe-nginx" in drift
    assert "not queued docker/iiiepe-nginx-php: it is built from iiiepe/nginx" in drift
