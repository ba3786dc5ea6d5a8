"""Workloads for the benchmark: an inventory of N images, and the same jobs as Jenkins Job Builder YAML.

The images form a tree of base images (a few roots built FROM external images, each other base
image FROM an earlier one, at most six levels deep) with apps spread over them. A few entries
have two parents: *diamonds* (two siblings under one base image, so the reduction keeps both
edges and the job blocks on its upstreams), multi-stage apps FROM two unrelated base images, and
*redundant* edges (FROM a base image and one of its descendants, so the transitive reduction
drops the edge to the ancestor). Everything is decided by a seeded ``random.Random``: the same
N and seed give the same files.

The Jenkins Job Builder (JJB) side is computed here, independently of jenkins-docker: the
downstream triggers come from this module's own transitive reduction, and the shell steps are
written out line by line. ``tests/test_bench_equivalence.py`` checks that both describe the same
jobs (names, downstream triggers, block-upstream flags, repository, credentials, shell steps).

Usage::

    python bench/generate.py N OUTDIR [--seed S]

writes ``OUTDIR/inventory.yml`` and ``OUTDIR/jjb/jobs.yaml``.
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

#: ``registries:`` of every generated inventory: name -> (host, credentials id).
REGISTRIES = {
    "hub": ("docker.io", "dockerhub-push"),
    "private": ("registry.example.org", "registry-push"),
}
AGENT = "docker"
GIT_CREDENTIALS = "gitlab-ssh"
GITLAB_CONNECTION = "gitlab"
KEEP_BUILDS = 20
DEFAULT_BRANCH = "master"
DEFAULT_REGISTRY = "private"
DEFAULT_TEST = "make test"
EXTERNAL_PARENTS = ("debian:bookworm", "alpine:3.20", "ubuntu:24.04")
WEEKLY = "H H * * 0"
MAX_DEPTH = 6
# The ownership line of an inventory with neither folder nor owner (jenkins_docker.ownership).
MANAGED_LINE = "Managed by jenkins-docker [owner=]: changes made in the Jenkins UI are overwritten by the next sync."


@dataclass
class Entry:
    """One base image or app of a generated inventory."""

    key: str
    kind: str                       # "base" | "app"
    git: str
    parents: list[str]              # listed keys, or external references
    registry: str = DEFAULT_REGISTRY
    branch: str = DEFAULT_BRANCH
    test: str | None = DEFAULT_TEST
    image: str | None = None        # apps: repository pushed (default: the key)
    rebuild: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def job(self) -> str:
        return self.key.replace("/", "-")

    @property
    def push_name(self) -> str:
        return f"{REGISTRIES[self.registry][0]}/{self.image or self.key}"


@dataclass
class Workload:
    """A generated inventory: its entries in file order, with the reduction computed here."""

    n: int
    seed: int
    entries: list[Entry]
    upstreams: dict[str, list[str]]       # key -> listed parents kept by the transitive reduction
    downstream: dict[str, list[str]]      # key -> job names it triggers, sorted

    def by_key(self) -> dict[str, Entry]:
        return {e.key: e for e in self.entries}

    def stats(self) -> dict[str, int]:
        """How many entries of each shape the workload has (for the notes of a benchmark)."""
        return {
            "images": len(self.entries),
            "base_images": sum(e.kind == "base" for e in self.entries),
            "apps": sum(e.kind == "app" for e in self.entries),
            "block_upstream": sum(len(self.upstreams[e.key]) > 1 for e in self.entries),
            "redundant_edges": sum(len([p for p in e.parents if p in self.upstreams]) - len(self.upstreams[e.key])
                                   for e in self.entries),
            "trigger_edges": sum(len(v) for v in self.downstream.values()),
        }


def generate(n: int, seed: int = 0) -> Workload:
    """A workload of ``n`` images (base images and apps); deterministic for a given seed."""
    if n < 2:
        raise ValueError("a workload needs at least 2 images")
    rng = random.Random(seed)
    n_base = max(2, n // 5)
    n_roots = max(1, n_base // 25)
    entries: list[Entry] = []
    depth: dict[str, int] = {}
    base_parent: dict[str, str] = {}            # base -> its (first) listed base parent
    children: dict[str, list[str]] = {}         # base -> its base children
    bases: list[str] = []

    def siblings(max_depth: int) -> list[str] | None:
        """Two base images with the same base parent (a diamond below that parent), if any."""
        groups = [shallow for c in children.values() if len(shallow := [b for b in c if depth[b] <= max_depth]) >= 2]
        if not groups:
            return None
        return sorted(rng.sample(rng.choice(groups), 2))

    def add(entry: Entry) -> None:
        entries.append(entry)
        listed = [p for p in entry.parents if p in depth]
        depth[entry.key] = 1 + max((depth[p] for p in listed), default=0)

    for i in range(n_base):
        key = f"acme/base-{i:05d}"
        entry = Entry(key, "base", f"git@gitlab.example.org:docker/base-{i:05d}.git", [])
        if i < n_roots:
            entry.parents = [EXTERNAL_PARENTS[i % len(EXTERNAL_PARENTS)]]
            entry.registry = "hub"
            entry.rebuild = WEEKLY
        else:
            pair = siblings(MAX_DEPTH - 2) if i % 20 == 10 else None
            shallow = [b for b in bases if depth[b] < MAX_DEPTH - 1]
            if pair:
                entry.parents = pair
            elif i % 40 == 30 and any(b in base_parent and depth[b] < MAX_DEPTH - 1 for b in bases):
                child = rng.choice([b for b in bases if b in base_parent and depth[b] < MAX_DEPTH - 1])
                entry.parents = [base_parent[child], child]          # redundant: the first is an ancestor
            else:
                entry.parents = [rng.choice(shallow)]
            base_parent[key] = entry.parents[-1]     # for a redundant pair, the nearer parent
            children.setdefault(entry.parents[-1], []).append(key)
        _vary(entry, i)
        add(entry)
        bases.append(key)

    for j in range(n - n_base):
        key = f"app-{j:05d}"
        entry = Entry(key, "app", f"git@gitlab.example.org:web/app-{j:05d}.git", [], image=f"web/app-{j:05d}")
        pair = siblings(MAX_DEPTH) if j % 15 == 7 else None
        if pair:
            entry.parents = pair
        elif j % 50 == 20 and len(bases) >= 2:
            first, second = rng.sample(bases, 2)
            entry.parents = sorted([first, second])                # multi-stage; maybe redundant
        elif j % 40 == 33 and base_parent:
            child = rng.choice(sorted(base_parent))
            entry.parents = [base_parent[child], child]
        else:
            entry.parents = [rng.choice(bases)]
        _vary(entry, j + 1)
        add(entry)

    upstreams = _reduce(entries)
    downstream: dict[str, list[str]] = {e.key: [] for e in entries}
    for e in entries:
        for parent in upstreams[e.key]:
            downstream[parent].append(e.job)
    for key in downstream:
        downstream[key].sort()
    return Workload(n, seed, entries, upstreams, downstream)


def _vary(entry: Entry, i: int) -> None:
    """Spread the optional settings over the entries, the way a real inventory mixes them."""
    if i % 7 == 3:
        entry.build_args = {"VERSION": f"1.{i % 10}"}
    if i % 9 == 4:
        entry.env = {"APP_ENV": "production"}
    if i % 11 == 5:
        entry.test = "true"
    if i % 13 == 6:
        entry.branch = "main"
    if entry.kind == "app" and i % 17 == 8:
        entry.registry = "hub"


def _reduce(entries: list[Entry]) -> dict[str, list[str]]:
    """Each entry's listed parents minus those that are ancestors of another of its parents.

    Entries come parents first, so each one's ancestors are known when it is reached; only base
    images are kept in the ancestor table (nothing is built from an app).
    """
    ancestors: dict[str, frozenset[str]] = {}
    upstreams: dict[str, list[str]] = {}
    for e in entries:
        listed = sorted({p for p in e.parents if p in ancestors})
        kept = [p for p in listed if not any(p in ancestors[q] for q in listed if q != p)]
        upstreams[e.key] = kept
        if e.kind == "base":
            ancestors[e.key] = frozenset(listed).union(*(ancestors[p] for p in listed))
    return upstreams


# -- what a build runs (the same steps jenkins-docker renders) ----------------------------------
def exports(entry: Entry) -> list[str]:
    return [f"export {k}={v}" for k, v in sorted(entry.env.items())]


def _pulled(parent: str, by_key: dict[str, Entry]) -> str:
    """The reference a build pulls for a parent: a listed one from where its job pushes it, an
    external one fully qualified (the workload's externals are official images with a tag)."""
    return f"{by_key[parent].push_name}:latest" if parent in by_key else f"docker.io/library/{parent}"


def record_lines(entry: Entry, by_key: dict[str, Entry]) -> tuple[list[str], list[str]]:
    """Pull each parent and read its digest (the recording step), and the build's --label arguments."""
    lines, entries = [], []
    for n, parent in enumerate(entry.parents, start=1):
        ref = _pulled(parent, by_key)
        repository = ref.rsplit(":", 1)[0]
        for hub in ("docker.io/library/", "docker.io/"):      # Docker shows Hub names without them
            if repository.startswith(hub):
                repository = repository[len(hub):]
                break
        template = ('{{range .RepoDigests}}{{if eq (index (split . "@") 0) "%s"}}{{index (split . "@") 1}}{{end}}{{end}}'
                    % repository)
        lines += [f"docker pull {ref}",
                  f"PARENT_DIGEST_{n}=$(docker image inspect --format '{template}' {ref})",
                  f"test -n \"$PARENT_DIGEST_{n}\" || {{ echo 'cannot read the digest of {ref} after pulling it' >&2; exit 1; }}"]
        entries.append(f"{ref}@${{PARENT_DIGEST_{n}}}")
    last = len(entry.parents)
    labels = ["--label", f"org.opencontainers.image.base.name={_pulled(entry.parents[-1], by_key)}",
              "--label", f'"org.opencontainers.image.base.digest=${{PARENT_DIGEST_{last}}}"',
              "--label", f'"org.jenkins-docker.parents={" ".join(entries)}"']
    return lines, labels


def pull_registries(entry: Entry, by_key: dict[str, Entry]) -> list[str]:
    """Names of the other registries the entry's listed parents are pushed to, by host."""
    own = REGISTRIES[entry.registry][0]
    hosts = {REGISTRIES[by_key[p].registry][0]: by_key[p].registry for p in entry.parents if p in by_key}
    return [hosts[h] for h in sorted(hosts) if h != own]


def build_script(entry: Entry, by_key: dict[str, Entry]) -> str:
    """The build-and-push shell step: logins with bound credentials, pull and record the parents,
    build, push three tags."""
    host = REGISTRIES[entry.registry][0]
    pulls = [REGISTRIES[name][0] for name in pull_registries(entry, by_key)]
    tags = [f"{entry.push_name}:{t}" for t in ("$BUILD_NUMBER", "$SHORT_COMMIT", "latest")]
    record, labels = record_lines(entry, by_key)
    build = ["docker", "build", "-f", "Dockerfile", *labels]
    for arg, value in sorted(entry.build_args.items()):
        build += ["--build-arg", f"{arg}={value}"]
    for tag in tags:
        build += ["-t", tag]
    build.append(".")
    lines = [
        *exports(entry),
        'export DOCKER_CONFIG="${WORKSPACE_TMP:-$WORKSPACE@tmp}/docker-config"',
        "trap '" + "; ".join(f"docker logout {h}" for h in [host, *pulls]) + "' EXIT",
        f"printf '%s\\n' \"$REGISTRY_PASSWORD\" | docker login --username \"$REGISTRY_USER\" --password-stdin {host}",
        *(f"printf '%s\\n' \"$PULL_PASSWORD_{n}\" | docker login --username \"$PULL_USER_{n}\" --password-stdin {h}"
          for n, h in enumerate(pulls, start=1)),
        "SHORT_COMMIT=$(git rev-parse --short HEAD)",
        *record,
        " ".join(build),
        *(f"docker push {tag}" for tag in tags),
    ]
    return "\n".join(lines) + "\n"


def shell_steps(entry: Entry, by_key: dict[str, Entry]) -> list[str]:
    """Every shell builder of the entry's job, in order: the test (if any), then build and push."""
    steps = ["\n".join([*exports(entry), entry.test]) + "\n"] if entry.test else []
    return steps + [build_script(entry, by_key)]


# -- the inventory ----------------------------------------------------------------------------
def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text)


