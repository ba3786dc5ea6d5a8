"""A base-image rebuild cascades through the rendered jobs exactly once, in order.

The jobs are replayed by :mod:`simulator`, which knows them only through their config.xml; the
expectations come from the inventory's graph. For every changed image: each image and app built
from it (and the deploy job of each rebuilt app) builds exactly once, after all of its rebuilt
parents have pushed, and nothing else builds.
"""
from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import expected_builds, with_job_type
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import load
from jenkins_docker.rendering.renderer import ItemSet, render, write_tree
from simulator import Build, Simulator, read_job, read_jobset, read_tree

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
JOB_TYPES = ["freestyle", "pipeline"]


def check_cascade(inventory: Inventory, changed: str, builds: list[Build]) -> None:
    """Assert that ``builds`` is a correct cascade of a rebuild of ``changed``."""
    expected = expected_builds(inventory, changed)
    counts = Counter(build.job for build in builds)
    assert counts == Counter(dict.fromkeys(expected, 1)), f"rebuild of {changed}: builds {dict(counts)}, expected each of {sorted(expected)} once"
    by_job = {build.job: build for build in builds}
    for job, parents in expected.items():
        for parent in parents:
            assert by_job[job].start >= by_job[parent].pushed, f"{job} started before its parent {parent} had pushed"


def simulate(jobs: ItemSet | dict, changed_job: str, **options) -> list[Build]:
    """Build ``changed_job`` by hand (no parameters: a push, a timer or Build Now) and replay."""
    specs = read_jobset(jobs) if isinstance(jobs, ItemSet) else jobs
    simulator = Simulator(specs, **options)
    simulator.schedule(changed_job)
    return simulator.run()


@pytest.fixture(scope="module", params=["iiiepe", "platform"])
def example(request) -> Inventory:
    return load(EXAMPLES / request.param / "inventory.yml")


@pytest.mark.parametrize("job_type", JOB_TYPES)
@pytest.mark.parametrize("executors,quiet_period", [(1, 0.0), (3, 0.0), (16, 5.0)])
def test_every_rebuild_of_an_example_image_cascades_once_in_order(example, job_type, executors, quiet_period):
    inventory = with_job_type(example, job_type)
    jobs = render(inventory)
    for key in inventory.images:
        for seed in range(3):
            builds = simulate(jobs, inventory.job(key), executors=executors, seed=seed, quiet_period=quiet_period)
            check_cascade(inventory, key, builds)


@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_the_cascade_also_works_from_a_written_tree(example, job_type, tmp_path):
    inventory = with_job_type(example, job_type)
    write_tree(render(inventory), tmp_path)
    specs = read_tree(tmp_path)
    root = next(key for key in inventory.images if not inventory.graph.upstreams(key) and inventory.graph.dependents({key}))
    check_cascade(inventory, root, simulate(specs, inventory.job(root), executors=4, seed=1))


def test_a_diamond_waits_for_its_slower_parent():
    inventory = load(EXAMPLES / "platform" / "inventory.yml")
    durations = {"ops/docker/acme-node": 10.0, "ops/docker/acme-python": 1.0}
    builds = simulate(render(inventory), "ops/docker/acme-runtime", executors=8, durations=lambda job: durations.get(job, 1.0))
    fullstack = [b for b in builds if b.job == "ops/docker/acme-fullstack"]
    node = next(b for b in builds if b.job == "ops/docker/acme-node")
    assert len(fullstack) == 1 and fullstack[0].start >= node.pushed == 11.0


def test_without_upstream_blocking_the_simulator_finds_the_diamond_built_twice():
    """Proves the simulator can fail: strip the blocking and the diamond's tip builds twice."""
    inventory = load(EXAMPLES / "platform" / "inventory.yml")
    unblocked = {}
    for job in render(inventory).jobs:
        xml = re.sub(r"<blockBuildWhenUpstreamBuilding>true<", "<blockBuildWhenUpstreamBuilding>false<", job.xml)
        spec = read_job(job.full_name, xml)
        if spec is not None:
            unblocked[spec.name] = spec
    durations = {"ops/docker/acme-node": 10.0, "ops/docker/acme-python": 1.0}
    builds = simulate(unblocked, "ops/docker/acme-runtime", executors=8, durations=lambda job: durations.get(job, 1.0))
    assert Counter(b.job for b in builds)["ops/docker/acme-fullstack"] == 2
    with pytest.raises(AssertionError, match="rebuild of acme/runtime"):
        check_cascade(inventory, "acme/runtime", builds)


def test_if_pipeline_children_cascaded_too_the_simulator_finds_double_builds():
    """Proves the pipeline check can fail: children that cascade again rebuild shared dependents."""
    inventory = with_job_type(load(EXAMPLES / "platform" / "inventory.yml"), "pipeline")
    specs = read_jobset(render(inventory))
    for spec in specs.values():
        spec.cascade_params = {"CASCADE": "true"}
    builds = simulate(specs, "ops/docker/acme-runtime", executors=4)
    assert Counter(b.job for b in builds)["ops/docker/dashboard"] > 1
    with pytest.raises(AssertionError):
        check_cascade(inventory, "acme/runtime", builds)


def test_a_pipeline_child_built_without_cascade_does_not_cascade(example):
    inventory = with_job_type(example, "pipeline")
    specs = read_jobset(render(inventory))
    parent = next(key for key in inventory.images if inventory.graph.dependents({key}) and not inventory.images[key].deploy)
    simulator = Simulator(specs, executors=4)
    simulator.schedule(inventory.job(parent), {"CASCADE": "false"})
    builds = simulator.run()
    assert [b.job for b in builds] == [inventory.job(parent)]


# -- random DAG inventories --------------------------------------------------------------------
@st.composite
def dag_inventories(draw) -> dict:
    """A valid inventory document: base images forming a random DAG (diamonds included), apps
    built from one or two of them, some with a deploy command."""
    bases = draw(st.integers(min_value=1, max_value=7))
    document: dict = {
        "version": 1,
        "jenkins": {"folder": draw(st.sampled_from(["docker", "ops/docker"])), "agent": "docker"},
        "registries": {"private": {"host": "registry.example.org", "credentials": "push"}},
        "defaults": {"registry": "private", "branch": "main"},
        "base_images": {},
        "apps": {},
    }
    for index in range(bases):
        chosen = draw(st.lists(st.integers(min_value=0, max_value=index - 1), max_size=3, unique=True)) if index else []
        parents = [f"lib/b{p}" for p in sorted(chosen)] or ["debian:bookworm"]
        document["base_images"][f"lib/b{index}"] = {"git": f"git@example.org:b{index}.git", "from": parents}
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        chosen = draw(st.lists(st.integers(min_value=0, max_value=bases - 1), min_size=1, max_size=2, unique=True))
        app: dict = {"git": f"git@example.org:app{index}.git", "from": [f"lib/b{p}" for p in sorted(chosen)]}
        if draw(st.booleans()):
            app["deploy"] = f"./deploy.sh app{index}"
        document["apps"][f"app{index}"] = app
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=dag_inventories(), job_type=st.sampled_from(JOB_TYPES), executors=st.integers(1, 6),
       seed=st.integers(0, 2**16), quiet_period=st.sampled_from([0.0, 5.0]))
def test_every_rebuild_of_a_random_dag_cascades_once_in_order(document, job_type, executors, seed, quiet_period):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "inventory.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        inventory = with_job_type(load(path), job_type)
    jobs = render(inventory)
    for key in [image.key for image in inventory.base_images]:
        check_cascade(inventory, key, simulate(jobs, inventory.job(key), executors=executors, seed=seed, quiet_period=quiet_period))
