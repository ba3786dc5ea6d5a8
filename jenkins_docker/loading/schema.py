"""The whole inventory schema, in one place: every section, key and type.

:mod:`jenkins_docker.loading.loader` checks files against these tables (unknown keys, types,
required keys) and ``jenkins-docker schema`` prints them as a JSON Schema for editors. Rules
that involve several keys at once (the graph, names, registries) live in the loader.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Kinds of value. Scalars are checked by YAML tag, so `branch: 1.10` (a float) is a type error
# with a hint to quote it rather than a silently different branch name.
STR = "string"
INT = "integer"
STR_MAP = "string map"              # {NAME: scalar}: build_args, env
STR_OR_LIST = "string or list of strings"
BOOL = "boolean"


@dataclass(frozen=True)
class Key:
    """One key of a section: its type, whether it is required, and its documentation."""

    type: str | "Section"
    doc: str
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: int | None = None


@dataclass(frozen=True)
class Section:
    """A mapping with fixed keys; ``each`` makes it a mapping of user-chosen names to ``each``.

    ``misplaced`` names keys that belong elsewhere, with the reason, so that a key written in
    the wrong section gets a better message than "unknown key".
    """

    name: str
    keys: dict[str, Key] = field(default_factory=dict)
    each: "Section | None" = None
    doc: str = ""
    heading: str = ""
    misplaced: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """How messages name the section: ``the inventory``, `` `jenkins` ``, ``app 'portal'``."""
        return self.heading or f"`{self.name}`"


# Keys every base image and app may have; `defaults` may hold all of these but `from`/`path`.
_ENTRY_KEYS: dict[str, Key] = {
    "git": Key(STR, "Git URL of the repository the image is built from", required=True),
    "branch": Key(STR, "branch to build (default: master)"),
    "registry": Key(STR, "name of the registry (under `registries`) the image is pushed to"),
    "test": Key(STR, "shell command run before the build, e.g. `make test`"),
    "from": Key(STR_OR_LIST, "parent image(s); a list for multi-stage builds"),
    "path": Key(STR, "local directory (relative to the inventory) holding the Dockerfile; its FROM lines give the parents"),
    "dockerfile": Key(STR, "Dockerfile path inside the repository, passed as `docker build -f` (default: Dockerfile)"),
    "context": Key(STR, "build context inside the repository (default: .)"),
    "build_args": Key(STR_MAP, "`docker build --build-arg` values"),
    "env": Key(STR_MAP, "non-secret environment variables of the job"),
    "rebuild": Key(STR, "Jenkins cron spec of a periodic rebuild that cascades, e.g. `H H * * 0`"),
    "agent": Key(STR, "label expression of the agents this job runs on (default: jenkins.agent)"),
    "disabled": Key(BOOL, "true: the job stays in Jenkins, disabled; it builds nothing and a cascade stops at it"),
}

_APP_KEYS: dict[str, Key] = {
    **_ENTRY_KEYS,
    "image": Key(STR, "repository the app's image is pushed as (default: the app's key)"),
    "deploy": Key(STR, "shell command of a deploy job run after each successful push, e.g. `maestro -f maestro.yml restart portal`"),
    "deploy_on": Key(STR_OR_LIST, "which successful builds start the deploy job: `push` (a commit not built before), "
                                  "`cascade` (an already-built commit rebuilt: a base image changed, a schedule, by hand); "
                                  "default [push, cascade]", enum=("push", "cascade")),
}

# What each image names for itself cannot be a default.
_OWN_KEYS = ("git", "from", "path", "image")
_DEFAULT_KEYS = {k: Key(v.type, v.doc + (" (apps only)" if k in ("deploy", "deploy_on") else ""), enum=v.enum)
                 for k, v in _APP_KEYS.items() if k not in _OWN_KEYS}
_NOT_DEFAULTS = {k: "each base image and app sets its own" for k in _OWN_KEYS}

SEED_JOB = Section("seed_job", {
    "git": Key(STR, "Git URL of the inventory repository", required=True),
    "branch": Key(STR, "branch of the inventory repository (default: master)"),
    "inventory": Key(STR, "path of the inventory inside that repository (default: inventory.yml)"),
    "name": Key(STR, "name of the seed job (default: jenkins-docker-seed)"),
    "credentials": Key(STR, "Jenkins credentials id (username + API token) the seed job syncs with (default: jenkins-docker-api)"),
    "jenkins_url": Key(STR, "URL of this Jenkins the seed job syncs to (default: the build's $JENKINS_URL, "
                            "set only when Jenkins's root URL is configured)"),
}, doc="a job that re-syncs Jenkins when the inventory repository is pushed")

WATCH = Section("watch", {
    "schedule": Key(STR, "Jenkins cron spec of the check, e.g. `H/30 * * * *`", required=True),
    "git": Key(STR, "Git URL of the inventory repository (default: the seed job's)"),
    "branch": Key(STR, "branch of the inventory repository (default: the seed job's, else master)"),
    "inventory": Key(STR, "path of the inventory inside that repository (default: the seed job's, else inventory.yml)"),
    "name": Key(STR, "name of the watcher job (default: jenkins-docker-watch)"),
    "credentials": Key(STR, "Jenkins credentials id (username + API token) it queues builds with (default: the seed job's, else jenkins-docker-api)"),
}, doc="a job that runs `rebuild --outdated` on a schedule: rebuilds exactly the images whose parent moved")

JENKINS = Section("jenkins", {
    "folder": Key(STR, "folder holding every generated job; `ops/docker` nests"),
    "owner": Key(STR, "this inventory's identity on a shared Jenkins, written in the ownership line of every item it makes "
                      "(default: the folder path); sync only changes items with its own owner"),
    "view": Key(STR, "name of a list view showing the generated jobs"),
    "agent": Key(STR, "label expression of the agents that have Docker"),
    "job_type": Key(STR, "kind of job generated", enum=("freestyle", "pipeline")),
    "git_credentials": Key(STR, "Jenkins credentials id used to clone"),
    "gitlab_connection": Key(STR, "GitLab plugin connection name: enables the push (webhook) trigger"),
    "keep_builds": Key(INT, "builds kept per job (build discarder)", minimum=1),
    "seed_job": Key(SEED_JOB, SEED_JOB.doc),
    "watch": Key(WATCH, WATCH.doc),
    "install": Key(STR, "what the seed and watch jobs `pip install` (jenkins-docker is not on PyPI): a pinned VCS URL "
                        "(`jenkins-docker @ git+https://...@v0.1.0`) or the URL of a wheel built by `make dist`"),
}, doc="how the jobs look in Jenkins")

REGISTRY = Section("registry", {
    "host": Key(STR, "registry host[:port], e.g. registry.example.org", required=True),
    "credentials": Key(STR, "Jenkins credentials id (username/password) used to push", required=True),
    "pull_credentials": Key(STR, "Jenkins credentials id (username/password) used by builds that only pull from this registry (default: credentials)"),
})

BASE_IMAGE = Section("base image", dict(_ENTRY_KEYS), misplaced={
    "image": "a base image is pushed as its key; only apps take `image`",
    "deploy": "only apps have a deploy job",
    "deploy_on": "only apps have a deploy job",
})
APP = Section("app", _APP_KEYS)

INVENTORY = Section("inventory", heading="the inventory", keys={
    "version": Key(INT, "format version; must be 1", required=True, enum=("1",)),
    "jenkins": Key(JENKINS, JENKINS.doc),
    "registries": Key(Section("registries", each=REGISTRY), "registry name -> host and push credentials id"),
    "defaults": Key(Section("defaults", _DEFAULT_KEYS, misplaced=_NOT_DEFAULTS), "values merged under every base image and app"),
    "templates": Key(STR, "directory of Jinja2 job templates searched before the bundled ones"),
    "externals": Key(STR_OR_LIST, "the external parent repositories allowed (wildcards: `debian`, `library/*`, `registry.example.org/vendor/*`); "
                                  "when written, any other external parent is an error"),
    "base_images": Key(Section("base_images", each=BASE_IMAGE), "image repository -> how to build it"),
    "apps": Key(Section("apps", each=APP), "app name -> how to build (and deploy) it"),
})


def json_schema() -> dict[str, Any]:
    """The inventory's JSON Schema (draft 2020-12), for editors and other tools."""
    schema = _section_schema(INVENTORY)
    schema["properties"]["version"] = {"const": 1, "description": INVENTORY.keys["version"].doc}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://jenkins-docker.invalid/inventory.schema.json",
        "title": "jenkins-docker inventory",
        **schema,
    }


