"""GitLab webhooks: which hook each repository needs to start its job, and making GitLab have them.

The jobs of an inventory carry the GitLab plugin's push trigger (when ``jenkins.gitlab_connection``
is set), which listens at ``JENKINS_URL/project/<full job name>``. :func:`webhooks` lists the hook
every repository needs, one per job (a repository holding several images gets one hook per
image); :func:`apply_webhooks` creates or updates them through the GitLab API, idempotently.

A hook on one of those projects that calls a job of the inventory's folder (:class:`HookScope`)
which no current job needs is *stale*: its job left the inventory. It is reported, and deleted
only when asked (``prune``). Hooks calling anything else are never touched.

GitLab never returns a hook's secret token, so a changed token cannot be detected: existing hooks
get a new token only when their other settings change, or when asked with ``rotate_token``.

A repository gets its hook only from the GitLab it lives on: the host (and, for ``https://``
git URLs, the port) of its git URL must be the GitLab's (:func:`on_gitlab`); a repository on
another server (github.com, another GitLab) is skipped with a note. The client talks to the
configured GitLab only (:func:`jenkins_docker.safe_http.pin_to_origin`), and every error text is
one redacted line (:func:`jenkins_docker.redact.answer_message`).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal, Mapping
from urllib.parse import quote, unquote, urlsplit

from jenkins_docker import naming, ownership
from jenkins_docker.errors import JenkinsDockerError, TargetError
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.redact import Redactor, answer_message, redact_url, refuse_userinfo
from jenkins_docker.safe_http import RedirectRefused, origin, pin_to_origin

if TYPE_CHECKING:
    import gitlab

#: The settings every hook gets: pushes start builds, merge requests don't (the jobs build
#: branches), and GitLab checks Jenkins's TLS certificate.
HOOK_SETTINGS: Mapping[str, bool] = {
    "push_events": True,
    "merge_requests_events": False,
    "enable_ssl_verification": True,
}

Status = Literal["created", "updated", "unchanged", "stale", "deleted", "skipped", "failed"]

# `user@host:group/name.git`, the scp-like form git accepts for ssh (no scheme, no `//`).
_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^@/:]+):(?!//)(?P<path>[^/].*)$")
_URL_SCHEMES = {"ssh", "git+ssh", "ssh+git", "http", "https", "git"}


@dataclass(frozen=True)
class Webhook:
    """The hook one job needs: pushes to ``repository`` call ``url``, which starts ``job``."""

    repository: str         # the git URL as written in the inventory
    project: str | None     # its GitLab project path (``group/sub/name``), None if not a GitLab URL
    job: str                # the job's full name (``folder/name``)
    url: str                # ``JENKINS_URL/project/<full job name>``

    def to_json(self) -> dict[str, Any]:
        """One entry of ``webhooks --format json``'s ``hooks``."""
        return {"repository": self.repository, "project": self.project, "job": self.job, "url": self.url}


@dataclass(frozen=True)
class HookScope:
    """Where an inventory's hooks point: at a job directly in its folder on its Jenkins.

    With a folder, ``JENKINS_URL/project/<folder>/<name>``; without one, any top-level
    ``JENKINS_URL/project/<name>``. Hooks calling another Jenkins, another folder (a subfolder
    included) or another service are outside it. Of the hooks inside it, only those marked with
    the inventory's ownership line (``owner``, default the folder: see :func:`hook_is_ours`) are
    its own.
    """

    jenkins_url: str
    folder: str | None = None
    owner: str | None = None

    @property
    def owner_name(self) -> str | None:
        """The inventory's identity its hooks are marked with: ``owner``, else the folder path."""
        return ownership.owner_of(self.owner, self.folder)

    @property
    def prefix(self) -> str:
        """The URL every owned hook starts with, ending in ``/``."""
        if self.folder:
            return hook_url(self.jenkins_url, self.folder) + "/"
        return f"{self.jenkins_url.rstrip('/')}/project/"

    def job(self, url: str) -> str | None:
        """The full job name an owned hook ``url`` calls, or ``None`` when the hook is not owned."""
        if not url.startswith(self.prefix):
            return None
        name = url[len(self.prefix):]
        if not name or "/" in name or "?" in name or "#" in name:
            return None
        return naming.full_name(self.folder, unquote(name))


