"""Syncing: the rendered items and a target in, a plan out, and the plan applied.

Planning (``plan``, asking ``jenkins_docker.ownership`` what it may do, comparing with
``xmlcompare``, merging ``folders``, checking ``plugins``), applying (``apply``), the two targets
(``targets``: a live controller or a JENKINS_HOME), and GitLab's webhooks (``webhooks``).
Entry points: :func:`make_plan`, then ``apply.apply`` (also ``jenkins_docker.apply``): the
function is not re-exported here, where its name would clash with its module's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from jenkins_docker.lazy import lazy_exports

_EXPORTS = {
    "make_plan": "jenkins_docker.sync.plan",
    "Plan": "jenkins_docker.sync.plan",
    "Change": "jenkins_docker.sync.plan",
    "Failure": "jenkins_docker.sync.plan",
    "SyncResult": "jenkins_docker.sync.apply",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from jenkins_docker.sync.apply import SyncResult as SyncResult
    from jenkins_docker.sync.plan import Change as Change
    from jenkins_docker.sync.plan import Failure as Failure
    from jenkins_docker.sync.plan import Plan as Plan
    from jenkins_docker.sync.plan import make_plan as make_plan
