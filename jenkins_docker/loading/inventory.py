"""The loaded inventory: plain, immutable values that every later stage reads.

:func:`jenkins_docker.loading.loader.load` builds these from a YAML file after checking it; nothing
here does I/O or validation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Mapping

from jenkins_docker import naming
from jenkins_docker.errors import Location, Problem

if TYPE_CHECKING:
    from jenkins_docker.graph.imagegraph import ImageGraph

Kind = Literal["base", "app", "external"]
JobType = Literal["freestyle", "pipeline"]


@dataclass(frozen=True)
class Registry:
    """A registry images are pushed to, with the Jenkins credentials id used to log in.

    ``pull_credentials``, when set, is the id a build uses when it only pulls from this registry
    (a parent pushed here, built by a job that pushes elsewhere).
    """

    name: str
    host: str
    credentials: str
    pull_credentials: str | None = None


@dataclass(frozen=True)
class Parent:
    """One image an entry is built ``FROM`` (or copies from)."""

    reference: str          # as written, e.g. "acme/nginx:1.2"
    normalized: str         # familiar normalised form, e.g. "acme/nginx:1.2", "debian:bookworm";
                            # fully qualified ("docker.io/acme/x") for an external image whose
                            # familiar form is the key of a listed one
    repository: str         # normalised repository without tag/digest, e.g. "docker.io/acme/nginx"
    image: str | None       # key of the listed base image it names, or None for an external image
    pinned: bool            # digest-pinned: an edge of the graph that triggers no rebuild
    location: Location

    @property
    def node(self) -> str:
        """The graph node this parent is: the listed image's key, or the external reference."""
        return self.image if self.image is not None else self.normalized


@dataclass(frozen=True)
class Image:
    """A base image or an app, with every default applied."""

    key: str
    kind: Literal["base", "app"]
    git: str
    branch: str
    registry: Registry
    repository: str                     # pushed as registry.host/repository
    parents: tuple[Parent, ...]
    test: str | None = None
    dockerfile: str = "Dockerfile"
    context: str = "."
    build_args: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    rebuild: str | None = None
    agent: str | None = None
    deploy: str | None = None
    path: str | None = None
    location: Location = Location("", 0, 0)
    disabled: bool = False                  # the job stays, disabled: it builds nothing
    deploy_on: tuple[str, ...] = ("push", "cascade")   # which builds start the deploy job

    @property
    def push_name(self) -> str:
        """The image name pushed, without tag: ``registry.example.org/web/portal``."""
        return f"{self.registry.host}/{self.repository}"

    @property
    def job_name(self) -> str:
        """The name of the job that builds it (without folder)."""
        return naming.job_name(self.key)

    @property
    def deploy_job_name(self) -> str | None:
        """The name of its deploy job, if it has a ``deploy`` command."""
        return naming.deploy_job_name(self.key) if self.deploy else None


@dataclass(frozen=True)
class SeedJob:
    """A job that re-syncs Jenkins whenever the inventory repository is pushed."""

    git: str
    branch: str = "master"
    inventory: str = "inventory.yml"
    name: str = naming.DEFAULT_SEED_JOB
    credentials: str = "jenkins-docker-api"
    jenkins_url: str | None = None   # where the seed job syncs to; else the build's $JENKINS_URL


@dataclass(frozen=True)
class WatchJob:
    """A job that runs ``rebuild --outdated`` on a schedule: rebuilds what a moved parent outdated."""

    schedule: str
    git: str                    # the inventory repository
    branch: str = "master"
    inventory: str = "inventory.yml"
    name: str = naming.DEFAULT_WATCH_JOB
    credentials: str = "jenkins-docker-api"


@dataclass(frozen=True)
class JenkinsSettings:
    """The ``jenkins:`` section: how jobs look in Jenkins."""

    folder: str | None = None
    view: str | None = None
    agent: str | None = None
    job_type: JobType = "freestyle"
    git_credentials: str | None = None
    gitlab_connection: str | None = None
    keep_builds: int | None = None
    seed_job: SeedJob | None = None
    watch: WatchJob | None = None
    owner: str | None = None            # as written; see `identity`
    install: str = "jenkins-docker"     # the pip requirement the seed and watch jobs install

    @property
    def identity(self) -> str | None:
        """The inventory's owner on a shared Jenkins: ``owner``, else the folder path, else None."""
        from jenkins_docker.ownership import owner_of  # the one home of the owner rule

        return owner_of(self.owner, self.folder)


@dataclass
class Inventory:
    """A checked inventory: settings, registries, and images (base images first, in file order)."""

    path: Path
    version: int
    jenkins: JenkinsSettings
    registries: dict[str, Registry]
    images: dict[str, Image]
    templates: Path | None = None
    warnings: list[Problem] = field(default_factory=list)
    # Not an __init__ field, so dataclasses.replace() never hands a copy the graph of the original.
    _graph: "ImageGraph | None" = field(default=None, init=False, repr=False, compare=False)

    @property
    def base_images(self) -> list[Image]:
        """The base images, in file order."""
        return [i for i in self.images.values() if i.kind == "base"]

    @property
    def apps(self) -> list[Image]:
        """The apps, in file order."""
        return [i for i in self.images.values() if i.kind == "app"]

    @property
    def graph(self) -> "ImageGraph":
        """The dependency graph of the images (built once, on first use)."""
        if self._graph is None:
            from jenkins_docker.graph.imagegraph import ImageGraph

            self._graph = ImageGraph(self)
        return self._graph

    def job(self, key: str) -> str:
        """The full job name (``folder/name``) of the image or app ``key``."""
        return naming.full_name(self.jenkins.folder, self.images[key].job_name)
