"""The dependency graph of an inventory, and the questions asked of it (how it is drawn: ``export``).

Nodes are base images, apps and external parents (ids: inventory keys, or the normalised
reference of an external image); an edge runs from parent to child and is marked ``pinned``
when the child pins the parent by digest. Pinned edges are part of the graph but trigger no
rebuild: rebuilding the parent cannot change what the child pulls.

The queries run on plain dictionaries: importing networkx costs a command 0.1-0.2 s (it scans
the installed packages' entry points for backends), more than loading and rendering a hundred
images. ``validate``, ``render`` and ``plan``/``sync`` never import it; the networkx views of
the graph (:attr:`ImageGraph.digraph`, :meth:`~ImageGraph.rebuild_graph`,
:meth:`~ImageGraph.reduction`) are built on first use, with the same nodes, edges, attributes
and order as before, and cycles are described with networkx once one is found.
"""
from __future__ import annotations

import contextlib
import functools
import heapq
from typing import TYPE_CHECKING, Any, Callable, Iterable

from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.reference import ImageReference, ReferenceError, parse_reference

if TYPE_CHECKING:
    import networkx as nx

    from jenkins_docker.loading.inventory import Image, Inventory

class UnknownImageError(JenkinsDockerError):
    """An image named on the command line or in the API is not in the graph."""


