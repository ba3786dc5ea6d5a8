"""The graph's queries run on plain dictionaries (issue 15: no networkx import in validate, render
or sync); each answers exactly what networkx answered on the same graph.

Until issue 15 every query was a networkx call on ``ImageGraph.digraph``; these properties check
the dictionary walks against those same calls on generated inventories (diamonds, multi-stage
apps, pinned and disabled images, external parents), and that ``digraph`` is still the graph it
was: the same nodes, attributes and edges, in the same order.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from jenkins_docker.graph.imagegraph import ImageGraph
from jenkins_docker.loading.loader import load
from strategies import Plan, plans


def _graph(plan: Plan) -> ImageGraph:
    with tempfile.TemporaryDirectory() as directory:
        inventory = load(plan.write(Path(directory)))
    return inventory.graph


def _networkx_digraph(graph: ImageGraph) -> nx.DiGraph:
    """The graph built as ImageGraph built it before issue 15: nodes and edges added one by one."""
    built = nx.DiGraph()
    for image in graph._images:
        built.add_node(image.key, kind=image.kind, job=graph.job(image.key), disabled=image.disabled)
    for image in graph._images:
        for parent in image.parents:
            if parent.image is None and parent.node not in built:
                built.add_node(parent.node, kind="external", job=None, disabled=False)
            built.add_edge(parent.node, image.key, pinned=parent.pinned)
    return built


@settings(max_examples=60, deadline=None)
@given(plans())
def test_digraph_has_the_nodes_edges_and_order_it_had(plan: Plan) -> None:
    graph = _graph(plan)
    before = _networkx_digraph(graph)
    assert list(graph.digraph.nodes(data=True)) == list(before.nodes(data=True))
    assert list(graph.digraph.edges(data=True)) == list(before.edges(data=True))
    assert graph.number_of_edges() == before.number_of_edges()
    disabled = {n for n, off in before.nodes(data="disabled") if off}
    rebuild = [(u, v) for u, v, pinned in before.edges(data="pinned") if not pinned and u not in disabled and v not in disabled]
    assert list(graph.rebuild_graph().edges) == rebuild
    assert list(graph.rebuild_graph().nodes) == list(before.nodes)


@settings(max_examples=60, deadline=None)
@given(plans(), st.data())
def test_walks_answer_what_networkx_answered(plan: Plan, data: st.DataObject) -> None:
    graph = _graph(plan)
    full, rebuild = _networkx_digraph(graph), graph.rebuild_graph()
    nodes = sorted(full)
    for node in nodes:
        assert graph.ancestors(node) == nx.ancestors(full, node)
        assert graph.rebuilt_by(node) == nx.ancestors(rebuild, node)
        assert graph.rebuild_children(node) == sorted(rebuild.successors(node))
        assert graph.dependents(node) == nx.descendants(rebuild, node)
    changed = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4, unique=True))
    affected = set(changed).union(*(nx.descendants(rebuild, n) for n in changed))
    assert graph.waves(changed) == [sorted(w) for w in nx.topological_generations(rebuild.subgraph(affected))]
    below = set().union(*(nx.descendants(rebuild, n) for n in changed))
    assert graph.topmost(changed) == sorted(set(changed) - below)


@settings(max_examples=60, deadline=None)
@given(plans())
def test_reduction_and_order_are_networkx_s(plan: Plan) -> None:
    graph = _graph(plan)
    full, rebuild = _networkx_digraph(graph), graph.rebuild_graph()
    listed = [n for n in full if full.nodes[n]["kind"] != "external"]
    # The reduction as networkx computed it before: each child's parents with no other path to it.
    reduced = nx.DiGraph()
    reduced.add_nodes_from(listed)
    for child in listed:
        parents = [p for p in rebuild.predecessors(child) if p in reduced]
        reachable = set().union(*(nx.ancestors(rebuild, p) for p in parents)) if len(parents) > 1 else set()
        reduced.add_edges_from((p, child) for p in parents if p not in reachable)
    assert list(graph.reduction().nodes) == list(reduced.nodes)
    assert list(graph.reduction().edges) == list(reduced.edges)
    for node in listed:
        assert graph.triggers(node) == sorted(reduced.successors(node))
        assert graph.upstreams(node) == sorted(reduced.predecessors(node))
    # The order render writes jobs in.
    job = {n: full.nodes[n]["job"] for n in listed}
    expected = list(nx.lexicographical_topological_sort(full.subgraph(listed), key=lambda n: job[n]))
    assert graph.topological_order(listed, key=lambda n: job[n]) == expected
