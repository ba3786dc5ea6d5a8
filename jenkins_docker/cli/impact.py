"""``jenkins-docker impact``: what a change to some images rebuilds and deploys, wave by wave."""
from __future__ import annotations

import json

import click

from jenkins_docker.cli import console
from jenkins_docker.loading.loader import load


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
