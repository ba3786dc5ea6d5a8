"""A platform of thousands of images: nothing in a generated pipeline script grows with it.

Jenkins runs a pipeline script through the CPS transformer, which turns each constant into code;
a method over 64 KB of bytecode ("Method too large") or a string constant over 65,535 bytes
("String too large") fails the build before it starts. So the build job of a base image with
10,000 dependents must carry its waves as data (the ``WAVES`` parameter), not as a list literal.

Two platforms, rendered as both job types: one base image with 10,000 apps (a star), and a chain
of 50 base images with an app at its end. For each: every pipeline script compiles with
``groovyc`` (Debian's ``groovy``, the Groovy 2.4 that Jenkins core bundles; installed by
``.ci/run``), its string and list constants are as many as on a platform of three images, none
is over 60,000 bytes, and the trigger simulator builds each dependent exactly once after its
parents. A real Groovy run of a generated script shows the waves it reads and the guard that
refuses an edited ``WAVES`` value.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from helpers import expected_builds, with_job_type
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import load
from jenkins_docker.rendering.renderer import DESCRIPTION_LISTS, ItemSet, java_string_hash, render
from simulator import Build, Simulator, groovy_literal, read_job, read_jobset, split_waves

APPS = 10_000
CHAIN = 50
MAX_STRING_BYTES = 60_000


# -- the platforms -------------------------------------------------------------------------------
_HEAD = """\
version: 1
jenkins: {folder: docker, agent: docker, gitlab_connection: gitlab, keep_builds: 10}
registries: {private: {host: registry.example.org, credentials: registry-push}}
defaults: {registry: private, branch: main, test: make test}
"""


def star(apps: int) -> str:
    """One base image and ``apps`` apps built from it (each app with a deploy command)."""
    lines = [_HEAD, "base_images:", "  acme/base: {git: 'git@example.org:docker/base.git', from: 'debian:bookworm'}",
             "apps:"]
    lines += [f"  app-{i:05d}: {{git: 'git@example.org:apps/app-{i:05d}.git', from: acme/base, deploy: ./deploy.sh}}"
              for i in range(apps)]
    return "\n".join(lines) + "\n"


def chain(depth: int) -> str:
    """``depth`` base images, each built from the one before, and an app built from the last."""
    lines = [_HEAD, "base_images:"]
    lines += [f"  acme/level-{i:02d}: {{git: 'git@example.org:docker/level-{i:02d}.git', "
              f"from: {'debian:bookworm' if i == 0 else f'acme/level-{i - 1:02d}'}}}" for i in range(depth)]
    lines += ["apps:", f"  top: {{git: 'git@example.org:apps/top.git', from: acme/level-{depth - 1:02d}}}"]
    return "\n".join(lines) + "\n"


PLATFORMS = {"star": (star, APPS, "acme/base"), "chain": (chain, CHAIN, "acme/level-00")}


def _load(tmp_path_factory: pytest.TempPathFactory, platform: str, size: int) -> Inventory:
    make, _, _ = PLATFORMS[platform]
    path = tmp_path_factory.mktemp(f"{platform}-{size}") / "inventory.yml"
    path.write_text(make(size), encoding="utf-8")
    return load(path)


@pytest.fixture(scope="module")
def platforms(tmp_path_factory) -> dict[tuple[str, str], tuple[Inventory, ItemSet]]:
    """(platform, job type) -> (inventory, rendered jobs), at full size."""
    out = {}
    for platform, (_, size, _) in PLATFORMS.items():
        inventory = _load(tmp_path_factory, platform, size)
        for job_type in ("freestyle", "pipeline"):
            typed = with_job_type(inventory, job_type)
            out[platform, job_type] = (typed, render(typed))
    return out


@pytest.fixture(scope="module")
def small_pipelines(tmp_path_factory) -> dict[str, ItemSet]:
    """The same platforms with three images, as pipeline jobs."""
    return {platform: render(with_job_type(_load(tmp_path_factory, platform, 2), "pipeline"))
            for platform in PLATFORMS}


_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


@pytest.fixture(scope="module")
def scripts(platforms) -> dict[str, dict[str, str]]:
    """platform -> full name -> script of every pipeline job, at full size."""
    return {platform: pipeline_scripts(platforms[platform, "pipeline"][1]) for platform in PLATFORMS}


@pytest.fixture(scope="module")
def shapes(scripts) -> dict[str, dict[str, str]]:
    """platform -> skeleton -> one script of that skeleton."""
    return {platform: {skeleton(script): script for script in by_name.values()} for platform, by_name in scripts.items()}


def pipeline_scripts(jobs: ItemSet) -> dict[str, str]:
    """Full name -> Groovy script of every pipeline job (read from the XML text: parsing 10,000
    configs with an XML parser would take seconds)."""
    out = {}
    for job in jobs.jobs:
        if job.kind == "pipeline":
            match = _SCRIPT.search(job.xml)
            assert match, job.full_name
            out[job.full_name] = html.unescape(match.group(1))
    return out


def _script(xml: str) -> str:
    import xml.etree.ElementTree as ET
    return ET.fromstring(xml.split("?>", 1)[1]).findtext("definition/script") or ""


# -- what a script holds ------------------------------------------------------------------------
def constants(script: str) -> tuple[list[str], int]:
    """The string constants of a generated script, and how many list or map literals it has.

    The renderer writes only single-quoted strings, so a double quote outside them is refused.
    A ``[`` opens a literal unless it follows a name, ``)`` or ``]`` (then it is an index).
    """
    strings: list[str] = []
    lists = 0
    index = 0
    while index < len(script):
        char = script[index]
        if char == "'":
            value, index = groovy_literal(script, index)
            strings.append(value)
            continue
        assert char != '"', f"a double-quoted (interpolating) string at {index}: {script[index:index + 40]!r}"
        if char == "[":
            before = script[:index].rstrip()[-1:]
            if not (before.isalnum() or before in "_)]"):
                lists += 1
        index += 1
    return strings, lists


_LITERAL_OR_NUMBER = re.compile(r"""'''(?:[^\\']|\\.|'(?!''))*'''|'(?:[^\\'\n]|\\.)*'|\d+""")


