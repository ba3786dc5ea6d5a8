"""Planning a sync: what must change on a target for it to match the rendered jobs.

A plan lists every managed item once: to create, update (or replace, when the job type
changed), delete (only with ``prune``) or leave unchanged, with a diff per change, and the
orphans (items of ours that left the inventory and are kept). Whether an item is ours, and
what may be done to it, is decided by :mod:`jenkins_docker.ownership` alone: any other item is
never touched, and one standing where a job must go is reported as a failure naming its owner.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal

from jenkins_docker import naming, ownership
from jenkins_docker.errors import JenkinsDockerError, JobError, UsageError
from jenkins_docker.rendering.renderer import Item, ItemSet
from jenkins_docker.sync import folders, plugins, xmlcompare
from jenkins_docker.sync.targets import LiveItem, Target, kind_of_xml
from jenkins_docker.sync.workers import worker_pool

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
    note: str = ""                # what else the change means ("freestyle -> pipeline: its build history is lost")

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
    orphans: list[str] = field(default_factory=list)   # ours, no longer in the inventory, kept

    @property
    def has_changes(self) -> bool:
        """True when applying the plan would write something."""
        return bool(self.changes)

    def names(self, *actions: Action) -> list[str]:
        """Full names of the changes with one of ``actions``, in plan order."""
        return [c.name for c in self.changes if c.action in actions and c.what != "view"]

    def to_json(self) -> dict[str, Any]:
        """The ``plan --format json`` document (CONTRACT sections 3 and 5), plus ``replace`` (the
        updates that delete and re-create a job, losing its build history) and ``views``."""
        return {
            "create": self.names("create"),
            "update": self.names("update", "replace"),
            "delete": self.names("delete"),
            "unchanged": list(self.unchanged),
            "failed": [f.to_json() for f in self.failed],
            "orphans": list(self.orphans),
            "replace": self.names("replace"),
            "views": {c.action: [c.name] for c in self.changes if c.what == "view"},
        }


def scan_depth(folder: str | None) -> int:
    """How many folder levels the listing must see: the folder's own items included."""
    return (len(folder.split("/")) if folder else 0) + 1


#: ``make_plan``'s default ``folder``: the rendered set's own (``ItemSet.folder``).
FROM_ITEMS: Any = object()


