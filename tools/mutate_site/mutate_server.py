"""A fork server for ``tools/mutate.py``: runs pytest once per mutant without paying start-up each time.

Started in a worker's copy of the source tree. It imports pytest and the heavy third-party
libraries once, never ``jenkins_docker`` itself, so every forked run imports the package fresh
from disk, mutated file included. Protocol, one JSON line each way:
``{"args": [...], "out": FILE, "timeout": SECONDS}`` -> ``{"status": "passed|failed|timeout", "code": N}``.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest  # noqa: F401 - imported once, before any fork

for _name in ("hypothesis", "networkx", "jinja2", "yaml", "click", "requests", "jenkins", "jsonschema", "urllib3"):
    try:
        __import__(_name)
    except ImportError:
        pass


def run(args: list[str], out: str, timeout: float) -> dict[str, object]:
    pid = os.fork()
    if pid == 0:  # the child: its own process group, so a timeout kills what it started too
        try:
            os.setsid()
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = pytest.main(args)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(code))
        except BaseException:
            os._exit(70)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return {"status": "passed" if code == 0 else "failed", "code": code}
        if time.monotonic() > deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return {"status": "timeout", "code": -9}
        time.sleep(0.05)


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        reply = run(request["args"], request["out"], float(request["timeout"]))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
