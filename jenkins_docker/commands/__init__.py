"""One module per group of commands: plain functions from parsed options to an exit code."""
from __future__ import annotations

import os
from pathlib import Path

from jenkins_docker.errors import UsageError


def read_secret(path: str | None, option: str, variable: str) -> str | None:
    """A secret from the file ``path`` (given as ``option``) or else the environment ``variable``.

    Secrets never come from a plain command-line argument, where ``ps`` and shell history would
    show them; an empty file is a usage error rather than an empty password.
    """
    if path:
        secret = Path(path).read_text(encoding="utf-8").strip()
        if not secret:
            raise UsageError(f"{option} {path} is empty")
        return secret
    return os.environ.get(variable) or None
