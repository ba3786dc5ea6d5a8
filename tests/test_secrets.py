"""Secrets against hostile servers: no token leaves through a URL, an error text or a redirect.

Every server here is on loopback: the fake Jenkins and GitLab, and the hostile ones of
``hostile.py`` (one echoes the request's headers back, one redirects to another host, a recorder
keeps whatever reaches it). Each test proves one rule; the last one runs every hostile scenario
with ``-vv`` in text and JSON and scans all that was printed for the credentials.
"""
from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

import pytest

from hostile import (Server, gitlab_that_echoes, gitlab_that_redirects, jenkins_that_echoes, jenkins_that_redirects,
                     records)
from jenkins_docker.redact import Redactor, answer_message, redact_url
from jenkins_docker.safe_http import plain_http_warning, same_server
from jenkins_docker.testing.fake_gitlab import FakeGitLab
from jenkins_docker.testing.fake_jenkins import FakeJenkins
from test_cli import run, write

USER = "admin"
TOKEN = "s3cr3t-Tok3n-7hQ9zK"          # the Jenkins API token in use
GITLAB_TOKEN = "glpat-Hx83kQpL0vZtRw"  # the GitLab access token in use
HOOK_SECRET = "hook-S3cret-44aa"       # the webhooks' secret token
BASIC = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
#: Everything that must never be printed: the tokens, Basic auth's base64, URL userinfo.
FORBIDDEN = (TOKEN, quote(TOKEN), BASIC, BASIC.rstrip("="), GITLAB_TOKEN, HOOK_SECRET, f"{USER}:{TOKEN}", f"{USER}:")
JENKINS_ENV = {"JENKINS_USER": USER, "JENKINS_API_TOKEN": TOKEN}
GITLAB_ENV = {"GITLAB_TOKEN": GITLAB_TOKEN, "JENKINS_WEBHOOK_TOKEN": HOOK_SECRET}

INVENTORY = """\
version: 1
jenkins: {folder: docker, gitlab_connection: gitlab}
registries: {r: {host: registry.example.org, credentials: push}}
defaults: {registry: r}
base_images:
  acme/base: {git: "git@GITHOST:docker/base.git", from: debian}
apps:
  shop: {git: "git@GITHOST:web/shop.git", from: acme/base}
"""


def inventory(tmp_path: Path, git_host: str = "gitlab.example.org") -> Path:
    return write(tmp_path, INVENTORY.replace("GITHOST", git_host))


def assert_nothing_secret(*outputs: str) -> None:
    """None of the credentials in use, in any form, appears in ``outputs``."""
    for output in outputs:
        for secret in FORBIDDEN:
            assert secret not in output, f"{secret!r} printed in:\n{output}"


