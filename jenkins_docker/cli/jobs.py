"""The commands that produce or write jobs: ``render``, ``plan``, ``sync`` and ``rebuild``."""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.cli.options import check_server_url, option_name, read_secret
from jenkins_docker.errors import UsageError

_SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "replace": ("±", "magenta"), "delete": ("-", "red")}


def render_command(path: str, out_dir: str, templates: str | None) -> int:
    """Render every job into ``out_dir`` (JENKINS_HOME layout)."""
    from jenkins_docker.loading.loader import load
    from jenkins_docker.rendering.renderer import render, write_tree

    inventory = load(path, templates=templates)
    jobs = render(inventory)
    written = write_tree(jobs, out_dir)
    same = len(jobs.jobs) - len(written)
    console.echo(f"wrote {len(written)} config.xml files under {out_dir}" + (f" ({same} unchanged)" if same else ""), err=True)
    return 0


def open_target(jenkins_url: str | None, jenkins_home: str | None, user: str | None, token_file: str | None,
                ca_bundle: str | None, insecure: bool, *, require_remote: bool = False) -> Any:
    """The target chosen on the command line; a usage error when it is missing or ambiguous.

    Each target's module is imported only when chosen: the remote one brings requests and
    python-jenkins, a large share of a command's start-up.
    """
    ctx = click.get_current_context(silent=True)
    url_from_env = ctx is not None and ctx.get_parameter_source("jenkins_url") == click.core.ParameterSource.ENVIRONMENT
    if jenkins_home and not require_remote:
        if jenkins_url and not url_from_env:
            raise UsageError("give either --jenkins or --jenkins-home, not both")
        from jenkins_docker.sync.targets.home import JenkinsHome

        return JenkinsHome(jenkins_home)
    if not jenkins_url:
        raise UsageError("no target: pass --jenkins URL (or set JENKINS_URL)" + ("" if require_remote else ", or --jenkins-home DIR"))
    from jenkins_docker.redact import IN_USE
    from jenkins_docker.sync.targets.remote import CREDENTIALS_GO, Credentials, RemoteJenkins

    check_server_url(jenkins_url, option=option_name("jenkins_url", "--jenkins", "JENKINS_URL"), credentials_go=CREDENTIALS_GO,
                     what="Jenkins", secret="the API token")
    token = read_secret(token_file, "--token-file", "JENKINS_API_TOKEN")
    IN_USE.add(token, user=user)  # --user may differ from JENKINS_USER
    if token and not user:
        raise UsageError("an API token needs a user: set JENKINS_USER or pass --user")
    verify: bool | str = False if insecure else (ca_bundle or True)
    return RemoteJenkins(jenkins_url, Credentials(user, token) if user else None, verify=verify)


def _open_target(opts: dict[str, Any], *, require_remote: bool = False) -> Any:
    """The target of a command's target options (``cli._target_options``)."""
    return open_target(opts["jenkins_url"], opts["jenkins_home"], opts["user"], opts["token_file"], opts["ca_bundle"],
                       opts["insecure"], require_remote=require_remote)


def _plan(path: str, opts: dict[str, Any], target: Any) -> Any:
    from jenkins_docker.loading.loader import load
    from jenkins_docker.rendering.renderer import render
    from jenkins_docker.sync.plan import make_plan

    inventory = load(path, templates=opts.get("templates"))
    for warning in inventory.warnings:
        console.warn(str(warning))
    token = webhook_token(opts.get("webhook_token_file"))
    jobs = render(inventory, webhook_token=token)
    progress = console.Progress("reading", len(jobs.jobs), enabled=opts.get("fmt") != "json")
    try:
        plan = make_plan(jobs, target, folder=inventory.jenkins.folder, prune=opts.get("prune", False),
                         adopt=opts.get("adopt", False), workers=opts.get("workers", 8), progress=progress.advance,
                         fast=opts.get("fast", False))
    finally:
        progress.close()
    for note in plan.notes:
        console.warn(note)
    warn_without_webhook_token(inventory, token)
    return plan


def webhook_token(path: str | None) -> str | None:
    """The GitLab webhook secret token: ``--webhook-token-file`` or ``JENKINS_WEBHOOK_TOKEN``."""
    return read_secret(path, "--webhook-token-file", "JENKINS_WEBHOOK_TOKEN")


def warn_without_webhook_token(inventory: Any, token: str | None) -> None:
    """Warn once when the jobs get GitLab push triggers but no secret token to check."""
    if inventory.jenkins.gitlab_connection and not token:
        console.warn(f"{inventory.path}: no GitLab webhook token (JENKINS_WEBHOOK_TOKEN or --webhook-token-file): "
                     "a push trigger without one refuses GitLab's hooks (403) unless anonymous may build; "
                     "sync keeps a token already set on a job")


def print_plan(plan: Any, *, diffs: bool = True) -> None:
    """The plan for people: one line per change, diffs of updates, a summary."""
    for change in plan.changes:
        symbol, colour = _SYMBOLS[change.action]
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


def _show_plan(plan: Any, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(plan.to_json(), indent=2))
    else:
        print_plan(plan)


def plan_command(path: str, **opts: Any) -> int:
    """Show what sync would change; with --detailed-exitcode, 2 means changes are pending."""
    target = _open_target(opts)
    try:
        plan = _plan(path, opts, target)
    finally:
        target.close()
    _show_plan(plan, opts["fmt"])
    if plan.failed:
        return 1
    if opts["detailed_exitcode"] and plan.has_changes:
        return 2
    return 0


def sync_command(path: str, **opts: Any) -> int:
    """Plan, then apply; exit 1 when any job failed (all others are still written)."""
    from jenkins_docker.sync.apply import apply

    target = _open_target(opts)
    try:
        plan = _plan(path, opts, target)
        if opts["dry_run"]:
            _show_plan(plan, opts["fmt"])
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
            symbol, colour = _SYMBOLS[action]
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


def rebuild_command(path: str, images: tuple[str, ...], **opts: Any) -> int:
    """Queue the jobs of the topmost of ``images``; the cascade rebuilds the rest, each once."""
    from jenkins_docker.errors import JenkinsDockerError
    from jenkins_docker.loading.loader import load

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
    target = _open_target(opts, require_remote=True)
    failed = 0
    try:
        # Pipeline build jobs take the CASCADE parameter (see rendering/renderer.py); a rebuild asked for by
        # hand cascades like a push does.
        parameters = {"CASCADE": "true"} if inventory.jenkins.job_type == "pipeline" else None
        for job in jobs:
            try:
                where = target.build(job, parameters)
                click.echo(f"queued {job}" + (f" ({where})" if where else ""))
            except JenkinsDockerError as exc:
                failed += 1
                console.error(str(exc))
    finally:
        target.close()
    for node in sorted(set(nodes) - set(queue)):
        click.echo(f"not queued {graph.job(node)}: it is built from {', '.join(sorted(graph.ancestors(node) & set(queue)))}, "
                   "so the cascade rebuilds it (once, after its parents)")
    waves = graph.waves(queue)[1:]
    for number, wave in enumerate(waves, start=1):
        click.echo(f"then the cascade builds, wave {number}: {', '.join(str(graph.job(node)) for node in wave)}")
    print(f"{len(jobs) - failed} build{'s' * (len(jobs) - failed != 1)} queued; the cascade rebuilds "
          f"{sum(len(wave) for wave in waves)} dependent images after them.", file=sys.stderr)
    return 1 if failed else 0
