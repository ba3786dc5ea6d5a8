"""Rendering: an inventory in, every Jenkins item's ``config.xml`` out.

Each job's XML comes from a Jinja2 template (``job_templates/`` at the top of the repository,
installed as ``jenkins_docker.job_templates``). A directory of the user's own templates, given to
:func:`render` or as the inventory's ``templates:``, is searched first, so one file there replaces
one bundled template. Templates hold no logic beyond loops and simple conditionals: this module
computes a plain, ready view of each job (names, trigger lists, waves, the values a recipe
quotes), the recipe templates write what the job runs (shell, Groovy) and the job templates lay
it out as XML. XML templates' output is XML-escaped (autoescape), and a variable a template names
but does not get is an error, never an empty string. Values are escaped the way Jenkins (XStream)
writes them, ``&amp; &lt; &gt; &quot; &apos;``, so rendered and returned configs read alike.

How a base-image rebuild cascades
=================================

A rebuild of an image must rebuild every image and app built from it, directly or not,
**exactly once**, and each one **after all of its rebuilt parents**; siblings run in parallel.

Freestyle jobs (the default) use Jenkins's own dependency graph:

- each job's ``hudson.tasks.BuildTrigger`` publisher triggers the jobs of its children in the
  *transitive reduction* of the graph (:meth:`ImageGraph.triggers`), on SUCCESS, with no
  parameters. In a diamond (A -> B -> C and A -> C), A does not trigger C: B does.
- every job with more than one upstream in the reduction has ``blockBuildWhenUpstreamBuilding``:
  it waits in the queue while any of its transitive upstream jobs is building or queued. The
  second parent's trigger then finds it still waiting and merges into that queue item (items
  merge only when their parameters are equal, hence triggers without parameters): one build,
  after both parents. Jobs with a single upstream need no blocking: their one parent builds once.
- no job builds concurrently with itself (``concurrentBuild`` false).

Pipeline jobs (``job_type: pipeline``) are not in that dependency graph and cannot block on
upstreams, so the cascade is driven by the job where it starts:

- every build job has a boolean parameter ``CASCADE`` (default true: a push, a timer or a click
  starts a cascade);
- after its own build and push, a job whose build ran with ``CASCADE`` true runs, as its last
  stage and outside any ``node`` (so it holds no executor while it waits), the build waves of
  everything built from its image (:meth:`ImageGraph.waves` minus wave 0): each wave's jobs in
  ``parallel``, each ``build job: NAME, parameters: [booleanParam(name: 'CASCADE', value: false)],
  wait: true, propagate: true``. Wave n+1 starts when wave n has finished, and an image sits in
  the wave after all of its rebuilt parents; the children, run with CASCADE false, cascade no
  further. A failure stops the waves after it.
- the waves are data, not code: the default value of a text parameter ``WAVES`` (one wave a
  line, full job names separated by ``;``), which the script splits with ``tokenize``. The CPS
  transformer turns every constant of a script into code, and a method over 64 KB of bytecode
  fails the build ("Method too large"), so a list literal of a base image's thousands of
  dependents would break exactly the job at the root of the platform; the script's size no
  longer depends on how many images there are. Before building, a cascading build checks the
  value's length and ``hashCode()`` against the generated one, so an edit in the "Build with
  Parameters" form cannot make the cascade build other jobs.

Either way an app with a ``deploy`` command has a deploy job, started after each successful build
of the app with ``IMAGE_TAG`` set to the build number (freestyle: the parameterized-trigger
plugin; pipeline: ``build job: ..., wait: false``) and runnable by hand with any tag.

What a build runs
=================

The ``test`` command (as written), then one shell script (``build.sh.j2``): ``docker login --password-stdin`` with
the registry's credentials bound to ``REGISTRY_USER``/``REGISTRY_PASSWORD`` (the XML holds only
credentials ids), and one more login per other registry the build pulls a parent from
(:mod:`jenkins_docker.rendering.logins`), a ``docker pull`` of each parent whose resolved digest is recorded
as labels (:mod:`jenkins_docker.rendering.provenance`), ``docker build`` (without ``--pull``: it uses the
parents just pulled) tagged ``$BUILD_NUMBER``, the short commit and
``latest``, a push of each tag, and ``docker logout`` from an ``EXIT`` trap, so it runs on
failure too. ``DOCKER_CONFIG`` points into the build's own temporary directory
(``$WORKSPACE_TMP``, else ``$WORKSPACE@tmp``): the logout of one build cannot log out another
running on the same agent, which parallel siblings of a cascade often do.

Templates
=========

Job templates (``*.xml.j2``) lay out each item's XML; recipe templates (``*.sh.j2``,
``*.groovy.j2``) write what a job runs: ``build.sh.j2`` (the build above, for both job types),
``test.sh.j2``, ``deploy.sh.j2``, ``seed.sh.j2``, ``watch.sh.j2``, ``build.groovy.j2`` and
``deploy.groovy.j2``. Recipe templates are not XML-escaped: their text reaches a job template as
``builders`` or ``script``, which escapes it once. They quote every inventory value with the
filters ``sh`` (:func:`shlex.quote`) and ``groovy`` (:func:`groovy_string`). This module keeps the
invariants, computed here and handed to the templates as values (triggers, blocking, waves, the
ownership line), and checks after each template that its output kept them (:func:`_require`,
:func:`jenkins_docker.ownership.check_rendered`). What each template receives is listed once, in
docs/templates.md (checked by tests/test_recipe_templates.py).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
import shlex
from pathlib import Path
from typing import Any, Mapping

import jinja2

from jenkins_docker import naming, ownership
from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.inventory import Image, Inventory
from jenkins_docker.rendering import deploys, provenance
from jenkins_docker.rendering.logins import RegistryLogin, registry_logins

#: How every ownership line starts (see :mod:`jenkins_docker.ownership` for the exact line
#: that makes an item this inventory's; containing this text does not).
MANAGED_MARKER = "Managed by jenkins-docker"

#: The line the first release wrote at the end of every description (items ending with it are
#: *legacy*, see :mod:`jenkins_docker.ownership`); descriptions now end with
#: :func:`~jenkins_docker.ownership.ownership_line`.
MANAGED_LINE = ownership.LEGACY_LINE

#: How a pipeline's cascade starts each job: children run with CASCADE false and cascade no further.
_CASCADE_STEP = "booleanParam(name: 'CASCADE', value: false)"

#: Tags every build pushes, besides the short commit.
_BUILD_TAG = "$BUILD_NUMBER"
_COMMIT_TAG = "$SHORT_COMMIT"
_LATEST_TAG = "latest"


class TemplateError(JenkinsDockerError):
    """A job template is missing, does not parse, or names a variable it is not given."""


@dataclasses.dataclass(frozen=True)
class Item:
    """One rendered Jenkins item: a folder or a job, with its config.xml."""

    full_name: str          # "docker/acme-nginx"; a folder's own full name ("ops/docker")
    name: str
    folder: str | None      # the folder holding it, or None at the top level
    kind: str               # "folder" | "freestyle" | "pipeline"
    role: str               # "folder" | "build" | "deploy" | "seed" | "watch"
    image: str | None       # the inventory key of the image or app (build and deploy jobs)
    xml: str                # config.xml, UTF-8 text, identical for identical input
    after: tuple[str, ...] = ()   # full names of the items to write first: its folder and the
                                  # jobs that trigger it (sync writes a job once these exist)
    digest: str = ""        # the digest in its ownership line (ownership.stamp): what --fast compares


@dataclasses.dataclass(frozen=True)
class View:
    """A ``hudson.model.ListView`` listing the jobs; ``folder`` is where it lives (None: top level)."""

    name: str
    folder: str | None
    xml: str


@dataclasses.dataclass(frozen=True)
class ItemSet:
    """Everything rendered from an inventory, with its scope: whose it is (``owner``) and where (``folder``).

    ``jobs`` holds folders first (outer before inner), then jobs so that each job's upstreams
    come before it; ``views`` the list view, if the inventory asks for one (a view inside a folder
    is also part of the folder's config.xml).
    """

    jobs: list[Item]
    views: list[View]
    owner: str | None = None      # the inventory's identity (jenkins.owner, else its folder)
    folder: str | None = None     # the inventory's folder: the scope a plan lists, prunes and adopts in

    def by_name(self) -> dict[str, Item]:
        """The jobs keyed by full name."""
        return {job.full_name: job for job in self.jobs}


#: The first release's names for :class:`Item` and :class:`ItemSet`, kept for scripts that import them.
Job = Item
JobSet = ItemSet


# -- templates ---------------------------------------------------------------------------------
def bundled_templates() -> Path:
    """The directory of the templates shipped with jenkins-docker.

    Installed, they are the package ``jenkins_docker.job_templates``; in a source checkout that
    package does not exist and they sit in ``job_templates/`` next to the ``jenkins_docker``
    directory. Found by path, not with :mod:`importlib.resources`, whose import costs more than
    rendering a few jobs.
    """
    package = Path(__file__).resolve().parents[1]
    installed = package / "job_templates"
    if installed.is_dir():
        return installed
    return package.parent / "job_templates"


def _xstream_entities(xml: str) -> str:
    """Use the entities XStream writes (``&apos;`` ``&quot;``) where markupsafe wrote numeric ones.

    Autoescape escapes every value as ``&#39;`` and ``&#34;``; a literal ``&#39;`` typed in a value
    was itself escaped (``&amp;#39;``), so only escaped quotes match. One pass over the finished
    text costs far less than a finalize hook on every expression.
    """
    return xml.replace("&#39;", "&apos;").replace("&#34;", "&quot;")


class _EscapesXml:
    """Autoescape for XML templates only: a recipe template (``.sh.j2``, ``.groovy.j2``) writes
    shell or Groovy text, which the XML template holding it escapes once. Its ``repr`` is stable:
    the bytecode cache's directory is named after the options."""

    def __call__(self, name: str | None) -> bool:
        return not (name or "").endswith(RECIPE_SUFFIXES)

    def __repr__(self) -> str:
        return "autoescape-unless" + repr(RECIPE_SUFFIXES)


#: The recipe templates' endings: their text is shell or Groovy, not XML (see docs/templates.md).
RECIPE_SUFFIXES = (".sh.j2", ".groovy.j2")

#: How templates are compiled (the bytecode cache is keyed by these too).
_TEMPLATE_OPTIONS: dict[str, Any] = {
    "autoescape": _EscapesXml(),
    "undefined": jinja2.StrictUndefined,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


@functools.lru_cache(maxsize=8)
def _environment(search_path: tuple[str, ...]) -> jinja2.Environment:
    from jenkins_docker.rendering.template_cache import open_cache

    # The environment outlives a render (a script may render, edit a template and render again):
    # Jinja2 checks a template's file when it is asked for it, which one render does once per
    # template (_Templates), not once per job.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(list(search_path)),
                             bytecode_cache=open_cache(_TEMPLATE_OPTIONS), **_TEMPLATE_OPTIONS)
    env.filters["xmlbool"] = lambda value: "true" if value else "false"
    env.filters["sh"] = shlex.quote
    env.filters["groovy"] = groovy_string
    return env


def _search_path(inventory: Inventory, templates: str | os.PathLike[str] | None) -> tuple[str, ...]:
    user = templates if templates is not None else inventory.templates
    dirs = [os.fspath(user)] if user is not None else []
    return (*dirs, os.fspath(bundled_templates()))


class _Templates:
    """The templates of one render, each asked of the environment once: Jinja2 locks its cache,
    reorders it and checks the template's file on every ask, and a render asks thousands of times."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self._loaded: dict[str, jinja2.Template] = {}

    def get(self, name: str) -> jinja2.Template:
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = self.env.get_template(name)
        return template


def _render_template(templates: _Templates, name: str, context: Mapping[str, Any]) -> str:
    env = templates.env
    try:
        template = templates.get(name)
        # What Template.render does, without merging the globals (a ChainMap) into every job's
        # context one key at a time: the environment's globals are a plain dict, merged in C.
        # Rendering is most of the CPU of a render or a --fast sync (docs/benchmarks.md).
        text = "".join(template.root_render_func(template.new_context({**env.globals, **context}, shared=True)))
        # A recipe's text is not XML: a literal "&#39;" in it is shell or Groovy, left as it is.
        return text if name.endswith(RECIPE_SUFFIXES) else _xstream_entities(text)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found in {', '.join(env.loader.searchpath)}") from None  # type: ignore[union-attr]
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {name}: {exc}") from None


# -- quoting -----------------------------------------------------------------------------------
#: In a '''...''' string, a quote that could end the string: one before another quote, or the last.
_QUOTE_TO_ESCAPE = re.compile(r"'(?='|\Z)")


def groovy_string(text: str) -> str:
    """``text`` as a Groovy string literal that does not interpolate ``$``.

    One line: ``'...'``. Several lines: ``'''...'''`` with the lines as written, which keeps
    a shell script readable; a quote is escaped where it could end the string (before another
    quote, or last).
    """
    escaped = text.replace("\\", "\\\\").replace("\r", "\\r")
    if "\n" not in text:
        return "'" + escaped.replace("'", "\\'").replace("\t", "\\t") + "'"
    return "'''" + _QUOTE_TO_ESCAPE.sub(r"\\'", escaped) + "'''"


def java_string_hash(text: str) -> int:
    """``text.hashCode()`` as Java computes it (over UTF-16 code units, as a signed 32-bit int).

    The cascade compares its ``WAVES`` parameter with the generated value through this hash:
    a script constant whose size does not depend on the value's.
    """
    units = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(units), 2):
        value = (31 * value + (units[index] << 8 | units[index + 1])) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _java_length(text: str) -> int:
    """``text.length()`` in Java: UTF-16 code units."""
    return len(text.encode("utf-16-be")) // 2


#: Between two waves, and between two job names of a wave, in the ``WAVES`` parameter. Neither
#: can be part of a job's full name: Jenkins refuses control characters and ``;`` in names.
WAVE_SEPARATOR = "\n"
NAME_SEPARATOR = ";"

#: How many dependents a description names before it only counts the rest.
DESCRIPTION_LISTS = 30


def waves_parameter(waves: list[list[str]]) -> str:
    """The waves as the text the ``WAVES`` parameter carries: one wave a line, names joined by ``;``."""
    return WAVE_SEPARATOR.join(NAME_SEPARATOR.join(wave) for wave in waves)


def _listing(groups: list[list[str]], image: str, group_separator: str) -> str:
    """The names of ``groups``, at most :data:`DESCRIPTION_LISTS` of them, then how many more.

    Descriptions are read by people on the job's page; a base image with thousands of dependents
    names the first few dozen and points to ``jenkins-docker impact`` for the rest.
    """
    shown: list[str] = []
    left = DESCRIPTION_LISTS
    for group in groups:
        if left <= 0:
            break
        if group[:left]:
            shown.append(", ".join(group[:left]))
        left -= len(group)
    more = sum(len(group) for group in groups) - DESCRIPTION_LISTS
    text = group_separator.join(shown)
    return f"{text}, ... and {more:,} more; see jenkins-docker impact {image}" if more > 0 else text


def _by_name(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` sorted by name, as the recipe templates loop over them."""
    return dict(sorted(values.items()))


def _require(text: str, pieces: list[str], template: str, what: str) -> None:
    """Raise :class:`TemplateError` naming ``template`` when its output lost one of ``pieces``."""
    if not all(piece in text for piece in pieces):
        raise TemplateError(f"template {template}: the output must keep {what}; start from the bundled template "
                            "and add to it (see docs/templates.md)")


def _login(login: RegistryLogin) -> dict[str, Any]:
    """A registry login as the recipe templates see it."""
    return {"host": login.host, "registry": login.registry, "credentials": login.credentials,
            "username_variable": login.username_variable, "password_variable": login.password_variable, "push": login.push}


def _binding(login: RegistryLogin) -> dict[str, str]:
    """A registry login as the template's credentials binding: an id and the two variables."""
    return {"credentials": login.credentials, "username_variable": login.username_variable,
            "password_variable": login.password_variable}


class _Renderer:
    """Computes each job's view and renders it; one per :func:`render` call."""

    def __init__(self, inventory: Inventory, env: jinja2.Environment, webhook_token: str | None = None) -> None:
        self.inventory = inventory
        self.webhook_token = webhook_token
        self.settings = inventory.jenkins
        self.graph = inventory.graph
        self.templates = _Templates(env)
        self.folder = self.settings.folder
        self.owner = self.settings.identity
        self.line = ownership.ownership_line(self.owner)

    # -- names -----------------------------------------------------------------------------
    def full(self, name: str) -> str:
        return naming.full_name(self.folder, name)

    def make_job(self, name: str, kind: str, role: str, image: str | None, template: str, context: dict[str, Any]) -> Item:
        context = {"name": name, "full_name": self.full(name), "disabled": self.inventory.images[image].disabled if image else False, **context}
        xml, digest = ownership.stamp(self.render(template, context), self.owner)
        return Item(self.full(name), name, self.folder, kind, role, image, xml, self.after(role, image), digest)

    def after(self, role: str, image: str | None) -> tuple[str, ...]:
        """What sync writes before a job: its folder, then a build job's upstream jobs or a deploy job's build job."""
        folder = (self.folder,) if self.folder else ()
        if role == "build" and image is not None:
            return folder + tuple(self.inventory.job(u) for u in self.graph.upstreams(image))
        if role == "deploy" and image is not None:
            return folder + (self.inventory.job(image),)
        return folder

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """A template's output, checked to end its description with the ownership line."""
        xml = _render_template(self.templates, template, context)
        problem = ownership.check_rendered(xml, self.line, template)
        if problem:
            raise TemplateError(problem)
        return xml

    def recipe(self, template: str, name: str, context: Mapping[str, Any]) -> str:
        """A recipe template's shell or Groovy text for the job ``name`` (see docs/templates.md)."""
        return _render_template(self.templates, template, {"name": name, "full_name": self.full(name), **context})

    # -- shared views ----------------------------------------------------------------------
    def git(self, url: str, branch: str) -> dict[str, Any]:
        return {"url": url, "credentials": self.settings.git_credentials, "branch_spec": f"*/{branch}"}

    def gitlab(self, branch: str) -> dict[str, str | None] | None:
        connection = self.settings.gitlab_connection
        return {"connection": connection, "branch": branch, "secret_token": self.webhook_token} if connection else None

    def agent(self, image: Image | None) -> str | None:
        return (image.agent if image is not None else None) or self.settings.agent

    def description(self, *paragraphs: str) -> str:
        return "\n".join([*paragraphs, self.line])

    # -- build jobs ------------------------------------------------------------------------
    def build_description(self, image: Image, cascade: str) -> str:
        parents = []
        for parent in image.parents:
            text = f"{parent.image} ({self.inventory.job(parent.image)})" if parent.image else f"{parent.normalized} (external)"
            if parent.pinned:
                text += " (pinned by digest: its rebuilds do not rebuild this image)"
            parents.append(text)
        lines = [
            f"Builds {image.push_name} from {image.git}, branch {image.branch}, and pushes it "
            "tagged with the build number, the short commit and latest.",
            f"Built from: {', '.join(parents)}.",
            cascade,
        ]
        if image.deploy_job_name:
            lines.append(f"{deploys.describe(image).capitalize()} starts the deploy job {self.full(image.deploy_job_name)} "
                         "with the tag and the commit it built.")
        if image.rebuild:
            lines.append(f"Rebuilds on the schedule {image.rebuild}, which cascades like any rebuild.")
        if image.disabled:
            lines.append("Disabled in the inventory (disabled: true): it builds nothing, and a cascade stops here.")
        return self.description(*lines)

    def build_job(self, image: Image) -> Item:
        if self.settings.job_type == "pipeline":
            return self.build_pipeline(image)
        triggers = [self.inventory.images[child].job_name for child in self.graph.triggers(image.key)]
        cascade = (f"Triggers: {_listing([[self.full(t) for t in triggers]], image.key, '; ')}." if triggers
                   else "Triggers no other image job.")
        logins = registry_logins(self.inventory, image)
        env = _by_name(image.env)
        builders = [self.recipe("test.sh.j2", image.job_name, {"env": env, "test": image.test})] if image.test else []
        first, last = deploys.shell_lines(image) if image.deploy_job_name else ([], [])
        guard = {"first": "\n".join(first), "last": "\n".join(last)} if first or last else None
        builders.append(self.build_script(image, logins, env, guard))
        context = {
            "description": self.build_description(image, cascade),
            "git": self.git(image.git, image.branch),
            "gitlab": self.gitlab(image.branch),
            "timer": image.rebuild,
            "keep_builds": self.settings.keep_builds,
            "agent": self.agent(image),
            "block_upstream": len(self.graph.upstreams(image.key)) > 1,
            "builders": builders,
            "registry_credentials": image.registry.credentials,
            "registry_logins": [_binding(login) for login in logins],
            "downstream": ",".join(sorted(naming.absolute(self.full(t)) for t in triggers)) or None,
            "deploy_trigger": self.deploy_trigger(image),
        }
        return self.make_job(image.job_name, "freestyle", "build", image.key, "freestyle.xml.j2", context)

    def build_script(self, image: Image, logins: list[RegistryLogin], env: Mapping[str, str],
                     guard: Mapping[str, str] | None) -> str:
        """The shell of a build (``build.sh.j2``), checked to keep the deploy condition's lines."""
        commands, labels = provenance.record_commands(provenance.pull_reference(self.inventory, image))
        context = {
            "env": env,
            "deploy_guard": guard,
            "image": {"push_name": image.push_name, "dockerfile": image.dockerfile, "context": image.context,
                      "build_args": _by_name(image.build_args)},
            "tags": [_BUILD_TAG, _COMMIT_TAG, _LATEST_TAG],
            "logins": [_login(login) for login in logins],
            "provenance": {"commands": commands, "labels": labels},
        }
        script = self.recipe("build.sh.j2", image.job_name, context)
        if guard is not None:
            _require(script, [guard["first"], guard["last"]], "build.sh.j2",
                     f"the lines of deploy_guard (the deploy job of {image.key} starts only when they write {deploys.PROPERTIES_FILE})")
        return script

    def deploy_trigger(self, image: Image) -> dict[str, Any] | None:
        """The freestyle deploy trigger: predefined parameters, or the file a qualifying build writes."""
        if not image.deploy_job_name:
            return None
        if deploys.condition(image) is None:
            return {"project": naming.absolute(self.full(image.deploy_job_name)), "file": None,
                    "properties": f"IMAGE_TAG={_BUILD_TAG}\n{deploys.COMMIT_PARAMETER}=$GIT_COMMIT"}
        return {"project": naming.absolute(self.full(image.deploy_job_name)), "file": deploys.PROPERTIES_FILE, "properties": None}

    def cascade_waves(self, image: Image) -> list[list[str]]:
        if not self.graph.rebuild_children(image.key):
            return []   # nothing rebuilds after it: most images of a large platform are such leaves
        return [[self.inventory.job(key) for key in wave] for wave in self.graph.waves([image.key])[1:]]

    def build_pipeline(self, image: Image) -> Item:
        waves = self.cascade_waves(image)
        if waves:
            cascade = f"After a build with CASCADE checked, rebuilds in waves: {_listing(waves, image.key, '; then ')}."
        else:
            cascade = "Nothing is built from this image: no cascade."
        logins = registry_logins(self.inventory, image)
        parameters = [{"type": "boolean", "name": "CASCADE", "default": True,
                       "description": "Also rebuild, in order, every image and app built from this image."}]
        guard = None
        if waves:
            # The waves are data, not code: the WAVES parameter's default value. A script's code
            # must not grow with the platform (CPS: "Method too large", see the README).
            value = waves_parameter([[naming.absolute(name) for name in wave] for wave in waves])
            parameters.append({"type": "text", "name": "WAVES", "default": value, "description": (
                "The cascade's build waves, written by jenkins-docker: one wave a line, job names separated "
                "by ';'. Leave it as it is: the cascade refuses any other value.")})
            guard = {"length": _java_length(value), "hash": java_string_hash(value)}
        deploy_job = naming.absolute(self.full(image.deploy_job_name)) if image.deploy_job_name else None
        deploy = None if deploy_job is None else {
            "job": deploy_job, "condition": deploys.groovy_condition(image, "built"), "commit_parameter": deploys.COMMIT_PARAMETER}
        script = self.recipe("build.groovy.j2", image.job_name, {
            "agent": self.agent(image),
            "git": self.git(image.git, image.branch),
            "env": _by_name(image.env),
            "test": image.test,
            "logins": [_login(login) for login in logins],
            "build_script": self.build_script(image, logins, {}, None),
            "deploy": deploy,
            "waves": guard,
        })
        if guard is not None:
            _require(script, ["params.WAVES", f".hashCode() != {guard['hash']}", _CASCADE_STEP], "build.groovy.j2",
                     f"the cascade of the images built from {image.key}: it reads params.WAVES, checks its hash "
                     f"(.hashCode() != {guard['hash']}) and builds each job with {_CASCADE_STEP}")
        if deploy_job is not None:
            _require(script, [f"build job: {groovy_string(deploy_job)}"], "build.groovy.j2", f"the build job: step of the deploy job {deploy_job}")
        context = {
            "description": self.build_description(image, cascade),
            "gitlab": self.gitlab(image.branch),
            "timer": image.rebuild,
            "keep_builds": self.settings.keep_builds,
            "parameters": parameters,
            "script": script,
        }
        return self.make_job(image.job_name, "pipeline", "build", image.key, "pipeline.xml.j2", context)

    # -- deploy jobs -----------------------------------------------------------------------
    def deploy_job(self, image: Image) -> Item:
        assert image.deploy is not None and image.deploy_job_name is not None
        commit = deploys.COMMIT_PARAMETER
        description = self.description(
            f"Deploys {image.push_name}:$IMAGE_TAG by running, in a checkout of {image.git} at ${commit}: {image.deploy}",
            f"Started after {deploys.describe(image)} of {self.full(image.job_name)}, with IMAGE_TAG set to its build number "
            f"and {commit} to the commit it built; run it by hand with another tag and commit to roll back.",
        )
        git = {**self.git(image.git, image.branch), "branch_spec": f"${{{commit}}}"}
        env = _by_name({**image.env, "IMAGE": image.push_name})
        parameters = [{"type": "string", "name": "IMAGE_TAG", "default": _LATEST_TAG,
                       "description": f"Tag of {image.push_name} to deploy."},
                      {"type": "string", "name": commit, "default": image.branch,
                       "description": f"Commit (or branch) of {image.git} to check out: the one the image was built from."}]
        context: dict[str, Any] = {"description": description, "keep_builds": self.settings.keep_builds, "parameters": parameters}
        if self.settings.job_type == "pipeline":
            context["script"] = self.recipe("deploy.groovy.j2", image.deploy_job_name, {
                "agent": self.agent(image), "git": git, "env": env, "deploy": image.deploy, "commit_parameter": commit})
            return self.make_job(image.deploy_job_name, "pipeline", "deploy", image.key, "deploy-pipeline.xml.j2", context)
        builders = [self.recipe("deploy.sh.j2", image.deploy_job_name, {"env": env, "deploy": image.deploy})]
        context.update(git=git, agent=self.agent(image), builders=builders)
        return self.make_job(image.deploy_job_name, "freestyle", "deploy", image.key, "deploy-freestyle.xml.j2", context)

    # -- seed, folders, views --------------------------------------------------------------
    def jenkins_url(self) -> str | None:
        """The seed's ``jenkins_url``: the ``--jenkins`` of the seed and watch jobs (else ``$JENKINS_URL``).

        ``$JENKINS_URL`` is set in a build only when Jenkins's root URL is configured: without
        either the build stops with a message saying what to set (``_macros.sh.j2``).
        """
        seed = self.settings.seed_job
        return seed.jenkins_url if seed is not None and seed.jenkins_url else None

    def seed_job(self) -> Item:
        seed = self.settings.seed_job
        assert seed is not None
        prune = " --prune" if self.owner else ""  # refused without an owner (see ownership.policy)
        command = self.recipe("seed.sh.j2", seed.name, {"install": self.settings.install, "inventory": seed.inventory,
                                                        "jenkins_url": self.jenkins_url(), "prune": bool(prune)})
        description = self.description(
            f"Re-syncs the jobs generated by jenkins-docker from {seed.inventory} in {seed.git}, branch {seed.branch}, "
            f"on every push: validates the inventory, then runs jenkins-docker sync{prune}.",
            f"Signs in to Jenkins with the credentials {seed.credentials} (username and API token).",
        )
        context = {
            "description": description,
            "git": self.git(seed.git, seed.branch),
            "gitlab": self.gitlab(seed.branch),
            "keep_builds": self.settings.keep_builds,
            "agent": self.agent(None),
            "builders": [command],
            "api_credentials": seed.credentials,
        }
        return self.make_job(seed.name, "freestyle", "seed", None, "seed.xml.j2", context)

    def watch_job(self) -> Item:
        """The watcher: ``rebuild --outdated`` on a schedule, with the API and registry logins bound by id."""
        watch = self.settings.watch
        assert watch is not None
        from jenkins_docker.rendering.logins import env_name

        command = self.recipe("watch.sh.j2", watch.name, {"install": self.settings.install, "inventory": watch.inventory,
                                                          "jenkins_url": self.jenkins_url()})
        registries = sorted(self.inventory.registries.values(), key=lambda r: r.name)
        bindings = [{"credentials": watch.credentials, "username_variable": "JENKINS_USER", "password_variable": "JENKINS_API_TOKEN"}]
        # Reading needs only pull access: a registry's pull_credentials when it has them.
        bindings += [{"credentials": r.pull_credentials or r.credentials, "username_variable": f"{env_name(r.name)}_USER",
                      "password_variable": f"{env_name(r.name)}_PASSWORD"} for r in registries]
        description = self.description(
            f"Checks on the schedule {watch.schedule} which images are built on a parent that has moved since "
            f"(jenkins-docker outdated, asking the registries), and queues the topmost of them; the cascade rebuilds the rest. "
            f"Inventory: {watch.inventory} in {watch.git}, branch {watch.branch}.",
            f"Queues builds as the credentials {watch.credentials}; reads the registries with "
            + ", ".join(f"{r.pull_credentials or r.credentials} ({r.host})" for r in registries) + ".",
        )
        context = {
            "description": description,
            "git": self.git(watch.git, watch.branch),
            "timer": watch.schedule,
            "keep_builds": self.settings.keep_builds,
            "agent": self.agent(None),
            "builders": [command],
            "bindings": bindings,
        }
        return self.make_job(watch.name, "freestyle", "watch", None, "watch.xml.j2", context)

    def view(self, job_names: list[str]) -> dict[str, Any]:
        assert self.settings.view is not None
        return {
            "name": self.settings.view,
            "description": self.description(f"The jobs generated from {self.inventory.path.name} by jenkins-docker."),
            "jobs": sorted(job_names, key=lambda n: (n.casefold(), n)),
        }

    def folders(self, view: dict[str, Any] | None) -> list[Item]:
        if not self.folder:
            return []
        parts = self.folder.split("/")
        out = []
        for depth, name in enumerate(parts, start=1):
            parent = "/".join(parts[:depth - 1]) or None
            full_name = naming.full_name(parent, name)
            innermost = depth == len(parts)
            what = (f"The Docker image jobs generated by jenkins-docker from {self.inventory.path.name}." if innermost
                    else f"Holds {'/'.join(parts[:depth + 1])}, created by jenkins-docker.")
            context = {
                "name": name,
                "full_name": full_name,
                "description": self.description(what),
                "views": [view] if innermost and view else [],
            }
            xml, digest = ownership.stamp(self.render("folder.xml.j2", context), self.owner)
            out.append(Item(full_name, name, parent, "folder", "folder", None, xml, (parent,) if parent else (), digest))
        return out

    # -- everything ------------------------------------------------------------------------
    def run(self) -> ItemSet:
        images = self.inventory.images
        order = self.graph.topological_order(images.keys(), key=lambda key: images[key].job_name)
        jobs = [self.build_job(images[key]) for key in order]
        jobs += [self.deploy_job(images[key]) for key in sorted(order, key=lambda k: images[k].job_name) if images[key].deploy]
        if self.settings.seed_job is not None:
            jobs.append(self.seed_job())
        if self.settings.watch is not None:
            jobs.append(self.watch_job())
        view = self.view([job.name for job in jobs]) if self.settings.view else None
        views = []
        if view is not None:
            views.append(View(view["name"], self.folder, self.render("view.xml.j2", {"view": view})))
        return ItemSet(self.folders(view) + jobs, views, self.owner, self.folder)


def render(inventory: Inventory, *, templates: str | os.PathLike[str] | None = None,
           webhook_token: str | None = None) -> ItemSet:
    """Render every item of ``inventory``: its folders, build jobs, deploy jobs, seed job, view.

    Templates are looked up in ``templates`` (else the inventory's ``templates`` directory), then
    in the bundled ones. ``webhook_token`` is the secret every GitLab push trigger checks (the one
    the hooks send); without it the triggers carry none, and a sync keeps a token already set on
    the live job. The output is byte-identical for identical input. Raises
    :class:`TemplateError` when a template is missing, broken, or uses a variable it is not given.
    """
    return _Renderer(inventory, _environment(_search_path(inventory, templates)), webhook_token).run()


def write_tree(jobs: ItemSet, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write every item's config.xml in the layout of a JENKINS_HOME and return the paths written.

    A file that already holds exactly the rendered bytes is not rewritten (nor returned), so
    rendering again into the same directory writes only what changed. Each file is replaced atomically (written to a temporary file, then renamed), so a reader
    never sees half a config. A top-level view has no file of its own in JENKINS_HOME (it lives
    in Jenkins's own config.xml) and is not written; a view inside a folder is part of the
    folder's config.xml.
    """
    from jenkins_docker.rendering.files import item_dir, write_atomically

    root = Path(out_dir)
    written = []
    for job in jobs.jobs:
        path = os.path.join(item_dir(root, job.full_name), "config.xml")
        data = job.xml.encode("utf-8")
        try:
            if os.stat(path).st_size == len(data):
                with open(path, "rb") as handle:
                    if handle.read() == data:
                        continue  # already right: leave the file (and its mtime) alone
        except OSError:
            pass
        write_atomically(path, data)
        written.append(Path(path))
    return written