def inventory_yaml(w: Workload) -> str:
    """The jenkins-docker inventory of the workload, as YAML text."""
    out = [
        f"# Generated by bench/generate.py: {w.n} images, seed {w.seed}.",
        "version: 1",
        "",
        "jenkins:",
        f"  agent: {AGENT}",
        f"  git_credentials: {GIT_CREDENTIALS}",
        f"  gitlab_connection: {GITLAB_CONNECTION}",
        f"  keep_builds: {KEEP_BUILDS}",
        "",
        "registries:",
        *(f"  {name}: {{host: {host}, credentials: {cred}}}" for name, (host, cred) in REGISTRIES.items()),
        "",
        "defaults:",
        f"  branch: {DEFAULT_BRANCH}",
        f"  registry: {DEFAULT_REGISTRY}",
        f"  test: {_q(DEFAULT_TEST)}",
    ]
    for section, kind in (("base_images", "base"), ("apps", "app")):
        out += ["", f"{section}:"]
        for e in w.entries:
            if e.kind != kind:
                continue
            out.append(f"  {e.key}:")
            out.append(f"    git: {_q(e.git)}")
            out.append(f"    from: {_q(e.parents[0])}" if len(e.parents) == 1 else f"    from: [{', '.join(_q(p) for p in e.parents)}]")
            if e.image:
                out.append(f"    image: {e.image}")
            if e.registry != DEFAULT_REGISTRY:
                out.append(f"    registry: {e.registry}")
            if e.branch != DEFAULT_BRANCH:
                out.append(f"    branch: {e.branch}")
            if e.test != DEFAULT_TEST:
                out.append(f"    test: {_q(e.test or '')}")
            if e.rebuild:
                out.append(f"    rebuild: {_q(e.rebuild)}")
            if e.build_args:
                out.append("    build_args: {" + ", ".join(f"{k}: {_q(v)}" for k, v in sorted(e.build_args.items())) + "}")
            if e.env:
                out.append("    env: {" + ", ".join(f"{k}: {_q(v)}" for k, v in sorted(e.env.items())) + "}")
    return "\n".join(out) + "\n"


