"""Inventories for tests: hypothesis strategies for valid ones and their mutations, and a
deterministic generator of large inventories.

Every builder returns plain YAML text plus what a correct loader must find in it, so tests can
compare the loaded inventory against the intent rather than against the loader itself.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hypothesis import strategies as st

REGISTRIES = {
    "hub": {"host": "docker.io", "credentials": "hub-push"},
    "private": {"host": "registry.example.org", "credentials": "registry-push"},
}
EXTERNALS = ["debian:bookworm", "alpine:3.20", "docker.io/library/ubuntu:24.04", "nginx:1.27"]
PIN = "sha256:" + "5" * 64


@dataclass
class Plan:
    """An inventory as intended: its document and the graph a loader must build from it."""

    document: dict[str, object]
    parents: dict[str, list[str]] = field(default_factory=dict)   # key -> parent nodes
    kinds: dict[str, str] = field(default_factory=dict)           # key -> "base" | "app"
    pinned: set[tuple[str, str]] = field(default_factory=set)     # (parent, child) by digest

    @property
    def text(self) -> str:
        """The inventory as YAML."""
        return yaml.safe_dump(self.document, sort_keys=False, width=1000)

    def write(self, directory: Path, name: str = "inventory.yml") -> Path:
        """Write the inventory into ``directory``; returns its path."""
        path = directory / name
        path.write_text(self.text, encoding="utf-8")
        return path

    @property
    def external_nodes(self) -> set[str]:
        """The parents that are not listed images (as graph node ids)."""
        return {p for ps in self.parents.values() for p in ps if p not in self.kinds}


def _document() -> dict[str, object]:
    return {
        "version": 1,
        "jenkins": {"folder": "docker", "agent": "docker"},
        "registries": {name: dict(value) for name, value in REGISTRIES.items()},
        "defaults": {"branch": "main", "registry": "private", "test": "make test"},
        "base_images": {},
        "apps": {},
    }


def build_plan(base_parents: list[list[int | str]], app_parents: list[list[int | str]],
               registries: list[str] | None = None) -> Plan:
    """An inventory whose base image ``i`` (key ``acme/base-i``) is built from the images that
    ``base_parents[i]`` names: an int ``j < i`` names base image ``j``, ``"@j"`` names it pinned
    by digest, another string an external image. Apps (``app-i``) likewise, from
    ``app_parents[i]``. Every edge goes from a lower to a higher base image, so the graph is
    acyclic by construction.
    """
    plan = Plan(_document())
    bases: dict[str, object] = plan.document["base_images"]  # type: ignore[assignment]
    apps: dict[str, object] = plan.document["apps"]  # type: ignore[assignment]

    def refs(key: str, parents: list[int | str]) -> tuple[list[str], list[str]]:
        """(`from` as written, parent nodes); a parent named twice is one edge, the first kept."""
        chosen: dict[str, str] = {}
        for parent in parents:
            if isinstance(parent, int):
                node, text = f"acme/base-{parent}", f"acme/base-{parent}"
            elif parent.startswith("@"):
                node, text = f"acme/base-{parent[1:]}", f"acme/base-{parent[1:]}@{PIN}"
            else:
                node, text = parent.replace("docker.io/library/", ""), parent
            if node not in chosen:
                chosen[node] = text
                if "@" in text and node.startswith("acme/"):
                    plan.pinned.add((node, key))
        return list(chosen.values()), list(chosen)

    for index, parents in enumerate(base_parents):
        key = f"acme/base-{index}"
        written, nodes = refs(key, parents)
        entry: dict[str, object] = {"git": f"git@gitlab.example.org:docker/base-{index}.git",
                                    "from": written[0] if len(written) == 1 else written}
        if registries:
            entry["registry"] = registries[index % len(registries)]
        bases[key] = entry
        plan.parents[key] = nodes
        plan.kinds[key] = "base"
    for index, parents in enumerate(app_parents):
        key = f"app-{index}"
        written, nodes = refs(key, parents)
        apps[key] = {"git": f"git@gitlab.example.org:apps/app-{index}.git",
                     "from": written[0] if len(written) == 1 else written,
                     "image": f"web/app-{index}",
                     "env": {"APP_INDEX": str(index)}}
        plan.parents[key] = nodes
        plan.kinds[key] = "app"
    return plan


@st.composite
def plans(draw: st.DrawFn, max_bases: int = 12, max_apps: int = 12) -> Plan:
    """Valid inventories: a random DAG of base images with apps hanging from it."""
    count = draw(st.integers(min_value=1, max_value=max_bases))
    base_parents: list[list[int | str]] = []
    for index in range(count):
        choices: list[st.SearchStrategy[int | str]] = [st.sampled_from(EXTERNALS)]
        if index:
            choices.append(st.integers(min_value=0, max_value=index - 1))
            choices.append(st.integers(min_value=0, max_value=index - 1).map(lambda j: f"@{j}"))
        base_parents.append(draw(st.lists(st.one_of(*choices), min_size=1, max_size=3)))
    app_parents = draw(st.lists(
        st.lists(st.one_of(st.integers(min_value=0, max_value=count - 1), st.sampled_from(EXTERNALS)), min_size=1, max_size=2),
        max_size=max_apps))
    registries = draw(st.lists(st.sampled_from(sorted(REGISTRIES)), max_size=2))
    return build_plan(base_parents, app_parents, registries or None)


def large_plan(images: int, seed: int = 7) -> Plan:
    """A deterministic inventory of ``images`` entries: a tree of base images (about a fifth of
    them), each base built from one earlier base (a few from two: diamonds), and apps spread
    over the bases."""
    rng = random.Random(seed)
    base_count = max(1, images // 5)
    base_parents: list[list[int | str]] = []
    for index in range(base_count):
        if index < 3:
            base_parents.append([EXTERNALS[index]])
            continue
        parents: list[int | str] = [rng.randrange(max(0, index - 50), index)]
        if index % 97 == 0:  # a diamond every so often
            parents.append(rng.randrange(0, index))
        base_parents.append(parents)
    app_parents: list[list[int | str]] = [[rng.randrange(base_count)] for _ in range(images - base_count)]
    return build_plan(base_parents, app_parents)


# -- mutations -------------------------------------------------------------------------------

def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path (sequence of keys/indexes) to a value inside a document."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


def _parent_of(document: object, path: tuple[object, ...]) -> object:
    node = document
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    return node


# Drawn values are deep-copied: a later mutation must not change this list between examples.
JUNK_VALUES = [None, 0, 1.10, True, "", " ", [], {}, ["a", 1], {"x": {"y": None}}, "\u0007",
               "a\nb", "Debian:bookworm", "registry.example.org/x/y:1", "@sha256:", "../..", "H H * *", "ä€😀"]
JUNK_KEYS = ["form", "password", "API_TOKEN", "<<", "", "1", "base_image", "gti", "image", "deploy", "from"]


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    """The YAML text of a valid inventory after a few structural mutations: keys deleted,
    values swapped or retyped, unknown keys added."""
    plan = draw(plans(max_bases=5, max_apps=4))
    document = plan.document
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent_of(document, path)
        action = draw(st.sampled_from(["delete", "retype", "swap", "add_key"]))
        if action == "delete":
            del parent[path[-1]]  # type: ignore[attr-defined]
        elif action == "retype":
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(JUNK_VALUES)))  # type: ignore[index]
        elif action == "swap":
            other = draw(st.sampled_from(paths))
            if other[: len(path)] != path and path[: len(other)] != other:
                other_parent = _parent_of(document, other)
                parent[path[-1]], other_parent[other[-1]] = other_parent[other[-1]], parent[path[-1]]  # type: ignore[index]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(JUNK_KEYS))] = copy.deepcopy(draw(st.sampled_from(JUNK_VALUES)))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_texts(draw: st.DrawFn) -> bytes:
    """The bytes of a valid inventory after textual damage: lines duplicated, deleted or cut,
    garbage or random bytes injected."""
    text = draw(plans(max_bases=4, max_apps=3)).text
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        if not lines:
            break
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["duplicate", "delete", "cut", "garbage", "indent", "anchor"]))
        if action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "delete":
            del lines[index]
        elif action == "cut":
            cut = draw(st.integers(min_value=0, max_value=len(lines[index])))
            lines[index] = lines[index][:cut]
        elif action == "garbage":
            lines.insert(index, draw(st.sampled_from([
                "  <<: *nowhere\n", "- [\n", "key: 'unterminated\n", "\t\tgit: x\n", "&a [*a]\n",
                "  ? [complex, key]\n  : value\n", "--- \n", "%YAML 1.1\n", "x: !!int abc\n",
                "  from: !custom tag\n", "  <<: [1, 2]\n", ": :\n", "{\n"])))
        elif action == "indent":
            lines[index] = "  " + lines[index]
        else:
            lines[index] = lines[index].replace(": ", ": &a ", 1)
    data = "".join(lines).encode("utf-8")
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data
