"""``jenkins-docker graph``: what is built FROM what, as text, JSON, DOT, Mermaid, SVG or PNG."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click

from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.loader import load


def graph_command(path: str, fmt: str, output: str | None, highlight: tuple[str, ...]) -> int:
    """Print or write the graph in the chosen format."""
    inventory = load(path)
    graph = inventory.graph
    marked = [graph.resolve(name) for name in highlight]
    if fmt in ("svg", "png"):
        data = draw(graph.to_dot(marked), fmt)
        if output:
            Path(output).write_bytes(data)
        elif sys.stdout.isatty() and fmt == "png":
            raise JenkinsDockerError("refusing to write a PNG to a terminal: pass -o FILE")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return 0
    if fmt == "json":
        text = json.dumps(graph.to_json(), indent=2) + "\n"
    elif fmt == "dot":
        text = graph.to_dot(marked)
    elif fmt == "mermaid":
        text = graph.to_mermaid()
    else:
        text = graph.to_text()
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    return 0


def draw(dot_source: str, fmt: str) -> bytes:
    """Lay out a DOT graph with Graphviz's ``dot`` program; a clear error if it is missing."""
    program = shutil.which("dot")
    if program is None:
        raise JenkinsDockerError("Graphviz's `dot` program is not installed (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz); "
                                 "or use --format dot and render it elsewhere")
    done = subprocess.run([program, f"-T{fmt}"], input=dot_source.encode("utf-8"), capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise JenkinsDockerError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
