"""Keeping secrets out of what jenkins-docker prints: URLs, server answers and error texts.

Everything printed that may hold a URL or a server's words goes through here:

- :func:`redact_url` drops the ``user:password@`` of a URL (and the values of secret-looking
  query parameters);
- :class:`Redactor` replaces, in any text, the secrets in use (the token itself, the base64 of
  ``user:token`` that Basic auth sends, its percent-encoded form) and anything shaped like a
  credential (``Authorization:``/``PRIVATE-TOKEN:`` headers, URL userinfo, ``glpat-`` tokens)
  with ``***``;
- :func:`answer_message` turns a server's answer into one bounded line: the status and the
  server's own short reason (Jenkins's ``X-Error`` header, GitLab's ``message``), never a body
  as it comes (a proxy or debug page may echo the request's headers);
- :func:`refuse_userinfo` refuses a server URL that carries credentials, saying where they go.

Other clients (a registry client, a GitLab client) reuse these, with :mod:`jenkins_docker.safe_http`
for the transport rules.
"""
from __future__ import annotations

import base64
import json
import logging
import re
from http import HTTPStatus
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from jenkins_docker.errors import UsageError

MASK = "***"
#: The longest server-supplied detail printed, in characters.
MAX_DETAIL = 160

# The patterns are compiled on first use (re's own cache keeps them), not at import: most runs
# redact nothing, and compiling them all was a measurable part of a sync's start-up.

# `scheme://user:password@` or `scheme://token@`: the userinfo of a URL anywhere in a text.
_USERINFO = r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]+)@"
# Header-like `Name: value` (or `'Name': 'value'` as a dict repr shows it) of credential headers.
_HEADER = (
    r"(?i)(?P<name>\b(?:proxy-)?authorization|\bprivate-token|\bjob-token|\bdeploy-token|\bx-gitlab-token|"
    r"\bx-auth-token|\bx-api-key|\bset-cookie|\bcookie|\bjenkins-crumb)(?P<sep>['\"]?\s*[:=]\s*['\"]?)"
    r"(?:(?P<scheme>basic|bearer|token|digest|negotiate)\s+)?(?P<value>[^\s'\",;&]+)")
# `Basic dXNlcjp0b2tlbg==` / `Bearer abc` written without a header name in front.
_AUTH_SCHEME = r"(?i)\b(?P<scheme>basic|bearer)\s+(?P<value>[A-Za-z0-9+/=._~-]{8,})"
# Secret-looking query parameters (`?private_token=...`, `&access_token=...`).
_QUERY = (r"(?i)(?P<name>[?&;](?:private_token|access_token|job_token|token|password|passwd|secret|api_key|apikey)=)"
          r"(?P<value>[^&#\s'\"]+)")
# Token shapes: GitLab personal/project/group tokens, Jenkins API tokens ("11" + 32 hex digits).
_TOKEN_SHAPES = r"\bgl(?:pat|dt|ptt|rt|cbt|oas|ft|imt|agent|soat)-[A-Za-z0-9_-]{8,}|\b11[0-9a-f]{32}\b"
# The first Java exception line of a Jenkins error page: `javax.servlet.ServletException: message`.
_JAVA_EXCEPTION = r"\b(?:[a-z][a-z0-9_]*\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error): [^\r\n<]*"
# ANSI escapes and other control characters a hostile server could use to rewrite a terminal.
_CONTROL = r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x1f\x7f-\x9f]"


