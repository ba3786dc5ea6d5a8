"""The ``webhooks`` command: each repository's GitLab webhook, listed or applied."""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import click

from jenkins_docker.cli import console
from jenkins_docker.cli.options import check_server_url, option_name, read_secret
from jenkins_docker.cli.plan import SYMBOLS as PLAN_SYMBOLS
from jenkins_docker.errors import UsageError
from jenkins_docker.redact import IN_USE, redact_url

if TYPE_CHECKING:
    from jenkins_docker.sync.webhooks import HookPlan, HookResult, Webhook

_SYMBOLS = {"created": ("+", "green"), "updated": ("~", "yellow"), "unchanged": ("=", None), "stale": ("?", "yellow"),
            "skipped": (".", None),
            "deleted": ("-", "red"), "failed": ("!", "red")}


def webhooks_command(path: str, *, jenkins_url: str | None, fmt: str, apply_hooks: bool, gitlab_url: str | None,
                     secret_token_file: str | None, rotate_token: bool, prune: bool = False, dry_run: bool = False) -> int:
    """List the hooks; with ``apply_hooks``, make GitLab have them (and report stale ones, or
    delete them with ``prune``); with ``dry_run`` too, show the plan and write nothing.
    Exit 1 when any hook failed; stale hooks are not a failure."""
    from jenkins_docker.loading.loader import load
    from jenkins_docker.sync.webhooks import HookScope, apply_hook_plan, connect_gitlab, plan_webhooks, webhooks

    if not jenkins_url:
        raise UsageError("no Jenkins URL: pass --jenkins URL (or set JENKINS_URL), the address GitLab reaches Jenkins at")
    check_server_url(jenkins_url, option=option_name("jenkins_url", "--jenkins", "JENKINS_URL"),
                     credentials_go="the hooks' secret token (--secret-token-file or JENKINS_WEBHOOK_TOKEN), which GitLab sends "
                                    "in a header", what="Jenkins", secret="the hooks' secret token")
    private_token = secret_token = None
    if apply_hooks:
        if not gitlab_url:
            raise UsageError("--apply needs --gitlab URL (or GITLAB_URL)")
        check_server_url(gitlab_url, option=option_name("gitlab_url", "--gitlab", "GITLAB_URL"), credentials_go="GITLAB_TOKEN",
                         what="GitLab", secret="GITLAB_TOKEN")
        private_token = os.environ.get("GITLAB_TOKEN")
        IN_USE.add(private_token)  # never in our logs
        if not private_token:
            raise UsageError("--apply needs a GitLab access token in the GITLAB_TOKEN variable "
                             "(scope api, Maintainer of each project); it is never read from an argument")
        secret_token = read_secret(secret_token_file, "--secret-token-file", "JENKINS_WEBHOOK_TOKEN")
        if rotate_token and not secret_token:
            raise UsageError("--rotate-token needs a secret token: --secret-token-file FILE or JENKINS_WEBHOOK_TOKEN")
    elif rotate_token:
        raise UsageError("--rotate-token is only used with --apply")
    elif prune:
        raise UsageError("--prune is only used with --apply: it deletes stale hooks that --apply finds")
    elif dry_run:
        raise UsageError("--dry-run is only used with --apply: without --apply, nothing is written anyway")

    inventory = load(path)
    if not inventory.jenkins.gitlab_connection:
        console.warn(f"{path}: jenkins.gitlab_connection is not set, so the jobs have no GitLab push trigger "
                     "and these hooks will not start builds")
    hooks = webhooks(inventory, jenkins_url)
    if not apply_hooks:
        _print_hooks(hooks, fmt)
        return 0
    assert gitlab_url is not None and private_token is not None
    client = connect_gitlab(gitlab_url, private_token)
    plan = plan_webhooks(hooks, client, secret_token=secret_token, rotate_token=rotate_token,
                         scope=HookScope(jenkins_url, inventory.jenkins.folder, inventory.jenkins.owner), prune=prune)
    if dry_run:
        _print_plan(plan, fmt)
        return 1 if plan.failed else 0
    results = apply_hook_plan(plan, client, secret_token=secret_token)
    _print_results(results, gitlab_url, fmt)
    return 1 if any(r.status == "failed" for r in results) else 0


def _print_plan(plan: HookPlan, fmt: str) -> None:
    """What --apply would do, in a job plan's words: create, update, delete, unchanged, failed."""
    from jenkins_docker.sync.webhooks import HookChange

    if fmt == "json":
        click.echo(json.dumps(plan.to_json(), indent=2))
        return
    for step in plan.steps:
        if isinstance(step, HookChange):
            symbol, colour = PLAN_SYMBOLS[step.action]
            click.echo(console.style(f"{symbol} {step.action} {step.hook.project}: {step.hook.url}", fg=colour, bold=True))
        elif step.status in ("failed", "stale", "skipped"):
            mark, fg = _SYMBOLS[step.status]
            why = step.error or step.note
            line = f"{mark} {step.status} {step.hook.project or step.hook.repository}: {step.hook.url}" + (f" ({why})" if why else "")
            click.echo(console.style(line, fg=fg) if fg else line)
    counts = {action: sum(1 for c in plan.changes if c.action == action) for action in ("create", "update", "delete")}
    stale = len(plan.results("stale"))
    click.echo(f"Plan for the webhooks on {plan.gitlab_url}: {counts['create']} to create, {counts['update']} to update, "
               f"{counts['delete']} to delete, {len(plan.results('unchanged'))} unchanged"
               + (f", {stale} stale (kept; --prune deletes the ones marked as this inventory's)" if stale else "")
               + (f", {len(plan.failed)} failed" if plan.failed else "") + ".")


def _print_hooks(hooks: list[Webhook], fmt: str) -> None:
    """The hooks, grouped by repository, for people or as the JSON document."""
    if fmt == "json":
        click.echo(json.dumps({"hooks": [h.to_json() for h in hooks]}, indent=2))
        return
    repository = None
    for hook in hooks:
        if hook.repository != repository:
            repository = hook.repository
            project = hook.project or "not a GitLab project URL"
            click.echo(f"{console.style(project, bold=True)} ({repository})")
        click.echo(f"  {hook.url}")
    repositories = len({h.repository for h in hooks})
    click.echo(f"{len(hooks)} hook{'s' * (len(hooks) != 1)} on {repositories} repositor{'ies' if repositories != 1 else 'y'}: "
               "add each in the project's Settings > Webhooks with Push events, or run again with --apply --gitlab URL.")


def _print_results(results: list[HookResult], gitlab_url: str, fmt: str) -> None:
    """What --apply did to each hook, and a summary."""
    if fmt == "json":
        click.echo(json.dumps({"hooks": [r.to_json() for r in results]}, indent=2))
        return
    for result in results:
        symbol, colour = _SYMBOLS[result.status]
        where = f"{result.hook.project or result.hook.repository}: {result.hook.url}"
        why = result.error or result.note
        line = f"{symbol} {result.status} {where}" + (f" ({why})" if why else "")
        click.echo(console.style(line, fg=colour, bold=result.status == "failed") if colour else line)
    counts = {s: sum(1 for r in results if r.status == s) for s in _SYMBOLS}
    click.echo(f"Webhooks on {redact_url(gitlab_url)}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
               + (f", {counts['stale']} stale (kept; --prune deletes them)" if counts["stale"] else "")
               + (f", {counts['deleted']} deleted" if counts["deleted"] else "")
               + (f", {counts['skipped']} skipped (repository on another server)" if counts["skipped"] else "")
               + (f", {counts['failed']} failed (run again to retry)" if counts["failed"] else "") + ".")
