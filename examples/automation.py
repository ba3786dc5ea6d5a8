"""An automation script that imports jenkins-docker: plan a security update, then sync.

Run from the repository root: ``python examples/automation.py [JENKINS_HOME]``. Against a live
controller, use ``RemoteJenkins(url, Credentials(user, token))`` instead of ``JenkinsHome``.
"""
from __future__ import annotations

import sys

import jenkins_docker as jd


def main(home: str) -> int:
    try:
        inventory = jd.load("examples/iiiepe/inventory.yml")
    except jd.InventoryError as exc:
        for problem in exc.problems:  # each one FILE:LINE:COL: message
            print(problem, file=sys.stderr)
        return 1

    # What a Debian security update rebuilds, wave by wave.
    graph = inventory.graph
    for number, wave in enumerate(graph.waves(["debian:bookworm"])):
        print(f"wave {number}: {', '.join(wave)}")

    # Asking for several images at once: queue only those no other of them rebuilds (what
    # `rebuild` does); one name or several, the graph's queries take either.
    asked = ["iiiepe/nginx-php", "iiiepe/nginx"]
    print(f"rebuild {' '.join(asked)}: queue {', '.join(graph.topmost(asked))}; "
          f"the cascade rebuilds {len(graph.dependents('iiiepe/nginx'))} images")

    # Render every job and make the target match, deleting managed jobs that left the inventory:
    # first the plan alone (what `jenkins-docker plan --prune` shows), then the sync.
    target = jd.JenkinsHome(home)
    plan = jd.plan_inventory(inventory, target, prune=True).plan
    print(f"plan: {len(plan.names('create'))} to create, {len(plan.names('update', 'replace'))} to update")
    result = jd.sync_inventory(inventory, target, prune=True, workers=8)
    for failure in result.failed:
        print(f"failed {failure.job}: {failure.error}", file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "demo-out/automation-home"))
