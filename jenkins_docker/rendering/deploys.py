"""When a build starts its app's deploy job, and what it hands over: the image tag and the commit.

An app's ``deploy_on`` says which successful builds deploy (default: both):

- ``push``: the build built a commit that had not been built successfully before (a push, or the
  job's first build): the git plugin's ``GIT_PREVIOUS_SUCCESSFUL_COMMIT`` differs from the commit
  built (jenkinsci/git-plugin, ``GitSCM.buildEnvironment``; pipeline: the map ``checkout``
  returns);
- ``cascade``: it rebuilt a commit already built (a base image changed, a ``rebuild:`` schedule,
  a rebuild by hand).

The deploy job gets ``IMAGE_TAG`` (the build number: the tag that build pushed) and
``DEPLOY_COMMIT`` (the commit that build built) and checks out exactly that commit, so it deploys
what was built, not whatever the branch's head is by then.

Freestyle: with both, the parameterized trigger passes the two values as predefined parameters;
with one, the build's script writes :data:`PROPERTIES_FILE` only when the build qualifies, and the
trigger reads its parameters from that file with ``failTriggerOnMissing``: no file, no deploy
(jenkinsci/parameterized-trigger-plugin, ``FileBuildParameters.extractAllValues`` throws
``DontTriggerException``, which ``BuildTriggerConfig`` catches to skip the trigger).
Pipeline: the ``build job:`` of the deploy runs under the same condition in Groovy.
"""
from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from jenkins_docker import naming
from jenkins_docker.loading.inventory import Image

if TYPE_CHECKING:
    from jenkins_docker.loading.inventory import Inventory

#: The parameter carrying the built commit to the deploy job.
COMMIT_PARAMETER = "DEPLOY_COMMIT"

#: Written in the build's workspace when the build should deploy (freestyle, one of push/cascade).
PROPERTIES_FILE = ".jenkins-docker-deploy.properties"

_HEAD = "$(git rev-parse HEAD)"
_PREVIOUS = "${GIT_PREVIOUS_SUCCESSFUL_COMMIT:-}"


def condition(image: Image) -> str | None:
    """``"push"`` or ``"cascade"`` when only those builds deploy; ``None`` when every build does."""
    on = set(image.deploy_on)
    return None if on >= {"push", "cascade"} else next(iter(on))


def describe(image: Image) -> str:
    """Which builds start the deploy job, in words for a job description."""
    return {None: "each successful build", "push": "each successful build of a new commit (a push; not a cascade rebuild)",
            "cascade": "each successful rebuild of an already-built commit (a cascade or scheduled rebuild; not a push)"}[condition(image)]


def shell_lines(image: Image) -> tuple[list[str], list[str]]:
    """Freestyle: the lines to put first and last in the build script (both empty without a condition).

    The file is removed first, so one left in the workspace by an earlier build never deploys.
    """
    when = condition(image)
    if when is None:
        return [], []
    test = "!=" if when == "push" else "="
    write = (f"printf 'IMAGE_TAG=%s\\n{COMMIT_PARAMETER}=%s\\n' \"$BUILD_NUMBER\" \"{_HEAD}\" > {shlex.quote(PROPERTIES_FILE)}")
    return [f"rm -f {shlex.quote(PROPERTIES_FILE)}"], [f'if [ "{_HEAD}" {test} "{_PREVIOUS}" ]; then {write}; fi']


def groovy_condition(image: Image, scm_variable: str) -> str | None:
    """Pipeline: the Groovy test of ``checkout``'s result under which the build deploys, or None."""
    when = condition(image)
    if when is None:
        return None
    test = "!=" if when == "push" else "=="
    return f"{scm_variable}.GIT_COMMIT {test} {scm_variable}.GIT_PREVIOUS_SUCCESSFUL_COMMIT"


def started_by(inventory: "Inventory", changed: list[str]) -> dict[str, str]:
    """The deploy jobs a change to ``changed`` starts: app key -> deploy job full name, in wave order.

    A changed app is built from a new commit (a push); every other rebuilt app is a cascade
    rebuild of a commit already built. A disabled app deploys nothing.
    """
    graph = inventory.graph
    out = {}
    for number, wave in enumerate(graph.waves(changed)):
        for key in wave:
            image = inventory.images.get(key)
            if image is None or not image.deploy_job_name or image.disabled:
                continue
            if ("push" if number == 0 and key in changed else "cascade") in image.deploy_on:
                out[key] = naming.full_name(inventory.jenkins.folder, image.deploy_job_name)
    return out
