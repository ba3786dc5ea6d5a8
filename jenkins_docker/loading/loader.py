"""Loading an inventory: YAML nodes in, a checked :class:`~jenkins_docker.loading.inventory.Inventory` out.

Every rule of the inventory format is checked here, and every problem found is collected (not
just the first) as a :class:`~jenkins_docker.errors.Problem` with the file, line and column of
the key or value at fault. The key tables live in :mod:`jenkins_docker.loading.schema`.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import graphlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from yaml.nodes import Node

from jenkins_docker import naming
from jenkins_docker.errors import InventoryError, Location, Problem
from jenkins_docker.graph.imagegraph import find_cycles
from jenkins_docker.loading import localfiles, schema
from jenkins_docker.loading.inventory import Image, Inventory, JenkinsSettings, Parent, Registry, SeedJob, WatchJob
from jenkins_docker.loading.lint import disallowed_externals, lint
from jenkins_docker.loading.reference import DEFAULT_DOMAIN, ImageReference, ReferenceError, parse_reference
from jenkins_docker.loading.values import URL_CREDENTIALS, Checker, Values
from jenkins_docker.loading.yamlfile import compose

_DOCKER_HUB_ALIASES = {"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
# `FROM scratch` starts from an empty filesystem: no parent at all.
_SCRATCH = "scratch"


@dataclass
class Report:
    """The outcome of checking an inventory: the inventory if valid, and what was found."""

    inventory: Inventory | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the inventory has no errors (warnings allowed)."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The ``validate --format json`` document."""
        return {
            "ok": self.ok,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
        }


def load(path: str | os.PathLike[str], *, templates: str | os.PathLike[str] | None = None) -> Inventory:
    """Load and check the inventory at ``path``.

    Raises :class:`~jenkins_docker.errors.InventoryError` carrying every problem found.
    ``templates`` overrides the inventory's ``templates:`` directory.
    """
    report = check(path, templates=templates)
    if report.inventory is None:
        raise InventoryError(report.errors, report.warnings)
    return report.inventory


