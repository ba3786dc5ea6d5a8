"""The Jenkins plugins the rendered jobs need, checked against a controller before any write.

Jenkins loads a config.xml whose classes come from a plugin that is not installed by dropping
those elements with a log line only, and still answers 200 (jenkinsci/jenkins
``hudson/util/RobustCollectionConverter.java``): a missing plugin would show as the same diff on
every plan, forever. So :func:`check` reads the installed plugins in one request
(``pluginManager/api/json?tree=plugins[shortName,version,active]``) and refuses, in one line,
before anything is written.

The one table of what is needed is ``plugins.yml`` next to the bundled templates: each plugin's
minimum version, which jobs need it, and the strings (class names, root elements, Pipeline
steps) whose presence in a rendered config makes it required.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

import yaml

from jenkins_docker.errors import TargetError
from jenkins_docker.rendering.renderer import Item, bundled_templates

TABLE_FILE = "plugins.yml"


@dataclass(frozen=True)
class Requirement:
    """One plugin the jobs may need: ``plugin`` at ``version`` or newer, for ``purpose``."""

    plugin: str
    version: str
    purpose: str
    uses: tuple[str, ...]

    def needed_by(self, jobs: Iterable[Item]) -> bool:
        """True when a rendered config uses this plugin."""
        return any(marker in job.xml for job in jobs for marker in self.uses)


@dataclass(frozen=True)
class Installed:
    """A plugin as the controller reports it."""

    version: str
    active: bool


@functools.lru_cache(maxsize=1)
def requirements() -> tuple[Requirement, ...]:
    """The table of ``plugins.yml``, in file order."""
    data = yaml.safe_load((bundled_templates() / TABLE_FILE).read_text(encoding="utf-8"))
    return tuple(Requirement(name, str(entry["version"]), entry["for"], tuple(entry["uses"]))
                 for name, entry in data.items())


def required(jobs: Iterable[Item]) -> list[Requirement]:
    """The plugins (with minimum versions) that these rendered jobs need."""
    jobs = list(jobs)
    return [r for r in requirements() if r.needed_by(jobs)]


def version_key(version: str) -> tuple[int, ...]:
    """The leading dotted numbers of a plugin version: ``806.vf6fff3e28c3e`` -> ``(806,)``.

    Jenkins plugin versions are either ``major.minor.patch`` or the incrementals form
    ``<build>.v<commit>``; comparing their leading numbers orders both.
    """
    numbers = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(n) for n in numbers.group(0).split(".")) if numbers else ()


def problems(needed: Iterable[Requirement], installed: Mapping[str, Installed]) -> list[str]:
    """One phrase per needed plugin that is missing, inactive or too old."""
    out = []
    for req in needed:
        have = installed.get(req.plugin)
        if have is None:
            state = "none"
        elif not have.active:
            state = f"{have.version}, disabled"
        elif version_key(have.version) < version_key(req.version):
            state = have.version
        else:
            continue
        out.append(f"{req.plugin} >= {req.version} for {req.purpose} (installed: {state})")
    return out


def check(jobs: Iterable[Item], installed: Mapping[str, Installed] | None, where: str) -> None:
    """Raise one :class:`TargetError` naming every plugin the jobs need that ``installed`` lacks.

    ``installed`` is None when the target cannot say (a JENKINS_HOME, or no permission to read
    the plugin list): nothing is checked then.
    """
    if installed is None:
        return
    found = problems(required(jobs), installed)
    if found:
        raise TargetError(f"Jenkins at {where} lacks plugins, nothing was written: {'; '.join(found)}")
