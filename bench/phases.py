"""Where a jenkins-docker command spends its time, phase by phase, through the Python API.

Run by ``bench/run.py`` in a fresh process (so the import time is real)::

    python bench/phases.py render INVENTORY OUT_DIR
    python bench/phases.py sync INVENTORY JENKINS_URL WORKERS      (JENKINS_USER / JENKINS_API_TOKEN)
    python bench/phases.py fast INVENTORY JENKINS_URL WORKERS      (the same; the jobs already synced)

prints one JSON object of seconds per phase. ``render``: import, load (read and check the
inventory), graph (the trigger reduction), render (every config.xml in memory), write. ``sync``:
import, load, render, plan (list and compare) and apply (the writes) of a first sync, then
``noop_plan``, the plan of the same jobs again (what a no-op sync does), in the same process.
``fast``: import, load, render and ``plan`` of a ``plan --fast`` of jobs synced before (what a
no-op ``sync --fast`` does: the listing, and no config read when every digest matches).
"""
from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    command, inventory_path = sys.argv[1], sys.argv[2]
    times: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        times[name] = now - mark
        mark = now

    import jenkins_docker
    from jenkins_docker import load, render
    if command == "render":
        from jenkins_docker import write_tree
    else:
        from jenkins_docker import Credentials, RemoteJenkins, apply, make_plan
    lap("import")
    inventory = load(inventory_path)
    lap("load")
    if command == "render":
        inventory.graph.triggers(next(iter(inventory.images)))   # computes the whole reduction (plain dicts)
        lap("graph")
        jobs = render(inventory)
        lap("render")
        write_tree(jobs, sys.argv[3])
        lap("write")
    else:
        jobs = render(inventory)
        lap("render")
        url, workers = sys.argv[3], int(sys.argv[4])
        target = RemoteJenkins(url, Credentials(os.environ["JENKINS_USER"], os.environ["JENKINS_API_TOKEN"]))
        plan = make_plan(jobs, target, folder=inventory.jenkins.folder, workers=workers, fast=command == "fast")
        lap("plan")
        if command == "fast":
            target.close()
            if plan.changes or plan.failed:
                raise SystemExit(f"the fast plan is not a no-op: {len(plan.changes)} changes, {plan.failed[:3]}")
            times["version"] = jenkins_docker.__version__  # type: ignore[assignment]
            print(json.dumps(times))
            return
        result = apply(plan, target, workers=workers)
        lap("apply")
        again = make_plan(jobs, target, folder=inventory.jenkins.folder, workers=workers)
        lap("noop_plan")
        target.close()
        if result.failed or again.changes:
            raise SystemExit(f"sync failed ({result.failed[:3]}) or did not converge ({len(again.changes)} changes)")
    times["version"] = jenkins_docker.__version__  # type: ignore[assignment]
    print(json.dumps(times))


if __name__ == "__main__":
    main()
