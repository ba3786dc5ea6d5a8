"""A Docker engine, registries and git remotes on this machine, for the end-to-end tests.

Everything runs on loopback under one temporary directory, started once per test session and
torn down at its end, whatever happened:

- :class:`DockerEngine`: Debian's ``dockerd`` (package docker.io) with its own data root, exec
  root, pid file and unix socket, the vfs storage driver and no bridge or iptables (nothing on
  the host's network changes). Builds run with no network at all.
- :class:`Registry`: Debian's ``docker-registry`` (the CNCF distribution registry) on
  127.0.0.1 with its own configuration file, storage directory and, unless anonymous, an
  htpasswd file (bcrypt, from ``htpasswd -Bbn``). Docker treats registries on 127.0.0.0/8 as
  insecure, so plain HTTP needs no daemon setting.
- :func:`root_image`: an external root image made without a network, by ``docker import`` of a
  rootfs holding Debian's static busybox.
- :class:`GitRemotes`: bare git repositories, and the git setting (``url.<path>.insteadOf``) that
  makes an inventory's ``git@host:group/repo.git`` URL clone the local one, as Jenkins's git
  would clone the real one.

Readiness is awaited by polling the socket or the HTTP endpoint until it answers (or the process
dies, which fails at once with its log), never by sleeping a fixed time.
"""
from __future__ import annotations

import ctypes
import http.client
import io
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable, Mapping

import requests

from helpers import free_port

#: Debian packages the end-to-end tests run, by the program each provides (.ci/run installs them).
PROGRAMS = {"dockerd": "docker.io", "docker": "docker.io", "docker-registry": "docker-registry",
            "htpasswd": "apache2-utils", "git": "git", "make": "make"}
BUSYBOX = Path("/bin/busybox")          # busybox-static: runs in an image with no libc
READY_TIMEOUT = 60.0                    # an upper bound only: readiness is polled, not waited out


class HarnessError(RuntimeError):
    """A program of the harness is missing, or did not start."""


def missing_programs() -> list[str]:
    """``program (Debian package)`` for each program the e2e tests need that is not installed."""
    out = [f"{program} ({package})" for program, package in PROGRAMS.items() if shutil.which(program) is None]
    if not BUSYBOX.is_file():
        out.append(f"{BUSYBOX} (busybox-static)")
    return out


def wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes] | None, what: str, log: Path | None) -> None:
    """Poll ``ready()`` until it is true; fail at once if ``process`` exits first."""
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready():
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise HarnessError(f"{what} exited with status {process.returncode} before it was ready:\n{tail}")
        if time.monotonic() > deadline:
            raise HarnessError(f"{what} did not answer within {READY_TIMEOUT:.0f}s")
        time.sleep(0.05)


