"""What Jenkins last did for each image: its last build, its last success, and whether it is behind.

An image is *behind* a parent when the parent's last successful build is newer than its own
(or it has none): a cascade that failed, was cancelled or never ran since the parent was rebuilt.
Digest-pinned parents do not count (their rebuilds do not concern the child). All of it comes
from one ``api/json`` tree request (:meth:`RemoteJenkins.last_builds`).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Mapping

from jenkins_docker.loading.inventory import Inventory


@dataclass(frozen=True)
class Run:
    """A build as Jenkins reports it; ``timestamp`` in milliseconds since the epoch."""

    number: int
    result: str | None      # None while it runs
    timestamp: int

    @property
    def when(self) -> str:
        """The time it was scheduled, ISO 8601 in UTC."""
        moment = datetime.datetime.fromtimestamp(self.timestamp / 1000, tz=datetime.timezone.utc)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "result": self.result, "when": self.when, "timestamp": self.timestamp}


@dataclass(frozen=True)
class ImageStatus:
    """One image's job: its last build, its last successful build, the parents it is behind."""

    image: str
    job: str
    last: Run | None
    last_success: Run | None
    behind: tuple[str, ...]
    missing: bool = False    # the job is not on Jenkins (sync first)

    def to_json(self) -> dict[str, Any]:
        return {"image": self.image, "job": self.job, "missing": self.missing,
                "last_build": self.last.to_json() if self.last else None,
                "last_success": self.last_success.to_json() if self.last_success else None,
                "behind": list(self.behind)}


def _run(data: Mapping[str, Any] | None) -> Run | None:
    if not data or data.get("number") is None:
        return None
    return Run(int(data["number"]), data.get("result"), int(data.get("timestamp") or 0))


def image_status(inventory: Inventory, builds: Mapping[str, tuple[Any, Any]]) -> list[ImageStatus]:
    """Each image's status, in inventory order, from ``builds`` (full job name -> (last, last successful))."""
    graph = inventory.graph
    rebuild = graph.rebuild_graph()
    runs = {}
    for key in inventory.images:
        job = inventory.job(key)
        last, success = builds.get(job, (None, None))
        runs[key] = (job, job not in builds, _run(last), _run(success))
    out = []
    for key, (job, missing, last, success) in runs.items():
        mine = success.timestamp if success else -1
        behind = tuple(parent for parent in sorted(rebuild.predecessors(key)) if parent in runs
                       and (theirs := runs[parent][3]) is not None and theirs.timestamp > mine)
        out.append(ImageStatus(key, job, last, success, behind, missing))
    return out