def printed(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    """Start hostile servers for a test (on loopback) and stop them all after it."""
    started: list[Server] = []

    def start(respond: Callable, host: str = "127.0.0.1") -> Server:  # type: ignore[type-arg]
        server = Server(respond, host)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# -- 1. credentials in a server URL are refused, and never printed -------------------------------

def test_credentials_in_the_jenkins_url_are_refused_before_any_request(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records)
    url = recorder.url.replace("http://", f"http://{USER}:{TOKEN}@") + "/"
    done = run("sync", str(inventory(tmp_path)), "--jenkins", url)
    assert done.returncode == 2
    assert "--jenkins http://***@127.0.0.1" in done.stderr and "JENKINS_USER and JENKINS_API_TOKEN" in done.stderr
    assert recorder.seen == []
    assert_nothing_secret(printed(done))


def test_credentials_in_jenkins_url_from_the_environment_are_refused_naming_the_variable(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records)
    url = recorder.url.replace("http://", f"http://{USER}:{TOKEN}@")
    done = run("plan", str(inventory(tmp_path)), env={"JENKINS_URL": url})
    assert done.returncode == 2
    assert "JENKINS_URL http://***@" in done.stderr
    assert recorder.seen == []
    assert_nothing_secret(printed(done))


def test_credentials_in_the_webhook_jenkins_url_are_refused_rather_than_stored_in_gitlab(tmp_path: Path) -> None:
    done = run("webhooks", str(inventory(tmp_path)), "--jenkins", f"https://{USER}:{TOKEN}@jenkins.example.org")
    assert done.returncode == 2
    assert "secret token" in done.stderr and "project/docker" not in done.stdout
    assert_nothing_secret(printed(done))


def test_credentials_in_the_gitlab_url_are_refused(tmp_path: Path) -> None:
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        url = gitlab.url.replace("http://", f"http://oauth2:{GITLAB_TOKEN}@")
        done = run("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", "https://jenkins.example.org",
                   "--apply", "--gitlab", url, env=GITLAB_ENV)
        assert gitlab.requests == []
    assert done.returncode == 2 and "GITLAB_TOKEN" in done.stderr
    assert_nothing_secret(printed(done))


def test_redact_url_drops_userinfo_and_secret_query_values() -> None:
    assert redact_url(f"https://{USER}:{TOKEN}@jenkins.example.org:8443/x?private_token={GITLAB_TOKEN}&a=1") == \
        "https://***@jenkins.example.org:8443/x?private_token=***&a=1"
    assert redact_url("https://jenkins.example.org/") == "https://jenkins.example.org/"


# -- 2. a server's answer becomes one bounded, redacted line --------------------------------------

def test_an_answer_is_status_and_server_reason_on_one_bounded_line() -> None:
    redact = Redactor([TOKEN], user=USER)
    echoed = f"Authorization: Basic {BASIC}\nPRIVATE-TOKEN: {GITLAB_TOKEN}\n" + "x" * 500
    message = answer_message(500, {"X-Error": echoed}, b"ignored body", redact)
    assert message.startswith("500 Internal Server Error: Authorization: Basic *** PRIVATE-TOKEN: *** xxx")
    assert "\n" not in message and len(message) < 200
    assert_nothing_secret(message)
    assert answer_message(404, {}, json.dumps({"message": "404 Project Not Found"})) == "404 Project Not Found"
    assert answer_message(400, {}, json.dumps({"message": {"url": ["is blocked"]}})) == "400 Bad Request: url is blocked"
    assert answer_message(502, {}, f"<html>{BASIC}</html>") == "502 Bad Gateway"  # a body is never printed as it comes


def test_the_token_and_its_base64_are_hidden_wherever_they_appear() -> None:
    redact = Redactor([TOKEN], user=USER)
    text = f"{TOKEN} {quote(TOKEN)} {BASIC} x-{BASIC.rstrip('=')}-y glpat-abcdefghijklmnop https://u:p@h/ ?token=abc"
    assert_nothing_secret(redact(text))
    assert "glpat-" not in redact(text) and "u:p@" not in redact(text) and "token=abc" not in redact(text)


def test_a_jenkins_that_echoes_the_request_gets_no_credentials_printed(tmp_path: Path, servers: Callable[..., Server]) -> None:
    echo = servers(jenkins_that_echoes())
    done = run("-vv", "sync", str(inventory(tmp_path)), "--jenkins", echo.url, env=JENKINS_ENV)
    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if line.startswith("! failed")]
    assert failures[0].startswith("! failed docker: Jenkins answered 500 Internal Server Error: Host: 127.0.0.1")
    assert all(len(line) < 250 for line in failures)
    assert any("Authorization" in s.headers for s in echo.seen)  # it was sent, and echoed back
    assert_nothing_secret(printed(done))


def test_a_gitlab_that_echoes_the_request_gets_one_line_per_failure_and_no_token(tmp_path: Path, servers: Callable[..., Server]) -> None:
    echo = servers(gitlab_that_echoes)
    done = run("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", "https://jenkins.example.org", "--apply",
               "--gitlab", echo.url, env=GITLAB_ENV)
    assert done.returncode == 1
    failures = [line for line in done.stdout.splitlines() if line.startswith("! failed")]
    assert len(failures) == 2 and all("(project " in line and ": 500 Internal Server Error: Internal error; the request was: Host:" in line
                                      and len(line) < 300 for line in failures)
    assert_nothing_secret(printed(done))


