"""``jenkins-docker plan``: what sync would change, for people (text, diffs) or machines (JSON)."""
from __future__ import annotations

import json
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.cli.options import target_from, warn_without_webhook_token, webhook_token
from jenkins_docker.loading.loader import load

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "replace": ("±", "magenta"), "delete": ("-", "red")}


def planned(path: str, opts: dict[str, Any], target: Any) -> Any:
    from jenkins_docker.pipeline import plan_inventory

    inventory = load(path, templates=opts.get("templates"))
    for warning in inventory.warnings:
        console.warn(str(warning))
    token = webhook_token(opts.get("webhook_token_file"))
    progress = console.Progress("reading", 0, enabled=opts.get("fmt") != "json")
    try:
        plan = plan_inventory(inventory, target, webhook_token=token, prune=opts.get("prune", False),
                              adopt=opts.get("adopt", False), fast=opts.get("fast", False), workers=opts.get("workers", 8),
                              progress=progress.advance, on_items=progress.expect).plan
    finally:
        progress.close()
    for note in plan.notes:
        console.warn(note)
    warn_without_webhook_token(inventory, token)
    return plan


def printplanned(plan: Any, *, diffs: bool = True) -> None:
    """The plan for people: one line per change, diffs of updates, a summary."""
    for change in plan.changes:
        symbol, colour = SYMBOLS[change.action]
        what = "" if change.what == "job" else f" ({change.what})"
        note = f" ({change.note})" if change.note else ""
        click.echo(console.style(f"{symbol} {change.action} {change.name}{what}{note}", fg=colour, bold=True))
        if diffs and change.action in ("update", "replace"):
            for line in change.diff.splitlines():
                line_colour = "green" if line.startswith("+") else "red" if line.startswith("-") else None
                click.echo("    " + (console.style(line, fg=line_colour) if line_colour else line))
    for failure in plan.failed:
        click.echo(console.style(f"! failed {failure.job}: {failure.error}", fg="red", bold=True))
    for orphan in plan.orphans:
        click.echo(console.style(f"? orphan {orphan}: this inventory's, no longer in it; kept (--prune deletes it)", fg="yellow"))
    counts = {a: sum(1 for c in plan.changes if c.action == a) for a in ("create", "update", "replace", "delete")}
    replaced = f" ({counts['replace']} replaced: job type changed, build history lost)" if counts["replace"] else ""
    click.echo(f"Plan for {plan.target}: {counts['create']} to create, {counts['update'] + counts['replace']} to update{replaced}, "
               f"{counts['delete']} to delete, {len(plan.unchanged)} unchanged"
               + (f", {len(plan.failed)} failed" if plan.failed else "")
               + (f", {len(plan.orphans)} orphaned (kept)" if plan.orphans else "") + ".")


def show_plan(plan: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(plan.to_json(), indent=2))
    else:
        printplanned(plan)


def plan_command(path: str, **opts: Any) -> int:
    """Show what sync would change; with --detailed-exitcode, 2 means changes are pending."""
    target = target_from(opts)
    try:
        plan = planned(path, opts, target)
    finally:
        target.close()
    show_plan(plan, opts["fmt"])
    if plan.failed:
        return 1
    if opts["detailed_exitcode"] and plan.has_changes:
        return 2
    return 0
