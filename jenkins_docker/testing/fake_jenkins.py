"""A fake Jenkins controller that answers over real HTTP, for tests of anything that talks to Jenkins.

:class:`FakeJenkins` runs a threaded HTTP/1.1 server on 127.0.0.1 (keep-alive, ``Content-Length`` on
every response) that behaves like Jenkins 2.462 for what a job-sync tool and python-jenkins touch:
items in folders, ``config.xml`` read and written the way XStream does it, ``api/json`` with
``tree=``, views, the build queue, Basic authentication with API tokens or passwords plus crumbs,
and the GitLab plugin's ``/project/`` webhook.  Tests can seed and inspect it directly, read every
request it served, and inject failures (an HTTP status, a dropped connection, a delay).

How ``config.xml`` is loaded and written back (XStream's model: the per-class field tables,
``plugin`` attribution, unknown fields dropped, secrets encrypted, re-indentation and escaping) is
described and implemented in :mod:`jenkins_docker.testing.xstream`; the items, folders, views and
build queue, and the seeding and inspection methods, are :class:`~.jenkins_store.JenkinsStore`
(:mod:`jenkins_docker.testing.jenkins_store`), which :class:`FakeJenkins` holds as its ``store``.  This module is
the HTTP side: the server, routing, authentication and crumbs, the remote API, the GitLab webhook,
injected faults and the request log.

Deliberate simplifications of the server: every authenticated user may do everything; nothing ever
builds (queued items wait until cancelled or their job is deleted).  A create reads the body's
bytes (the XML declaration decides the encoding); an update of ``config.xml`` reads it as text
decoded by the Content-Type's charset, ISO-8859-1 without one, as Jenkins does.  Header values are written as Jetty writes them: characters above U+00FF become
spaces, so ``X-Error: A job already exists with the name ‘x’`` reaches a client as
``A job already exists with the name  x`` (the HTML body keeps the whole message).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qs, quote, unquote, urlsplit

from jenkins_docker.testing.jenkins_store import Build, HttpError, Item, JenkinsStore, QueueItem, failure, parse_config
from jenkins_docker.testing.xstream import (
    DISABLE_CONCURRENT_PROPERTY,
    FOLDER,
    FREESTYLE,
    GITLAB_TRIGGER,
    ITEM_CLASSES,
    MODELLED_CLASSES,
    PIPELINE,
    PIPELINE_TRIGGERS_PROPERTY,
    VIEW_CLASSES,
    Obj,
    ci_key,
    decode_tag,
    root_class,
)

__all__ = ["DEFAULT_PLUGINS", "MODELLED_CLASSES", "FakeJenkins", "RecordedRequest"]

#: Installed plugins when the caller names none: artifactId -> version (an LTS 2.462 controller
#: with what the job templates use).
DEFAULT_PLUGINS: Mapping[str, str] = {
    "cloudbees-folder": "6.955.v81e2a_35c08d3",
    "credentials": "1380.va_435002fa_924",
    "credentials-binding": "681.vf91669a_32e45",
    "display-url-api": "2.204.vf6fddd8a_8b_e9",
    "git": "5.5.2",
    "git-client": "5.0.0",
    "gitlab-plugin": "1.8.1",
    "junit": "1300.v03d9d8a_cf1fb_",
    "mailer": "472.vf7c289a_4b_420",
    "parameterized-trigger": "806.vf6fff3e28c3e",
    "matrix-auth": "3.2.2",
    "pipeline-build-step": "540.vb_e8849e1a_b_d8",
    "pipeline-model-definition": "2.2214.vb_b_34b_2ea_9b_83",
    "plain-credentials": "183.va_de8f1dd5a_2b_",
    "scm-api": "696.v778d637b_a_762",
    "script-security": "1362.v67dc1f0e1b_b_3",
    "ssh-credentials": "343.v884f71d78167",
    "structs": "338.v848422169819",
    "timestamper": "1.27",
    "workflow-api": "1336.vee415d95c521",
    "workflow-cps": "3969.vdc9d3a_efcc6a_",
    "workflow-job": "1400.v7fd111b_ec82f",
    "workflow-step-api": "678.v3ee58b_469476",
    "ws-cleanup": "0.46",
}


# ---------------------------------------------------------------------------------------------
# Requests, responses and the remote API's objects
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake served, in arrival order."""

    method: str
    #: The URL path with each segment percent-decoded, e.g. ``/job/docker/job/acme nginx/config.xml``.
    path: str
    #: The raw query string, ``""`` when there is none.
    query: str
    #: The status answered; 0 when an injected fault dropped the connection.
    status: int
    #: The authenticated user name, ``"anonymous"`` when there is none.
    user: str


@dataclass
class _Fault:
    method: str | None
    path: re.Pattern[str] | None
    status: int | None
    body: str
    headers: Mapping[str, str]
    drop: bool
    delay: float
    remaining: int
    drop_reply: bool = False


@dataclass
class _Request:
    method: str
    path: str
    segments: list[str]
    query: str
    params: dict[str, list[str]]
    headers: Message
    body: bytes
    user: str | None = None
    token: bool = False
    session: str | None = None


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


class _Bean(dict):  # type: ignore[type-arg]
    """An exported object of the remote API; values may be zero-argument callables (lazy)."""

    summary: tuple[str, ...] = ()


def _bean(cls: str, summary: Iterable[str] = (), **props: Any) -> _Bean:
    b = _Bean(_class=cls, **props)
    b.summary = ("_class", *summary)
    return b


def _parse_tree(spec: str) -> dict[str, tuple[Any, tuple[int | None, int | None] | None]]:
    """``tree=jobs[name,jobs[name]]{0,5}`` -> {name: (sub-spec or None, range or None)}."""
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        out: dict[str, Any] = {}
        while pos < len(spec):
            m = re.compile(r"[^,\[\]{}]*").match(spec, pos)
            assert m is not None
            name = m.group(0).strip()
            pos = m.end()
            sub = None
            rng = None
            if pos < len(spec) and spec[pos] == "[":
                pos += 1
                sub = parse_list()
                pos += 1  # "]"
            if pos < len(spec) and spec[pos] == "{":
                end = spec.index("}", pos)
                lo, _, hi = spec[pos + 1:end].partition(",")
                if "," in spec[pos + 1:end]:
                    rng = (int(lo) if lo.strip() else None, int(hi) if hi.strip() else None)
                else:
                    rng = (int(lo), int(lo) + 1)
                pos = end + 1
            if name:
                out[name] = (sub, rng)
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            break
        return out

    return parse_list()


