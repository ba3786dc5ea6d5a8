"""The fake Jenkins as a program: try jenkins-docker without a Jenkins.

    python -m jenkins_docker.testing.fake_jenkins --port 8080

prints the URL, the user and the API token to use (as ``export`` lines for a shell), then serves
until Ctrl-C or SIGTERM. Everything lives in memory: jobs, folders, views, the build queue
(nothing ever builds: queued items stay queued). It listens on 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from typing import Any

from jenkins_docker.testing.fake_jenkins import FakeJenkins

#: The one account of the program (a demo: the token is not a secret of anything).
USER = "admin"
TOKEN = "admin-token"
PASSWORD = "admin-password"


def main(argv: list[str] | None = None) -> int:
    """Serve a fake Jenkins on ``--port`` until interrupted; the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m jenkins_docker.testing.fake_jenkins",
        description="A fake Jenkins on 127.0.0.1, in memory, for trying jenkins-docker plan/sync/rebuild without a Jenkins.",
        epilog="Example: python -m jenkins_docker.testing.fake_jenkins --port 8080, then, in another terminal, "
               "the export lines it prints and: jenkins-docker sync examples/iiiepe/inventory.yml")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 picks a free one)")
    args = parser.parse_args(argv)
    server = FakeJenkins(users={USER: PASSWORD}, tokens={USER: TOKEN})
    try:
        server.start(port=args.port)
    except OSError as exc:
        why = "it is in use" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc)
        print(f"fake Jenkins: cannot listen on 127.0.0.1:{args.port} ({why}); pass --port N (0 picks a free port)", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    print(f"Fake Jenkins serving at {server.url} (user {USER}, API token {TOKEN}); Ctrl-C stops it.\n"
          f"export JENKINS_URL={server.url}\nexport JENKINS_USER={USER}\nexport JENKINS_API_TOKEN={TOKEN}", flush=True)
    stop.wait()
    server.stop()
    print("fake Jenkins stopped", file=sys.stderr)
    return 0
