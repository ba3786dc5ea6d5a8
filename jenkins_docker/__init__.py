"""jenkins-docker: Jenkins jobs that build Docker images, kept in sync with one YAML inventory.

The pipeline, one module per arrow::

    inventory.yml --load--> Inventory --graph--> ImageGraph --render--> ItemSet
                  --make_plan(target)--> Plan --apply--> Jenkins | JENKINS_HOME

Each arrow is a folder: ``loading/``, ``graph/``, ``rendering/``, ``sync/``; ``cli/`` is the
command line over them and ``freshness/`` asks the registries what moved since.

Everything below is importable from the package root; heavy modules load on first use, so
``import jenkins_docker`` stays cheap.
"""
from __future__ import annotations

from jenkins_docker.lazy import lazy_exports

__version__ = "0.1.0"

TYPE_CHECKING = False   # typing.TYPE_CHECKING without importing typing (mypy knows the name)

_EXPORTS = {
    "load": "jenkins_docker.loading.loader",
    "check": "jenkins_docker.loading.loader",
    "Report": "jenkins_docker.loading.loader",
    "Inventory": "jenkins_docker.loading.inventory",
    "Image": "jenkins_docker.loading.inventory",
    "Parent": "jenkins_docker.loading.inventory",
    "Registry": "jenkins_docker.loading.inventory",
    "JenkinsSettings": "jenkins_docker.loading.inventory",
    "SeedJob": "jenkins_docker.loading.inventory",
    "ImageGraph": "jenkins_docker.graph.imagegraph",
    "UnknownImageError": "jenkins_docker.graph.imagegraph",
    "render": "jenkins_docker.rendering.renderer",
    "write_tree": "jenkins_docker.rendering.renderer",
    "Item": "jenkins_docker.rendering.renderer",
    "ItemSet": "jenkins_docker.rendering.renderer",
    "Job": "jenkins_docker.rendering.renderer",
    "JobSet": "jenkins_docker.rendering.renderer",
    "View": "jenkins_docker.rendering.renderer",
    "MANAGED_MARKER": "jenkins_docker.rendering.renderer",
    "make_plan": "jenkins_docker.sync.plan",
    "Plan": "jenkins_docker.sync.plan",
    "Change": "jenkins_docker.sync.plan",
    "Failure": "jenkins_docker.sync.plan",
    "apply": "jenkins_docker.sync.apply",
    "plan_inventory": "jenkins_docker.pipeline",
    "sync_inventory": "jenkins_docker.pipeline",
    "Planned": "jenkins_docker.pipeline",
    "SyncResult": "jenkins_docker.sync.apply",
    "JenkinsHome": "jenkins_docker.sync.targets.home",
    "RemoteJenkins": "jenkins_docker.sync.targets.remote",
    "Credentials": "jenkins_docker.sync.targets.remote",
    "Location": "jenkins_docker.errors",
    "Problem": "jenkins_docker.errors",
    "JenkinsDockerError": "jenkins_docker.errors",
    "InventoryError": "jenkins_docker.errors",
    "TargetError": "jenkins_docker.errors",
    "JobError": "jenkins_docker.errors",
    "UsageError": "jenkins_docker.errors",
    "webhooks": "jenkins_docker.sync.webhooks",
    "apply_webhooks": "jenkins_docker.sync.webhooks",
    "plan_webhooks": "jenkins_docker.sync.webhooks",
    "apply_hook_plan": "jenkins_docker.sync.webhooks",
    "HookPlan": "jenkins_docker.sync.webhooks",
    "HookChange": "jenkins_docker.sync.webhooks",
    "connect_gitlab": "jenkins_docker.sync.webhooks",
    "Webhook": "jenkins_docker.sync.webhooks",
    "HookResult": "jenkins_docker.sync.webhooks",
    "parse_reference": "jenkins_docker.loading.reference",
    "ImageReference": "jenkins_docker.loading.reference",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    # `X as X` marks each as re-exported: mypy --strict (no implicit re-export) accepts jd.load
    from jenkins_docker.errors import InventoryError as InventoryError
    from jenkins_docker.errors import JenkinsDockerError as JenkinsDockerError
    from jenkins_docker.errors import JobError as JobError
    from jenkins_docker.errors import Location as Location
    from jenkins_docker.errors import Problem as Problem
    from jenkins_docker.errors import TargetError as TargetError
    from jenkins_docker.errors import UsageError as UsageError
    from jenkins_docker.graph.imagegraph import ImageGraph as ImageGraph
    from jenkins_docker.graph.imagegraph import UnknownImageError as UnknownImageError
    from jenkins_docker.loading.inventory import Image as Image
    from jenkins_docker.loading.inventory import Inventory as Inventory
    from jenkins_docker.loading.inventory import JenkinsSettings as JenkinsSettings
    from jenkins_docker.loading.inventory import Parent as Parent
    from jenkins_docker.loading.inventory import Registry as Registry
    from jenkins_docker.loading.inventory import SeedJob as SeedJob
    from jenkins_docker.loading.loader import Report as Report
    from jenkins_docker.loading.loader import check as check
    from jenkins_docker.loading.loader import load as load
    from jenkins_docker.loading.reference import ImageReference as ImageReference
    from jenkins_docker.loading.reference import parse_reference as parse_reference
    from jenkins_docker.pipeline import Planned as Planned
    from jenkins_docker.pipeline import plan_inventory as plan_inventory
    from jenkins_docker.pipeline import sync_inventory as sync_inventory
    from jenkins_docker.rendering.renderer import MANAGED_MARKER as MANAGED_MARKER
    from jenkins_docker.rendering.renderer import Item as Item
    from jenkins_docker.rendering.renderer import ItemSet as ItemSet
    from jenkins_docker.rendering.renderer import Job as Job
    from jenkins_docker.rendering.renderer import JobSet as JobSet
    from jenkins_docker.rendering.renderer import View as View
    from jenkins_docker.rendering.renderer import render as render
    from jenkins_docker.rendering.renderer import write_tree as write_tree
    from jenkins_docker.sync.apply import SyncResult as SyncResult
    from jenkins_docker.sync.apply import apply as apply
    from jenkins_docker.sync.plan import Change as Change
    from jenkins_docker.sync.plan import Failure as Failure
    from jenkins_docker.sync.plan import Plan as Plan
    from jenkins_docker.sync.plan import make_plan as make_plan
    from jenkins_docker.sync.targets.home import JenkinsHome as JenkinsHome
    from jenkins_docker.sync.targets.remote import Credentials as Credentials
    from jenkins_docker.sync.targets.remote import RemoteJenkins as RemoteJenkins
    from jenkins_docker.sync.webhooks import HookChange as HookChange
    from jenkins_docker.sync.webhooks import HookPlan as HookPlan
    from jenkins_docker.sync.webhooks import HookResult as HookResult
    from jenkins_docker.sync.webhooks import Webhook as Webhook
    from jenkins_docker.sync.webhooks import apply_hook_plan as apply_hook_plan
    from jenkins_docker.sync.webhooks import apply_webhooks as apply_webhooks
    from jenkins_docker.sync.webhooks import connect_gitlab as connect_gitlab
    from jenkins_docker.sync.webhooks import plan_webhooks as plan_webhooks
    from jenkins_docker.sync.webhooks import webhooks as webhooks