def _force(value: Any) -> Any:
    return value() if callable(value) else value


def _render_tree(value: Any, spec: dict[str, Any] | None) -> Any:
    value = _force(value)
    if isinstance(value, list):
        return [_render_tree(v, spec) for v in value]
    if isinstance(value, _Bean):
        out: dict[str, Any] = {"_class": value["_class"]}
        for name in value:  # Jenkins writes properties in the bean's order, not the tree's
            if name in (spec or {}) and name != "_class":
                sub, rng = (spec or {})[name]
                v = _force(value[name])
                if isinstance(v, list) and rng is not None:
                    v = v[rng[0]:rng[1]]
                out[name] = _render_tree(v, sub)
        return out
    if isinstance(value, dict):
        return value
    return value


def _render_depth(value: Any, level: int, depth: int) -> Any:
    value = _force(value)
    if isinstance(value, list):
        return [_render_depth(v, level, depth) for v in value]
    if isinstance(value, _Bean):
        keys = list(value) if level <= depth or not value.summary else [k for k in value if k in value.summary]
        return {k: _render_depth(value[k], level + 1, depth) for k in keys}
    return value


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "Jetty(10.0.20)"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.server.fake._track(self.connection, False)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        try:
            self.server.fake._serve(self, self._read_body())
        except OSError:  # the client went away (a timeout, or the fake is stopping)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, _jetty_header_value(value))
        self.send_header("Content-Length", str(len(body)))
        # One write for head and body: two small writes meet Nagle and delayed ACKs (40 ms each).
        buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]
        buffer.append(b"\r\n")
        if self.command != "HEAD":
            buffer.append(body)
        self.flush_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # many workers connect at once; the default backlog of 5 stalls them
    fake: FakeJenkins

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that disconnects is not news; the fake's own errors become 500 pages


def _jetty_header_value(value: str) -> str:
    """Jetty writes header values as ISO-8859-1 and turns any other character (and CR/LF) into a space."""
    return "".join(c if ord(c) <= 0xFF and c not in "\r\n" else " " for c in value)


def _first(params: Mapping[str, list[str]], name: str) -> str | None:
    """A request parameter as a servlet's ``getParameter`` gives it: the first value, or None."""
    values = params.get(name)
    return values[0] if values else None


def _page(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>{html.escape(title)} [Jenkins]</title></head>"
            f"<body><div id=\"main-panel\">{body}</div></body></html>").encode("utf-8")


_CRUMB_FIELD = "Jenkins-Crumb"
_PERMISSIONS = {"createItem": "hudson.model.Item.Create", "config.xml": "hudson.model.Item.Configure",
                "doDelete": "hudson.model.Item.Delete", "build": "hudson.model.Item.Build",
                "buildWithParameters": "hudson.model.Item.Build", "createView": "hudson.model.View.Create"}


