"""`path:` and `dockerfile:` stay inside the inventory's repository, and Dockerfiles have a size limit.

An inventory may come from someone else's merge request, validated by CI: it must not make
jenkins-docker read files elsewhere on the machine, nor exhaust its memory.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from jenkins_docker.loading.loader import check
from jenkins_docker.loading.localfiles import MAX_DOCKERFILE_BYTES, repository_root

INVENTORY = """\
version: 1
registries: {r: {host: registry.example.org, credentials: push}}
defaults: {registry: r}
base_images:
  acme/base:
    git: git@gitlab.example.org:docker/images.git
    path: PATH
"""


def problems(repo: Path, path: str, extra: str = "", name: str = "inventory.yml") -> list[str]:
    inventory = repo / name
    inventory.parent.mkdir(parents=True, exist_ok=True)
    inventory.write_text(INVENTORY.replace("PATH", path) + extra, encoding="utf-8")
    return [f"{p.location.line}:{p.location.column}: {p.message}".replace(str(repo) + "/", "") for p in check(inventory).errors]


def dockerfile(directory: Path, text: str = "FROM debian:bookworm\n") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(text, encoding="utf-8")
    return directory / "Dockerfile"


def test_a_path_inside_the_inventory_directory_is_read(tmp_path: Path) -> None:
    dockerfile(tmp_path / "images" / "base")
    assert problems(tmp_path, "images/base") == []


def test_an_absolute_path_is_an_error_at_its_value(tmp_path: Path) -> None:
    assert problems(tmp_path, "/etc") == ["7:11: `path` '/etc' is an absolute path: write it relative to the repository"]


def test_a_path_climbing_out_with_dots_is_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    dockerfile(tmp_path / "outside")
    assert problems(repo, "../outside") == ["7:11: `path` '../outside' leaves the repository (`..`): keep it inside"]
    assert problems(repo, "images/../../outside")[0].startswith("7:11: `path` 'images/../../outside' leaves the repository")


def test_a_symlink_out_of_the_repository_is_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    dockerfile(tmp_path / "secret-place")
    repo.mkdir()
    (repo / "images").symlink_to(tmp_path / "secret-place")
    found = problems(repo, "images")
    assert len(found) == 1 and found[0].startswith("7:11: `path` 'images' leads outside the inventory's repository")


def test_a_dockerfile_symlinked_to_a_file_outside_is_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "images").mkdir(parents=True)
    outside = dockerfile(tmp_path / "elsewhere")
    (repo / "images" / "Dockerfile").symlink_to(outside)
    assert "leads outside the inventory's repository" in problems(repo, "images")[0]


def test_in_a_git_work_tree_a_path_may_reach_anywhere_inside_the_work_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    dockerfile(repo / "images" / "base")
    assert repository_root(repo / "ci" / "inventory.yml") == repo.resolve()
    assert problems(repo, "../images/base", name="ci/inventory.yml") == []
    assert problems(repo, "../../elsewhere", name="ci/inventory.yml")[0].startswith("7:11: `path` '../../elsewhere' leaves")


def test_an_absolute_or_escaping_dockerfile_is_an_error(tmp_path: Path) -> None:
    dockerfile(tmp_path / "images")
    found = problems(tmp_path, "images", extra="    dockerfile: /etc/passwd\n")
    assert found == ["8:17: `dockerfile` '/etc/passwd' is an absolute path: write it relative to the repository"]
    found = problems(tmp_path, "images", extra="    dockerfile: ../x/Dockerfile\n")
    assert found == ["8:17: `dockerfile` '../x/Dockerfile' leaves the repository (`..`): keep it inside"]
    assert problems(tmp_path, "images", extra="    dockerfile: docker/../Dockerfile\n") == []


def test_a_dockerfile_over_the_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    big = dockerfile(tmp_path / "images")
    with open(big, "ab") as handle:  # sparse: 3 GiB on paper, nothing on disk
        handle.truncate(3 * 1024 ** 3)
    found = problems(tmp_path, "images")
    assert found == ["7:11: images/Dockerfile is 3.0 GiB, over the 1.0 MiB a Dockerfile may have: is `path` the right directory?"]


def test_a_dockerfile_just_under_the_limit_is_read(tmp_path: Path) -> None:
    text = "FROM debian:bookworm\n"
    dockerfile(tmp_path / "images", text + "#" * (MAX_DOCKERFILE_BYTES - len(text) - 1) + "\n")
    assert os.path.getsize(tmp_path / "images" / "Dockerfile") == MAX_DOCKERFILE_BYTES
    assert problems(tmp_path, "images") == []
