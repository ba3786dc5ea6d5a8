"""Plugins and fixtures for this project's own tests; the shared plain helpers are in ``tests/helpers.py``.

The ``fake_jenkins`` fixture is opt-in, as for users: this file loads it.
"""
from __future__ import annotations

import pytest

from jenkins_docker.testing.fake_jenkins import FakeJenkins

pytest_plugins = ["jenkins_docker.testing.plugin"]


@pytest.fixture
def jenkins(fake_jenkins: FakeJenkins) -> FakeJenkins:
    """A started fake Jenkins; its admin logs in with password ``admin-password`` or token ``admin-token``."""
    return fake_jenkins
