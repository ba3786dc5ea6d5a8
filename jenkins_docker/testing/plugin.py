"""pytest plugin: the ``fake_jenkins`` fixture, a started :class:`FakeJenkins` for each test.

Registered through the ``pytest11`` entry point ``jenkins_docker``, so any test session where
jenkins-docker is installed has it; a project that does not install the package can list
``"jenkins_docker.testing.plugin"`` in ``pytest_plugins`` instead (never both: pytest refuses
to register the same plugin twice).
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
