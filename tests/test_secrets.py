"""Secrets against hostile servers: no token leaves through a URL, an error text or a redirect.

Every server here is on loopback: the fake Jenkins and GitLab, and the hostile ones of
``hostile.py`` (one echoes the request's headers back, one redirects to another host, a recorder
keeps whatever reaches it). Each test proves one rule; the last one runs every hostile scenario
with ``-vv`` in text and JSON and scans all that was printed for the credentials.
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote

import pytest

from helpers import cli, write
from hostile import Seen, Server, gitlab_that_echoes, gitlab_that_redirects, jenkins_that_echoes, jenkins_that_redirects, records
from jenkins_docker.redact import Redactor, answer_message, redact_url
from jenkins_docker.safe_http import plain_http_warning, same_server
from jenkins_docker.testing.fake_gitlab import FakeGitLab
from jenkins_docker.testing.fake_jenkins import FakeJenkins

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
    done = cli("sync", str(inventory(tmp_path)), "--jenkins", url)
    assert done.returncode == 2
    assert "--jenkins http://***@127.0.0.1" in done.stderr and "JENKINS_USER and JENKINS_API_TOKEN" in done.stderr
    assert recorder.seen == []
    assert_nothing_secret(printed(done))


def test_credentials_in_jenkins_url_from_the_environment_are_refused_naming_the_variable(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records)
    url = recorder.url.replace("http://", f"http://{USER}:{TOKEN}@")
    done = cli("plan", str(inventory(tmp_path)), env={"JENKINS_URL": url})
    assert done.returncode == 2
    assert "JENKINS_URL http://***@" in done.stderr
    assert recorder.seen == []
    assert_nothing_secret(printed(done))


def test_credentials_in_the_webhook_jenkins_url_are_refused_rather_than_stored_in_gitlab(tmp_path: Path) -> None:
    done = cli("webhooks", str(inventory(tmp_path)), "--jenkins", f"https://{USER}:{TOKEN}@jenkins.example.org")
    assert done.returncode == 2
    assert "secret token" in done.stderr and "project/docker" not in done.stdout
    assert_nothing_secret(printed(done))


def test_credentials_in_the_gitlab_url_are_refused(tmp_path: Path) -> None:
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        url = gitlab.url.replace("http://", f"http://oauth2:{GITLAB_TOKEN}@")
        done = cli("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", "https://jenkins.example.org",
                   "--apply", "--gitlab", url, env=GITLAB_ENV)
        assert gitlab.requests == []
    assert done.returncode == 2 and "GITLAB_TOKEN" in done.stderr
    assert_nothing_secret(printed(done))


def test_redact_url_drops_userinfo_and_secret_query_values() -> None:
    assert redact_url(f"https://{USER}:{TOKEN}@jenkins.example.org:8443/x?private_token={GITLAB_TOKEN}&a=1") == \
        "https://***@jenkins.example.org:8443/x?private_token=***&a=1"
    assert redact_url("https://jenkins.example.org/") == "https://jenkins.example.org/"
    assert redact_url(f"{USER}:{TOKEN}@jenkins.example.org/") == "***@jenkins.example.org/"


def test_a_schemeless_jenkins_url_with_credentials_is_refused_without_printing_them(tmp_path: Path) -> None:
    done = cli("plan", str(inventory(tmp_path)), "--jenkins", f"{USER}:{TOKEN}@jenkins.example.org", env=JENKINS_ENV)
    assert done.returncode in (1, 2) and "***@jenkins.example.org" in done.stderr
    assert_nothing_secret(printed(done))


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
    done = cli("-vv", "sync", str(inventory(tmp_path)), "--jenkins", echo.url, env=JENKINS_ENV)
    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if line.startswith("! failed")]
    assert failures[0].startswith("! failed docker: Jenkins answered 500 Internal Server Error: Host: 127.0.0.1")
    assert all(len(line) < 250 for line in failures)
    assert any("Authorization" in s.headers for s in echo.seen)  # it was sent, and echoed back
    assert_nothing_secret(printed(done))


def test_a_gitlab_that_echoes_the_request_gets_one_line_per_failure_and_no_token(tmp_path: Path, servers: Callable[..., Server]) -> None:
    echo = servers(gitlab_that_echoes)
    done = cli("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", "https://jenkins.example.org", "--apply",
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
    done = cli("sync", str(inventory(tmp_path)), "--jenkins", jenkins.url, env=JENKINS_ENV)
    assert done.returncode == 1
    assert f"sent us to {recorder.url}/, another server" in done.stderr
    assert recorder.seen == []  # neither the config nor any header reached it
    assert_nothing_secret(printed(done))


def test_gitlab_redirecting_to_another_host_never_gets_the_private_token_sent_there(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records, host="127.0.0.2")
    gitlab = servers(gitlab_that_redirects(recorder.url))
    done = cli("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", "https://jenkins.example.org", "--apply",
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
    done = cli("webhooks", str(inventory(tmp_path)), "--jenkins", "http://jenkins.example.org")
    assert done.returncode == 0
    assert done.stderr.count("is plain http://") == 1 and "secret token" in done.stderr
    quiet = cli("webhooks", str(inventory(tmp_path)), "--jenkins", "https://jenkins.example.org")
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
        done = cli("webhooks", str(inventory(tmp_path)), "--jenkins", "https://jenkins.example.org", "--apply",
                   "--gitlab", "http://gitlab.example.org", env={**GITLAB_ENV, **gitlab.proxy_env()})
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("GitLab URL http://gitlab.example.org is plain http://: GITLAB_TOKEN") == 1
    assert_nothing_secret(printed(done))


# -- the fake Jenkins, with the credentials right: nothing printed anywhere either ---------------

def test_a_normal_sync_prints_no_credential_even_at_debug_level(tmp_path: Path) -> None:
    with FakeJenkins(tokens={USER: TOKEN}) as jenkins:
        path = inventory(tmp_path)
        outputs = [printed(cli("-vv", "sync", str(path), "--jenkins", jenkins.url, "--format", fmt, env=JENKINS_ENV)) for fmt in ("text", "json")]
    assert "created" in outputs[0] and "DEBUG" in outputs[0]
    assert_nothing_secret(*outputs)


# -- 6. no credentials in the values of env, build_args and git ----------------------------------

ENTRY = """\
version: 1
registries: {r: {host: registry.example.org, credentials: push}}
defaults: {registry: r}
base_images:
  acme/base:
    git: GIT
    from: debian
    env: ENV_MAP
    build_args: ARGS_MAP
