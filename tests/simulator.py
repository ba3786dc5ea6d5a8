"""A Jenkins trigger simulator that knows jobs only through their rendered config.xml.

It replays "this job was built" with the semantics of Jenkins's queue and dependency graph, so
tests can check that the *rendered XML* (not the inventory) makes a base-image rebuild cascade
exactly once, in order:

- a discrete-event loop over simulated time, with a build duration per job and N executors;
- the queue: scheduling a job that already has a queue item with the same parameters merges into
  that item, except that an item started by a GitLab push (:meth:`Simulator.push`) never merges
  with one queued by a trigger (its queue actions differ), so the two build separately; items
  start in FIFO order once buildable; an item waits out the quiet period;
- a job never builds twice at once (``concurrentBuild`` false, or
  ``DisableConcurrentBuildsJobProperty``);
- ``blockBuildWhenUpstreamBuilding``: an item waits while any transitive upstream job (from the
  XML's ``hudson.tasks.BuildTrigger`` and parameterized triggers) is building or in the queue,
  blocked items included (Jenkins 2.361 and later);
- ``hudson.tasks.BuildTrigger`` schedules its ``childProjects`` (relative to the folder) without
  parameters when the build's result meets the threshold; the parameterized trigger schedules
  its projects with its predefined parameters (``$BUILD_NUMBER`` expanded), so two of its items
  with different values never merge;
- pipeline jobs: the ``node`` part holds an executor for the build's duration; then, holding no
  executor, the script's deploy triggers fire (``wait: false``) and, if the build's ``CASCADE``
  is true and the script cascades, each wave is scheduled in parallel with the parameters of its
  ``build job:`` line and waited for before the next wave starts. The waves are the build's value
  of the parameter the script reads them from (``def waves = params.WAVES...``: its default
  unless the build was given another), split as Groovy's ``tokenize`` splits; a build whose
  value fails the script's length-and-hashCode guard fails at once: it builds nothing and
  starts nothing.

Every build start and end is recorded in :attr:`Simulator.builds`. Builds succeed, unless a
``runner`` is given: it is called as each build starts and starts it for real (tests/jobrunner.py),
returning a function that waits for it to end and sets its ``result`` and ``env``, called when the
build's simulated time is over; the triggers then follow that result as Jenkins does. Builds whose
simulated times overlap so run at the same time.
"""
from __future__ import annotations

import heapq
import itertools
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

RESULT_ORDINALS = {"SUCCESS": 0, "UNSTABLE": 1, "FAILURE": 2, "NOT_BUILT": 3, "ABORTED": 4}
# The parameterized trigger's conditions, as the worst result each accepts (parameterized-trigger
# plugin, src/main/java/hudson/plugins/parameterizedtrigger/ResultCondition.java).
_CONDITION_WORST = {"SUCCESS": "SUCCESS", "UNSTABLE_OR_BETTER": "UNSTABLE", "FAILED_OR_BETTER": "FAILURE", "ALWAYS": "ABORTED"}
_MACRO = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


# -- Groovy string literals (what the renderer writes: '...' and '''...''') --------------------
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "$": "$", "b": "\b", "f": "\f"}


def groovy_literal(text: str, start: int) -> tuple[str, int]:
    """Decode the single-quoted Groovy string literal at ``text[start]``; returns (value, end)."""
    triple = text.startswith("'''", start)
    quote = "'''" if triple else "'"
    index = start + len(quote)
    out = []
    while True:
        if index >= len(text):
            raise ValueError(f"unterminated Groovy string at {start}")
        if text.startswith(quote, index):
            return "".join(out), index + len(quote)
        char = text[index]
        if char == "\\":
            out.append(_ESCAPES[text[index + 1]])
            index += 2
            continue
        if char == "\n" and not triple:
            raise ValueError(f"line break in a one-line Groovy string at {start}")
        out.append(char)
        index += 1


