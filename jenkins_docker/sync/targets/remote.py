"""A live Jenkins controller as a sync target, through python-jenkins.

python-jenkins keeps one ``requests.Session`` per ``Jenkins`` object and changes its crumb and
auth state without locks, so every thread gets its own client. Requests go through
``Jenkins.jenkins_request`` (auth, crumbs) but are built here: its convenience methods make
extra existence checks (about five requests per created job), which this target avoids.
Transient failures (connection errors, timeouts, 502/503/504) are retried with backoff;
everything else fails the one job it concerns. Requests that are not safe to send twice (a
build, a view's creation) are retried only when the connection could not even be made; after a
lost reply their callers look at Jenkins before deciding.

Every client is pinned to the configured server (:mod:`jenkins_docker.safe_http`), and every
error text goes through :mod:`jenkins_docker.redact`: status and Jenkins's ``X-Error``, never a
body as it comes, with the credentials in use masked.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Mapping, TypeVar
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

import jenkins
import requests
import urllib3

from jenkins_docker.errors import JobError, TargetError
from jenkins_docker.redact import Redactor, answer_message, redact_url, refuse_userinfo
from jenkins_docker.safe_http import RedirectRefused, connection_reason, pin_to_origin
from jenkins_docker.sync.plugins import Installed
from jenkins_docker.sync.targets import ItemKind, LiveItem

log = logging.getLogger(__name__)

T = TypeVar("T")

_CLASS_KINDS: dict[str, ItemKind] = {
    "hudson.model.FreeStyleProject": "freestyle",
    "org.jenkinsci.plugins.workflow.job.WorkflowJob": "pipeline",
    "com.cloudbees.hudson.plugins.folder.Folder": "folder",
}
_TRANSIENT_STATUS = {502, 503, 504}
#: Where Jenkins credentials go instead of the URL.
CREDENTIALS_GO = "JENKINS_USER and JENKINS_API_TOKEN (or --user and --token-file)"


class _LostReply(Exception):
    """A request that is not safe to repeat may have reached Jenkins, but its answer was lost."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
#: What every XML POST is sent as (creates, updates, views alike).
XML_CONTENT_TYPE = "application/xml; charset=UTF-8"


class Credentials:
    """A user and API token (or password); ``repr`` never shows the token."""

    def __init__(self, user: str | None, token: str | None) -> None:
        self.user = user
        self._token = token

    @property
    def token(self) -> str | None:
        """The secret itself; only the HTTP client reads it."""
        return self._token

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, token={'***' if self._token else None})"


def job_path(full_name: str) -> str:
    """``a/b`` -> ``job/a/job/b/``: the URL path of an item."""
    return "".join(f"job/{quote(part, safe='')}/" for part in full_name.split("/"))


def _tree(depth: int) -> str:
    fields = "name,description"
    tree = f"jobs[{fields}]"
    for _ in range(depth - 1):
        tree = f"jobs[{fields},{tree}]"
    return tree