@dataclass(frozen=True)
class HookResult:
    """What :func:`apply_webhooks` did with one hook; ``error`` says why it ``failed``."""

    hook: Webhook
    status: Status
    error: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The hook's JSON entry with ``status`` (and ``error`` when it failed, ``note`` when skipped)."""
        document = {**self.hook.to_json(), "status": self.status}
        if self.error is not None:
            document["error"] = self.error
        if self.note is not None:
            document["note"] = self.note
        return document


def gitlab_project(git_url: str) -> str | None:
    """The GitLab project path of a git URL, or ``None`` when the URL names no project.

    ``git@host:group/sub/name.git``, ``ssh://git@host:2222/group/name.git`` and
    ``https://host/group/name.git`` all give ``group/name`` (with every subgroup); GitLab
    projects always live in a namespace, so a path of one segment is not a project.
    """
    text = git_url.strip()
    scp = _SCP_LIKE.match(text)
    if scp and "://" not in text:
        path = scp.group("path")
    else:
        parts = urlsplit(text)
        if parts.scheme.lower() not in _URL_SCHEMES or not parts.hostname:
            return None
        path = parts.path
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    segments = path.split("/")
    if len(segments) < 2 or any(not s or s in (".", "..") or s.startswith("~") for s in segments):
        return None
    return "/".join(segments)


def git_host(git_url: str) -> tuple[str, int | None] | None:
    """The host of a git URL, and its port when the URL writes one and is ``http(s)://``.

    ``git@host:group/name.git`` and ``ssh://git@host:2222/...`` give ``(host, None)``: an ssh
    port says nothing about the port GitLab's web API listens on, nor does a default one.
    """
    text = git_url.strip()
    scp = _SCP_LIKE.match(text)
    if scp and "://" not in text:
        return scp.group("host").lower(), None
    try:
        parts = urlsplit(text)
        port = parts.port if parts.scheme.lower() in ("http", "https") else None
    except ValueError:
        return None
    return ((parts.hostname or "").lower(), port) if parts.hostname else None


def on_gitlab(git_url: str, gitlab_url: str) -> bool:
    """Whether the repository ``git_url`` lives on the GitLab at ``gitlab_url``: the same host,
    and the same port when the git URL is an ``http(s)://`` URL that names one."""
    found = git_host(git_url)
    if found is None:
        return False
    _, host, port = origin(gitlab_url)
    return found[0] == host and (found[1] is None or found[1] == port)


def hook_url(jenkins_url: str, job: str) -> str:
    """The URL the GitLab plugin listens at for ``job``: ``JENKINS_URL/project/<full name>``."""
    quoted = "/".join(quote(segment, safe="") for segment in job.split("/"))
    return f"{jenkins_url.rstrip('/')}/project/{quoted}"


def webhooks(inventory: Inventory, jenkins_url: str) -> list[Webhook]:
    """Every hook the inventory's jobs need, grouped by repository in file order.

    One per base image and app (the jobs that build on push) and one for the seed job's
    repository when ``jenkins.seed_job`` is set. Deploy jobs run after their build, not on push.
    """
    jobs: list[tuple[str, str]] = [(image.git, inventory.job(key)) for key, image in inventory.images.items()]
    seed = inventory.jenkins.seed_job
    if seed is not None:
        jobs.append((seed.git, naming.full_name(inventory.jenkins.folder, seed.name)))
    order: dict[str, int] = {}
    for git, _ in jobs:
        order.setdefault(git, len(order))
    jobs.sort(key=lambda pair: order[pair[0]])  # stable: jobs keep file order within a repository
    return [Webhook(git, gitlab_project(git), job, hook_url(jenkins_url, job)) for git, job in jobs]


