"""Transport rules for every client that carries a credential: it talks to one server only.

- :func:`pin_to_origin` makes a ``requests.Session`` refuse to send anything to another host
  than the one configured, so a redirect (or a pagination link) to another host fails with a
  clear line instead of carrying the credentials along. requests strips ``Authorization`` on a
  redirect to another host, but not ``PRIVATE-TOKEN`` (python-gitlab) or any other header, and
  it would still send the request body (a job's config) there.
- :func:`plain_http_warning` says when a URL would carry a credential in clear text: ``http://``
  to anything but this machine (loopback).
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from jenkins_docker.redact import redact_url

_DEFAULT_PORTS = {"http": 80, "https": 443}


class RedirectRefused(requests.exceptions.RequestException):
    """A request to a host other than the configured one was stopped before it was sent."""


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the port defaulted from the scheme; host lower-cased."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def same_server(configured: str, url: str) -> bool:
    """Whether ``url`` is on the server of ``configured``: same host and port, or the same host
    reached over HTTPS on its default port when ``configured`` is plain HTTP on its default
    port (an upgrade never exposes more than the configured URL does)."""
    want, got = origin(configured), origin(url)
    if want == got:
        return True
    return (want[1] == got[1] and want[0] == "http" and want[2] == 80
            and got[0] == "https" and got[2] == 443)


def pin_to_origin(session: requests.Session, configured: str, *, what: str) -> None:
    """Make ``session`` refuse any request (a redirect target included) off ``configured``'s server.

    requests follows redirects by calling ``session.send`` again for each hop, so checking there
    stops the hop before anything is sent. ``what`` names the server in the error ("Jenkins").
    """
    send: Callable[..., requests.Response] = session.send

    def pinned_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if not same_server(configured, url):
            raise RedirectRefused(f"{what} at {redact_url(configured)} sent us to {redact_url(_server_of(url))}, another "
                                  f"server; stopped before sending anything there (credentials go only to {what}). "
                                  f"If {what} moved, use its new URL")
        return send(request, **kwargs)

    session.send = pinned_send  # type: ignore[method-assign]  # an instance attribute shadows the method


def _server_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine: ``localhost`` or a loopback address."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warning(url: str, what: str, secret: str) -> str | None:
    """A warning when ``url`` is plain ``http://`` to another machine, where ``secret`` would travel in clear.

    ``None`` for ``https://`` and for loopback (the traffic never leaves the machine).
    """
    if urlsplit(url).scheme.lower() != "http" or is_loopback(url):
        return None
    return (f"{what} URL {redact_url(url)} is plain http://: {secret} would cross the network unencrypted; "
            f"use https://")


def connection_reason(exc: Exception) -> str:
    """The operating system's reason under urllib3's wrapping ("Connection refused"), or a summary."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if found:
        return found.group(1).strip()
    for phrase in ("Name or service not known", "Connection refused", "Connection reset", "Remote end closed connection"):
        if phrase.lower() in text.lower():
            return phrase
    return "connection failed"
