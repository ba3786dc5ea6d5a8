"""``jenkins-docker status``: what Jenkins last built for each image, and whether it is behind."""
from __future__ import annotations

import json
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.loading.loader import load


def status_command(path: str, fmt: str, target: Any) -> int:
    """Each image's last build and last success on Jenkins, and the parents it is behind."""
    from jenkins_docker.freshness.status import image_status

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
