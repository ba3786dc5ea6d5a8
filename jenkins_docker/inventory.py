"""Loading an inventory: YAML nodes in, a checked :class:`~jenkins_docker.model.Inventory` out.

Every rule of the inventory format is checked here, and every problem found is collected (not
just the first) as a :class:`~jenkins_docker.errors.Problem` with the file, line and column of
the key or value at fault. The key tables live in :mod:`jenkins_docker.schema`.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jenkins_docker import naming, schema
from jenkins_docker.dockerfile import DockerfileError, read_parents
from jenkins_docker.errors import InventoryError, Location, Problem
from jenkins_docker.model import Image, Inventory, JenkinsSettings, Parent, Registry, SeedJob
from jenkins_docker.reference import ImageReference, ReferenceError, parse_reference
from jenkins_docker.yamlfile import compose, location

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"
_SCALAR_TEXT_TAGS = {_STR_TAG, _INT_TAG, "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}

# Keys of shell commands and variables may span lines; names, URLs and ids may not.
_MULTILINE_KEYS = {"test", "deploy"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")

# Words that mark a key as holding a secret; matched against the words of the key
# (`MYSQL_PASSWORD`, `apiToken`, `secret-key`), so `credentials` and `BYPASS` are not flagged.
_SECRET_WORDS = {"password", "passwd", "pass", "pwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey"}
_SECRET_PAIRS = {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")}

# PyYAML's own reading of YAML 1.1 integers (0x1F, 0o17, 1_000), applied to one node.
_INT_CONSTRUCTOR = yaml.SafeLoader("")

_DOCKER_HUB_ALIASES = {"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}


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
    """Check the inventory at ``path`` and return every error and warning (never raises for them)."""
    loader = _Loader(Path(path), str(path))
    try:
        inventory = loader.run(templates)
    except InventoryError as exc:
        return Report(None, list(exc.problems), list(exc.warnings))
    errors = sorted(loader.errors, key=lambda p: (p.location, p.message))
    warnings = sorted(loader.warnings, key=lambda p: (p.location, p.message))
    if errors:
        return Report(None, errors, warnings)
    assert inventory is not None
    inventory.warnings = warnings
    return Report(inventory, [], warnings)


class _Values(dict):
    """A checked mapping: key -> Python value, plus where each key and value was written."""

    def __init__(self) -> None:
        super().__init__()
        self.key_nodes: dict[str, Node] = {}
        self.value_nodes: dict[str, Node] = {}


class _Loader:
    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.name = display
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    # -- reporting -------------------------------------------------------------------------
    def at(self, node: Node) -> Location:
        return location(self.name, node)

    def error(self, node: Node | Location, message: str) -> None:
        where = node if isinstance(node, Location) else self.at(node)
        self.errors.append(Problem(where, message))

    # -- the whole file --------------------------------------------------------------------
    def run(self, templates: str | os.PathLike[str] | None) -> Inventory | None:
        root = compose(self.path, self.name)
        if root is None:
            raise InventoryError([Problem(Location(self.name, 1, 1), "the inventory is empty; it needs at least `version: 1`")])
        top = self.section(schema.INVENTORY, root)
        if "version" in top and top["version"] != 1:
            self.error(top.value_nodes["version"], f"unsupported inventory version {top['version']}; this jenkins-docker reads version 1")
        settings = self.jenkins_settings(top.get("jenkins"))
        registries = self.registries(top.get("registries") or _Values())
        defaults = top.get("defaults") or _Values()
        images: dict[str, Image] = {}
        raw_parents: dict[str, list[tuple[ImageReference, str, Location]]] = {}
        for kind, section_key in (("base", "base_images"), ("app", "apps")):
            entries = top.get(section_key) or _Values()
            for key, entry in entries.items():
                image = self.image(kind, key, entries.key_nodes[key], entry, defaults, registries, raw_parents)
                if image is not None:
                    images[key] = image
        if not images and not self.errors:
            self.error(root, "the inventory lists no base_images and no apps")
        images = self.resolve_parents(images, raw_parents)
        self.check_job_names(settings, images)
        template_dir = Path(templates) if templates is not None else None
        if template_dir is None and top.get("templates"):
            template_dir = self.path.parent / top["templates"]
            if not template_dir.is_dir():
                self.error(top.value_nodes["templates"], f"templates directory {str(template_dir)!r} does not exist")
        inventory = Inventory(self.path, 1, settings, registries, images, template_dir)
        if not self.errors:
            self.check_graph(inventory)
        return inventory

    # -- generic section checks ------------------------------------------------------------
    def section(self, spec: schema.Section, node: Node) -> _Values:
        """Check ``node`` against a section table; returns what could be read."""
        values = _Values()
        if not isinstance(node, MappingNode):
            self.error(node, f"`{spec.name}` must be a mapping, not {_describe(node)}")
            return values
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _NULL_TAG:
                self.error(key_node, f"keys of `{spec.name}` must be plain names")
                continue
            key = str(key_node.value)
            if spec.each is not None:
                if self.contains_control(key_node, key, multiline=False):
                    continue
                values.key_nodes[key] = key_node
                values.value_nodes[key] = value_node
                if isinstance(value_node, ScalarNode) and value_node.tag == _NULL_TAG:
                    self.error(value_node, f"{spec.each.name} {key!r} is empty; it needs at least `git`")
                    continue
                values[key] = self.section(schema.Section(f"{spec.each.name} {key!r}", spec.each.keys), value_node)
                continue
            if key not in spec.keys:
                self.unknown_key(spec, key_node, key)
                continue
            values.key_nodes[key] = key_node
            values.value_nodes[key] = value_node
            value = self.value(spec.keys[key], key, value_node, spec.name)
            if value is not None:
                values[key] = value
        if spec.each is None:
            for key, key_spec in spec.keys.items():
                if key_spec.required and key not in values.key_nodes:
                    self.error(node, f"{spec.name} is missing the required key `{key}`")
        return values

    def unknown_key(self, spec: schema.Section, node: Node, key: str) -> None:
        if _looks_secret(key):
            self.error(node, _secret_message(key))
            return
        close = difflib.get_close_matches(key, list(spec.keys), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else f"; expected one of: {', '.join(spec.keys)}"
        self.error(node, f"unknown key `{key}` in {spec.name}{hint}")

    def value(self, spec: schema.Key, key: str, node: Node, where: str) -> Any:
        if isinstance(spec.type, schema.Section):
            if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
                return None
            return self.section(spec.type, node)
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            self.error(node, f"`{key}` in {where} has no value; expected a {spec.type}")
            return None
        if spec.type == schema.STR:
            text = self.string(key, node, where, multiline=key in _MULTILINE_KEYS)
            if text is not None and spec.enum and text not in spec.enum:
                close = difflib.get_close_matches(text, spec.enum, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.error(node, f"`{key}` must be one of {', '.join(spec.enum)}, not {text!r}{hint}")
                return None
            return text
        if spec.type == schema.INT:
            if not (isinstance(node, ScalarNode) and node.tag == _INT_TAG):
                self.error(node, f"`{key}` in {where} must be an integer, not {_describe(node)}")
                return None
            number = _INT_CONSTRUCTOR.construct_yaml_int(node)
            if spec.minimum is not None and number < spec.minimum:
                self.error(node, f"`{key}` must be at least {spec.minimum}, not {number}")
                return None
            return number
        if spec.type == schema.STR_MAP:
            return self.string_map(key, node, where)
        if spec.type == schema.STR_OR_LIST:
            if isinstance(node, SequenceNode):
                if not node.value:
                    self.error(node, f"`{key}` in {where} is an empty list")
                    return None
                items = [(self.string(key, item, where, multiline=False), item) for item in node.value]
                return [(text, item) for text, item in items if text is not None]
            text = self.string(key, node, where, multiline=False)
            return None if text is None else [(text, node)]
        raise AssertionError(spec.type)  # pragma: no cover

    def string(self, key: str, node: Node, where: str, *, multiline: bool) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != _STR_TAG:
            hint = " (quote it to make it a string)" if isinstance(node, ScalarNode) and node.tag in _SCALAR_TEXT_TAGS else ""
            self.error(node, f"`{key}` in {where} must be a string, not {_describe(node)}{hint}")
            return None
        text = str(node.value)
        if self.contains_control(node, text, multiline=multiline):
            return None
        if not text.strip():
            self.error(node, f"`{key}` in {where} is empty")
            return None
        return text

    def contains_control(self, node: Node, text: str, *, multiline: bool) -> bool:
        bad = (_CONTROL if multiline else _CONTROL_ONE_LINE).search(text)
        if bad:
            what = "a line break" if bad.group() in "\r\n" else f"the control character U+{ord(bad.group()):04X}"
            self.error(node, f"{what} is not allowed here")
            return True
        return False

    def string_map(self, key: str, node: Node, where: str) -> dict[str, str] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"`{key}` in {where} must be a mapping of NAME: value, not {_describe(node)}")
            return None
        out: dict[str, str] = {}
        for name_node, value_node in node.value:
            if not isinstance(name_node, ScalarNode) or name_node.tag not in _SCALAR_TEXT_TAGS:
                self.error(name_node, f"names in `{key}` must be plain names")
                continue
            name = str(name_node.value)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                self.error(name_node, f"{name!r} is not a valid variable name in `{key}` (letters, digits and _, not starting with a digit)")
                continue
            if _looks_secret(name):
                self.error(name_node, _secret_message(name))
                continue
            if not isinstance(value_node, ScalarNode) or value_node.tag not in _SCALAR_TEXT_TAGS:
                self.error(value_node, f"`{key}.{name}` must be a string, number or boolean, not {_describe(value_node)}")
                continue
            if self.contains_control(value_node, str(value_node.value), multiline=True):
                continue
            out[name] = str(value_node.value)
        return out

    # -- sections ----------------------------------------------------------------------------
    def jenkins_settings(self, values: _Values | None) -> JenkinsSettings:
        if not values:
            return JenkinsSettings()
        folder = values.get("folder")
        if folder is not None:
            folder = folder.strip("/")
            problem = naming.folder_problem(folder)
            if problem:
                self.error(values.value_nodes["folder"], problem)
        view = values.get("view")
        if view is not None and (problem := naming.name_problem(view)):
            self.error(values.value_nodes["view"], f"view name: {problem}")
        seed = None
        if values.get("seed_job") is not None:
            raw = values["seed_job"]
            if "git" in raw:
                seed = SeedJob(git=raw["git"], branch=raw.get("branch", "master"), inventory=raw.get("inventory", "inventory.yml"), name=raw.get("name", naming.DEFAULT_SEED_JOB), credentials=raw.get("credentials", "jenkins-docker-api"))
                if problem := naming.name_problem(seed.name):
                    self.error(raw.value_nodes.get("name", values.value_nodes["seed_job"]), f"seed job name: {problem}")
        return JenkinsSettings(
            folder=folder or None,
            view=view,
            agent=values.get("agent"),
            job_type=values.get("job_type", "freestyle"),
            git_credentials=values.get("git_credentials"),
            gitlab_connection=values.get("gitlab_connection"),
            keep_builds=values.get("keep_builds"),
            seed_job=seed,
        )

    def registries(self, values: _Values) -> dict[str, Registry]:
        out: dict[str, Registry] = {}
        for name, entry in values.items():
            if "host" not in entry or "credentials" not in entry:
                continue
            host = entry["host"].strip().rstrip("/").lower()
            if host in _DOCKER_HUB_ALIASES:
                host = "docker.io"
            try:
                probe = parse_reference(f"{host}/probe")
            except ReferenceError as exc:
                self.error(entry.value_nodes["host"], f"registry host {entry['host']!r} is not valid: {exc}")
                continue
            if not probe.explicit_domain or probe.domain != host:
                self.error(entry.value_nodes["host"], f"registry host {entry['host']!r} is not a host name (expected e.g. registry.example.org or localhost:5000)")
                continue
            out[name] = Registry(name, host, entry["credentials"])
        return out

    def image(self, kind: str, key: str, key_node: Node, entry: _Values, defaults: _Values,
              registries: dict[str, Registry], raw_parents: dict[str, list[tuple[ImageReference, str, Location]]]) -> Image | None:
        errors_before = len(self.errors)
        label = "base image" if kind == "base" else "app"
        merged = {**{k: v for k, v in defaults.items()}, **entry}
        for map_key in ("build_args", "env"):
            if map_key in defaults and map_key in entry:
                merged[map_key] = {**defaults[map_key], **entry[map_key]}
        repository = key if kind == "base" else merged.get("image", key)
        repo_node = key_node if kind == "base" or "image" not in entry else entry.value_nodes["image"]
        self.check_repository(label, repository, repo_node, from_key=repo_node is key_node)
        if kind == "app" and (problem := naming.name_problem(naming.job_name(key))):
            self.error(key_node, f"app name {key!r}: {problem}")
        registry_name = merged.get("registry")
        registry = None
        if registry_name is None:
            self.error(key_node, f"{label} {key!r} has no registry: set `registry:` here or under `defaults`")
        elif registry_name not in registries:
            node = entry.value_nodes.get("registry") or defaults.value_nodes.get("registry") or key_node
            close = difflib.get_close_matches(registry_name, list(registries), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else (f"; known: {', '.join(registries)}" if registries else "; define it under `registries`")
            self.error(node, f"unknown registry {registry_name!r}{hint}")
        else:
            registry = registries[registry_name]
        if merged.get("rebuild") is not None and (problem := _cron_problem(merged["rebuild"])):
            self.error(entry.value_nodes.get("rebuild") or defaults.value_nodes["rebuild"], problem)
        parents = self.parents(label, key, key_node, entry, merged.get("build_args") or {})
        raw_parents[key] = parents
        if len(self.errors) > errors_before or registry is None or "git" not in entry:
            return None
        return Image(
            key=key,
            kind="base" if kind == "base" else "app",
            git=merged["git"],
            branch=merged.get("branch", "master"),
            registry=registry,
            repository=repository,
            parents=(),
            test=merged.get("test"),
            dockerfile=merged.get("dockerfile", "Dockerfile"),
            context=merged.get("context", "."),
            build_args=dict(sorted((merged.get("build_args") or {}).items())),
            env=dict(sorted((merged.get("env") or {}).items())),
            rebuild=merged.get("rebuild"),
            agent=merged.get("agent"),
            deploy=merged.get("deploy"),
            path=entry.get("path"),
            location=self.at(key_node),
        )

    def check_repository(self, label: str, repository: str, node: Node, *, from_key: bool) -> None:
        what = f"{label} key" if from_key else "`image`"
        try:
            ref = parse_reference(repository)
        except ReferenceError as exc:
            self.error(node, f"{what} {repository!r} is not a valid image repository: {exc}")
            return
        if ref.explicit_domain:
            self.error(node, f"{what} {repository!r} names a registry host; write the repository only (the host comes from `registry:`)")
        elif ref.tag or ref.digest:
            self.error(node, f"{what} {repository!r} has a tag or digest; write the repository only (jobs tag each build themselves)")

    def parents(self, label: str, key: str, key_node: Node, entry: _Values, build_args: dict[str, str]) -> list[tuple[ImageReference, str, Location]]:
        written: list[tuple[ImageReference, str, Location]] = []
        for text, node in entry.get("from", []):
            try:
                written.append((parse_reference(text), text, self.at(node)))
            except ReferenceError as exc:
                self.error(node, f"`from` {text!r} is not a valid image reference: {exc}")
        if "path" not in entry:
            if "from" not in entry:
                self.error(key_node, f"{label} {key!r} has no `from`: name its parent image(s), or a `path` whose Dockerfile has them")
            return written
        directory = self.path.parent / entry["path"]
        dockerfile = directory / Path(entry.get("dockerfile", "Dockerfile")).name
        shown = os.path.normpath(os.path.join(os.path.dirname(self.name), entry["path"], dockerfile.name))
        if not dockerfile.is_file():
            self.error(entry.value_nodes["path"], f"no Dockerfile at {shown}")
            return written
        try:
            found = read_parents(dockerfile, build_args)
        except DockerfileError as exc:
            self.error(Location(shown, exc.line, exc.column), str(exc))
            return written
        from_file: list[tuple[ImageReference, str, Location]] = []
        for parent in found:
            where = Location(shown, parent.line, parent.column)
            try:
                from_file.append((parse_reference(parent.image), parent.image, where))
            except ReferenceError as exc:
                self.error(where, f"{parent.instruction} {parent.image!r} is not a valid image reference: {exc}")
        if "from" not in entry:
            return from_file
        in_file = {ref.name for ref, _, _ in from_file}
        in_entry = {ref.name for ref, _, _ in written}
        if in_file != in_entry:
            said = ", ".join(sorted(t for _, t, _ in written)) or "nothing"
            found_text = ", ".join(sorted(t for _, t, _ in from_file)) or "nothing"
            self.error(entry.value_nodes["from"], f"`from` says {said} but {shown} builds from {found_text}; make them agree or drop `from`")
        return written

    # -- rules across entries ----------------------------------------------------------------
    def resolve_parents(self, images: dict[str, Image], raw: dict[str, list[tuple[ImageReference, str, Location]]]) -> dict[str, Image]:
        base_by_path: dict[str, list[Image]] = {}
        app_by_path: dict[str, list[Image]] = {}
        for image in images.values():
            path = parse_reference(image.repository).path
            (base_by_path if image.kind == "base" else app_by_path).setdefault(path, []).append(image)
        for path, same in base_by_path.items():
            for other in same[1:]:
                self.error(other.location, f"base image {other.key!r} is the same repository as {same[0].key!r} ({same[0].location})")
        resolved: dict[str, Image] = {}
        for key, image in images.items():
            parents: list[Parent] = []
            seen: set[str] = set()
            for ref, text, where in raw.get(key, []):
                target = _match(ref, base_by_path.get(ref.path, []))
                app = _match(ref, app_by_path.get(ref.path, []))
                if target is None and app is not None:
                    self.error(where, f"{text!r} is the app {app.key!r}; apps are leaves, nothing can be built FROM them (make it a base image)")
                    continue
                if target is not None and target.key == key:
                    self.error(where, f"{key!r} cannot be built FROM itself")
                    continue
                parent = Parent(text, ref.familiar(), ref.name, target.key if target else None, ref.pinned, where)
                if parent.node in seen:
                    continue
                seen.add(parent.node)
                parents.append(parent)
                if parent.pinned and target is not None:
                    self.warnings.append(Problem(where, f"{text!r} is pinned by digest: rebuilding {target.key!r} will not rebuild {key!r}"))
            resolved[key] = _replace_parents(image, tuple(parents))
        return resolved

    def check_job_names(self, settings: JenkinsSettings, images: dict[str, Image]) -> None:
        owners: dict[str, tuple[str, Location]] = {}

        def claim(job: str, owner: str, where: Location) -> None:
            full = naming.full_name(settings.folder, job)
            clash = owners.get(naming.collision_key(full))
            if clash:
                self.error(where, f"{owner} would be the Jenkins job {full!r}, which {clash[0]} ({clash[1]}) already is (Jenkins names are case-insensitive)")
            else:
                owners[naming.collision_key(full)] = (owner, where)

        for image in images.values():
            claim(image.job_name, f"{image.kind if image.kind == 'app' else 'base image'} {image.key!r}", image.location)
            if image.deploy_job_name:
                claim(image.deploy_job_name, f"the deploy job of {image.key!r}", image.location)
        if settings.seed_job is not None:
            claim(settings.seed_job.name, "the seed job", Location(self.name, 1, 1))

    def check_graph(self, inventory: Inventory) -> None:
        cycle = inventory.graph.find_cycle()
        if cycle:
            path = " -> ".join([*cycle, cycle[0]])
            steps = []
            for parent, child in zip(cycle, [*cycle[1:], cycle[0]]):
                where = next(p.location for p in inventory.images[child].parents if p.image == parent)
                steps.append(f"{child} FROM {parent} at {where}")
            first = next(p.location for p in inventory.images[cycle[1 % len(cycle)]].parents if p.image == cycle[0])
            self.error(first, f"dependency cycle: {path} ({'; '.join(steps)})")


def _match(ref: ImageReference, candidates: Iterable[Image]) -> Image | None:
    """The listed image ``ref`` names: by repository, and by registry host if it names one."""
    for image in candidates:
        if not ref.explicit_domain or ref.domain == image.registry.host:
            return image
    return None


def _replace_parents(image: Image, parents: tuple[Parent, ...]) -> Image:
    from dataclasses import replace

    return replace(image, parents=parents)


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean", "null": "empty", "timestamp": "a date"}.get(tag, tag) + f" ({node.value!r})" * (tag not in ("null",))


def _words(key: str) -> list[str]:
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", key) if w]


def _looks_secret(key: str) -> bool:
    words = _words(key)
    return any(w in _SECRET_WORDS for w in words) or any(pair in _SECRET_PAIRS for pair in zip(words, words[1:]))


def _secret_message(key: str) -> str:
    return (f"{key!r} looks like a secret: keep it in Jenkins credentials and reference its id "
            "(registries take a `credentials` id; jobs bind secrets from credentials, never from the inventory)")


_CRON_FIELD = re.compile(r"^(\*|H|H\(\d+-\d+\)|\d+(-\d+)?|[A-Za-z]{3}(-[A-Za-z]{3})?)(/\d+)?(,(\*|H|H\(\d+-\d+\)|\d+(-\d+)?|[A-Za-z]{3}(-[A-Za-z]{3})?)(/\d+)?)*$")
_CRON_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def _cron_problem(spec: str) -> str | None:
    """Why Jenkins would refuse ``spec`` as a timer trigger, or ``None`` (a syntax check only)."""
    lines = [line.strip() for line in spec.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not lines:
        return "`rebuild` holds no cron line"
    for line in lines:
        if line in _CRON_ALIASES:
            continue
        fields = line.split()
        if len(fields) != 5:
            return f"`rebuild` {line!r} must have 5 fields (minute hour day month weekday), e.g. 'H H * * 0'"
        for item in fields:
            if not _CRON_FIELD.match(item):
                return f"`rebuild` field {item!r} of {line!r} is not valid cron"
    return None
