"""`jenkins-docker outdated` on N images against a real registry on loopback (Debian's docker-registry).

Run alone with ``.venv/bin/python bench/run.py --only outdated`` (``make bench`` runs it too). It
starts one anonymous registry, pushes the images of a generated platform through the registry API
with the labels their build jobs record (10 external parents, 100 base images built from them,
the rest apps and second-level bases spread over the bases; every fifth image multi-stage with a
second external parent), moves two external parents, and times ``jenkins-docker outdated`` (a
fresh process) reading it all back. Requests are counted by the client (the command's summary
line) and checked against the issue's budget: at most 2 per image plus 1 per distinct external
parent.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))

EXTERNALS = 10
BASES = 100


def _inventory(host: str, n: int) -> tuple[str, list[str]]:
    externals = [f"{host}/upstream/os{i}:stable" for i in range(EXTERNALS)]
    lines = ["version: 1", "jenkins: {folder: bench}", f"registries:\n  local: {{host: '{host}', credentials: local-push}}",
             "defaults: {registry: local}", "base_images:"]
    for i in range(BASES):
        lines.append(f"  acme/base{i}: {{git: g, from: '{externals[i % EXTERNALS]}'}}")
    for i in range(n - BASES):
        parent = f"acme/base{i % BASES}"
        if i % 5 == 0:
            lines.append(f"  acme/img{i}: {{git: g, from: ['{externals[(i + 3) % EXTERNALS]}', {parent}]}}")
        else:
            lines.append(f"  acme/img{i}: {{git: g, from: {parent}}}")
    return "\n".join(lines) + "\n", externals


def bench_outdated(n: int = 1000, python: Path = Path(sys.executable)) -> dict[str, Any]:
    """Push the platform, move two parents, run ``outdated``; wall time and request counts."""
    from jenkins_docker.loading.loader import load
    from jenkins_docker.loading.reference import parse_reference
    from jenkins_docker.rendering import provenance
    from registry_harness import head_digest, start_registry

    with tempfile.TemporaryDirectory(prefix="bench-outdated-") as tmp:
        registry = start_registry(Path(tmp) / "registry")
        try:
            text, externals = _inventory(registry.host, n)
            path = Path(tmp) / "inventory.yml"
            path.write_text(text, encoding="utf-8")
            inventory = load(path)
            for reference in externals:
                ref = parse_reference(reference)
                registry.push_image(ref.path, ref.tag or "latest")
            started = time.perf_counter()
            digests: dict[str, str] = {}
            for key in inventory.images:       # file order: every base before what is built from it
                image = inventory.images[key]
                references = provenance.pull_reference(inventory, image)
                found = []
                for reference in references:
                    if reference not in digests:
                        ref = parse_reference(reference)
                        digests[reference] = head_digest(registry, ref.path, ref.tag or "latest")
                    found.append(digests[reference])
                labels = {provenance.BASE_NAME_LABEL: references[-1], provenance.BASE_DIGEST_LABEL: found[-1],
                          provenance.PARENTS_LABEL: " ".join(f"{r}@{d}" for r, d in zip(references, found))}
                digests[provenance.qualified(f"{image.push_name}:latest")] = registry.push_image(image.repository, labels=labels)
            push_seconds = time.perf_counter() - started
            for reference in externals[:2]:     # two security updates upstream
                ref = parse_reference(reference)
                registry.push_image(ref.path, ref.tag or "latest")
            baseline = _raw_head_ms(registry, [parse_reference(f"{registry.host}/{img.repository}") for img in list(inventory.images.values())[:200]])
            runs = []
            load = [os.getloadavg()[0]]
            for _ in range(3):
                begun = time.perf_counter()
                done = subprocess.run([str(python), "-m", "jenkins_docker", "outdated", str(path), "--detailed-exitcode"],
                                      capture_output=True, text=True, timeout=600)
                runs.append(time.perf_counter() - begun)
                if done.returncode != 2:
                    raise RuntimeError(f"outdated exited {done.returncode}: {done.stderr[-500:]}")
            load.append(os.getloadavg()[0])
            summary = done.stdout.strip().splitlines()[-1]
            found_counts = re.search(r"(\d+) outdated, (\d+) unknown, (\d+) fresh.*\((\d+) registry requests\)", summary)
            assert found_counts is not None, summary
            outdated, unknown, fresh, requests = (int(g) for g in found_counts.groups())
        finally:
            registry.process.terminate()
            registry.process.wait(timeout=30)
    return {"images": n, "external_parents": EXTERNALS, "outdated": outdated, "unknown": unknown, "fresh": fresh,
            "requests": requests, "budget": 2 * n + EXTERNALS, "walls": runs, "push_seconds": push_seconds,
            "load": load, "nproc": os.cpu_count(), "raw_head_ms": baseline}


def _raw_head_ms(registry: Any, refs: list[Any]) -> float:
    """Milliseconds per plain ``requests`` HEAD of a manifest, one at a time: what a request costs
    on this machine right now, without jenkins-docker."""
    import requests

    session = requests.Session()
    started = time.perf_counter()
    for ref in refs:
        session.head(f"{registry.url}/v2/{ref.path}/manifests/latest", timeout=30,
                     headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    session.close()
    return (time.perf_counter() - started) / len(refs) * 1000


def section(result: dict[str, Any]) -> str:
    """The report's section for this scenario, between markers so a run alone can replace it."""
    walls = sorted(result["walls"])
    median = walls[len(walls) // 2]
    met = result["requests"] <= result["budget"]
    return "\n".join([
        "<!-- outdated:begin (bench/run.py --only outdated rewrites this section) -->",
        "## `outdated` against a real registry",
        "",
        f"`jenkins-docker outdated` of {result['images']:,} images pushed to Debian's `docker-registry` on loopback "
        f"(one anonymous registry; {result['external_parents']} external parents, 100 base images, every fifth image "
        "multi-stage with a second external parent; two external parents moved before the runs). "
        "Each run is a fresh process; the request count is the client's own (its summary line).",
        "",
        "| | |",
        "|---|---:|",
        f"| images | {result['images']:,} |",
        f"| found outdated / unknown / fresh | {result['outdated']} / {result['unknown']} / {result['fresh']} |",
        f"| registry requests | {result['requests']:,} |",
        f"| budget: 2 per image + 1 per distinct external parent | {result['budget']:,} ({'met' if met else 'MISSED'}) |",
        f"| wall time, median of {len(walls)} (min–max) | {median:.2f} s ({walls[0]:.2f}–{walls[-1]:.2f} s) |",
        f"| pushing the platform first (not part of the command) | {result['push_seconds']:.1f} s |",
        "| for scale: one plain `requests` HEAD, serially, same moment | "
        + (f"{result['raw_head_ms']:.1f} ms" if "raw_head_ms" in result else "not recorded") + " |",
        f"| load average (1 min) before / after the runs, on {result.get('nproc', '?')} CPUs | "
        + (" / ".join(f"{x:.1f}" for x in result["load"]) if "load" in result else "not recorded") + " (the machine may be shared) |",
        "",
        "<!-- outdated:end -->",
    ]) + "\n"


def splice(report: str, new_section: str) -> str:
    """``report`` with its outdated section replaced by ``new_section`` (appended if it has none)."""
    from sections import splice as splice_section  # bench/sections.py

    return splice_section(report, new_section)