def find_cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One dependency cycle (its nodes, in edge order) per group of nodes that form cycles.

    Each cycle starts at its smallest node, and the cycles come sorted, so a report is stable.
    """
    import networkx as nx

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


def _reach(start: Iterable[str], step: dict[str, dict[str, bool]]) -> set[str]:
    """Every node reached from ``start`` along ``step`` (children or parents), ``start`` excluded
    unless a path leads back to it (what networkx's descendants/ancestors return)."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        for nxt in step[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class ImageGraph:
    """The dependency graph of the images of an inventory, with the queries jobs need.

    :attr:`digraph` is the same graph as a networkx ``DiGraph`` (node attributes ``kind``,
    ``job``, ``disabled``; edge attribute ``pinned``), built on first use.
    """

    def __init__(self, inventory: "Inventory") -> None:
        nodes: dict[str, dict[str, Any]] = {}
        for image in inventory.images.values():
            nodes[image.key] = {"kind": image.kind, "job": inventory.job(image.key), "disabled": image.disabled}
        self._images: list[Image] = list(inventory.images.values())
        edges: dict[tuple[str, str], bool] = {}      # (parent, child) -> pinned, in the order first added
        for image in self._images:
            for parent in image.parents:
                if parent.image is None and parent.node not in nodes:
                    nodes[parent.node] = {"kind": "external", "job": None, "disabled": False}
                edges[(parent.node, image.key)] = parent.pinned
        self._nodes = nodes
        self._edges = edges
        self._children: dict[str, dict[str, bool]] = {node: {} for node in nodes}
        self._parents: dict[str, dict[str, bool]] = {node: {} for node in nodes}
        for (parent_node, child), pinned in edges.items():
            self._children[parent_node][child] = pinned
            self._parents[child][parent_node] = pinned
        self._reduction: nx.DiGraph | None = None
        self._rebuild: nx.DiGraph | None = None

    @functools.cached_property
    def digraph(self) -> nx.DiGraph:
        """The graph as a networkx ``DiGraph`` (nodes and edges in the order the inventory lists them)."""
        import networkx as nx

        graph = nx.DiGraph()
        for node, data in self._nodes.items():
            graph.add_node(node, **data)
        for (parent_node, child), pinned in self._edges.items():
            graph.add_edge(parent_node, child, pinned=pinned)
        return graph

    def number_of_edges(self) -> int:
        """How many dependencies (parent -> child edges, pinned ones included) the graph has."""
        return len(self._edges)

    # -- nodes -------------------------------------------------------------------------------
    def kind(self, node: str) -> str:
        """``base``, ``app`` or ``external``."""
        self._check(node)
        return str(self._nodes[node]["kind"])

    def job(self, node: str) -> str | None:
        """The full name of the job building ``node`` (``None`` for an external image)."""
        self._check(node)
        job: str | None = self._nodes[node]["job"]
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
        for node, data in self._nodes.items():
            if data["kind"] == "external":
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
        if name in self._nodes:
            return name
        try:
            ref = parse_reference(name)
        except ReferenceError as exc:
            raise UnknownImageError(f"{name!r} is not an image reference: {exc}") from None
        for spelling in (ref.familiar(), str(ref)):
            if spelling in self._nodes:
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
        import difflib  # only for the hint of an unknown name

        close = difflib.get_close_matches(name, [str(n) for n in self._nodes], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownImageError(f"{name!r} is not an image of the inventory{hint}")

    def _check(self, node: str) -> None:
        """Refuse a node that is not in the graph (a dictionary would raise its own KeyError)."""
        if node not in self._nodes:
            self.known([node])

    def known(self, nodes: str | Iterable[str]) -> set[str]:
        """``nodes`` (one node, or several) as a set, refusing any that is not in the graph."""
        out = {nodes} if isinstance(nodes, str) else set(nodes)
        for node in sorted(out):
            if node not in self._nodes:
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
        return sorted(self._parents[node])

    def children(self, node: str) -> list[str]:
        """The direct children of ``node``, sorted."""
        self._check(node)
        return sorted(self._children[node])

    def ancestors(self, node: str) -> set[str]:
        """Every image ``node`` is built from, directly or not (pinned edges included)."""
        self._check(node)
        return _reach([node], self._parents) - {node}

    @functools.cached_property
    def _rebuild_edges(self) -> list[tuple[str, str]]:
        """The edges that trigger rebuilds, in networkx's edge order (by parent, then child)."""
        disabled = {node for node, data in self._nodes.items() if data["disabled"]}
        return [(u, v) for u, kids in self._children.items() for v, pinned in kids.items()
                if not pinned and u not in disabled and v not in disabled]

    @functools.cached_property
    def _rebuild_children(self) -> dict[str, dict[str, bool]]:
        children: dict[str, dict[str, bool]] = {node: {} for node in self._nodes}
        for u, v in self._rebuild_edges:
            children[u][v] = False
        return children

    @functools.cached_property
    def _rebuild_parents(self) -> dict[str, dict[str, bool]]:
        parents: dict[str, dict[str, bool]] = {node: {} for node in self._nodes}
        for u, v in self._rebuild_edges:
            parents[v][u] = False
        return parents

    def rebuild_graph(self) -> nx.DiGraph:
        """The graph of edges that trigger rebuilds: every edge but the pinned ones.

        A disabled image (``disabled: true``) has no edges here: Jenkins does not build a
        disabled job, so a cascade stops at it (its triggers never fire).

        A networkx DiGraph, built once (the graph does not change after loading); the queries
        below walk the same edges as plain dictionaries.
        """
        if self._rebuild is None:
            import networkx as nx

            rebuild = nx.DiGraph()
            rebuild.add_nodes_from(self._nodes)
            rebuild.add_edges_from(self._rebuild_edges)
            self._rebuild = rebuild
        return self._rebuild

    def rebuild_children(self, node: str) -> list[str]:
        """The images a rebuild of ``node`` triggers directly (no pinned edge, no disabled image), sorted."""
        self._check(node)
        return sorted(self._rebuild_children[node])

    def dependents(self, nodes: str | Iterable[str]) -> set[str]:
        """Everything that rebuilds when ``nodes`` (one image, or several) change, themselves excluded."""
        start = self.known(nodes)
        return _reach(start, self._rebuild_children) - start

    def rebuilt_by(self, node: str) -> set[str]:
        """Every image whose rebuild rebuilds ``node`` (its ancestors over rebuild edges)."""
        self._check(node)
        return _reach([node], self._rebuild_parents) - {node}

    def disabled(self, node: str) -> bool:
        """Whether ``node``'s job is disabled in the inventory (``disabled: true``)."""
        self._check(node)
        return bool(self._nodes[node]["disabled"])

    def topmost(self, nodes: str | Iterable[str]) -> list[str]:
        """The images of ``nodes`` that no other of them rebuilds: the ones to start, sorted.

        Starting an image starts the cascade below it, so starting one that is built (directly
        or not) from another of ``nodes`` would build it twice, the first time beside its parent
        and from the old parent. ``rebuild A B`` queues ``topmost([A, B])``; the cascade builds
        the rest, each once. Pinned edges trigger no rebuild, so a child pinning its parent by
        digest is not below it here.
        """
        start = self.known(nodes)
        below: set[str] = set()
        for node in start:
            if node not in below:
                below |= _reach([node], self._rebuild_children) - {node}
        return sorted(start - below)

    def reduction(self) -> nx.DiGraph:
        """The transitive reduction of the rebuild graph over listed images: the job triggers.

        An edge parent -> child is dropped when the child also depends on the parent through
        another of its parents (a diamond): the other path triggers it anyway. Only children
        with several parents need checking, which keeps this cheap on large, tree-like graphs.
        """
        if self._reduction is None:
            import networkx as nx

            reduced = nx.DiGraph()
            reduced.add_nodes_from(self._reduced_edges)
            reduced.add_edges_from((p, child) for child, parents in self._reduced_edges.items() for p in parents)
            self._reduction = reduced
        return self._reduction

    @functools.cached_property
    def _reduced_edges(self) -> dict[str, list[str]]:
        """Each listed image with its parents in the reduction (the order networkx's reduction had)."""
        listed = {n: d for n, d in self._nodes.items() if d["kind"] != "external"}
        out: dict[str, list[str]] = {}
        for child in listed:
            parents = [p for p in self._rebuild_parents[child] if p in listed]
            if len(parents) < 2:
                out[child] = parents
                continue
            reachable = _reach(parents, self._rebuild_parents)
            out[child] = [p for p in parents if p not in reachable]
        return out

    @functools.cached_property
    def _reduced_children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {node: [] for node in self._reduced_edges}
        for child, parents in self._reduced_edges.items():
            for parent in parents:
                children[parent].append(child)
        return children

    def triggers(self, node: str) -> list[str]:
        """The images whose jobs ``node``'s job triggers directly (children in the reduction)."""
        if node not in self._reduced_children:
            self._check(node)
            return []   # an external image has no job
        return sorted(self._reduced_children[node])

    def upstreams(self, node: str) -> list[str]:
        """The images whose jobs trigger ``node``'s job (parents in the reduction)."""
        if node not in self._reduced_edges:
            self._check(node)
            return []
        return sorted(self._reduced_edges[node])

    def waves(self, changed: str | Iterable[str]) -> list[list[str]]:
        """What a change rebuilds, in build waves: every image after all of its rebuilt parents.

        Wave 0 holds the changed images (those of them that depend on another changed image
        move to the wave after it); each later wave can build in parallel.
        """
        start = self.known(changed)
        affected = start | self.dependents(start)
        waiting = {node: sum(p in affected for p in self._rebuild_parents[node]) for node in affected}
        wave = [node for node, count in waiting.items() if count == 0]
        out = []
        while wave:
            out.append(sorted(wave))
            after = []
            for node in wave:
                for child in self._rebuild_children[node]:
                    if child in waiting:
                        waiting[child] -= 1
                        if waiting[child] == 0:
                            after.append(child)
            wave = after
        return out

    def topological_order(self, nodes: Iterable[str], key: Callable[[str], str]) -> list[str]:
        """``nodes`` in an order where each comes after its parents among them (pinned edges
        included), the smallest ``key`` first whenever several may come next."""
        among = self.known(nodes)
        waiting = {node: sum(p in among for p in self._parents[node]) for node in among}
        ready = [(key(node), node) for node, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        out = []
        while ready:
            _, node = heapq.heappop(ready)
            out.append(node)
            for child in self._children[node]:
                if child in waiting:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        heapq.heappush(ready, (key(child), child))
        if len(out) != len(among):
            raise JenkinsDockerError("the graph has a dependency cycle")
        return out

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
