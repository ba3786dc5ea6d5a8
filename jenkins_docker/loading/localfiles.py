"""Files an inventory points at on this machine: inside its repository, and not too large.

``path:`` (the directory holding an entry's Dockerfile) is read while loading the inventory. An
inventory is often someone else's merge request, checked by CI: it must not be able to make
``validate`` read ``/etc/passwd``, ``/proc/self/environ`` or a 3 GiB file. So everything read
stays inside the inventory's *repository* (the git work tree holding the inventory, or the
inventory's directory when it is not in one), after following symlinks, and a Dockerfile over
:data:`MAX_DOCKERFILE_BYTES` is refused with its size.
"""
from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath

#: The largest Dockerfile read (real ones are a few KiB).
MAX_DOCKERFILE_BYTES = 1024 * 1024


def repository_root(inventory: Path) -> Path:
    """The git work tree holding ``inventory`` (the nearest parent with ``.git``), else its directory; resolved."""
    directory = inventory.resolve().parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


def relative_problem(value: str, what: str, *, base: Path | None = None, root: Path | None = None) -> str | None:
    """Why ``value`` (a path written in the inventory) may leave its repository, or ``None``.

    Absolute paths are refused. ``..`` may not climb above ``root`` when the path starts at
    ``base`` (both resolved), nor above the start when no ``base`` is given (a path inside the
    checkout of the image's own repository); ``a/../b`` is fine.
    """
    if value.startswith(("/", "\\")) or PurePosixPath(value).is_absolute() or (len(value) > 1 and value[1] == ":"):
        return f"{what} {value!r} is an absolute path: write it relative to the repository"
    normal = posixpath.normpath(value.replace("\\", "/"))
    if base is not None and root is not None:
        target = Path(os.path.normpath(base / normal))
        escapes = target != root and root not in target.parents
    else:
        escapes = normal == ".." or normal.startswith("../")
    return f"{what} {value!r} leaves the repository (`..`): keep it inside" if escapes else None


def outside(root: Path, path: Path) -> bool:
    """Whether ``path``, with every symlink followed, is outside ``root``."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return True
    return resolved != root and root not in resolved.parents


def size_problem(path: Path, shown: str, limit: int = MAX_DOCKERFILE_BYTES) -> str | None:
    """Why the file at ``path`` is too large to read, or ``None``."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None  # reading it reports the reason
    if size > limit:
        return f"{shown} is {_size(size)}, over the {_size(limit)} a Dockerfile may have: is `path` the right directory?"
    return None


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} bytes"
