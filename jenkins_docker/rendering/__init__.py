"""Rendering: an :class:`~jenkins_docker.loading.inventory.Inventory` in, every item's ``config.xml`` out.

The renderer (``renderer``), the compiled-template cache (``template_cache``) and what a job's
recipe is made of: registry logins (``logins``), deploy hand-over (``deploys``), provenance labels
(``provenance``). Entry point: :func:`render`, returning an :class:`ItemSet`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "render": "jenkins_docker.rendering.renderer",
    "write_tree": "jenkins_docker.rendering.renderer",
    "Item": "jenkins_docker.rendering.renderer",
    "ItemSet": "jenkins_docker.rendering.renderer",
    "View": "jenkins_docker.rendering.renderer",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from jenkins_docker.rendering.renderer import Item as Item
    from jenkins_docker.rendering.renderer import ItemSet as ItemSet
    from jenkins_docker.rendering.renderer import View as View
    from jenkins_docker.rendering.renderer import render as render
    from jenkins_docker.rendering.renderer import write_tree as write_tree
