"""The fake Jenkins's controller state: items in folders, views, the build queue, installed plugins.

:class:`JenkinsStore` keeps what a Jenkins controller keeps in memory and changes it the way
Jenkins does (names compared case-insensitively and checked by ``checkGoodName``, a reconfigured
folder keeps its children, a rename rewrites other jobs' trigger lists and list views, the
upstream/downstream graph of freestyle jobs), loading and writing configs through
:mod:`jenkins_docker.testing.xstream`.  It has two faces: the seeding and inspection methods
tests call (each takes the lock), and what the HTTP server,
:class:`~jenkins_docker.testing.fake_jenkins.FakeJenkins`, needs to answer a request (it calls
them holding :attr:`JenkinsStore.lock`).  The server holds a store (``FakeJenkins.store``); it is
not one.  Refusals are :class:`HttpError`, the status and message Jenkins would answer with.
"""
from __future__ import annotations

import re
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from jenkins_docker.testing.xstream import (
    FOLDER,
    FOLDER_VIEWS,
    FREESTYLE,
    ITEM_CLASSES,
    PIPELINE_TRIGGERS_PROPERTY,
    Cipher,
    Loader,
    Obj,
    Raw,
    Writer,
    XmlError,
    all_view,
    ci_key,
    encode_tag,
    parse_xml,
    root_class,
    root_tag,
    version_tuple,
)

__all__ = ["Build", "HttpError", "Item", "JenkinsStore", "QueueItem", "bump_version", "failure", "parse_config"]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

