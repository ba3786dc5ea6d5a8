"""Planning a sync: what must change on a target for it to match the rendered jobs.

A plan lists every managed item once: to create, update (or replace, when the job type
changed), delete (only with ``prune``) or leave unchanged, with a diff per change. Items are
ours when their description carries :data:`~jenkins_docker.jobs.MANAGED_MARKER`; any other
item is never touched, and one standing where a job must go is reported as a failure unless
``adopt`` takes it over on purpose.
"""
from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal

from jenkins_docker import naming, plugins, xmlcompare
from jenkins_docker.errors import JenkinsDockerError, JobError
from jenkins_docker.jobs import MANAGED_MARKER, Job, JobSet
from jenkins_docker.targets import Target, kind_of_xml

log = logging.getLogger(__name__)

Action = Literal["create", "update", "replace", "delete"]


@dataclass(frozen=True)
class Change:
    """One write a sync will make."""

    action: Action
    name: str                 # full name of the item ("docker/acme-nginx"), or the view name
    what: Literal["job", "folder", "view"]
    new: str | None           # config to write (None for a delete)
    old: str | None           # live config (None for a create)
    after: tuple[str, ...] = ()   # items written before this one when they change too

    @property
    def diff(self) -> str:
        """A unified diff of the normalised live and new configs (computed when asked for)."""
        if self.action == "delete":
            return f"delete {self.name}\n"
        label = f"view {self.name}" if self.what == "view" else self.name
        try:
            return xmlcompare.diff(self.old, self.new, label)
        except xmlcompare.XMLError:
            return xmlcompare.diff(None, self.new, label)


@dataclass(frozen=True)
class Failure:
    """An item that could not be planned or written, and why."""

    job: str
    error: str

    def to_json(self) -> dict[str, str]:
        """``{"job": .., "error": ..}`` as in the contract."""
        return {"job": self.job, "error": self.error}


@dataclass
class Plan:
    """What a sync would change on ``target``; produced by :func:`make_plan`."""

    target: str
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """True when applying the plan would write something."""
        return bool(self.changes)

    def names(self, *actions: Action) -> list[str]:
        """Full names of the changes with one of ``actions``, in plan order."""
        return [c.name for c in self.changes if c.action in actions and c.what != "view"]

    def to_json(self) -> dict[str, Any]:
        """The ``plan --format json`` document (CONTRACT section 3), plus ``views``."""
        return {
            "create": self.names("create"),
            "update": self.names("update", "replace"),
            "delete": self.names("delete"),
            "unchanged": list(self.unchanged),
            "failed": [f.to_json() for f in self.failed],
            "views": {c.action: [c.name] for c in self.changes if c.what == "view"},
        }


def scan_depth(folder: str | None) -> int:
    """How many folder levels the listing must see: the folder's own items included."""
    return (len(folder.split("/")) if folder else 0) + 1


def is_managed(description: str) -> bool:
    """True when an item's description marks it as written by jenkins-docker."""
    return MANAGED_MARKER in description


