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
    # `X as X` marks each as re-exported: mypy --strict (no implicit re-export) accepts jd.load
    from jenkins_docker.errors import InventoryError as InventoryError
    from jenkins_docker.errors import JenkinsDockerError as JenkinsDockerError
    from jenkins_docker.errors import JobError as JobError
    from jenkins_docker.errors import Location as Location
    from jenkins_docker.errors import Problem as Problem
    from jenkins_docker.errors import TargetError as TargetError
    from jenkins_docker.errors import UsageError as UsageError
    from jenkins_docker.graph import ImageGraph as ImageGraph
    from jenkins_docker.graph import UnknownImageError as UnknownImageError
    from jenkins_docker.inventory import Report as Report
    from jenkins_docker.inventory import check as check
    from jenkins_docker.inventory import load as load
    from jenkins_docker.jobs import MANAGED_MARKER as MANAGED_MARKER
    from jenkins_docker.jobs import Job as Job
    from jenkins_docker.jobs import JobSet as JobSet
    from jenkins_docker.jobs import View as View
    from jenkins_docker.jobs import render as render
    from jenkins_docker.jobs import write_tree as write_tree
    from jenkins_docker.model import Image as Image
    from jenkins_docker.model import Inventory as Inventory
    from jenkins_docker.model import JenkinsSettings as JenkinsSettings
    from jenkins_docker.model import Parent as Parent
    from jenkins_docker.model import Registry as Registry
    from jenkins_docker.model import SeedJob as SeedJob
    from jenkins_docker.plan import Change as Change
    from jenkins_docker.plan import Failure as Failure
    from jenkins_docker.plan import Plan as Plan
    from jenkins_docker.plan import make_plan as make_plan
    from jenkins_docker.reference import ImageReference as ImageReference
    from jenkins_docker.reference import parse_reference as parse_reference
    from jenkins_docker.sync import SyncResult as SyncResult
    from jenkins_docker.sync import apply as apply
    from jenkins_docker.targets.home import JenkinsHome as JenkinsHome
    from jenkins_docker.targets.remote import Credentials as Credentials
    from jenkins_docker.targets.remote import RemoteJenkins as RemoteJenkins
    from jenkins_docker.webhooks import HookResult as HookResult
    from jenkins_docker.webhooks import Webhook as Webhook
    from jenkins_docker.webhooks import apply_webhooks as apply_webhooks
    from jenkins_docker.webhooks import connect_gitlab as connect_gitlab
    from jenkins_docker.webhooks import webhooks as webhooks
