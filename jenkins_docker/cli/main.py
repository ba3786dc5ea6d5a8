"""The ``jenkins-docker`` command line: argument parsing only.

Each command parses its options here and calls a plain function in
the command's own module beside this one (``validate``, ``plan``, ``sync``, ...) that returns an exit code; :func:`main` turns every expected
error into one clean line and the documented exit code (0 ok, 1 inventory/target problem,
2 usage). Heavy modules are imported inside the commands, so ``--version`` and ``--help`` start
fast.
"""
from __future__ import annotations

import os
import sys
from typing import Any

import click

from jenkins_docker import __version__
from jenkins_docker.errors import InventoryError, JenkinsDockerError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

FORMAT_TEXT_JSON = click.Choice(["text", "json"])

# The path types, each made once and shared: every click.Path asks gettext for its name when made
# (a look-up of translation files each time), a measurable share of the command line's start-up.
_FILE = click.Path(dir_okay=False)
_DIR = click.Path(file_okay=False)
_EXISTING_FILE = click.Path(exists=True, dir_okay=False)
_EXISTING_DIR = click.Path(exists=True, file_okay=False)

# Options several commands share, each defined once (a click option decorator can be reused).
_format_option = click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True, help="Output format.")
_templates_option = click.option("--templates", type=_EXISTING_DIR,
                                 help="Directory of job templates searched before the bundled ones.")
_prune_option = click.option("--prune", is_flag=True, help="Also delete this inventory's jobs (its owner's) that left it; "
                             "without a folder, needs jenkins.owner.")
_adopt_option = click.option("--adopt", is_flag=True, help="Take over hand-made jobs (and first-release ones) that have a job's "
                             "name; never another inventory's. Without a folder, needs jenkins.owner.")
_webhook_token_option = click.option(
    "--webhook-token-file", type=_EXISTING_FILE, metavar="FILE",
    help="File holding the GitLab webhook secret token written into every push trigger "
         "(default: the JENKINS_WEBHOOK_TOKEN variable); the same token `webhooks --apply` sets in GitLab.")
_fast_option = click.option("--fast", is_flag=True,
                            help="Trust the digest in each job's ownership line: read only the jobs whose rendered config "
                                 "changed (edits made in the Jenkins UI since the last sync are not seen).")
_workers_option = click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True, help="Concurrent requests.")


