"""Jenkins item names: how inventory keys become job names, and which names Jenkins accepts.

This is the one place that decides a job's name; the loader uses it to find collisions, the
renderer to lay out files, and sync to address jobs.
"""
from __future__ import annotations

# Jenkins.checkGoodName refuses these characters in an item name.
UNSAFE_CHARACTERS = "?*/\\%!@#$^&|<>[]:;"

#: Name of the job that re-syncs Jenkins from the inventory repository, unless set.
DEFAULT_SEED_JOB = "jenkins-docker-seed"

#: Suffix of an app's deploy job.
DEPLOY_SUFFIX = "-deploy"


def job_name(key: str) -> str:
    """The job name of an inventory key: ``acme/nginx`` -> ``acme-nginx``.

    Slashes would make folders in Jenkins, so they become dashes; keys are otherwise valid
    repository names, which Jenkins accepts as they are.
    """
    return key.replace("/", "-")


def deploy_job_name(key: str) -> str:
    """The name of the deploy job of app ``key``."""
    return job_name(key) + DEPLOY_SUFFIX


def full_name(folder: str | None, name: str) -> str:
    """A job's full name (``folder/name``), the form Jenkins and the JSON output use."""
    return f"{folder}/{name}" if folder else name


def absolute(full: str) -> str:
    """How one job names another (``childProjects``, the deploy trigger's ``projects``, ``build
    job:``): ``/folder/name``, which no item can shadow.

    Jenkins resolves those names relative to the caller's folder first, and gives up when a
    segment names a job rather than a folder (jenkinsci/jenkins
    core/src/main/java/jenkins/model/Jenkins.java ``getItem(String, ItemGroup)``): from folder
    ``docker``, ``docker/x`` means ``docker/docker/x``, and a job called ``docker`` there hides
    ``docker/x`` for good. A leading ``/`` makes the name absolute in that same method, which
    BuildTrigger (via ``Items.fromNameList``), parameterized-trigger's ``BuildTriggerConfig`` and
    pipeline-build-step's ``BuildTriggerStepExecution`` all call.
    """
    return "/" + full


def name_problem(name: str) -> str | None:
    """Why Jenkins would refuse ``name`` as an item name, or ``None`` if it accepts it."""
    if not name.strip():
        return "a Jenkins name cannot be empty"
    if name in (".", ".."):
        return f"{name!r} is not a valid Jenkins name"
    for char in name:
        if ord(char) < 32 or ord(char) == 127:
            return f"control character U+{ord(char):04X} is not allowed in a Jenkins name"
        if char in UNSAFE_CHARACTERS:
            return f"{char!r} is not allowed in a Jenkins name"
    if name.endswith("."):
        return "a Jenkins name cannot end with '.'"
    return None


def folder_problem(folder: str) -> str | None:
    """Why Jenkins would refuse a folder path such as ``ops/docker``, or ``None``."""
    for part in folder.split("/"):
        problem = name_problem(part)
        if problem:
            return f"folder part {part!r}: {problem}"
    return None


def collision_key(full: str) -> str:
    """Jenkins compares item names case-insensitively; this is the form two clashing names share."""
    return full.casefold()
