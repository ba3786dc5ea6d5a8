"""Which images are built on a parent that has moved since: asked of the registries, not Jenkins.

For every image of the inventory, the labels of its pushed ``latest`` (manifest, then config
blob) say which parents it was built from, at which digest (:mod:`jenkins_docker.rendering.provenance`).
Each distinct parent reference is then asked for its current digest once (a ``HEAD``), except
the inventory's own images, whose digest the first step already read, and digest-pinned parents,
which cannot move. So a run costs at most two requests per image (three for an image pushed as
an index) plus one per distinct external parent, and token requests on registries that use them.

An image is *outdated* when a parent's current digest differs from the recorded one; *unknown*
when it was never pushed or carries no record (built before its job recorded parents); a
registry that cannot be asked is one *error* naming the images it leaves undecided, and every
other image is still reported.
"""
from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from jenkins_docker.freshness.registry import RegistryClient, RegistryError
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.reference import parse_reference
from jenkins_docker.rendering import provenance
from jenkins_docker.sync.workers import worker_pool

T = TypeVar("T")

NEVER_BUILT = "never built: no latest tag in its registry"
NO_RECORD = f"no {provenance.PARENTS_LABEL} label: built before its job recorded its parents (the next build records them)"


@dataclass(frozen=True)
class MovedParent:
    """A parent whose tag points elsewhere than when the image was built."""

    name: str           # the reference pulled, fully qualified
    built_from: str     # digest recorded in the image
    current: str        # digest the registry answers now


@dataclass(frozen=True)
class Outdated:
    """An image to rebuild, with every parent that moved."""

    image: str
    parents: tuple[MovedParent, ...]


@dataclass(frozen=True)
class Unknown:
    """An image whose freshness cannot be told from its registry."""

    image: str
    reason: str


@dataclass(frozen=True)
class RegistryProblem:
    """A registry that could not be asked, and the images it leaves undecided."""

    registry: str
    error: str
    images: tuple[str, ...]


@dataclass
class Report:
    """The answer of :func:`find_outdated`; ``requests`` counts the HTTP requests by kind."""

    outdated: list[Outdated] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    errors: list[RegistryProblem] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``outdated --format json`` document."""
        return {
            "outdated": [{"image": o.image, "parents": [{"name": p.name, "built_from": p.built_from, "current": p.current}
                                                         for p in o.parents]} for o in self.outdated],
            "unknown": [{"image": u.image, "reason": u.reason} for u in self.unknown],
            "errors": [{"registry": e.registry, "error": e.error, "images": list(e.images)} for e in self.errors],
        }

    def exit_code(self, detailed: bool) -> int:
        """1 when a registry could not be asked; with ``detailed``, 2 when something is outdated."""
        if self.errors:
            return 1
        return 2 if detailed and self.outdated else 0


class _Once:
    """Runs each distinct question once, however many threads ask it (one request per reference)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Any, concurrent.futures.Future[Any]] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = concurrent.futures.Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:  # noqa: BLE001 - handed to every asker
                future.set_exception(exc)
        return future.result()   # type: ignore[no-any-return]


def find_outdated(inventory: Inventory, client: RegistryClient, *, workers: int = 8) -> Report:
    """Ask the registries which images of ``inventory`` are outdated, unknown or undecidable."""
    images = list(inventory.images.values())
    pushed = {img.key: provenance.qualified(f"{img.push_name}:latest") for img in images}
    report = Report()
    errors: dict[str, tuple[str, list[str]]] = {}

    def fail(exc: RegistryError, key: str) -> None:
        message, keys = errors.setdefault(exc.registry, (str(exc), []))
        if key not in keys:
            keys.append(key)

    with worker_pool(workers) as pool:
        # 1. What every image records, and its own digest (the listed parents' current digest).
        def read(key: str) -> tuple[str, dict[str, str]] | None | RegistryError:
            try:
                return client.labels(parse_reference(pushed[key]))
            except RegistryError as exc:
                return exc

        read_results = dict(zip(pushed, pool.map(read, list(pushed))))
        current_of_listed = {pushed[key]: result[0] for key, result in read_results.items() if isinstance(result, tuple)}

        records: dict[str, list[provenance.BuiltFrom]] = {}
        for key, result in read_results.items():
            if isinstance(result, RegistryError):
                fail(result, key)
            elif result is None:
                report.unknown.append(Unknown(key, NEVER_BUILT))
            else:
                try:
                    record = provenance.built_from(result[1])
                except ValueError as exc:
                    report.unknown.append(Unknown(key, f"unreadable {provenance.PARENTS_LABEL} label: {exc}"))
                    continue
                if record is None:
                    report.unknown.append(Unknown(key, NO_RECORD))
                else:
                    records[key] = record

        # 2. The current digest of every distinct parent not already known: one HEAD each.
        once = _Once()

        def current(reference: str) -> str | None:
            if reference in current_of_listed:
                return current_of_listed[reference]
            return once.get(reference, lambda: client.digest(parse_reference(reference)))

        def judge(key: str) -> tuple[str, list[MovedParent] | RegistryError | str]:
            moved = []
            for parent in records[key]:
                try:
                    now = current(parent.reference)
                except RegistryError as exc:
                    return key, exc
                if now is None:
                    return key, f"parent {parent.reference} is gone from its registry"
                if now != parent.digest:
                    moved.append(MovedParent(parent.reference, parent.digest, now))
            return key, moved

        for key, verdict in pool.map(judge, list(records)):
            if isinstance(verdict, RegistryError):
                fail(verdict, key)
            elif isinstance(verdict, str):
                report.unknown.append(Unknown(key, verdict))
            elif verdict:
                report.outdated.append(Outdated(key, tuple(verdict)))
            else:
                report.fresh.append(key)

    report.errors = [RegistryProblem(host, message, tuple(keys)) for host, (message, keys) in sorted(errors.items())]
    report.requests = dict(client.requests)
    return report