def skeleton(script: str) -> str:
    """The script with every run of letters and digits in its strings, and every number outside
    them, made ``x``: two scripts with one skeleton differ only in names and numbers, which
    cannot change whether Groovy compiles them."""
    return _LITERAL_OR_NUMBER.sub(lambda m: re.sub(r"[A-Za-z0-9]+", "x", m.group()), script)


# -- the tests ----------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_pipeline_script_holds_as_many_constants_at_any_platform_size(platform, platforms, scripts, shapes,
                                                                       small_pipelines):
    """The root job's script has the same string and list constants with 3 images as with
    thousands; every script's shape (:func:`skeleton`) holds a bounded number of them; and no
    script, so no string constant in it, is anywhere near the JVM's 64 KB limit."""
    small = pipeline_scripts(small_pipelines[platform])
    _, _, root = PLATFORMS[platform]
    root_job = platforms[platform, "pipeline"][0].job(root)
    big_strings, big_lists = constants(scripts[platform][root_job])
    small_strings, small_lists = constants(small[root_job])
    assert (len(big_strings), big_lists) == (len(small_strings), small_lists)
    assert len(scripts[platform][root_job]) - len(small[root_job]) <= 20   # only the guard's two numbers differ
    # A constant is part of its script's text, and escapes only make the text longer.
    assert max(len(script.encode("utf-8")) for script in scripts[platform].values()) <= MAX_STRING_BYTES
    counts = [len(strings) + lists for strings, lists in map(constants, shapes[platform].values())]
    assert max(counts) <= 40, counts


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_root_job_carries_its_waves_in_the_waves_parameter(platform, platforms):
    inventory, jobs = platforms[platform, "pipeline"]
    _, _, root = PLATFORMS[platform]
    spec = read_job(inventory.job(root), jobs.by_name()[inventory.job(root)].xml)
    assert spec is not None and spec.waves_parameter == "WAVES"
    assert spec.waves == [["/" + inventory.job(key) for key in wave] for wave in inventory.graph.waves([root])[1:]]
    assert spec.waves_guard == (len(spec.defaults["WAVES"]), java_string_hash(spec.defaults["WAVES"]))


