"""What several commands do with their options: read a secret from a file or the environment, check a server URL."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from jenkins_docker.cli import console
from jenkins_docker.errors import UsageError

_warned_plain_http: set[str] = set()


def read_secret(path: str | None, option: str, variable: str) -> str | None:
    """A secret from the file ``path`` (given as ``option``) or else the environment ``variable``.

    Secrets never come from a plain command-line argument, where ``ps`` and shell history would
    show them; an empty file is a usage error rather than an empty password.
    """
    if path:
        secret = Path(path).read_text(encoding="utf-8").strip()
        if not secret:
            raise UsageError(f"{option} {path} is empty")
    else:
        secret = os.environ.get(variable) or ""
    if not secret:
        return None
    from jenkins_docker.redact import IN_USE

    IN_USE.add(secret, user=os.environ.get("JENKINS_USER"))  # never in our logs, in any form
    return secret


def check_server_url(url: str, *, option: str, credentials_go: str, what: str, secret: str) -> None:
    """Refuse a server URL holding credentials (saying they go in ``credentials_go``), and warn
    once per URL when it is plain ``http://`` to another machine, where ``secret`` travels in clear."""
    from jenkins_docker.cli import console
    from jenkins_docker.redact import refuse_userinfo
    from jenkins_docker.safe_http import plain_http_warning

    refuse_userinfo(url, option, credentials_go)
    warning = plain_http_warning(url, what, secret)
    if warning and url not in _warned_plain_http:
        _warned_plain_http.add(url)
        console.warn(warning)


def option_name(parameter: str, option: str, variable: str) -> str:
    """How the user gave ``parameter``: ``option`` on the command line or the environment ``variable``."""
    import click

    ctx = click.get_current_context(silent=True)
    from_env = ctx is not None and ctx.get_parameter_source(parameter) == click.core.ParameterSource.ENVIRONMENT
    return variable if from_env else option


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


def target_from(opts: dict[str, Any], *, require_remote: bool = False) -> Any:
    """The target of a command's target options (``cli._target_options``)."""
    return open_target(opts["jenkins_url"], opts["jenkins_home"], opts["user"], opts["token_file"], opts["ca_bundle"],
                       opts["insecure"], require_remote=require_remote)


def webhook_token(path: str | None) -> str | None:
    """The GitLab webhook secret token: ``--webhook-token-file`` or ``JENKINS_WEBHOOK_TOKEN``."""
    return read_secret(path, "--webhook-token-file", "JENKINS_WEBHOOK_TOKEN")


def warn_without_webhook_token(inventory: Any, token: str | None) -> None:
    """Warn once when the jobs get GitLab push triggers but no secret token to check."""
    if inventory.jenkins.gitlab_connection and not token:
        console.warn(f"{inventory.path}: no GitLab webhook token (JENKINS_WEBHOOK_TOKEN or --webhook-token-file): "
                     "a push trigger without one refuses GitLab's hooks (403) unless anonymous may build; "
                     "sync keeps a token already set on a job")
