"""The commands about what is built on what, now: ``outdated``, ``rebuild --outdated``, ``status``."""
from __future__ import annotations

import json
from typing import Any

import click

from jenkins_docker.cli import console


def _short(digest: str) -> str:
    algorithm, _, hexdigits = digest.partition(":")
    return f"{algorithm}:{hexdigits[:12]}" if hexdigits else digest


def _client(inventory: Any, insecure: tuple[str, ...]) -> Any:
    from jenkins_docker.freshness.registry import RegistryClient, RegistryCredentials

    hosts = {name: registry.host for name, registry in inventory.registries.items()}
    return RegistryClient(RegistryCredentials(hosts), insecure=insecure)


def check_outdated(path: str, workers: int, insecure: tuple[str, ...]) -> tuple[Any, Any]:
    """The inventory at ``path`` and its :class:`~jenkins_docker.freshness.outdated.Report`."""
    from jenkins_docker.freshness.outdated import find_outdated
    from jenkins_docker.loading.loader import load

    inventory = load(path)
    client = _client(inventory, insecure)
    try:
        return inventory, find_outdated(inventory, client, workers=workers)
    finally:
        client.close()


def print_report(report: Any, *, err: bool = False) -> None:
    """The report for people: one line per outdated image, unknown image and registry error."""
    for item in report.outdated:
        moved = "; ".join(f"{p.name} moved {_short(p.built_from)} -> {_short(p.current)}" for p in item.parents)
        click.echo(console.style(f"~ {item.image} is outdated: {moved}", fg="yellow", bold=True), err=err)
    for item in report.unknown:
        click.echo(f"? {item.image}: {item.reason}", err=err)
    for problem in report.errors:
        console.error(f"{problem.error} (undecided: {', '.join(problem.images)})")
    click.echo(f"{len(report.outdated)} outdated, {len(report.unknown)} unknown, {len(report.fresh)} fresh"
               + (f", {len(report.errors)} registr{'y' if len(report.errors) == 1 else 'ies'} not asked" if report.errors else "")
               + f" ({sum(report.requests.values())} registry requests).", err=err)


def outdated_command(path: str, fmt: str, detailed_exitcode: bool, workers: int, insecure: tuple[str, ...]) -> int:
    """Report the images built on a parent that moved; exit 2 for those with --detailed-exitcode."""
    _, report = check_outdated(path, workers, insecure)
    if fmt == "json":
        for problem in report.errors:
            console.error(f"{problem.error} (undecided: {', '.join(problem.images)})")
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        print_report(report)
    return int(report.exit_code(detailed_exitcode))


def rebuild_outdated_command(path: str, workers: int, insecure: tuple[str, ...], target: Any) -> int:
    """Queue the outdated images that are not below another outdated one; the cascade does the rest."""
    from jenkins_docker.cli.jobs import queue_builds

    inventory, report = check_outdated(path, workers, insecure)
    print_report(report, err=True)
    graph = inventory.graph
    roots = graph.topmost(item.image for item in report.outdated)
    failed = queue_builds(target, [inventory.job(key) for key in roots], inventory.jenkins.job_type)
    if not roots:
        click.echo("nothing outdated: nothing queued", err=True)
    else:
        click.echo(f"{len(roots) - failed} build{'s' * (len(roots) - failed != 1)} queued; the cascade rebuilds "
                   f"{len(graph.dependents(roots))} dependent images after them.", err=True)
    return 1 if failed or report.errors else 0


def status_command(path: str, fmt: str, target: Any) -> int:
    """Each image's last build and last success on Jenkins, and the parents it is behind."""
    from jenkins_docker.freshness.status import image_status
    from jenkins_docker.loading.loader import load

    inventory = load(path)
    depth = len(inventory.jenkins.folder.split("/")) + 1 if inventory.jenkins.folder else 1
    try:
        builds = target.last_builds(depth)
    finally:
        target.close()
    statuses = image_status(inventory, builds)
    if fmt == "json":
        click.echo(json.dumps({"images": [s.to_json() for s in statuses]}, indent=2))
        return 0
    width = max((len(s.image) for s in statuses), default=0)
    for s in statuses:
        if s.missing:
            line = f"{s.image:<{width}}  no job {s.job} on Jenkins (run sync)"
        elif s.last is None:
            line = f"{s.image:<{width}}  never built"
        else:
            line = f"{s.image:<{width}}  {s.last.result or 'BUILDING'} #{s.last.number} {s.last.when}"
            if s.last_success is not None and s.last_success.number != s.last.number:
                line += f" (last success #{s.last_success.number} {s.last_success.when})"
        if s.behind:
            line += f"  behind {', '.join(s.behind)}"
            line = console.style(line, fg="yellow", bold=True)
        click.echo(line)
    behind = sum(1 for s in statuses if s.behind)
    click.echo(f"{len(statuses)} images, {behind} behind a parent.", err=True)
    return 0
