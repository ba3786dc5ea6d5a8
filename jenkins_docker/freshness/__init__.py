"""Freshness: which images are built on a parent that moved since, and what Jenkins last built.

A read-only registry client (``registry``), the outdated report (``outdated``) and the build
status read from Jenkins (``status``). Entry points: :func:`find_outdated`, :func:`image_status`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "find_outdated": "jenkins_docker.freshness.outdated",
    "image_status": "jenkins_docker.freshness.status",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from jenkins_docker.freshness.outdated import find_outdated as find_outdated
    from jenkins_docker.freshness.status import image_status as image_status
