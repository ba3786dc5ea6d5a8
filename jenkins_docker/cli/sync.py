"""``jenkins-docker sync``: plan, then apply; every item either old or new, failures named."""
from __future__ import annotations

import json
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.cli.options import target_from
from jenkins_docker.cli.plan import SYMBOLS, planned, show_plan


def sync_command(path: str, **opts: Any) -> int:
    """Plan, then apply; exit 1 when any job failed (all others are still written)."""
    from jenkins_docker.sync.apply import apply

    target = target_from(opts)
    try:
        plan = planned(path, opts, target)
        if opts["dry_run"]:
            show_plan(plan, opts["fmt"])
            return 1 if plan.failed else 0
        progress = console.Progress("writing", len(plan.changes), enabled=opts["fmt"] != "json")
        try:
            result = apply(plan, target, workers=opts["workers"], progress=progress.advance)
        finally:
            progress.close()
    finally:
        target.close()
    if opts["fmt"] == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        for action, names in (("create", result.create), ("update", result.update), ("delete", result.delete)):
            symbol, colour = SYMBOLS[action]
            for name in sorted(names):
                replaced = " (replaced: job type changed, build history lost)" if name in result.replace else ""
                click.echo(console.style(f"{symbol} {action}d {name}{replaced}", fg=colour))
        for orphan in result.orphans:
            click.echo(console.style(f"? orphan {orphan}: this inventory's, no longer in it; kept (--prune deletes it)", fg="yellow"))
        for failure in result.failed:
            click.echo(console.style(f"! failed {failure.job}: {failure.error}", fg="red", bold=True), err=True)
        click.echo(f"Synced {plan.target}: {len(result.create)} created, {len(result.update)} updated, "
                   f"{len(result.delete)} deleted, {len(result.unchanged)} unchanged"
                   + (f", {len(result.failed)} failed (run again to retry)" if result.failed else "") + ".")
    return 0 if result.ok else 1
