"""Issue 15's targets: a no-op sync in one request, and the fixed cost of a command.

Run alone with ``.venv/bin/python bench/run.py --only fast`` (``bench/run.py`` adds the two rows
measured beside Jenkins Job Builder: render 5,000 and the first sync of 100). Measures, each
command a fresh process against the fake Jenkins of the sync benchmark (20 ms of latency a
request, 8 workers):

* a no-op ``sync --fast`` of N jobs (the digest in each ownership line stands in for reading the
  config) beside a plain no-op ``sync`` (every config read), requests and wall time, and where the
  ``--fast`` one spends its time (``bench/phases.py fast``, in-process laps);
* a ``sync --fast`` after one base image changed: the configs read and written must be exactly the
  jobs whose rendered config changed (computed here by rendering both inventories in-process);
* the fixed cost of a command: ``render`` of 100 jobs into an existing directory (compiled-template
  cache warm, and turned off) with its phases, ``validate`` of a 20-image inventory, and for scale
  the interpreter alone and ``jenkins-docker --version``.

The load average is recorded before and after each part: the machine is shared, and every wall
time under load is an upper bound.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
NOTES = BENCH / "FAST-NOTES.md"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _phases(python: Path, args: list[str | Path], run: Callable[..., Any], env: dict[str, str], reps: int) -> dict[str, float]:
    """Median seconds per phase of ``bench/phases.py ARGS`` over ``reps`` fresh processes."""
    laps = [json.loads(run([python, BENCH / "phases.py", *args], env=env).stdout) for _ in range(reps)]
    return {key: statistics.median(lap[key] for lap in laps) for key in laps[0] if key != "version"}


def bench_fast(n: int, *, run: Callable[..., Any], jd: Path, workload: Callable[[int], tuple[Path, Any]],
               fake_jenkins: Callable[[], Any], clean_env: Callable[..., dict[str, str]], user: str, token: str,
               workers: int, reps: int = 5) -> dict[str, Any]:
    from jenkins_docker import load, render

    python = jd.parent / "python"
    where, _ = workload(n)
    inventory = where / "inventory.yml"
    env = clean_env(JENKINS_USER=user, JENKINS_API_TOKEN=token)
    out: dict[str, Any] = {"jobs": n, "reps": reps, "load_start": _load(), "nproc": os.cpu_count(),
                           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    fake = fake_jenkins()
    try:
        sync = [jd, "sync", inventory, "--jenkins", fake.url, "--workers", str(workers), "--format", "json"]
        run(sync, env=env)
        for name, extra in (("noop_full", []), ("noop_fast", ["--fast"])):
            walls, cpus, counts = [], [], []
            for _ in range(reps):
                fake.reset_requests()
                done = run(sync + extra, env=env)
                result = json.loads(done.stdout)
                if result["create"] or result["update"] or result["failed"]:
                    raise RuntimeError(f"{name}: a no-op sync changed something")
                walls.append(done.wall)
                cpus.append(done.cpu)
                counts.append({"requests": len(fake.requests), "paths": sorted({r.path for r in fake.requests if not r.path.endswith("/config.xml")}),
                               "config_reads": sum(r.method == "GET" and r.path.endswith("/config.xml") for r in fake.requests),
                               "writes": sum(r.method == "POST" for r in fake.requests)})
            out[name] = {"walls": walls, "wall": statistics.median(walls), "cpu": statistics.median(cpus), **counts[-1],
                         "load": _load()}
        out["noop_fast_phases"] = _phases(python, ["fast", inventory, fake.url, str(workers)], run, env, 3)
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
    cpus: dict[str, list[float]] = {"cache": [], "no-cache": []}
    for key, extra_env in (("cache", {}), ("no-cache", {"JENKINS_DOCKER_NO_CACHE": "1"})):
        run([jd, "render", hundred / "inventory.yml", "-o", target], env=clean_env(**extra_env))   # warm-up
        for _ in range(reps * 2):
            done = run([jd, "render", hundred / "inventory.yml", "-o", target], env=clean_env(**extra_env))
            renders[key].append(done.wall)
            cpus[key].append(done.cpu)
    validates = [run([jd, "validate", small / "inventory.yml"], env=clean_env()) for _ in range(reps * 2)]
    version = [run([jd, "--version"], env=clean_env()).wall for _ in range(reps * 2)]
    bare = [run([sys.executable, "-c", "pass"], env=clean_env()).wall for _ in range(reps * 2)]
    out["render_100"] = {k: statistics.median(v) for k, v in renders.items()}
    out["render_100_cpu"] = {k: statistics.median(v) for k, v in cpus.items()}
    out["render_100_jobs"] = sum(1 for _ in target.rglob("config.xml"))
    out["render_100_phases"] = _phases(python, ["render", hundred / "inventory.yml", target], run, clean_env(), 3)
    out["validate_20"] = statistics.median(v.wall for v in validates)
    out["validate_20_cpu"] = statistics.median(v.cpu for v in validates)
    out["version"] = statistics.median(version)
    out["python"] = statistics.median(bare)
    out["load"] = _load()
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _phase_text(phases: dict[str, float]) -> str:
    return ", ".join(f"{name} {_ms(value)}" for name, value in phases.items())


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def section(result: dict[str, Any]) -> str:
    """The report's section for this scenario (with the JJB rows when ``bench/run.py`` added them)."""
    fast, full, one = result["noop_fast"], result["noop_full"], result["one_changed"]
    exact = one["updated"] == one["expected"] and one["config_reads"] == len(one["expected"])
    phases = result.get("noop_fast_phases", {})
    lines = [
        "<!-- fast:begin (bench/run.py --only fast rewrites this section) -->",
        "## Issue 15: a no-op sync in one request, and the fixed cost of a command",
        "",
        f"Measured on {result['date']} by `bench/fast.py`"
        + (", run alone (`bench/run.py --only fast`): the tables above this section come from an older full run. "
           if "render" in result else ". ")
        + "Each figure is a fresh process against the fake "
        f"Jenkins (20 ms a request, 8 workers), median of {result['reps']} runs (the fixed costs: of {result['reps'] * 2}). "
        f"Load average (1 min) on {result['nproc']} shared CPUs: {result['load_start']} at the start, "
        f"{result['noop_fast']['load']} after the no-op syncs, {result['load']} after the fixed costs"
        + (f", {result['load_end']} at the end" if "load_end" in result else "") + ".",
        "",
        "| | requests | configs read | writes | wall | CPU |",
        "|---|---:|---:|---:|---:|---:|",
        f"| no-op `sync` of {result['jobs']:,} jobs | {full['requests']:,} | {full['config_reads']:,} | {full['writes']} "
        f"| {full['wall']:.2f} s | {full['cpu']:.2f} s |",
        f"| no-op `sync --fast` of {result['jobs']:,} jobs | {fast['requests']:,} ({', '.join(f'`{p}`' for p in fast['paths'])}) "
        f"| {fast['config_reads']:,} | {fast['writes']} | {fast['wall']:.2f} s | {fast['cpu']:.2f} s |",
        f"| `sync --fast` after one base image's test command changed | {one['requests']:,} | {one['config_reads']:,} "
        f"| {one['writes']} | {one['wall']:.2f} s | |",
        "",
        f"After the change, {len(one['expected'])} rendered config(s) differ (the base image's job: its test command is "
        f"in no other job); `--fast` read {one['config_reads']} and updated {len(one['updated'])}: "
        + ("exactly those." if exact else f"NOT exactly those (expected {one['expected'][:5]}, updated {one['updated'][:5]}).")
        + " Its requests beyond the read and the write are the listing and the plugin check (a `--fast` sync reads the "
        "plugin list only when it writes).",
        "",
        f"Where the no-op `sync --fast` of {result['jobs']:,} jobs spends its time (`bench/phases.py fast`, the same work "
        f"through the API in a fresh process, median of 3): {_phase_text(phases)}.",
        "",
        "| target | goal | measured | met |",
        "|---|---|---|---|",
        f"| no-op `sync --fast`, {result['jobs']:,} jobs: requests | 1 (the listing, one folder depth) | {fast['requests']} "
        f"| {_yes(fast['requests'] == 1)} |",
        f"| no-op `sync --fast`, {result['jobs']:,} jobs: time | < 0.5 s | {fast['wall']:.2f} s | {_yes(fast['wall'] < 0.5)} |",
        f"| `sync --fast` after a change reads and writes only what changed | exactly the changed configs "
        f"| {one['config_reads']} read, {len(one['updated'])} written of {len(one['expected'])} changed | {_yes(exact)} |",
        f"| `render` of {result['render_100_jobs']} jobs into an existing directory, template cache warm | ≤ 0.12 s "
        f"| {result['render_100']['cache']:.3f} s (CPU {result['render_100_cpu']['cache']:.3f} s) | {_yes(result['render_100']['cache'] <= 0.12)} |",
        f"| the same with `JENKINS_DOCKER_NO_CACHE=1` | | {result['render_100']['no-cache']:.3f} s "
        f"(CPU {result['render_100_cpu']['no-cache']:.3f} s) | |",
        f"| `validate` of a 20-image inventory | ≤ 0.10 s | {result['validate_20']:.3f} s (CPU {result['validate_20_cpu']:.3f} s) "
        f"| {_yes(result['validate_20'] <= 0.10)} |",
    ]
    render = next((r for r in result.get("render", []) if r["n"] >= 1000), None)
    if render:
        jd, jjb = render["jenkins-docker"], render["jjb"]
        lines += [
            f"| render {render['n']:,} | ≥ 40× faster than JJB | {render['speedup']:.1f}× ({jd['wall']:.2f} s vs {jjb['wall']:.2f} s) "
            f"| {_yes(render['speedup'] >= 40)} |",
            f"| render {render['n']:,} memory | below a fifth of JJB's peak RSS | {jd['rss_mib']:.0f} MiB vs {jjb['rss_mib']:.0f} MiB "
            f"({render['memory_ratio']:.2f}) | {_yes(render['memory_ratio'] < 0.2)} |",
        ]
    sync = next((r for r in result.get("sync", [])), None)
    if sync:
        first, jjb_first = sync["jenkins-docker"]["first"], sync["jjb"]["first"]
        ratio = first["wall"] / first["floor"]
        lines += [
            f"| first sync {sync['n']:,}: time | ≤ 1.8 × floor | {first['wall']:.2f} s, floor {first['floor']:.2f} s ({ratio:.2f}×; "
            f"{first['requests']} requests; JJB {jjb_first['wall']:.2f} s, {jjb_first['requests']:,} requests, "
            f"{jjb_first['wall'] / jjb_first['floor']:.2f}×) | {_yes(ratio <= 1.8)} |",
        ]
    lines += [
        "",
        f"For scale: the interpreter alone (`python -c pass`) {_ms(result['python'])}, `jenkins-docker --version` "
        f"(interpreter and click) {_ms(result['version'])}; render of {result['render_100_jobs']} jobs through the API "
        f"(`bench/phases.py render`, median of 3): {_phase_text(result['render_100_phases'])}.",
    ]
    if render or sync:
        lines += ["", "Beside Jenkins Job Builder, as the full run measures them (render: the two tools alternating, fresh "
                  "output directory each run; first sync: a fresh fake each run):", "",
                  "| | jenkins-docker | peak RSS | JJB | peak RSS | JJB / jenkins-docker |", "|---|---:|---:|---:|---:|---:|"]
        if render:
            ours, theirs = render["jenkins-docker"], render["jjb"]
            lines.append(f"| render {render['n']:,} | {ours['wall']:.2f} s ({', '.join(f'{w:.2f}' for w in ours['walls'])}) "
                         f"| {ours['rss_mib']:.0f} MiB | {theirs['wall']:.2f} s ({', '.join(f'{w:.2f}' for w in theirs['walls'])}) "
                         f"| {theirs['rss_mib']:.0f} MiB | {render['speedup']:.1f}× |")
        if sync:
            lines.append(f"| first sync {sync['n']:,} (floor {first['floor']:.2f} s) | {first['wall']:.2f} s, {first['requests']} requests | "
                         f"| {jjb_first['wall']:.2f} s, {jjb_first['requests']:,} requests | | {sync['speedup_first']:.1f}× |")
    if NOTES.exists():
        lines += ["", NOTES.read_text(encoding="utf-8").rstrip("\n")]
    lines += ["", "<!-- fast:end -->", ""]
    return "\n".join(lines)
