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
import os
import tempfile
import threading
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from jenkins_docker.errors import JenkinsDockerError, JobError
from jenkins_docker.sync.plan import Change, Failure, Plan
from jenkins_docker.sync.targets import Target
from jenkins_docker.sync.workers import worker_pool

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
    replace: list[str] = field(default_factory=list)   # also in ``update``: re-created, build history lost
    orphans: list[str] = field(default_factory=list)   # ours, left the inventory, kept (no --prune)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """The ``sync --format json`` document (CONTRACT sections 3 and 5), plus ``replace`` and ``views``."""
        return {
            "create": sorted(self.create),
            "update": sorted(self.update),
            "delete": sorted(self.delete),
            "unchanged": sorted(self.unchanged),
            "failed": [f.to_json() for f in sorted(self.failed, key=lambda f: f.job)],
            "orphans": sorted(self.orphans),
            "replace": sorted(self.replace),
            "views": self.views,
        }


def apply(plan: Plan, target: Target, *, workers: int = 8, progress: Callable[[int], None] | None = None,
          stop: threading.Event | None = None) -> SyncResult:
    """Make the writes of ``plan`` on ``target``; never raises for one item's failure.

    Setting ``stop`` (or an interruption, Ctrl-C or SIGTERM, in the calling thread) starts no
    new write: writes in flight finish whole, and the changes not yet started are left out.
    Failures are listed in plan order (a folder's before its jobs'), whatever order the workers
    finished in.
    """
    result = SyncResult(unchanged=list(plan.unchanged), failed=list(plan.failed), orphans=list(plan.orphans))
    writes = [c for c in plan.changes if c.action != "delete"]
    deletes = [c for c in plan.changes if c.action == "delete"]
    # Set when a write is done. A view waits for every job, so one named like a job (sharing its
    # event) is written after it and never releases a write early.
    finished = {c.name: threading.Event() for c in writes}
    failed_folders: set[str] = set()
    stop = stop or threading.Event()

    def run(change: Change) -> tuple[Change, str | None] | None:
        """The change and its error (``None``: written), or ``None`` when a stop kept it from starting."""
        try:
            # Changes are submitted in plan order and a change only waits for earlier ones,
            # which a first-in-first-out pool has already started: this cannot deadlock. After a
            # stop each change still to start returns at once, so every wait ends.
            for name in change.after:
                if name in finished:
                    finished[name].wait()
            if stop.is_set():
                return None
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
            if change.name in finished:
                finished[change.name].set()

    with worker_pool(workers) as pool:
        try:
            for batch in (writes, deletes):   # after a stop, each change of a batch returns not started
                for future in as_completed([pool.submit(run, change) for change in batch]):
                    outcome = future.result()
                    if outcome is not None:
                        _record(result, *outcome)
                    if progress:
                        progress(1)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): start no more writes. A change already waiting for
            # an upstream sees the stop once that write (started earlier, so never cancelled) ends.
            stop.set()
            raise   # worker_pool cancels what has not started and waits for the writes in flight
    position = {_failure_name(change): index for index, change in enumerate(plan.changes)}
    result.failed[len(plan.failed):] = sorted(result.failed[len(plan.failed):], key=lambda f: position[f.job])
    return result


def _write(target: Target, change: Change) -> None:
    if change.action == "delete":
        target.delete(change.name)
        return
    new = change.new
    assert new is not None   # every change but a delete carries the config to write
    if change.what == "view":
        target.write_view(change.name, new, create=change.action == "create")
    elif change.action == "create":
        target.create(change.name, new)
    elif change.action == "update":
        target.update(change.name, new)
    else:
        _replace(target, change, new)


#: How often a replaced job's old config is posted back before sync gives up on it.
RESTORE_ATTEMPTS = 3


def saved_configs_dir() -> Path:
    """Where the old config of each job being replaced is kept until the replace has succeeded."""
    return Path(tempfile.gettempdir()) / "jenkins-docker-replaced"


def _replace(target: Target, change: Change, new: str) -> None:
    """Another job type: Jenkins refuses to change a job's class in place, so delete + create.

    Restore or fail loud: the old config is saved on disk first; if the create fails, the old
    job is put back (tried :data:`RESTORE_ATTEMPTS` times), and if that fails too the error
    says the job is missing and where its old config.xml is. The build history is lost either
    way (Jenkins keeps it per job), which the plan says.
    """
    old = change.old
    assert old is not None   # a replace comes from a live config the plan read
    saved = _save_old_config(change.name, old)
    target.delete(change.name)
    try:
        target.create(change.name, new)
    except JenkinsDockerError as exc:
        problem = exc.message if isinstance(exc, JobError) else str(exc)
        restore = _restore(target, change.name, old)
        if restore is None:
            saved.unlink(missing_ok=True)
            raise JobError(change.name, f"could not change the job type, old job restored: {problem}") from None
        log.error("%s is missing: restoring it failed: %s; its old config.xml is saved at %s", change.name, restore, saved)
        raise JobError(change.name, f"MISSING: the job was deleted to change its type, the new job could not be created "
                                    f"({problem}), and restoring the old one failed {RESTORE_ATTEMPTS} times ({restore}); "
                                    f"its old config.xml is saved at {saved}: create the job from it "
                                    "(or run sync again)") from None
    saved.unlink(missing_ok=True)


def _save_old_config(full_name: str, old: str) -> Path:
    directory = saved_configs_dir()
    directory.mkdir(exist_ok=True)   # in the temporary directory, which exists
    handle, name = tempfile.mkstemp(prefix=full_name.replace("/", "_") + ".", suffix=".config.xml", dir=directory)
    with os.fdopen(handle, "wb") as out:
        out.write(old.encode("utf-8"))
    return Path(name)


def _restore(target: Target, full_name: str, old: str) -> str | None:
    """Post the old config back (:data:`RESTORE_ATTEMPTS` times at most); ``None`` once it is back, else the last error."""
    for _ in range(RESTORE_ATTEMPTS):
        try:
            target.create(full_name, old)
            return None
        except JenkinsDockerError as exc:
            error = exc.message if isinstance(exc, JobError) else str(exc)
    return error


def _failure_name(change: Change) -> str:
    """How a failed change is named in the result: a view as ``view NAME`` (a job may share its name)."""
    return change.name if change.what != "view" else f"view {change.name}"


def _record(result: SyncResult, change: Change, error: str | None) -> None:
    if error is not None:
        result.failed.append(Failure(_failure_name(change), error))
        return
    if change.what == "view":
        result.views.setdefault(change.action, []).append(change.name)
    elif change.action == "create":
        result.create.append(change.name)
    elif change.action in ("update", "replace"):
        result.update.append(change.name)
        if change.action == "replace":
            result.replace.append(change.name)
    else:
        result.delete.append(change.name)
