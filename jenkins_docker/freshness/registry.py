"""A small, typed client of the registry HTTP API (OCI distribution spec), read-only.

It answers two questions, with as few requests as it can: what digest does a tag point to now
(``HEAD`` of the manifest: its ``Docker-Content-Digest``; HEAD requests do not count against
Docker Hub's pull limit), and what labels does an image carry (``GET`` of the manifest, then of
its config blob). An image index or manifest list is compared by its own digest, which is also
what ``docker pull`` records in ``RepoDigests``.

Authentication follows the registry's ``WWW-Authenticate`` challenge, as Docker does:

- ``Bearer realm=...,service=...``: a token for ``repository:NAME:pull`` from the realm, asked
  anonymously or with the registry's username and password (Docker Hub and most registries);
  the challenge is remembered per registry, so later repositories get a token without a 401 first;
- ``Basic``: the username and password.

Credentials come from :class:`RegistryCredentials`: per inventory registry, the variables
``REGISTRY_<NAME>_USER`` / ``REGISTRY_<NAME>_PASSWORD`` (``NAME`` is the inventory's registry
name, upper case, other characters as ``_``), else the ``auths`` of Docker's ``config.json``
(``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``). Credential helpers
(``credsStore``, ``credHelpers``) are not run yet.

Secrets: a token or password goes only to the registry it is for (and a password to its token
realm, over HTTPS or loopback only); a redirect to another host (blobs are often served from a
CDN) is followed without them; they never appear in a message or a log line. TLS is verified;
plain HTTP is used only for registries on loopback (as Docker allows) and for those named
insecure by the user.
"""
from __future__ import annotations

import base64
import http
import ipaddress
import json
import logging
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode, urljoin, urlsplit

import requests

from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.reference import DEFAULT_DOMAIN, ImageReference
from jenkins_docker.rendering.logins import env_name

log = logging.getLogger(__name__)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
#: Every manifest type, lists first: without them in Accept a registry may convert or refuse.
MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
_INDEX_TYPES = {OCI_INDEX, DOCKER_LIST}
# Docker Hub's API host, and the key its credentials have in config.json.
_HUB_API = "registry-1.docker.io"
_HUB_CONFIG_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
_MAX_REDIRECTS = 5
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"|(\w+)=([^\s,]+)')


class RegistryError(JenkinsDockerError):
    """A registry could not answer: unreachable, refused the credentials, or answered oddly."""

    def __init__(self, registry: str, message: str) -> None:
        super().__init__(message)
        self.registry = registry


@dataclass(frozen=True)
class Login:
    """A username and password for one registry; ``repr`` never shows the password."""

    user: str
    password: str = field(repr=False)

    def basic(self) -> str:
        """The ``Authorization`` header value of HTTP basic authentication."""
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")