def _groovy_env() -> dict[str, str]:
    """The environment for Debian's groovy launchers: JAVA_HOME from the ``java`` on PATH when
    the default-java link they look for is missing (a JDK installed without default-jre)."""
    env = dict(os.environ)
    if "JAVA_HOME" not in env and not Path("/usr/lib/jvm/default-java").exists() and shutil.which("java"):
        env["JAVA_HOME"] = str(Path(shutil.which("java")).resolve().parents[1])  # type: ignore[arg-type]
    return env


def _groovy_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not found: install Debian's groovy package (apt-get install groovy; .ci/run does)"
    return path


def test_every_pipeline_script_of_both_platforms_compiles_with_groovyc(shapes, tmp_path):
    """One groovyc run (the JVM starts once) over one script per skeleton: the scripts of 10,000
    apps differ only in names and collapse into one; the root jobs' scripts are compiled whole."""
    distinct = {shape: script for by_shape in shapes.values() for shape, script in by_shape.items()}
    assert 3 <= len(distinct) <= 12, len(distinct)   # build, deploy, cascading build: a few shapes only
    files = []
    for index, script in enumerate(distinct.values()):
        path = tmp_path / f"Script{index}.groovy"
        path.write_text(script, encoding="utf-8")
        files.append(path)
    out = tmp_path / "classes"
    result = subprocess.run([_groovy_tool("groovyc"), "-d", str(out), *map(str, files)],
                            capture_output=True, text=True, env=_groovy_env(), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.stem for p in out.glob("Script*.class") if "$" not in p.stem} == {p.stem for p in files}


#: Runs a generated script in plain Groovy with the pipeline steps as closures that record what
#: they are asked to do; prints one line per `build` of the cascade.
_RUNNER = textwrap.dedent("""\
    def runScript(File file, String waves) {
        def binding = new Binding()
        binding.params = [CASCADE: true, WAVES: waves]
        binding.env = [BUILD_NUMBER: '7']
        def body = { Object[] args -> args[-1]() }
        ['node', 'stage', 'withCredentials', 'withEnv'].each { binding.setVariable(it, body) }
        ['checkout', 'sh', 'usernamePassword', 'booleanParam', 'string'].each { binding.setVariable(it, { Object[] args -> null }) }
        binding.error = { String message -> throw new IllegalStateException(message) }
        binding.build = { Map args -> if (args.wait) println "build ${args.job}" }
        binding.parallel = { Map branches -> println 'wave'; branches.values().each { it() } }
        try {
            new GroovyShell(binding).parse(file).run()
            println 'done'
        } catch (IllegalStateException refused) {
            println "error ${refused.message}"
        }
    }
    def file = new File(args[0])
    for (value in args.drop(1)) { println '--'; runScript(file, new File(value).text) }
    """)


