#!/usr/bin/env python3
"""Mutation testing of the modules that decide what sync writes, deletes and reports.

    python tools/mutate.py [MODULE ...] [--workers 2] [--only LINE]      (``make mutate``)

For each module (default: all of :data:`MODULES`) this makes small changes ("mutants") to the
source, one at a time, with an ast-based mutator: comparison flips, ``and``/``or`` swaps,
negated conditions, constants changed (``True``/``False``, ``0``/``1``, strings emptied),
statements removed (calls such as ``.sort()``, ``continue``, ``raise``), ``return`` values dropped,
arithmetic swapped, ``sorted()``/``any()``/``min()`` replaced, slice bounds dropped. Each mutant
must make at least one of the module's tests fail ("killed"); one that hangs past its timeout
counts as killed too ("timeout"). A surviving mutant is a behaviour no test pins down.

How it stays fast: a first pass runs the module's test files once with a line tracer (also in the
CLI processes the tests start) and records which tests run which lines. Each mutant then runs
only the tests that execute its statement, quickest first, with ``-x``, in a private copy of the
source tree (one per worker, at most ``--workers`` at a time). A mutant on a line no test runs
survives without a run ("no test runs it").

Results: ``build/mutation/<module>.json`` (machine-readable, gitignored) and ``docs/mutation.md``
(score per module, every survivor with its verdict from ``tools/mutation_verdicts.txt``).
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "mutate_site"
OUT = ROOT / "build" / "mutation"
REPORT = ROOT / "docs" / "mutation.md"
VERDICTS = Path(__file__).resolve().parent / "mutation_verdicts.txt"

#: Module -> the test files that cover it. Only these run against the module's mutants.
_DECIDE = ["tests/test_plan.py", "tests/test_apply.py", "tests/test_ownership.py", "tests/test_sync.py", "tests/test_xmlcompare.py",
           "tests/test_ownership_property.py", "tests/test_cli.py", "tests/test_api_example.py",
           "tests/test_interrupt.py", "tests/test_fast.py"]
MODULES: dict[str, list[str]] = {
    "jenkins_docker/ownership.py": _DECIDE,
    "jenkins_docker/sync/plan.py": _DECIDE,
    "jenkins_docker/sync/apply.py": _DECIDE,
    "jenkins_docker/sync/xmlcompare.py": _DECIDE,
    # The one pool (Ctrl-C starts no new write) and the one call per pipeline (the scope a plan works in).
    "jenkins_docker/sync/workers.py": ["tests/test_workers.py", "tests/test_interrupt.py", "tests/test_plan.py", "tests/test_apply.py"],
    "jenkins_docker/pipeline.py": ["tests/test_pipeline.py", "tests/test_api_example.py"],
    # What is created, updated and deleted in GitLab; test_secrets.py holds the hooks' safety tests
    # (repositories on another server skipped, redirects and pagination links off the GitLab refused).
    "jenkins_docker/sync/webhooks.py": ["tests/test_webhooks.py", "tests/test_secrets.py"],
    # Where a JENKINS_HOME target and render -o write each config, never half made.
    "jenkins_docker/rendering/files.py": ["tests/test_render.py", "tests/test_pipeline.py", "tests/test_apply.py",
                                          "tests/test_interrupt.py", "tests/test_ownership.py", "tests/test_sync.py"],
    # What sync writes first (an item's `after`) and the rendered configs themselves.
    "jenkins_docker/rendering/renderer.py": ["tests/test_render.py", "tests/test_recipe_templates.py", "tests/test_cascade.py",
                                             "tests/test_apply.py", "tests/test_xstream.py", "tests/test_fast.py"],
}

COPY_IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                                     ".mypy_cache", ".pytest_cache", "demo-out", "out")


# -- mutants ------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    module: str
    index: int
    line: int
    function: str        # enclosing function ("" at module level)
    original: str        # the source of the node before ...
    mutated: str         # ... and after the change
    lines: tuple[int, int]   # the statement whose execution matters (its header for if/for/while/with/try)
    module_level: bool   # runs at import: every test that touches the module may see it
    status: str = ""     # killed | timeout | survived | uncovered
    tests_run: int = 0
    seconds: float = 0.0
    killed_by: str = ""
    verdict: str = ""

    @property
    def key(self) -> str:
        """Stable across line shifts: where and what, not which line."""
        return f"{Path(self.module).name} | {self.function or '<module>'} | {self.original} | {self.mutated}"


_COMPARE_SWAPS: dict[type, type] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_COMPARE_SHIFTS: dict[type, type] = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_BINOP_SWAPS: dict[type, type] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}
_CALL_SWAPS = {"any": "all", "all": "any", "min": "max", "max": "min"}
_LOGGERS = {"log", "logger", "logging"}


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    body: list[ast.AST] = getattr(parent, "body", None) or []
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            and isinstance(parent, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and bool(body) and body[0] is node)


def _is_log_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id in _LOGGERS)


def _alternatives(node: ast.AST, parent: ast.AST | None) -> list[ast.AST]:
    """Every mutated replacement of ``node`` (each one is one mutant)."""
    out: list[ast.AST] = []
    new: Any   # a copy of ``node`` with one change, of the node's own type
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table in (_COMPARE_SWAPS, _COMPARE_SHIFTS):
                if type(op) in table:
                    new = copy.deepcopy(node)
                    new.ops[i] = table[type(op)]()
                    out.append(new)
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append(new)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(copy.deepcopy(node.operand))
    elif isinstance(node, ast.Constant) and not isinstance(parent, ast.JoinedStr):
        value = node.value
        if isinstance(value, bool):
            out.append(ast.Constant(not value))
        elif isinstance(value, int):
            out.extend(ast.Constant(v) for v in ([1] if value == 0 else [0, value + 1] if value == 1 else [0, value + 1]))
        elif isinstance(value, float):
            out.append(ast.Constant(value + 1.0))
        elif isinstance(value, str):
            out.append(ast.Constant("" if value else "XX"))
    elif isinstance(node, ast.JoinedStr):
        out.append(ast.Constant(""))
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
        new = copy.deepcopy(node)
        new.op = _BINOP_SWAPS[type(node.op)]()
        out.append(new)
    elif isinstance(node, ast.AugAssign) and type(node.op) in _BINOP_SWAPS:
        new = copy.deepcopy(node)
        new.op = _BINOP_SWAPS[type(node.op)]()
        out.append(new)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name in _CALL_SWAPS:
            new = copy.deepcopy(node)
            new.func = ast.Name(_CALL_SWAPS[name], ast.Load())
            out.append(new)
        elif name in ("sorted", "reversed") and node.args:
            out.append(ast.Call(ast.Name("list", ast.Load()), [copy.deepcopy(node.args[0])], []))
    elif isinstance(node, ast.Slice):
        for part in ("lower", "upper", "step"):
            if getattr(node, part) is not None:
                new = copy.deepcopy(node)
                setattr(new, part, None)
                out.append(new)
    # Statements.
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not _is_docstring(node, parent):
        out.append(ast.Pass())
    elif isinstance(node, (ast.Continue, ast.Break, ast.Raise)):
        out.append(ast.Pass())
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        out.append(ast.Return(None))
    elif isinstance(node, (ast.If, ast.While)) and not isinstance(node.test, (ast.Compare, ast.UnaryOp)):
        new = copy.deepcopy(node)
        new.test = ast.UnaryOp(ast.Not(), new.test)
        out.append(new)
    elif isinstance(node, ast.IfExp) and not isinstance(node.test, (ast.Compare, ast.UnaryOp)):
        new = copy.deepcopy(node)
        new.test = ast.UnaryOp(ast.Not(), new.test)
        out.append(new)
    elif isinstance(node, ast.comprehension):
        for i, cond in enumerate(node.ifs):
            if not isinstance(cond, (ast.Compare, ast.UnaryOp)):
                new = copy.deepcopy(node)
                new.ifs[i] = ast.UnaryOp(ast.Not(), new.ifs[i])
                out.append(new)
    return out


@dataclass
class _Site:
    node: ast.AST
    parent: ast.AST
    field_name: str
    index: int | None
    function: str
    stmt: ast.stmt
    module_level: bool


def _skip_subtree(node: ast.AST, parent: ast.AST | None) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_docstring(node, parent):
        return True
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
        return True  # only `import *` reads it
    if _is_log_call(node):  # the call itself may go (statement removal); its message text is not mutated
        return True
    # typing only: Literal[...] aliases and TypeVar/Protocol bodies are not behaviour
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Literal":
        return True
    return False


def _sites(tree: ast.Module) -> Iterator[_Site]:
    """Every node that has mutations, in a deterministic order, with where it sits."""
    def walk(node: ast.AST, function: str, stmt: ast.stmt | None, in_function: bool) -> Iterator[_Site]:
        for field_name, value in ast.iter_fields(node):
            if field_name in ("annotation", "returns", "type_comment", "decorator_list"):
                continue
            children = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, child in children:
                if not isinstance(child, ast.AST) or _skip_subtree(child, node):
                    if isinstance(child, ast.AST) and _is_log_call(child) and isinstance(node, ast.Expr):
                        pass
                    continue
                child_stmt = child if isinstance(child, ast.stmt) else stmt
                assert child_stmt is not None
                yield _Site(child, node, field_name, index, function, child_stmt, not in_function)
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield from walk(child, f"{function}.{child.name}" if function else child.name, child_stmt, True)
                elif isinstance(child, ast.ClassDef):
                    yield from walk(child, f"{function}.{child.name}" if function else child.name, child_stmt, in_function)
                elif isinstance(child, ast.Lambda):
                    yield from walk(child, function, child_stmt, in_function)
                else:
                    yield from walk(child, function, child_stmt, in_function)
    yield from walk(tree, "", None, False)


def _stmt_lines(stmt: ast.stmt) -> tuple[int, int]:
    """The lines whose execution means ``stmt`` ran: the header of a compound statement."""
    body = getattr(stmt, "body", None)
    if isinstance(body, list) and body and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        first = body[0]
        start = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        return start, max(start, first.lineno - 1)
    return stmt.lineno, stmt.end_lineno or stmt.lineno


def _describe(node: ast.AST) -> str:
    text = ast.unparse(node) if not isinstance(node, ast.comprehension) else ast.unparse(node).strip()
    text = " ".join(text.split())
    return text if len(text) <= 110 else text[:107] + "..."


def mutants_of(module: str, source: str) -> list[tuple[Mutant, str]]:
    """Every mutant of ``source`` with its mutated source text."""
    tree = ast.parse(source)
    out: list[tuple[Mutant, str]] = []
    sites = list(_sites(tree))
    for site_number, site in enumerate(sites):
        alternatives = _alternatives(site.node, site.parent)
        if not alternatives:
            continue
        for alt_number in range(len(alternatives)):
            fresh = ast.parse(source)
            fresh_site = list(_sites(fresh))[site_number]
            replacement = _alternatives(fresh_site.node, fresh_site.parent)[alt_number]
            ast.copy_location(replacement, fresh_site.node)
            if fresh_site.index is None:
                setattr(fresh_site.parent, fresh_site.field_name, replacement)
            else:
                getattr(fresh_site.parent, fresh_site.field_name)[fresh_site.index] = replacement
            ast.fix_missing_locations(fresh)
            try:
                text = ast.unparse(fresh)
                compile(text, module, "exec")
            except (SyntaxError, ValueError):
                continue
            if isinstance(site.node, (ast.If, ast.While)):
                original, mutated = _describe(site.node.test), _describe(replacement.test)  # type: ignore[attr-defined]
            elif isinstance(site.node, ast.stmt) and isinstance(replacement, (ast.Pass, ast.Return)):
                original = _describe(site.node).splitlines()[0]
                mutated = "pass (removed)" if isinstance(replacement, ast.Pass) else "return None"
            else:
                original, mutated = _describe(site.node), _describe(replacement)
            lines = _stmt_lines(site.stmt)
            out.append((Mutant(module, len(out), getattr(site.node, "lineno", site.stmt.lineno), site.function,
                               original, mutated, lines, site.module_level), text))
    return out


# -- running ------------------------------------------------------------------------------------------

def make_copy(dest: Path) -> Path:
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE, symlinks=True)
    return dest


def base_env(workdir: Path, extra_path: list[Path] = ()) -> dict[str, str]:  # type: ignore[assignment]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JENKINS_", "GITLAB_", "PYTEST_", "MUTATE_"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in [workdir, *extra_path])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


CACHE = OUT / "coverage-cache.json"


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def cached_coverage_pass(modules: list[str], tests: list[str], workdir: Path) -> tuple[dict[str, dict[str, set[int]]], dict[str, float], list[str]]:
    """:func:`coverage_pass`, re-tracing only the test files that changed since the last run
    (or all of them when any source file of the package changed)."""
    source = _digest(*sorted((workdir / "jenkins_docker").rglob("*.py")), *sorted((workdir / "job_templates").glob("*")))
    cache = json.loads(CACHE.read_text(encoding="utf-8")) if CACHE.exists() else {}
    files = cache.get("files", {}) if cache.get("source") == source else {}
    stale = [t for t in tests if t not in files or files[t]["hash"] != _digest(workdir / t) or not set(modules) <= set(files[t]["lines"])]
    if stale:
        # trace every known module at once (tracing costs little more), so one pass serves them all
        traced = sorted(set(modules) | {m for m in MODULES if (ROOT / m).exists()})
        lines, durations, failing = coverage_pass(traced, stale, workdir)
        for t in stale:
            def mine(name: str, t: str = t) -> bool:   # t bound now: used within this iteration
                return name.split("::")[0] == t

            files[t] = {"hash": _digest(workdir / t),
                        "lines": {m: {k: sorted(v) for k, v in lines[m].items() if mine(k)} for m in traced},
                        "durations": {k: v for k, v in durations.items() if mine(k)},
                        "failing": [k for k in failing if mine(k)]}
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps({"source": source, "files": files}), encoding="utf-8")
    out_lines: dict[str, dict[str, set[int]]] = {m: {} for m in modules}
    out_durations: dict[str, float] = {}
    out_failing: list[str] = []
    for t in tests:
        for m in modules:
            for k, v in files[t]["lines"][m].items():
                out_lines[m][k] = set(v)
        out_durations.update(files[t]["durations"])
        out_failing.extend(files[t]["failing"])
    return out_lines, out_durations, out_failing


def coverage_pass(modules: list[str], tests: list[str], workdir: Path) -> tuple[dict[str, dict[str, set[int]]], dict[str, float], list[str]]:
    """Run ``tests`` once, unmutated, tracing every module at once.

    Returns module -> test -> the module's lines that test runs, test -> seconds, failing tests."""
    trace_dir = Path(tempfile.mkdtemp(prefix="trace-", dir=workdir.parent))
    targets = {str(workdir / m): m for m in modules}
    env = base_env(workdir, [SITE])
    env.update(MUTATE_TRACE_DIR=str(trace_dir), MUTATE_TRACE_FILES=os.pathsep.join(targets))
    cmd = ["nice", "-n", "5", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mutate_trace", *tests]
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    results = json.loads((trace_dir / "results.json").read_text()) if (trace_dir / "results.json").exists() else {}
    failing = sorted(t for t, r in results.items() if r["outcome"] == "failed")
    if done.returncode not in (0, 1) or not results:
        raise SystemExit(f"the coverage pass could not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    lines: dict[str, dict[str, set[int]]] = {m: {} for m in modules}
    for dump in trace_dir.glob("*.json"):
        if dump.name == "results.json":
            continue
        for test, files in json.loads(dump.read_text()).items():
            for path, numbers in files.items():
                if test and path in targets:
                    lines[targets[path]].setdefault(test, set()).update(numbers)
    shutil.rmtree(trace_dir, ignore_errors=True)
    durations = {t: r["duration"] for t, r in results.items() if r["outcome"] == "passed"}
    return lines, durations, failing


class Worker:
    """A private copy of the source tree and a fork server running pytest in it (mutate_server.py)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process = subprocess.Popen(["nice", "-n", "5", sys.executable, str(SITE / "mutate_server.py")], cwd=workdir,
                                        env=base_env(workdir), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def pytest(self, args: list[str], timeout: float) -> tuple[str, str]:
        """Run pytest with ``args`` in a fresh fork; returns (passed|failed|timeout, its output)."""
        out = self.workdir.parent / f"{self.workdir.name}.out"
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "out": str(out), "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        return reply["status"], out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()


def run_mutant(mutant: Mutant, text: str, worker: Worker, tests: list[str], timeout: float) -> None:
    path = worker.workdir / mutant.module
    original = path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    try:
        status, output = worker.pytest(["-x", "-q", "-p", "no:cacheprovider", *tests], timeout)
    finally:
        path.write_text(original, encoding="utf-8")
    if status == "timeout":
        mutant.status = "timeout"
        mutant.killed_by = f"no result after {timeout:.0f} s"
    elif status == "passed":
        mutant.status = "survived"
    else:
        mutant.status = "killed"
        failed = [line.split(" ", 1)[1].split(" - ")[0] for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
        mutant.killed_by = failed[0] if failed else "pytest failed (collection or import error)"
    mutant.tests_run = len(tests)
    mutant.seconds = round(time.monotonic() - started, 2)


def load_verdicts() -> dict[str, str]:
    verdicts: dict[str, str] = {}
    if VERDICTS.exists():
        for line in VERDICTS.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, _, verdict = line.rpartition(" || ")
            verdicts[key.strip()] = verdict.strip()
    return verdicts


def mutate_module(module: str, tests: list[str], coverage: dict[str, set[int]], durations: dict[str, float],
                  workers: list[Worker], only: set[int] | None, log: Callable[[str], None]) -> dict[str, Any]:
    # Everything from the copy made when the run started: the worktree may change meanwhile.
    copy = workers[0].workdir
    source = (copy / module).read_text(encoding="utf-8")
    started = time.monotonic()
    tests = [t for t in tests if (copy / t).exists()]
    lines_by_test = {t: lines for t, lines in coverage.items() if t.split("::")[0] in tests and t in durations}
    covering = set(lines_by_test)
    mutants = mutants_of(module, source)
    if only:
        mutants = [(m, t) for m, t in mutants if m.line in only]
    log(f"{module}: {len(mutants)} mutants, {len(covering)} tests run it")
    verdicts = load_verdicts()
    free: queue.Queue[Worker] = queue.Queue()
    for w in workers:
        free.put(w)
    done_count = [0]
    finished: list[Mutant] = []
    lock = threading.Lock()

    def one(item: tuple[Mutant, str]) -> Mutant:
        mutant, text = item
        first, last = mutant.lines
        if mutant.module_level:
            selected = sorted(covering)
        else:
            selected = [t for t in covering if any(first <= n <= last for n in lines_by_test[t])]
        if not selected:
            mutant.status = "uncovered"
        else:
            selected.sort(key=lambda t: (durations[t], t))
            timeout = 30 + 4 * sum(durations[t] for t in selected)
            worker = free.get()
            try:
                run_mutant(mutant, text, worker, selected, timeout)
            finally:
                free.put(worker)
        mutant.verdict = verdicts.get(mutant.key, "")
        with lock:
            done_count[0] += 1
            finished.append(mutant)
            partial = OUT / (Path(module).stem + ".partial.json")
            partial.write_text(json.dumps([asdict(m) | {"key": m.key} for m in finished], indent=1), encoding="utf-8")
            if mutant.status in ("survived", "uncovered"):
                log(f"  [{done_count[0]}/{len(mutants)}] {mutant.status}: {module}:{mutant.line} {mutant.original!r} -> {mutant.mutated!r}")
        return mutant

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        results = list(pool.map(one, mutants))
    killed = sum(m.status in ("killed", "timeout") for m in results)
    return {
        "module": module,
        "commit": RUN_COMMIT[0] or _commit(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "tests": tests,
        "unused_failing_tests": [t for t in coverage if t not in durations],
        "seconds": round(time.monotonic() - started, 1),
        "mutants": len(results),
        "killed": killed,
        "timeout": sum(m.status == "timeout" for m in results),
        "survived": sum(m.status == "survived" for m in results),
        "uncovered": sum(m.status == "uncovered" for m in results),
        "score": round(100 * killed / len(results), 1) if results else 100.0,
        "results": [asdict(m) | {"key": m.key} for m in results],
    }


def _by_place(results: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Each mutant by line, change and which of the same change on that line it is (a line may
    hold the same change twice: ``'update'`` emptied as a key and as a value)."""
    seen: dict[tuple[Any, ...], int] = {}
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for m in results:
        place = (m["line"], m["original"], m["mutated"])
        out[(*place, seen.get(place, 0))] = m
        seen[place] = seen.get(place, 0) + 1
    return out


def merge_rerun(previous: dict[str, Any], rerun: dict[str, Any]) -> dict[str, Any]:
    """The full results with the mutants of a partial re-run (``--only``) replaced by their new outcome."""
    fresh = _by_place(rerun["results"])
    results = [fresh.pop(place, m) for place, m in _by_place(previous["results"]).items()]
    results.extend(fresh.values())
    killed = sum(m["status"] in ("killed", "timeout") for m in results)
    # The full run's commit stays; each re-run is recorded with its own (the report says which is which).
    again = {"commit": rerun["commit"], "date": rerun["date"], "lines": sorted({m["line"] for m in rerun["results"]}),
             "mutants": len(rerun["results"]), "killed": rerun["killed"], "tests": rerun["tests"]}
    return previous | {
        "reruns": [*previous.get("reruns", []), again], "results": results, "mutants": len(results), "killed": killed,
        "timeout": sum(m["status"] == "timeout" for m in results),
        "survived": sum(m["status"] == "survived" for m in results),
        "uncovered": sum(m["status"] == "uncovered" for m in results),
        "score": round(100 * killed / len(results), 1) if results else 100.0,
        "seconds": previous["seconds"], "rerun_seconds": rerun["seconds"],
    }


def _commit() -> str:
    """HEAD, with " + uncommitted changes" when the package, templates, tests or tools differ from it."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "jenkins_docker", "job_templates", "tests", "tools"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" + uncommitted changes" if dirty else "")


#: The commit measured (taken when the source is copied, before any mutant runs).
RUN_COMMIT: list[str] = [""]


# -- report -------------------------------------------------------------------------------------------

def write_report(reports: list[dict[str, Any]], intro: str) -> None:
    verdicts = load_verdicts()
    for r in reports:
        for m in r["results"]:
            m["verdict"] = verdicts.get(m["key"], "")
    out = [intro, "", "| module | mutants | killed | of which timeout | survived | no test runs it | score | time |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in reports:
        partial = f" (partial: {r['mutants']} of {r['partial_of']} run)" if r.get("partial_of") else ""
        partial += " (full run + re-runs, see below)" if r.get("reruns") else ""
        out.append(f"| `{r['module']}`{partial} | {r['mutants']} | {r['killed']} | {r['timeout']} | {r['survived']} | {r['uncovered']} "
                   f"| **{r['score']} %** | {r['seconds']:.0f} s |")
    out.append("")
    for r in reports:
        survivors = [m for m in r["results"] if m["status"] in ("survived", "uncovered")]
        out.append(f"## `{r['module']}`: {len(survivors)} surviving (commit {r['commit']}, {r['date']})")
        out.append("")
        for again in r.get("reruns", []):
            lines = ", ".join(str(n) for n in again["lines"])
            out.append(f"Not all from one run: the {again['mutants']} mutants on line(s) {lines} were re-run alone at commit "
                       f"{again['commit']} ({again['date']}) with {', '.join(Path(t).name for t in again['tests'])}: "
                       f"{again['killed']} killed. The table counts their new outcome.")
            out.append("")
        out.append("Tests used: " + ", ".join(f"`{Path(t).name}`" for t in r["tests"]) + ".")
        out.append("")
        if not survivors:
            out.append("Every mutant is killed.")
        else:
            out.append("| line | change | status | verdict |")
            out.append("|---:|---|---|---|")
            for m in survivors:
                change = f"`{m['original']}` → `{m['mutated']}`".replace("|", "\\|")
                where = f" (in `{m['function']}`)" if m["function"] else ""
                status = "no test runs it" if m["status"] == "uncovered" else "survived"
                out.append(f"| {m['line']} | {change}{where} | {status} | {(m['verdict'] or 'not judged yet').replace('|', '/')} |")
        out.append("")
    REPORT.write_text("\n".join(out), encoding="utf-8")


INTRO = """\
# Mutation testing

`make mutate` (tools/mutate.py) changes the modules that decide what `sync` writes, deletes and
reports, one small change at a time, and runs the tests that execute the changed line against each
change. A change that no test notices ("survived") is a behaviour no test pins down. Each survivor
below carries a verdict: *equivalent* (the program behaves the same: no test can fail),
*harmless* (only a log line, a speed-up or an internal detail changes; nothing written, deleted or
reported differs), or *needs a test*. Verdicts live in tools/mutation_verdicts.txt.

Score = killed (including timeouts: a mutant that hangs a test is caught) / all mutants. This file
is written by `make mutate`; the JSON with every mutant is in build/mutation/."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="modules to mutate, e.g. jenkins_docker/sync/plan.py (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--only", type=int, action="append", help="only mutants on this line (repeatable; for a quick check)")
    parser.add_argument("--tests", action="append", help="only these test files (repeatable; for a quick check)")
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--report", action="store_true", help="only rewrite docs/mutation.md from the last results (after editing verdicts)")
    args = parser.parse_args(argv)
    known = {m: t for m, t in MODULES.items() if (ROOT / m).exists()}
    modules = args.modules or list(known)
    if args.tests:
        known = {m: [t for t in tests if t in args.tests] for m, tests in known.items()}
    for m in modules:
        if m not in known:
            parser.error(f"unknown module {m}; known: {', '.join(known)}")
    if args.list:
        for m in modules:
            for mutant, _ in mutants_of(m, (ROOT / m).read_text(encoding="utf-8")):
                print(f"{m}:{mutant.line}: {mutant.original} -> {mutant.mutated}   [{mutant.function}]")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.report:
        modules = []
    with tempfile.TemporaryDirectory(prefix="jd-mutate-") as tmp:
        RUN_COMMIT[0] = _commit()
        copies = [make_copy(Path(tmp) / f"w{i}") for i in range(max(1, args.workers))] if modules else []
        all_tests = sorted({t for m in modules for t in known[m] if (ROOT / t).exists()})
        coverage: dict[str, dict[str, set[int]]] = {}
        durations: dict[str, float] = {}
        if modules:
            coverage, durations, failing = cached_coverage_pass(modules, all_tests, copies[0])
            for test in failing:  # flaky under load or tracing: not used to judge mutants (conservative)
                print(f"warning: {test} failed without any mutation; it judges no mutant", flush=True)
            print(f"coverage pass: {len(durations)} tests in {time.monotonic() - started:.0f} s", flush=True)
        workers = [Worker(copy) for copy in copies]
        for module in modules:
            report = mutate_module(module, known[module], coverage[module], durations, workers,
                                   set(args.only) if args.only else None, lambda s: print(s, flush=True))
            print(f"{module}: {report['score']} % killed ({report['killed']}/{report['mutants']}, "
                  f"{report['timeout']} by timeout), {report['seconds']:.0f} s", flush=True)
            path = OUT / (Path(module).stem + ".json")
            if args.only and path.exists():
                report = merge_rerun(json.loads(path.read_text(encoding="utf-8")), report)
                print(f"{module} with the re-run merged: {report['score']} % killed", flush=True)
            if not args.only or path.exists():
                path.write_text(json.dumps(report, indent=1), encoding="utf-8")
        for worker in workers if modules else []:
            worker.close()
    # docs/mutation.md from every module measured so far
    reports = []
    for m in known:
        path = OUT / (Path(m).stem + ".json")
        partial = OUT / (Path(m).stem + ".partial.json")
        if path.exists() and not (partial.exists() and partial.stat().st_mtime > path.stat().st_mtime):
            reports.append(json.loads(path.read_text(encoding="utf-8")))
        elif partial.exists():  # a run stopped before the module was done: what it measured
            results = json.loads(partial.read_text(encoding="utf-8"))
            killed = sum(r["status"] in ("killed", "timeout") for r in results)
            total = len(mutants_of(m, (ROOT / m).read_text(encoding="utf-8")))
            reports.append({"module": m, "commit": _commit(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                            "tests": known[m], "seconds": 0.0, "mutants": len(results), "killed": killed,
                            "timeout": sum(r["status"] == "timeout" for r in results),
                            "survived": sum(r["status"] == "survived" for r in results),
                            "uncovered": sum(r["status"] == "uncovered" for r in results),
                            "score": round(100 * killed / len(results), 1) if results else 0.0,
                            "partial_of": total, "results": results})
    history = Path(__file__).resolve().parent / "mutation_history.md"
    write_report(reports, INTRO + ("\n\n" + history.read_text(encoding="utf-8").strip() if history.exists() else ""))
    print(f"wrote {REPORT.relative_to(ROOT)} and {OUT.relative_to(ROOT)}/*.json in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
