"""Run a rendered job's config.xml the way a Jenkins agent would, for the end-to-end tests.

Only what the XML says is used: the GitSCM remote and branch, the shell steps, the credentials
bindings and, for a pipeline, the ``sh`` steps of its script inside their ``withEnv`` and
``withCredentials`` scopes. Each behaviour modelled here cites where Jenkins or the plugin does it
(repository and file, all under github.com/jenkinsci):

- workspace: ``<root>/workspace/<full job name>``, kept between builds; ``WORKSPACE_TMP`` is its
  sibling ``<workspace>@tmp`` (jenkins ``core/src/main/java/hudson/slaves/WorkspaceList.java``
  ``tempDir``; set by ``core/src/main/java/hudson/model/AbstractBuild.java`` ``getEnvironment``
  for freestyle builds and by workflow-durable-task-step ``ExecutorStepExecution`` for ``node``);
- checkout: git fetches the remote and checks out the branch's commit detached (git-plugin
  ``src/main/java/hudson/plugins/git/GitSCM.java``, ``checkout``); the branch spec is expanded
  with the build's parameters first (``${DEPLOY_COMMIT}``), and a spec that names no branch of
  the remote is taken as a commit (``DefaultBuildChooser.getCandidateRevisions``); a freestyle
  build gets ``GIT_COMMIT``, ``GIT_BRANCH`` (``origin/<branch>``), ``GIT_URL``,
  ``GIT_PREVIOUS_COMMIT`` and ``GIT_PREVIOUS_SUCCESSFUL_COMMIT`` (the commits of the job's
  previous build and previous successful build, absent for the first) in its environment
  (``GitSCM.buildEnvironment``); a scripted pipeline's ``checkout`` step sets no variable (it
  returns them), so pipeline shell steps do not see ``GIT_COMMIT``;
- variables: ``BUILD_NUMBER``, ``BUILD_ID`` (the number, since Jenkins 1.597), ``BUILD_TAG``,
  ``JOB_NAME`` (the full name), ``JOB_BASE_NAME`` (jenkins ``core/src/main/java/hudson/model/Run.java``
  and ``Job.java`` ``getCharacteristicEnvVars``), each parameter under its own name (booleans as
  ``true``/``false``: ``StringParameterValue``/``BooleanParameterValue.buildEnvironment``);
- a shell step is written to a file in ``WORKSPACE_TMP`` and run as ``/bin/sh -xe FILE`` in the
  workspace unless it starts with ``#!`` (jenkins ``core/src/main/java/hudson/tasks/Shell.java``
  ``buildCommandLine``; ``CommandInterpreter.perform``); a non-zero exit fails the build and ends
  it (later steps do not run); pipeline ``sh`` does the same (durable-task-plugin
  ``BourneShellScript``);
- credentials: credentials-binding-plugin's ``UsernamePasswordMultiBinding`` (freestyle
  ``SecretBuildWrapper``; pipeline ``withCredentials([usernamePassword(...)])``) sets the user and
  the password variables for the steps it wraps; a missing id fails the build
  (``CredentialsProvider.findCredentialById`` returns null: "Could not find credentials entry with
  ID"); the bound password is masked as ``****`` in the build log (``SecretBuildWrapper`` /
  ``BindingStep`` console filters; the username is not a secret by default).
"""
from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from simulator import groovy_literal, groovy_value, parse_config

_BINDING = "org.jenkinsci.plugins.credentialsbinding.impl."


@dataclass(frozen=True)
class Binding:
    """One username/password credentials binding: the id and the two variable names."""

    credentials: str
    username_variable: str
    password_variable: str


@dataclass(frozen=True)
class ShellStep:
    """A shell script and the scope it runs in (the pipeline's ``withEnv``/``withCredentials``)."""

    script: str
    env: tuple[tuple[str, str], ...] = ()
    bindings: tuple[Binding, ...] = ()


