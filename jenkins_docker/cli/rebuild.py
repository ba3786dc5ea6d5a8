"""``jenkins-docker rebuild``: queue the topmost of some images (or of the outdated ones); the cascade does the rest."""
from __future__ import annotations

import sys
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.cli.options import target_from
from jenkins_docker.cli.outdated import check_outdated, print_report
from jenkins_docker.errors import JenkinsDockerError, UsageError
from jenkins_docker.loading.loader import load


def rebuild_command(path: str, images: tuple[str, ...], **opts: Any) -> int:
    """Queue the jobs of the topmost of ``images``; the cascade rebuilds the rest, each once."""
    inventory = load(path)
    graph = inventory.graph
    nodes = [graph.resolve(name) for name in images]
    for node in nodes:
        if graph.job(node) is None:
            raise UsageError(f"{node} is an external image with no job; rebuild the images built FROM it: {', '.join(graph.children(node))}")
        if graph.disabled(node):
            raise UsageError(f"{graph.job(node)} is disabled in the inventory (disabled: true): it builds nothing; enable it first")
    queue = graph.topmost(nodes)
    jobs = [str(graph.job(node)) for node in queue]
    failed = _queue(inventory, jobs, target_from(opts, require_remote=True))
    for node in sorted(set(nodes) - set(queue)):
        click.echo(f"not queued {graph.job(node)}: it is built from {', '.join(sorted(graph.ancestors(node) & set(queue)))}, "
                   "so the cascade rebuilds it (once, after its parents)")
    waves = graph.waves(queue)[1:]
    for number, wave in enumerate(waves, start=1):
        click.echo(f"then the cascade builds, wave {number}: {', '.join(str(graph.job(node)) for node in wave)}")
    print(f"{len(jobs) - failed} build{'s' * (len(jobs) - failed != 1)} queued; the cascade rebuilds "
          f"{sum(len(wave) for wave in waves)} dependent images after them.", file=sys.stderr)
    return 1 if failed else 0


def rebuild_outdated_command(path: str, workers: int, insecure: tuple[str, ...], target: Any) -> int:
    """Queue the outdated images that are not below another outdated one; the cascade does the rest."""
    inventory, report = check_outdated(path, workers, insecure)
    print_report(report, err=True)
    graph = inventory.graph
    outdated = [item.image for item in report.outdated]
    for key in outdated:
        if graph.disabled(key):
            click.echo(f"not queued {inventory.job(key)}: disabled in the inventory (disabled: true)", err=True)
    roots = graph.topmost(key for key in outdated if not graph.disabled(key))
    failed = _queue(inventory, [inventory.job(key) for key in roots], target)
    if not roots:
        click.echo("nothing outdated: nothing queued", err=True)
    else:
        click.echo(f"{len(roots) - failed} build{'s' * (len(roots) - failed != 1)} queued; the cascade rebuilds "
                   f"{len(graph.dependents(roots))} dependent images after them.", err=True)
    return 1 if failed or report.errors else 0


def _queue(inventory: Any, jobs: list[str], target: Any) -> int:
    """Queue each of ``jobs`` on ``target`` (then close it); the number that could not be queued."""
    # Pipeline build jobs take the CASCADE parameter (see rendering/renderer.py); a rebuild asked
    # for by hand cascades like a push does.
    parameters = {"CASCADE": "true"} if inventory.jenkins.job_type == "pipeline" else None
    failed = 0
    try:
        for job in jobs:
            try:
                where = target.build(job, parameters)
                click.echo(f"queued {job}" + (f" ({where})" if where else ""))
            except JenkinsDockerError as exc:
                failed += 1
                console.error(str(exc))
    finally:
        target.close()
    return failed