def check(path: str | os.PathLike[str], *, templates: str | os.PathLike[str] | None = None) -> Report:
    """Check the inventory at ``path`` and return every error and warning (never raises for them).

    Errors and warnings come sorted by location; ``Report.inventory`` is set only when there
    are no errors.
    """
    loader = _Loader(Path(path), str(path))
    try:
        with _collector_paused():
            inventory = loader.run(templates)
    except InventoryError as exc:
        return Report(None, _sorted(exc.problems), _sorted(exc.warnings))
    errors = _sorted(loader.errors)
    warnings = _sorted(loader.warnings)
    if errors or inventory is None:
        return Report(None, errors, warnings)
    inventory.warnings = warnings
    return Report(inventory, [], warnings)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while loading.

    Composing YAML allocates a node object per key and value (hundreds of thousands for a
    10,000-image inventory) and none of them form cycles, yet each allocation burst makes the
    collector scan the whole growing heap again: that scanning was half of the load time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order, each once (a shared default or anchor is reported once)."""
    return sorted(set(problems), key=lambda p: (p.location, p.message))


@dataclass
class _Entry:
    """What the cross-entry rules need to know of one base image or app, valid or not."""

    key: str
    kind: str                               # "base" or "app"
    label: str                              # "base image 'x'" or "app 'x'"
    location: Location
    path: str | None = None                 # normalised repository path, when valid
    host: str | None = None                 # host of its registry, when known
    deploy: bool = False
    written: list[tuple[ImageReference, str, Location]] = field(default_factory=list)
    from_file: list[tuple[ImageReference, str, Location]] | None = None
    from_location: Location | None = None   # the `from` value, when written with `path`
    dockerfile: str = ""


class _Loader(Checker):
    """One check of one file: walks the composed YAML, collecting every problem it finds."""

    def __init__(self, path: Path, display: str) -> None:
        super().__init__(display)
        self.path = path


    # -- the whole file --------------------------------------------------------------------
    def run(self, templates: str | os.PathLike[str] | None) -> Inventory | None:
        """The checked inventory, or None when any error was found (they are in ``errors``)."""
        root = compose(self.path, self.name, self.errors)
        if root is None:
            raise InventoryError([Problem(Location(self.name, 1, 1), "the inventory is empty; it needs at least `version: 1` and some base_images or apps")])
        top = self.section(schema.INVENTORY, root, root)
        if "version" in top and top["version"] != 1:
            self.error(top.value_nodes["version"], f"unsupported inventory version {top['version']}; this jenkins-docker reads version 1")
        settings = self.jenkins_settings(top.get("jenkins"))
        registries, broken_registries = self.registries(top.get("registries", Values()))
        defaults = top.get("defaults", Values())
        self.check_defaults(defaults, registries, broken_registries)
        entries: dict[str, _Entry] = {}
        fields: dict[str, dict[str, Any]] = {}
        for kind, section_key in (("base", "base_images"), ("app", "apps")):
            section = top.get(section_key, Values())
            for key, values in section.items():
                entry, image = self.image(kind, key, section.key_nodes[key], values, defaults, registries, broken_registries)
                if key in entries:
                    first = entries[key]
                    self.error(entry.location, f"{entry.label} has the same name as {first.label} ({first.location}); rename one")
                    continue
                entries[key] = entry
                if image is not None:
                    fields[key] = image
        if not entries and top.written("version") and not self.errors:
            self.error(root, "the inventory lists no base_images and no apps")
        parents = self.resolve_parents(entries)
        images = {key: Image(**image, parents=parents[key]) for key, image in fields.items()}
        self.check_job_names(settings, top.get("jenkins"), entries)
        self.check_cycles(entries, parents)
        template_dir = Path(templates) if templates is not None else None
        if template_dir is None and top.get("templates"):
            template_dir = self.path.parent / top["templates"]
            if not _exists(template_dir, directory=True):
                self.error(top.value_nodes["templates"], f"templates directory {top['templates']!r} does not exist (it is relative to the inventory)")
        if self.errors:
            return None
        inventory = Inventory(self.path, 1, settings, registries, images, template_dir)
        self.errors += disallowed_externals(inventory, [(text, self.at(node)) for text, node in top.get("externals") or []])
        if self.errors:
            return None
        self.warnings += lint(inventory)
        return inventory


    # -- sections ----------------------------------------------------------------------------
    def jenkins_settings(self, values: Values | None) -> JenkinsSettings:
        if not values:
            return JenkinsSettings()
        folder = values.get("folder")
        if folder is not None:
            folder = folder.strip("/")
            problem = naming.folder_problem(folder)
            if problem:
                self.error(values.value_nodes["folder"], f"`folder` {values['folder']!r}: {problem}")
        owner = values.get("owner")
        if owner is not None and (problem := naming.owner_problem(owner)):
            self.error(values.value_nodes["owner"], f"`owner` {owner!r}: {problem}")
        view = values.get("view")
        if view is not None and (problem := naming.name_problem(view)):
            self.error(values.value_nodes["view"], f"`view` {view!r}: {problem}")
        seed = None
        raw = values.get("seed_job")
        if raw is not None and "git" in raw:
            self.check_git_url(raw.value_nodes["git"], raw["git"])
            # The keys of `seed_job` are SeedJob's fields: those not written keep its defaults.
            seed = SeedJob(**raw)
            if seed.jenkins_url is not None and not re.match(r"https?://[^/@\s]+(/\S*)?$", seed.jenkins_url):
                self.error(raw.value_nodes["jenkins_url"], f"seed job jenkins_url {seed.jenkins_url!r}: "
                           "expected an http(s) URL without credentials, such as https://jenkins.example.org/")
            if problem := naming.name_problem(seed.name):
                self.error(raw.value_nodes.get("name", values.key_nodes["seed_job"]), f"seed job name {seed.name!r}: {problem}")
            if not folder and not owner:
                self.warnings.append(Problem(self.at(values.key_nodes["seed_job"]),
                                             "the seed job syncs without --prune: an inventory with neither `folder` nor "
                                             "`owner` may not prune; set `jenkins.owner` to let it delete jobs that left"))
        return JenkinsSettings(
            folder=folder or None,
            owner=owner,
            view=view,
            agent=values.get("agent"),
            job_type=values.get("job_type", "freestyle"),
            git_credentials=values.get("git_credentials"),
            gitlab_connection=values.get("gitlab_connection"),
            keep_builds=values.get("keep_builds"),
            seed_job=seed,
            watch=self.watch_job(values, seed),
            **self.install(values),
        )

    def install(self, values: Values) -> dict[str, str]:
        """``jenkins.install``; a warning when a generated job would install from PyPI, where jenkins-docker is not."""
        if "install" in values:
            return {"install": values["install"]}
        for job in ("seed_job", "watch"):
            if values.get(job) is not None:
                self.warnings.append(Problem(self.at(values.key_nodes[job]), (
                    f"`{job}` installs jenkins-docker with `pip install jenkins-docker`, which PyPI does not have: set "
                    "`jenkins.install` to a pinned VCS URL (jenkins-docker @ git+https://...@TAG) or a wheel URL")))
                break
        return {}

    def watch_job(self, values: Values, seed: SeedJob | None) -> WatchJob | None:
        """``jenkins.watch``; where it names no inventory repository, the seed job's."""
        raw = values.get("watch")
        if raw is None or "schedule" not in raw:
            return None
        inherited = {"git": seed.git, "branch": seed.branch, "inventory": seed.inventory, "credentials": seed.credentials} if seed else {}
        fields = {**inherited, **raw}
        if "git" not in fields:
            self.error(values.key_nodes["watch"], "`watch` needs `git`, the inventory repository the job checks out (or a `seed_job` to take it from)")
            return None
        if "git" in raw:
            self.check_git_url(raw.value_nodes["git"], raw["git"])
        watch = WatchJob(**fields)
        if problem := naming.name_problem(watch.name):
            self.error(raw.value_nodes.get("name", values.key_nodes["watch"]), f"watch job name {watch.name!r}: {problem}")
        return watch

    def registries(self, values: Values) -> tuple[dict[str, Registry], set[str]]:
        """The valid registries, and the names of those written but refused (already reported)."""
        out: dict[str, Registry] = {}
        broken = {name for name in values.key_nodes if name not in values}
        for name, entry in values.items():
            if "host" not in entry or "credentials" not in entry:
                broken.add(name)
                continue
            host = entry["host"].strip().rstrip("/").lower()
            if host in _DOCKER_HUB_ALIASES:
                host = DEFAULT_DOMAIN
            problem = None
            try:
                probe = parse_reference(f"{host}/probe")
                if not probe.explicit_domain or probe.domain != host:
                    problem = "it is not a host name"
            except ReferenceError as exc:
                problem = str(exc)
            if problem:
                self.error(entry.value_nodes["host"], f"registry host {entry['host']!r} is not valid ({problem}); "
                                                      "write host[:port], e.g. registry.example.org or localhost:5000, without https://")
                broken.add(name)
                continue
            out[name] = Registry(name, host, entry["credentials"], entry.get("pull_credentials"))
        return out, broken

    def check_defaults(self, defaults: Values, registries: dict[str, Registry], broken: set[str]) -> None:
        """Rules on values under `defaults`, checked once rather than for every image."""
        name = defaults.get("registry")
        if name is not None and name not in registries and name not in broken:
            self.error(defaults.value_nodes["registry"], _unknown_registry(name, registries))
        if defaults.get("rebuild") is not None and (problem := _cron_problem(defaults["rebuild"])):
            self.error(defaults.value_nodes["rebuild"], problem)
        if "dockerfile" in defaults and (problem := localfiles.relative_problem(defaults["dockerfile"], "`dockerfile`")):
            self.error(defaults.value_nodes["dockerfile"], problem)
        if defaults.get("branch") is not None and (problem := naming.branch_problem(defaults["branch"])):
            self.error(defaults.value_nodes["branch"], f"`branch` {defaults['branch']!r}: {problem}")

    def image(self, kind: str, key: str, key_node: Node, entry: Values, defaults: Values,
              registries: dict[str, Registry], broken: set[str]) -> tuple[_Entry, dict[str, Any] | None]:
        """Check one base image or app: what the cross-entry rules need, and if it is valid,
        the fields of its :class:`Image` but the parents (resolved across entries later)."""
        errors_before = len(self.errors)
        label = f"base image {key!r}" if kind == "base" else f"app {key!r}"
        info = _Entry(key, kind, label, self.at(key_node))
        merged = {**defaults, **entry}
        for map_key in ("build_args", "env"):
            if map_key in defaults and map_key in entry:
                merged[map_key] = {**defaults[map_key], **entry[map_key]}
        if kind == "app" and (problem := naming.name_problem(naming.job_name(key))):
            self.error(key_node, f"app name {key!r}: {problem}")
        if "branch" in entry and (problem := naming.branch_problem(entry["branch"])):
            self.error(entry.value_nodes["branch"], f"`branch` {entry['branch']!r}: {problem}")
        repository = key if kind == "base" else merged.get("image", key)
        repo_node = key_node if kind == "base" or not entry.written("image") else entry.value_nodes["image"]
        if not (kind == "app" and entry.written("image") and "image" not in entry):
            info.path = self.check_repository(kind, repository, repo_node, from_key=repo_node is key_node)
        if "git" in entry:
            self.check_git_url(entry.value_nodes["git"], entry["git"])
        if "dockerfile" in entry and (problem := localfiles.relative_problem(entry["dockerfile"], "`dockerfile`")):
            self.error(entry.value_nodes["dockerfile"], problem)
        registry = self.registry_of(label, key_node, entry, defaults, registries, broken)
        info.host = registry.host if registry else None
        if entry.get("rebuild") is not None and (problem := _cron_problem(entry["rebuild"])):
            self.error(entry.value_nodes["rebuild"], problem)
        deploy = merged.get("deploy") if kind == "app" else None
        info.deploy = deploy is not None
        self.parents(info, key_node, entry, merged)
        if len(self.errors) > errors_before or registry is None or "git" not in entry or info.path is None:
            return info, None
        return info, dict(
            key=key,
            kind="base" if kind == "base" else "app",
            git=entry["git"],
            branch=merged.get("branch", "master"),
            registry=registry,
            repository=repository,
            test=merged.get("test"),
            dockerfile=merged.get("dockerfile", "Dockerfile"),
            context=merged.get("context", "."),
            build_args=dict(sorted((merged.get("build_args") or {}).items())),
            env=dict(sorted((merged.get("env") or {}).items())),
            rebuild=merged.get("rebuild"),
            agent=merged.get("agent"),
            deploy=deploy,
            path=entry.get("path"),
            location=info.location,
            disabled=bool(merged.get("disabled", False)),
            deploy_on=tuple(sorted({text for text, _ in merged.get("deploy_on") or []}, reverse=True)) or ("push", "cascade"),
        )

    def registry_of(self, label: str, key_node: Node, entry: Values, defaults: Values,
                    registries: dict[str, Registry], broken: set[str]) -> Registry | None:
        """The registry an entry is pushed to; unknown names are reported where they are written."""
        name = entry.get("registry", defaults.get("registry"))
        if name is None:
            if not entry.written("registry") and not defaults.written("registry"):  # else reported
                self.error(key_node, f"{label} has no registry: set `registry:` here or under `defaults`")
            return None
        if name in registries:
            return registries[name]
        if "registry" in entry and name not in broken:  # one under `defaults` is reported once
            self.error(entry.value_nodes["registry"], _unknown_registry(name, registries))
        return None

    def check_repository(self, kind: str, repository: str, node: Node, *, from_key: bool) -> str | None:
        """The normalised path of the repository an entry is pushed as, or None if invalid."""
        what = ("base image key" if kind == "base" else "app key") if from_key else "`image`"
        hint = " (set `image:` to the repository the app is pushed as)" if kind == "app" and from_key else ""
        try:
            ref = parse_reference(repository)
        except ReferenceError as exc:
            self.error(node, f"{what} {repository!r} is not a valid image repository: {exc}{hint}")
            return None
        if ref.explicit_domain:
            self.error(node, f"{what} {repository!r} names a registry host; write the repository only (the host comes from `registry:`)")
            return None
        if ref.tag or ref.digest:
            self.error(node, f"{what} {repository!r} has a tag or digest; write the repository only (jobs tag each build themselves)")
            return None
        return ref.path

    def check_git_url(self, node: Node, url: str) -> None:
        if URL_CREDENTIALS.search(url):
            self.error(node, "this git URL holds a password or token: remove it from the URL "
                             "and set `jenkins.git_credentials` to the id of a Jenkins credential instead")

    @functools.cached_property
    def repository(self) -> Path:
        """The inventory's repository: everything `path` reads stays inside it."""
        return localfiles.repository_root(self.path)

    def inside_repository(self, node: Node, value: str, dockerfile: Path) -> bool:
        """Whether `path` ``value`` (and the Dockerfile read there) stays inside the inventory's
        repository; an error at ``node`` when it does not (see :mod:`jenkins_docker.loading.localfiles`)."""
        root = self.repository
        if problem := localfiles.relative_problem(value, "`path`", base=self.path.resolve().parent, root=root):
            self.error(node, problem)
            return False
        if localfiles.outside(root, dockerfile.parent) or localfiles.outside(root, dockerfile):
            self.error(node, f"`path` {value!r} leads outside the inventory's repository ({root}) through a symlink; "
                             "only files inside it are read")
            return False
        return True

    def parents(self, info: _Entry, key_node: Node, entry: Values, merged: dict[str, Any]) -> None:
        """Read the parents an entry names in `from`, and those its `path` Dockerfile names."""
        for text, node in entry.get("from", []):
            if text == _SCRATCH:
                continue
            try:
                info.written.append((parse_reference(text), text, self.at(node)))
            except ReferenceError as exc:
                self.error(node, f"`from` {text!r} is not a valid image reference: {exc}")
        if not entry.written("path"):
            if not entry.written("from"):
                self.error(key_node, f"{info.label} has no `from`: name its parent image(s), or a `path` whose Dockerfile has them")
            return
        if "path" not in entry:
            return
        if "from" in entry:
            info.from_location = self.at(entry.value_nodes["from"])
        if localfiles.relative_problem(merged.get("dockerfile", "Dockerfile"), "`dockerfile`"):
            return  # reported where it is written
        directory = self.path.parent / entry["path"]
        dockerfile_name = Path(merged.get("dockerfile", "Dockerfile")).name
        dockerfile = directory / dockerfile_name
        shown = os.path.normpath(os.path.join(os.path.dirname(self.name), entry["path"], dockerfile_name))
        info.dockerfile = shown
        if not self.inside_repository(entry.value_nodes["path"], entry["path"], dockerfile):
            return
        if not _exists(dockerfile, directory=False):
            self.error(entry.value_nodes["path"], f"no Dockerfile at {shown}: `path` is the directory holding the Dockerfile, relative to the inventory")
            return
        if problem := localfiles.size_problem(dockerfile, shown):
            self.error(entry.value_nodes["path"], problem)
            return
        from jenkins_docker.loading.dockerfile import DockerfileError, read_parents  # only for a local `path`

        try:
            found = read_parents(dockerfile, merged.get("build_args") or {}, max_bytes=localfiles.MAX_DOCKERFILE_BYTES)
        except DockerfileError as exc:
            self.error(Location(shown, exc.line, exc.column), str(exc))
            return
        except OSError as exc:
            self.error(entry.value_nodes["path"], f"cannot read {shown}: {exc.strerror or exc}")
            return
        info.from_file = []
        for parent in found:
            where = Location(shown, parent.line, parent.column)
            try:
                info.from_file.append((parse_reference(parent.image), parent.image, where))
            except ReferenceError as exc:
                self.error(where, f"{parent.instruction} {parent.image!r} is not a valid image reference: {exc}")

    # -- rules across entries ----------------------------------------------------------------
    def resolve_parents(self, entries: dict[str, _Entry]) -> dict[str, tuple[Parent, ...]]:
        """Match every `from` to a listed base image (or leave it external), per CONTRACT 1."""
        bases: dict[str, list[_Entry]] = {}
        apps: dict[str, list[_Entry]] = {}
        for entry in entries.values():
            if entry.path is not None:
                (bases if entry.kind == "base" else apps).setdefault(entry.path, []).append(entry)
        for same in bases.values():
            for other in same[1:]:
                self.error(other.location, f"{other.label} is the same repository as {same[0].label} ({same[0].location}); list it once")
        resolved: dict[str, tuple[Parent, ...]] = {}
        for key, entry in entries.items():
            if entry.from_file is not None and entry.from_location is not None:
                said = {self.match(ref, bases)[0] or ref.name for ref, _, _ in entry.written}
                found = {self.match(ref, bases)[0] or ref.name for ref, _, _ in entry.from_file}
                if said != found:
                    said_text = ", ".join(sorted(t for _, t, _ in entry.written)) or "nothing"
                    found_text = ", ".join(sorted(t for _, t, _ in entry.from_file)) or "nothing"
                    self.error(entry.from_location, f"`from` says {said_text} but {entry.dockerfile} builds from {found_text}; make them agree, or drop `from`")
            written = entry.written if entry.from_location is not None or entry.from_file is None else entry.from_file
            resolved[key] = self.entry_parents(entry, written, bases, apps, entries)
        return resolved

    def match(self, ref: ImageReference, listed: dict[str, list[_Entry]]) -> tuple[str | None, _Entry | None]:
        """The key of the listed entry ``ref`` names: by repository, and by host if it names one."""
        for candidate in listed.get(ref.path, []):
            if not ref.explicit_domain or (candidate.host is not None and ref.domain.lower() == candidate.host):
                return candidate.key, candidate
        return None, None

    def entry_parents(self, entry: _Entry, written: list[tuple[ImageReference, str, Location]],
                      bases: dict[str, list[_Entry]], apps: dict[str, list[_Entry]], entries: dict[str, _Entry]) -> tuple[Parent, ...]:
        parents: list[Parent] = []
        seen: set[str] = set()
        for ref, text, where in written:
            target, _ = self.match(ref, bases)
            if target is None:
                _, app = self.match(ref, apps)
                if app is not None:
                    self.error(where, f"{text!r} is the image of {app.label}; apps are leaves, nothing can be built FROM them (make it a base image)")
                    continue
            if target == entry.key:
                self.error(where, f"{entry.label} cannot be built FROM itself")
                continue
            normalized = ref.familiar()
            if target is None and normalized in entries:
                # An external image spelt like a listed key (docker.io/acme/x when acme/x is
                # pushed elsewhere) gets its fully qualified name, so the two stay apart.
                normalized = str(ref)
            parent = Parent(text, normalized, ref.name, target, ref.pinned, where)
            if parent.node in seen:
                continue
            seen.add(parent.node)
            parents.append(parent)
            if parent.pinned and target is not None:
                self.warnings.append(Problem(where, f"{text!r} is pinned by digest: rebuilding {target!r} will not rebuild {entry.key!r} "
                                                    "(its job pulls that exact digest)"))
        return tuple(parents)

    def check_job_names(self, settings: JenkinsSettings, jenkins: Values | None, entries: dict[str, _Entry]) -> None:
        """Two entries (or an entry and a deploy or seed job) must not share a Jenkins job name."""
        owners: dict[str, tuple[str, Location]] = {}

        def claim(job: str, owner: str, where: Location) -> None:
            full = naming.full_name(settings.folder, job)
            key = naming.collision_key(full)
            clash = owners.get(key)
            if clash:
                self.error(where, f"{owner} would be the Jenkins job {full!r}, which is already the job of {clash[0]} ({clash[1]}); "
                                  "Jenkins job names ignore case and '/' becomes '-': rename one")
            else:
                owners[key] = (owner, where)

        for entry in entries.values():
            claim(naming.job_name(entry.key), entry.label, entry.location)
        for entry in entries.values():
            if entry.deploy:
                claim(naming.deploy_job_name(entry.key), f"the deploy job of {entry.label}", entry.location)
        if settings.seed_job is not None and jenkins is not None:
            seed_values = jenkins.get("seed_job")
            node = seed_values.value_nodes.get("name") if seed_values is not None else None
            claim(settings.seed_job.name, "the seed job", self.at(node if node is not None else jenkins.key_nodes["seed_job"]))
        if settings.watch is not None and jenkins is not None:
            watch_values = jenkins.get("watch")
            node = watch_values.value_nodes.get("name") if watch_values is not None else None
            claim(settings.watch.name, "the watch job", self.at(node if node is not None else jenkins.key_nodes["watch"]))

    def check_cycles(self, entries: dict[str, _Entry], parents: dict[str, tuple[Parent, ...]]) -> None:
        """A dependency cycle is an error printing its whole path and where each `from` is."""
        listed = {key: {p.image for p in own if p.image is not None} for key, own in parents.items()}
        try:   # the standard library finds whether there is a cycle; networkx (slow to import) describes each one
            graphlib.TopologicalSorter(listed).prepare()
            return
        except graphlib.CycleError:
            pass
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(entries)
        for key, own in parents.items():
            graph.add_edges_from((parent.image, key) for parent in own if parent.image is not None)
        for cycle in find_cycles(graph):
            steps = []
            for parent, child in zip(cycle, [*cycle[1:], cycle[0]]):
                where = next(p.location for p in parents[child] if p.image == parent)
                steps.append(f"{child} FROM {parent} at {where}")
            first = next(p.location for p in parents[cycle[1 % len(cycle)]] if p.image == cycle[0])
            self.error(first, f"dependency cycle: {' -> '.join([*cycle, cycle[0]])} ({'; '.join(steps)}); break it by removing one of these `from`s")


def _exists(path: Path, *, directory: bool) -> bool:
    """Whether ``path`` is a file (or directory); a name the system refuses (too long) is not."""
    try:
        return path.is_dir() if directory else path.is_file()
    except OSError:
        return False


def _cron_problem(spec: str) -> str | None:
    """:func:`~jenkins_docker.loading.cron.cron_problem`, imported only by an inventory with a schedule."""
    from jenkins_docker.loading.cron import cron_problem

    return cron_problem(spec)


def _unknown_registry(name: str, registries: dict[str, Registry]) -> str:
    import difflib  # only for a mistake's hint

    close = difflib.get_close_matches(name, list(registries), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else (f"; known: {', '.join(registries)}" if registries else "; define it under `registries`")
    return f"unknown registry {name!r}{hint}"


