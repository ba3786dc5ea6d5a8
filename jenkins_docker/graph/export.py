"""The graph's forms for people and tools: a text tree, Graphviz DOT, Mermaid, and JSON.

Each function takes an :class:`~jenkins_docker.graph.imagegraph.ImageGraph` and returns text (or the
JSON document); ``ImageGraph.to_text()`` and its siblings call them.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from jenkins_docker.graph.imagegraph import ImageGraph

# How each kind of node is drawn by to_text and to_mermaid.
_TEXT_TAGS = {"base": "", "app": "  [app]", "external": "  [external]"}
_MERMAID_SHAPES = {"base": '(["{}"])', "app": '["{}"]', "external": '[/"{}"/]'}


def document(graph: ImageGraph) -> dict[str, list[dict[str, object]]]:
    """The ``graph --format json`` document: nodes and the edges of the full graph."""
    return {
        "nodes": [{"id": n, "kind": d["kind"], "job": d["job"]} for n, d in graph.digraph.nodes(data=True)],
        "edges": [{"from": u, "to": v, "pinned": d["pinned"]} for u, v, d in graph.digraph.edges(data=True)],
    }


def tree(graph: ImageGraph) -> str:
    """A tree for a terminal: each root with what is built from it, indented.

    An image with several parents is drawn in full under the first and referred to
    (``↑ see above``) under the others, so the tree stays as long as the graph.
    """
    lines: list[str] = []
    shown: set[str] = set()

    def label(node: str, pinned: bool) -> str:
        return f"{node}{_TEXT_TAGS[graph.kind(node)]}{'  (pinned: no rebuild)' if pinned else ''}"

    roots = sorted(n for n in graph.digraph if graph.digraph.in_degree(n) == 0)
    stack: list[tuple[str, str, bool, bool]] = [(r, "", True, False) for r in reversed(roots)]
    while stack:
        node, prefix, is_root, pinned = stack.pop()
        if is_root:
            lines.append(label(node, False))
            child_prefix = ""
        else:
            lines.append(prefix + label(node, pinned) + ("  ↑ see above" if node in shown and graph.digraph.out_degree(node) else ""))
            child_prefix = prefix[:-4] + ("│   " if prefix.endswith("├── ") else "    ")
        if node in shown:
            continue
        shown.add(node)
        kids = graph.children(node)
        for index in reversed(range(len(kids))):
            last = index == len(kids) - 1
            kid = kids[index]
            stack.append((kid, child_prefix + ("└── " if last else "├── "), False, graph.digraph.edges[node, kid]["pinned"]))
    return "\n".join(lines) + "\n"


def dot(graph: ImageGraph, highlight: str | Iterable[str] = ()) -> str:
    """Graphviz DOT: base images, apps and externals drawn apart, pinned edges dashed.

    ``highlight`` colours the given images and everything their change rebuilds.
    """
    marked = graph.known(highlight)
    marked |= graph.dependents(marked)
    shapes = {
        "base": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbe9f6"},
        "app": {"shape": "box", "style": "filled", "fillcolor": "#e3f2d9"},
        "external": {"shape": "box", "style": "dashed", "color": "#888888", "fontcolor": "#555555"},
    }
    out = ["digraph images {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];',
           '  edge [color="#555555", fontname="Helvetica", fontsize=9];']
    for node, data in sorted(graph.digraph.nodes(data=True)):
        attrs = dict(shapes[data["kind"]])
        if node in marked:
            attrs.update(style=attrs["style"].replace("dashed", "dashed,filled") if "filled" not in attrs["style"] else attrs["style"],
                         fillcolor="#f6c26b", penwidth="2")
        rendered = ", ".join(f"{k}={_dot_id(v)}" for k, v in attrs.items())
        out.append(f"  {_dot_id(node)} [label={_dot_id(node)}, {rendered}];")
    for u, v, data in sorted(graph.digraph.edges(data=True)):
        edge_style = ' [style=dashed, label="pinned"]' if data["pinned"] else ""
        if u in marked and v in marked and not data["pinned"]:
            edge_style = ' [color="#d9822b", penwidth=2]'
        out.append(f"  {_dot_id(u)} -> {_dot_id(v)}{edge_style};")
    out.append("}")
    return "\n".join(out) + "\n"


def mermaid(graph: ImageGraph) -> str:
    """A Mermaid flowchart (renders in GitLab and GitHub markdown)."""
    ids = {node: f"n{i}" for i, node in enumerate(sorted(graph.digraph))}
    out = ["flowchart LR"]
    for node, data in sorted(graph.digraph.nodes(data=True)):
        text = node.replace('"', "#quot;")
        shape = _MERMAID_SHAPES[data["kind"]].format(text)
        out.append(f"  {ids[node]}{shape}")
    for u, v, data in sorted(graph.digraph.edges(data=True)):
        arrow = "-. pinned .->" if data["pinned"] else "-->"
        out.append(f"  {ids[u]} {arrow} {ids[v]}")
    out.append("  classDef app fill:#e3f2d9;")
    out.append("  classDef external stroke-dasharray: 4 4;")
    for kind in ("app", "external"):
        members = [ids[n] for n, d in sorted(graph.digraph.nodes(data=True)) if d["kind"] == kind]
        if members:
            out.append(f"  class {','.join(members)} {kind};")
    return "\n".join(out) + "\n"


def _dot_id(text: str) -> str:
    """A DOT double-quoted string; JSON's escaping of quotes and backslashes is DOT's too."""
    return json.dumps(text, ensure_ascii=False)
