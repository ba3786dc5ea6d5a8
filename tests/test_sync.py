"""plan and sync against both targets: the fake Jenkins over real HTTP, and a JENKINS_HOME on disk."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import BLOG_APP, EXTRA_APP, IIIEPE, SMALL, cli, env_for, inventory_file, remote, sync
from jenkins_docker import JenkinsHome, RemoteJenkins, apply, load, make_plan, render
from jenkins_docker.errors import TargetError
from jenkins_docker.rendering.renderer import MANAGED_MARKER
from jenkins_docker.sync.targets.remote import Credentials
from jenkins_docker.testing.fake_jenkins import FakeJenkins


def writes(fake: FakeJenkins) -> int:
    return fake.count(method="POST")


# -- the live target ------------------------------------------------------------------------------

def test_first_sync_creates_the_folder_then_every_job(tmp_path: Path, jenkins: FakeJenkins) -> None:
    plan, result = sync(inventory_file(tmp_path), remote(jenkins))
    assert result.ok, result.failed
    expected = {"docker/acme-base", "docker/acme-web", "docker/portal", "docker/portal-deploy", "docker/shop"}
    assert set(result.create) == expected | {"docker"}
    assert expected <= set(jenkins.job_names())
    creates = [r.path for r in jenkins.requests if r.method == "POST" and "createItem" in r.path]
    assert creates[0] == "/createItem"  # the folder comes first
    order = [r.query for r in jenkins.requests if r.method == "POST" and "createItem" in r.path]
    assert order.index("name=acme-base") < order.index("name=acme-web") < order.index("name=portal")
    assert MANAGED_MARKER in jenkins.get_config("docker/portal")


def test_first_sync_costs_about_one_request_per_job(tmp_path: Path, jenkins: FakeJenkins) -> None:
    target = remote(jenkins)
    plan, result = sync(inventory_file(tmp_path), target, workers=1)
    jobs = len(result.create)
    # the plugin list + one listing + one write per item: an API token needs no crumb, so none is fetched
    assert len(jenkins.requests) == jobs + 2, [(r.method, r.path) for r in jenkins.requests]
    assert jenkins.count(path="^/pluginManager/api/json$") == 1
    assert not any("crumbIssuer" in r.path for r in jenkins.requests)


def test_second_sync_writes_nothing_and_reads_each_job_once(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    jenkins.reset_requests()
    plan, result = sync(path, remote(jenkins))
    assert not plan.has_changes and result.create == result.update == result.delete == []
    assert writes(jenkins) == 0
    assert len(result.unchanged) == 6
    assert len(jenkins.requests) <= 6 + 2  # one read per managed item + the listing + the plugin list


def test_a_jenkins_resave_is_not_a_change(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    for name in ("docker/acme-base", "docker/portal", "docker/portal-deploy"):
        jenkins.resave(name)
    plan, _ = sync(path, remote(jenkins))
    assert not plan.has_changes


def test_a_job_edited_in_the_ui_is_drift_that_sync_repairs(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    edited = jenkins.get_config("docker/acme-web").replace("docker build ", "docker build --no-cache ")
    assert edited != jenkins.get_config("docker/acme-web")
    jenkins.put_job("docker/acme-web", edited)
    inventory = load(path)
    plan = make_plan(render(inventory), remote(jenkins), folder="docker")
    assert plan.names("update") == ["docker/acme-web"]
    assert "docker build --no-cache" in plan.changes[0].diff
    apply(plan, remote(jenkins))
    assert "docker build --no-cache" not in jenkins.get_config("docker/acme-web")
    assert not make_plan(render(inventory), remote(jenkins), folder="docker").has_changes


def test_an_inventory_change_updates_only_the_jobs_it_touches(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    path.write_text(path.read_text().replace("./deploy.sh portal", "./deploy.sh portal --fast"))
    plan, result = sync(path, remote(jenkins))
    assert result.update == ["docker/portal-deploy"]


def test_prune_deletes_only_managed_jobs_that_left_the_inventory(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    sync(path, remote(jenkins))
    hand_made = "<project><description>made by hand</description></project>"
    jenkins.put_job("docker/hand-made", hand_made)
    jenkins.put_job("elsewhere", hand_made)
    path.write_text(SMALL.format(folder="docker", job_type="freestyle", extra=""))  # shop left
    plan, result = sync(path, remote(jenkins))
    assert "docker/shop" in jenkins.job_names() and result.delete == []  # no --prune: kept
    plan, result = sync(path, remote(jenkins), prune=True)
    assert result.delete == ["docker/shop"]
    assert "docker/shop" not in jenkins.job_names()
    assert {"docker/hand-made", "elsewhere"} <= set(jenkins.job_names())


def test_an_unmanaged_job_in_the_way_fails_alone_unless_adopted(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    jenkins.put_folder("docker")
    jenkins.put_job("docker/portal", "<project><description>someone else's</description></project>")
    plan, result = sync(path, remote(jenkins))
    assert [f.job for f in result.failed] == ["docker/portal"]
    assert "not managed by jenkins-docker" in result.failed[0].error and "--adopt" in result.failed[0].error
    assert "someone else&apos;s" in jenkins.get_config("docker/portal")
    assert "docker/acme-base" in jenkins.job_names()  # the others went on
    plan, result = sync(path, remote(jenkins), adopt=True)
    assert result.ok and result.update == ["docker/portal"]
    assert MANAGED_MARKER in jenkins.get_config("docker/portal")


def test_a_job_type_change_replaces_the_job(tmp_path: Path, jenkins: FakeJenkins) -> None:
    sync(inventory_file(tmp_path), remote(jenkins))
    assert jenkins.get_config("docker/portal").split("\n")[1].startswith("<project")
    plan, result = sync(inventory_file(tmp_path, job_type="pipeline"), remote(jenkins))
    assert result.ok, result.failed
    assert "docker/portal" in result.update
    assert any(c.action == "replace" for c in plan.changes)
    assert "<flow-definition" in jenkins.get_config("docker/portal")


def test_a_failure_mid_run_fails_that_job_only_and_a_rerun_converges(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    jenkins.inject_fault(method="POST", path="createItem", status=500, body="java.lang.IllegalStateException: boom", times=1)
    jenkins.put_folder("docker", None)  # so the first createItem is a job, not the folder
    plan, result = sync(path, remote(jenkins), workers=1)
    assert len(result.failed) == 1
    failed = result.failed[0].job
    assert failed not in jenkins.job_names()
    assert len(result.create) == 4
    plan, result = sync(path, remote(jenkins))
    assert result.ok and result.create == [failed]
    assert not sync(path, remote(jenkins))[0].has_changes


def test_transient_errors_and_dropped_connections_are_retried(tmp_path: Path, jenkins: FakeJenkins) -> None:
    jenkins.inject_fault(method="POST", path="createItem", status=503, times=2)
    jenkins.inject_fault(method="GET", path="api/json", drop=True, times=1)
    plan, result = sync(inventory_file(tmp_path), remote(jenkins), workers=1)
    assert result.ok, result.failed
    assert len(result.create) == 6


def test_a_dropped_create_answer_is_not_a_failure(tmp_path: Path, jenkins: FakeJenkins) -> None:
    jenkins.put_folder("docker", None)
    jenkins.inject_fault(method="POST", path="createItem", status=504, times=1)
    plan, result = sync(inventory_file(tmp_path), remote(jenkins), workers=1)
    assert result.ok, result.failed


def test_password_logins_use_a_crumb(tmp_path: Path, jenkins: FakeJenkins) -> None:
    plan, result = sync(inventory_file(tmp_path), remote(jenkins, token="admin-password"))
    assert result.ok, result.failed
    assert any("crumbIssuer" in r.path for r in jenkins.requests)


def test_bad_credentials_are_one_clear_error(tmp_path: Path, jenkins: FakeJenkins) -> None:
    with pytest.raises(TargetError, match="refused the credentials"):
        sync(inventory_file(tmp_path), remote(jenkins, token="wrong"))


def test_a_dead_server_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = RemoteJenkins(f"http://127.0.0.1:{port}/", Credentials("admin", "x"), backoff=0.01, retries=1)
    with pytest.raises(TargetError, match=r"cannot reach Jenkins at http://127\.0\.0\.1:\d+/") as caught:
        sync(inventory_file(tmp_path), target)
    assert len(str(caught.value).splitlines()) == 1
    assert "HTTPConnectionPool" not in str(caught.value)  # urllib3's internals are not a clear error


def test_cli_reports_a_dead_server_in_one_clear_line(tmp_path: Path) -> None:
    # The port stays bound (not listening) during the call: a connection is refused, and no other
    # process can take the port meanwhile (a closed probe socket would race them).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        done = cli("plan", str(inventory_file(tmp_path)), "--jenkins", f"http://127.0.0.1:{port}/")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"cannot reach Jenkins at http://127.0.0.1:{port}/" in done.stderr


class _NotJenkins(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"hello": "world"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_url_that_is_not_jenkins_is_refused(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotJenkins)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = RemoteJenkins(f"http://127.0.0.1:{server.server_address[1]}/", backoff=0.01)
        with pytest.raises(TargetError, match="does not look like Jenkins"):
            sync(inventory_file(tmp_path), target)
    finally:
        server.shutdown()
        server.server_close()


def test_a_root_view_is_created_then_left_alone(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    path.write_text(path.read_text().replace("  folder: docker\n", "  view: Docker images\n"))
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    assert "Docker images" in jenkins.views()
    assert "portal" in jenkins.views()["Docker images"]
    plan, _ = sync(path, remote(jenkins))
    assert not plan.has_changes


# -- the JENKINS_HOME target ------------------------------------------------------------------------

def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(home)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(home.rglob("*")) if p.is_file()}


def test_jenkins_home_first_sync_then_nothing_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = inventory_file(tmp_path)
    plan, result = sync(path, JenkinsHome(home))
    assert result.ok and len(result.create) == 6
    assert (home / "jobs" / "docker" / "config.xml").is_file()
    assert (home / "jobs" / "docker" / "jobs" / "portal" / "config.xml").is_file()
    before = snapshot(home)
    plan, result = sync(path, JenkinsHome(home))
    assert not plan.has_changes and len(result.unchanged) == 6
    assert snapshot(home) == before  # not even rewritten
    assert not [p for p in home.rglob("*") if p.name.endswith(".tmp")]


def test_jenkins_home_nested_folders_and_prune(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = inventory_file(tmp_path, folder="ops/docker")
    sync(path, JenkinsHome(home))
    assert (home / "jobs" / "ops" / "jobs" / "docker" / "jobs" / "acme-web" / "config.xml").is_file()
    hand = home / "jobs" / "ops" / "jobs" / "docker" / "jobs" / "hand-made"
    hand.mkdir()
    (hand / "config.xml").write_text("<project><description>mine</description></project>")
    path.write_text(SMALL.format(folder="ops/docker", job_type="freestyle", extra=""))
    plan, result = sync(path, JenkinsHome(home), prune=True)
    assert result.delete == ["ops/docker/shop"]
    assert hand.is_dir() and not (hand.parent / "shop").exists()


def test_jenkins_home_drift_is_repaired(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = inventory_file(tmp_path)
    sync(path, JenkinsHome(home))
    config = home / "jobs" / "docker" / "jobs" / "acme-base" / "config.xml"
    config.write_text(config.read_text().replace("<concurrentBuild>false", "<concurrentBuild>true"))
    plan, result = sync(path, JenkinsHome(home))
    assert result.update == ["docker/acme-base"]
    assert "<concurrentBuild>false" in config.read_text()


# -- through the command line -----------------------------------------------------------------------

def test_cli_plan_detailed_exitcode_and_sync_json(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    env = env_for(jenkins)
    pending = cli("plan", str(path), "--detailed-exitcode", env=env)
    assert pending.returncode == 2, pending.stderr
    assert "+ create docker/portal" in pending.stdout and "6 to create" in pending.stdout
    done = cli("sync", str(path), "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) >= {"create", "update", "delete", "unchanged", "failed"}
    assert "docker/portal" in document["create"] and document["failed"] == []
    clean = cli("plan", str(path), "--detailed-exitcode", "--format", "json", env=env)
    assert clean.returncode == 0
    assert json.loads(clean.stdout)["create"] == []


def test_cli_sync_exits_1_and_names_the_failed_job(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    jenkins.put_folder("docker")
    jenkins.put_job("docker/shop", "<project><description>not ours</description></project>")
    env = env_for(jenkins)
    done = cli("sync", str(path), env=env)
    assert done.returncode == 1
    assert "failed docker/shop" in done.stderr and "not managed" in done.stderr


def test_the_token_never_appears_in_output_or_logs(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    token_file = tmp_path / "token"
    token_file.write_text("admin-token\n")
    done = cli("-vv", "sync", str(path), "--jenkins", jenkins.url, "--user", "admin", "--token-file", str(token_file))
    assert done.returncode == 0, done.stderr
    assert "admin-token" not in done.stdout + done.stderr
    bad = cli("-vv", "sync", str(path), "--jenkins", jenkins.url, env={"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "wrong-secret-123"})
    assert bad.returncode == 1 and "refused the credentials" in bad.stderr
    assert "wrong-secret-123" not in bad.stdout + bad.stderr


def test_cli_rebuild_queues_the_jobs_of_the_images(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    env = env_for(jenkins)
    assert cli("sync", str(path), env=env).returncode == 0
    done = cli("rebuild", str(path), "acme/base", env=env)
    assert done.returncode == 0, done.stderr
    assert jenkins.queue() == ["docker/acme-base"]
    assert "queued docker/acme-base" in done.stdout


def test_cli_sync_of_the_example_into_a_jenkins_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = cli("sync", str(IIIEPE), "--jenkins-home", str(home))
    assert first.returncode == 0, first.stderr
    assert re.search(r"Synced .*: 16 created", first.stdout), first.stdout
    assert "+ created docker/website\n" in first.stdout
    second = cli("sync", str(IIIEPE), "--jenkins-home", str(home), "--format", "json")
    assert json.loads(second.stdout)["create"] == [] and json.loads(second.stdout)["update"] == []


def test_no_permission_is_one_clear_error(tmp_path: Path, jenkins: FakeJenkins) -> None:
    anonymous = RemoteJenkins(jenkins.url, None, backoff=0.01)
    with pytest.raises(TargetError, match="403"):
        sync(inventory_file(tmp_path), anonymous)


def test_a_request_that_times_out_is_retried(tmp_path: Path, jenkins: FakeJenkins) -> None:
    jenkins.put_folder("docker")
    jenkins.inject_fault(method="POST", path="createItem", delay=1.0, times=1)
    target = RemoteJenkins(jenkins.url, Credentials("admin", "admin-token"), backoff=0.01, timeout=0.3)
    plan, result = sync(inventory_file(tmp_path), target, workers=1)
    assert result.ok, result.failed
    assert len(result.create) == 5


def test_jobs_of_a_folder_that_could_not_be_created_fail_with_the_reason(tmp_path: Path, jenkins: FakeJenkins) -> None:
    jenkins.inject_fault(method="POST", path="^/createItem$", status=500, body="java.io.IOException: disk full", times=1)
    plan, result = sync(inventory_file(tmp_path), remote(jenkins))
    failed = {f.job: f.error for f in result.failed}
    assert "disk full" in failed["docker"]
    assert failed["docker/portal"] == "not written: its folder docker could not be written"
    assert len(failed) == 6 and result.create == []
    plan, result = sync(inventory_file(tmp_path), remote(jenkins))
    assert result.ok and len(result.create) == 6


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl program."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return cert, key


def test_tls_is_verified_and_a_ca_bundle_makes_a_private_ca_trusted(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    import ssl

    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FakeJenkins(tokens={"admin": "admin-token"}, tls=context) as fake:
        assert fake.url.startswith("https://")
        env = env_for(fake)
        path = inventory_file(tmp_path)
        refused = cli("sync", str(path), env=env)
        assert refused.returncode == 1
        assert "TLS with" in refused.stderr and "--ca-bundle" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert fake.job_names() == []
        trusted = cli("sync", str(path), "--ca-bundle", str(cert), env=env)
        assert trusted.returncode == 0, trusted.stderr
        assert "docker/portal" in fake.job_names()


def _sync_with_stderr_on_a_terminal(path: Path, fake: FakeJenkins, *extra: str) -> tuple[int, str, str]:
    """Run sync with stderr on a pseudo-terminal (as in a shell) and stdout on a pipe."""
    import pty

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    env.update({"JENKINS_URL": fake.url, "JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token",
                "JENKINS_WEBHOOK_TOKEN": "hook-token"})  # else the missing-token warning is on the terminal too
    process = subprocess.Popen([sys.executable, "-m", "jenkins_docker", "sync", str(path), *extra],
                               stdout=subprocess.PIPE, stderr=slave, env=env, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not data:
            break
        chunks.append(data)
    stdout = process.stdout.read() if process.stdout else ""
    os.close(master)
    return process.wait(timeout=60), stdout, b"".join(chunks).decode("utf-8", "replace")


def test_progress_is_shown_on_a_terminal_but_not_with_json(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    code, stdout, terminal = _sync_with_stderr_on_a_terminal(path, jenkins)
    assert code == 0
    assert "writing [" in terminal and "6/6" in terminal
    assert "writing [" not in stdout
    path.write_text(path.read_text().replace("./deploy.sh portal", "./deploy.sh portal --fast"))
    code, stdout, terminal = _sync_with_stderr_on_a_terminal(path, jenkins, "--format", "json")
    assert code == 0 and json.loads(stdout)["update"] == ["docker/portal-deploy"]
    assert "[" not in terminal and "reading" not in terminal and "writing" not in terminal


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path, jenkins: FakeJenkins) -> None:
    env = env_for(jenkins)
    done = cli("sync", str(inventory_file(tmp_path)), env=env)
    assert done.returncode == 0 and "writing" not in done.stderr and "reading" not in done.stderr


def test_ctrl_c_stops_a_sync_between_writes_and_a_rerun_converges(tmp_path: Path) -> None:
    import signal
    import time

    from strategies import large_plan

    path = large_plan(200).write(tmp_path)
    with FakeJenkins(tokens={"admin": "admin-token"}, latency=0.05) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
        env.update(env_for(fake))
        process = subprocess.Popen([sys.executable, "-m", "jenkins_docker", "sync", str(path), "--workers", "2"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        # Wait for the event "10 jobs written" however long a busy machine takes (no deadline to race).
        while fake.count(method="POST") < 10 and process.poll() is None:
            time.sleep(0.05)
        assert process.poll() is None, "the sync ended before 10 writes: nothing to interrupt"
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
        _, stderr = process.communicate()
        assert code == 130 and "interrupted" in stderr
        written = fake.count(method="POST")
        assert 10 <= written < 100  # stopped early, not after writing the remaining jobs
        time.sleep(0.3)
        assert fake.count(method="POST") == written  # nothing keeps writing after the exit
        fake.latency = 0.0
        plan, result = sync(path, remote(fake))
        assert result.ok and len(result.create) + len(result.unchanged) == 201
        assert not sync(path, remote(fake))[0].has_changes


def test_cli_rebuild_of_a_pipeline_job_passes_its_cascade_parameter(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path, job_type="pipeline")
    env = env_for(jenkins)
    assert cli("sync", str(path), env=env).returncode == 0
    # Jenkins refuses a plain `build` of a parameterized job (it wants the form):
    refused = RemoteJenkins(jenkins.url, Credentials("admin", "admin-token"), backoff=0.01)
    with pytest.raises(TargetError, match="expects a form submission"):
        refused.build("docker/acme-base")
    done = cli("rebuild", str(path), "acme/base", env=env)
    assert done.returncode == 0, done.stderr
    assert jenkins.queue() == ["docker/acme-base"]
    assert any(r.path.endswith("/buildWithParameters") and r.query == "CASCADE=true" for r in jenkins.requests)


# -- the view inside a folder, on a live Jenkins ---------------------------------------------------

def view_jobs(fake: FakeJenkins, name: str) -> list[str]:
    import xml.etree.ElementTree as ET

    xml = fake.views()[name]
    root = ET.fromstring(xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml)
    return [s.text or "" for s in root.findall("jobNames/string")]


def test_a_view_inside_the_folder_is_created_and_kept_in_sync_on_a_live_jenkins(tmp_path: Path, jenkins: FakeJenkins) -> None:
    path = inventory_file(tmp_path)
    path.write_text(path.read_text().replace("  folder: docker\n", "  folder: docker\n  view: Docker images\n"), encoding="utf-8")
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    assert "docker/Docker images" in jenkins.views()
    assert view_jobs(jenkins, "docker/Docker images") == ["acme-base", "acme-web", "portal", "portal-deploy", "shop"]
    # a new app joins the view on the next sync
    path.write_text(path.read_text() + BLOG_APP, encoding="utf-8")
    plan, result = sync(path, remote(jenkins))
    assert result.ok, result.failed
    assert "blog" in view_jobs(jenkins, "docker/Docker images")
    # an app that leaves (with --prune) leaves the view
    path.write_text(path.read_text().replace(EXTRA_APP, ""), encoding="utf-8")
    plan, result = sync(path, remote(jenkins), prune=True)
    assert result.ok and result.delete == ["docker/shop"]
    assert view_jobs(jenkins, "docker/Docker images") == ["acme-base", "acme-web", "blog", "portal", "portal-deploy"]
    # a view edited by hand in the UI is drift that sync repairs, then nothing is left to do
    folder = jenkins.get_config("docker")
    jenkins.put_folder("docker", folder.replace("<string>blog</string>", ""))
    assert "blog" not in view_jobs(jenkins, "docker/Docker images")
    plan, result = sync(path, remote(jenkins))
    assert result.ok and "docker" in result.update
    assert "blog" in view_jobs(jenkins, "docker/Docker images")
    assert not sync(path, remote(jenkins))[0].has_changes