def groovy_strings(text: str) -> list[str]:
    """Every string literal in ``text``, in order (Groovy comments are not expected)."""
    out = []
    index = 0
    while (index := text.find("'", index)) != -1:
        value, index = groovy_literal(text, index)
        out.append(value)
    return out


def groovy_value(text: str, start: int = 0) -> tuple[Any, int]:
    """Parse a Groovy list literal of strings (nested lists allowed) at ``text[start]``."""
    index = start
    while text[index].isspace():
        index += 1
    if text[index] == "'":
        return groovy_literal(text, index)
    if text[index] != "[":
        raise ValueError(f"expected a list or a string at {index}: {text[index:index + 20]!r}")
    items: list[Any] = []
    index += 1
    while True:
        while text[index].isspace() or text[index] == ",":
            index += 1
        if text[index] == "]":
            return items, index + 1
        item, index = groovy_value(text, index)
        items.append(item)


# -- reading jobs from XML ------------------------------------------------------------------------
@dataclass
class JobSpec:
    """What the simulator knows of a job: only what its config.xml says."""

    name: str
    kind: str                                              # "freestyle" | "pipeline"
    folder: str | None
    defaults: dict[str, str] = field(default_factory=dict)  # parameter name -> default value
    block_upstream: bool = False
    concurrent: bool = False
    children: list[tuple[str, int]] = field(default_factory=list)    # core BuildTrigger: (project, threshold ordinal)
    parameterized: list[tuple[str, str, dict[str, str], str | None]] = field(default_factory=list)  # (project, condition, params, push/cascade/None)
    waves: list[list[str]] = field(default_factory=list)   # pipeline cascade waves (job names as written), by default
    waves_parameter: str | None = None                     # the parameter the script reads its waves from
    waves_guard: tuple[int, int] | None = None             # (length(), hashCode()) the script requires of it
    cascade_params: dict[str, str] = field(default_factory=dict)
    cascades_if: str | None = None                         # the boolean parameter that enables the cascade
    # pipeline: (project, IMAGE_TAG parameter name, push/cascade/None, commit parameter name or None)
    deploys: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)


def parse_config(xml: str) -> ET.Element:
    return ET.fromstring(_DECLARATION.sub("", xml, count=1))


def _text(element: ET.Element | None, default: str = "") -> str:
    return default if element is None or element.text is None else element.text


def tokenize(text: str, delimiters: str) -> list[str]:
    """Groovy's ``String.tokenize(delimiters)`` (a java.util.StringTokenizer): every character of
    ``delimiters`` separates tokens, and empty tokens are dropped."""
    return [token for token in re.split("[" + re.escape(delimiters) + "]", text) if token]


def split_waves(value: str) -> list[list[str]]:
    """The waves of a ``WAVES`` value, as the generated script splits them: lines, then ``;``."""
    return [tokenize(line, ";") for line in tokenize(value, "\n")]


def java_hash(text: str) -> int:
    """``String.hashCode()`` in Java: ``s[0]*31^(n-1) + ... + s[n-1]`` over UTF-16 units, as an int."""
    value = 0
    for unit in _utf16_units(text):
        value = (value * 31 + unit) & 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-le")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def _names(listing: str) -> list[str]:
    return [name.strip() for name in listing.split(",") if name.strip()]


