"""Property: whatever was on the target, a sync with any flags changes nothing that was not ours.

Random sets of items (this inventory's, another owner's, hand-made, with the first release's
line; jobs of both types and folders holding a mix, names in case variants of the inventory's)
are put on the fake Jenkins and in a JENKINS_HOME; after ``sync`` with random ``--prune`` and
``--adopt``, every item that was not ours is still there, unchanged, except what the rules
allow: ``--adopt`` takes over a hand-made job the inventory renders (same kind), and a legacy
item may be updated when rendered and deleted or replaced only with ``--adopt``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import BASE_IMAGES, REGISTRY, app, braced, remote, write
from jenkins_docker import JenkinsHome, apply, load, make_plan, render
from jenkins_docker.naming import collision_key
from jenkins_docker.ownership import LEGACY_LINE, ownership_line
from jenkins_docker.testing.fake_jenkins import FakeJenkins

FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"
RENDERED = ["acme-base", "portal", "shop"]
OTHER = ["hotfix", "release-prod", "team-b"]
OWNERS = {"ours": ownership_line("docker"), "other": ownership_line("docker/team-b"),
          "legacy": LEGACY_LINE, "hand": "made by hand, Managed by jenkins-docker [owner=docker] quoted"}

INVENTORY = """\
version: 1
jenkins: {{folder: docker, job_type: {job_type}}}
""" + braced(REGISTRY) + BASE_IMAGES + """\
apps:
{apps}"""


@dataclass(frozen=True)
class Seed:
    full_name: str
    kind: str      # "project" | "flow-definition" | "folder"
    owner: str     # key of OWNERS

    def xml(self) -> str:
        root = FOLDER_CLASS if self.kind == "folder" else self.kind
        return f"<{root}><description>seeded {self.full_name}\n{OWNERS[self.owner]}</description></{root}>"


def _case(name: str, variant: int) -> str:
    return [name, name.upper(), name.capitalize()][variant]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Seed], bool, bool, str, tuple[str, ...]]:
    seeds: dict[str, Seed] = {}

    def add(seed: Seed) -> None:
        seeds.setdefault(collision_key(seed.full_name), seed)

    folder_owner = draw(st.sampled_from(["ours", "hand", "other", "legacy", "absent"]))
    if folder_owner != "absent":
        add(Seed("docker", "folder", folder_owner))
        for _ in range(draw(st.integers(0, 6))):
            name = _case(draw(st.sampled_from(RENDERED + OTHER)), draw(st.integers(0, 2)))
            kind = draw(st.sampled_from(["project", "flow-definition", "folder"]))
            add(Seed(f"docker/{name}", kind, draw(st.sampled_from(list(OWNERS)))))
            if kind == "folder":
                for _ in range(draw(st.integers(0, 2))):
                    inner = draw(st.sampled_from(RENDERED + OTHER))
                    add(Seed(f"docker/{name}/{inner}", draw(st.sampled_from(["project", "flow-definition"])),
                             draw(st.sampled_from(list(OWNERS)))))
    for name in draw(st.lists(st.sampled_from(["portal", "outside", "Docker2"]), max_size=2, unique=True)):
        add(Seed(name, "project", draw(st.sampled_from(list(OWNERS)))))
    ordered = sorted(seeds.values(), key=lambda s: s.full_name.count("/"))
    # A child needs its folder: drop children whose parent is not a seeded folder.
    kept: list[Seed] = []
    folders = set()
    for seed in ordered:
        parent = seed.full_name.rpartition("/")[0]
        if parent and collision_key(parent) not in folders:
            continue
        if seed.kind == "folder":
            folders.add(collision_key(seed.full_name))
        kept.append(seed)
    apps = tuple(draw(st.lists(st.sampled_from(["portal", "shop"]), unique=True)))
    return kept, draw(st.booleans()), draw(st.booleans()), draw(st.sampled_from(["freestyle", "pipeline"])), apps


def write_inventory(directory: Path, job_type: str, apps: tuple[str, ...]) -> Path:
    return write(directory, INVENTORY.format(job_type=job_type, apps="".join(app(a) for a in apps) or "  {}\n"))


def may_change(seed: Seed, prune: bool, adopt: bool, rendered: set[str], rendered_kind: dict[str, str]) -> bool:
    """Whether the rules let sync change or delete this seeded item."""
    key = collision_key(seed.full_name)
    if seed.owner == "ours":
        return True
    if seed.owner in ("other",) or "/" not in seed.full_name and seed.full_name != "docker":
        return False
    same_name_rendered = key in rendered and seed.full_name in rendered_kind
    if seed.owner == "hand":
        return adopt and same_name_rendered and seed.kind != "folder" and rendered_kind[seed.full_name] != "folder"
    # legacy
    return same_name_rendered or (adopt and prune)


def check(target_name: str, seeds: list[Seed], prune: bool, adopt: bool, job_type: str, apps: tuple[str, ...],
          directory: Path) -> None:
    path = write_inventory(directory, job_type, apps)
    jobs = render(load(path))
    rendered = {collision_key(j.full_name) for j in jobs.jobs}
    rendered_kind = {j.full_name: j.kind for j in jobs.jobs}
    fake = None
    if target_name == "remote":
        fake = FakeJenkins(tokens={"admin": "admin-token"}).start()
        target: Any = remote(fake)
        for seed in seeds:
            (fake.put_folder if seed.kind == "folder" else fake.put_job)(seed.full_name, seed.xml())

        def read(name: str) -> str | None:
            try:
                return fake.get_config(name)
            except KeyError:
                return None
    else:
        home = directory / "home"
        target = JenkinsHome(home)

        def place(name: str) -> Path:
            out = home
            for part in name.split("/"):
                out = out / "jobs" / part
            return out / "config.xml"

        for seed in seeds:
            place(seed.full_name).parent.mkdir(parents=True, exist_ok=True)
            place(seed.full_name).write_text(seed.xml(), encoding="utf-8")

        def read(name: str) -> str | None:
            return place(name).read_text(encoding="utf-8") if place(name).is_file() else None
    try:
        before = {seed.full_name: read(seed.full_name) for seed in seeds}
        plan = make_plan(jobs, target, folder="docker", prune=prune, adopt=adopt, workers=2)
        apply(plan, target, workers=2)
        for seed in seeds:
            if may_change(seed, prune, adopt, rendered, rendered_kind):
                continue
            assert read(seed.full_name) == before[seed.full_name], (seed, prune, adopt, plan.changes, plan.failed)
    finally:
        target.close()
        if fake is not None:
            fake.stop()


PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@PROPERTY
@given(world=worlds())
def test_nothing_that_was_not_ours_changes_on_the_fake_jenkins(tmp_path_factory: Any, world: Any) -> None:
    check("remote", *world, tmp_path_factory.mktemp("world"))


@PROPERTY
@given(world=worlds())
def test_nothing_that_was_not_ours_changes_in_a_jenkins_home(tmp_path_factory: Any, world: Any) -> None:
    check("home", *world, tmp_path_factory.mktemp("world"))
