"""Line tracing for ``tools/mutate.py``'s coverage pass, in every Python process of the test run.

Active only when ``MUTATE_TRACE_DIR`` is set (the mutation tool puts this directory on
``PYTHONPATH`` for its coverage pass, never otherwise). Records which lines of the files named in
``MUTATE_TRACE_FILES`` run, per test (``MUTATE_TEST_ID``, set by the pytest plugin
``mutate_trace`` and inherited by the CLI processes a test starts), and writes them to
``MUTATE_TRACE_DIR/<pid>.json`` when the process exits.
"""
from __future__ import annotations

import os

if os.environ.get("MUTATE_TRACE_DIR"):
    import atexit
    import json
    import sys
    import threading

    _FILES = frozenset(os.environ.get("MUTATE_TRACE_FILES", "").split(os.pathsep)) - {""}
    _LINES: dict[str, dict[str, set[int]]] = {}   # test id -> file -> lines
    _STATE = {"test": os.environ.get("MUTATE_TEST_ID", "")}

    def _local(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "line":
            _LINES.setdefault(_STATE["test"], {}).setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
        return _local

    def _global(frame, event, arg):  # type: ignore[no-untyped-def]
        if frame.f_code.co_filename in _FILES:
            _LINES.setdefault(_STATE["test"], {}).setdefault(frame.f_code.co_filename, set()).add(frame.f_lineno)
            return _local
        return None

    def set_test(test_id: str) -> None:
        """Attribute the lines run from now on to ``test_id`` (called by the pytest plugin)."""
        _STATE["test"] = test_id
        os.environ["MUTATE_TEST_ID"] = test_id

    def _dump() -> None:
        out = {test: {name: sorted(lines) for name, lines in files.items()} for test, files in _LINES.items()}
        path = os.path.join(os.environ["MUTATE_TRACE_DIR"], f"{os.getpid()}.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(out, handle)

    sys.settrace(_global)
    threading.settrace(_global)
    atexit.register(_dump)
    sys.modules["mutate_tracer"] = sys.modules[__name__]