"""


def check_entry(tmp_path: Path, *, git: str = "git@gitlab.example.org:docker/base.git", env: str = "{}", args: str = "{}") -> list[str]:
    from jenkins_docker.loading.loader import check

    path = write(tmp_path, ENTRY.replace("GIT", git).replace("ENV_MAP", env).replace("ARGS_MAP", args))
    return [str(problem).replace(str(tmp_path) + "/", "") for problem in check(path).errors]


def test_a_url_with_a_password_in_env_or_build_args_is_an_error_saying_to_bind_a_credential(tmp_path: Path) -> None:
    errors = check_entry(tmp_path, env='{DATABASE_URL: "postgres://app:pw@db/app"}', args='{MIRROR: "--index-url=https://u:p4ss@pypi.example.org/simple"}')
    assert len(errors) == 2
    assert errors[0].startswith("inventory.yml:8:25: `env.DATABASE_URL` in base image 'acme/base' has credentials in a URL")
    assert errors[1].startswith("inventory.yml:9:26: `build_args.MIRROR`")
    assert all("Jenkins credential" in e and "bind it by its id" in e for e in errors)


def test_a_token_as_the_user_of_an_https_url_is_an_error_in_git_and_env(tmp_path: Path) -> None:
    token_url = "https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/acme/base.git"
    errors = check_entry(tmp_path, git=token_url, env=f'{{MIRROR: "{token_url}"}}')
    assert [e.split(": ", 1)[0] for e in errors] == ["inventory.yml:6:10", "inventory.yml:8:19"]
    assert check_entry(tmp_path, git="ssh://git@gitlab.example.org:2222/docker/base.git", env='{URL: "https://user@example.org/"}') == []


def test_secret_looking_names_in_env_are_errors_with_the_fix(tmp_path: Path) -> None:
    errors = check_entry(tmp_path, env='{DB_PASSWORD: "x"}', args='{NPM_TOKEN: "y"}')
    assert len(errors) == 2 and all("keep it in Jenkins credentials and reference its id" in e for e in errors)


def test_the_not_secret_tag_lets_one_value_through_and_renders_it(tmp_path: Path) -> None:
    from jenkins_docker.loading.loader import load
    from jenkins_docker.rendering.renderer import render

    assert check_entry(tmp_path, env='{DATABASE_URL: !not-secret "postgres://app:pw@db/app", PASSWORD_MIN_LENGTH: !not-secret 8}') == []
    inventory = load(tmp_path / "inventory.yml")
    assert inventory.images["acme/base"].env == {"DATABASE_URL": "postgres://app:pw@db/app", "PASSWORD_MIN_LENGTH": "8"}
    assert render(inventory).jobs  # renders like any other value
    # The tag vouches for its own value only.
    assert len(check_entry(tmp_path, env='{A: !not-secret "postgres://app:pw@db/a", B: "postgres://app:pw@db/b"}')) == 1


# -- 5. a hook goes only to the GitLab of the repository; prune deletes only our hooks ----------

JENKINS = "https://jenkins.example.org"
HOSTS = """\
version: 1
jenkins: {folder: docker, gitlab_connection: gitlab}
registries: {r: {host: registry.example.org, credentials: push}}
defaults: {registry: r}
base_images:
  acme/ours: {git: "git@gitlab.example.org:docker/ours.git", from: debian}
  acme/https: {git: "https://gitlab.example.org/docker/https.git", from: debian}
  acme/github: {git: "https://github.com/someone-else/base.git", from: debian}
  acme/port: {git: "https://gitlab.example.org:8443/docker/port.git", from: debian}
  acme/other: {git: "ssh://git@gitlab.other.org:2222/docker/ours.git", from: debian}
