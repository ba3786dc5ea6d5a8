"""jenkins-docker: Jenkins jobs that build Docker images, kept in sync with one YAML inventory.

The pipeline, one module per arrow::

    inventory.yml --load--> Inventory --graph--> ImageGraph --render--> JobSet
                  --make_plan(target)--> Plan --apply--> Jenkins | JENKINS_HOME

Everything below is importable from the package root; heavy modules load on first use, so
``import jenkins_docker`` stays cheap.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "jenkins_docker.inventory",
    "check": "jenkins_docker.inventory",
    "Report": "jenkins_docker.inventory",
    "Inventory": "jenkins_docker.model",
    "Image": "jenkins_docker.model",
    "Parent": "jenkins_docker.model",
    "Registry": "jenkins_docker.model",
    "JenkinsSettings": "jenkins_docker.model",
    "SeedJob": "jenkins_docker.model",
    "ImageGraph": "jenkins_docker.graph",
    "UnknownImageError": "jenkins_docker.graph",
    "render": "jenkins_docker.jobs",
    "write_tree": "jenkins_docker.jobs",
    "Job": "jenkins_docker.jobs",
    "JobSet": "jenkins_docker.jobs",
    "View": "jenkins_docker.jobs",
    "MANAGED_MARKER": "jenkins_docker.jobs",
    "make_plan": "jenkins_docker.plan",
    "Plan": "jenkins_docker.plan",
    "Change": "jenkins_docker.plan",
    "Failure": "jenkins_docker.plan",
    "apply": "jenkins_docker.sync",
    "SyncResult": "jenkins_docker.sync",
    "JenkinsHome": "jenkins_docker.targets.home",
    "RemoteJenkins": "jenkins_docker.targets.remote",
    "Credentials": "jenkins_docker.targets.remote",
    "Location": "jenkins_docker.errors",
    "Problem": "jenkins_docker.errors",
    "JenkinsDockerError": "jenkins_docker.errors",
    "InventoryError": "jenkins_docker.errors",
    "TargetError": "jenkins_docker.errors",
    "JobError": "jenkins_docker.errors",
    "UsageError": "jenkins_docker.errors",
    "webhooks": "jenkins_docker.webhooks",
    "apply_webhooks": "jenkins_docker.webhooks",
    "connect_gitlab": "jenkins_docker.webhooks",
    "Webhook": "jenkins_docker.webhooks",
    "HookResult": "jenkins_docker.webhooks",
    "parse_reference": "jenkins_docker.reference",
    "ImageReference": "jenkins_docker.reference",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jenkins_docker' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from jenkins_docker.errors import InventoryError, JenkinsDockerError, JobError, Location, Problem, TargetError, UsageError
    from jenkins_docker.graph import ImageGraph, UnknownImageError
    from jenkins_docker.inventory import Report, check, load
    from jenkins_docker.jobs import MANAGED_MARKER, Job, JobSet, View, render, write_tree
    from jenkins_docker.model import Image, Inventory, JenkinsSettings, Parent, Registry, SeedJob
    from jenkins_docker.plan import Change, Failure, Plan, make_plan
    from jenkins_docker.reference import ImageReference, parse_reference
    from jenkins_docker.sync import SyncResult, apply
    from jenkins_docker.targets.home import JenkinsHome
    from jenkins_docker.targets.remote import Credentials, RemoteJenkins
    from jenkins_docker.webhooks import HookResult, Webhook, apply_webhooks, connect_gitlab, webhooks