class Redactor:
    """Replaces credentials in a text with ``***``: the ones given, and anything shaped like one.

    ``secrets`` are the values in use (API tokens, passwords, hook tokens); with ``user``, the
    base64 of ``user:secret`` (what Basic auth sends) is hidden too, as CI masking would miss it.
    """

    def __init__(self, secrets: Iterable[str | None] = (), *, user: str | None = None) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if not secret or len(secret) < 4:  # too short to search for without hiding ordinary words
                continue
            forms |= {secret, quote(secret, safe=""), _b64(secret)}
            if user:
                forms.add(_b64(f"{user}:{secret}"))
                forms.add(_b64(f"{user}:{secret}").rstrip("="))
        self._forms = sorted(forms, key=len, reverse=True)

    def add(self, secret: str | None, *, user: str | None = None) -> None:
        """Hide ``secret`` (and, with ``user``, Basic auth's base64 of it) from now on."""
        self._forms = sorted(set(self._forms) | set(Redactor([secret], user=user)._forms), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """``text`` with every credential replaced by ``***``."""
        for form in self._forms:
            text = text.replace(form, MASK)
        text = re.sub(_USERINFO, lambda m: f"{m.group('scheme')}{MASK}@", text)
        text = re.sub(_HEADER, _mask_header, text)
        text = re.sub(_AUTH_SCHEME, lambda m: f"{m.group('scheme')} {MASK}", text)
        text = re.sub(_QUERY, lambda m: m.group("name") + MASK, text)
        return re.sub(_TOKEN_SHAPES, MASK, text)

    def line(self, text: str, limit: int = MAX_DETAIL) -> str:
        """``text`` redacted, on one line, without control characters, at most ``limit`` characters."""
        return one_line(self(one_line(text, limit=None)), limit=limit)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _mask_header(match: re.Match[str]) -> str:
    scheme = f"{match.group('scheme')} " if match.group("scheme") else ""
    return f"{match.group('name')}{match.group('sep')}{scheme}{MASK}"


#: Redacts only what is shaped like a credential; for texts where no secret is known.
SHAPES = Redactor()


def one_line(text: str, *, limit: int | None = MAX_DETAIL) -> str:
    """``text`` as one line: control characters and runs of whitespace become one space, cut at ``limit``."""
    flat = " ".join(re.sub(_CONTROL, " ", text).split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 3].rstrip() + "..."
    return flat


def redact_url(url: str) -> str:
    """``url`` without ``user:password@`` (shown as ``***@``) and without secret query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return SHAPES(url)
    if not parts.netloc and "@" in url:  # `user:token@host/` without a scheme
        return f"{MASK}@{url.rpartition('@')[2]}"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = re.sub(_QUERY, lambda m: m.group("name") + MASK, "?" + parts.query)[1:] if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def has_userinfo(url: str) -> bool:
    """Whether ``url`` carries ``user@`` or ``user:password@`` before its host."""
    try:
        return "@" in urlsplit(url.strip()).netloc
    except ValueError:
        return False


def refuse_userinfo(url: str, option: str, where: str) -> None:
    """A usage error when the server URL given as ``option`` holds credentials.

    ``where`` says where the credentials go instead (``JENKINS_USER and JENKINS_API_TOKEN``).
    The message shows the URL without them: it is printed, and CI logs keep it.
    """
    if has_userinfo(url):
        raise UsageError(f"{option} {redact_url(url)} has credentials in it; give the URL without them "
                         f"and put them in {where} (they would be printed and stored with the URL)")


def answer_message(status: int, headers: Mapping[str, str] | None = None, body: bytes | str | None = None,
                   redactor: Redactor = SHAPES) -> str:
    """One line saying how a server answered: ``404 Project Not Found``, ``400 Bad Request: A job ...``.

    The detail is the server's short reason meant for clients, never its body as it comes:
    Jenkins's ``X-Error`` header, else the ``message`` (or ``error``) of a JSON body (GitLab), or
    the messages of its ``errors`` (a registry),
    else the exception line of a Jenkins error page (``Expecting class ...``). It is cut to one
    line of at most :data:`MAX_DETAIL` characters and passed through ``redactor``. The status
    phrase is the standard one, not the server's (a server can put anything in its reason).
    """
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "HTTP error"
    detail = _detail(headers or {}, body)
    if detail:
        detail = redactor.line(detail)
    if detail and detail.split(" ", 1)[0] == str(status):  # GitLab writes "404 Project Not Found"
        return detail
    return f"{status} {phrase}" + (f": {detail}" if detail else "")


def _detail(headers: Mapping[str, str], body: bytes | str | None) -> str:
    for name, value in headers.items():
        if name.lower() == "x-error" and value.strip():
            return value
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for key in ("message", "error"):
            if key in document:
                return _flatten(document[key])
        if isinstance(document.get("errors"), list):  # the registry API: {"errors": [{"code", "message"}]}
            return "; ".join(str(e.get("message") or e.get("code") or "") for e in document["errors"] if isinstance(e, dict))
        return ""
    import html  # its table of entities is read only for an error page

    text = html.unescape(text)
    for marker in ("Expecting class", "Expecting view type", "Unable to read"):
        index = text.find(marker)
        if index >= 0:
            return re.split(r"[\r\n<]", text[index:index + 400])[0]
    found = re.search(_JAVA_EXCEPTION, text)
    return found.group() if found else ""


def _flatten(value: Any) -> str:
    """GitLab's ``message`` may be a string, a list, or ``{field: [problems]}``."""
    if isinstance(value, dict):
        return "; ".join(f"{key} {_flatten(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_flatten(item) for item in value)
    return str(value)


class LogRedactor(logging.Filter):
    """A logging filter that passes every record's text through a :class:`Redactor`.

    Installed on the command line's log handler, so ``-vv`` (ours, requests', urllib3's,
    python-jenkins's and python-gitlab's lines alike) never shows a credential; commands
    :meth:`Redactor.add` the secrets they read to :data:`IN_USE`.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        hidden = self.redactor(text)
        if hidden != text:
            record.msg, record.args = hidden, None
        return True


#: The secrets this process holds, hidden from its logs (see :class:`LogRedactor`).
IN_USE = Redactor()