# -- 3. credentials never follow a redirect to another host --------------------------------------

def test_jenkins_redirecting_to_another_host_is_refused_before_anything_is_sent_there(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records, host="127.0.0.2")
    jenkins = servers(jenkins_that_redirects(recorder.url))
    done = run("sync", str(inventory(tmp_path)), "--jenkins", jenkins.url, env=JENKINS_ENV)
    assert done.returncode == 1
    assert f"sent us to {recorder.url}/, another server" in done.stderr
    assert recorder.seen == []  # neither the config nor any header reached it
    assert_nothing_secret(printed(done))


def test_gitlab_redirecting_to_another_host_never_gets_the_private_token_sent_there(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records, host="127.0.0.2")
    gitlab = servers(gitlab_that_redirects(recorder.url))
    done = run("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", "https://jenkins.example.org", "--apply",
               "--gitlab", gitlab.url, env=GITLAB_ENV)
    assert done.returncode == 1
    assert "another server" in done.stderr
    assert recorder.seen == []  # python-gitlab would have sent PRIVATE-TOKEN along
    assert_nothing_secret(printed(done))


def test_a_redirect_on_the_same_server_is_followed(tmp_path: Path) -> None:
    assert same_server("https://jenkins.example.org/", "https://JENKINS.example.org:443/job/x/")
    assert same_server("http://jenkins.example.org/", "https://jenkins.example.org/login")  # an upgrade
    assert not same_server("https://jenkins.example.org/", "http://jenkins.example.org/")  # a downgrade
    assert not same_server("https://jenkins.example.org/", "https://jenkins.example.org:8443/")
    assert not same_server("https://jenkins.example.org/", "https://evil.example.org/")


# -- 4. plain http:// to another machine is warned about, once ------------------------------------

def test_plain_http_to_another_machine_warns_once(tmp_path: Path) -> None:
    done = run("webhooks", str(inventory(tmp_path)), "--jenkins", "http://jenkins.example.org")
    assert done.returncode == 0
    assert done.stderr.count("is plain http://") == 1 and "secret token" in done.stderr
    quiet = run("webhooks", str(inventory(tmp_path)), "--jenkins", "https://jenkins.example.org")
    assert "plain http" not in quiet.stderr


def test_plain_http_to_loopback_is_not_warned_about() -> None:
    assert plain_http_warning("http://127.0.0.1:8080/", "Jenkins", "the API token") is None
    assert plain_http_warning("http://localhost:8080/", "Jenkins", "the API token") is None
    assert plain_http_warning("http://[::1]:8080/", "Jenkins", "the API token") is None
    assert plain_http_warning("https://jenkins.example.org/", "Jenkins", "the API token") is None
    assert "unencrypted" in (plain_http_warning("http://jenkins.example.org/", "Jenkins", "the API token") or "")


def test_plain_http_gitlab_warns_about_the_gitlab_token(tmp_path: Path) -> None:
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        gitlab.add_project("docker/base")
        gitlab.add_project("web/shop")
        done = run("webhooks", str(inventory(tmp_path)), "--jenkins", "https://jenkins.example.org", "--apply",
                   "--gitlab", "http://gitlab.example.org", env={**GITLAB_ENV, **gitlab.proxy_env()})
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("GitLab URL http://gitlab.example.org is plain http://: GITLAB_TOKEN") == 1
    assert_nothing_secret(printed(done))


# -- the fake Jenkins, with the credentials right: nothing printed anywhere either ---------------

def test_a_normal_sync_prints_no_credential_even_at_debug_level(tmp_path: Path) -> None:
    with FakeJenkins(tokens={USER: TOKEN}) as jenkins:
        path = inventory(tmp_path)
        outputs = [printed(run("-vv", "sync", str(path), "--jenkins", jenkins.url, "--format", fmt, env=JENKINS_ENV)) for fmt in ("text", "json")]
    assert "created" in outputs[0] and "DEBUG" in outputs[0]
    assert_nothing_secret(*outputs)