# -- the same jobs for Jenkins Job Builder ----------------------------------------------------
def jjb_escape(text: str) -> str:
    """JJB formats every string of a job with ``str.format``: braces must be doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def _jq(text: str) -> str:
    return _q(jjb_escape(text))


def description(w: Workload, e: Entry) -> str:
    by_key = w.by_key()
    parents = [by_key[p].job if p in by_key else f"{p} (external)" for p in e.parents]
    lines = [
        f"Builds {e.push_name} from {e.git}, branch {e.branch}, and pushes it tagged with the build number, "
        "the short commit and latest.",
        f"Built from: {', '.join(parents)}.",
        f"Triggers: {', '.join(w.downstream[e.key])}." if w.downstream[e.key] else "Triggers no other image job.",
    ]
    if e.rebuild:
        lines.append(f"Rebuilds on the schedule {e.rebuild}, which cascades like any rebuild.")
    lines.append(MANAGED_LINE)
    return "\n".join(lines)


def jjb_yaml(w: Workload) -> str:
    """Every job of the workload as plain JJB ``job`` definitions (no templates to expand)."""
    out = [f"# Generated by bench/generate.py: the jobs of the {w.n}-image inventory, for Jenkins Job Builder."]
    by_key = w.by_key()
    for e in w.entries:
        out += [
            "- job:",
            f"    name: {e.job}",
            "    project-type: freestyle",
            f"    description: {_jq(description(w, e))}",
            f"    node: {AGENT}",
            "    concurrent: false",
            f"    block-upstream: {'true' if len(w.upstreams[e.key]) > 1 else 'false'}",
            "    block-downstream: false",
            "    properties:",
            "      - build-discarder:",
            f"          num-to-keep: {KEEP_BUILDS}",
            "      - gitlab:",
            f"          connection: {GITLAB_CONNECTION}",
            "    scm:",
            "      - git:",
            f"          url: {_jq(e.git)}",
            f"          credentials-id: {GIT_CREDENTIALS}",
            f"          branches: [{_jq('*/' + e.branch)}]",
            "          wipe-workspace: false",
            "    triggers:",
            "      - gitlab:",
            "          trigger-push: true",
            "          trigger-merge-request: false",
            "          trigger-note: false",
            "          ci-skip: false",
            "          wip-skip: false",
            "          set-build-description: false",
            "          add-note-merge-request: false",
            "          add-vote-merge-request: false",
            "          branch-filter-type: NameBasedFilter",
            f"          include-branches: [{_jq(e.branch)}]",
        ]
        if e.rebuild:
            out.append(f"      - timed: {_jq(e.rebuild)}")
        out += [
            "    wrappers:",
            "      - credentials-binding:",
            "          - username-password-separated:",
            f"              credential-id: {REGISTRIES[e.registry][1]}",
            "              username: REGISTRY_USER",
            "              password: REGISTRY_PASSWORD",
        ]
        for n, name in enumerate(pull_registries(e, by_key), start=1):
            out += [
                "          - username-password-separated:",
                f"              credential-id: {REGISTRIES[name][1]}",
                f"              username: PULL_USER_{n}",
                f"              password: PULL_PASSWORD_{n}",
            ]
        out += [
            "    builders:",
            *(f"      - shell: {_jq(step)}" for step in shell_steps(e, by_key)),
        ]
        if w.downstream[e.key]:
            out += [
                "    publishers:",
                "      - trigger:",
                # Absolute names, as jenkins-docker writes them (naming.absolute; no folder here).
                f"          project: {_jq(','.join('/' + name for name in w.downstream[e.key]))}",
                "          threshold: SUCCESS",
            ]
    return "\n".join(out) + "\n"


def star_yaml(apps: int, job_type: str) -> str:
    """The scale scenario: one base image and ``apps`` apps built from it, as ``job_type`` jobs.

    The base image's job is the root of a cascade of ``apps`` builds: in a pipeline, the job whose
    script would have grown with the platform (issue 17).
    """
    lines = [
        "version: 1",
        f"jenkins: {{folder: docker, agent: {AGENT}, git_credentials: {GIT_CREDENTIALS}, "
        f"gitlab_connection: {GITLAB_CONNECTION}, keep_builds: {KEEP_BUILDS}, job_type: {job_type}}}",
        "registries:",
        *(f"  {name}: {{host: {host}, credentials: {cred}}}" for name, (host, cred) in REGISTRIES.items()),
        f"defaults: {{branch: {DEFAULT_BRANCH}, registry: {DEFAULT_REGISTRY}, test: make test}}",
        "base_images:",
        "  acme/base: {git: 'git@gitlab.example.org:docker/base.git', from: 'debian:bookworm', rebuild: 'H H * * 0'}",
        "apps:",
        *(f"  app-{i:05d}: {{git: 'git@gitlab.example.org:apps/app-{i:05d}.git', from: acme/base}}" for i in range(apps)),
    ]
    return "\n".join(lines) + "\n"


def write(n: int, out_dir: Path, seed: int = 0) -> Workload:
    """Write ``out_dir/inventory.yml`` and ``out_dir/jjb/jobs.yaml`` for ``n`` images."""
    w = generate(n, seed)
    (out_dir / "jjb").mkdir(parents=True, exist_ok=True)
    (out_dir / "inventory.yml").write_text(inventory_yaml(w), encoding="utf-8")
    (out_dir / "jjb" / "jobs.yaml").write_text(jjb_yaml(w), encoding="utf-8")
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of images (base images and apps)")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    w = write(args.n, args.out_dir, args.seed)
    print(json.dumps(w.stats()))


if __name__ == "__main__":
    main()