"""


def apply_hooks(gitlab: FakeGitLab, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli("webhooks", str(path), "--jenkins", JENKINS, "--apply", "--gitlab", "http://gitlab.example.org", "--format", "json",
               *extra, env={**GITLAB_ENV, **gitlab.proxy_env()})


def test_hooks_go_only_to_projects_on_the_gitlab_of_the_git_url(tmp_path: Path) -> None:
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        for project in ("docker/ours", "docker/https", "someone-else/base", "docker/port"):
            gitlab.add_project(project)  # the same paths exist on this GitLab
        done = apply_hooks(gitlab, write(tmp_path, HOSTS))
        assert done.returncode == 0, done.stderr
        hooks = {hook["job"]: hook for hook in json.loads(done.stdout)["hooks"]}
        assert {job: hook["status"] for job, hook in hooks.items()} == {
            "docker/acme-ours": "created", "docker/acme-https": "created", "docker/acme-github": "skipped",
            "docker/acme-port": "skipped", "docker/acme-other": "skipped"}
        assert "on github.com, not on the GitLab at gitlab.example.org" in hooks["docker/acme-github"]["note"]
        assert gitlab.hooks("someone-else/base") == [] and gitlab.hooks("docker/port") == []
        assert all(not r.path.startswith("/api/v4/projects/someone-else") for r in gitlab.requests)


def test_prune_keeps_the_hook_of_a_hand_made_job_in_the_folder(tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import hook_marker

    path = write(tmp_path, HOSTS)
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        gitlab.add_project("docker/ours")
        gitlab.add_project("docker/https")
        hand_made = gitlab.add_hook("docker/ours", f"{JENKINS}/project/docker/hotfix")  # made by hand, for a hand-made job
        other_owner = gitlab.add_hook("docker/ours", f"{JENKINS}/project/docker/team-b", description=hook_marker("team-b"))
        ours = gitlab.add_hook("docker/ours", f"{JENKINS}/project/docker/acme-gone", description=hook_marker("docker"))
        done = apply_hooks(gitlab, path, "--prune")
        assert done.returncode == 0, done.stderr
        statuses = {hook["job"]: hook["status"] for hook in json.loads(done.stdout)["hooks"]}
        assert (statuses["docker/hotfix"], statuses["docker/team-b"], statuses["docker/acme-gone"]) == ("stale", "stale", "deleted")
        assert sorted(h["id"] for h in gitlab.hooks("docker/ours") if h["id"] in (hand_made, other_owner, ours)) == [hand_made, other_owner]
        # the hook it made carries the ownership line, so a later prune knows it
        made = next(h for h in gitlab.hooks("docker/ours") if h["url"].endswith("/project/docker/acme-ours"))
        assert made["description"] == hook_marker("docker")


# -- everything printed in every hostile run: no credential in any form ---------------------------

_USERINFO = re.compile(r"://(?!\*\*\*@)[^/\s@]+@")


def hostile_runs(tmp_path: Path, servers: Callable[..., Server], gitlab: FakeGitLab) -> list[tuple[list[str], dict[str, str]]]:
    """Every hostile scenario above as (arguments, environment) of one CLI run."""
    path = str(inventory(tmp_path))
    (tmp_path / "loopback").mkdir()
    on_loopback = str(inventory(tmp_path / "loopback", "127.0.0.1"))
    recorder = servers(records, host="127.0.0.2")
    echo, redirect = servers(jenkins_that_echoes()), servers(jenkins_that_redirects(recorder.url))
    accepting = servers(jenkins_that_echoes(201))
    gitlab_echo, gitlab_redirect = servers(gitlab_that_echoes), servers(gitlab_that_redirects(recorder.url))
    with_userinfo = echo.url.replace("http://", f"http://{USER}:{TOKEN}@")
    hooks = ["webhooks", on_loopback, "--jenkins", JENKINS, "--apply", "--gitlab"]
    return [
        (["sync", path, "--jenkins", echo.url], JENKINS_ENV),
        (["plan", path, "--jenkins", echo.url], JENKINS_ENV),
        (["sync", path, "--jenkins", redirect.url], JENKINS_ENV),
        (["sync", path, "--jenkins", with_userinfo], {}),
        (["plan", path], {"JENKINS_URL": with_userinfo}),
        (["sync", path, "--jenkins", gitlab.url], JENKINS_ENV),  # not a Jenkins at all
        ([*hooks, gitlab_echo.url], GITLAB_ENV),
        ([*hooks, gitlab_redirect.url], GITLAB_ENV),
        ([*hooks, gitlab_echo.url.replace("http://", f"http://oauth2:{GITLAB_TOKEN}@")], GITLAB_ENV),
        (["rebuild", path, "acme/base", "--jenkins", echo.url], JENKINS_ENV),
        (["rebuild", path, "acme/base", "--jenkins", accepting.url], JENKINS_ENV),
    ]


def test_nothing_printed_in_any_hostile_run_holds_a_credential(tmp_path: Path, servers: Callable[..., Server]) -> None:
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        outputs = []
        for args, env in hostile_runs(tmp_path, servers, gitlab):
            formats = [[]] if args[0] == "rebuild" else [["--format", "text"], ["--format", "json"]]
            for fmt in formats:
                outputs.append(printed(cli("-vv", *args, *fmt, env=env)))
    assert len(outputs) == 20 and sum("DEBUG" in output for output in outputs) >= 10  # the runs logged at debug level
    assert_nothing_secret(*outputs)
    for output in outputs:
        assert not _USERINFO.search(output), output


def test_log_lines_of_any_library_are_redacted_by_the_cli_log_filter() -> None:
    import io
    import logging

    from jenkins_docker.redact import LogRedactor

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    in_use = Redactor()
    in_use.add(TOKEN, user=USER)
    handler.addFilter(LogRedactor(in_use))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    try:
        logger.warning("headers: %s", {"Authorization": f"Basic {BASIC}"})
        logger.warning("token is %s; %s", TOKEN, quote(TOKEN))
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue().count("***") >= 3
    assert_nothing_secret(stream.getvalue())


def test_the_extra_headers_python_jenkins_logs_are_redacted(tmp_path: Path) -> None:
    with FakeJenkins(tokens={USER: TOKEN}) as jenkins:
        done = cli("-vv", "plan", str(inventory(tmp_path)), "--jenkins", jenkins.url,
                   env={**JENKINS_ENV, "JENKINS_API_EXTRA_HEADERS": f"X-Forwarded-Authorization: Basic {BASIC}"})
    assert done.returncode == 0, done.stderr
    assert_nothing_secret(printed(done))


def test_a_gitlab_pagination_link_to_another_host_is_not_followed(tmp_path: Path, servers: Callable[..., Server]) -> None:
    recorder = servers(records, host="127.0.0.2")

    def paginates_elsewhere(request: Seen) -> tuple[int, dict[str, str], bytes]:
        if "/hooks" in request.path and request.method == "GET":
            more = {} if "page=2" in request.path else {"Link": f'<{recorder.url}/api/v4/projects/1/hooks?page=2&per_page=20>; rel="next"'}
            return 200, {"Content-Type": "application/json", **more}, b"[]"
        if request.method == "POST":
            return 201, {"Content-Type": "application/json"}, b'{"id": 7, "url": "x"}'
        return 200, {"Content-Type": "application/json"}, json.dumps({"id": 1, "path_with_namespace": "docker/base"}).encode()

    gitlab = servers(paginates_elsewhere)
    done = cli("webhooks", str(inventory(tmp_path, "127.0.0.1")), "--jenkins", JENKINS, "--apply", "--gitlab", gitlab.url, env=GITLAB_ENV)
    assert recorder.seen == []  # the next page was asked of the configured GitLab instead
    assert any("page=2" in s.path for s in gitlab.seen)
    assert_nothing_secret(printed(done))


def test_without_a_folder_prune_deletes_only_hooks_marked_with_the_inventory_owner(tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import hook_marker

    path = write(tmp_path, HOSTS.replace("folder: docker", "owner: team-a"))
    with FakeGitLab(tokens=[GITLAB_TOKEN]) as gitlab:
        gitlab.add_project("docker/ours")
        gitlab.add_project("docker/https")
        mine = gitlab.add_hook("docker/ours", f"{JENKINS}/project/acme-old", description=hook_marker("team-a"))
        theirs = gitlab.add_hook("docker/ours", f"{JENKINS}/project/release-prod")
        done = apply_hooks(gitlab, path, "--prune")
        assert done.returncode == 0, done.stderr
        statuses = {hook["job"]: hook["status"] for hook in json.loads(done.stdout)["hooks"]}
        assert (statuses["acme-old"], statuses["release-prod"]) == ("deleted", "stale")
        remaining = {h["id"] for h in gitlab.hooks("docker/ours")}
        assert theirs in remaining and mine not in remaining


def test_a_registry_error_is_its_own_message_not_its_reason_phrase() -> None:
    body = json.dumps({"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]})
    assert answer_message(403, {}, body) == "403 Forbidden: requested access to the resource is denied"
