"""Loading: ``inventory.yml`` in, a checked :class:`Inventory` out.

The YAML layer (``yamlfile``), the schema (``schema``), the loader and its rules (``loader``,
``lint``, ``localfiles``), image references (``reference``), Dockerfiles (``dockerfile``) and the
loaded values themselves (``inventory``). Entry point: :func:`load` (or :func:`check`, which
reports every problem instead of raising).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "load": "jenkins_docker.loading.loader",
    "check": "jenkins_docker.loading.loader",
    "Report": "jenkins_docker.loading.loader",
    "Inventory": "jenkins_docker.loading.inventory",
    "Image": "jenkins_docker.loading.inventory",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from jenkins_docker.loading.inventory import Image as Image
    from jenkins_docker.loading.inventory import Inventory as Inventory
    from jenkins_docker.loading.loader import Report as Report
    from jenkins_docker.loading.loader import check as check
    from jenkins_docker.loading.loader import load as load
