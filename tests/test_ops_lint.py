"""A typo'd parent is not silently external (issue 12, item 1): did-you-mean warnings,
`validate --strict`, and `externals:` making any other external parent an error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import write
from jenkins_docker.loading.loader import check

ROOT = Path(__file__).resolve().parent.parent

PLATFORM = """\
version: 1
registries:
  private: {host: registry.example.org, credentials: push}
  other: {host: other.example.org, credentials: other-push}
defaults: {registry: private}
base_images:
  nw/python: {git: "git@git.example:python.git", from: "debian:bookworm"}
  nw/web: {git: "git@git.example:web.git", from: "nw/pyhton:3.12"}
  nw/api: {git: "git@git.example:api.git", from: "other.example.org/nw/python"}
  nw/tools: {git: "git@git.example:tools.git", from: "alpine:3.20"}
apps:
  site: {git: "git@git.example:site.git", from: [nw/web, "registry.example.org/nw/python:3.12"]}
"""


def test_an_external_parent_a_typo_away_from_a_listed_image_warns_with_a_did_you_mean(tmp_path):
    report = check(write(tmp_path, PLATFORM))
    assert report.ok
    assert [(str(w.location).rsplit(":", 2)[-2], w.message) for w in report.warnings] == [
        ("8", "'nw/pyhton:3.12' is not an image of the inventory, so it is external: rebuilding 'nw/python' "
              "will not rebuild 'nw/web'; did you mean 'nw/python'?"),
        ("9", "'other.example.org/nw/python' is not an image of the inventory, so it is external: rebuilding 'nw/python' "
              "will not rebuild 'nw/api'; 'nw/python' of the inventory is pushed to registry.example.org, not other.example.org"),
    ]
    # the listed image's own host, and unrelated public images, are not warned about
    assert not any("alpine" in w.message or "'site'" in w.message for w in report.warnings)


def test_validate_strict_fails_on_warnings_and_plain_validate_does_not(tmp_path):
    path = write(tmp_path, PLATFORM)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    plain = subprocess.run([sys.executable, "-m", "jenkins_docker", "validate", str(path)], capture_output=True, text=True, env=env, cwd=ROOT)
    strict = subprocess.run([sys.executable, "-m", "jenkins_docker", "validate", "--strict", str(path)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert plain.returncode == 0 and "2 warnings" in plain.stdout
    assert strict.returncode == 1
    assert "error: (--strict) 'nw/pyhton:3.12' is not an image of the inventory" in strict.stdout
    json_strict = subprocess.run([sys.executable, "-m", "jenkins_docker", "validate", "--strict", "--format", "json", str(path)],
                                 capture_output=True, text=True, env=env, cwd=ROOT)
    assert json_strict.returncode == 1 and '"ok": false' in json_strict.stdout


def test_externals_allows_listed_repositories_with_wildcards_and_refuses_every_other_external_parent(tmp_path):
    path = write(tmp_path, PLATFORM + "externals: [debian, 'library/alp*']\n")
    report = check(path)
    assert not report.ok
    assert [(e.location.line, e.message) for e in report.errors] == [
        (8, "external parent 'nw/pyhton:3.12' of 'nw/web' is not allowed by `externals` (line 13): "
            "list its repository there, or name an image of the inventory; did you mean 'nw/python'?"),
        (9, "external parent 'other.example.org/nw/python' of 'nw/api' is not allowed by `externals` (line 13): "
            "list its repository there, or name an image of the inventory; did you mean 'nw/python'?"),
    ]
    allowed = check(write(tmp_path, PLATFORM + "externals: [debian, alpine, 'nw/pyhton', 'other.example.org/*']\n"))
    assert allowed.ok, allowed.errors
    fully_qualified = check(write(tmp_path, PLATFORM + "externals: ['docker.io/library/*', 'docker.io/nw/*', 'other.example.org/nw/python']\n"))
    assert fully_qualified.ok, fully_qualified.errors
