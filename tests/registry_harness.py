"""Real registries on loopback for the tests: Debian's ``docker-registry`` (the CNCF distribution
registry), anonymous, with htpasswd basic auth, or with bearer tokens from a small token server,
and a pusher that uploads small OCI images through the registry HTTP API (no Docker daemon).

Use it as pytest fixtures (``pytest_plugins = ["registry_harness"]`` or import the fixtures):
``registries`` starts one registry of each kind once per test session; each test works in its
own repository namespace (``namespace`` fixture), so tests never see each other's images.

Start-up is synchronised on the registry's own "listening on" log line, then one request: no
sleeps. Everything stops at the end of the session.
"""
from __future__ import annotations

import base64
import ctypes
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from helpers import free_port

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
USER, PASSWORD = "pusher", "pusher-secret"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the test process dies, so a
    killed test run leaves no registry behind on a shared machine (PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class TokenServer:
    """Issues registry tokens (RS256 JWTs the registry verifies against our certificate).

    Anonymous callers get ``pull``; callers with the pusher's basic login get ``pull,push``;
    a wrong login gets 401. ``seen`` records (path, Authorization header) of every request.
    """

    def __init__(self, directory: Path) -> None:
        self.key = directory / "token.key"
        self.cert = directory / "token.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key), "-out", str(self.cert),
                        "-days", "2", "-subj", "/CN=harness-token"], check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", str(self.cert), "-outform", "DER"], check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode("ascii")
        self.service, self.issuer = "harness-registry", "harness-issuer"
        self.seen: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.seen.append((self.path, self.headers.get("Authorization")))
                query = parse_qs(urlsplit(self.path).query)
                auth = self.headers.get("Authorization")
                subject, actions = "", ["pull"]
                if auth:
                    if auth != "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode():
                        self.send_response(401)
                        self.end_headers()
                        return
                    subject, actions = USER, ["pull", "push"]
                access = []
                for scope in query.get("scope", []):
                    kind, name, wanted = scope.split(":")[0], ":".join(scope.split(":")[1:-1]), scope.split(":")[-1].split(",")
                    access.append({"type": kind, "name": name, "actions": [a for a in wanted if a in actions]})
                body = json.dumps({"token": server.sign(subject, access), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def sign(self, subject: str, access: list[dict[str, Any]]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service, "exp": now + 600, "nbf": now - 60, "iat": now,
                  "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)], input=signing_input.encode(),
                                   check=True, capture_output=True).stdout
        return f"{signing_input}.{_b64url(signature)}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Registry:
    """One running registry: ``host`` is what references name (``127.0.0.1:PORT``)."""

    host: str
    auth: str                       # "none" | "basic" | "token"
    process: subprocess.Popen[bytes]
    token_server: TokenServer | None = None
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    # -- pushing, as a build would, through the HTTP API --------------------------------------
    def _headers(self, repository: str) -> dict[str, str]:
        if self.auth == "basic":
            return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
        if self.auth == "token":
            assert self.token_server is not None
            answer = requests.get(self.token_server.url, params={"service": self.token_server.service,
                                                                  "scope": f"repository:{repository}:pull,push"},
                                  auth=(USER, PASSWORD), timeout=10)
            answer.raise_for_status()
            return {"Authorization": "Bearer " + answer.json()["token"]}
        return {}

    def push_blob(self, repository: str, data: bytes, headers: dict[str, str]) -> dict[str, Any]:
        digest = sha256(data)
        started = requests.post(f"{self.url}/v2/{repository}/blobs/uploads/", headers=headers, timeout=10)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        location = location if location.startswith("http") else self.url + location
        done = requests.put(location + ("&" if "?" in location else "?") + f"digest={digest}", data=data,
                            headers={**headers, "Content-Type": "application/octet-stream"}, timeout=10)
        assert done.status_code == 201, done.text
        return {"digest": digest, "size": len(data)}

    def _put_manifest(self, repository: str, reference: str, manifest: dict[str, Any], media_type: str,
                      headers: dict[str, str]) -> str:
        body = json.dumps(manifest).encode()
        done = requests.put(f"{self.url}/v2/{repository}/manifests/{reference}", data=body,
                            headers={**headers, "Content-Type": media_type}, timeout=10)
        assert done.status_code == 201, done.text
        assert done.headers["Docker-Content-Digest"] == sha256(body)
        return sha256(body)

    def _image_manifest(self, repository: str, labels: dict[str, str], architecture: str, headers: dict[str, str]) -> dict[str, Any]:
        files = io.BytesIO()
        with tarfile.open(fileobj=files, mode="w") as tar:
            content = uuid.uuid4().hex.encode()   # every push is new content, as a rebuild is
            info = tarfile.TarInfo("etc/built")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        raw = files.getvalue()
        layer = gzip.compress(raw, mtime=0)
        config = {"architecture": architecture, "os": "linux", "config": {"Labels": labels},
                  "rootfs": {"type": "layers", "diff_ids": [sha256(raw)]}}
        config_ref = self.push_blob(repository, json.dumps(config).encode(), headers)
        layer_ref = self.push_blob(repository, layer, headers)
        return {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, **config_ref},
                "layers": [{"mediaType": OCI_LAYER, **layer_ref}]}

    def push_image(self, repository: str, tag: str = "latest", labels: dict[str, str] | None = None) -> str:
        """Push a one-layer OCI image tagged ``tag``; returns its manifest digest."""
        headers = self._headers(repository)
        manifest = self._image_manifest(repository, labels or {}, "amd64", headers)
        return self._put_manifest(repository, tag, manifest, OCI_MANIFEST, headers)

    def push_index(self, repository: str, tag: str = "latest", architectures: tuple[str, ...] = ("amd64", "arm64"),
                   labels: dict[str, str] | None = None) -> str:
        """Push a multi-platform image (an OCI index of one image per architecture); returns the index digest."""
        headers = self._headers(repository)
        entries = []
        for architecture in architectures:
            manifest = self._image_manifest(repository, labels or {}, architecture, headers)
            digest = self._put_manifest(repository, sha256(json.dumps(manifest).encode()), manifest, OCI_MANIFEST, headers)
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(json.dumps(manifest).encode()),
                            "platform": {"os": "linux", "architecture": architecture}})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return self._put_manifest(repository, tag, index, OCI_INDEX, headers)