def read_job(full_name: str, xml: str) -> JobSpec | None:
    """The :class:`JobSpec` of one config.xml, or ``None`` for a folder."""
    root = parse_config(xml)
    folder = full_name.rsplit("/", 1)[0] if "/" in full_name else None
    if root.tag == "com.cloudbees.hudson.plugins.folder.Folder":
        return None
    defaults = {}
    for definition in root.findall("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/*"):
        defaults[_text(definition.find("name"))] = _text(definition.find("defaultValue"))
    if root.tag == "project":
        spec = JobSpec(full_name, "freestyle", folder, defaults,
                       block_upstream=_text(root.find("blockBuildWhenUpstreamBuilding")) == "true",
                       concurrent=_text(root.find("concurrentBuild")) == "true")
        for trigger in root.findall("publishers/hudson.tasks.BuildTrigger"):
            ordinal = int(_text(trigger.find("threshold/ordinal"), "0"))
            spec.children += [(name, ordinal) for name in _names(_text(trigger.find("childProjects")))]
        for config in root.findall("publishers/hudson.plugins.parameterizedtrigger.BuildTrigger/configs/*"):
            params: dict[str, str] = {}
            for predefined in config.findall("configs/hudson.plugins.parameterizedtrigger.PredefinedBuildParameters"):
                for line in _text(predefined.find("properties")).splitlines():
                    if "=" in line:
                        key, value = line.split("=", 1)
                        params[key.strip()] = value
            when = None
            for from_file in config.findall("configs/hudson.plugins.parameterizedtrigger.FileBuildParameters"):
                # No file, no trigger (failTriggerOnMissing): the build script writes it under a
                # test of the commit against GIT_PREVIOUS_SUCCESSFUL_COMMIT; read which one.
                assert _text(from_file.find("failTriggerOnMissing")) == "true"
                when, params = _file_written(root, _text(from_file.find("propertiesFile")))
            for name in _names(_text(config.find("projects"))):
                spec.parameterized.append((name, _text(config.find("condition")), params, when))
        return spec
    if root.tag == "flow-definition":
        spec = JobSpec(full_name, "pipeline", folder, defaults,
                       concurrent=root.find("properties/org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty") is None)
        script = _text(root.find("definition/script"))
        if (match := re.search(r"^def waves = params\.(\w+)\.replace\('\\r', ''\)$", script, re.M)):
            spec.waves_parameter = match.group(1)
            spec.waves = split_waves(defaults[spec.waves_parameter])
        if (match := re.search(r"waves\.length\(\) != (\d+) \|\| waves\.hashCode\(\) != (-?\d+)\)\) \{\n\s*error ", script)):
            spec.waves_guard = (int(match.group(1)), int(match.group(2)))
        if (match := re.search(r"^if \(params\.(\w+)\) \{", script, re.M)):
            spec.cascades_if = match.group(1)
        if (match := re.search(r"build job: job, parameters: \[booleanParam\(name: ('[^']*'), value: (true|false)\)\], wait: true", script)):
            spec.cascade_params = {groovy_literal(match.group(1), 0)[0]: match.group(2)}
        for match in re.finditer(r"^( *)(?:if \((\w+)\.GIT_COMMIT (!=|==) \w+\.GIT_PREVIOUS_SUCCESSFUL_COMMIT\) \{\n *)?"
                                 r"build job: ('(?:[^'\\]|\\.)*'), parameters: \[string\(name: ('[^']*'), value: env\.BUILD_NUMBER\)"
                                 r"(?:, string\(name: ('\w+'), value: \w+\.GIT_COMMIT\))?\], wait: false", script, re.M):
            when = None if match.group(3) is None else ("push" if match.group(3) == "!=" else "cascade")
            commit = groovy_literal(match.group(6), 0)[0] if match.group(6) else None
            spec.deploys.append((groovy_literal(match.group(4), 0)[0], groovy_literal(match.group(5), 0)[0], when, commit))
        return spec
    raise ValueError(f"{full_name}: unknown root element <{root.tag}>")


def _file_written(root: ET.Element, path: str) -> tuple[str | None, dict[str, str]]:
    """When a freestyle build writes the properties file ``path``: ``push`` (a new commit),
    ``cascade`` (an already-built commit) or always (None); and the parameters written."""
    for command in root.findall("builders/hudson.tasks.Shell/command"):
        for line in _text(command).splitlines():
            match = re.fullmatch(r"""(?:if \[ "\$\(git rev-parse HEAD\)" (!=|=) "\$\{GIT_PREVIOUS_SUCCESSFUL_COMMIT:-\}" \]; then )?"""
                                 r"""printf '([^']*)' (.*) > (\S+)(?:; fi)?""", line)
            if match and match.group(4) == path:
                keys = [part.split("=")[0] for part in match.group(2).split("\\n") if part]
                values = re.findall(r'"([^"]*)"', match.group(3))
                when = None if match.group(1) is None else ("push" if match.group(1) == "!=" else "cascade")
                return when, dict(zip(keys, values))
    raise ValueError(f"no build step writes {path}")