def _target_options(func: Any) -> Any:
    """--jenkins / --jenkins-home and the credential options shared by plan, sync and rebuild."""
    options = [
        click.option("--jenkins", "jenkins_url", metavar="URL", envvar="JENKINS_URL", help="Jenkins controller URL (or JENKINS_URL)."),
        click.option("--jenkins-home", type=_DIR, metavar="DIR", help="A JENKINS_HOME directory to write instead of a live controller."),
        click.option("--user", envvar="JENKINS_USER", metavar="NAME", help="Jenkins user (or JENKINS_USER)."),
        click.option("--token-file", type=_EXISTING_FILE, metavar="FILE",
                     help="File holding the user's API token (default: the JENKINS_API_TOKEN variable). Never pass a token as an argument."),
        click.option("--ca-bundle", type=_EXISTING_FILE, metavar="FILE", help="CA bundle to verify Jenkins's TLS certificate."),
        click.option("--insecure", is_flag=True, help="Do not verify TLS certificates (not recommended)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


#: Commands that never log a warning or an error: without -v they skip configuring logging, and
#: importing it (tests/test_imports.py checks that validate and render never import it). At the
#: default level a configured handler would only ever print warnings and errors, so the output
#: is the same either way.
_LOG_FREE_COMMANDS = frozenset({"validate", "render", "schema", "graph", "impact"})


@click.group(context_settings=CONTEXT, epilog="Run 'jenkins-docker COMMAND --help' for a command's options and examples.")
@click.version_option(__version__, "-V", "--version", prog_name="jenkins-docker")
@click.option("-v", "--verbose", count=True, help="More log lines on stderr (-vv for HTTP details).")
def cli(verbose: int) -> None:
    """Keep Jenkins jobs that build Docker images in sync with one YAML inventory.

    \b
    A base-image rebuild rebuilds every image built FROM it, each exactly once, after its parents.
    \b
    Typical use:
      jenkins-docker validate inventory.yml
      jenkins-docker plan inventory.yml --jenkins https://jenkins.example.org
      jenkins-docker sync inventory.yml --jenkins https://jenkins.example.org --prune
    """
    if not verbose and click.get_current_context().invoked_subcommand in _LOG_FREE_COMMANDS:
        return
    import logging

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_redact_record)


def _redact_record(record: Any) -> bool:
    """The log handler's filter: each record through :class:`~jenkins_docker.redact.LogRedactor`,
    imported when the first line is logged (most commands log none)."""
    from jenkins_docker.redact import IN_USE, LogRedactor

    return LogRedactor(IN_USE).filter(record)


@cli.command(context_settings=CONTEXT)
@click.argument("inventories", metavar="INVENTORY...", nargs=-1, required=True, type=_FILE)
@_format_option
@click.option("-q", "--quiet", is_flag=True, help="Print errors only: no warnings, no summary.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1): for CI and pre-commit.")
def validate(inventories: tuple[str, ...], fmt: str, quiet: bool, strict: bool) -> int:
    """Check an inventory, offline: every problem as FILE:LINE:COL: message.

    The report (problems and the summary) goes to stdout.

    \b
    Examples:
      jenkins-docker validate inventory.yml
      jenkins-docker validate --strict -q inventory.yml
      jenkins-docker validate inventory.yml --format json | jq .errors
    Exit code: 0 valid (warnings allowed unless --strict), 1 problems found.
    """
    from jenkins_docker.cli.validate import validate_command

    return validate_command(inventories, fmt, quiet, strict=strict)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@click.option("--format", "fmt", type=click.Choice(["text", "dot", "mermaid", "json", "svg", "png"]), default="text", show_default=True,
              help="text: a tree; dot/mermaid: diagram sources; svg/png: a picture drawn by Graphviz's dot.")
@click.option("-o", "--output", type=_FILE, help="Write to this file instead of stdout.")
@click.option("--highlight", multiple=True, metavar="IMAGE", help="Colour IMAGE and everything its change rebuilds (dot/svg/png).")
def graph(inventory: str, fmt: str, output: str | None, highlight: tuple[str, ...]) -> int:
    """Print the dependency graph of the images.

    \b
    Examples:
      jenkins-docker graph inventory.yml
      jenkins-docker graph inventory.yml --format svg --highlight acme/nginx -o graph.svg
      jenkins-docker graph inventory.yml --format json | jq '.edges | length'
    """
    from jenkins_docker.cli.graph import graph_command

    return graph_command(inventory, fmt, output, highlight)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@click.argument("images", metavar="IMAGE...", nargs=-1, required=True)
@_format_option
def impact(inventory: str, images: tuple[str, ...], fmt: str) -> int:
    """Show what rebuilds when IMAGE... change, in build waves.

    IMAGE is an inventory key (acme/nginx) or any reference to an image of the graph
    (debian:bookworm, docker.io/library/debian:bookworm).

    \b
    Examples:
      jenkins-docker impact inventory.yml acme/nginx
      jenkins-docker impact inventory.yml debian:bookworm --format json | jq .jobs
    """
    from jenkins_docker.cli.impact import impact_command

    return impact_command(inventory, images, fmt)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@click.option("-o", "--output", "out_dir", required=True, type=_DIR, help="Directory to write (JENKINS_HOME layout).")
@_templates_option
def render(inventory: str, out_dir: str, templates: str | None) -> int:
    """Write every job's config.xml as DIR/jobs/<name>/config.xml.

    \b
    Examples:
      jenkins-docker render inventory.yml -o out/
      jenkins-docker render inventory.yml -o out/ --templates my-templates/
    """
    from jenkins_docker.cli.render import render_command

    return render_command(inventory, out_dir, templates)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@_target_options
@_prune_option
@_adopt_option
@_fast_option
@_workers_option
@_templates_option
@_webhook_token_option
@_format_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when nothing would change, 2 when changes are pending, 1 on error.")
def plan(inventory: str, **options: Any) -> int:
    """Show what sync would change, with a diff per job; changes nothing.

    \b
    Examples:
      jenkins-docker plan inventory.yml --jenkins-home ./jenkins-home
      JENKINS_URL=https://jenkins.example.org JENKINS_USER=ci JENKINS_API_TOKEN=... \\
        jenkins-docker plan inventory.yml --detailed-exitcode
    """
    from jenkins_docker.cli.plan import plan_command

    return plan_command(inventory, **options)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@_target_options
@_prune_option
@_adopt_option
@click.option("--dry-run", is_flag=True, help="Plan only: show what would change and write nothing.")
@_fast_option
@_workers_option
@_templates_option
@_webhook_token_option
@_format_option
def sync(inventory: str, **options: Any) -> int:
    """Make the target's jobs match the inventory.

    Only items whose description ends with this inventory's ownership line (its jenkins.owner,
    by default its folder) are ever changed; those that left the inventory are deleted only
    with --prune (plan lists them as orphans). A failed job does not stop the others; run again
    to converge.

    \b
    Examples:
      jenkins-docker sync inventory.yml --jenkins-home ./jenkins-home
      jenkins-docker sync inventory.yml --jenkins https://jenkins.example.org --prune --workers 16
      jenkins-docker sync inventory.yml --jenkins https://jenkins.example.org --webhook-token-file hook-token
      jenkins-docker sync inventory.yml --jenkins https://jenkins.example.org --fast   # CI on every push
    """
    from jenkins_docker.cli.sync import sync_command

    return sync_command(inventory, **options)


_insecure_registry_option = click.option(
    "--insecure-registry", "insecure_registries", multiple=True, metavar="HOST",
    help="Talk plain HTTP to this registry (repeatable); registries on loopback always may.")


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@_format_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when all is fresh, 2 when something is outdated, 1 on error.")
@_workers_option
@_insecure_registry_option
def outdated(inventory: str, fmt: str, detailed_exitcode: bool, workers: int, insecure_registries: tuple[str, ...]) -> int:
    """List the images built on a parent that has moved since, asking the registries.

    Each image's latest records the digest of every parent it was built from (labels written by
    its job); a parent whose tag now points elsewhere makes it outdated. Images never built or
    built before the labels existed are unknown, not outdated. Registry logins come from
    REGISTRY_<NAME>_USER / REGISTRY_<NAME>_PASSWORD (NAME: the inventory's registry name) or
    Docker's config.json.

    \b
    Examples:
      jenkins-docker outdated inventory.yml
      jenkins-docker outdated inventory.yml --format json | jq -r '.outdated[].image'
      jenkins-docker outdated inventory.yml --detailed-exitcode || echo "rebuild needed"
    Exit code: 0 fresh (or outdated without --detailed-exitcode), 1 a registry could not be asked,
    2 something is outdated (--detailed-exitcode).
    """
    from jenkins_docker.cli.outdated import outdated_command

    return outdated_command(inventory, fmt, detailed_exitcode, workers, insecure_registries)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@click.argument("images", metavar="[IMAGE...]", nargs=-1)
@click.option("--outdated", "outdated_only", is_flag=True,
              help="Queue the outdated images (see `outdated`) that are not below another outdated image.")
@_workers_option
@_insecure_registry_option
@_target_options
def rebuild(inventory: str, images: tuple[str, ...], outdated_only: bool, workers: int, insecure_registries: tuple[str, ...], **options: Any) -> int:
    """Queue builds of the jobs of IMAGE... (or of the outdated images); the cascade rebuilds their dependents.

    \b
    Examples:
      jenkins-docker rebuild inventory.yml acme/nginx --jenkins https://jenkins.example.org
      jenkins-docker rebuild --outdated inventory.yml --jenkins https://jenkins.example.org
    """
    from jenkins_docker.cli.rebuild import rebuild_command

    if outdated_only:
        if images:
            raise click.UsageError("give IMAGE... or --outdated, not both")
        from jenkins_docker.cli.options import open_target
        from jenkins_docker.cli.rebuild import rebuild_outdated_command

        target = open_target(options["jenkins_url"], options["jenkins_home"], options["user"], options["token_file"],
                             options["ca_bundle"], options["insecure"], require_remote=True)
        return rebuild_outdated_command(inventory, workers, insecure_registries, target)
    if not images:
        raise click.UsageError("name the images to rebuild, or pass --outdated")
    return rebuild_command(inventory, images, **options)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@_target_options
@_format_option
def status(inventory: str, fmt: str, **options: Any) -> int:
    """Each image's last build on Jenkins, when, and whether it is behind a parent.

    An image is behind when a parent's last successful build is newer than its own: a cascade
    that failed or never ran. Reads every job's last builds in one request.

    \b
    Examples:
      jenkins-docker status inventory.yml --jenkins https://jenkins.example.org
      jenkins-docker status inventory.yml --format json | jq -r '.images[] | select(.behind != []) | .image'
    """
    from jenkins_docker.cli.options import open_target
    from jenkins_docker.cli.status import status_command

    target = open_target(options["jenkins_url"], options["jenkins_home"], options["user"], options["token_file"],
                         options["ca_bundle"], options["insecure"], require_remote=True)
    return status_command(inventory, fmt, target)


@cli.command(context_settings=CONTEXT)
@click.argument("inventory", type=_FILE)
@click.option("--jenkins", "jenkins_url", metavar="URL", envvar="JENKINS_URL", help="Jenkins URL as GitLab reaches it (or JENKINS_URL).")
@_format_option
@click.option("--apply", "apply_hooks", is_flag=True, help="Create or update the hooks in GitLab (access token from GITLAB_TOKEN).")
@click.option("--gitlab", "gitlab_url", metavar="URL", envvar="GITLAB_URL", help="GitLab URL, for --apply (or GITLAB_URL).")
@click.option("--webhook-token-file", "--secret-token-file", "secret_token_file", type=_EXISTING_FILE, metavar="FILE",
              help="File holding the hooks' secret token (default: the JENKINS_WEBHOOK_TOKEN variable, if set); "
                   "the same token sync writes into the jobs' push triggers.")
@click.option("--rotate-token", is_flag=True, help="Also rewrite the secret token of hooks that are otherwise up to date (GitLab never shows it).")
@click.option("--prune", is_flag=True, help="With --apply, delete stale hooks: those calling a job of the inventory's folder that no job needs.")
@click.option("--dry-run", is_flag=True, help="With --apply, read GitLab and show what would change (create, update, delete); write nothing.")
def webhooks(inventory: str, **options: Any) -> int:
    """List the GitLab webhook of each repository's jobs; --apply creates or updates them.

    A hook calls JENKINS_URL/project/<job>, where the jobs' GitLab push trigger listens (set
    jenkins.gitlab_connection). --apply is idempotent: a second run changes nothing.
    It also reports stale hooks (calling a job of the inventory's folder on this Jenkins
    that no job needs any more) without changing them; --prune deletes them.

    \b
    Examples:
      jenkins-docker webhooks inventory.yml --jenkins https://jenkins.example.org
      jenkins-docker webhooks inventory.yml --jenkins https://jenkins.example.org --format json | jq -r '.hooks[].url'
      GITLAB_TOKEN=... jenkins-docker webhooks inventory.yml --jenkins https://jenkins.example.org \\
        --apply --gitlab https://gitlab.example.org --secret-token-file hook-token --prune
      GITLAB_TOKEN=... jenkins-docker webhooks inventory.yml --jenkins https://jenkins.example.org \\
        --apply --gitlab https://gitlab.example.org --prune --dry-run --format json
    Exit code: 0 ok, 1 a hook failed (the others are still applied), 2 bad usage.
    """
    from jenkins_docker.cli.webhooks import webhooks_command

    return webhooks_command(inventory, **options)


@cli.command(context_settings=CONTEXT)
def schema() -> int:
    """Print the JSON Schema of the inventory, for editors.

    \b
    Examples:
      jenkins-docker schema > inventory.schema.json
      # then, first line of inventory.yml (YAML language server):
      # yaml-language-server: $schema=inventory.schema.json
    """
    from jenkins_docker.loading.schema import json_schema_text

    click.echo(json_schema_text(), nl=False)
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: a sync starts no new write and stops."""


def _stop_on_sigterm() -> None:
    import signal
    import threading

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)


def main(argv: list[str] | None = None) -> None:
    """Run the command line and exit with its code; expected errors print one line."""
    if argv is None:   # the program itself: see _collect_less_often
        _collect_less_often()
    from jenkins_docker.cli import console
    _stop_on_sigterm()
    try:
        code = cli.main(args=argv, prog_name="jenkins-docker", standalone_mode=False, color=console.color_override())
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt) as exc:  # click turns Ctrl-C into Abort
        console.error("interrupted (each job is either old or new; run again to converge)")
        code = 143 if isinstance(exc, Terminated) or isinstance(exc.__cause__, Terminated) else 130
    except click.ClickException as exc:
        exc.show()
        code = 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except InventoryError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        code = 1
    except JenkinsDockerError as exc:
        console.error(str(exc))
        code = exc.exit_code
    except BrokenPipeError:
        sys.stderr.close()
        code = 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("JENKINS_DOCKER_DEBUG"):
            raise
        console.error(f"internal error: {type(exc).__name__}: {exc} (set JENKINS_DOCKER_DEBUG=1 for the traceback, and please report it)")
        code = 1
    if argv is None:   # the program itself (not a caller passing its own arguments) is about to end
        _skip_exit_collection()
    sys.exit(code if isinstance(code, int) else 0)


#: The number of new objects between two collections of the youngest generation while a command
#: runs (Python's default is 700, set for long-lived programs that build little at a time).
_YOUNG_COLLECTION_EVERY = 50_000


def _collect_less_often() -> None:
    """Collect garbage less often than Python's default, for a short program that mostly builds.

    A command imports its libraries (PyYAML, Jinja2, requests...) and builds the inventory and
    the jobs: objects that live until it ends, which the default thresholds make the collector
    walk tens of times (a few percent of a short command's CPU, the larger share of ``render``'s
    garbage collection). Cycles are still collected, fifty thousand objects apart; the loader
    pauses collection while it loads anyway.
    """
    import gc

    _, older, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY, older, oldest)


def _skip_exit_collection() -> None:
    """Spare the interpreter's exit a garbage collection over everything the command imported.

    At exit Python clears every module and collects the cycles that leaves; with click, PyYAML,
    Jinja2 (and requests) loaded that walk is a tenth of a short command's CPU. Frozen objects
    (:func:`gc.freeze`) are left out of it, and the process's memory goes back to the system
    anyway. Nothing is lost: threads were joined and files closed by the command itself, and
    Python flushes stdout and stderr and runs the ``atexit`` handlers before it collects.
    """
    import gc

    gc.freeze()