class HttpError(Exception):
    """Ends a request with this status; ``x_error`` also sets Jenkins's ``X-Error`` header."""

    def __init__(self, status: int, message: str, *, x_error: bool = False,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.x_error = x_error
        self.headers = list(headers)


def failure(message: str) -> HttpError:
    """Jenkins's ``hudson.model.Failure``: 400 with the message in ``X-Error`` and the page."""
    return HttpError(400, message, x_error=True)


def parse_config(data: bytes | str) -> ET.Element:
    """:func:`~jenkins_docker.testing.xstream.parse_xml`, refusing what Jenkins refuses with a 500."""
    try:
        return parse_xml(data)
    except XmlError as e:
        raise HttpError(500, str(e)) from None


def bump_version(version: str) -> str:
    """A newer version string: the right-most purely numeric component plus one."""
    parts = version.split(".")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit():
            parts[i] = str(int(parts[i]) + 1)
            return ".".join(parts)
    return version + ".1"


# ---------------------------------------------------------------------------------------------
# Items and the queue
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Build:
    """A build of a job, seeded by a test (the fake never runs anything).

    The fields are those Jenkins exports for a run (jenkinsci/jenkins,
    core/src/main/java/hudson/model/Run.java: ``@Exported`` getNumber, getResult, which is null
    while the build runs, isBuilding, and getTimestamp, the time it was scheduled, which the JSON
    API writes as milliseconds since the epoch).
    """

    number: int
    result: str | None      # "SUCCESS", "UNSTABLE", "FAILURE", "ABORTED", "NOT_BUILT"; None while building
    timestamp: int          # milliseconds since the epoch

    @property
    def building(self) -> bool:
        return self.result is None


@dataclass(eq=False)
class Item:
    """A top-level item (or the root, with ``obj`` None): job, pipeline or folder."""

    name: str
    obj: Obj | None
    versions: dict[str, str]
    parent: Item | None = None
    children: dict[str, Item] | None = None
    builds: list[Build] = field(default_factory=list)

    def last_successful_build(self) -> Build | None:
        """jenkinsci/jenkins, core/src/main/java/hudson/model/Job.java, getLastSuccessfulBuild: the
        newest build that is not running and whose result is SUCCESS or UNSTABLE."""
        for build in reversed(self.builds):
            if not build.building and build.result in ("SUCCESS", "UNSTABLE"):
                return build
        return None

    @property
    def is_group(self) -> bool:
        return self.children is not None

    def full_name(self) -> str:
        parts = []
        item: Item | None = self
        while item is not None and item.parent is not None:
            parts.append(item.name)
            item = item.parent
        return "/".join(reversed(parts))

    def sorted_children(self) -> list[Item]:
        return sorted((self.children or {}).values(), key=lambda i: ci_key(i.name))


@dataclass
class QueueItem:
    id: int
    job: Item
    params: tuple[tuple[str, str], ...]
    since: float
    cause: str


# ---------------------------------------------------------------------------------------------
# The controller
# ---------------------------------------------------------------------------------------------

class JenkinsStore:
    """A Jenkins controller's items, views, build queue and plugins, behind one re-entrant lock.

    ``version`` is the Jenkins version (it decides version-dependent fields); ``plugins`` are the
    installed plugins (artifactId -> version).  :attr:`root` is the controller (an :class:`Item`
    without a config) holding the top-level items, :attr:`root_views` its views and
    :attr:`build_queue` the builds waiting, in order.
    """

    def __init__(self, *, version: str, plugins: Mapping[str, str]) -> None:
        #: What the ``X-Jenkins`` header says; it also decides version-dependent fields.
        self.version = version
        self._plugins = dict(plugins)
        #: Held by every method of the first section and by the server while it handles a request.
        self.lock = threading.RLock()
        self._cipher = Cipher()
        self.root = Item("", None, {}, None, {})
        self.root_views: list[Obj] = [all_view("all")]
        self.build_queue: list[QueueItem] = []
        self._next_queue_id = 1

    # -- seeding and inspection -----------------------------------------------------------------

    def put_job(self, full_name: str, config_xml: str) -> None:
        """Create or replace a job as if made by hand in the UI; its folder must exist.

        Raises KeyError for a missing folder and ValueError for a bad name or a document Jenkins
        would refuse (malformed, or not a job).
        """
        with self.lock:
            parent, name = self._parent_of(full_name)
            obj = self._load_or_value_error(config_xml)
            existing = parent.children.get(ci_key(name)) if parent.children is not None else None
            children = existing.children if existing is not None and obj.cls == FOLDER else None
            self.add(parent, name, obj, children)

    def put_folder(self, full_name: str, config_xml: str | None = None) -> None:
        """Create a folder (and any missing parent folders), or replace an existing folder's config."""
        with self.lock:
            parts = full_name.strip("/").split("/")
            for i in range(1, len(parts)):
                prefix = "/".join(parts[:i])
                if self.find(prefix) is None:
                    self.put_folder(prefix)
            parent, name = self._parent_of(full_name)
            obj = self._load_or_value_error(config_xml or f"<{FOLDER}/>")
            if obj.cls != FOLDER:
                raise ValueError(f"{full_name}: not a folder configuration")
            existing = parent.children.get(ci_key(name)) if parent.children is not None else None
            children = existing.children if existing is not None and existing.is_group else {}
            self.add(parent, name, obj, children)

    def job_names(self) -> list[str]:
        """Full names of every job that is not a folder, folders' contents included, in tree order."""
        with self.lock:
            return [i.full_name() for i in self._walk(self.root) if not i.is_group]

    def folder_names(self) -> list[str]:
        """Full names of every folder, in tree order."""
        with self.lock:
            return [i.full_name() for i in self._walk(self.root) if i.is_group]

    def get_config(self, full_name: str) -> str:
        """Exactly what ``GET job/.../config.xml`` answers; KeyError when there is no such item."""
        with self.lock:
            item = self.find(full_name)
            if item is None:
                raise KeyError(full_name)
            return self.serialise(item)

    def resave(self, full_name: str) -> None:
        """Jenkins re-saving a job after its plugins were upgraded.

        Every plugin the job uses gets a newer version (in the installed plugins too, so other
        jobs show it once they are saved again); the job is written and loaded back, so its
        meaning is unchanged and only the ``plugin`` attributes differ.
        """
        with self.lock:
            item = self.find(full_name)
            if item is None or item.obj is None:
                raise KeyError(full_name)
            writer = self._writer(item)
            text = writer.document(root_tag(item.obj.cls), item.obj)
            for plugin in writer.plugins_used:
                self._plugins[plugin] = bump_version(self._plugins[plugin])
            loaded = self.loader().obj(item.obj.cls, parse_config(text))
            assert isinstance(loaded, Obj)
            item.obj = loaded
            item.versions = dict(self._plugins)

    def views(self) -> dict[str, str]:
        """Each view's ``config.xml`` by name (``folder/name`` inside folders); "All" views are left out."""
        with self.lock:
            out = {v.values["name"]: self.view_xml(v) for v in self.root_views if v.cls != "hudson.model.AllView"}
            for folder in self._walk(self.root):
                if folder.is_group:
                    for v in self.group_views(folder):
                        if v.cls != "hudson.model.AllView":
                            out[f"{folder.full_name()}/{v.values['name']}"] = self.view_xml(v)
            return out

    def add_build(self, full_name: str, result: str | None, timestamp: int) -> int:
        """Record that a job built (``result`` None: still building), scheduled at ``timestamp``
        (milliseconds since the epoch); returns the build number. KeyError for a missing job."""
        with self.lock:
            item = self.find(full_name)
            if item is None or item.is_group:
                raise KeyError(full_name)
            number = item.builds[-1].number + 1 if item.builds else 1
            item.builds.append(Build(number, result, timestamp))
            return number

    def queue(self) -> list[str]:
        """Full names of the jobs waiting in the build queue, in queue order."""
        with self.lock:
            return [q.job.full_name() for q in self.build_queue]

    @property
    def plugins(self) -> dict[str, str]:
        """The installed plugins: artifactId -> version."""
        with self.lock:
            return dict(self._plugins)

    # -- for the server (it holds the lock): configs loaded and written ------------------------

    def loader(self) -> Loader:
        return Loader(self._plugins, self._cipher, version_tuple(self.version))

    def _writer(self, item: Item) -> Writer:
        return Writer(self.loader(), item.versions, self._cipher, folder_views=True)

    def serialise(self, item: Item) -> str:
        assert item.obj is not None
        return self._writer(item).document(root_tag(item.obj.cls), item.obj)

    def view_xml(self, view: Obj) -> str:
        return Writer(self.loader(), self._plugins, self._cipher).document(encode_tag(view.cls), view)

    def load_document(self, data: bytes | str, kinds: tuple[str, ...]) -> Obj:
        """Load a posted item or view document, or raise the 500 Jenkins answers."""
        root = parse_config(data)
        cls = root_class(root.tag)
        loaded = self.loader().obj(cls, root) if cls in kinds else None
        if not isinstance(loaded, Obj):
            raise HttpError(500, f"java.io.IOException: Unable to read\nCaused by: com.thoughtworks.xstream."
                                 f"mapper.CannotResolveClassException: {root.tag}")
        return loaded

    def _load_or_value_error(self, config_xml: str) -> Obj:
        try:
            return self.load_document(config_xml, ITEM_CLASSES)
        except HttpError as e:
            raise ValueError(e.message) from None

    def _parent_of(self, full_name: str) -> tuple[Item, str]:
        folder, _, name = full_name.strip("/").rpartition("/")
        parent = self.find(folder) if folder else self.root
        if parent is None or not parent.is_group:
            raise KeyError(f"no folder {folder!r}")
        try:
            self.check_name(name)
        except HttpError as e:
            raise ValueError(e.message) from None
        return parent, name

    def add(self, parent: Item, name: str, obj: Obj, children: dict[str, Item] | None) -> Item:
        item = Item(name, obj, dict(self._plugins), parent, children if obj.cls == FOLDER else None)
        if item.children is None and obj.cls == FOLDER:
            item.children = {}
        for child in (item.children or {}).values():
            child.parent = item
        assert parent.children is not None
        old = parent.children.get(ci_key(name))
        if old is not None:
            if item.is_group or old.is_group:
                self._forget_queued(old)
            for queued in self.build_queue:  # a reconfigured job keeps its place in the queue
                if queued.job is old:
                    queued.job = item
        parent.children[ci_key(name)] = item
        return item

    def find(self, full_name: str) -> Item | None:
        item: Item | None = self.root
        for part in [p for p in full_name.strip("/").split("/") if p]:
            if item is None or item.children is None:
                return None
            item = item.children.get(ci_key(part))
        return item

    def _walk(self, group: Item) -> Iterator[Item]:
        for child in group.sorted_children():
            yield child
            if child.is_group:
                yield from self._walk(child)

    def group_views(self, group: Item) -> list[Obj]:
        if group.obj is None:
            return self.root_views
        holder = group.obj.values.get("folderViews")
        if isinstance(holder, Obj) and holder.cls == FOLDER_VIEWS:
            views: list[Obj] = holder.values.setdefault("views", [])
            return views
        return []

    def _forget_queued(self, item: Item) -> None:
        gone = {id(i) for i in [item, *self._walk(item)]} if item.is_group else {id(item)}
        self.build_queue = [q for q in self.build_queue if id(q.job) not in gone]

    @staticmethod
    def check_name(name: str | None) -> None:
        """``Jenkins.checkGoodName`` (jenkinsci/jenkins core/src/main/java/jenkins/model/Jenkins.java)."""
        if not name:
            raise failure("No name is specified")
        if name.strip() in (".", ".."):
            raise failure(f"“{name.strip()}” is not an allowed name")
        for ch in name:
            if unicodedata.category(ch) == "Cc":
                printable = "".join(f"\\u{ord(c)};" if unicodedata.category(c) == "Cc" else c for c in name)
                raise failure(f"No control code is allowed: {printable}")
            if ch in "?*/\\%!@#$^&|<>[]:;":
                raise failure(f"‘{ch}’ is an unsafe character")
        if name.strip().endswith("."):
            raise failure("A name cannot end with ‘.’")

    # -- for the server: items --------------------------------------------------------------------

    def delete(self, item: Item) -> None:
        assert item.parent is not None and item.parent.children is not None
        self._forget_queued(item)
        del item.parent.children[ci_key(item.name)]

    def rename(self, item: Item, new_name: str | None) -> None:
        """``doConfirmRename``: the new name checked and trimmed, refused when another item of the
        folder has it; then other jobs' trigger lists and list views follow (:meth:`_after_rename`).

        jenkinsci/jenkins core/src/main/java/hudson/model/AbstractItem.java ``renameTo`` asks
        ``Items.verifyItemDoesNotAlreadyExist(parent, newName, this)``: the lookup ignores case and
        the item itself, so ``Foo`` may become ``foo``."""
        self.check_name(new_name)
        assert new_name is not None and item.parent is not None and item.parent.children is not None
        new_name = new_name.strip()
        existing = item.parent.children.get(ci_key(new_name))
        if existing is not None and existing is not item:
            raise failure(f"A job already exists with the name ‘{new_name}’")
        old_full = item.full_name()
        del item.parent.children[ci_key(item.name)]
        item.name = new_name
        item.parent.children[ci_key(new_name)] = item
        self._after_rename(old_full, item)

    def _after_rename(self, old_full: str, item: Item) -> None:
        """Jenkins's listeners rewrite other jobs' trigger lists and list views after a rename."""
        new_full = item.full_name()
        for job in self._walk(self.root):
            if job.obj is None or job is item:
                continue
            for trigger, attr in self._trigger_lists(job):
                names = [n.strip() for n in (trigger.values.get(attr) or "").split(",") if n.strip()]
                changed = False
                for k, n in enumerate(names):
                    if self._full_of(n, job.parent) == old_full or n.strip("/") == old_full:
                        head, _, _ = n.rpartition("/")
                        names[k] = f"{head}/{item.name}" if head else item.name
                        changed = True
                if changed:
                    trigger.values[attr] = ",".join(names)
        for group in [self.root, *[g for g in self._walk(self.root) if g.is_group]]:
            for view in self.group_views(group):
                if view.cls == "hudson.model.ListView":
                    base = group.full_name()
                    rel_old = old_full[len(base) + 1:] if base else old_full
                    rel_new = new_full[len(base) + 1:] if base else new_full
                    names = view.values.get("jobNames") or []
                    if any(ci_key(n) == ci_key(rel_old) for n in names):
                        kept = [n for n in names if ci_key(n) != ci_key(rel_old)] + [rel_new]
                        view.values["jobNames"] = sorted(kept, key=ci_key)

    def _full_of(self, name: str, context: Item | None) -> str:
        """The full name a relative job reference stands for, resolved like ``Jenkins.getItem(name, group)``."""
        if name.startswith("/"):
            return name.strip("/")
        parts = (context.full_name().split("/") if context is not None and context.full_name() else [])
        for p in name.split("/"):
            if p == "..":
                parts = parts[:-1]
            elif p and p != ".":
                parts.append(p)
        return "/".join(parts)

    def _resolve_name(self, name: str, context: Item) -> Item | None:
        """``Jenkins.getItem(String, ItemGroup)`` (jenkinsci/jenkins
        core/src/main/java/jenkins/model/Jenkins.java): a leading ``/`` is absolute; otherwise the
        segments are walked from ``context``, and a segment naming a job (not a folder) while
        segments remain ends the lookup with nothing (an item shadows the folder of the same
        name); a missing segment falls back to the name read as a full name."""
        if name.startswith("/"):
            return self.find(name)
        ctx: Item | None = context
        for segment in [s for s in name.split("/") if s]:
            if segment == ".":
                continue
            if segment == "..":
                ctx = ctx.parent if ctx is not None and ctx.parent is not None else None
                if ctx is None:
                    break
                continue
            if ctx is None or not ctx.is_group:
                return None
            assert ctx.children is not None
            ctx = ctx.children.get(ci_key(segment))
            if ctx is None:
                break
        if ctx is not None and ctx.obj is not None:
            return ctx
        return self.find(name)

    def resolve(self, name: str, context: Item) -> Item | None:
        return self._resolve_name(name, context) if name else None

    def _trigger_lists(self, job: Item) -> Iterator[tuple[Obj, str]]:
        """(object, field) of each comma-separated job list in a job: BuildTrigger and ReverseBuildTrigger."""
        assert job.obj is not None
        v = job.obj.values
        candidates: list[Any] = list(v.get("publishers") or []) + list(v.get("triggers") or [])
        for prop in v.get("properties") or []:
            if isinstance(prop, Obj) and prop.cls == PIPELINE_TRIGGERS_PROPERTY:
                candidates += prop.values.get("triggers") or []
        for c in candidates:
            if isinstance(c, Obj) and c.cls == "hudson.tasks.BuildTrigger":
                yield c, "childProjects"
            elif isinstance(c, Obj) and c.cls == "jenkins.triggers.ReverseBuildTrigger":
                yield c, "upstreamProjects"

    def edges(self) -> list[tuple[Item, Item]]:
        """The dependency graph: (upstream, downstream), freestyle jobs only, as Jenkins builds it.

        Every job list is split at commas and each name trimmed (jenkinsci/jenkins
        core/src/main/java/hudson/model/Items.java ``fromNameList``, which BuildTrigger and
        ReverseBuildTrigger use; jenkinsci/parameterized-trigger-plugin
        src/main/java/hudson/plugins/parameterizedtrigger/BuildTriggerConfig.java
        ``readableItemsFromNameList`` for ``projects``): a comma inside a name makes two names.
        """
        edges = []
        for job in self._walk(self.root):
            if job.obj is None or job.obj.cls != FREESTYLE or job.parent is None:
                continue
            lists = [(trigger.values.get(attr) or "", attr) for trigger, attr in self._trigger_lists(job)]
            lists += [(projects, "childProjects") for projects in self._parameterized_projects(job)]
            for listing, attr in lists:
                for n in listing.split(","):
                    other = self.resolve(n.strip(), job.parent)
                    if other is None or other.obj is None or other.obj.cls != FREESTYLE:
                        continue
                    edges.append((job, other) if attr == "childProjects" else (other, job))
        return edges

    @staticmethod
    def _parameterized_projects(job: Item) -> list[str]:
        """The ``projects`` of each parameterized-trigger config in the job's publishers (kept as posted)."""
        assert job.obj is not None
        out = []
        for publisher in job.obj.values.get("publishers") or []:
            if isinstance(publisher, Raw) and publisher.elem.tag == "hudson.plugins.parameterizedtrigger.BuildTrigger":
                out += [p.text or "" for p in publisher.elem.iter("projects")]
        return out

    # -- for the server: the build queue ----------------------------------------------------------

    def enqueue(self, item: Item, params: tuple[tuple[str, str], ...], cause: str) -> QueueItem:
        """Queue a build of ``item``; a build of it with the same parameters already waiting is
        that build (nothing is added).

        jenkinsci/jenkins core/src/main/java/hudson/model/Queue.java ``schedule2`` folds a request
        into the waiting item of the same task when its actions say so (``ParametersAction.shouldSchedule``
        is false for equal parameters): the queue merges identical requests."""
        queued = next((q for q in self.build_queue if q.job is item and q.params == params), None)
        if queued is None:
            queued = QueueItem(self._next_queue_id, item, params, time.time(), cause)
            self._next_queue_id += 1
            self.build_queue.append(queued)
        return queued

    def cancel(self, queue_id: str | None) -> bool:
        """Take the queued build with this id (as text) out of the queue; False when there is none."""
        kept = [q for q in self.build_queue if str(q.id) != queue_id]
        found = len(kept) < len(self.build_queue)
        self.build_queue = kept
        return found

    # -- for the server: views --------------------------------------------------------------------

    def view_items(self, group: Item, view: Obj) -> list[Item]:
        if view.cls != "hudson.model.ListView":
            return group.sorted_children()
        names = {ci_key(n) for n in view.values.get("jobNames") or []}
        regex = view.values.get("includeRegex")
        base = group.full_name()
        candidates = self._walk(group) if view.values.get("recurse") else group.sorted_children()
        out = []
        for item in candidates:
            rel = item.full_name()[len(base) + 1:] if base else item.full_name()
            if ci_key(rel) in names or (regex and re.fullmatch(regex, rel)):
                out.append(item)
        return out
