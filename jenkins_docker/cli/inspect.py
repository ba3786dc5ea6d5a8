"""The offline commands: ``validate``, ``graph`` and ``impact``."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.loader import check, load


def validate_command(paths: tuple[str, ...], fmt: str, quiet: bool, *, strict: bool = False) -> int:
    """Check each inventory; print problems (text) or the contract's JSON document.

    ``strict``: warnings fail the check too. ``quiet``: print errors only (with ``strict``,
    warnings are errors and are printed).
    """
    from jenkins_docker.cli.jobs import warn_without_webhook_token, webhook_token

    reports = [(path, check(path)) for path in paths]
    token = webhook_token(None)
    for _, report in reports:
        if report.inventory is not None and not quiet:   # -q prints errors only
            warn_without_webhook_token(report.inventory, token)
    ok = all(r.ok and not (strict and r.warnings) for _, r in reports)
    if fmt == "json":
        document: dict[str, Any] = {"ok": ok, "errors": [e for _, r in reports for e in r.to_json()["errors"]],
                                    "warnings": [w for _, r in reports for w in r.to_json()["warnings"]]}
        click.echo(json.dumps(document, indent=2))
        return 0 if ok else 1
    for path, report in reports:
        for problem in report.errors:
            click.echo(f"{problem.location}: {console.style('error:', sys.stdout, fg='red', bold=True)} {problem.message}")
        for problem in report.warnings if strict or not quiet else []:
            label = console.style("error:", sys.stdout, fg="red", bold=True) + " (--strict)" if strict else console.style("warning:", sys.stdout, fg="yellow")
            click.echo(f"{problem.location}: {label} {problem.message}")
        if strict and report.warnings and report.inventory is not None:
            click.echo(f"{path}: {len(report.warnings)} warning{'s' * (len(report.warnings) != 1)}, which --strict counts as errors")
            continue
        if report.inventory is not None and not quiet:
            inv = report.inventory
            jobs = (len(inv.images) + sum(1 for i in inv.images.values() if i.deploy_job_name)
                    + (inv.jenkins.seed_job is not None) + (inv.jenkins.watch is not None))
            click.echo(f"{path}: ok: {len(inv.base_images)} base images, {len(inv.apps)} apps, "
                       f"{inv.graph.number_of_edges()} dependencies, {jobs} jobs"
                       + (f", {len(report.warnings)} warnings" if report.warnings else ""))
        elif report.errors:
            click.echo(f"{path}: {len(report.errors)} error{'s' * (len(report.errors) != 1)}", err=True)
    return 0 if ok else 1


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


def impact_command(path: str, names: tuple[str, ...], fmt: str) -> int:
    """Print the waves of what a change to ``names`` rebuilds."""
    inventory = load(path)
    graph = inventory.graph
    from jenkins_docker.rendering.deploys import started_by

    changed = [graph.resolve(name) for name in names]
    waves = graph.waves(changed)
    deploys = started_by(inventory, changed)
    # Each deploy job right after the job of its app: the order they run in.
    jobs = [name for node in (n for wave in waves for n in wave) if (job := graph.job(node))
            for name in (job, deploys.get(node)) if name]
    if fmt == "json":
        click.echo(json.dumps({"changed": changed, "waves": waves, "jobs": jobs, "deploys": list(deploys.values())}, indent=2))
        return 0
    rebuilt = sum(len(w) for w in waves[1:])
    click.echo(f"Changing {', '.join(changed)} rebuilds {rebuilt} image{'s' * (rebuilt != 1)} in {max(len(waves) - 1, 0)} wave{'s' * (len(waves) != 2)}:")
    for index, wave in enumerate(waves):
        label = console.style(f"wave {index}", fg="cyan", bold=True)
        entries = []
        for node in wave:
            job = graph.job(node)
            entries.append(f"{node} ({job})" if job else f"{node} (external, no job)")
        click.echo(f"  {label}: " + ", ".join(entries))
    if deploys:
        click.echo(console.style(f"and {len(deploys)} deploy{'s' * (len(deploys) != 1)}", fg="red", bold=True)
                   + ": " + ", ".join(f"{job} (deploy of {key})" for key, job in deploys.items()))
    return 0
