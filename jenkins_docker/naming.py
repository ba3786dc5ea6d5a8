"""Jenkins item names: how inventory keys become job names, and which names Jenkins accepts.

This is the one place that decides a job's name; the loader uses it to find collisions, the
renderer to lay out files, and sync to address jobs.
"""
from __future__ import annotations

# Jenkins.checkGoodName refuses these characters in an item name.
UNSAFE_CHARACTERS = "?*/\\%!@#$^&|<>[]:;"

#: Name of the job that re-syncs Jenkins from the inventory repository, unless set.
DEFAULT_SEED_JOB = "jenkins-docker-seed"
DEFAULT_WATCH_JOB = "jenkins-docker-watch"

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
    """Why Jenkins would refuse ``name`` as an item name (or not keep it as written), or ``None``.

    ``Jenkins.checkGoodName``: not empty, not ``.`` or ``..``, no control character, none of
    :data:`UNSAFE_CHARACTERS`, not ending in ``.``. Besides: Jenkins trims names on create, so
    leading or trailing whitespace never round-trips; job lists (``childProjects``, a list view's
    entries) are comma-separated, so a comma makes two names; C1 controls and U+FFFE/U+FFFF
    cannot be written in XML at all.
    """
    if not name.strip():
        return "a Jenkins name cannot be empty"
    for char in name:
        problem = character_problem(char)
        if problem:
            return f"{problem} is not allowed in a Jenkins name"
        if char in UNSAFE_CHARACTERS:
            return f"{char!r} is not allowed in a Jenkins name"
        if char == ",":
            return "',' is not allowed in a Jenkins name (Jenkins splits job lists such as childProjects on commas)"
    if name != name.strip():
        return "a Jenkins name cannot start or end with whitespace (Jenkins trims it, so the name would not round-trip)"
    if name in (".", ".."):
        return f"{name!r} is not a valid Jenkins name"
    if name.endswith("."):
        return "a Jenkins name cannot end with '.'"
    return None


def character_problem(char: str) -> str | None:
    """How a character that no Jenkins name or XML text may hold is called, or ``None``.

    C0 and C1 control characters (and DEL) and the non-characters U+FFFE and U+FFFF.
    """
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"control character U+{code:04X}"
    if code in (0xFFFE, 0xFFFF):
        return f"non-character U+{code:04X}"
    return None


def branch_problem(branch: str) -> str | None:
    """Why a branch cannot be used in a job (the GitLab trigger splits its branch list on commas)."""
    if "," in branch:
        return "a branch name cannot contain ',' (the GitLab trigger's branch filter is a comma-separated list)"
    return _trimmed_text_problem(branch, "a branch name")


def owner_problem(owner: str) -> str | None:
    """Why ``owner`` cannot be an inventory's ``jenkins.owner``, or ``None``."""
    return _trimmed_text_problem(owner, "an owner")


def _trimmed_text_problem(text: str, what: str) -> str | None:
    """Why ``text`` (``what`` it is, e.g. "an owner") has whitespace at an end or a character no
    Jenkins name may hold, or ``None``."""
    if text != text.strip():
        return f"{what} cannot start or end with whitespace"
    for char in text:
        problem = character_problem(char)
        if problem:
            return f"{problem} is not allowed in {what}"
    return None


def folder_problem(folder: str) -> str | None:
    """Why Jenkins would refuse a folder path such as ``ops/docker``, or ``None``."""
    for part in folder.split("/"):
        problem = name_problem(part)
        if problem:
            return f"folder part {part!r}: {problem}"
    return None


def collision_key(full: str) -> str:
    """The form two names share when Jenkins takes them for the same item.

    Jenkins compares item names with Java's ``String.CASE_INSENSITIVE_ORDER``: character by
    character, ``Character.toLowerCase(Character.toUpperCase(c))``. Those are *simple* (one
    character to one character) case mappings: ``ß`` stays ``ß`` (not ``ss``, as
    :meth:`str.casefold` would make it), and the dotted ``İ`` is ``i``.
    """
    if full.isascii():
        return full.lower()  # the same, for ASCII, and what nearly every name is
    return "".join(_java_fold(char) for char in full)


def _java_fold(char: str) -> str:
    upper = char.upper()
    if len(upper) != 1:
        upper = char  # no simple uppercase mapping (ß, ligatures): Java leaves it
    lower = upper.lower()
    if len(lower) != 1:
        lower = lower[0] if upper == "\u0130" else upper  # İ -> i (its simple mapping)
    return lower
