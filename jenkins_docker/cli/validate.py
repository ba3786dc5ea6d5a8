"""``jenkins-docker validate``: check inventories offline, every problem at once."""
from __future__ import annotations

import sys
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.loading.loader import check


def validate_command(paths: tuple[str, ...], fmt: str, quiet: bool, *, strict: bool = False) -> int:
    """Check each inventory; print problems (text) or the contract's JSON document.

    ``strict``: warnings fail the check too. ``quiet``: print errors only (with ``strict``,
    warnings are errors and are printed).
    """
    from jenkins_docker.cli.options import warn_without_webhook_token, webhook_token

    reports = [(path, check(path)) for path in paths]
    token = webhook_token(None)
    for _, report in reports:
        if report.inventory is not None and not quiet:   # -q prints errors only
            warn_without_webhook_token(report.inventory, token)
    ok = all(r.ok and not (strict and r.warnings) for _, r in reports)
    if fmt == "json":
        document: dict[str, Any] = {"ok": ok, "errors": [e for _, r in reports for e in r.to_json()["errors"]],
                                    "warnings": [w for _, r in reports for w in r.to_json()["warnings"]]}
        import json  # only for --format json

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
