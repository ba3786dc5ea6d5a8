"""GitLab webhooks: which hook each repository needs to start its job, and making GitLab have them.

The jobs of an inventory carry the GitLab plugin's push trigger (when ``jenkins.gitlab_connection``
is set), which listens at ``JENKINS_URL/project/<full job name>``. :func:`webhooks` lists the hook
every repository needs, one per job (a repository holding several images gets one hook per
image). As for jobs, a plan comes before any write: :func:`plan_webhooks` reads each project's
hooks and lists the changes (``create``, ``update``, ``delete``: a job plan's words) and the hooks
that need none; :func:`apply_hook_plan` makes the writes; :func:`apply_webhooks` does both,
idempotently.

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
from dataclasses import dataclass, field
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


HookAction = Literal["create", "update", "delete"]
_DONE: Mapping[str, Status] = {"create": "created", "update": "updated", "delete": "deleted"}


@dataclass(frozen=True)
class HookChange:
    """One write a webhook plan makes: the same actions as a job plan's :class:`~jenkins_docker.sync.plan.Change`.

    ``settings`` is what GitLab is sent, without the secret token (a plan holds no secret: the
    token is given again to :func:`apply_hook_plan`); ``project_id`` is GitLab's id of the project
    read, ``hook_id`` the existing hook's.
    """

    action: HookAction
    hook: Webhook
    project_id: Any
    settings: Mapping[str, Any] = field(default_factory=dict)
    hook_id: Any = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The hook's JSON entry with its ``action``."""
        return {**self.hook.to_json(), "action": self.action}


@dataclass
class HookPlan:
    """What applying the hooks would do, project by project, before anything is written.

    ``steps`` keeps GitLab's order: a :class:`HookChange` is a write to make; a
    :class:`HookResult` is already final (``unchanged``, ``stale``, ``skipped`` or ``failed``).
    """

    gitlab_url: str
    steps: list[HookChange | HookResult] = field(default_factory=list)

    @property
    def changes(self) -> list[HookChange]:
        """The writes, in order."""
        return [step for step in self.steps if isinstance(step, HookChange)]

    @property
    def has_changes(self) -> bool:
        """True when applying the plan would write something."""
        return bool(self.changes)

    @property
    def failed(self) -> list[HookResult]:
        """The hooks that cannot be planned (their project cannot be read, or no GitLab URL)."""
        return self.results("failed")

    def results(self, status: Status) -> list[HookResult]:
        """The final steps with ``status``."""
        return [step for step in self.steps if isinstance(step, HookResult) and step.status == status]

    def to_json(self) -> dict[str, Any]:
        """The ``webhooks --apply --dry-run --format json`` document: a job plan's keys, with hooks in them."""
        return {
            "create": [c.hook.to_json() for c in self.changes if c.action == "create"],
            "update": [c.hook.to_json() for c in self.changes if c.action == "update"],
            "delete": [c.hook.to_json() for c in self.changes if c.action == "delete"],
            "unchanged": [r.hook.to_json() for r in self.results("unchanged")],
            "failed": [{**r.hook.to_json(), "error": r.error} for r in self.failed],
            "stale": [r.to_json() for r in self.results("stale")],
            "skipped": [r.to_json() for r in self.results("skipped")],
        }


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
    return (parts.hostname, port) if parts.hostname else None  # urllib gives the host lower-cased


def _host_name(git_url: str) -> str:
    """The host of a git URL for a message: ``github.com``, or ``an unknown host``."""
    found = git_host(git_url)
    return found[0] if found else "an unknown host"


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
    return f"{jenkins_url.rstrip('/')}/project/{quote(job, safe='/')}"  # each segment quoted, the slashes between kept


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


def plan_webhooks(hooks: Iterable[Webhook], client: gitlab.Gitlab, *, secret_token: str | None = None,
                  rotate_token: bool = False, scope: HookScope | None = None, prune: bool = False) -> HookPlan:
    """Read each project's hooks and plan: create each hook GitLab lacks, update those whose settings differ.

    Nothing is written. A hook is the one with the same URL on the project; one whose settings
    already match is ``unchanged``, so applying twice writes nothing the second time. A project
    that cannot be read (missing, forbidden) fails its own hooks and the others go on; a GitLab
    that refuses the token, or cannot be reached, stops everything with a :class:`TargetError`.
    ``rotate_token`` (with a ``secret_token``) also updates hooks that are otherwise unchanged:
    GitLab never shows a hook's token, so a changed one cannot be seen.

    A hook whose repository is not on ``client``'s GitLab (:func:`on_gitlab`) is ``skipped``
    with a note, and its project is never asked for.

    With a ``scope``, the other hooks of each project read that call a job in the scope which
    none of ``hooks`` calls are ``stale`` (left alone), or deleted with ``prune`` when they
    carry the scope's ownership line (:func:`hook_is_ours`). Hooks created or updated get that
    line as their description.
    """
    import gitlab

    hooks = list(hooks)
    needed_jobs = {hook.job for hook in hooks}
    by_project: dict[tuple[str | None, bool], list[Webhook]] = {}
    for hook in hooks:
        by_project.setdefault((hook.project, on_gitlab(hook.repository, client.url)), []).append(hook)
    redact = Redactor([getattr(client, "private_token", None), secret_token])
    gitlab_host = origin(client.url)[1]
    plan = HookPlan(redact_url(client.url))
    owner = scope.owner_name if scope is not None else None
    with _stop_on_token_or_connection_errors(client, redact):
        for (project_path, here), wanted in by_project.items():
            if project_path is None:
                plan.steps += [HookResult(h, "failed", f"{h.repository} is not a GitLab project URL") for h in wanted]
                continue
            if not here:  # each repository's own server: two on other servers may share a project path
                plan.steps += [HookResult(h, "skipped", note=f"the repository is on {_host_name(h.repository)}, not on the "
                                                             f"GitLab at {gitlab_host}: add its hook there") for h in wanted]
                continue
            try:
                project = client.projects.get(project_path)
                existing = project.hooks.list(get_all=True)
            except gitlab.GitlabError as exc:
                plan.steps += [HookResult(h, "failed", _project_failure(project_path, exc, redact)) for h in wanted]
                continue
            plan.steps += [_plan_one(project.get_id(), existing, hook, bool(secret_token), rotate_token, owner) for hook in wanted]
            if scope is not None:
                plan.steps += _stale_hooks(project.get_id(), existing, wanted[0].repository, project_path, scope, needed_jobs, prune)
    return plan


