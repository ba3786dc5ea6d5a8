"""A JENKINS_HOME directory as a sync target: the embedded default, no server needed.

Jobs live at ``jobs/<name>/config.xml``; a folder's items at ``jobs/<folder>/jobs/<name>``.
Every write goes to a temporary file in the same directory and is renamed over the old one, so a
reader (or a Jenkins started on this directory) sees either the old or the new config, never a
half-written one.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from jenkins_docker.errors import JobError, TargetError
from jenkins_docker.targets import LiveItem, kind_of_xml
from jenkins_docker.xmlcompare import XMLError, parse


def item_dir(home: Path, full_name: str) -> Path:
    """The directory of item ``full_name`` inside JENKINS_HOME ``home``."""
    path = home
    for part in full_name.split("/"):
        path = path / "jobs" / part
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it and a rename.

    The temporary name is unique per process and thread (each sync worker writes other items),
    which costs less than ``mkstemp``'s random names when thousands of files are written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
        self._scan(self.home, "", depth, items)
        return items

    def _scan(self, parent: Path, prefix: str, depth: int, items: list[LiveItem]) -> None:
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
            items.append(LiveItem(full, kind, root.findtext("description") or ""))
            if kind == "folder":
                self._scan(entry, full + "/", depth - 1, items)

    def read_config(self, full_name: str) -> str:
        try:
            return (item_dir(self.home, full_name) / "config.xml").read_text(encoding="utf-8")
        except OSError as exc:
            raise JobError(full_name, f"cannot read config.xml: {exc.strerror or exc}") from None

    def create(self, full_name: str, xml: str) -> None:
        directory = item_dir(self.home, full_name)
        if "/" in full_name and not (directory.parent.parent / "config.xml").is_file():
            raise JobError(full_name, "its folder does not exist")
        self._write(full_name, xml)

    def update(self, full_name: str, xml: str) -> None:
        self._write(full_name, xml)

    def _write(self, full_name: str, xml: str) -> None:
        try:
            write_atomically(item_dir(self.home, full_name) / "config.xml", xml)
        except OSError as exc:
            raise JobError(full_name, f"cannot write config.xml: {exc.strerror or exc}") from None

    def delete(self, full_name: str) -> None:
        directory = item_dir(self.home, full_name)
        # Rename first, then remove: the item disappears at once, never half-deleted.
        doomed = directory.with_name(f".{directory.name}.deleting")
        try:
            os.replace(directory, doomed)
            shutil.rmtree(doomed)
        except OSError as exc:
            raise JobError(full_name, f"cannot delete: {exc.strerror or exc}") from None

    def read_view(self, name: str) -> str | None:
        raise TargetError(
            "a JENKINS_HOME target cannot hold a top-level view (it lives in Jenkins's own config.xml); "
            "set `jenkins.folder` to get the view inside the folder")

    def write_view(self, name: str, xml: str, *, create: bool) -> None:
        self.read_view(name)

    def close(self) -> None:
        """Nothing to release."""