@dataclass(frozen=True)
class JobSteps:
    """What an agent runs for one job: the checkout, then the shell steps in order."""

    kind: str                        # "freestyle" | "pipeline"
    git_url: str | None
    branch: str | None               # the branch name (the spec without "*/")
    steps: tuple[ShellStep, ...]
    parameters: Mapping[str, str]    # name -> default value


@dataclass
class BuildRun:
    """One build as the agent ran it."""

    job: str
    number: int
    result: str                      # "SUCCESS" | "FAILURE"
    env: dict[str, str]              # the variables Jenkins set (no secrets)
    log: str                         # console output, secrets masked
    commit: str | None = None
    steps_run: int = 0


def _text(element: ET.Element | None) -> str:
    return "" if element is None or element.text is None else element.text


def _branch(spec: str) -> str:
    return spec[2:] if spec.startswith("*/") else spec


def _expand(text: str, env: Mapping[str, str]) -> str:
    from simulator import expand

    return expand(text, env)


def _bindings(root: ET.Element) -> tuple[Binding, ...]:
    out = []
    for binding in root.findall("buildWrappers/" + _BINDING + "SecretBuildWrapper/bindings/*"):
        if binding.tag != _BINDING + "UsernamePasswordMultiBinding":
            raise ValueError(f"the job runner does not know the binding {binding.tag}")
        out.append(Binding(_text(binding.find("credentialsId")), _text(binding.find("usernameVariable")),
                           _text(binding.find("passwordVariable"))))
    return tuple(out)


def read_steps(xml: str) -> JobSteps:
    """The checkout and shell steps of a freestyle or pipeline job's config.xml."""
    root = parse_config(xml)
    parameters = {_text(d.find("name")): _text(d.find("defaultValue"))
                  for d in root.findall("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/*")}
    if root.tag == "project":
        bindings = _bindings(root)
        steps = tuple(ShellStep(_text(shell.find("command")), (), bindings)
                      for shell in root.findall("builders/hudson.tasks.Shell"))
        return JobSteps("freestyle", _text(root.find("scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url")) or None,
                        _branch(_text(root.find("scm/branches/hudson.plugins.git.BranchSpec/name"))) or None, steps, parameters)
    if root.tag == "flow-definition":
        url, branch, steps = read_pipeline(_text(root.find("definition/script")))
        return JobSteps("pipeline", url, branch, steps, parameters)
    raise ValueError(f"not a job: <{root.tag}>")


# -- a pipeline script: its checkout and sh steps, with their scopes -----------------------------
_CREDENTIAL = re.compile(r"usernamePassword\(credentialsId: ('(?:[^'\\]|\\.)*'), usernameVariable: ('(?:[^'\\]|\\.)*'), "
                         r"passwordVariable: ('(?:[^'\\]|\\.)*')\)")


def _literal(text: str) -> str:
    return groovy_literal(text, 0)[0]


def _scope(header: str) -> tuple[dict[str, str], list[Binding]]:
    """The variables and bindings a block opened by ``header`` adds (none for stage, node, if...)."""
    header = header.strip()
    if header.startswith("withEnv("):
        pairs = groovy_value(header, len("withEnv("))[0]
        return dict(pair.split("=", 1) for pair in pairs), []
    if header.startswith("withCredentials("):
        bindings = [Binding(_literal(c), _literal(u), _literal(p)) for c, u, p in _CREDENTIAL.findall(header)]
        if not bindings:
            raise ValueError(f"the job runner does not know these bindings: {header}")
        return {}, bindings
    return {}, []