def make_plan(jobs: ItemSet, target: Target, *, folder: str | None = FROM_ITEMS, prune: bool = False, adopt: bool = False,
              workers: int = 8, progress: Callable[[int], None] | None = None, fast: bool = False) -> Plan:
    """Compare the rendered ``jobs`` with ``target`` and list what must change.

    One listing request finds every item; then the config of each item of ours that should
    exist is read (concurrently, ``workers`` at a time) and compared as normalised XML. What may
    be written, replaced or deleted is asked of :mod:`jenkins_docker.ownership` (the inventory's
    owner is ``jobs.owner``). The folder, ``jobs.folder``, bounds ``prune``: only items of ours
    inside it (or at the top level, without a folder) that left the inventory are deleted; without
    ``prune`` they are listed as orphans. (``folder`` is the first release's way to say it; given, it
    must agree with ``jobs.folder``.) With ``fast``, an item of ours whose ownership line (which the listing
    returns) carries the digest of the config rendered now is unchanged without being read: an
    edit made in the Jenkins UI since the last sync is then not seen, and the controller's plugin
    list is read only when something is to change. Raises :class:`~jenkins_docker.errors.UsageError` for ``prune``/``adopt``
    at the top level without an owner.
    """
    folder = scope(jobs, folder)
    policy = ownership.policy(jobs.owner, folder, prune=prune, adopt=adopt)
    plan = Plan(target.label)
    depth = scan_depth(folder) + (1 if prune else 0)  # prune looks one level into the folders it may delete
    listed = target.list_items(depth)
    live = {naming.collision_key(item.full_name): item for item in listed}
    if not fast:   # --fast asks for the plugin list only when it will write (below)
        plugins.check(jobs.jobs, target.installed_plugins(), target.label)
    unseen = {key for key, item in live.items() if ownership.is_folder(item.kind) and item.full_name.count("/") + 1 >= depth}
    blocked: set[str] = set()   # folders the plan cannot use: nothing is written into them
    to_read: list[tuple[Item, LiveItem]] = []
    for job in jobs.jobs:
        folder_of = next((name for name in job.after if name in blocked), None)
        if folder_of is not None:
            _fail(plan, blocked, job, f"not written: its folder {folder_of} cannot be used (see its own failure)")
            continue
        item = live.get(naming.collision_key(job.full_name))
        if item is None:
            plan.changes.append(Change("create", job.full_name, _what(job), job.xml, None, job.after))
            continue
        who = policy.classify(item.description)
        if (job.kind == "folder" and item.kind == "folder" and item.full_name == job.full_name
                and who.status in ("hand-made", "other-owner")):
            # Never adopted: the folder is someone else's; only our jobs go into it.
            plan.notes.append(f"folder {item.full_name} exists and is {who.describe()}: its jobs go into it, "
                              "its configuration is left alone")
            continue
        decision = policy.may_write(job.full_name, item.full_name, item.kind, item.description, job.kind)
        if decision.allowed and fast and item.kind == job.kind and policy.unchanged_by_digest(item.description, job.digest):
            plan.unchanged.append(job.full_name)
        elif decision.allowed:
            to_read.append((job, item))
        else:
            _fail(plan, blocked, job, decision.reason)
    _compare(plan, policy, target, to_read, workers, progress)
    wanted = {naming.collision_key(job.full_name) for job in jobs.jobs}
    leaving = [item for key, item in live.items() if key not in wanted]
    deleted: list[LiveItem] = []
    if prune:
        doomed = [item for item in leaving if policy.may_delete(item.full_name, item.description).allowed]
        deleted, notes = ownership.prunable(policy, doomed, live, unseen)
        plan.notes.extend(notes)
        plan.changes.extend(Change("delete", item.full_name, "folder" if item.kind == "folder" else "job", None, None)
                            for item in deleted)
    gone = tuple(naming.collision_key(item.full_name) for item in deleted)
    plan.orphans = sorted(item.full_name for item in leaving if policy.is_orphan(item.full_name, item.description)
                          and not _within(naming.collision_key(item.full_name), gone))
    legacy = sorted(item.full_name for item in leaving if policy.in_scope(item.full_name)
                    and policy.classify(item.description).status == "legacy"
                    and not _within(naming.collision_key(item.full_name), gone))
    if legacy:
        plan.notes.append(f"kept {len(legacy)} item(s) of the first release (no owner) that the inventory no longer has: "
                          f"{', '.join(legacy)}; --prune --adopt deletes them")
    _plan_views(plan, policy, jobs, target)
    if fast and plan.changes:
        # The sync that wrote the configs whose digests matched checked the plugins they need: a
        # --fast plan that changes nothing costs the listing alone; one that writes checks first.
        plugins.check(jobs.jobs, target.installed_plugins(), target.label)
    # Writes in rendered order (folders and upstreams first), then views, then deletes (in their
    # deepest-first order).
    position = {job.full_name: index for index, job in enumerate(jobs.jobs)}
    writes = sorted((c for c in plan.changes if c.what != "view" and c.action != "delete"), key=lambda c: position[c.name])
    plan.changes = writes + [c for c in plan.changes if c.what == "view"] + [c for c in plan.changes if c.action == "delete"]
    plan.unchanged.sort()
    return plan


def scope(jobs: ItemSet, folder: str | None = FROM_ITEMS) -> str | None:
    """The folder a plan works in: the rendered set's, or a ``folder`` given for a set rendered without one.

    Raises :class:`~jenkins_docker.errors.UsageError` when both are given and differ: a plan scoped
    to another folder than the one its jobs were rendered for would prune and adopt in the wrong place.
    """
    if folder is FROM_ITEMS or folder == jobs.folder:
        return jobs.folder
    if jobs.folder is None:
        return folder
    raise UsageError(f"the jobs were rendered for folder {jobs.folder!r}, not {folder!r}: "
                     "leave make_plan's folder out (it comes with the rendered jobs)")