def json_schema_text() -> str:
    """The JSON Schema as stable, indented text."""
    import json  # only for `jenkins-docker schema`

    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"


def _section_schema(section: Section) -> dict[str, Any]:
    if section.each is not None:
        out: dict[str, Any] = {"type": "object", "additionalProperties": _section_schema(section.each)}
    else:
        out = {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: _key_schema(key) for name, key in section.keys.items()},
        }
        required = [name for name, key in section.keys.items() if key.required]
        if required:
            out["required"] = required
    if section.doc:
        out["description"] = section.doc
    return out


def _key_schema(key: Key) -> dict[str, Any]:
    if isinstance(key.type, Section):
        out = _section_schema(key.type)
        out["type"] = ["object", "null"]  # `jenkins:` with nothing under it is allowed
    elif key.type == STR:
        out = {"type": "string"}
        if key.enum:
            out["enum"] = list(key.enum)
    elif key.type == INT:
        out = {"type": "integer"}
        if key.minimum is not None:
            out["minimum"] = key.minimum
    elif key.type == STR_MAP:
        out = {"type": "object", "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
               "additionalProperties": {"type": ["string", "number", "boolean"]}}
    elif key.type == STR_OR_LIST:
        item: dict[str, Any] = {"type": "string", "enum": list(key.enum)} if key.enum else {"type": "string"}
        out = {"oneOf": [item, {"type": "array", "items": item, "minItems": 1}]}
    elif key.type == BOOL:
        out = {"type": "boolean"}
    else:  # pragma: no cover - every type above is handled
        raise AssertionError(key.type)
    out["description"] = key.doc
    return out