def read_pipeline(script: str) -> tuple[str | None, str | None, tuple[ShellStep, ...]]:
    """The checkout remote and branch and the ``sh`` steps of a scripted pipeline, in order.

    A small scanner over the renderer's Groovy: string literals are skipped whole (they may hold
    braces and line breaks); ``{`` opens a block whose header is the statement before it;
    a statement ``sh '...'`` is a step run with the variables and bindings of every open block.
    """
    scopes: list[tuple[dict[str, str], list[Binding]]] = []
    steps: list[ShellStep] = []
    url = branch = None
    statement: list[str] = []
    index = 0

    def finish() -> None:
        nonlocal url, branch
        text = "".join(statement).strip()
        statement.clear()
        if text.startswith("sh "):
            env: dict[str, str] = {}
            bindings: list[Binding] = []
            for scope_env, scope_bindings in scopes:
                env.update(scope_env)
                bindings += scope_bindings
            steps.append(ShellStep(_literal(text[3:].strip()), tuple(env.items()), tuple(bindings)))
        elif "checkout([" in text:                  # "checkout(...)" or "built = checkout(...)"
            url = _literal(re.search(r"url: ('(?:[^'\\]|\\.)*')", text).group(1))  # type: ignore[union-attr]
            name = re.search(r"branches: \[\[name: ('(?:[^'\\]|\\.)*'|params\.\w+)", text).group(1)  # type: ignore[union-attr]
            # A branch given by a parameter (a deploy's DEPLOY_COMMIT) is that parameter's value
            # in the build, as the checkout step sees ``params.NAME`` evaluated by Groovy.
            branch = "${" + name[len("params."):] + "}" if name.startswith("params.") else _branch(_literal(name))

    while index < len(script):
        char = script[index]
        if char == "'":
            _, end = groovy_literal(script, index)
            statement.append(script[index:end])
            index = end
            continue
        if char == "{":
            scopes.append(_scope("".join(statement)))
            statement.clear()
        elif char == "}":
            finish()
            scopes.pop()
        elif char in "\n;":
            finish()
        else:
            statement.append(char)
        index += 1
    finish()
    return url, branch, tuple(steps)


