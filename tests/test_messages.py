"""Messages ops read (issue 12, item 9): no credentials, a 500, `validate -q`, where validate writes."""
from __future__ import annotations

import functools
from pathlib import Path

from helpers import ROOT, env_for, write
from helpers import cli as shared_cli
from jenkins_docker.testing.fake_jenkins import FakeJenkins

#: The command line, run from the source tree.
cli = functools.partial(shared_cli, cwd=ROOT)

INVENTORY = """\
version: 1
registries: {private: {host: registry.example.org, credentials: push}}
defaults: {registry: private}
base_images:
  acme/base: {git: "git@git.example:base.git", from: debian}
  acme/child: {git: "git@git.example:child.git", from: "acme/base@sha256:0a4eaa0eecf5f8c050e5bba433f58c052be7587ee8af3e8b3910ef9ab5fbe9f5"}
"""


def inventory(tmp_path: Path, text: str = INVENTORY) -> str:
    return str(write(tmp_path, text))


def test_with_no_credentials_at_all_the_error_says_none_were_given(tmp_path, fake_jenkins: FakeJenkins):
    done = cli("plan", inventory(tmp_path), "--jenkins", fake_jenkins.url)
    assert done.returncode == 1
    assert "no credentials given (set JENKINS_USER and JENKINS_API_TOKEN)" in done.stderr
    assert "refused the credentials" not in done.stderr and "Job/Configure" not in done.stderr


def test_a_500_does_not_repeat_python_jenkins_guess_about_authentication(tmp_path, fake_jenkins: FakeJenkins):
    fake_jenkins.inject_fault(path="api/json", status=500, body="")
    done = cli("plan", inventory(tmp_path), env=env_for(fake_jenkins))
    assert done.returncode == 1
    assert "Jenkins answered 500" in done.stderr
    assert "Possibly authentication failed" not in done.stderr


def test_validate_quiet_prints_errors_only(tmp_path):
    path = inventory(tmp_path)
    loud = cli("validate", path)
    assert "warning:" in loud.stdout and ": ok:" in loud.stdout         # the pinned parent warns
    quiet = cli("validate", "-q", path)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    broken = inventory(tmp_path, INVENTORY.replace("from: debian}", "from: debian, regstry: x}"))
    quiet = cli("validate", "-q", broken)
    assert quiet.returncode == 1
    assert [line for line in quiet.stdout.splitlines() if line] == [
        f"{broken}:5:62: error: unknown key `regstry` in base image 'acme/base'; did you mean `registry`?"]


def test_validate_writes_its_report_to_stdout_as_the_readme_says(tmp_path):
    done = cli("validate", inventory(tmp_path, INVENTORY.replace("from: debian}", "from: debian, regstry: x}")))
    assert "error: unknown key" in done.stdout and "error" not in done.stderr.replace("1 error", "")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`validate` is the exception: its report" in readme and "goes to stdout" in readme
