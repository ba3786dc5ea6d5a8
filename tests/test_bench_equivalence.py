"""The benchmark compares like with like: the generated JJB YAML describes the jobs jenkins-docker renders.

``bench/generate.py`` writes, for N images, an inventory and the same jobs as Jenkins Job Builder
YAML, computing the JJB side (transitive reduction, shell steps) on its own. Here both are read
back without JJB: the inventory is loaded and rendered by jenkins-docker and each config.xml
parsed; the JJB YAML is parsed as data (JJB's brace escaping undone). They must agree on every
job's name, downstream triggers (``childProjects``), block-upstream flag, repository, branch,
credentials, build discarder, timer and shell steps.
"""
from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from jenkins_docker.loading.loader import load
from jenkins_docker.rendering.renderer import render

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


generate = _generator()


def _unescape(value: Any) -> Any:
    """JJB's view of a value: it formats every string, so ``{{`` reads as ``{``."""
    if isinstance(value, str):
        return value.replace("{{", "{").replace("}}", "}")
    if isinstance(value, list):
        return [_unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: _unescape(v) for k, v in value.items()}
    return value


def _one(items: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [item[kind] for item in items if kind in item]
    assert len(found) == 1, f"expected one {kind!r} in {items}"
    return found[0]


def _jjb_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the comparison looks at, from one JJB job definition."""
    publishers = job.get("publishers") or []
    triggers = job["triggers"]
    timed = [t["timed"] for t in triggers if "timed" in t]
    gitlab = _one(triggers, "gitlab")
    git = _one(job["scm"], "git")
    bindings = [b["username-password-separated"] for b in _one(job["wrappers"], "credentials-binding")]
    children = _one(publishers, "trigger") if publishers else None
    assert job["project-type"] == "freestyle"
    assert children is None or children["threshold"] == "SUCCESS"
    return {
        "children": sorted(children["project"].split(",")) if children else [],
        "block_upstream": bool(job["block-upstream"]),
        "block_downstream": bool(job["block-downstream"]),
        "concurrent": bool(job["concurrent"]),
        "agent": job["node"],
        "git": (git["url"], git["credentials-id"], git["branches"]),
        "gitlab": (_one(job["properties"], "gitlab")["connection"], gitlab["trigger-push"], gitlab["trigger-merge-request"],
                   gitlab["branch-filter-type"], ",".join(gitlab["include-branches"])),
        "timer": timed[0] if timed else None,
        "keep": int(_one(job["properties"], "build-discarder")["num-to-keep"]),
        "registry": [(b["credential-id"], b["username"], b["password"]) for b in bindings],
        "shell": [b["shell"] for b in job["builders"]],
    }


def _text(root: ET.Element, path: str) -> str | None:
    node = root.find(path)
    return None if node is None else (node.text or "")


def _rendered_view(xml: str) -> dict[str, Any]:
    """The same fields, from a config.xml jenkins-docker rendered."""
    root = ET.fromstring(xml)
    assert root.tag == "project"
    children = _text(root, "publishers/hudson.tasks.BuildTrigger/childProjects")
    threshold = _text(root, "publishers/hudson.tasks.BuildTrigger/threshold/name")
    assert children is None or threshold == "SUCCESS"
    push = root.find("triggers/com.dabsquared.gitlabjenkins.GitLabPushTrigger")
    assert push is not None
    bindings = root.findall("buildWrappers/org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper/bindings/"
                            "org.jenkinsci.plugins.credentialsbinding.impl.UsernamePasswordMultiBinding")
    assert bindings
    remote = "scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/"
    return {
        "children": sorted(children.split(",")) if children else [],
        "block_upstream": _text(root, "blockBuildWhenUpstreamBuilding") == "true",
        "block_downstream": _text(root, "blockBuildWhenDownstreamBuilding") == "true",
        "concurrent": _text(root, "concurrentBuild") == "true",
        "agent": _text(root, "assignedNode"),
        "git": (_text(root, remote + "url"), _text(root, remote + "credentialsId"),
                [n.text for n in root.findall("scm/branches/hudson.plugins.git.BranchSpec/name")]),
        "gitlab": (_text(root, "properties/com.dabsquared.gitlabjenkins.connection.GitLabConnectionProperty/gitLabConnection"),
                   _text(push, "triggerOnPush") == "true", _text(push, "triggerOnMergeRequest") == "true",
                   _text(push, "branchFilterType"), _text(push, "includeBranchesSpec")),
        "timer": _text(root, "triggers/hudson.triggers.TimerTrigger/spec"),
        "keep": int(_text(root, "properties/jenkins.model.BuildDiscarderProperty/strategy/numToKeep") or "-1"),
        "registry": [(_text(b, "credentialsId"), _text(b, "usernameVariable"), _text(b, "passwordVariable")) for b in bindings],
        "shell": [n.text for n in root.findall("builders/hudson.tasks.Shell/command")],
    }


@pytest.mark.parametrize("n, seed", [(60, 0), (150, 3)])
def test_jjb_yaml_describes_the_rendered_jobs(tmp_path: Path, n: int, seed: int) -> None:
    workload = generate.write(n, tmp_path, seed)
    stats = workload.stats()
    # The workload exercises what the comparison is about: fan-out, diamonds, redundant edges.
    assert stats["images"] == n and stats["base_images"] >= 2
    assert stats["block_upstream"] >= 1 and stats["redundant_edges"] >= 1

    jobs = render(load(tmp_path / "inventory.yml"))
    rendered = {job.full_name: _rendered_view(job.xml) for job in jobs.jobs}
    documents = yaml.safe_load((tmp_path / "jjb" / "jobs.yaml").read_text(encoding="utf-8"))
    jjb = {_unescape(d["job"]["name"]): _jjb_view(_unescape(d["job"])) for d in documents}

    assert sorted(rendered) == sorted(jjb)
    assert len(jjb) == n
    for name in sorted(jjb):
        assert rendered[name] == jjb[name], name
    # Every trigger edge of the reduction is there, on both sides.
    assert sum(len(v["children"]) for v in jjb.values()) == stats["trigger_edges"]


def test_generator_is_deterministic() -> None:
    a, b = generate.generate(200, 7), generate.generate(200, 7)
    assert generate.inventory_yaml(a) == generate.inventory_yaml(b)
    assert generate.jjb_yaml(a) == generate.jjb_yaml(b)
    assert generate.inventory_yaml(a) != generate.inventory_yaml(generate.generate(200, 8))


def test_reduction_drops_the_edge_to_an_ancestor() -> None:
    entries = [
        generate.Entry("a", "base", "git@x:a.git", ["debian:bookworm"]),
        generate.Entry("b", "base", "git@x:b.git", ["a"]),
        generate.Entry("c", "base", "git@x:c.git", ["a"]),
        generate.Entry("d", "app", "git@x:d.git", ["b", "c"]),       # diamond: both kept
        generate.Entry("e", "app", "git@x:e.git", ["a", "b"]),       # redundant: a is b's parent
    ]
    up = generate._reduce(entries)
    assert up == {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": ["b"]}