def test_a_generated_script_run_by_groovy_builds_its_waves_and_refuses_edited_ones(tmp_path):
    """Real Groovy (tokenize, String.hashCode) runs the root's script: the default value builds
    the waves in order, the same value with CRLF line ends (a browser's textarea) too, and an
    edited value stops the build before anything is built."""
    inventory = with_job_type(load(Path(__file__).parent.parent / "examples" / "platform" / "inventory.yml"), "pipeline")
    root = "acme/runtime"
    spec = read_jobset(render(inventory))[inventory.job(root)]
    default = spec.defaults["WAVES"]
    script = tmp_path / "root.groovy"
    script.write_text(_script(render(inventory).by_name()[inventory.job(root)].xml), encoding="utf-8")
    values = [default, default.replace("\n", "\r\n"), default.replace(";", "\n", 1), default + "\ndocker/other"]
    paths = []
    for index, value in enumerate(values):
        paths.append(tmp_path / f"waves{index}.txt")
        paths[-1].write_bytes(value.encode("utf-8"))
    runner = tmp_path / "runner.groovy"
    runner.write_text(_RUNNER, encoding="utf-8")
    result = subprocess.run([_groovy_tool("groovy"), str(runner), str(script), *map(str, paths)],
                            capture_output=True, text=True, env=_groovy_env(), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    runs = result.stdout.split("--\n")[1:]
    expected = "".join("wave\n" + "".join(f"build {name}\n" for name in wave) for wave in split_waves(default)) + "done\n"
    assert runs[0] == expected
    assert runs[1] == expected
    for refused in runs[2:]:
        assert refused == "error WAVES is not the value jenkins-docker generated: build with its default value\n"


def test_the_simulator_refuses_an_edited_waves_value_and_accepts_crlf_line_ends():
    inventory = with_job_type(load(Path(__file__).parent.parent / "examples" / "platform" / "inventory.yml"), "pipeline")
    specs = read_jobset(render(inventory))
    root = inventory.job("acme/runtime")
    default = specs[root].defaults["WAVES"]
    for value, builds in ((default.replace("\n", "\r\n"), len(expected_builds(inventory, "acme/runtime"))),
                          (default.rsplit("\n", 1)[0], 1)):
        simulator = Simulator(specs, executors=8)
        simulator.schedule(root, {"CASCADE": "true", "WAVES": value})
        ran = simulator.run()
        assert len(ran) == builds
    assert ran[0].result == "FAILURE" and ran[0].pushed is None


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_rebuild_of_the_root_builds_every_dependent_once_after_its_parents(platform, job_type, platforms):
    inventory, jobs = platforms[platform, job_type]
    _, _, root = PLATFORMS[platform]
    simulator = Simulator(read_jobset(jobs), executors=64, durations=lambda job: 1.0)
    simulator.schedule(inventory.job(root))
    builds = simulator.run(limit=1_000_000)
    expected = expected_builds(inventory, root)
    counts = Counter(build.job for build in builds)
    wrong = sorted(job for job in set(counts) | set(expected) if counts[job] != (1 if job in expected else 0))
    assert not wrong, f"{len(wrong)} jobs built other than once, e.g. {wrong[:5]}"
    by_job: dict[str, Build] = {build.job: build for build in builds}
    early = [job for job, parents in expected.items() for parent in parents
             if by_job[job].start < (by_job[parent].pushed or 0)]
    assert not early, f"started before a parent had pushed: {early[:5]}"


@pytest.mark.parametrize("job_type", ["freestyle", "pipeline"])
def test_the_root_description_names_a_few_dozen_dependents_and_counts_the_rest(job_type, platforms):
    inventory, jobs = platforms["star", job_type]
    description = _description(jobs.by_name()[inventory.job("acme/base")].xml)
    more = APPS - DESCRIPTION_LISTS
    assert f"docker/app-{DESCRIPTION_LISTS - 1:05d}, ... and {more:,} more; see jenkins-docker impact acme/base." in description
    assert f"docker/app-{DESCRIPTION_LISTS:05d}" not in description
    assert len(description) < 3_000


def test_a_chain_description_lists_its_waves_in_order(platforms):
    inventory, jobs = platforms["chain", "pipeline"]
    description = _description(jobs.by_name()[inventory.job("acme/level-47")].xml)
    assert "rebuilds in waves: docker/acme-level-48; then docker/acme-level-49; then docker/top." in description


def _description(xml: str) -> str:
    import xml.etree.ElementTree as ET
    return ET.fromstring(xml.split("?>", 1)[1]).findtext("description") or ""
