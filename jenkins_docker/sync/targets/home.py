"""A JENKINS_HOME directory as a sync target: the embedded default, no server needed.

Jobs live at ``jobs/<name>/config.xml``; a folder's items at ``jobs/<folder>/jobs/<name>``.
Every write goes to a temporary file in the same directory and is renamed over the old one, so a
reader (or a Jenkins started on this directory) sees either the old or the new config, never a
half-written one.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from jenkins_docker.errors import JobError, TargetError
from jenkins_docker.ownership import classify
from jenkins_docker.rendering.files import item_dir, write_atomically
from jenkins_docker.sync.targets import LiveItem, kind_of_xml
from jenkins_docker.sync.xmlcompare import XMLError, parse

log = logging.getLogger(__name__)


#: Where deleted items are moved before they are removed: outside ``jobs/``, so a removal that
#: fails half-way leaves nothing Jenkins would load as a job.
TRASH = ".jenkins-docker-trash"

# The first release deleted by renaming an item to ``.<name>.deleting`` inside ``jobs/``.
_LEFTOVER = re.compile(r"^\..+\.deleting$")


class JenkinsHome:
    """A JENKINS_HOME directory (created if missing)."""

    def __init__(self, home: str | os.PathLike[str]) -> None:
        self.home = Path(home)
        self.label = str(self.home)
        if self.home.exists() and not self.home.is_dir():
            raise TargetError(f"JENKINS_HOME {self.label} is not a directory")

    def installed_plugins(self) -> None:
        """A JENKINS_HOME's plugins are not checked (it may be written before they are installed)."""
        return None

    def list_items(self, depth: int) -> list[LiveItem]:
        items: list[LiveItem] = []
        leftovers: list[str] = []
        self._scan(self.home, "", depth, items, leftovers)
        if leftovers:
            raise TargetError(
                f"JENKINS_HOME {self.label} holds half-deleted items left by an earlier sync, which Jenkins would load "
                f"as jobs: {', '.join(leftovers)}; remove those directories and run again")
        return items

    def _scan(self, parent: Path, prefix: str, depth: int, items: list[LiveItem], leftovers: list[str]) -> None:
        jobs = parent / "jobs"
        if depth < 1 or not jobs.is_dir():
            return
        for entry in sorted(jobs.iterdir()):
            config = entry / "config.xml"
            if not config.is_file():
                continue
            full = f"{prefix}{entry.name}"
            try:
                root = parse(config.read_text(encoding="utf-8"))
            except (XMLError, UnicodeDecodeError):
                items.append(LiveItem(full, "other", ""))
                continue
            kind = kind_of_xml(root.tag)
            description = root.findtext("description") or ""
            if _LEFTOVER.match(entry.name) and classify(description, None).status != "hand-made":
                leftovers.append(str(entry.relative_to(self.home)))
            items.append(LiveItem(full, kind, description))
            if kind == "folder":
                self._scan(entry, full + "/", depth - 1, items, leftovers)

    def _dir(self, full_name: str) -> Path:
        """The item's directory, refused when a symlink would lead out of JENKINS_HOME."""
        directory = item_dir(self.home, full_name)
        home = self.home.resolve()
        if not directory.resolve().is_relative_to(home):
            raise JobError(full_name, f"{directory} leads out of JENKINS_HOME through a symlink; not touched")
        return directory

    def read_config(self, full_name: str) -> str:
        try:
            return (self._dir(full_name) / "config.xml").read_text(encoding="utf-8")
        except OSError as exc:
            raise JobError(full_name, f"cannot read config.xml: {exc.strerror or exc}") from None

    def create(self, full_name: str, xml: str) -> None:
        directory = self._dir(full_name)
        if "/" in full_name and not (directory.parent.parent / "config.xml").is_file():
            raise JobError(full_name, "its folder does not exist")
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            directory.mkdir()  # never into an existing directory: that is someone's item, or its remains
        except FileExistsError:
            raise JobError(full_name, f"{directory} already exists (an item the listing could not read?); not overwritten") from None
        except OSError as exc:
            raise JobError(full_name, f"cannot create {directory}: {exc.strerror or exc}") from None
        self._write(full_name, xml)

    def update(self, full_name: str, xml: str) -> None:
        self._write(full_name, xml)

    def _write(self, full_name: str, xml: str) -> None:
        try:
            write_atomically(self._dir(full_name) / "config.xml", xml)
        except OSError as exc:
            raise JobError(full_name, f"cannot write config.xml: {exc.strerror or exc}") from None

    def delete(self, full_name: str) -> None:
        directory = self._dir(full_name)
        if directory.is_symlink():
            raise JobError(full_name, f"{directory} is a symlink; not deleted")
        # Move it out of jobs/ first, then remove it: the item disappears at once, and a removal
        # that fails half-way leaves only files Jenkins never loads.
        trash = self.home / TRASH
        try:
            trash.mkdir(exist_ok=True)
            doomed = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=trash))
            os.replace(directory, doomed / directory.name)
        except OSError as exc:
            raise JobError(full_name, f"cannot delete: {exc.strerror or exc}") from None
        try:
            shutil.rmtree(doomed)
        except OSError as exc:
            log.warning("%s: deleted, but removing its files from %s failed (%s); remove them by hand",
                        full_name, doomed, exc.strerror or exc)

    def read_view(self, name: str) -> str | None:
        raise TargetError(
            "a JENKINS_HOME target cannot hold a top-level view (it lives in Jenkins's own config.xml); "
            "set `jenkins.folder` to get the view inside the folder")

    def write_view(self, name: str, xml: str, *, create: bool) -> None:
        self.read_view(name)

    def close(self) -> None:
        """Nothing to release."""