class FakeJenkins:
    """A fake Jenkins controller over real HTTP on 127.0.0.1 (see the module docstring).

    ``users`` log in with a password (every POST then needs the crumb of
    ``crumbIssuer/api/json``, tied to the session cookie that response sets); ``tokens`` are API
    tokens (no crumb needed).  Without credentials every request is refused with 403, except
    GETs when ``anonymous_read`` is true.  ``plugins`` are the installed plugins (artifactId ->
    version), :data:`DEFAULT_PLUGINS` when not given.  ``latency`` seconds are slept before every
    request is answered (settable at any time).  With ``tls`` (a server-side ``ssl.SSLContext``)
    it serves HTTPS and :attr:`url` starts with ``https://``.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with FakeJenkins(tokens={"admin": "t"}) as fake:
            client = jenkins.Jenkins(fake.url, "admin", "t")   # python-jenkins
            client.create_job("x", "<project/>")
            assert fake.job_names() == ["x"]

    ``requests`` is the log of every request served (:class:`RecordedRequest`, in order).
    :attr:`store` is the controller's state (a
    :class:`~jenkins_docker.testing.jenkins_store.JenkinsStore`); the fake answers requests from it
    and never inherits from it.  The seeding and inspection methods a test uses (:meth:`put_job`,
    :meth:`put_folder`, :meth:`get_config`, :meth:`resave`, :meth:`job_names`,
    :meth:`folder_names`, :meth:`views`, :meth:`queue`, :meth:`add_build`, :attr:`plugins`,
    :attr:`version`) are the fake's public API: each hands over to the store's method of that name.
    """

    def __init__(self, *, users: Mapping[str, str] | None = None, tokens: Mapping[str, str] | None = None,
                 anonymous_read: bool = False, version: str = "2.462.3",
                 plugins: Mapping[str, str] | None = None, latency: float = 0.0,
                 tls: ssl.SSLContext | None = None) -> None:
        #: The controller's state: items, views, the build queue, installed plugins.
        self.store = JenkinsStore(version=version, plugins=DEFAULT_PLUGINS if plugins is None else plugins)
        # One lock: a request is handled holding the store's lock, and the request log, faults
        # and open connections are kept under it too.
        self._lock = self.store.lock
        self._tls = tls
        #: ``http://127.0.0.1:PORT/`` once started.
        self.url: str = ""
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._users = dict(users or {})
        self._tokens = dict(tokens or {})
        self._anonymous_read = anonymous_read
        self._crumb_salt = secrets.token_bytes(16)
        self._cookie = "JSESSIONID." + secrets.token_hex(4)
        self._instance = secrets.token_hex(4)
        self._sessions: dict[str, str | None] = {}
        self._faults: list[_Fault] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- seeding and inspection: the store's, for tests --------------------------------------

    @property
    def version(self) -> str:
        """The Jenkins version (the ``X-Jenkins`` header); it decides version-dependent fields."""
        return self.store.version

    @property
    def plugins(self) -> dict[str, str]:
        """The installed plugins: artifactId -> version."""
        return self.store.plugins

    def put_job(self, full_name: str, config_xml: str) -> None:
        """Create or replace a job as if made by hand in the UI (:meth:`JenkinsStore.put_job`)."""
        self.store.put_job(full_name, config_xml)

    def put_folder(self, full_name: str, config_xml: str | None = None) -> None:
        """Create a folder and its missing parents, or replace a folder's config (:meth:`JenkinsStore.put_folder`)."""
        self.store.put_folder(full_name, config_xml)

    def job_names(self) -> list[str]:
        """Full names of every job that is not a folder, in tree order."""
        return self.store.job_names()

    def folder_names(self) -> list[str]:
        """Full names of every folder, in tree order."""
        return self.store.folder_names()

    def get_config(self, full_name: str) -> str:
        """Exactly what ``GET job/.../config.xml`` answers; KeyError when there is no such item."""
        return self.store.get_config(full_name)

    def resave(self, full_name: str) -> None:
        """Jenkins re-saving a job after its plugins were upgraded (:meth:`JenkinsStore.resave`)."""
        self.store.resave(full_name)

    def views(self) -> dict[str, str]:
        """Each view's ``config.xml`` by name (``folder/name`` inside folders), "All" views left out."""
        return self.store.views()

    def add_build(self, full_name: str, result: str | None, timestamp: int) -> int:
        """Record a build of a job (``result`` None: still building); its number (:meth:`JenkinsStore.add_build`)."""
        return self.store.add_build(full_name, result, timestamp)

    def queue(self) -> list[str]:
        """Full names of the jobs waiting in the build queue, in queue order."""
        return self.store.queue()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeJenkins:
        """Listen on ``port`` of 127.0.0.1 (0: a free one) and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("FakeJenkins is already started")
        server = _Server(("127.0.0.1", port), _Handler)
        server.fake = self
        scheme = "http"
        if self._tls is not None:
            # Each accepted connection does its TLS handshake before the handler reads it.
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        self._server = server
        self.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="fake-jenkins", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeJenkins:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._connections.add if open_ else self._connections.discard)(conn)

    # -- the request log and faults -------------------------------------------------------------

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self.requests.clear()

    def count(self, *, method: str | None = None, path: str | None = None) -> int:
        """How many recorded requests had this method and a path matching this regex (both optional)."""
        pattern = re.compile(path) if path is not None else None
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method == method.upper())
                       and (pattern is None or pattern.search(r.path)))

    def inject_fault(self, *, method: str | None = None, path: str | None = None, status: int | None = None,
                     body: str = "", headers: Mapping[str, str] | None = None, drop: bool = False,
                     delay: float = 0.0, times: int = 1, drop_reply: bool = False) -> None:
        """Make the next ``times`` matching requests fail.

        A request matches when its method equals ``method`` and ``path`` (a regex) is found in its
        URL path (each is optional).  It is first delayed by ``delay`` seconds, then has its
        connection closed without an answer (``drop``), or is answered with ``status``, ``body``
        and ``headers`` instead of being handled, or (with only a delay) is handled normally.
        With ``drop_reply`` the request is handled as usual and then its connection is closed
        instead of answered: a reply lost on its way back, after the request took effect.
        Faults are consumed in the order they were injected.
        """
        if status is None and not drop and not drop_reply and delay <= 0:
            raise ValueError("a fault needs a status, drop=True or a delay")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_Fault(method.upper() if method else None,
                                       re.compile(path) if path is not None else None,
                                       status, body, dict(headers or {}), drop, delay, times, drop_reply))

    # -- internals: HTTP ------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.method in (None, method)) and (fault.path is None or fault.path.search(path)):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, req: _Request, status: int) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(req.method, req.path, req.query, status,
                                                 req.user or "anonymous"))

    def _serve(self, handler: _Handler, body: bytes) -> None:
        split = urlsplit(handler.path)
        segments = [unquote(s) for s in split.path.split("/") if s]
        req = _Request(handler.command, "/" + "/".join(segments), segments, split.query,
                       parse_qs(split.query, keep_blank_values=True), handler.headers, body)
        fault = self._take_fault(req.method, req.path)
        if self.latency > 0:
            time.sleep(self.latency)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            self._record(req, 0)
            handler.drop()
            return
        if fault is not None and fault.status is not None:
            response = _Response(fault.status, fault.body.encode("utf-8"),
                                 "text/plain;charset=utf-8" if fault.body else None, list(fault.headers.items()))
        else:
            response = self._respond(req)
            response.headers[:0] = [("X-Content-Type-Options", "nosniff"), ("X-Jenkins", self.version),
                                    ("X-Jenkins-Session", self._instance)]
        if response.content_type:
            response.headers.append(("Content-Type", response.content_type))
        self._record(req, 0 if fault is not None and fault.drop_reply else response.status)
        if fault is not None and fault.drop_reply:
            handler.drop()
            return
        handler.answer(response.status, response.headers, response.body)

    def _respond(self, req: _Request) -> _Response:
        try:
            with self._lock:
                self._authenticate(req)
                self._check_crumb(req)
                return self._route(req)
        except HttpError as e:
            return self._error_response(req, e)
        except Exception as e:  # a bug in the fake shows as Jenkins's "Oops!" page, never a hang
            return self._error_response(req, HttpError(500, f"{type(e).__name__}: {e}"))

    def _error_response(self, req: _Request, e: HttpError) -> _Response:
        headers = list(e.headers)
        if e.x_error:
            headers.append(("X-Error", e.message))
        title = {400: "Error", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(e.status, "Oops!")
        tag = "pre" if e.status == 500 else "p"
        body = _page(title, f"<h1>{title}</h1><{tag}>{html.escape(e.message)}</{tag}>")
        return _Response(e.status, body, "text/html;charset=utf-8", headers)

    def _authenticate(self, req: _Request) -> None:
        auth = req.headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
            except ValueError:
                decoded = ""
            if ":" not in decoded:
                raise HttpError(401, "Malformed HTTP basic Authorization header",
                                headers=[("WWW-Authenticate", 'Basic realm="Jenkins"')])
            user, secret = decoded.split(":", 1)
            if user in self._tokens and hmac.compare_digest(self._tokens[user].encode(), secret.encode()):
                req.user, req.token = user, True
            elif user in self._users and hmac.compare_digest(self._users[user].encode(), secret.encode()):
                req.user = user
            else:
                raise HttpError(401, f"Invalid password/token for user: {user}",
                                headers=[("WWW-Authenticate", 'Basic realm="Jenkins"')])
        req.session = self._session_of(req)
        if req.user is None and req.session is not None:
            req.user = self._sessions.get(req.session)

    def _session_of(self, req: _Request) -> str | None:
        for part in (req.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self._cookie and value in self._sessions:
                return value
        return None

    def _crumb(self, user: str | None, session: str) -> str:
        return hmac.new(self._crumb_salt, f"{user or 'anonymous'}:{session}".encode(), hashlib.sha256).hexdigest()

    def _form(self, req: _Request) -> dict[str, list[str]]:
        params = {k: list(v) for k, v in req.params.items()}
        if "application/x-www-form-urlencoded" in (req.headers.get("Content-Type") or ""):
            for k, v in parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        return params

    def _check_crumb(self, req: _Request) -> None:
        if req.method != "POST" or req.token or req.segments[:1] == ["project"]:
            return
        crumb = req.headers.get(_CRUMB_FIELD) or _first(self._form(req), _CRUMB_FIELD)
        if crumb is None or req.session is None or not hmac.compare_digest(crumb.encode(), self._crumb(req.user, req.session).encode()):
            raise HttpError(403, "No valid crumb was included in the request")

    def _check_permission(self, req: _Request, action: str, read: bool) -> None:
        if req.user is not None or (read and self._anonymous_read and action != "config.xml"):
            return
        permission = _PERMISSIONS.get(action, "hudson.model.Hudson.Read" if read else "hudson.model.Hudson.Administer")
        if action == "config.xml" and read:
            permission = "hudson.model.Item.ExtendedRead"
        raise HttpError(403, f"anonymous is missing the {permission} permission", headers=[
            ("X-You-Are-Authenticated-As", "anonymous"),
            ("X-You-Are-In-Group-Disabled", "JENKINS-39402: use -Dhudson.security.AccessDeniedException2."
                                            "REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose"),
            ("X-Required-Permission", permission),
            ("X-Permission-Implied-By", "hudson.model.Hudson.Administer")])

    # -- internals: routing ---------------------------------------------------------------------

    def _route(self, req: _Request) -> _Response:
        segs = req.segments
        if segs[:1] == ["whoAmI"]:
            return self._json(req, self._who_am_i(req))
        if segs[:1] == ["project"] and len(segs) > 1:
            return self._gitlab_hook(req, segs[1:])
        if segs[:1] in (["login"], ["loginError"]):
            return _Response(200, _page("Sign in", "<h1>Sign in to Jenkins</h1>"), "text/html;charset=utf-8")
        reading = req.method in ("GET", "HEAD")
        group = self.store.root
        i = 0
        while i + 1 < len(segs) and group.is_group and segs[i] in ("job", "view"):
            if segs[i] == "view":
                view = next((v for v in self.store.group_views(group) if v.values.get("name") == segs[i + 1]), None)
                if view is None:
                    raise HttpError(404, "Not Found")
                self._check_permission(req, (segs[i + 2:] or [""])[0], reading)
                return self._view_action(req, group, view, segs[i + 2:])
            assert group.children is not None
            child = group.children.get(ci_key(segs[i + 1]))
            if child is None:
                self._check_permission(req, "", reading)
                raise HttpError(404, "Not Found")
            group = child
            i += 2
        rest = segs[i:]
        self._check_permission(req, (rest or [""])[0], reading)
        if group.obj is None:
            return self._root_action(req, rest)
        return self._item_action(req, group, rest)

    def _require(self, req: _Request, method: str) -> None:
        if req.method != method and not (method == "GET" and req.method == "HEAD"):
            raise HttpError(405, f"This URL requires {method}")

    def _json(self, req: _Request, bean: Any, status: int = 200) -> _Response:
        tree = req.params.get("tree", [None])[0]
        try:
            depth = int(req.params.get("depth", ["0"])[0])
        except ValueError:
            depth = 0
        data = _render_tree(bean, _parse_tree(tree)) if tree else _render_depth(bean, 0, depth)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _Response(status, body, "application/json;charset=utf-8")

    def _root_action(self, req: _Request, rest: list[str]) -> _Response:
        head = rest[0] if rest else ""
        if rest in ([], ["api", "json"]):
            self._require(req, "GET")
            if not rest:
                return _Response(200, _page("Dashboard", "<h1>Welcome to Jenkins!</h1>"), "text/html;charset=utf-8")
            return self._json(req, self._root_bean())
        if head == "crumbIssuer" and rest[1:2] == ["api"]:
            self._require(req, "GET")
            return self._issue_crumb(req, rest[2:3] == ["xml"])
        if rest == ["me", "api", "json"]:
            return self._json(req, _bean("hudson.model.User", absoluteUrl=f"{self.url}user/{req.user}",
                                         description=None, fullName=req.user, id=req.user, property=[]))
        if head == "queue":
            return self._queue_action(req, rest[1:])
        if rest == ["pluginManager", "api", "json"]:
            return self._json(req, _bean("hudson.LocalPluginManager", plugins=[
                _bean("hudson.PluginWrapper", active=True, enabled=True, hasUpdate=False, pinned=False,
                      bundled=False, deleted=False, downgradable=False, longName=name, shortName=name,
                      url=f"https://plugins.jenkins.io/{name}", version=version, dependencies=[])
                for name, version in sorted(self.store.plugins.items())]))
        return self._group_action(req, self.store.root, rest)

    def _issue_crumb(self, req: _Request, as_xml: bool) -> _Response:
        headers = []
        session = req.session
        if session is None:
            session = secrets.token_urlsafe(18)
            self._sessions[session] = req.user
            headers.append(("Set-Cookie", f"{self._cookie}={session}; Path=/; HttpOnly"))
        crumb = self._crumb(req.user, session)
        if as_xml:
            if "xpath" in req.params:
                return _Response(200, f"{_CRUMB_FIELD}:{crumb}".encode(), "text/plain;charset=utf-8", headers)
            body = (f'<defaultCrumbIssuer _class="hudson.security.csrf.DefaultCrumbIssuer"><crumb>{crumb}</crumb>'
                    f"<crumbRequestField>{_CRUMB_FIELD}</crumbRequestField></defaultCrumbIssuer>")
            return _Response(200, body.encode(), "application/xml;charset=utf-8", headers)
        response = self._json(req, _bean("hudson.security.csrf.DefaultCrumbIssuer", crumb=crumb,
                                         crumbRequestField=_CRUMB_FIELD))
        response.headers.extend(headers)
        return response

    def _who_am_i(self, req: _Request) -> _Bean:
        anonymous = req.user is None
        return _bean("hudson.security.WhoAmI", anonymous=anonymous, authenticated=not anonymous,
                     authorities=["anonymous"] if anonymous else ["authenticated"], details=None,
                     name=req.user or "anonymous",
                     toString=f"{'Anonymous' if anonymous else 'UsernamePassword'}AuthenticationToken "
                              f"[Principal={req.user or 'anonymous'}, Authenticated=true]")

    def _group_action(self, req: _Request, group: Item, rest: list[str]) -> _Response:
        """Actions of the root and of folders (``createItem``, ``createView``)."""
        if rest == ["createItem"]:
            self._require(req, "POST")
            return self._create_item(req, group)
        if rest == ["createView"]:
            self._require(req, "POST")
            return self._create_view(req, group)
        raise HttpError(404, "Not Found")

    def _item_action(self, req: _Request, item: Item, rest: list[str]) -> _Response:
        assert item.obj is not None
        head = rest[0] if rest else ""
        if not rest:
            if req.method == "DELETE":
                self.store.delete(item)
                return _Response(204)
            self._require(req, "GET")
            return _Response(200, _page(item.full_name(), f"<h1>{html.escape(item.name)}</h1>"),
                             "text/html;charset=utf-8")
        if rest == ["api", "json"]:
            self._require(req, "GET")
            return self._json(req, self._item_bean(item))
        if rest == ["config.xml"]:
            if req.method in ("GET", "HEAD"):
                return _Response(200, self.store.serialise(item).encode("utf-8"), "application/xml")
            self._require(req, "POST")
            return self._update_item(req, item)
        if rest == ["configure"]:
            self._require(req, "GET")
            return _Response(200, _page(item.full_name(), "<form name=\"config\"></form>"), "text/html;charset=utf-8")
        if head in ("doDelete", "delete") and len(rest) == 1:
            self._require(req, "POST")
            parent = item.parent
            self.store.delete(item)
            assert parent is not None
            return _Response(302, headers=[("Location", self._group_url(parent))])
        if head in ("doRename", "confirmRename") and len(rest) == 1:
            self._require(req, "POST")
            return self._rename(req, item)
        if item.is_group:
            return self._group_action(req, item, rest)
        if head in ("build", "buildWithParameters") and len(rest) == 1:
            self._require(req, "POST")
            if head == "build" and "<hudson.model.ParametersDefinitionProperty>" in self.store.serialise(item):
                # Derived from code: ParameterizedJobMixIn.doBuild hands a parameterized job to
                # ParametersDefinitionProperty._doBuild, whose getSubmittedForm() refuses a POST
                # without a form; API clients use buildWithParameters (missing values: defaults).
                raise HttpError(500, "javax.servlet.ServletException: This page expects a form submission")
            return self._build(req, item)
        if head in ("enable", "disable") and len(rest) == 1:
            self._require(req, "POST")
            item.obj.values["disabled"] = head == "disable"
            item.versions = self.store.plugins
            return _Response(302, headers=[("Location", self._item_url(item))])
        raise HttpError(404, "Not Found")

    # -- internals: items -----------------------------------------------------------------------

    def _create_item(self, req: _Request, group: Item) -> _Response:
        content_type = req.headers.get("Content-Type")
        params = self._form(req)
        mode = _first(params, "mode")
        if content_type is None and mode != "copy":
            raise failure("No Content-Type header set")
        is_xml = content_type is not None and content_type.startswith(("application/xml", "text/xml"))
        name = _first(params, "name")
        if name is None:
            raise failure("Query parameter 'name' is required")
        self.store.check_name(name)
        # ItemGroupMixIn.createTopLevelItem trims the name before creating (jenkinsci/jenkins
        # core/src/main/java/hudson/model/ItemGroupMixIn.java): "x " becomes "x".
        name = name.strip()
        assert group.children is not None
        if ci_key(name) in group.children:
            raise failure(f"A job already exists with the name ‘{name}’")
        if mode == "copy":
            source_name = _first(params, "from") or ""
            source = self.store.resolve(source_name, group)
            if source is None or source.obj is None:
                raise failure(f"No such job: {source_name}" if source_name else "Specify which job to copy")
            obj = self.store.load_document(self.store.serialise(source), ITEM_CLASSES)
            self.store.add(group, name, obj, None)
            return _Response(302, headers=[("Location", f"{self._group_url(group)}job/{quote(name)}/configure")])
        if is_xml:
            obj = self.store.load_document(self._body_bytes(req), ITEM_CLASSES)
            self.store.add(group, name, obj, None)
            return _Response(200)
        if mode is None:
            raise failure("No mode given")
        defaults = {FREESTYLE: "<project><canRoam>true</canRoam></project>",
                    PIPELINE: "<flow-definition><triggers/></flow-definition>", FOLDER: f"<{FOLDER}/>"}
        if mode not in defaults:
            raise failure(f"No item type ‘{mode}’ is known")
        obj = self.store.load_document(defaults[mode], ITEM_CLASSES)
        self.store.add(group, name, obj, None)
        return _Response(302, headers=[("Location", f"{self._group_url(group)}job/{quote(name)}/configure")])

    @staticmethod
    def _body_bytes(req: _Request) -> bytes:
        """A create's body as Jenkins reads it: raw bytes, decoded by the XML parser as the
        document's declaration says (jenkinsci/jenkins core/src/main/java/hudson/model/ItemGroupMixIn.java
        createProjectFromXML(name, req.getInputStream()); View.java createViewFromXML likewise)."""
        return req.body

    @staticmethod
    def _body_reader(req: _Request) -> str:
        """An update's body as ``req.getReader()`` gives it: decoded by the Content-Type charset,
        ISO-8859-1 when there is none (the servlet default Jetty applies; Jenkins's
        CharacterEncodingFilter does not force UTF-8 for XML). ``POST config.xml`` of an item and
        of a view read it so (jenkinsci/jenkins core/src/main/java/hudson/model/AbstractItem.java
        doConfigDotXml: ``updateByXml(new StreamSource(req.getReader()))``; View.java the same), so
        UTF-8 bytes sent without a charset arrive as mojibake (``é`` becomes ``Ã©``)."""
        m = re.search(r"charset=\"?([\w.:-]+)", req.headers.get("Content-Type") or "", re.I)
        charset = m.group(1) if m else "iso-8859-1"
        try:
            return req.body.decode(charset)
        except LookupError:
            raise HttpError(500, f"java.io.UnsupportedEncodingException: {charset}") from None
        except UnicodeDecodeError:
            return req.body.decode(charset, "replace")

    def _update_item(self, req: _Request, item: Item) -> _Response:
        assert item.obj is not None
        root = parse_config(self._body_reader(req))
        cls = root_class(root.tag)
        if cls != item.obj.cls:
            raise HttpError(500, f"java.io.IOException: Expecting class {item.obj.cls} but got class {cls} instead")
        loaded = self.store.loader().obj(cls, root)
        if not isinstance(loaded, Obj):
            raise HttpError(500, f"java.io.IOException: Unable to read\nCaused by: com.thoughtworks.xstream."
                                 f"mapper.CannotResolveClassException: {root.tag}")
        item.obj = loaded
        item.versions = self.store.plugins
        return _Response(200)

    def _rename(self, req: _Request, item: Item) -> _Response:
        self.store.rename(item, _first(self._form(req), "newName"))
        return _Response(302, headers=[("Location", self._item_url(item))])

    # -- internals: views -----------------------------------------------------------------------

    def _create_view(self, req: _Request, group: Item) -> _Response:
        params = self._form(req)
        mode = _first(params, "mode")
        content_type = req.headers.get("Content-Type")
        if content_type is None and mode != "copy":
            raise failure("No Content-Type header set")
        name = _first(params, "name")
        self.store.check_name(name)
        assert name is not None
        views = self.store.group_views(group)
        if any(v.values.get("name") == name for v in views):
            raise failure(f'A view already exists with the name "{name}"')
        if not content_type or not content_type.startswith(("application/xml", "text/xml")) or mode:
            if mode in ("hudson.model.ListView", "hudson.model.MyView"):
                view = self.store.load_document(f"<{mode}/>", VIEW_CLASSES)
            else:
                raise failure("No view type is specified" if not mode else f"No view type ‘{mode}’ is known")
        else:
            view = self.store.load_document(self._body_bytes(req), VIEW_CLASSES)
        view.values["name"] = name
        views.append(view)
        return _Response(200)

    def _view_action(self, req: _Request, group: Item, view: Obj, rest: list[str]) -> _Response:
        if rest == ["api", "json"]:
            self._require(req, "GET")
            return self._json(req, self._view_bean(group, view))
        if not rest:
            self._require(req, "GET")
            return _Response(200, _page(view.values["name"], "<h1>View</h1>"), "text/html;charset=utf-8")
        if rest == ["config.xml"]:
            if req.method in ("GET", "HEAD"):
                return _Response(200, self.store.view_xml(view).encode("utf-8"), "application/xml")
            self._require(req, "POST")
            root = parse_config(self._body_reader(req))
            cls = decode_tag(root.tag)
            loaded = self.store.loader().obj(cls, root) if cls in VIEW_CLASSES else None
            if not isinstance(loaded, Obj) or loaded.cls != view.cls:
                raise HttpError(500, f"java.io.IOException: Expecting view type: class {view.cls} but got: class "
                                     f"{cls} instead.\nShould you needed to change to a new view type, you must "
                                     f"first delete and then re-create the view with the new view type.")
            loaded.values["name"] = view.values["name"]  # a view keeps its name
            view.values = loaded.values
            return _Response(200)
        if rest == ["doDelete"]:
            self._require(req, "POST")
            views = self.store.group_views(group)
            if view.cls == "hudson.model.AllView" or len(views) <= 1:
                raise failure("Cannot delete the primary view")
            views.remove(view)
            return _Response(302, headers=[("Location", self._group_url(group))])
        if rest in (["addJobToView"], ["removeJobFromView"]) and view.cls == "hudson.model.ListView":
            self._require(req, "POST")
            name = _first(self._form(req), "name") or ""
            target = self.store.resolve(name, group)
            if target is None:
                raise failure(f"Query parameter 'name' does not correspond to a known item: {name}")
            names = [n for n in view.values["jobNames"] if ci_key(n) != ci_key(name)]
            if rest == ["addJobToView"]:
                names.append(name)
            view.values["jobNames"] = sorted(names, key=ci_key)
            return _Response(200)
        raise HttpError(404, "Not Found")

    # -- internals: builds ----------------------------------------------------------------------

    def _build(self, req: _Request, item: Item, params: tuple[tuple[str, str], ...] | None = None,
               cause: str | None = None) -> _Response:
        assert item.obj is not None
        if item.obj.values.get("disabled"):
            raise HttpError(409, f"java.io.IOException: {item.full_name()} is not buildable")
        if params is None:
            params = tuple(sorted((k, v[0]) for k, v in self._form(req).items()
                                  if k not in ("token", "delay", "cause", _CRUMB_FIELD)))
        queued = self.store.enqueue(item, params, cause or f"Started by user {req.user or 'anonymous'}")
        return _Response(201, headers=[("Location", f"{self.url}queue/item/{queued.id}/")])

    def _queue_action(self, req: _Request, rest: list[str]) -> _Response:
        if rest == ["api", "json"]:
            return self._json(req, _bean("hudson.model.Queue", discoverableItems=[],
                                         items=[self._queue_bean(q) for q in self.store.build_queue]))
        if len(rest) == 4 and rest[0] == "item" and rest[2:] == ["api", "json"]:
            queued = next((q for q in self.store.build_queue if str(q.id) == rest[1]), None)
            if queued is None:
                raise HttpError(404, "Not Found")
            return self._json(req, self._queue_bean(queued))
        if rest == ["cancelItem"]:
            # jenkinsci/jenkins core/src/main/java/hudson/model/Queue.java doCancelItem: 204 when the
            # queued item was cancelled, 404 "Provided id (N) not found" when there is none (older
            # releases forwarded to the previous page either way).
            self._require(req, "POST")
            wanted = _first(self._form(req), "id")
            if not self.store.cancel(wanted):
                raise HttpError(404, f"Provided id ({wanted}) not found")
            return _Response(204)
        raise HttpError(404, "Not Found")

    def _gitlab_hook(self, req: _Request, path: list[str]) -> _Response:
        """The GitLab plugin's ``/project/<full job name>`` webhook (push events only queue builds)."""
        item = self.store.find("/".join(path))
        if item is None or item.obj is None or item.is_group:
            raise HttpError(404, "Not Found")
        if req.method != "POST" or req.headers.get("X-Gitlab-Event") is None:
            return _Response(200)
        trigger = self._gitlab_trigger(item)
        if trigger is None:
            return _Response(200)
        # BuildWebHookAction.TriggerNotifier.run (jenkinsci/gitlab-plugin src/main/java/com/
        # dabsquared/gitlabjenkins/webhook/build/BuildWebHookAction.java): with a secretToken the
        # X-Gitlab-Token must match (else 401); without one the caller needs Job/Build, checked
        # because GitLabConnectionConfig.useAuthenticatedEndpoint is on by default (else 403).
        secret = trigger.values.get("secretToken")
        if secret is not None and secret.plain:
            given = req.headers.get("X-Gitlab-Token")
            if given is None or not hmac.compare_digest(given.encode(), secret.plain.encode()):
                raise HttpError(401, "Invalid token")
        elif req.user is None:
            raise HttpError(403, "anonymous is missing the Job/Build permission")
        if req.headers.get("X-Gitlab-Event") in ("Push Hook", "Tag Push Hook") and trigger.values.get("triggerOnPush"):
            try:
                payload = json.loads(req.body.decode("utf-8") or "{}")
            except ValueError:
                raise HttpError(500, "Failed to parse the push hook") from None
            ref = str(payload.get("ref") or "")
            branch = ref.split("/", 2)[2] if ref.startswith("refs/heads/") else ref
            if self._branch_allowed(trigger, branch) and not item.obj.values.get("disabled"):
                self._build(req, item, (("ref", ref), ("after", str(payload.get("after") or ""))),
                            f"Started by GitLab push by {payload.get('user_name') or 'GitLab'}")
        return _Response(200)

    def _gitlab_trigger(self, item: Item) -> Obj | None:
        assert item.obj is not None
        v = item.obj.values
        candidates: list[Any] = list(v.get("triggers") or [])
        for prop in v.get("properties") or []:
            if isinstance(prop, Obj) and prop.cls == PIPELINE_TRIGGERS_PROPERTY:
                candidates += prop.values.get("triggers") or []
        return next((c for c in candidates if isinstance(c, Obj) and c.cls == GITLAB_TRIGGER), None)

    @staticmethod
    def _branch_allowed(trigger: Obj, branch: str) -> bool:
        v = trigger.values
        kind = v.get("branchFilterType")
        if kind == "NameBasedFilter":
            include = [b.strip() for b in (v.get("includeBranchesSpec") or "").split(",") if b.strip()]
            exclude = [b.strip() for b in (v.get("excludeBranchesSpec") or "").split(",") if b.strip()]
            return (not include or branch in include) and branch not in exclude
        if kind == "RegexBasedFilter":
            regex = v.get("targetBranchRegex") or ""
            return not regex or re.fullmatch(regex, branch) is not None
        return True

    # -- internals: remote API beans ------------------------------------------------------------

    def _group_url(self, group: Item) -> str:
        return self.url if group.obj is None else self._item_url(group)

    def _item_url(self, item: Item) -> str:
        return self.url + "".join(f"job/{quote(p, safe='')}/" for p in item.full_name().split("/"))

    def _color(self, item: Item) -> str:
        assert item.obj is not None
        return "disabled" if item.obj.values.get("disabled") else "notbuilt"

    def _item_summary(self, item: Item) -> _Bean:
        """An item as it appears in a ``jobs`` list, with everything ``tree=`` may ask for."""
        assert item.obj is not None
        cls = item.obj.cls
        if item.is_group:
            return _bean(cls, ("name", "url"), name=item.name, url=self._item_url(item),
                         description=item.obj.values.get("description"), fullName=item.full_name(),
                         displayName=item.obj.values.get("displayName") or item.name,
                         jobs=lambda: [self._item_summary(c) for c in item.sorted_children()])
        return _bean(cls, ("name", "url", "color"), name=item.name, url=self._item_url(item),
                     color=self._color(item), description=item.obj.values.get("description"),
                     fullName=item.full_name(), displayName=item.obj.values.get("displayName") or item.name,
                     lastBuild=lambda: self._run_bean(item, item.builds[-1] if item.builds else None),
                     lastSuccessfulBuild=lambda: self._run_bean(item, item.last_successful_build()))

    def _run_bean(self, item: Item, build: Build | None) -> _Bean | None:
        """A run as the JSON API shows it (Run.java's exported number, result, building, timestamp)."""
        if build is None:
            return None
        assert item.obj is not None
        cls = "hudson.model.FreeStyleBuild" if item.obj.cls == FREESTYLE else "org.jenkinsci.plugins.workflow.job.WorkflowRun"
        return _bean(cls, ("number", "url"), building=build.building, number=build.number, result=build.result,
                     timestamp=build.timestamp, url=f"{self._item_url(item)}{build.number}/")

    def _item_bean(self, item: Item) -> _Bean:
        assert item.obj is not None
        v = item.obj.values
        common: dict[str, Any] = dict(
            actions=[], description=v.get("description"), displayName=v.get("displayName") or item.name,
            displayNameOrNull=v.get("displayName"), fullDisplayName=" » ".join(
                p for p in item.full_name().split("/")), fullName=item.full_name(), name=item.name,
            url=self._item_url(item))
        if item.is_group:
            views = self.store.group_views(item)
            return _bean(FOLDER, ("name", "url"), **common, healthReport=[],
                         jobs=lambda: [self._item_summary(c) for c in item.sorted_children()],
                         primaryView=self._view_summary(item, views[0]) if views else None,
                         views=[self._view_summary(item, view) for view in views])
        queued = next((q for q in self.store.build_queue if q.job is item), None)
        bean = _bean(item.obj.cls, ("name", "url", "color"), **common, buildable=not v.get("disabled"), builds=[],
                     color=self._color(item), firstBuild=None, healthReport=[], inQueue=queued is not None,
                     keepDependencies=v.get("keepDependencies", False),
                     lastBuild=lambda: self._run_bean(item, item.builds[-1] if item.builds else None), lastCompletedBuild=None,
                     lastFailedBuild=None, lastStableBuild=None,
                     lastSuccessfulBuild=lambda: self._run_bean(item, item.last_successful_build()),
                     lastUnstableBuild=None, lastUnsuccessfulBuild=None,
                     nextBuildNumber=(item.builds[-1].number + 1) if item.builds else 1,
                     property=[_bean(getattr(p, "cls", None) or decode_tag(p.elem.tag))
                               for p in v.get("properties") or []],
                     queueItem=self._queue_bean(queued) if queued else None)
        if item.obj.cls == FREESTYLE:
            scm = v.get("scm")
            graph: list[list[tuple[Item, Item]]] = []

            def edges() -> list[tuple[Item, Item]]:  # computed only when a client asks for it
                if not graph:
                    graph.append(self.store.edges())
                return graph[0]

            bean.update(concurrentBuild=v.get("concurrentBuild", False), disabled=v.get("disabled", False),
                        downstreamProjects=lambda: [self._item_summary(d) for u, d in edges() if u is item],
                        labelExpression=None if v.get("canRoam") else v.get("assignedNode"),
                        scm=_bean(getattr(scm, "cls", "hudson.scm.NullSCM")),
                        upstreamProjects=lambda: [self._item_summary(u) for u, d in edges() if d is item])
        else:
            concurrent = not any(getattr(p, "cls", None) == DISABLE_CONCURRENT_PROPERTY
                                 for p in v.get("properties") or [])
            bean.update(concurrentBuild=concurrent, disabled=v.get("disabled", False), resumeBlocked=False)
        return bean

    def _view_url(self, group: Item, view: Obj) -> str:
        views = self.store.group_views(group)
        if views and views[0] is view:
            return self._group_url(group)
        return f"{self._group_url(group)}view/{quote(view.values['name'], safe='')}/"

    def _view_summary(self, group: Item, view: Obj) -> _Bean:
        return _bean(view.cls, ("name", "url"), name=view.values["name"], url=self._view_url(group, view))

    def _view_bean(self, group: Item, view: Obj) -> _Bean:
        return _bean(view.cls, ("name", "url"), description=view.values.get("description"),
                     jobs=lambda: [self._item_summary(i) for i in self.store.view_items(group, view)],
                     name=view.values["name"], property=[], url=self._view_url(group, view))

    def _root_bean(self) -> _Bean:
        views = self.store.root_views
        return _bean("hudson.model.Hudson", assignedLabels=[{"name": "built-in"}], mode="NORMAL",
                     nodeDescription="the Jenkins controller's built-in node", nodeName="", numExecutors=2,
                     description=None, jobs=lambda: [self._item_summary(c) for c in self.store.root.sorted_children()],
                     overallLoad={}, primaryView=self._view_summary(self.store.root, views[0]), quietDownReason=None,
                     quietingDown=False, slaveAgentPort=-1,
                     unlabeledLoad={"_class": "jenkins.model.UnlabeledLoadStatistics"}, url=self.url,
                     useCrumbs=True, useSecurity=True, views=[self._view_summary(self.store.root, v) for v in views])

    def _queue_bean(self, queued: QueueItem) -> _Bean:
        since = int(queued.since * 1000)
        params = "".join(f"\n{k}={v}" for k, v in queued.params)
        return _bean("hudson.model.Queue$WaitingItem", ("id", "url"), actions=[
            {"_class": "hudson.model.CauseAction",
             "causes": [{"_class": "hudson.model.Cause$UserIdCause", "shortDescription": queued.cause}]}],
            blocked=False, buildable=False, id=queued.id, inQueueSince=since, params=params, stuck=False,
            task=self._item_summary(queued.job), url=f"queue/item/{queued.id}/",
            why="In the quiet period. Expires in 5 sec", timestamp=since + 5000)


if __name__ == "__main__":  # python -m jenkins_docker.testing.fake_jenkins --port 8080: see testing/serve.py
    from jenkins_docker.testing.serve import main

    raise SystemExit(main())
