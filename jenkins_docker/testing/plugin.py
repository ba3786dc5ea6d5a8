"""pytest plugin: the ``fake_jenkins`` fixture, a started :class:`FakeJenkins` for each test.

Opt-in: installing jenkins-docker registers no pytest plugin (no ``pytest11`` entry point), so
other projects' test sessions are left alone. A test suite that wants the fixture loads it with
``pytest_plugins = ["jenkins_docker.testing.plugin"]`` in its top-level ``conftest.py``, or with
``-p jenkins_docker.testing.plugin`` on the command line or in ``addopts``.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from jenkins_docker.testing.fake_jenkins import FakeJenkins

#: The account every ``fake_jenkins`` fixture has: a password login (needs crumbs) and an API token.
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password"
ADMIN_TOKEN = "admin-token"


@pytest.fixture
def fake_jenkins() -> Iterator[FakeJenkins]:
    """A started fake Jenkins with user ``admin`` (password ``admin-password``, token ``admin-token``)."""
    with FakeJenkins(users={ADMIN_USER: ADMIN_PASSWORD}, tokens={ADMIN_USER: ADMIN_TOKEN}) as server:
        yield server
