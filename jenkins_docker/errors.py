"""The exceptions jenkins-docker raises, and the located problems an inventory can have.

Every expected failure is a :class:`JenkinsDockerError`; the command line turns each into one
clean line and an exit code (see :mod:`jenkins_docker.cli.main`), so no command prints a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in an inventory, at a location."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def to_json(self) -> dict[str, object]:
        """The shape of one entry of ``validate --format json``'s ``errors``/``warnings``."""
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "message": self.message,
        }


class JenkinsDockerError(Exception):
    """Base class of every error jenkins-docker raises on purpose."""

    exit_code = 1


class InventoryError(JenkinsDockerError):
    """The inventory is invalid; ``problems`` holds every problem found, in file order."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems = sorted(problems, key=lambda p: (p.location, p.message))
        self.warnings = list(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))


class TargetError(JenkinsDockerError):
    """The target (a Jenkins controller or a JENKINS_HOME) refused, failed or is unreachable."""


class JobError(TargetError):
    """One job could not be written; ``job`` is its full name."""

    def __init__(self, job: str, message: str) -> None:
        self.job = job
        self.message = message
        super().__init__(f"{job}: {message}")


class UsageError(JenkinsDockerError):
    """The command was called wrongly (exit code 2)."""

    exit_code = 2
