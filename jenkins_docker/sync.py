"""Applying a plan: the writes, concurrently, in an order Jenkins is happy with.

Folders are written before what they hold and a job after its upstreams: each write waits only
for the writes it depends on (``Change.after``), so ``workers`` requests stay in flight without a
barrier between levels of the graph. A write that fails fails its item only: the others go on,
and the result lists what failed and why. Each write replaces a whole config in
one request (or one rename on disk), so every item ends either old or new; running the sync
again converges.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable

from jenkins_docker.errors import JenkinsDockerError, JobError
from jenkins_docker.plan import Change, Failure, Plan
from jenkins_docker.targets import Target

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    """What a sync did: the items written, by action, and the ones that failed."""

    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    views: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """The ``sync --format json`` document (CONTRACT section 3), plus ``views``."""
        return {
            "create": sorted(self.create),
            "update": sorted(self.update),
            "delete": sorted(self.delete),
            "unchanged": sorted(self.unchanged),
            "failed": [f.to_json() for f in sorted(self.failed, key=lambda f: f.job)],
            "views": self.views,
        }


def apply(plan: Plan, target: Target, *, workers: int = 8, progress: Callable[[int], None] | None = None) -> SyncResult:
    """Make the writes of ``plan`` on ``target``; never raises for one item's failure."""
    result = SyncResult(unchanged=list(plan.unchanged), failed=list(plan.failed))
    writes = [c for c in plan.changes if c.action != "delete"]
    deletes = [c for c in plan.changes if c.action == "delete"]
    finished = {c.name: threading.Event() for c in writes if c.what != "view"}
    failed_folders: set[str] = set()

    def run(change: Change) -> tuple[Change, str | None]:
        try:
            # Changes are submitted in plan order and a change only waits for earlier ones,
            # which a first-in-first-out pool has already started: this cannot deadlock.
            for name in change.after:
                if name in finished:
                    finished[name].wait()
            blocked = next((name for name in change.after if name in failed_folders), None)
            if blocked:
                return change, f"not written: its folder {blocked} could not be written"
            _write(target, change)
            return change, None
        except JenkinsDockerError as exc:
            if change.what == "folder":
                failed_folders.add(change.name)
            return change, exc.message if isinstance(exc, JobError) else str(exc)
        finally:
            if change.name in finished and change.what != "view":
                finished[change.name].set()

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for batch in (writes, deletes):
            for future in as_completed([pool.submit(run, change) for change in batch]):
                change, error = future.result()
                _record(result, change, error)
                if progress:
                    progress(1)
    except BaseException:
        # Interrupted (Ctrl-C): start no more writes; the ones in flight finish, each whole.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return result


def _write(target: Target, change: Change) -> None:
    if change.what == "view":
        target.write_view(change.name, change.new or "", create=change.action == "create")
    elif change.action == "create":
        target.create(change.name, change.new or "")
    elif change.action == "update":
        target.update(change.name, change.new or "")
    elif change.action == "delete":
        target.delete(change.name)
    elif change.action == "replace":
        _replace(target, change)


def _replace(target: Target, change: Change) -> None:
    """Another job type: Jenkins refuses to change a job's class in place, so delete + create.

    If the create fails, the old job is put back from its config, so the item is never left
    missing by a failed sync (its build history is lost either way: Jenkins keeps it per job).
    """
    target.delete(change.name)
    try:
        target.create(change.name, change.new or "")
    except JenkinsDockerError as exc:
        if change.old is not None:
            try:
                target.create(change.name, change.old)
            except JenkinsDockerError as restore:
                log.error("%s: could not restore the old job: %s", change.name, restore)
                raise JobError(change.name, f"replaced job could not be created ({exc}), and the old one could not be restored ({restore})") from None
        raise JobError(change.name, f"could not change the job type, old job restored: {exc}") from None


def _record(result: SyncResult, change: Change, error: str | None) -> None:
    if error is not None:
        result.failed.append(Failure(change.name if change.what != "view" else f"view {change.name}", error))
        return
    if change.what == "view":
        result.views.setdefault(change.action, []).append(change.name)
    elif change.action == "create":
        result.create.append(change.name)
    elif change.action in ("update", "replace"):
        result.update.append(change.name)
    else:
        result.delete.append(change.name)