class RemoteJenkins:
    """A Jenkins controller reached over HTTP(S)."""

    def __init__(self, url: str, credentials: Credentials | None = None, *, verify: bool | str = True,
                 timeout: float = 30.0, retries: int = 4, backoff: float = 0.25,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not url.startswith(("http://", "https://")):
            raise TargetError(f"--jenkins {redact_url(url)!r} is not an http(s) URL")
        refuse_userinfo(url, "--jenkins", CREDENTIALS_GO)
        self.url = url if url.endswith("/") else url + "/"
        self.label = redact_url(self.url)
        self._credentials = credentials or Credentials(None, None)
        self._redact = Redactor([self._credentials.token], user=self._credentials.user)
        self._verify = verify
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._local = threading.local()
        self._clients: list[jenkins.Jenkins] = []
        self._lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------------------------
    def _client(self) -> jenkins.Jenkins:
        client = getattr(self._local, "client", None)
        if client is None:
            creds = self._credentials
            client = jenkins.Jenkins(self.url, creds.user, creds.token, timeout=self._timeout, retries=0)
            client._session.verify = self._verify
            pin_to_origin(client._session, self.url, what="Jenkins")
            # Requests authenticated with an API token need no crumb: start without one (False
            # means "none needed" to python-jenkins) and fetch it only if Jenkins asks (403).
            client.crumb = False
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _request(self, method: str, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
                 what: str = "", repeatable: bool = True) -> requests.Response:
        """One request with retries of transient failures; errors become TargetError/JobError.

        A request that is not ``repeatable`` is sent again only when the connection could not
        be made; when it may have reached Jenkins and the answer was lost, :class:`_LostReply`
        tells the caller to look before deciding.
        """
        url = self.url + path
        attempt = 0
        while True:
            attempt += 1
            try:
                req = requests.Request(method, url, data=data, headers=headers or {})
                response: requests.Response = self._client().jenkins_request(req)
                return response
            except RedirectRefused as exc:
                raise (JobError(what, str(exc)) if what else TargetError(str(exc))) from None
            except requests.exceptions.SSLError as exc:
                raise TargetError(f"TLS with {self.url} failed: {self._short(exc)}; if Jenkins uses a private CA, "
                                  "pass --ca-bundle FILE") from None
            except (requests.ConnectionError, requests.Timeout, jenkins.TimeoutException) as exc:
                failure: Exception = exc
                transient = True
                if not repeatable and not _never_sent(exc):
                    raise _LostReply(self._short(exc)) from None
            except requests.HTTPError as exc:
                failure = exc
                transient = exc.response is not None and exc.response.status_code in _TRANSIENT_STATUS
                if transient and not repeatable:  # a proxy's 502/504 may hide a request Jenkins did get
                    raise _LostReply(self._message(exc)) from None
            except jenkins.NotFoundException:
                raise
            except jenkins.JenkinsException as exc:
                client = self._client()
                if _status(exc) == 403 and "crumb" in str(exc).lower() and client.crumb is False:
                    client.crumb = None  # a password login: fetch the crumb and send again
                    attempt -= 1
                    continue
                raise self._jenkins_error(exc, what) from None
            if not transient or attempt > self._retries:
                raise self._http_error(failure, what, attempt)
            delay = self._backoff * (2 ** (attempt - 1))
            log.info("retrying %s %s in %.2fs after %s", method, self._redact(path), delay, self._short(failure))
            self._sleep(delay)

    def _short(self, exc: Exception) -> str:
        """An exception's first line, redacted and bounded (requests puts URLs in its texts)."""
        return self._redact.line(str(exc) or type(exc).__name__)

    def _message(self, exc: Exception) -> str:
        """How Jenkins answered, as one redacted line: status and X-Error (or the exception line)."""
        response = exc.response if isinstance(exc, requests.HTTPError) else None
        if response is None:
            return self._short(exc)
        return answer_message(response.status_code, response.headers, response.content, self._redact)

    def _http_error(self, exc: Exception, what: str, attempts: int) -> TargetError:
        if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout):
            tries = f", after {attempts} attempts" if attempts > 1 else ""
            reason = f"cannot reach Jenkins at {self.url} ({connection_reason(exc)}{tries})"
            return JobError(what, reason) if what else TargetError(reason)
        message = self._message(exc) + (f" (after {attempts} attempts)" if attempts > 1 else "")
        return JobError(what, message) if what else TargetError(f"{self.url}: {message}")

    def _jenkins_error(self, exc: jenkins.JenkinsException, what: str) -> TargetError:
        status = _status(exc)
        if status in (401, 403) and not self._credentials.user:
            return TargetError(f"Jenkins at {self.url} wants a login ({status}): no credentials given (set JENKINS_USER and JENKINS_API_TOKEN)")
        if status == 401:
            return TargetError(f"Jenkins at {self.url} refused the credentials (401): check JENKINS_USER and the API token")
        if status == 403:
            detail = "No valid crumb" if "crumb" in str(exc).lower() else "permission denied"
            return TargetError(f"Jenkins at {self.url} answered 403 ({detail}): the user needs Job/Configure, Job/Create and Job/Delete")
        cause = exc.__context__
        summary = self._message(cause) if isinstance(cause, requests.HTTPError) else self._short(exc)
        return JobError(what, f"Jenkins answered {summary}") if what else TargetError(f"Jenkins answered {summary}")

    def _api_json(self, tree: str) -> requests.Response:
        """``api/json?tree=...`` of the controller, which must answer as Jenkins does."""
        try:
            response = self._request("GET", f"api/json?tree={quote(tree, safe='[],')}")
        except jenkins.NotFoundException:
            raise TargetError(f"{self.url} is not a Jenkins controller (no api/json)") from None
        if not response.headers.get("X-Jenkins"):
            raise TargetError(f"{self.url} does not look like Jenkins (no X-Jenkins header)")
        return response

    def _post_xml(self, path: str, xml: str, what: str) -> None:
        # The charset matters: Jenkins reads an update (POST config.xml) through getReader(),
        # which decodes a body without one as ISO-8859-1 and mangles every non-ASCII character.
        self._request("POST", path, data=xml.encode("utf-8"), headers={"Content-Type": XML_CONTENT_TYPE}, what=what)

    # -- Target ------------------------------------------------------------------------------
    def check(self) -> str:
        """Make sure the URL is a Jenkins we may use; returns its version."""
        return self._api_json("mode").headers["X-Jenkins"]

    def installed_plugins(self) -> dict[str, Installed] | None:
        """The controller's plugins, in one request; None when this user may not read them.

        The plugin manager's API needs Overall/SystemRead (jenkinsci/jenkins
        core/src/main/java/hudson/PluginManager.java getApi), which a sync account may lack.
        """
        path = "pluginManager/api/json?tree=" + quote("plugins[shortName,version,active]", safe="[],")
        try:
            response = self._request("GET", path)
        except jenkins.NotFoundException:
            return None
        except TargetError as exc:
            if "403" in str(exc):
                log.warning("cannot read the installed plugins (%s): the jobs' plugins are not checked", exc)
                return None
            raise
        try:
            plugins = response.json().get("plugins") or []
        except ValueError:
            raise TargetError(f"{self.url} answered pluginManager/api/json with something that is not JSON") from None
        return {p["shortName"]: Installed(str(p.get("version") or ""), bool(p.get("active", True)))
                for p in plugins if isinstance(p, dict) and p.get("shortName")}

    def list_items(self, depth: int) -> list[LiveItem]:
        response = self._api_json(_tree(max(depth, 1)))
        try:
            data = response.json()
        except ValueError:
            raise TargetError(f"{self.url} answered api/json with something that is not JSON") from None
        items: list[LiveItem] = []
        stack = [("", job) for job in data.get("jobs") or []]
        while stack:
            prefix, job = stack.pop()
            full = prefix + job["name"]
            kind = _CLASS_KINDS.get(job.get("_class", ""), "folder" if "jobs" in job else "other")
            items.append(LiveItem(full, kind, job.get("description") or ""))
            stack.extend((full + "/", child) for child in job.get("jobs") or [])
        return sorted(items, key=lambda item: item.full_name)

    def read_config(self, full_name: str) -> str:
        try:
            response = self._request("GET", job_path(full_name) + "config.xml", what=full_name)
        except jenkins.NotFoundException:
            raise JobError(full_name, "not found") from None
        # python-jenkins guesses the text encoding; Jenkins sends UTF-8 bytes.
        return response.content.decode("utf-8")

    def create(self, full_name: str, xml: str) -> None:
        folder, _, name = full_name.rpartition("/")
        path = (job_path(folder) if folder else "") + f"createItem?name={quote(name, safe='')}"
        try:
            self._post_xml(path, xml, full_name)
        except jenkins.NotFoundException:
            raise JobError(full_name, f"folder {folder!r} does not exist") from None
        except JobError as exc:
            # A create whose answer was lost may have happened; posting the config is idempotent.
            if "already exists" in exc.message and "attempts" in exc.message:
                self.update(full_name, xml)
                return
            raise

    def update(self, full_name: str, xml: str) -> None:
        try:
            self._post_xml(job_path(full_name) + "config.xml", xml, full_name)
        except jenkins.NotFoundException:
            raise JobError(full_name, "not found (deleted meanwhile?)") from None

    def delete(self, full_name: str) -> None:
        try:
            self._request("POST", job_path(full_name) + "doDelete", what=full_name)
        except jenkins.NotFoundException:
            return  # already gone: what a delete wants

    def read_view(self, name: str) -> str | None:
        try:
            response = self._request("GET", f"view/{quote(name, safe='')}/config.xml", what=f"view {name}")
        except jenkins.NotFoundException:
            return None
        return response.content.decode("utf-8")

    def write_view(self, name: str, xml: str, *, create: bool) -> None:
        if not create:
            self._post_xml(f"view/{quote(name, safe='')}/config.xml", xml, f"view {name}")
            return
        what = f"view {name}"
        for attempt in range(1, self._retries + 2):
            try:
                self._request("POST", f"createView?name={quote(name, safe='')}", data=xml.encode("utf-8"),
                              headers={"Content-Type": XML_CONTENT_TYPE}, what=what, repeatable=False)
                return
            except _LostReply as lost:
                # A second createView of a view that exists fails ("already exists"): look first.
                if name in self._view_names():
                    log.info("the answer to creating view %s was lost, but the view exists: writing its config", name)
                    self.write_view(name, xml, create=False)
                    return
                if attempt > self._retries:
                    raise JobError(what, f"{lost.reason} (after {attempt} attempts)") from None
                self._sleep(self._backoff * (2 ** (attempt - 1)))

    def _view_names(self) -> set[str]:
        """The names of the top-level views, read in one request."""
        try:
            return {view.get("name", "") for view in self._request("GET", "api/json?tree=views[name]").json().get("views") or []}
        except ValueError:
            raise TargetError(f"{self.url} answered api/json with something that is not JSON") from None

    def build(self, full_name: str, parameters: Mapping[str, str] | None = None) -> str | None:
        """Queue a build of a job; returns the queue item URL Jenkins gives, if any.

        A job with parameters must be started through ``buildWithParameters`` (``build`` wants
        the web form); parameters not given take their defaults.
        """
        if parameters is None:
            path = job_path(full_name) + "build"
        else:
            path = job_path(full_name) + "buildWithParameters?" + urlencode(sorted(parameters.items()))
        try:
            response = self._request("POST", path, what=full_name, repeatable=False)
        except jenkins.NotFoundException:
            raise JobError(full_name, "no such job on Jenkins (run sync first)") from None
        except _LostReply as lost:
            # Sending it again could queue a second build: the queue says whether the first arrived.
            queued = self._queued(full_name)
            if queued is not None:
                log.info("the answer to the build request of %s was lost, but the queue holds it", full_name)
                return queued
            raise JobError(full_name, f"the answer to the build request was lost ({lost.reason}) and the queue does not "
                                      f"hold the build: it was not queued, or has already started; look at "
                                      f"{self.url}{job_path(full_name)} before asking again") from None
        location = response.headers.get("Location")
        return self._redact.line(redact_url(location), limit=300) if location else None  # it is printed

    def _queued(self, full_name: str) -> str | None:
        """The URL of the queue item waiting to build ``full_name``, if there is one.

        Queue items name their task by URL (absolute, from Jenkins's root URL, whose host may
        differ from ours behind a proxy), so the job is recognised by that URL's path. A path
        that differs from ours too finds nothing: the caller then says so rather than guess.
        """
        response = self._request("GET", "queue/api/json?tree=items[id,url,task[url]]", what=full_name)
        try:
            items = response.json().get("items") or []
        except ValueError:
            raise JobError(full_name, "the queue answered with something that is not JSON") from None
        wanted = unquote(urlsplit(self.url + job_path(full_name)).path)
        for item in items:
            if unquote(urlsplit((item.get("task") or {}).get("url") or "").path) == wanted:
                return urljoin(self.url, str(item.get("url") or f"queue/item/{item.get('id')}/"))
        return None

    def last_builds(self, depth: int) -> dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]:
        """Every job's last build and last successful build (``number``, ``result``, ``timestamp``
        in ms), by full name, down to ``depth`` folder levels: one request."""
        run = "number,result,timestamp"
        tree = f"jobs[name,lastBuild[{run}],lastSuccessfulBuild[{run}]]"
        for _ in range(max(depth, 1) - 1):
            tree = f"jobs[name,lastBuild[{run}],lastSuccessfulBuild[{run}],{tree}]"
        try:
            data = self._api_json(tree).json()
        except ValueError:
            raise TargetError(f"{self.url} answered api/json with something that is not JSON") from None
        out: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
        stack = [("", job) for job in data.get("jobs") or []]
        while stack:
            prefix, job = stack.pop()
            full = prefix + job["name"]
            out[full] = (job.get("lastBuild"), job.get("lastSuccessfulBuild"))
            stack.extend((full + "/", child) for child in job.get("jobs") or [])
        return out

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client._session.close()
            self._clients.clear()


def _status(exc: jenkins.JenkinsException) -> int | None:
    """The HTTP status behind a python-jenkins error, if any.

    python-jenkins turns a 401, 403 or 500 into a bare ``JenkinsException`` raised while
    handling the ``HTTPError``, which stays attached as the exception's context.
    """
    cause = exc.__context__
    if isinstance(cause, requests.HTTPError) and cause.response is not None:
        return cause.response.status_code
    return None


def _never_sent(exc: Exception) -> bool:
    """Whether a connection failure happened before the request could leave (so it is safe to send again)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)
