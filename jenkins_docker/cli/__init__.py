"""The command line: ``main`` parses; one module per command (``validate``, ``graph``, ``plan``, ``sync``, ...) calls the stages.

``console`` is how it talks to people (colour only on a terminal, progress on stderr);
``options`` the option handling several commands share (server URLs, secrets from files).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "main": "jenkins_docker.cli.main",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from jenkins_docker.cli.main import main as main
