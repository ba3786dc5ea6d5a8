"""Test helpers for code that talks to Jenkins or GitLab: fakes over real HTTP and a pytest fixture.

The names load on first use, so ``python -m jenkins_docker.testing.fake_jenkins`` runs that module
once (as the program), not also as a side effect of importing this package.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["FakeGitLab", "FakeJenkins", "GitLabRequest", "RecordedRequest"]

_MODULES = {"FakeGitLab": "fake_gitlab", "GitLabRequest": "fake_gitlab", "FakeJenkins": "fake_jenkins", "RecordedRequest": "fake_jenkins"}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'jenkins_docker.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f"jenkins_docker.testing.{_MODULES[name]}"), name)


if TYPE_CHECKING:
    from jenkins_docker.testing.fake_gitlab import FakeGitLab as FakeGitLab
    from jenkins_docker.testing.fake_gitlab import GitLabRequest as GitLabRequest
    from jenkins_docker.testing.fake_jenkins import FakeJenkins as FakeJenkins
    from jenkins_docker.testing.fake_jenkins import RecordedRequest as RecordedRequest
