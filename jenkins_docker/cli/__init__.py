"""The command line: ``main`` parses; one module per command (``validate``, ``graph``, ``plan``, ``sync``, ...) calls the stages.

``console`` is how it talks to people (colour only on a terminal, progress on stderr);
``options`` the option handling several commands share (server URLs, secrets from files).
"""
from __future__ import annotations

import gc

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "main": "jenkins_docker.cli.main",
}
__all__ = list(_EXPORTS)
TYPE_CHECKING = False   # typing.TYPE_CHECKING without importing typing (mypy knows the name)
_lazy_getattr, __dir__ = lazy_exports(__name__, _EXPORTS)


def __getattr__(name: str) -> object:
    """The lazy export, imported without garbage collections: the console script's first import
    (``from jenkins_docker.cli import main``) builds click and every command, tens of thousands of
    objects, none of them garbage, which the collector would otherwise walk about twenty times."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lazy_getattr(name)
    finally:
        if enabled:
            gc.enable()


if TYPE_CHECKING:
    from jenkins_docker.cli.main import main as main
