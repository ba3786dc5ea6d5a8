"""The registry client's rules on where credentials go, against small servers on loopback that
redirect as registries do when blobs live on a CDN (a real registry covers the rest: test_outdated)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from jenkins_docker.freshness.registry import RegistryClient, RegistryCredentials, RegistryError, is_loopback
from jenkins_docker.loading.reference import parse_reference

CONFIG_DIGEST = "sha256:" + "c" * 64


class Recorder(ThreadingHTTPServer):
    seen: list[tuple[str, str | None]]


def serve(host: str, answer: Any) -> Recorder:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.server.seen.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
            status, headers, body = answer(self)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    server = Recorder((host, 0), Handler)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def cdn() -> Iterator[Recorder]:
    server = serve("127.0.0.2", lambda h: (200, {"Content-Type": "application/json"},
                                          json.dumps({"config": {"Labels": {"from": "cdn"}}}).encode()))
    yield server
    server.shutdown()


@pytest.fixture
def registry(cdn: Recorder) -> Iterator[Recorder]:
    def answer(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if handler.headers.get("Authorization") != "Basic dTpzZWNyZXQ=":       # u:secret
            return 401, {"WWW-Authenticate": 'Basic realm="test"'}, b""
        if "/manifests/" in handler.path:
            manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"digest": CONFIG_DIGEST, "size": 2}, "layers": []}
            return 200, {"Docker-Content-Digest": "sha256:" + "d" * 64}, json.dumps(manifest).encode()
        return 307, {"Location": f"http://127.0.0.2:{cdn.server_address[1]}/blob?signed=1"}, b""
    server = serve("127.0.0.1", answer)
    yield server
    server.shutdown()


def test_a_redirect_to_another_host_is_followed_without_the_credentials(registry, cdn):
    host = f"127.0.0.1:{registry.server_address[1]}"
    client = RegistryClient(RegistryCredentials({"r": host}, environ={"REGISTRY_R_USER": "u", "REGISTRY_R_PASSWORD": "secret"},
                                                docker_config="/nonexistent"))
    digest, labels = client.labels(parse_reference(f"{host}/acme/base")) or ("", {})
    assert labels == {"from": "cdn"}
    assert cdn.seen == [("/blob?signed=1", None)]                 # the CDN never sees the login
    assert [auth for _, auth in registry.seen] == [None, "Basic dTpzZWNyZXQ=", "Basic dTpzZWNyZXQ="]


def test_no_credential_ever_appears_in_an_error(registry):
    host = f"127.0.0.1:{registry.server_address[1]}"
    client = RegistryClient(RegistryCredentials({"r": host}, environ={"REGISTRY_R_USER": "u", "REGISTRY_R_PASSWORD": "wrong-secret"},
                                                docker_config="/nonexistent"))
    with pytest.raises(RegistryError) as caught:
        client.labels(parse_reference(f"{host}/acme/base"))
    assert str(caught.value) == f"registry {host} refused the credentials of user 'u' (401) for {host}/acme/base"
    assert "wrong-secret" not in repr(client._credentials.for_host(host))


def test_plain_http_only_for_loopback_and_registries_named_insecure():
    assert [is_loopback(h) for h in ("localhost:5000", "127.0.0.1:5000", "127.9.9.9", "[::1]:5000", "registry.example.org", "10.0.0.1:5000")] == [
        True, True, True, True, False, False]
    client = RegistryClient(RegistryCredentials(environ={}, docker_config="/nonexistent"), insecure=["build.lan:5000"])
    assert client._base("build.lan:5000") == "http://build.lan:5000"
    assert client._base("registry.example.org") == "https://registry.example.org"
    assert client._base("docker.io") == "https://registry-1.docker.io"


def test_an_error_status_is_named_by_its_standard_phrase_not_the_servers_text():
    server = serve("127.0.0.1", lambda h: (500, {}, b"Authorization: Bearer leaked-token"))
    server.RequestHandlerClass.responses = {500: ("Bearer leaked-token \x1b[2J", "")}  # the reason phrase it sends
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        client = RegistryClient(RegistryCredentials(environ={}, docker_config="/nonexistent"))
        with pytest.raises(RegistryError) as caught:
            client.digest(parse_reference(f"{host}/acme/base:1"))
    finally:
        server.shutdown()
    assert str(caught.value) == f"registry {host} answered 500 Internal Server Error for {host}/acme/base:1"
