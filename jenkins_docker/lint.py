"""Warnings about an inventory that loads: valid, but probably not what its authors meant.

The loader (:mod:`jenkins_docker.inventory`) calls :func:`lint` once the inventory is built, and
the warnings join its own (``validate`` prints them; ``validate --strict`` fails on them).
"""
from __future__ import annotations

from jenkins_docker.errors import Problem
from jenkins_docker.model import Inventory


def lint(inventory: Inventory) -> list[Problem]:
    """Every warning of the rules below, in no particular order (the loader sorts them)."""
    return schedule_overlaps(inventory)


def schedule_overlaps(inventory: Inventory) -> list[Problem]:
    """An image with a ``rebuild:`` schedule that another scheduled image's cascade rebuilds.

    Each schedule starts a cascade, so such an image builds on its own schedule and again in the
    cascade of the one above it. Neither wins: both run. Keep the schedule of the topmost image.
    """
    graph = inventory.graph
    scheduled = [image for image in inventory.images.values() if image.rebuild and not image.disabled]
    keys = {image.key for image in scheduled}
    out = []
    for image in scheduled:
        above = sorted(graph.rebuilt_by(image.key) & keys)
        if above:
            out.append(Problem(image.location, (
                f"{image.key!r} has a `rebuild:` schedule, and the schedule of {', '.join(map(repr, above))} "
                f"already rebuilds it (it is built from {'it' if len(above) == 1 else 'them'}): it will build twice; "
                "keep the schedule of the topmost image only")))
    return out
