"""pytest plugin for ``tools/mutate.py``'s coverage pass: names the running test for the line
tracer (see ``sitecustomize.py`` next to it) and records each test's outcome and duration."""
from __future__ import annotations

import json
import os
import sys
from typing import Any

_RESULTS: dict[str, dict[str, Any]] = {}


def _tracer() -> Any:
    return sys.modules.get("mutate_tracer")


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    tracer = _tracer()
    if tracer is not None:
        tracer.set_test(nodeid)


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    tracer = _tracer()
    if tracer is not None:
        tracer.set_test("")


def pytest_runtest_logreport(report: Any) -> None:
    entry = _RESULTS.setdefault(report.nodeid, {"duration": 0.0, "outcome": "passed"})
    entry["duration"] += report.duration
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and report.when != "teardown":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("MUTATE_TRACE_DIR")
    if out:
        with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as handle:
            json.dump(_RESULTS, handle)