def connect_gitlab(url: str, private_token: str, *, ssl_verify: bool | str = True, timeout: float = 30) -> gitlab.Gitlab:
    """A python-gitlab client for ``url``; a clear error when python-gitlab is not installed."""
    try:
        import gitlab
    except ImportError:
        raise JenkinsDockerError("managing GitLab webhooks needs python-gitlab: pip install 'jenkins-docker[gitlab]'") from None
    refuse_userinfo(url, "--gitlab", "GITLAB_TOKEN")
    # keep_base_url: pagination links naming another host are rewritten to ours, never followed.
    client = gitlab.Gitlab(url, private_token=private_token, ssl_verify=ssl_verify, timeout=timeout, keep_base_url=True)
    pin_to_origin(client.session, client.url, what="GitLab")
    return client


def apply_webhooks(hooks: Iterable[Webhook], client: gitlab.Gitlab, *, secret_token: str | None = None,
                   rotate_token: bool = False, scope: HookScope | None = None, prune: bool = False) -> list[HookResult]:
    """Create each hook that GitLab lacks and update those whose settings differ; idempotent.

    A hook is the one with the same URL on the project. Existing hooks whose settings already
    match are left alone, so a second run writes nothing. A project that cannot be read or
    written (missing, forbidden) fails its own hooks and the others go on. A GitLab that refuses
    the token, or cannot be reached, stops everything with a :class:`TargetError`.
    ``secret_token`` is sent as the hook's token (GitLab puts it in ``X-Gitlab-Token``);
    ``rotate_token`` also rewrites it on hooks that are otherwise unchanged.

    A hook whose repository is not on ``client``'s GitLab (:func:`on_gitlab`) is ``skipped``
    with a note, and its project is never asked for.

    With a ``scope``, the other hooks of each project read that call a job in the scope which
    none of ``hooks`` calls are ``stale`` (left alone), or ``deleted`` with ``prune`` when they
    carry the scope's ownership line (:func:`hook_is_ours`). Hooks this function creates or
    updates get that line as their description.
    """
    import gitlab

    hooks = list(hooks)
    needed_jobs = {hook.job for hook in hooks}
    by_project: dict[tuple[str | None, bool], list[Webhook]] = {}
    for hook in hooks:
        by_project.setdefault((hook.project, on_gitlab(hook.repository, client.url)), []).append(hook)
    redact = Redactor([getattr(client, "private_token", None), secret_token])
    gitlab_host = origin(client.url)[1]
    results: list[HookResult] = []
    with _stop_on_token_or_connection_errors(client, redact):
        for (project_path, here), wanted in by_project.items():
            if project_path is None:
                results += [HookResult(h, "failed", f"{h.repository} is not a GitLab project URL") for h in wanted]
                continue
            if not here:
                where = (git_host(wanted[0].repository) or ("an unknown host",))[0]
                note = f"the repository is on {where}, not on the GitLab at {gitlab_host}: add its hook there"
                results += [HookResult(h, "skipped", note=note) for h in wanted]
                continue
            try:
                project = client.projects.get(project_path)
                existing = project.hooks.list(get_all=True)
            except gitlab.GitlabError as exc:
                results += [HookResult(h, "failed", _project_failure(project_path, exc, redact)) for h in wanted]
                continue
            for hook in wanted:
                try:
                    results.append(_apply_one(project, existing, hook, secret_token, rotate_token,
                                              scope.owner_name if scope is not None else None))
                except gitlab.GitlabError as exc:
                    results.append(HookResult(hook, "failed", _project_failure(project_path, exc, redact)))
            if scope is not None:
                results += _stale_hooks(project, existing, wanted[0].repository, project_path, scope, needed_jobs, prune, redact)
    return results


def hook_marker(owner: str) -> str:
    """The description every hook of the inventory ``owner`` gets: the sync's exact ownership line."""
    return ownership.ownership_line(owner)


def hook_is_ours(attributes: Mapping[str, Any], owner: str | None) -> bool:
    """Whether a hook was made by the inventory ``owner``: its description ends with that
    inventory's exact ownership line (the sync's rule for items, :func:`jenkins_docker.ownership.classify`).

    This is the one decision ``--prune`` makes: a hook made by hand, by another inventory or by
    a release that did not mark hooks is never deleted, even when it calls a job of the folder.
    """
    if not owner:
        return False
    return ownership.classify(str(attributes.get("description") or ""), owner).status == "ours"


