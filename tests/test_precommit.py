"""The pre-commit hook, run by real pre-commit from a git copy of this repository.

pre-commit installs the package and its dependencies from PyPI into its own environments: once
for ``try-repo`` and once, shared by the session, for ``pre-commit run`` (about 20 s in all with
a warm pip cache). Deselect them with ``-m "not slow"`` when iterating.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import clean_env, git, git_copy_of_this_tree

HOOK = "jenkins-docker-validate"
VALID = """\
version: 1
registries:
  r: {host: registry.example.org, credentials: push}
base_images:
  acme/nginx:
    git: git@gitlab.example.org:docker/nginx.git
    from: debian
    registry: r
"""
INVALID = VALID.replace("    registry: r", "    regstry: r")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this working tree in one commit: what pre-commit clones."""
    return git_copy_of_this_tree(tmp_path_factory.mktemp("jenkins-docker-repo"))


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the session, so ``pre-commit run`` installs the hook once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(workdir: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=workdir, capture_output=True, text=True, timeout=600,
                          env=clean_env(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never"))


def inventory_repo(path: Path, files: dict[str, str]) -> Path:
    """A git repository of inventories, the files added to the index as a commit would have them."""
    git(path, "init", "-q")
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    git(path, "add", *files)
    return path


def run_hook(hook_repo: Path, home: Path, workdir: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit run`` with a .pre-commit-config.yaml that uses the hook, as users set it up."""
    config = workdir / ".pre-commit-config.yaml"
    config.write_text(f"repos:\n  - repo: {hook_repo}\n    rev: {git(hook_repo, 'rev-parse', 'HEAD').strip()}\n"
                      f"    hooks:\n      - id: {HOOK}\n", encoding="utf-8")
    git(workdir, "add", config.name)
    return pre_commit(workdir, home, "run", HOOK, "--files", *files)


def test_try_repo_reports_an_invalid_inventory_as_file_line_col(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    # try-repo installs into a temporary store of its own each time (PRE_COMMIT_HOME is not
    # used for it), so it runs once; the other tests share one install through `pre-commit run`.
    repo = inventory_repo(tmp_path, {"inventory.yml": INVALID})
    done = pre_commit(repo, pre_commit_home, "try-repo", str(hook_repo), HOOK, "--files", "inventory.yml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"jenkins-docker validate\.+Failed", done.stdout)
    assert "inventory.yml:8:5: error: unknown key `regstry`" in done.stdout, done.stdout


def test_hook_passes_a_valid_inventory(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    repo = inventory_repo(tmp_path, {"inventory.yml": VALID})
    done = run_hook(hook_repo, pre_commit_home, repo, "inventory.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"jenkins-docker validate\.+Passed", done.stdout)


def test_hook_fails_an_invalid_inventory_with_file_line_col(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    repo = inventory_repo(tmp_path, {"inventory.yml": VALID})
    assert run_hook(hook_repo, pre_commit_home, repo, "inventory.yml").returncode == 0
    (repo / "inventory.yml").write_text(INVALID, encoding="utf-8")
    git(repo, "add", "inventory.yml")
    done = run_hook(hook_repo, pre_commit_home, repo, "inventory.yml")
    assert done.returncode == 1
    assert re.search(r"jenkins-docker validate\.+Failed", done.stdout)
    assert "inventory.yml:8:5: error: unknown key `regstry`" in done.stdout, done.stdout


def test_hook_runs_only_when_a_file_the_inventory_reads_changes(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    repo = inventory_repo(tmp_path, {"inventory.yml": VALID, "notes.txt": "not read by the inventory\n"})
    skipped = run_hook(hook_repo, pre_commit_home, repo, "notes.txt")
    assert skipped.returncode == 0 and re.search(r"jenkins-docker validate\.+\(no files to check\)Skipped", skipped.stdout)
    checked = run_hook(hook_repo, pre_commit_home, repo, "inventory.yml")
    assert checked.returncode == 0 and re.search(r"jenkins-docker validate\.+Passed", checked.stdout)


PATHED = VALID + """\
  acme/web:
    git: git@gitlab.example.org:docker/web.git
    path: images/web
    registry: r
"""


def test_hook_validates_strictly_when_a_dockerfile_under_path_changes(hook_repo: Path, pre_commit_home: Path, tmp_path: Path) -> None:
    """A Dockerfile is not an inventory: the hook validates inventory.yml (its args) when one changes."""
    (tmp_path / "images" / "web").mkdir(parents=True)
    dockerfile = tmp_path / "images" / "web" / "Dockerfile"
    dockerfile.write_text("FROM acme/nginx\n", encoding="utf-8")
    repo = inventory_repo(tmp_path, {"inventory.yml": PATHED})
    git(repo, "add", "images/web/Dockerfile")
    assert run_hook(hook_repo, pre_commit_home, repo, "images/web/Dockerfile").returncode == 0
    dockerfile.write_text("FROM acme/ngnix\n", encoding="utf-8")      # a typo: silently external without the warning
    git(repo, "add", "images/web/Dockerfile")
    done = run_hook(hook_repo, pre_commit_home, repo, "images/web/Dockerfile")
    assert done.returncode == 1, done.stdout
    assert re.search(r"jenkins-docker validate\.+Failed", done.stdout)
    assert "error: (--strict) 'acme/ngnix' is not an image of the inventory" in done.stdout and "did you mean 'acme/nginx'?" in done.stdout
