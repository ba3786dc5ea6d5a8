"""The fixed and the per-job cost of a sync that has nothing to do (issue: performance, second step).

Run alone with ``.venv/bin/python bench/run.py --only fast``. Measures, each command a fresh
process against the fake Jenkins of the sync benchmark (20 ms of latency a request, 8 workers):

* a no-op ``sync --fast`` of N jobs (the digest in each ownership line stands in for reading the
  config) beside a plain no-op ``sync`` (every config read), requests and wall time;
* a ``sync --fast`` after one base image changed: the configs read and written must be exactly the
  jobs whose rendered config changed (computed here by rendering both inventories in-process);
* the fixed cost of a command: ``render`` of 100 jobs into an existing directory and ``validate``
  of a 20-image inventory, with the compiled-template cache warm and (for render) turned off.
"""
from __future__ import annotations

import json
import os
import re
import statistics
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent


def bench_fast(n: int, *, run: Callable[..., Any], jd: Path, workload: Callable[[int], tuple[Path, Any]],
               fake_jenkins: Callable[[], Any], clean_env: Callable[..., dict[str, str]], user: str, token: str,
               workers: int, reps: int = 5) -> dict[str, Any]:
    from jenkins_docker import load, render
    where, _ = workload(n)
    inventory = where / "inventory.yml"
    env = clean_env(JENKINS_USER=user, JENKINS_API_TOKEN=token)
    out: dict[str, Any] = {"jobs": n, "reps": reps}
    fake = fake_jenkins()
    try:
        sync = [jd, "sync", inventory, "--jenkins", fake.url, "--workers", str(workers), "--format", "json"]
        run(sync, env=env)
        for name, extra in (("noop_full", []), ("noop_fast", ["--fast"])):
            walls, counts = [], []
            for _ in range(reps):
                fake.reset_requests()
                done = run(sync + extra, env=env)
                result = json.loads(done.stdout)
                if result["create"] or result["update"] or result["failed"]:
                    raise RuntimeError(f"{name}: a no-op sync changed something")
                walls.append(done.wall)
                counts.append({"requests": len(fake.requests),
                               "config_reads": sum(r.method == "GET" and r.path.endswith("/config.xml") for r in fake.requests),
                               "writes": sum(r.method == "POST" for r in fake.requests)})
            out[name] = {"walls": walls, "wall": statistics.median(walls), **counts[-1]}
        # One base image changes: its test command. Which jobs' rendered configs change?
        text = inventory.read_text(encoding="utf-8")
        changed_text, count = re.subn(r"(?m)^(base_images:\n  \S+:\n)", r'\1    test: "make check"\n', text, count=1)
        if count != 1:
            raise RuntimeError("no base image to change")
        changed = where / "changed.yml"
        changed.write_text(changed_text, encoding="utf-8")
        before = {j.full_name: j.digest for j in render(load(inventory)).jobs}
        after = {j.full_name: j.digest for j in render(load(changed)).jobs}
        differ = sorted(name for name in after if before.get(name) != after[name])
        fake.reset_requests()
        done = run([jd, "sync", changed, "--jenkins", fake.url, "--workers", str(workers), "--format", "json", "--fast"], env=env)
        result = json.loads(done.stdout)
        read = sorted(r.path for r in fake.requests if r.method == "GET" and r.path.endswith("/config.xml"))
        out["one_changed"] = {"expected": differ, "updated": sorted(result["update"]), "config_reads": len(read),
                              "writes": sum(r.method == "POST" for r in fake.requests), "requests": len(fake.requests),
                              "wall": done.wall}
    finally:
        fake.stop()
    # The fixed cost of a command.
    small, _ = workload(20)
    hundred, _ = workload(100)
    target = BENCH / "out" / "fast-render"
    renders: dict[str, list[float]] = {"cache": [], "no-cache": []}
    for key, extra_env in (("cache", {}), ("no-cache", {"JENKINS_DOCKER_NO_CACHE": "1"})):
        run([jd, "render", hundred / "inventory.yml", "-o", target], env=clean_env(**extra_env))   # warm-up
        for _ in range(reps * 2):
            renders[key].append(run([jd, "render", hundred / "inventory.yml", "-o", target], env=clean_env(**extra_env)).wall)
    validates = [run([jd, "validate", small / "inventory.yml"], env=clean_env()).wall for _ in range(reps * 2)]
    out["render_100"] = {k: statistics.median(v) for k, v in renders.items()}
    out["render_100_jobs"] = sum(1 for _ in target.rglob("config.xml"))
    out["validate_20"] = statistics.median(validates)
    out["load"] = os.getloadavg()[0]
    out["nproc"] = os.cpu_count()
    return out


def section(result: dict[str, Any]) -> str:
    """The report's section for this scenario."""
    fast, full, one = result["noop_fast"], result["noop_full"], result["one_changed"]
    exact = one["updated"] == one["expected"] and one["config_reads"] == len(one["expected"])
    return "\n".join([
        "<!-- fast:begin (bench/run.py --only fast rewrites this section) -->",
        "## A no-op sync with `--fast`, and the fixed cost of a command",
        "",
        f"Each figure is a fresh process against the fake Jenkins (20 ms a request, 8 workers), median of {result['reps']} "
        f"runs; the machine's load average was {result['load']:.1f} on {result['nproc']} CPUs at the end of the scenario "
        "(it may be shared: walls under load are upper bounds).",
        "",
        "| | requests | configs read | writes | wall |",
        "|---|---:|---:|---:|---:|",
        f"| no-op `sync` of {result['jobs']:,} jobs | {full['requests']:,} | {full['config_reads']:,} | {full['writes']} | {full['wall']:.2f} s |",
        f"| no-op `sync --fast` of {result['jobs']:,} jobs | {fast['requests']:,} | {fast['config_reads']:,} | {fast['writes']} | {fast['wall']:.2f} s |",
        f"| `sync --fast` after one base image's test command changed | {one['requests']:,} | {one['config_reads']:,} "
        f"| {one['writes']} | {one['wall']:.2f} s |",
        "",
        f"After the change, {len(one['expected'])} rendered configs differ (the base image's job: its test command is "
        f"in no other job); `--fast` read {one['config_reads']} and updated {len(one['updated'])}: "
        + ("exactly those." if exact else f"NOT exactly those (expected {one['expected'][:5]}, updated {one['updated'][:5]}).")
        + " The requests beyond the reads and writes are the listing and the plugin check.",
        "",
        "| fixed cost | goal | measured |",
        "|---|---:|---:|",
        f"| `render` of {result['render_100_jobs']} jobs into an existing directory, template cache warm | ≤ 0.12 s | {result['render_100']['cache']:.3f} s |",
        f"| the same with `JENKINS_DOCKER_NO_CACHE=1` | | {result['render_100']['no-cache']:.3f} s |",
        f"| `validate` of a 20-image inventory | ≤ 0.10 s | {result['validate_20']:.3f} s |",
        f"| no-op `sync --fast` of {result['jobs']:,} jobs | ≤ 0.5 s, 1 listing | {fast['wall']:.2f} s, {fast['requests']} requests |",
        "",
        "<!-- fast:end -->",
        "",
    ])