def read_jobset(jobset: Any) -> dict[str, JobSpec]:
    """The jobs of a rendered :class:`~jenkins_docker.rendering.renderer.JobSet` (its XML only)."""
    specs = (read_job(job.full_name, job.xml) for job in jobset.jobs)
    return {spec.name: spec for spec in specs if spec is not None}


def read_tree(home: Path) -> dict[str, JobSpec]:
    """The jobs of a JENKINS_HOME-layout tree (``jobs/<name>/config.xml``, folders nesting)."""
    out = {}
    for config in sorted(home.rglob("config.xml")):
        parts = config.relative_to(home).parts[:-1]
        full_name = "/".join(parts[1::2])
        spec = read_job(full_name, config.read_text(encoding="utf-8"))
        if spec is not None:
            out[spec.name] = spec
    return out


def resolve(spec: JobSpec, name: str, jobs: Mapping[str, JobSpec]) -> str:
    """A job name as Jenkins resolves it from ``spec``'s folder: relative first, then absolute."""
    if name.startswith("/"):
        return name[1:]
    relative = f"{spec.folder}/{name}" if spec.folder else name
    if relative in jobs:
        return relative
    if name in jobs:
        return name
    raise KeyError(f"{spec.name} names the job {name!r}, which does not exist")


# -- the simulation ---------------------------------------------------------------------------------
@dataclass
class Build:
    """One build, as the simulator ran it."""

    job: str
    number: int
    params: dict[str, str]
    queued: float
    start: float
    pushed: float | None = None      # end of the build's own work (its node block, for a pipeline)
    end: float | None = None         # the build is over (a pipeline's cascade included)
    new_commit: bool = False         # it built a commit not built before (a push), not a rebuild
    result: str = "SUCCESS"          # set by the runner; a pipeline's cascade can make it FAILURE
    env: dict[str, str] = field(default_factory=dict)   # the build's variables (runner), for $VAR expansion
    commit: str | None = None        # the commit its checkout checked out (runner), what a pipeline passes on