def make_plan(jobs: JobSet, target: Target, *, folder: str | None, prune: bool = False, adopt: bool = False,
              workers: int = 8, progress: Callable[[int], None] | None = None) -> Plan:
    """Compare the rendered ``jobs`` with ``target`` and list what must change.

    One listing request finds every item; then the config of each managed item that should
    exist is read (concurrently, ``workers`` at a time) and compared as normalised XML.
    ``folder`` bounds ``prune``: only managed items inside it (or at the top level, without a
    folder) that left the inventory are deleted.
    """
    plan = Plan(target.label)
    live = {naming.collision_key(item.full_name): item for item in target.list_items(scan_depth(folder))}
    plugins.check(jobs.jobs, target.installed_plugins(), target.label)
    to_read: list[Job] = []
    for job in jobs.jobs:
        item = live.get(naming.collision_key(job.full_name))
        if item is None:
            plan.changes.append(Change("create", job.full_name, _what(job), job.xml, None, job.after))
        elif job.kind == "folder" and item.kind == "folder" and not is_managed(item.description):
            plan.notes.append(f"folder {item.full_name} exists and is not managed by jenkins-docker: its jobs go into it, its configuration is left alone")
        elif not is_managed(item.description) and not adopt:
            plan.failed.append(Failure(job.full_name, f"{item.full_name} exists and is not managed by jenkins-docker; "
                                                      "rename or delete it, or pass --adopt to take it over"))
        elif item.full_name != job.full_name:
            plan.failed.append(Failure(job.full_name, f"Jenkins already has {item.full_name!r}, which differs only in case; rename it first"))
        else:
            to_read.append(job)
    _compare(plan, target, to_read, workers, progress)
    if prune:
        wanted = {naming.collision_key(job.full_name) for job in jobs.jobs}
        doomed = [item for key, item in live.items()
                  if key not in wanted and is_managed(item.description) and _in_scope(item.full_name, folder)]
        # Deepest first, so a folder goes after what it holds.
        for item in sorted(doomed, key=lambda i: (-i.full_name.count("/"), i.full_name)):
            if any(d.full_name != item.full_name and item.full_name.startswith(d.full_name + "/") for d in doomed):
                continue  # deleting its managed folder deletes it too
            plan.changes.append(Change("delete", item.full_name, "folder" if item.kind == "folder" else "job", None, None))
    _plan_views(plan, jobs, target)
    # Writes in rendered order (folders and upstreams first), then views, then deletes (the sort
    # is stable: deletes keep their deepest-first order).
    position = {job.full_name: index for index, job in enumerate(jobs.jobs)}
    plan.changes.sort(key=lambda c: (c.action == "delete", c.what == "view", 0 if c.what == "view" else position.get(c.name, 0)))
    plan.unchanged.sort()
    return plan


def _compare(plan: Plan, target: Target, to_read: list[Job], workers: int,
             progress: Callable[[int], None] | None) -> None:
    def read(job: Job) -> tuple[Job, str | Exception]:
        try:
            return job, target.read_config(job.full_name)
        except JenkinsDockerError as exc:
            return job, exc

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        _collect(plan, pool.map(read, to_read), progress)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: read no more
        raise
    pool.shutdown(wait=True)


def _collect(plan: Plan, reads: Iterable[tuple[Job, str | Exception]], progress: Callable[[int], None] | None) -> None:
    """Sort each read config into unchanged, update or replace (or a failure)."""
    for job, live in reads:
        if progress:
            progress(1)
        if isinstance(live, Exception):
            plan.failed.append(Failure(job.full_name, live.message if isinstance(live, JobError) else str(live)))
            continue
        job = dataclasses.replace(job, xml=xmlcompare.carry_secrets(job.xml, live))
        try:
            live_tag, live_canonical = xmlcompare.tag_and_canonical(live)
            live_kind = kind_of_xml(live_tag)
            equal = live_kind == job.kind and live_canonical == xmlcompare.canonical(job.xml)
        except xmlcompare.XMLError as exc:
            live_kind, equal = "other", False
            log.warning("%s: live config is not XML (%s); it will be replaced", job.full_name, exc)
        if equal:
            plan.unchanged.append(job.full_name)
            continue
        action: Action = "replace" if live_kind != job.kind else "update"
        plan.changes.append(Change(action, job.full_name, _what(job), job.xml, live, job.after))


def _plan_views(plan: Plan, jobs: JobSet, target: Target) -> None:
    for view in jobs.views:
        if view.folder:
            continue  # rendered inside its folder's config
        try:
            live = target.read_view(view.name)
        except JenkinsDockerError as exc:
            plan.notes.append(f"view {view.name!r} not synced: {exc}")
            continue
        after = tuple(j.full_name for j in jobs.jobs)
        if live is None:
            plan.changes.append(Change("create", view.name, "view", view.xml, None, after))
        elif not xmlcompare.same(live, view.xml):
            if is_managed(live):
                plan.changes.append(Change("update", view.name, "view", view.xml, live, after))
            else:
                plan.failed.append(Failure(f"view {view.name}", "a view of that name exists and is not managed by jenkins-docker"))


def _what(job: Job) -> Literal["job", "folder"]:
    return "folder" if job.kind == "folder" else "job"


def _in_scope(full_name: str, folder: str | None) -> bool:
    if folder:
        return full_name.casefold().startswith(folder.casefold() + "/")
    return "/" not in full_name
