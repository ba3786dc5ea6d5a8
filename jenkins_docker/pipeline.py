"""The whole pipeline in one call: an inventory and a target in, a plan (or a sync's result) out.

``plan_inventory`` loads, renders and plans; ``sync_inventory`` also applies. The command line,
``examples/automation.py`` and the tests call these, so a script gets exactly what
``jenkins-docker plan`` and ``sync`` do, with nothing to pass that it could get wrong: the
folder and owner a plan works in come with the rendered items (:attr:`ItemSet.folder`,
:attr:`ItemSet.owner`), not from the caller.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Callable

from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.sync.apply import SyncResult
from jenkins_docker.sync.plan import Plan
from jenkins_docker.sync.targets import Target

log = logging.getLogger("jenkins_docker")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Planned:
    """A plan, and the loaded inventory it was made from (for its warnings and settings)."""

    inventory: Inventory
    plan: Plan


def plan_inventory(inventory: str | os.PathLike[str] | Inventory, target: Target, *,
                   templates: str | os.PathLike[str] | None = None, webhook_token: str | None = None,
                   prune: bool = False, adopt: bool = False, fast: bool = False, workers: int = 8,
                   progress: Progress | None = None, on_items: Callable[[int], None] | None = None) -> Planned:
    """Load ``inventory`` (a path, or an :class:`Inventory` already loaded), render it and plan a sync.

    The options mean what ``jenkins-docker plan``'s do. The inventory's warnings are logged (the
    ``jenkins_docker`` logger) when it is loaded here. ``on_items`` is called with the number of
    rendered items before any config is read (a progress bar's total), ``progress`` once per read.
    Raises :class:`~jenkins_docker.errors.InventoryError`, :class:`~jenkins_docker.errors.TargetError`
    or :class:`~jenkins_docker.errors.UsageError` as the stages do.
    """
    from jenkins_docker.loading.loader import load
    from jenkins_docker.rendering.renderer import render
    from jenkins_docker.sync.plan import make_plan

    if not isinstance(inventory, Inventory):
        inventory = load(inventory, templates=templates)
        for warning in inventory.warnings:
            log.warning("%s", warning)
    items = render(inventory, templates=templates, webhook_token=webhook_token)
    if on_items is not None:
        on_items(len(items.jobs))
    plan = make_plan(items, target, prune=prune, adopt=adopt, workers=workers, progress=progress, fast=fast)
    return Planned(inventory, plan)


def sync_inventory(inventory: str | os.PathLike[str] | Inventory, target: Target, *,
                   templates: str | os.PathLike[str] | None = None, webhook_token: str | None = None,
                   prune: bool = False, adopt: bool = False, fast: bool = False, workers: int = 8,
                   stop: threading.Event | None = None) -> SyncResult:
    """:func:`plan_inventory`, then apply the plan: what ``jenkins-docker sync`` does.

    Never raises for one item's failure (see :attr:`SyncResult.failed`); a failure of the whole
    (an inventory problem, a target that cannot be listed) raises before anything is written.
    """
    from jenkins_docker.sync.apply import apply

    planned = plan_inventory(inventory, target, templates=templates, webhook_token=webhook_token, prune=prune,
                             adopt=adopt, fast=fast, workers=workers)
    return apply(planned.plan, target, workers=workers, stop=stop)