def _within(key: str, folders: tuple[str, ...]) -> bool:
    """True when ``key`` is one of ``folders`` or inside one of them."""
    return any(key == folder or key.startswith(folder + "/") for folder in folders)


def _fail(plan: Plan, blocked: set[str], job: Item, reason: str) -> None:
    plan.failed.append(Failure(job.full_name, reason))
    if job.kind == "folder":
        blocked.add(job.full_name)


def _compare(plan: Plan, policy: ownership.Policy, target: Target, to_read: list[tuple[Item, LiveItem]], workers: int,
             progress: Callable[[int], None] | None) -> None:
    def read(pair: tuple[Item, LiveItem]) -> tuple[Item, LiveItem, str | Exception]:
        job, item = pair
        try:
            return job, item, target.read_config(job.full_name)
        except JenkinsDockerError as exc:
            return job, item, exc

    with worker_pool(workers) as pool:   # Ctrl-C: read no more (the reads in flight finish)
        _collect(plan, policy, pool.map(read, to_read), progress)


def _collect(plan: Plan, policy: ownership.Policy, reads: Iterable[tuple[Item, LiveItem, str | Exception]],
             progress: Callable[[int], None] | None) -> None:
    """Sort each read config into unchanged, update or replace (or a failure)."""
    for job, item, live in reads:
        if progress:
            progress(1)
        if isinstance(live, Exception):
            plan.failed.append(Failure(job.full_name, live.message if isinstance(live, JobError) else str(live)))
            continue
        job = dataclasses.replace(job, xml=xmlcompare.carry_secrets(job.xml, live))
        new = job.xml
        try:
            live_tag, live_canonical = xmlcompare.tag_and_canonical(live)
        except xmlcompare.XMLError as exc:
            if job.kind == "folder" or item.kind != job.kind:
                plan.failed.append(Failure(job.full_name, f"its live config.xml cannot be read ({exc}); not changed"))
            else:  # same kind by the listing: posting the config keeps the job and its history
                log.warning("%s: live config is not XML (%s); it will be rewritten", job.full_name, exc)
                plan.changes.append(Change("update", job.full_name, _what(job), new, live, job.after))
            continue
        live_kind = kind_of_xml(live_tag)
        if job.kind == "folder" and live_kind == "folder":
            new, notes = folders.merge(live, job.xml, lambda text: policy.classify(text).status in ("ours", "legacy"))
            plan.notes.extend(f"folder {job.full_name}: {note}" for note in notes)
            equal = xmlcompare.canonical(new) == live_canonical
        else:
            equal = live_kind == job.kind and live_canonical == xmlcompare.canonical(job.xml)
        if equal:
            plan.unchanged.append(job.full_name)
            continue
        if live_kind == job.kind:
            plan.changes.append(Change("update", job.full_name, _what(job), new, live, job.after))
            continue
        decision = policy.may_replace(job.full_name, item.description, live_kind, job.kind)
        if decision.allowed:
            plan.changes.append(Change("replace", job.full_name, _what(job), new, live, job.after,
                                       f"{live_kind} -> {job.kind}: its build history is lost"))
        else:
            plan.failed.append(Failure(job.full_name, decision.reason))


def _plan_views(plan: Plan, policy: ownership.Policy, jobs: ItemSet, target: Target) -> None:
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
            continue
        try:
            if xmlcompare.same(live, view.xml):
                continue
            description = ownership.description_of(live)
        except xmlcompare.XMLError:
            description = ""  # not XML: nobody's line
        decision = policy.may_write(f"view {view.name}", f"view {view.name}", "view", description, "view")
        if decision.allowed:
            plan.changes.append(Change("update", view.name, "view", view.xml, live, after))
        else:
            plan.failed.append(Failure(f"view {view.name}", decision.reason))


def _what(job: Item) -> Literal["job", "folder"]:
    return "folder" if job.kind == "folder" else "job"