def apply_hook_plan(plan: HookPlan, client: gitlab.Gitlab, *, secret_token: str | None = None) -> list[HookResult]:
    """Make the writes of ``plan``; never raises for one hook's failure (it is ``failed``, the others go on).

    Returns one result per step, in the plan's order. ``secret_token`` goes into every hook
    created or updated. A GitLab that refuses the token, or cannot be reached, stops everything
    with a :class:`TargetError`.
    """
    import gitlab

    redact = Redactor([getattr(client, "private_token", None), secret_token])
    token = {"token": secret_token} if secret_token else {}
    results: list[HookResult] = []
    with _stop_on_token_or_connection_errors(client, redact):
        for step in plan.steps:
            if isinstance(step, HookResult):
                results.append(step)
                continue
            project_path = str(step.hook.project)
            hooks = client.projects.get(step.project_id, lazy=True).hooks
            try:
                if step.action == "create":
                    hooks.create({"url": step.hook.url, **step.settings, **token})
                elif step.action == "update":
                    hooks.update(step.hook_id, {"url": step.hook.url, **step.settings, **token})
                else:
                    hooks.delete(step.hook_id)
            except gitlab.GitlabError as exc:
                results.append(HookResult(step.hook, "failed", _project_failure(project_path, exc, redact)))
                continue
            results.append(HookResult(step.hook, _DONE[step.action], note=step.note))
    return results


def apply_webhooks(hooks: Iterable[Webhook], client: gitlab.Gitlab, *, secret_token: str | None = None,
                   rotate_token: bool = False, scope: HookScope | None = None, prune: bool = False) -> list[HookResult]:
    """:func:`plan_webhooks`, then :func:`apply_hook_plan`: make GitLab have the hooks, idempotently.

    ``secret_token`` is sent as each created or updated hook's token (GitLab puts it in
    ``X-Gitlab-Token``). See :func:`plan_webhooks` for what is created, updated, left, reported
    stale or deleted.
    """
    plan = plan_webhooks(hooks, client, secret_token=secret_token, rotate_token=rotate_token, scope=scope, prune=prune)
    return apply_hook_plan(plan, client, secret_token=secret_token)


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


def _stale_hooks(project_id: Any, existing: list[Any], repository: str, project_path: str, scope: HookScope,
                 needed_jobs: set[str], prune: bool) -> list[HookChange | HookResult]:
    """The hooks of a project calling a job in ``scope`` that no current job is.

    With ``prune``, a delete for each that carries this inventory's ownership line
    (:func:`hook_is_ours`); the others are reported ``stale`` and kept.
    """
    steps: list[HookChange | HookResult] = []
    for current in existing:
        url = current.attributes.get("url") or ""
        job = scope.job(url)
        if job is None or job in needed_jobs:
            continue
        stale = Webhook(repository, project_path, job, url)
        if not hook_is_ours(current.attributes, scope.owner_name):
            note = "not marked as this inventory's (made by hand, or before hooks were marked): never deleted"
            steps.append(HookResult(stale, "stale", note=note if prune else None))
        elif not prune:
            steps.append(HookResult(stale, "stale"))
        else:
            steps.append(HookChange("delete", stale, project_id, hook_id=current.get_id()))
    return steps


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


def _project_failure(project_path: str, exc: gitlab.GitlabError, redact: Redactor) -> str:
    """Why one project's hooks failed; a refused token is not one project's problem."""
    import gitlab

    if isinstance(exc, gitlab.GitlabAuthenticationError):
        raise exc
    return f"project {project_path}: {_reason(exc, redact)}"


def _plan_one(project_id: Any, existing: list[Any], hook: Webhook, with_token: bool, rotate_token: bool,
              owner: str | None) -> HookChange | HookResult:
    """Create, update or leave the one hook of a project whose URL is ``hook.url``.

    With an ``owner``, the hook's description is the inventory's ownership line, so that a later
    ``--prune`` knows it as this inventory's; a GitLab too old to keep descriptions (before 17.1,
    it returns none) is not asked again and again.
    """
    current = next((h for h in existing if h.attributes.get("url") == hook.url), None)
    settings: dict[str, Any] = {**HOOK_SETTINGS, **({"description": hook_marker(owner)} if owner else {})}
    if current is None:
        return HookChange("create", hook, project_id, settings)
    differs = any(current.attributes.get(key) != value for key, value in settings.items()
                  if key in current.attributes or key in HOOK_SETTINGS)
    if not differs and not (rotate_token and with_token):
        return HookResult(hook, "unchanged")
    return HookChange("update", hook, project_id, settings, current.get_id())


def _reason(exc: gitlab.GitlabError, redact: Redactor) -> str:
    """GitLab's own words for a failed request, one redacted line: ``404 Project Not Found``, ``403 Forbidden``."""
    if exc.response_code is None:  # not an HTTP answer (an answer that does not parse, a write redirected, ...):
        return redact.line(str(exc))  # python-gitlab's message, which is all str() shows without a status
    return answer_message(exc.response_code, {}, exc.response_body, redact)
