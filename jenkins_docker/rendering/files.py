"""Files in a JENKINS_HOME's layout: where an item's config.xml lives, and writing one no reader sees half made.

``render -o DIR`` (:func:`~jenkins_docker.rendering.renderer.write_tree`) and the JENKINS_HOME target
(:mod:`jenkins_docker.sync.targets.home`) both write this layout, so it is stated once, here.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path


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
