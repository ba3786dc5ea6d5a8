"""Where jobs are synced to: a live Jenkins controller, or a JENKINS_HOME directory on disk.

Both targets offer the same small interface (:class:`Target`), so planning and applying a sync
do not care which one they talk to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Mapping, Protocol

if TYPE_CHECKING:
    from jenkins_docker.sync.plugins import Installed

ItemKind = Literal["folder", "freestyle", "pipeline", "other"]

#: Root element of each kind of item we render, and the kind it means.
ROOT_KINDS: dict[str, ItemKind] = {
    "project": "freestyle",
    "flow-definition": "pipeline",
    "com.cloudbees.hudson.plugins.folder.Folder": "folder",
}


@dataclass(frozen=True)
class LiveItem:
    """An item that exists on the target, as the listing shows it."""

    full_name: str
    kind: ItemKind
    description: str


class Target(Protocol):
    """What planning and syncing need from a place that holds jobs.

    Implementations must be safe to call from several threads at once (the remote target keeps
    one HTTP client per thread).
    """

    label: str

    def installed_plugins(self) -> "Mapping[str, Installed] | None":
        """The installed plugins by short name, or None when the target cannot tell."""

    def list_items(self, depth: int) -> list[LiveItem]:
        """Every item down to ``depth`` folder levels (1 = top level only), in one read where possible."""

    def read_config(self, full_name: str) -> str:
        """The item's config.xml as the target returns it."""

    def create(self, full_name: str, xml: str) -> None:
        """Create the item (its folder exists)."""

    def update(self, full_name: str, xml: str) -> None:
        """Replace the item's configuration."""

    def delete(self, full_name: str) -> None:
        """Delete the item (a folder with what it holds)."""

    def read_view(self, name: str) -> str | None:
        """A top-level view's config.xml, or ``None`` if there is no such view."""

    def write_view(self, name: str, xml: str, *, create: bool) -> None:
        """Create or replace a top-level view."""

    def close(self) -> None:
        """Release connections."""


def kind_of_xml(root_tag: str) -> ItemKind:
    """The kind of item a config with this root element makes."""
    return ROOT_KINDS.get(root_tag, "other")