def _config(directory: Path, port: int, auth: str, token: TokenServer | None) -> Path:
    lines = ["version: 0.1", "log:", "  level: info", "  accesslog:", "    disabled: true",
             "storage:", "  filesystem:", f"    rootdirectory: {directory / 'data'}", "  delete:", "    enabled: true",
             "http:", f"  addr: 127.0.0.1:{port}"]
    if auth == "basic":
        hashed = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], check=True, capture_output=True, text=True).stdout
        (directory / "htpasswd").write_text(hashed, encoding="utf-8")
        lines += ["auth:", "  htpasswd:", "    realm: harness", f"    path: {directory / 'htpasswd'}"]
    elif auth == "token":
        assert token is not None
        lines += ["auth:", "  token:", f"    realm: {token.url}", f"    service: {token.service}",
                  f"    issuer: {token.issuer}", f"    rootcertbundle: {token.cert}"]
    path = directory / "config.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_registry(directory: Path, auth: str = "none", token: TokenServer | None = None) -> Registry:
    """Start ``docker-registry`` on a free loopback port; returns when it answers."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = _config(directory, port, auth, token)
    process = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "OTEL_TRACES_EXPORTER": "none"}, preexec_fn=_die_with_parent)
    registry = Registry(f"127.0.0.1:{port}", auth, process, token)
    assert process.stderr is not None
    for raw in process.stderr:        # the registry says when it listens: wait for that line
        line = raw.decode("utf-8", "replace").rstrip()
        registry.log.append(line)
        if "listening on" in line:
            break
    else:
        raise RuntimeError(f"docker-registry did not start: {' | '.join(registry.log[-5:])}")
    threading.Thread(target=lambda: [registry.log.append(b.decode("utf-8", "replace")) for b in process.stderr or []],
                     daemon=True).start()
    answer = requests.get(f"{registry.url}/v2/", timeout=10)
    assert answer.status_code in (200, 401), answer.text
    return registry


@dataclass
class Registries:
    """One registry of each kind."""

    anonymous: Registry
    basic: Registry
    token: Registry


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    """Three real registries on loopback (anonymous, htpasswd basic auth, bearer tokens), for the session."""
    if not Path(REGISTRY_BINARY).exists():
        pytest.fail("docker-registry is not installed: apt-get install docker-registry apache2-utils (.ci/run does)")
    base = tmp_path_factory.mktemp("registries")
    token = TokenServer(base)
    started = []
    try:
        for auth in ("none", "basic", "token"):
            started.append(start_registry(base / auth, auth, token if auth == "token" else None))
        yield Registries(*started)
    finally:
        for registry in started:
            registry.process.terminate()
        for registry in started:
            registry.process.wait(timeout=30)
        token.close()


@pytest.fixture
def namespace() -> str:
    """A repository namespace of this test's own."""
    return "t" + uuid.uuid4().hex[:12]


def head_digest(registry: Registry, repository: str, tag: str = "latest") -> str:
    """The digest ``repository:tag`` points to now, read the way ``docker pull`` resolves it."""
    answer = requests.head(f"{registry.url}/v2/{repository}/manifests/{tag}", timeout=10,
                           headers={**registry._headers(repository), "Accept": f"{OCI_INDEX}, {OCI_MANIFEST}"})
    assert answer.status_code == 200, answer.status_code
    return str(answer.headers["Docker-Content-Digest"])
