"""Warnings about an inventory that loads: valid, but probably not what its authors meant.

The loader (:mod:`jenkins_docker.loading.loader`) calls :func:`lint` once the inventory is built, and
the warnings join its own (``validate`` prints them; ``validate --strict`` fails on them).
"""
from __future__ import annotations

import fnmatch
from typing import Iterable

from jenkins_docker.errors import Location, Problem
from jenkins_docker.loading.inventory import Image, Inventory, Parent
from jenkins_docker.loading.reference import parse_reference


def lint(inventory: Inventory) -> list[Problem]:
    """Every warning of the rules below, in no particular order (the loader sorts them)."""
    return schedule_overlaps(inventory) + misspelt_parents(inventory) + macros_without_build_template(inventory)


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


def macros_without_build_template(inventory: Inventory) -> list[Problem]:
    """A templates directory that overrides ``_macros.xml.j2`` but not ``freestyle.xml.j2``.

    The freestyle build job's template writes its elements inline (it is rendered once per image)
    rather than calling the shared macros, so such an override changes the deploy, seed and watch
    jobs but none of the build jobs: probably not what its author meant (docs/templates.md).
    """
    directory = inventory.templates
    if directory is None or inventory.jenkins.job_type != "freestyle":
        return []
    macros = directory / "_macros.xml.j2"
    if not macros.is_file() or (directory / "freestyle.xml.j2").is_file():
        return []
    return [Problem(Location(str(macros), 1, 1), (
        "this override of the shared macros does not reach the build jobs: freestyle.xml.j2 writes its elements "
        "itself (it is rendered once per image); copy freestyle.xml.j2 here too and make the same change there"))]


def misspelt_parents(inventory: Inventory) -> list[Problem]:
    """An external parent that looks like a listed base image: probably a typo.

    A parent not listed is external, silently: its subtree is no longer rebuilt with the image it
    meant. Warn when its repository is a listed one's on another registry host, or is a small
    edit away from a listed one (``nw/pyhton`` for ``nw/python``).
    """
    out = []
    bases = _base_paths(inventory)
    for image, parent in _externals(inventory):
        meant = _meant(bases, parent)
        if meant is None:
            continue
        listed, other_host = meant
        if other_host:
            why = (f"{listed.key!r} of the inventory is pushed to {listed.registry.host}, not {parse_reference(parent.reference).domain}")
        else:
            why = f"did you mean {listed.key!r}?"
        out.append(Problem(parent.location, (
            f"{parent.reference!r} is not an image of the inventory, so it is external: rebuilding {listed.key!r} "
            f"will not rebuild {image.key!r}; {why}")))
    return out


def disallowed_externals(inventory: Inventory, allowed: Iterable[tuple[str, Location]]) -> list[Problem]:
    """Errors for the external parents no pattern of ``externals:`` allows (when it is written).

    A pattern is a repository with ``*``/``?`` wildcards (``debian``, ``library/*``,
    ``docker.io/library/*``, ``registry.example.org/vendor/*``), matched against the parent's
    repository as written familiarly and fully qualified; tags and digests don't take part.
    """
    patterns = list(allowed)
    if not patterns:
        return []
    where = patterns[0][1]
    out = []
    bases = _base_paths(inventory)
    for image, parent in _externals(inventory):
        ref = parse_reference(parent.reference)
        names = {ref.familiar_name, ref.name, ref.path}
        if any(fnmatch.fnmatchcase(name, pattern) for pattern, _ in patterns for name in names):
            continue
        meant = _meant(bases, parent)
        hint = f"; did you mean {meant[0].key!r}?" if meant else ""
        out.append(Problem(parent.location, (
            f"external parent {parent.reference!r} of {image.key!r} is not allowed by `externals` (line {where.line}): "
            f"list its repository there, or name an image of the inventory{hint}")))
    return out


def _externals(inventory: Inventory) -> Iterable[tuple[Image, Parent]]:
    for image in inventory.images.values():
        for parent in image.parents:
            if parent.image is None:
                yield image, parent


def _meant(bases: list[tuple[Image, str]], parent: Parent) -> tuple[Image, bool] | None:
    """The listed base image an external parent probably means, and whether only the host differs."""
    ref = parse_reference(parent.reference)
    namespace = ref.path.rpartition("/")[0]
    best: tuple[int, Image] | None = None
    for listed, path in bases:
        if path == ref.path:
            return listed, True
        space, _, name = path.rpartition("/")
        limit = 1 if len(name) <= 5 else 2
        # The edit distance is at least the difference in length: skip what cannot be a typo
        # before paying for it (every external parent against every base image adds up).
        if space != namespace or abs(len(path) - len(ref.path)) > limit:
            continue
        distance = _distance(ref.path, path)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, listed)
    return (best[1], False) if best else None


def _base_paths(inventory: Inventory) -> list[tuple[Image, str]]:
    """Each listed base image with its repository path (parsed once, not once per external parent)."""
    return [(listed, parse_reference(listed.repository).path) for listed in inventory.base_images]


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbouring characters as one edit (``pyhton``)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]
