"""A fake GitLab (REST API v4) for tests: the endpoints that manage project webhooks.

It answers as GitLab does, for python-gitlab and for plain HTTP clients: ``PRIVATE-TOKEN``
authentication (401 otherwise), projects addressed by id or URL-encoded path (404 ``Project Not
Found``), hooks listed with GitLab's pagination headers, created with 201 and updated with PUT,
Maintainer role needed for hooks (403 otherwise), and a hook's secret ``token`` accepted but
never returned. Every request is recorded, so a test can count writes.

Where each behaviour comes from (GitLab's source and API documentation):

- the endpoints, ``authenticate!`` before any of them (401) and the hook permission checked on
  the project (``authorize_admin_project``, later ``read_web_hook``/``admin_web_hook``: 403 below
  Maintainer), ``requires :url`` and the optional boolean event flags, and ``paginate`` on the
  list: gitlab-org/gitlab ``lib/api/project_hooks.rb`` (mirror gitlabhq/gitlabhq);
- the pagination headers (``X-Page``, ``X-Per-Page``, ``X-Total``, ``X-Total-Pages``,
  ``X-Next-Page``, ``X-Prev-Page``, ``Link`` with prev/next/first/last) and ``per_page`` at most
  100: GitLab's REST API documentation, "Offset-based pagination" (docs.gitlab.com/api/rest);
- a project addressed by its id or its URL-encoded path, and ``404 Project Not Found``: the same
  documentation, "Namespaced paths";
- a hook URL that is neither http nor https refused (422, "Only allowed schemes are http,
  https"): gitlab-org/gitlab ``lib/gitlab/url_blocker.rb``, through the hook's URL validation;
- the hook as the API shows it, without its ``token``: GitLab's "Project webhooks" API
  documentation (the token is write-only; GitLab sends it in ``X-Gitlab-Token``);
- a hook's ``name`` and ``description`` exist from GitLab 17.1 on: before (``version`` below
  17.1) the answers have neither key and a write's are ignored as unknown parameters. The
  "Project webhooks API" documentation, gitlab-org/gitlab ``doc/api/project_webhooks.md``
  (mirror gitlabhq/gitlabhq): "``name`` and ``description`` attributes introduced in GitLab
  17.1" (issue 460887); the answer is ``API::Entities::Hook`` (``lib/api/entities/hook.rb``).

    with FakeGitLab(tokens=["glpat-test"]) as gitlab:
        gitlab.add_project("docker/nginx")
        ...  # point the code under test at gitlab.url
        assert gitlab.hooks("docker/nginx")[0]["url"] == "https://jenkins.example.org/project/x"

It binds 127.0.0.1 on a free port and serves each request in its own thread (over TLS when
given a server ``ssl.SSLContext``).
"""
from __future__ import annotations

import itertools
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

#: What a hook looks like when created with nothing but a URL (GitLab's defaults).
HOOK_DEFAULTS: dict[str, Any] = {
    "name": None,
    "description": None,
    "push_events": True,
    "push_events_branch_filter": "",
    "branch_filter_strategy": "wildcard",
    "issues_events": False,
    "confidential_issues_events": False,
    "merge_requests_events": False,
    "tag_push_events": False,
    "note_events": False,
    "confidential_note_events": False,
    "job_events": False,
    "pipeline_events": False,
    "wiki_page_events": False,
    "deployment_events": False,
    "releases_events": False,
    "feature_flag_events": False,
    "repository_update_events": False,
    "enable_ssl_verification": True,
    "custom_webhook_template": "",
}
_BOOLEAN_FIELDS = {key for key, value in HOOK_DEFAULTS.items() if isinstance(value, bool)}
_WRITE_FIELDS = set(HOOK_DEFAULTS) | {"url", "token"}
_HOOK_ROLES = {"maintainer", "owner"}
_CREATED_AT = "2024-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class GitLabRequest:
    """One request the fake served, in arrival order."""

    method: str
    #: The path as sent, still URL-encoded (``/api/v4/projects/docker%2Fnginx``), without the query.
    path: str
    query: dict[str, str]
    #: The parsed JSON or form body; ``{}`` when there is none.
    body: Any
    #: The status answered.
    status: int
    #: Whether the ``PRIVATE-TOKEN`` header held a known token.
    authenticated: bool


@dataclass
class _Project:
    id: int
    path: str
    role: str
    hooks: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_json(self, base_url: str) -> dict[str, Any]:
        namespace, _, name = self.path.rpartition("/")
        return {
            "id": self.id, "name": name, "path": name, "path_with_namespace": self.path,
            "name_with_namespace": self.path.replace("/", " / "), "default_branch": "master",
            "namespace": {"name": namespace.rpartition("/")[2], "path": namespace.rpartition("/")[2], "full_path": namespace},
            "web_url": f"{base_url}/{self.path}", "permissions": {"project_access": {"access_level": 40 if self.role in _HOOK_ROLES else 30}},
        }