def stop_process(process: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """SIGTERM the process we started (by its pid), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies, even by SIGKILL
    (prctl PR_SET_PDEATHSIG), so no daemon outlives a killed test run."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def start_daemon(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a daemon of the harness in its own session, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_die_with_parent)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=5)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)


class DockerEngine:
    """A private dockerd: ``env`` holds the DOCKER_HOST a client needs to reach it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "docker.sock"
        self.log = root / "dockerd.log"
        self.config = root / "client"       # the harness's own DOCKER_CONFIG (never ~/.docker)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"DOCKER_HOST": f"unix://{self.socket}"}

    def _ping(self) -> bool:
        if not self.socket.exists():
            return False
        connection = _UnixHTTPConnection(str(self.socket))
        try:
            connection.request("GET", "/_ping")
            return connection.getresponse().read() == b"OK"
        except OSError:
            return False
        finally:
            connection.close()

    def start(self) -> None:
        self.config.mkdir(parents=True, exist_ok=True)
        command = ["dockerd", "--storage-driver", "vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
                   "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
                   "--pidfile", str(self.root / "dockerd.pid"), "--host", f"unix://{self.socket}"]
        self.process = start_daemon(command, self.log)
        wait_until(self._ping, self.process, "dockerd", self.log)

    def docker(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run the docker client against this engine."""
        env = {**os.environ, **self.env, "DOCKER_CONFIG": str(self.config)}
        done = subprocess.run(["docker", *args], input=input, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and done.returncode != 0:
            raise HarnessError(f"docker {' '.join(args)}: {done.stderr.decode(errors='replace')}")
        return done

    def read_file(self, image: str, path: str) -> str:
        """The text of ``path`` in ``image``, read by a container with no network (pulls first)."""
        self.docker("pull", "-q", image)
        return self.docker("run", "--rm", "--network", "none", image, "cat", path).stdout.decode()

    def read_files(self, image: str, directory: str) -> dict[str, str]:
        """Every file of ``directory`` in ``image`` (name -> text), read by one container with no network."""
        self.docker("pull", "-q", image)
        script = f'for f in {directory}/*; do printf "%s\\0" "${{f##*/}}"; cat "$f"; printf "\\0"; done'
        out = self.docker("run", "--rm", "--network", "none", image, "sh", "-c", script).stdout.decode()
        fields = out.split("\0")
        return dict(zip(fields[0:-1:2], fields[1::2]))

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        # dockerd stops the containerd it started; unmount anything left under our root.
        with open("/proc/self/mounts") as mounts:
            points = [line.split()[1] for line in mounts if line.split()[1].startswith(str(self.root))]
        for point in sorted(points, reverse=True):
            subprocess.run(["umount", "-l", point], check=False)


class Registry:
    """A docker-registry on 127.0.0.1 with its own storage, and basic auth unless anonymous."""

    def __init__(self, root: Path, name: str, user: str | None = None, password: str | None = None) -> None:
        self.root = root / f"registry-{name}"
        self.name = name
        self.user = user
        self.password = password
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.user, self.password) if self.user and self.password else None

    def _config(self) -> Path:
        # The Debian package's /etc/docker/registry/config.yml listens on every interface and
        # stores in /var/lib: each session writes its own.
        lines = ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:",
                 f"    rootdirectory: {self.root / 'data'}", "  delete:", "    enabled: true",
                 "http:", f"  addr: {self.host}"]
        if self.auth:
            htpasswd = subprocess.run(["htpasswd", "-Bbn", self.user, self.password], check=True,  # type: ignore[list-item]
                                      stdout=subprocess.PIPE).stdout
            (self.root / "htpasswd").write_bytes(htpasswd)
            lines += ["auth:", "  htpasswd:", f"    realm: {self.name}", f"    path: {self.root / 'htpasswd'}"]
        path = self.root / "config.yml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _answers(self) -> bool:
        try:
            return requests.get(f"http://{self.host}/v2/", timeout=2).status_code in (200, 401)
        except requests.ConnectionError:
            return False

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.root / "registry.log"
        for _ in range(5):       # a free port can be taken between our probe and the registry's bind
            self.port = free_port()
            config = self._config()
            self.process = start_daemon(["docker-registry", "serve", str(config)], log)
            try:
                wait_until(self._answers, self.process, f"registry {self.name}", log)
                return
            except HarnessError:
                if "address already in use" not in log.read_text(errors="replace"):
                    raise
        raise HarnessError(f"registry {self.name}: no free port after 5 tries")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    # -- the registry API --------------------------------------------------------------------
    def tags(self, repository: str) -> set[str]:
        """The tags of ``repository`` (empty when the registry has never seen it)."""
        answer = requests.get(f"http://{self.host}/v2/{repository}/tags/list", auth=self.auth, timeout=10)
        if answer.status_code == 404:
            return set()
        answer.raise_for_status()
        return set(answer.json().get("tags") or [])

    def digest(self, repository: str, tag: str) -> str:
        """The manifest digest of ``repository:tag`` (``Docker-Content-Digest``, a HEAD request)."""
        answer = requests.head(f"http://{self.host}/v2/{repository}/manifests/{tag}", auth=self.auth, timeout=10,
                               headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        answer.raise_for_status()
        return answer.headers["Docker-Content-Digest"]


def _rootfs(files: Mapping[str, str]) -> bytes:
    """A tar of a tiny root filesystem: static busybox, its applets as links, and ``files``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        def add_dir(name: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)

        for directory in ("bin", "etc", "tmp", "dev", "proc", "sys"):
            add_dir(directory)
        tar.add(BUSYBOX, "bin/busybox")
        for applet in ("sh", "cat", "echo", "printf", "mkdir", "cp", "ls", "test", "true", "false", "env", "tee"):
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
        for name, text in files.items():
            data = text.encode()
            parent = ""
            for part in name.split("/")[:-1]:
                parent = f"{parent}/{part}" if parent else part
                if parent not in ("etc", "tmp"):
                    add_dir(parent)
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def root_image(engine: DockerEngine, reference: str, files: Mapping[str, str]) -> None:
    """Import a busybox root holding ``files`` as ``reference`` and push it (anonymous registry)."""
    engine.docker("import", "--change", 'CMD ["/bin/sh"]', "-", reference, input=_rootfs(files))
    engine.docker("push", reference)


class GitRemotes:
    """Bare repositories under ``root``, reachable through the URLs an inventory names."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.urls: dict[str, Path] = {}
        self.env = {"GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.org",
                    "GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.org",
                    "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}

    def _git(self, cwd: Path, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **self.env}, check=True, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.strip()

    def push(self, url: str, files: Mapping[str, str], *, branch: str = "master", message: str = "e2e") -> str:
        """Commit ``files`` (the whole tree) on ``branch`` of the repository behind ``url``; the commit."""
        bare = self.urls.get(url)
        if bare is None:
            bare = self.urls[url] = self.root / f"repo{len(self.urls)}.git"
            self._git(self.root, "init", "-q", "--bare", str(bare))
        with tempfile.TemporaryDirectory(dir=self.root) as work:
            tree = Path(work)
            self._git(tree, "init", "-q")
            self._git(tree, "fetch", "-q", str(bare), "+refs/heads/*:refs/remotes/origin/*")
            if self._git(tree, "branch", "-r", "--list", f"origin/{branch}"):
                self._git(tree, "checkout", "-q", "-B", branch, f"origin/{branch}")
                self._git(tree, "rm", "-q", "-r", "--ignore-unmatch", ".")
            else:
                self._git(tree, "checkout", "-q", "-b", branch)
            for name, text in files.items():
                (tree / name).parent.mkdir(parents=True, exist_ok=True)
                (tree / name).write_text(text)
            self._git(tree, "add", "-A")
            self._git(tree, "commit", "-q", "--allow-empty", "-m", message)
            self._git(tree, "push", "-q", str(bare), f"HEAD:refs/heads/{branch}")
            return self._git(tree, "rev-parse", "HEAD")

    def client_env(self) -> dict[str, str]:
        """Git settings for a client: each inventory URL is rewritten to its local repository."""
        env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_COUNT": str(len(self.urls))}
        for index, (url, bare) in enumerate(self.urls.items()):
            env[f"GIT_CONFIG_KEY_{index}"] = f"url.{bare}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{index}"] = url
        return env


class Lab:
    """The session's engine and registries: ``hub`` is anonymous (a public registry: pulls need no
    login), ``a`` and ``b`` are private, each with its own user; ``credentials`` is the Jenkins
    credentials store of the agents, keyed by id."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.engine = DockerEngine(root)
        self.hub = Registry(root, "hub")
        self.a = Registry(root, "a", "alice", "alice-secret-1")
        self.b = Registry(root, "b", "bob", "bob-secret-2")
        self.credentials = {"hub-push": ("anyone", "hub-unused-3"), "push-a": ("alice", "alice-secret-1"),
                            "push-b": ("bob", "bob-secret-2")}
        self.started: list[DockerEngine | Registry] = []

    def start(self) -> None:
        for part in (self.hub, self.a, self.b, self.engine):
            self.started.append(part)
            part.start()
        # The root image must run: a dynamically linked busybox would not, in an image with no libc.
        root_image(self.engine, f"{self.hub.host}/lab/probe:1", {"etc/probe": "ok"})
        if self.engine.read_file(f"{self.hub.host}/lab/probe:1", "/etc/probe") != "ok":
            raise HarnessError(f"{BUSYBOX} does not run in an image: install busybox-static")

    def stop(self) -> None:
        for part in reversed(self.started):
            part.stop()

    def registry(self, host: str) -> Registry:
        return next(r for r in (self.hub, self.a, self.b) if r.host == host)
