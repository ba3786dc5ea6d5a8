"""The graph: what is built FROM what, and the questions asked of it (``imagegraph``).

Entry point: :class:`ImageGraph` (``inventory.graph``); its text, DOT, Mermaid and JSON forms.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "ImageGraph": "jenkins_docker.graph.imagegraph",
    "UnknownImageError": "jenkins_docker.graph.imagegraph",
    "find_cycles": "jenkins_docker.graph.imagegraph",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from jenkins_docker.graph.imagegraph import ImageGraph as ImageGraph
    from jenkins_docker.graph.imagegraph import UnknownImageError as UnknownImageError
    from jenkins_docker.graph.imagegraph import find_cycles as find_cycles