# -- running a build ---------------------------------------------------------------------------------
class Agent:
    """A Jenkins agent with a root directory, a base environment and the credentials store."""

    def __init__(self, root: Path, *, env: Mapping[str, str], credentials: Mapping[str, tuple[str, str]]) -> None:
        self.root = root
        self.env = dict(env)
        self.credentials = dict(credentials)
        self.previous: dict[str, str] = {}             # job -> commit of its last build
        self.previous_success: dict[str, str] = {}     # job -> commit of its last successful build
        self.before: Callable[[str], None] | None = None   # called with the job's name as a build starts

    def workspace(self, job: str) -> Path:
        return self.root / "workspace" / job

    def _git(self, workspace: Path, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=workspace, env=self.env, check=True, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.strip()

    def checkout(self, workspace: Path, url: str, branch: str) -> str:
        """Fetch ``url`` into the workspace and check out ``origin/branch`` (or the commit ``branch``)
        detached; returns the commit."""
        workspace.mkdir(parents=True, exist_ok=True)
        if not (workspace / ".git").is_dir():
            self._git(workspace, "init", "-q")
        self._git(workspace, "fetch", "-q", "--force", url, "+refs/heads/*:refs/remotes/origin/*")
        try:
            commit = self._git(workspace, "rev-parse", "--verify", "-q", f"refs/remotes/origin/{branch}^{{commit}}")
        except subprocess.CalledProcessError:
            commit = self._git(workspace, "rev-parse", "--verify", f"{branch}^{{commit}}")
        self._git(workspace, "checkout", "-q", "-f", commit)
        return commit

    def run(self, job: str, xml: str, number: int, params: Mapping[str, str] | None = None) -> BuildRun:
        """Run build ``number`` of ``job`` (its full name) from its config.xml; never raises on a failed step."""
        if self.before is not None:
            self.before(job)
        spec = read_steps(xml)
        workspace = self.workspace(job)
        tmp = workspace.parent / f"{workspace.name}@tmp"
        env = {
            "BUILD_NUMBER": str(number), "BUILD_ID": str(number),
            "BUILD_TAG": f"jenkins-{job.replace('/', '-')}-{number}",
            "JOB_NAME": job, "JOB_BASE_NAME": job.rsplit("/", 1)[-1],
            "WORKSPACE": str(workspace), "WORKSPACE_TMP": str(tmp),
            **spec.parameters, **(params or {}),
        }
        run = BuildRun(job, number, "SUCCESS", env, "")
        log: list[str] = []
        secrets: list[str] = []
        try:
            if spec.git_url and spec.branch:
                branch = _expand(spec.branch, env)
                run.commit = self.checkout(workspace, spec.git_url, branch)
                if spec.kind == "freestyle":
                    env.update(GIT_COMMIT=run.commit, GIT_BRANCH=f"origin/{branch}", GIT_URL=spec.git_url)
                    for name, known in (("GIT_PREVIOUS_COMMIT", self.previous), ("GIT_PREVIOUS_SUCCESSFUL_COMMIT", self.previous_success)):
                        if job in known:
                            env[name] = known[job]
            else:
                workspace.mkdir(parents=True, exist_ok=True)
            tmp.mkdir(parents=True, exist_ok=True)
            for position, step in enumerate(spec.steps):
                step_env = {**self.env, **env, **dict(step.env)}
                for binding in step.bindings:
                    if binding.credentials not in self.credentials:
                        raise LookupError(f"ERROR: Could not find credentials entry with ID '{binding.credentials}'")
                    user, password = self.credentials[binding.credentials]
                    step_env[binding.username_variable] = user
                    step_env[binding.password_variable] = password
                    secrets.append(password)
                script = tmp / f"jenkins{position}.sh"
                script.write_text(step.script, encoding="utf-8")
                command = (step.script[2:].split("\n", 1)[0].split() + [str(script)] if step.script.startswith("#!")
                           else ["/bin/sh", "-xe", str(script)])
                done = subprocess.run(command, cwd=workspace, env=step_env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                log.append(done.stdout)
                run.steps_run += 1
                if done.returncode != 0:
                    log.append(f"Build step 'Execute shell' marked build as failure (exit code {done.returncode})\n")
                    run.result = "FAILURE"
                    break
        except (subprocess.CalledProcessError, LookupError) as exc:
            log.append(f"{getattr(exc, 'output', '') or ''}{exc}\n")
            run.result = "FAILURE"
        text = "".join(log)
        for secret in sorted(set(secrets), key=len, reverse=True):
            if secret:
                text = text.replace(secret, "****")
        run.log = text
        if run.commit:
            self.previous[job] = run.commit
            if run.result == "SUCCESS":
                self.previous_success[job] = run.commit
        return run


# -- a cascade, run for real in the trigger simulator's order -----------------------------------------
class Cascade:
    """Builds started, ordered and triggered by :class:`simulator.Simulator` from the rendered XML,
    each run for real by an :class:`Agent` when the simulator starts it; the result it gets decides
    the triggers, as in Jenkins. Build numbers go on across :meth:`rebuild` calls."""

    def __init__(self, jobset: Any, agent: Agent, *, executors: int = 2) -> None:
        from simulator import Simulator, read_jobset

        self.xml = {job.full_name: job.xml for job in jobset.jobs if job.kind != "folder"}
        self.agent = agent
        self.runs: list[BuildRun] = []       # in start order
        self.pool = ThreadPoolExecutor(executors)
        self.simulator = Simulator(read_jobset(jobset), executors=executors, durations=lambda job: 1.0, runner=self._start)

    def _start(self, build: Any) -> Callable[[], None]:
        """Start the build on an executor thread; the simulator calls the returned function to wait for it."""
        future = self.pool.submit(self.agent.run, build.job, self.xml[build.job], build.number, build.params)
        index = len(self.runs)
        self.runs.append(BuildRun(build.job, build.number, "RUNNING", {}, ""))

        def wait() -> None:
            run = self.runs[index] = future.result()
            build.result = run.result
            build.env = run.env
            build.commit = run.commit
        return wait

    def rebuild(self, *jobs: str, params: Mapping[str, str] | None = None) -> list[BuildRun]:
        """Queue ``jobs`` (full names) as a click on "Build" would, run everything that follows; the runs."""
        first = len(self.runs)
        for job in jobs:
            self.simulator.schedule(job, params)
        self.simulator.run()
        return self.runs[first:]
