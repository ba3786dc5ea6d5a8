"""The dependency graph of an inventory, and the questions asked of it (how it is drawn: ``export``).

Nodes are base images, apps and external parents (ids: inventory keys, or the normalised
reference of an external image); an edge runs from parent to child and is marked ``pinned``
when the child pins the parent by digest. Pinned edges are part of the graph but trigger no
rebuild: rebuilding the parent cannot change what the child pulls.
"""
from __future__ import annotations

import contextlib
import difflib
import functools
from typing import TYPE_CHECKING, Iterable

import networkx as nx

from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.reference import ImageReference, ReferenceError, parse_reference

if TYPE_CHECKING:
    from jenkins_docker.loading.inventory import Image, Inventory

class UnknownImageError(JenkinsDockerError):
    """An image named on the command line or in the API is not in the graph."""


def find_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One dependency cycle (its nodes, in edge order) per group of nodes that form cycles.

    Each cycle starts at its smallest node, and the cycles come sorted, so a report is stable.
    """
    cycles: list[list[str]] = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            node = next(iter(component))
            if graph.has_edge(node, node):
                cycles.append([node])
            continue
        start = min(component)
        edges = nx.find_cycle(graph.subgraph(component), source=start)
        cycle = [u for u, _v in edges]
        turn = cycle.index(min(cycle))
        cycles.append(cycle[turn:] + cycle[:turn])
    return sorted(cycles)


class ImageGraph:
    """A networkx ``DiGraph`` of the images of an inventory, with the queries jobs need."""

    def __init__(self, inventory: "Inventory") -> None:
        graph = nx.DiGraph()
        for image in inventory.images.values():
            graph.add_node(image.key, kind=image.kind, job=inventory.job(image.key), disabled=image.disabled)
        self._images: list[Image] = list(inventory.images.values())
        for image in self._images:
            for parent in image.parents:
                if parent.image is None and parent.node not in graph:
                    graph.add_node(parent.node, kind="external", job=None, disabled=False)
                graph.add_edge(parent.node, image.key, pinned=parent.pinned)
        self.digraph: nx.DiGraph = graph
        self._reduction: nx.DiGraph | None = None
        self._rebuild: nx.DiGraph | None = None

    # -- nodes -------------------------------------------------------------------------------
    def kind(self, node: str) -> str:
        """``base``, ``app`` or ``external``."""
        self._check(node)
        return str(self.digraph.nodes[node]["kind"])

    def job(self, node: str) -> str | None:
        """The full name of the job building ``node`` (``None`` for an external image)."""
        self._check(node)
        job: str | None = self.digraph.nodes[node]["job"]
        return job

    @functools.cached_property
    def _pushed(self) -> dict[str, tuple[str, str]]:
        """Where each listed image is pushed (repository path, host): `resolve` matches
        host-qualified names with it. Parsed on first use, not for every graph built."""
        return {image.key: (parse_reference(image.repository).path, image.registry.host) for image in self._images}

    @functools.cached_property
    def _externals(self) -> dict[str, ImageReference]:
        """The external nodes, parsed once for every `resolve` that looks among them."""
        parsed = {}
        for node, kind in self.digraph.nodes(data="kind"):
            if kind == "external":
                with contextlib.suppress(ReferenceError):  # pragma: no cover - externals were parsed on load
                    parsed[node] = parse_reference(node)
        return parsed

    def resolve(self, name: str) -> str:
        """The node an image named by a user means: a key, or any reference to a node.

        ``debian:bookworm``, ``docker.io/library/debian:bookworm`` and ``library/debian:bookworm``
        all name the same external node; ``acme/nginx:1.2`` and, when it is pushed there,
        ``registry.example.org/acme/nginx`` name the listed ``acme/nginx`` (tags and digests
        don't take part for listed images). A repository without a tag names the external node
        of that repository if there is only one. Raises :class:`UnknownImageError` with a
        suggestion otherwise.
        """
        if name in self.digraph:
            return name
        try:
            ref = parse_reference(name)
        except ReferenceError as exc:
            raise UnknownImageError(f"{name!r} is not an image reference: {exc}") from None
        for spelling in (ref.familiar(), str(ref)):
            if spelling in self.digraph:
                return spelling
        for key, (path, host) in self._pushed.items():
            if path == ref.path and (not ref.explicit_domain or ref.domain.lower() == host):
                return key
        candidates = [node for node, other in self._externals.items()
                      if other.name == ref.name and ref.tag in (None, other.tag) and ref.digest in (None, other.digest)]
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise UnknownImageError(f"{name!r} is ambiguous: it could be {', '.join(sorted(candidates))}; add the tag")
        close = difflib.get_close_matches(name, [str(n) for n in self.digraph], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownImageError(f"{name!r} is not an image of the inventory{hint}")

    def _check(self, node: str) -> None:
        """Refuse a node that is not in the graph (networkx would raise its own KeyError)."""
        if node not in self.digraph:
            self.known([node])

    def known(self, nodes: str | Iterable[str]) -> set[str]:
        """``nodes`` (one node, or several) as a set, refusing any that is not in the graph."""
        out = {nodes} if isinstance(nodes, str) else set(nodes)
        for node in sorted(out):
            if node not in self.digraph:
                raise UnknownImageError(f"{node!r} is not an image of the inventory (use resolve() for references)")
        return out

    # -- structure ---------------------------------------------------------------------------
    def find_cycle(self) -> list[str] | None:
        """The nodes of one dependency cycle in order, or ``None`` if the graph is acyclic."""
        cycles = find_cycles(self.digraph)
        return cycles[0] if cycles else None

    def parents(self, node: str) -> list[str]:
        """The direct parents of ``node``, sorted."""
        self._check(node)
        return sorted(self.digraph.predecessors(node))

    def children(self, node: str) -> list[str]:
        """The direct children of ``node``, sorted."""
        self._check(node)
        return sorted(self.digraph.successors(node))

    def ancestors(self, node: str) -> set[str]:
        """Every image ``node`` is built from, directly or not (pinned edges included)."""
        self._check(node)
        return set(nx.ancestors(self.digraph, node))

    def rebuild_graph(self) -> nx.DiGraph:
        """The graph of edges that trigger rebuilds: every edge but the pinned ones.

        A disabled image (``disabled: true``) has no edges here: Jenkins does not build a
        disabled job, so a cascade stops at it (its triggers never fire).

        Built once (the graph does not change after loading) as a plain DiGraph: a filtered view
        re-checks every edge on each traversal step, which made the reduction of a 5,000-image
        graph take seconds.
        """
        if self._rebuild is None:
            rebuild = nx.DiGraph()
            rebuild.add_nodes_from(self.digraph.nodes)
            disabled = {node for node, off in self.digraph.nodes(data="disabled") if off}
            rebuild.add_edges_from((u, v) for u, v, pinned in self.digraph.edges(data="pinned")
                                   if not pinned and u not in disabled and v not in disabled)
            self._rebuild = rebuild
        return self._rebuild

    def dependents(self, nodes: str | Iterable[str]) -> set[str]:
        """Everything that rebuilds when ``nodes`` (one image, or several) change, themselves excluded."""
        graph = self.rebuild_graph()
        start = self.known(nodes)
        out: set[str] = set()
        for node in start:
            out |= nx.descendants(graph, node)
        return out - start

    def rebuilt_by(self, node: str) -> set[str]:
        """Every image whose rebuild rebuilds ``node`` (its ancestors over rebuild edges)."""
        self._check(node)
        return set(nx.ancestors(self.rebuild_graph(), node))

    def disabled(self, node: str) -> bool:
        """Whether ``node``'s job is disabled in the inventory (``disabled: true``)."""
        self._check(node)
        return bool(self.digraph.nodes[node]["disabled"])

    def topmost(self, nodes: str | Iterable[str]) -> list[str]:
        """The images of ``nodes`` that no other of them rebuilds: the ones to start, sorted.

        Starting an image starts the cascade below it, so starting one that is built (directly
        or not) from another of ``nodes`` would build it twice, the first time beside its parent
        and from the old parent. ``rebuild A B`` queues ``topmost([A, B])``; the cascade builds
        the rest, each once. Pinned edges trigger no rebuild, so a child pinning its parent by
        digest is not below it here.
        """
        start = self.known(nodes)
        graph = self.rebuild_graph()
        below: set[str] = set()
        for node in start:
            if node not in below:
                below |= nx.descendants(graph, node)
        return sorted(start - below)

    def reduction(self) -> nx.DiGraph:
        """The transitive reduction of the rebuild graph over listed images: the job triggers.

        An edge parent -> child is dropped when the child also depends on the parent through
        another of its parents (a diamond): the other path triggers it anyway. Only children
        with several parents need checking, which keeps this cheap on large, tree-like graphs.
        """
        if self._reduction is not None:
            return self._reduction
        rebuild = self.rebuild_graph()
        reduced = nx.DiGraph()
        reduced.add_nodes_from(n for n, d in self.digraph.nodes(data=True) if d["kind"] != "external")
        for child in reduced.nodes:
            parents = [p for p in rebuild.predecessors(child) if p in reduced]
            if len(parents) < 2:
                reduced.add_edges_from((p, child) for p in parents)
                continue
            reachable: set[str] = set()
            for parent in parents:
                reachable |= nx.ancestors(rebuild, parent)
            reduced.add_edges_from((p, child) for p in parents if p not in reachable)
        self._reduction = reduced
        return reduced

    def triggers(self, node: str) -> list[str]:
        """The images whose jobs ``node``'s job triggers directly (children in the reduction)."""
        reduction = self.reduction()
        if node not in reduction:
            self._check(node)
            return []   # an external image has no job
        return sorted(reduction.successors(node))

    def upstreams(self, node: str) -> list[str]:
        """The images whose jobs trigger ``node``'s job (parents in the reduction)."""
        reduction = self.reduction()
        if node not in reduction:
            self._check(node)
            return []
        return sorted(reduction.predecessors(node))

    def waves(self, changed: str | Iterable[str]) -> list[list[str]]:
        """What a change rebuilds, in build waves: every image after all of its rebuilt parents.

        Wave 0 holds the changed images (those of them that depend on another changed image
        move to the wave after it); each later wave can build in parallel.
        """
        start = self.known(changed)
        affected = start | self.dependents(start)
        sub = self.rebuild_graph().subgraph(affected)
        return [sorted(wave) for wave in nx.topological_generations(sub)]

    def build_order(self, changed: str | Iterable[str]) -> list[str]:
        """The full names of the jobs a change runs, in an order that respects the waves."""
        return [job for wave in self.waves(changed) for node in wave if (job := self.job(node))]

    # -- export (the forms live in jenkins_docker.graph.export) ------------------------------
    def to_json(self) -> dict[str, list[dict[str, object]]]:
        """The ``graph --format json`` document: nodes and the edges of the full graph."""
        from jenkins_docker.graph import export

        return export.document(self)

    def to_text(self) -> str:
        """A tree for a terminal: each root with what is built from it, indented."""
        from jenkins_docker.graph import export

        return export.tree(self)

    def to_dot(self, highlight: str | Iterable[str] = ()) -> str:
        """Graphviz DOT: base images, apps and externals drawn apart, pinned edges dashed."""
        from jenkins_docker.graph import export

        return export.dot(self, highlight)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart (renders in GitLab and GitHub markdown)."""
        from jenkins_docker.graph import export

        return export.mermaid(self)

