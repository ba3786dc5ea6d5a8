"""``jenkins-docker outdated``: which images are built on a parent that moved since, asked of the registries."""
from __future__ import annotations

import json
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.loading.loader import load


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