def _stale_hooks(project: Any, existing: list[Any], repository: str, project_path: str, scope: HookScope,
                 needed_jobs: set[str], prune: bool, redact: Redactor) -> list[HookResult]:
    """The hooks of ``project`` calling a job in ``scope`` that no current job is.

    They are deleted with ``prune`` only when they carry this inventory's ownership line
    (:func:`hook_is_ours`); the others are reported and kept.
    """
    import gitlab

    results: list[HookResult] = []
    for current in existing:
        url = current.attributes.get("url") or ""
        job = scope.job(url)
        if job is None or job in needed_jobs:
            continue
        stale = Webhook(repository, project_path, job, url)
        if not hook_is_ours(current.attributes, scope.owner_name):
            note = "not marked as this inventory's (made by hand, or before hooks were marked): never deleted"
            results.append(HookResult(stale, "stale", note=note if prune else None))
            continue
        if not prune:
            results.append(HookResult(stale, "stale"))
            continue
        try:
            project.hooks.delete(current.get_id())
        except gitlab.GitlabError as exc:
            results.append(HookResult(stale, "failed", _project_failure(project_path, exc, redact)))
            continue
        results.append(HookResult(stale, "deleted"))
    return results


@contextmanager
def _stop_on_token_or_connection_errors(client: gitlab.Gitlab, redact: Redactor) -> Iterator[None]:
    """A refused token or an unreachable GitLab fails every hook alike: one clear error instead."""
    import gitlab
    import requests

    where = redact_url(client.url)
    try:
        yield
    except gitlab.GitlabAuthenticationError as exc:
        raise TargetError(f"GitLab at {where} refused the token ({_reason(exc, redact)}): check GITLAB_TOKEN") from None
    except RedirectRefused as exc:
        raise TargetError(str(exc)) from None
    except requests.RequestException as exc:
        raise TargetError(f"cannot reach GitLab at {where}: {redact.line(str(exc))}") from None


def _project_failure(project_path: str, exc: Exception, redact: Redactor) -> str:
    """Why one project's hooks failed; a refused token is not one project's problem."""
    import gitlab

    if isinstance(exc, gitlab.GitlabAuthenticationError):
        raise exc
    return f"project {project_path}: {_reason(exc, redact)}"


def _apply_one(project: Any, existing: list[Any], hook: Webhook, secret_token: str | None, rotate_token: bool,
               owner: str | None) -> HookResult:
    """Create, update or leave the one hook of ``project`` whose URL is ``hook.url``.

    With an ``owner``, the hook's description is the inventory's ownership line, so that a later
    ``--prune`` knows it as this inventory's; a GitLab too old to keep descriptions (before 17.1,
    it returns none) is not asked again and again.
    """
    current = next((h for h in existing if h.attributes.get("url") == hook.url), None)
    token = {"token": secret_token} if secret_token else {}
    settings: dict[str, Any] = {**HOOK_SETTINGS, **({"description": hook_marker(owner)} if owner else {})}
    if current is None:
        project.hooks.create({"url": hook.url, **settings, **token})
        return HookResult(hook, "created")
    differs = any(current.attributes.get(key) != value for key, value in settings.items()
                  if key in current.attributes or key in HOOK_SETTINGS)
    if not differs and not (rotate_token and token):
        return HookResult(hook, "unchanged")
    project.hooks.update(current.get_id(), {"url": hook.url, **settings, **token})
    return HookResult(hook, "updated")


def _reason(exc: Exception, redact: Redactor) -> str:
    """GitLab's own words for a failed request, one redacted line: ``404 Project Not Found``, ``403 Forbidden``."""
    code = getattr(exc, "response_code", None)
    if code is None:  # not an HTTP answer (a redirect python-gitlab refused, ...)
        return redact.line(str(getattr(exc, "error_message", None) or exc))
    return answer_message(code, {}, getattr(exc, "response_body", None), redact)
