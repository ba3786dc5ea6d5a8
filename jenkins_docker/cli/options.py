"""What several commands do with their options: read a secret from a file or the environment, check a server URL."""
from __future__ import annotations

import os
from pathlib import Path

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
