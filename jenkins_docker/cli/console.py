"""How the command line talks to people: colour only on a terminal, progress on stderr.

Machine output (``--format json``) goes to stdout untouched; everything for people (progress,
notes, errors) goes to stderr, so ``jenkins-docker plan ... --format json | jq`` always works.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO, Any

import click


def colour_enabled(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    forced = color_override()
    return forced if forced is not None else _is_terminal(stream)


def color_override() -> bool | None:
    """What click should do with ANSI styles: forced on, forced off, or ``None`` to detect a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return None


def _is_terminal(stream: IO[str]) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def style(text: str, stream: IO[str] | None = None, **kwargs: Any) -> str:
    """``click.style`` when ``stream`` (stdout by default) is a colour terminal, else the text."""
    return click.style(text, **kwargs) if colour_enabled(stream or sys.stdout) else text


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print to stdout, or to stderr with ``err``."""
    click.echo(text, err=err, nl=nl)


def error(message: str) -> None:
    """One error line on stderr: ``jenkins-docker: error: ...``."""
    prefix = style("error:", sys.stderr, fg="red", bold=True)
    click.echo(f"jenkins-docker: {prefix} {message}", err=True)


def warn(message: str) -> None:
    """One warning line on stderr."""
    prefix = style("warning:", sys.stderr, fg="yellow", bold=True)
    click.echo(f"{prefix} {message}", err=True)


class Progress:
    """A one-line progress counter on stderr; silent unless stderr is a terminal and ``enabled``.

    Thread-safe: workers call :meth:`advance` as they finish items.
    """

    def __init__(self, label: str, total: int, *, enabled: bool = True) -> None:
        self.label = label
        self.done = 0
        self._wanted = enabled
        self._lock = threading.Lock()
        self._last = 0.0
        self.expect(total)

    def expect(self, total: int) -> None:
        """Set the number of items to count (when it is known only once the work starts)."""
        self.total = total
        self.enabled = self._wanted and total > 0 and _is_terminal(sys.stderr)

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items done and redraw at most ten times a second."""
        with self._lock:
            self.done += count
            now = time.monotonic()
            if self.enabled and (now - self._last > 0.1 or self.done >= self.total):
                self._last = now
                width = 30
                filled = int(width * min(self.done, self.total) / self.total)
                sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
                sys.stderr.flush()

    def close(self) -> None:
        """End the progress line."""
        if self.enabled and self.done:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