class RegistryCredentials:
    """Where logins come from: the environment per inventory registry, then Docker's config.json."""

    def __init__(self, registries: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None,
                 docker_config: str | os.PathLike[str] | None = None) -> None:
        """``registries`` maps inventory registry names to hosts."""
        environ = os.environ if environ is None else environ
        self._logins: dict[str, Login] = {}
        for name, host in (registries or {}).items():
            user, password = environ.get(f"{env_name(name)}_USER"), environ.get(f"{env_name(name)}_PASSWORD")
            if user and password:
                self._logins.setdefault(host.lower(), Login(user, password))
        if docker_config is None:
            directory = environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
            docker_config = Path(directory) / "config.json"
        self._docker = _docker_config_logins(Path(docker_config))

    def for_host(self, host: str) -> Login | None:
        """The login for the registry ``host`` (as written in references: ``docker.io`` for Hub)."""
        host = host.lower()
        login = self._logins.get(host)
        if login is not None:
            return login
        keys = _HUB_CONFIG_KEYS if host == DEFAULT_DOMAIN else (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/")
        for key in keys:
            if key in self._docker:
                return self._docker[key]
        return None


def _docker_config_logins(path: Path) -> dict[str, Login]:
    """The ``auths`` of a Docker config.json (``auth`` is base64 ``user:password``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for key, entry in (data.get("auths") or {}).items():
        if not isinstance(entry, dict):
            continue
        user, password = entry.get("username"), entry.get("password")
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
        if user and password:
            out[key.rstrip("/") if not key.endswith("/v1/") else key] = Login(user, password)
    return out


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses, with or without a port."""
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry answered it."""

    digest: str
    media_type: str
    content: dict[str, Any]


@dataclass
class _Challenge:
    scheme: str                 # "bearer" | "basic"
    params: dict[str, str]


class RegistryClient:
    """Reads manifests, digests and labels from registries; safe to use from several threads.

    ``requests`` counts every HTTP request made, by kind (``head``, ``manifest``, ``blob``,
    ``token``), for the benchmarks and the tests.
    """

    def __init__(self, credentials: RegistryCredentials | None = None, *, insecure: Iterable[str] = (),
                 timeout: float = 30.0, verify: bool | str = True) -> None:
        self._credentials = credentials or RegistryCredentials()
        self._insecure = {host.lower() for host in insecure}
        self._timeout = timeout
        self._verify = verify
        self._local = threading.local()
        self._lock = threading.Lock()
        self._challenges: dict[str, _Challenge] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._sessions: list[requests.Session] = []
        self.requests: Counter[str] = Counter()

    # -- public questions ----------------------------------------------------------------------
    def digest(self, ref: ImageReference) -> str | None:
        """The digest ``ref``'s tag points to now (HEAD), or ``None`` when it does not exist."""
        if ref.digest is not None:
            return ref.digest
        response = self._get(ref, "HEAD", self._manifest_path(ref), "head", accept=MANIFEST_TYPES)
        if response is None:
            return None
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        # A registry that leaves the header out of HEAD answers: ask the manifest itself.
        manifest = self.manifest(ref)
        return manifest.digest if manifest else None

    def manifest(self, ref: ImageReference) -> Manifest | None:
        """The manifest of ``ref`` (GET), or ``None`` when the tag does not exist."""
        response = self._get(ref, "GET", self._manifest_path(ref), "manifest", accept=MANIFEST_TYPES)
        if response is None:
            return None
        try:
            content = response.json()
        except ValueError:
            raise RegistryError(ref.domain, f"registry {ref.domain} answered the manifest of {ref} with something that is not JSON") from None
        digest = response.headers.get("Docker-Content-Digest") or ref.digest or _sha256(response.content)
        media_type = content.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        return Manifest(digest, media_type, content)

    def labels(self, ref: ImageReference) -> tuple[str, dict[str, str]] | None:
        """The digest of ``ref`` and the labels of its image config, or ``None`` when it does not exist.

        For an index, the labels are those of its ``linux/amd64`` image (else its first image):
        one more request.
        """
        manifest = self.manifest(ref)
        if manifest is None:
            return None
        image = manifest
        if manifest.media_type in _INDEX_TYPES:
            child = _pick_platform(manifest.content.get("manifests") or [])
            if child is None:
                return manifest.digest, {}
            image = self.manifest(ImageReference(ref.domain, ref.path, None, child, True)) or manifest
        config = (image.content.get("config") or {}).get("digest")
        if not config:
            return manifest.digest, {}
        response = self._get(ref, "GET", f"/v2/{ref.path}/blobs/{config}", "blob")
        if response is None:
            raise RegistryError(ref.domain, f"registry {ref.domain} lost the config blob {config} of {ref}")
        try:
            labels = (response.json().get("config") or {}).get("Labels") or {}
        except (ValueError, AttributeError):
            raise RegistryError(ref.domain, f"the config blob of {ref} is not an image config") from None
        return manifest.digest, {str(k): str(v) for k, v in labels.items()}

    def close(self) -> None:
        """Release every connection."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    # -- plumbing ------------------------------------------------------------------------------
    @staticmethod
    def _manifest_path(ref: ImageReference) -> str:
        return f"/v2/{ref.path}/manifests/{ref.digest or ref.tag or 'latest'}"

    def _base(self, host: str) -> str:
        api = _HUB_API if host == DEFAULT_DOMAIN else host
        plain = is_loopback(host) or host.lower() in self._insecure
        return ("http://" if plain else "https://") + api

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.verify = self._verify
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _count(self, kind: str) -> None:
        with self._lock:
            self.requests[kind] += 1

    def _get(self, ref: ImageReference, method: str, path: str, kind: str,
             accept: Iterable[str] = ()) -> requests.Response | None:
        """One API request with authentication; ``None`` on 404, RegistryError on any other failure."""
        host = ref.domain
        scope = f"repository:{ref.path}:pull"
        headers = {"Accept": ", ".join(accept)} if accept else {}
        for attempt in (1, 2):
            auth = self._authorization(host, scope)
            response = self._send(method, self._base(host) + path, headers, auth, kind, host)
            if response.status_code != 401:
                break
            if attempt == 2 or not self._answer_challenge(host, scope, response):
                raise self._refused(host, ref)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            # The standard phrase, not the server's own reason text (a hostile server chooses that).
            raise RegistryError(host, f"registry {host} answered {response.status_code} {_phrase(response.status_code)} for {ref}")
        return response

    def _send(self, method: str, url: str, headers: dict[str, str], auth: str | None, kind: str, host: str) -> requests.Response:
        """A request; redirects are followed by hand so that credentials stay with their host."""
        origin = _origin(url)
        for _ in range(_MAX_REDIRECTS + 1):
            sent = dict(headers)
            if auth is not None and _origin(url) == origin:
                sent["Authorization"] = auth
            self._count(kind)
            try:
                response = self._session().request(method, url, headers=sent, timeout=self._timeout, allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise RegistryError(host, f"TLS with registry {host} failed: {_first_line(exc)}") from None
            except requests.RequestException as exc:
                from jenkins_docker.safe_http import connection_reason

                raise RegistryError(host, f"cannot reach registry {host} ({connection_reason(exc)})") from None
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return response
            url = urljoin(url, location)
        raise RegistryError(host, f"registry {host} redirected more than {_MAX_REDIRECTS} times")

    def _authorization(self, host: str, scope: str) -> str | None:
        """The Authorization header for a request, from what the registry asked before."""
        with self._lock:
            challenge = self._challenges.get(host)
            token = self._tokens.get((host, scope))
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            login = self._credentials.for_host(host)
            return login.basic() if login else None
        if token is None:
            token = self._fetch_token(host, scope, challenge)
        return f"Bearer {token}"

    def _answer_challenge(self, host: str, scope: str, response: requests.Response) -> bool:
        """Remember a 401's challenge; True when the request is worth sending again (once)."""
        challenge = _parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is None:
            return False
        with self._lock:
            self._challenges[host] = challenge
            self._tokens.pop((host, scope), None)   # a token can expire during a run
        return challenge.scheme == "bearer" or self._credentials.for_host(host) is not None

    def _fetch_token(self, host: str, scope: str, challenge: _Challenge) -> str:
        realm = challenge.params.get("realm", "")
        parts = urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistryError(host, f"registry {host} asked for a token from an invalid realm")
        query = {"scope": scope}
        if "service" in challenge.params:
            query["service"] = challenge.params["service"]
        headers = {}
        login = self._credentials.for_host(host)
        # A password crosses the network to the realm only encrypted, or on this machine.
        if login is not None and (parts.scheme == "https" or is_loopback(parts.netloc)):
            headers["Authorization"] = login.basic()
        url = realm + ("&" if parts.query else "?") + urlencode(query)
        self._count("token")
        try:
            response = self._session().get(url, headers=headers, timeout=self._timeout, allow_redirects=False)
        except requests.RequestException as exc:
            from jenkins_docker.safe_http import connection_reason

            raise RegistryError(host, f"cannot reach the token service of registry {host} at {parts.netloc} ({connection_reason(exc)})") from None
        if response.status_code in (401, 403):
            raise RegistryError(host, f"the token service of registry {host} refused "
                                + ("the credentials" if login else "an anonymous token") + f" ({response.status_code}){_credentials_hint(host)}")
        if response.status_code != 200:
            raise RegistryError(host, f"the token service of registry {host} answered {response.status_code}")
        try:
            body = response.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(host, f"the token service of registry {host} gave no token")
        with self._lock:
            self._tokens[(host, scope)] = token
        return token

    def _refused(self, host: str, ref: ImageReference) -> RegistryError:
        login = self._credentials.for_host(host)
        if login is None:
            return RegistryError(host, f"registry {host} asks for credentials (401) to read {ref.name}{_credentials_hint(host)}")
        return RegistryError(host, f"registry {host} refused the credentials of user {login.user!r} (401) for {ref.name}")


def _credentials_hint(host: str) -> str:
    return (f": set REGISTRY_<NAME>_USER and REGISTRY_<NAME>_PASSWORD for the inventory's registry on {host}, "
            f"or run docker login {host}")


def _parse_challenge(header: str) -> _Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme not in ("bearer", "basic"):
        return None
    params = {}
    for match in _CHALLENGE_PARAM.finditer(rest):
        key = (match.group(1) or match.group(3)).lower()
        params[key] = match.group(2) if match.group(1) else match.group(4)
    return _Challenge(scheme, params)


def _pick_platform(manifests: list[dict[str, Any]]) -> str | None:
    """The digest of an index's linux/amd64 image, else of its first image (attestations skipped)."""
    images = [m for m in manifests if isinstance(m, dict) and m.get("digest")
              and (m.get("platform") or {}).get("os") != "unknown"]
    for entry in images:
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == "amd64":
            return str(entry["digest"])
    return str(images[0]["digest"]) if images else None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _sha256(content: bytes) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(content).hexdigest()


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "(non-standard status)"


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__