def expand(text: str, env: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced from ``env``, unknown names left as written (Jenkins's
    ``Util.replaceMacro``, which ``EnvVars.expand`` uses for the parameterized trigger's values)."""
    return _MACRO.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


@dataclass
class _Item:
    id: int
    job: str
    params: dict[str, str]
    queued: float
    ready_at: float
    waiters: list[Callable[[Build], None]] = field(default_factory=list)
    new_commit: bool = False
    origin: str = "trigger"          # "push": started by a GitLab push hook


class Simulator:
    """Jenkins's queue, executors and triggers, driven by the jobs' XML."""

    def __init__(self, jobs: Mapping[str, JobSpec], *, executors: int = 2,
                 durations: Mapping[str, float] | Callable[[str], float] | None = None,
                 seed: int = 0, quiet_period: float = 0.0, runner: Callable[[Build], Callable[[], None]] | None = None) -> None:
        self.jobs = dict(jobs)
        self.runner = runner
        self.executors = executors
        self.quiet_period = quiet_period
        rng = random.Random(seed)
        drawn: dict[str, float] = {}
        if callable(durations):
            self.duration = durations
        else:
            given = dict(durations or {})
            self.duration = lambda job: given[job] if job in given else drawn.setdefault(job, rng.uniform(1, 10))
        self.now = 0.0
        self.queue: list[_Item] = []
        self._queued: dict[str, list[_Item]] = {}   # job -> its items in the queue (merging looks only there)
        self.builds: list[Build] = []
        self.building: dict[str, int] = {}          # job -> builds running now
        self.busy = 0
        self.numbers: dict[str, int] = {}
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self.upstreams = self._transitive_upstreams()

    # -- the dependency graph Jenkins builds from the triggers --------------------------------
    def _transitive_upstreams(self) -> dict[str, set[str]]:
        direct: dict[str, set[str]] = {name: set() for name in self.jobs}
        for spec in self.jobs.values():
            for child, _ in spec.children:
                direct[resolve(spec, child, self.jobs)].add(spec.name)
            for child, _, _, _ in spec.parameterized:
                direct[resolve(spec, child, self.jobs)].add(spec.name)
        out: dict[str, set[str]] = {}
        for name in self.jobs:
            seen: set[str] = set()
            stack = list(direct[name])
            while stack:
                upstream = stack.pop()
                if upstream not in seen:
                    seen.add(upstream)
                    stack.extend(direct[upstream])
            out[name] = seen
        return out

    # -- the event loop -----------------------------------------------------------------------
    def at(self, time: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (time, next(self._seq), action))

    def run(self, limit: int = 100_000) -> list[Build]:
        """Run until nothing is left to do; returns every build, in start order."""
        self._dispatch()
        steps = 0
        while self._events:
            steps += 1
            if steps > limit:
                raise RuntimeError("the simulation does not end")
            time, _, action = heapq.heappop(self._events)
            self.now = time
            action()
            self._dispatch()
        if self.queue:
            raise RuntimeError(f"items stuck in the queue: {[item.job for item in self.queue]}")
        return sorted(self.builds, key=lambda b: (b.start, b.job))

    # -- the queue ----------------------------------------------------------------------------
    def schedule(self, job: str, params: Mapping[str, str] | None = None,
                 waiter: Callable[[Build], None] | None = None, *, new_commit: bool = False,
                 origin: str = "trigger") -> None:
        """Put ``job`` in the queue, merging with an item of equal parameters, origin and commit already there.

        ``new_commit``: the build will build a commit not built before (a push); every build a
        trigger starts rebuilds the commit its job last built. ``origin``: ``push`` for a build a
        GitLab push started (its queue item never merges with one an upstream queued).
        """
        if job not in self.jobs:
            raise KeyError(f"no job {job!r}")
        params = dict(params or {})
        for item in self._queued.get(job, ()):
            if item.params == params and item.origin == origin and item.new_commit == new_commit:
                if waiter:
                    item.waiters.append(waiter)
                return
        item = _Item(next(self._ids), job, params, self.now, self.now + self.quiet_period, [waiter] if waiter else [],
                     new_commit, origin)
        self.queue.append(item)
        self._queued.setdefault(job, []).append(item)
        if self.quiet_period:
            self.at(item.ready_at, lambda: None)

    def push(self, job: str, params: Mapping[str, str] | None = None) -> None:
        """A GitLab push starts ``job``: its queue item carries the push's actions, so it never
        merges with an item an upstream queued (the README's cascade section says so too)."""
        self.schedule(job, params, origin="push", new_commit=True)

    def _blocked(self, item: _Item) -> bool:
        spec = self.jobs[item.job]
        if item.ready_at > self.now:
            return True
        if not spec.concurrent and self.building.get(item.job):
            return True
        if spec.block_upstream:
            for upstream in self.upstreams[item.job]:
                if self.building.get(upstream) or any(other.job == upstream for other in self.queue):
                    return True
        return False

    def _dispatch(self) -> None:
        started = True
        while started:
            started = False
            for item in self.queue:   # no copy: the loop ends at the first change to the queue
                if self.busy >= self.executors:
                    return
                if not self._blocked(item):
                    self.queue.remove(item)
                    self._queued[item.job].remove(item)
                    self._start(item)
                    started = True
                    break

    # -- builds -------------------------------------------------------------------------------
    def _start(self, item: _Item) -> None:
        spec = self.jobs[item.job]
        number = self.numbers[item.job] = self.numbers.get(item.job, 0) + 1
        params = {**spec.defaults, **item.params}
        build = Build(item.job, number, params, item.queued, self.now, new_commit=item.new_commit)
        self.builds.append(build)
        if self._refuses_waves(spec, build):
            # The script's `error` step, before its node block: no executor, no push, no trigger.
            build.result = "FAILURE"
            build.end = self.now
            for waiter in item.waiters:
                waiter(build)
            return
        wait = self.runner(build) if self.runner is not None else None
        self.building[item.job] = self.building.get(item.job, 0) + 1
        self.busy += 1
        self.at(self.now + self.duration(item.job), lambda: self._pushed(spec, build, item.waiters, wait))

    def _pushed(self, spec: JobSpec, build: Build, waiters: list[Callable[[Build], None]],
                wait: Callable[[], None] | None = None) -> None:
        if wait is not None:
            wait()
        build.pushed = self.now
        self.busy -= 1
        result = RESULT_ORDINALS[build.result]
        if spec.kind == "freestyle":
            self._finish(build, waiters)
            for child, threshold in spec.children:
                if result <= threshold:
                    self.schedule(resolve(spec, child, self.jobs))
            env = build.env or {"BUILD_NUMBER": str(build.number)}
            for child, condition, params, when in spec.parameterized:
                if when is not None and (when == "push") != build.new_commit:
                    continue
                if result <= RESULT_ORDINALS[_CONDITION_WORST[condition]]:
                    self.schedule(resolve(spec, child, self.jobs), {k: expand(v, env) for k, v in params.items()})
            return
        if build.result != "SUCCESS":     # the node block failed: the script ends there
            self._finish(build, waiters)
            return
        for child, parameter, when, commit_parameter in spec.deploys:
            if when is None or (when == "push") == build.new_commit:
                params = {parameter: str(build.number)}
                if commit_parameter is not None and build.commit is not None:
                    params[commit_parameter] = build.commit   # the checkout step's GIT_COMMIT (`built.GIT_COMMIT`)
                self.schedule(resolve(spec, child, self.jobs), params)
        waves = self._waves(spec, build)
        if waves and self._cascades(spec, build):
            self._run_waves(spec, build, waves, waiters, 0)
        else:
            self._finish(build, waiters)

    @staticmethod
    def _cascades(spec: JobSpec, build: Build) -> bool:
        return spec.cascades_if is not None and build.params.get(spec.cascades_if) == "true"

    @staticmethod
    def _waves(spec: JobSpec, build: Build) -> list[list[str]]:
        """The waves this build runs: its value of the waves parameter (default: the job's)."""
        if spec.waves_parameter is None:
            return spec.waves
        return split_waves(build.params[spec.waves_parameter].replace("\r", ""))

    def _refuses_waves(self, spec: JobSpec, build: Build) -> bool:
        if spec.waves_guard is None or spec.waves_parameter is None or not self._cascades(spec, build):
            return False
        value = build.params[spec.waves_parameter].replace("\r", "")
        return (len(_utf16_units(value)), java_hash(value)) != spec.waves_guard

    def _run_waves(self, spec: JobSpec, build: Build, waves: list[list[str]],
                   waiters: list[Callable[[Build], None]], index: int) -> None:
        if index == len(waves):
            self._finish(build, waiters)
            return
        wave = [resolve(spec, name, self.jobs) for name in waves[index]]
        pending = set(range(len(wave)))

        def done(position: int) -> Callable[[Build], None]:
            def callback(child: Build) -> None:
                pending.discard(position)
                if child.result != "SUCCESS":    # propagate: true; parallel lets the other branches end
                    build.result = "FAILURE"
                if not pending:
                    if build.result == "SUCCESS":
                        self._run_waves(spec, build, waves, waiters, index + 1)
                    else:
                        self._finish(build, waiters)
            return callback

        for position, job in enumerate(wave):
            self.schedule(job, spec.cascade_params, waiter=done(position))

    def _finish(self, build: Build, waiters: Iterable[Callable[[Build], None]]) -> None:
        build.end = self.now
        self.building[build.job] -= 1
        for waiter in waiters:
            waiter(build)
