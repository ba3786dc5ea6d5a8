"""Hostile servers on loopback for the secrets tests: one that echoes what it is sent, one that
redirects elsewhere, and a recorder that keeps every request it gets.

Each listens on a loopback address only (127.0.0.1, or 127.0.0.2 to be "another host"), so no
byte leaves the machine.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import quote

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Seen:
    """One request a server got: method, path, headers and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A threaded HTTP server on a loopback address whose answers come from ``respond``."""

    respond: Callable[[Seen], Answer]
    host: str = "127.0.0.1"
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length) if length else b"")
                owner.seen.append(request)
                status, headers, body = owner.respond(request)
                # The reason phrase is the server's to choose: this one echoes the credentials.
                self.send_response(status, request.headers.get("Authorization") or request.headers.get("PRIVATE-TOKEN") or "Odd")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the server."""
        return f"http://{self.host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def headers_text(request: Seen) -> str:
    """The request's headers, one per line, as a debug page or proxy error would echo them."""
    return "".join(f"{name}: {value}\n" for name, value in request.headers.items())


JENKINS_ROOT = json.dumps({"_class": "hudson.model.Hudson", "jobs": [], "views": [{"name": "all"}]}).encode()


def jenkins_that_echoes(status: int = 500) -> Callable[[Seen], Answer]:
    """A Jenkins-looking server: its listing is empty, every other request gets ``status`` with the
    request's headers echoed in the body and in the X-Error header."""
    def respond(request: Seen) -> Answer:
        if request.method == "GET" and request.path.startswith("/api/json"):
            return 200, {"X-Jenkins": "2.440", "Content-Type": "application/json"}, JENKINS_ROOT
        if request.method == "GET" and request.path.startswith("/pluginManager/api/json"):
            # A user without Overall/SystemRead: the plugin check is skipped (jenkins_docker.sync.plugins), so the
            # echoed failure is the job write's, as before the plugin check existed.
            return 403, {"X-Jenkins": "2.440", "Content-Type": "text/plain"}, b"Forbidden"
        echo = headers_text(request)
        location = "http://127.0.0.1/queue/item/1/?seen=" + quote(request.headers.get("Authorization", ""))
        return status, {"X-Jenkins": "2.440", "X-Error": echo.replace("\n", " | "), "Content-Type": "text/plain",
                        "Location": location}, \
            ("Debug page\n" + echo + "java.io.IOException: " + echo).encode()
    return respond


def jenkins_that_redirects(location: str) -> Callable[[Seen], Answer]:
    """A Jenkins-looking server whose every request but the listing is sent on to ``location``."""
    def respond(request: Seen) -> Answer:
        if request.method == "GET" and request.path.startswith("/api/json"):
            return 200, {"X-Jenkins": "2.440", "Content-Type": "application/json"}, JENKINS_ROOT
        return 307, {"Location": location + request.path}, b""
    return respond


def gitlab_that_echoes(request: Seen) -> Answer:
    """A GitLab-looking server answering every request with 500 and the request's headers in ``message``."""
    body = {"message": "Internal error; the request was:\n" + headers_text(request)}
    return 500, {"Content-Type": "application/json"}, json.dumps(body).encode()


def gitlab_that_redirects(location: str) -> Callable[[Seen], Answer]:
    """A GitLab-looking server redirecting every request to ``location`` (same path)."""
    def respond(request: Seen) -> Answer:
        return 302, {"Location": location + request.path}, b""
    return respond


def records(request: Seen) -> Answer:
    """The recorder's answer: a Jenkins-and-GitLab-looking 200 to anything."""
    return 200, {"X-Jenkins": "2.440", "Content-Type": "application/json"}, b"{}"