class _HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class FakeGitLab:
    """A GitLab API v4 server in a thread, with projects and hooks set up by the test."""

    def __init__(self, tokens: Iterable[str] = ("glpat-fake",), *, per_page: int = 20, tls: ssl.SSLContext | None = None,
                 version: str = "17.5.0") -> None:
        self.version = version  # below 17.1, hooks have no name and no description
        self.tokens = set(tokens)
        self.per_page = per_page
        self.tls = tls  # a server context: serve HTTPS with its certificate
        self._projects: dict[int, _Project] = {}
        self._ids = itertools.count(1)
        self._hook_ids = itertools.count(1)
        self._requests: list[GitLabRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeGitLab:
        """Listen on 127.0.0.1 at a free port; returns ``self``."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-gitlab", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL, as given to ``gitlab.Gitlab(url)``: ``http://127.0.0.1:PORT`` (``https://`` with ``tls``)."""
        if self._server is None:
            raise RuntimeError("FakeGitLab is not started")
        port = self._server.server_address[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    def proxy_env(self) -> dict[str, str]:
        """Environment variables that make requests (python-gitlab) reach this fake for *any* host.

        The fake also answers requests sent to it as an HTTP proxy (an absolute URL in the
        request line), so a test can give ``--gitlab http://gitlab.example.org``, the host its
        inventory's git URLs name, while every byte stays on loopback.
        """
        return {"http_proxy": self.url, "HTTP_PROXY": self.url, "no_proxy": "", "NO_PROXY": ""}

    # -- seeding and inspection ----------------------------------------------------------
    def add_project(self, path: str, *, role: str = "maintainer") -> int:
        """Create project ``group/name``; the token's ``role`` below Maintainer can't manage hooks."""
        with self._lock:
            project = _Project(next(self._ids), path.strip("/"), role)
            self._projects[project.id] = project
            return project.id

    def add_hook(self, path: str, url: str, *, token: str | None = None, **settings: Any) -> int:
        """Give project ``path`` an existing hook, as if made in the UI; returns its id."""
        unknown = set(settings) - set(HOOK_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown hook settings: {sorted(unknown)}")
        with self._lock:
            project = self._project(path)
            return int(self._create_hook(project, {"url": url, "token": token, **settings})["id"])

    def hooks(self, path: str) -> list[dict[str, Any]]:
        """The hooks of project ``path`` as stored, secret ``token`` included (the API hides it)."""
        with self._lock:
            return [dict(hook) for hook in self._project(path).hooks.values()]

    @property
    def requests(self) -> list[GitLabRequest]:
        """Every request received, in order."""
        with self._lock:
            return list(self._requests)

    def writes(self) -> list[GitLabRequest]:
        """The requests that change something (POST, PUT, PATCH, DELETE)."""
        return [r for r in self.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]

    def clear_requests(self) -> None:
        """Forget the recorded requests (e.g. between two runs of the code under test)."""
        with self._lock:
            self._requests.clear()

    # -- the API (called by the handler, under the lock) --------------------------------------
    def _project(self, ref: str) -> _Project:
        if ref.isdigit() and int(ref) in self._projects:
            return self._projects[int(ref)]
        for project in self._projects.values():
            if project.path.casefold() == ref.strip("/").casefold():
                return project
        raise _HttpError(404, {"message": "404 Project Not Found"})

    def _create_hook(self, project: _Project, data: dict[str, Any]) -> dict[str, Any]:
        hook = {"id": next(self._hook_ids), "url": data["url"], "project_id": project.id, **HOOK_DEFAULTS,
                "created_at": _CREATED_AT, "alert_status": "executable", "disabled_until": None, "url_variables": []}
        hook.update({k: v for k, v in data.items() if k in HOOK_DEFAULTS})
        hook["token"] = data.get("token") or None
        project.hooks[hook["id"]] = hook
        return hook

    def _public(self, hook: dict[str, Any]) -> dict[str, Any]:
        """A hook as the API shows it: never its secret token; no name nor description before 17.1."""
        hidden = {"token", *(_SINCE_17_1 if _before_17_1(self.version) else ())}
        return {k: v for k, v in hook.items() if k not in hidden}

    def _hook_fields(self, body: Any) -> dict[str, Any]:
        """The settings of a POST/PUT body this GitLab knows (it ignores the others)."""
        fields = _hook_fields(body, require_url=True)
        return {k: v for k, v in fields.items() if not (k in _SINCE_17_1 and _before_17_1(self.version))}

    def _record(self, request: GitLabRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _handle(self, method: str, raw_path: str, query: dict[str, str], body: Any, token: str | None, link_base: str) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            if token not in self.tokens:
                raise _HttpError(401, {"message": "401 Unauthorized"})
            if not raw_path.startswith("/api/v4/"):
                raise _HttpError(404, {"error": "404 Not Found"})
            parts = [unquote(p) for p in raw_path[len("/api/v4/"):].split("/")]
            if parts == ["version"] and method == "GET":
                return 200, {"version": self.version, "revision": "fake"}, {}
            if len(parts) < 2 or parts[0] != "projects":
                raise _HttpError(404, {"error": "404 Not Found"})
            project = self._project(parts[1])
            if len(parts) == 2 and method == "GET":
                return 200, project.to_json(link_base), {}
            if len(parts) < 3 or parts[2] != "hooks" or len(parts) > 4:
                raise _HttpError(404, {"error": "404 Not Found"})
            if project.role not in _HOOK_ROLES:
                raise _HttpError(403, {"message": "403 Forbidden"})
            if len(parts) == 3:
                if method == "GET":
                    return self._page([self._public(h) for h in project.hooks.values()], query, link_base + raw_path)
                if method == "POST":
                    return 201, self._public(self._create_hook(project, self._hook_fields(body))), {}
                raise _HttpError(405, {"error": "405 Method Not Allowed"})
            hook = project.hooks.get(int(parts[3])) if parts[3].isdigit() else None
            if hook is None:
                raise _HttpError(404, {"message": "404 Not Found"})
            if method == "GET":
                return 200, self._public(hook), {}
            if method == "PUT":
                hook.update(self._hook_fields(body))
                return 200, self._public(hook), {}
            if method == "DELETE":
                del project.hooks[hook["id"]]
                return 204, None, {}
            raise _HttpError(405, {"error": "405 Method Not Allowed"})

    def _page(self, items: list[Any], query: dict[str, str], address: str) -> tuple[int, Any, dict[str, str]]:
        """One page of ``items`` with the headers GitLab sends (offset pagination)."""
        try:
            page = max(int(query.get("page", 1)), 1)
            per_page = min(max(int(query.get("per_page", self.per_page)), 1), 100)
        except ValueError:
            raise _HttpError(400, {"error": "page is invalid"}) from None
        total_pages = max((len(items) + per_page - 1) // per_page, 1)
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)), "X-Total-Pages": str(total_pages),
                   "X-Next-Page": str(page + 1) if page < total_pages else "", "X-Prev-Page": str(page - 1) if page > 1 else ""}
        others = {k: v for k, v in query.items() if k not in ("page", "per_page")}

        def link(number: int, rel: str) -> str:
            return f'<{address}?{urlencode({**others, "page": number, "per_page": per_page})}>; rel="{rel}"'

        links = ([link(page - 1, "prev")] if page > 1 else []) + ([link(page + 1, "next")] if page < total_pages else [])
        headers["Link"] = ", ".join([*links, link(1, "first"), link(total_pages, "last")])
        return 200, items[(page - 1) * per_page: page * per_page], headers


_SINCE_17_1 = {"name", "description"}


def _before_17_1(version: str) -> bool:
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) < (17, 1)


def _hook_fields(body: Any, *, require_url: bool) -> dict[str, Any]:
    """The hook settings of a POST/PUT body, checked the way GitLab checks them."""
    if not isinstance(body, dict):
        raise _HttpError(400, {"error": "url is missing"})
    if require_url and not body.get("url"):
        raise _HttpError(400, {"error": "url is missing"})
    fields: dict[str, Any] = {}
    for key, value in body.items():
        if key not in _WRITE_FIELDS:
            continue  # GitLab ignores parameters it does not know
        if key in _BOOLEAN_FIELDS:
            value = _boolean(key, value)
        fields[key] = value
    if "url" in fields and urlsplit(str(fields["url"])).scheme not in ("http", "https"):
        raise _HttpError(422, {"message": {"url": ["is blocked: Only allowed schemes are http, https"]}})
    return fields


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "yes", "t"):
        return True
    if str(value).lower() in ("false", "0", "no", "f"):
        return False
    raise _HttpError(400, {"error": f"{key} is invalid"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one segment: no 40 ms delayed-ACK stall per request
    fake: FakeGitLab

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        token = self.headers.get("PRIVATE-TOKEN")
        body: Any = {}
        try:
            body = _parse_body(raw, self.headers.get("Content-Type", ""))
            status, document, headers = self.fake._handle(self.command, parts.path, query, body, token,
                                                           f"http://{self.headers.get('Host', 'localhost')}")
        except _HttpError as exc:
            status, document, headers = exc.status, exc.body, {}
        self.fake._record(GitLabRequest(self.command, parts.path, query, body, status, token in self.fake.tokens))
        data = b"" if document is None else json.dumps(document).encode("utf-8")
        self.send_response(status)
        if document is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # keep test output clean


def _parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if content_type.startswith("application/json"):
        try:
            return json.loads(text)
        except ValueError:
            raise _HttpError(400, {"error": "body is not valid JSON"}) from None
    return {k: v[-1] for k, v in parse_qs(text).items()}
