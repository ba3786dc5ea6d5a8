"""Compiled job templates kept between runs, so a command does not recompile Jinja2 templates.

Jinja2 compiles every template to Python code on first use, which is a good part of the fixed
cost of ``render``, ``plan`` and ``sync``. :func:`open_cache` gives a bytecode cache in the
user's cache directory (``$XDG_CACHE_HOME/jenkins-docker``, else ``~/.cache/jenkins-docker``).

A stale entry is never used:

- Jinja2 stores a checksum of each template's *source* with its code and recompiles when the
  source differs (:class:`jinja2.Bucket`), so an edited user template or bundled template is
  recompiled; the entry's key is the template's name and file path, so two directories never
  share entries;
- the directory is named after jenkins-docker's version, Jinja2's version and the environment's
  compile options, which change the code compiled from the same source;
- an unreadable or corrupt entry is recompiled; a cache that cannot be written is skipped;
- compiled code is executed, so the directory must be the user's own and writable by no one else;
  otherwise no cache is used. ``JENKINS_DOCKER_NO_CACHE=1`` turns the cache off.
"""
from __future__ import annotations

import hashlib
import os
import stat
from typing import Any, Mapping

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from jenkins_docker import __version__


class _SafeBytecodeCache(FileSystemBytecodeCache):
    """A file cache whose failures cost a recompile, never a failed render."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a truncated or foreign file: compile again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:    # read-only or full disk: the next run compiles again
            pass


def cache_root() -> str:
    """The user's cache directory for jenkins-docker."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jenkins-docker")


def open_cache(options: Mapping[str, Any]) -> jinja2.BytecodeCache | None:
    """A bytecode cache for templates compiled with ``options``, or ``None`` when none can be used."""
    if os.environ.get("JENKINS_DOCKER_NO_CACHE"):
        return None
    flavour = hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()[:12]
    directory = os.path.join(cache_root(), f"templates-{__version__}-jinja2-{jinja2.__version__}-{flavour}")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        info = os.stat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return _SafeBytecodeCache(directory)
