"""How Jenkins loads a posted ``config.xml`` and writes it back: the XStream model behind the fake.

Jenkins never keeps the text it is sent: ``updateByXml`` unmarshals the document into Java objects
with XStream, and ``GET config.xml`` marshals those objects again.  This module models that round
trip for the classes a job-sync tool writes, with no HTTP in it; the fake's item store
(:mod:`.jenkins_store`) and server (:mod:`.fake_jenkins`) use it through a small API:

* :func:`parse_xml` parses a posted document the way Jenkins's safe XML transform does, raising
  :class:`XmlError` (Jenkins answers 500) for a DOCTYPE or malformed XML;
* :class:`Loader` loads an element into the model (:class:`Obj` for modelled classes, :class:`Raw`
  for classes kept as posted, ``None`` for classes Jenkins could not load) for the installed
  plugins and the controller's version;
* :class:`Writer` writes a loaded object back as Jenkins does and records which plugins it named;
* :class:`Cipher` is one controller's ``hudson.util.Secret`` key;
* :func:`root_class`/:func:`root_tag` map a document's root element to its class and back,
  :func:`decode_tag`/:func:`encode_tag` do XStream's name escaping, :func:`all_view` is a fresh
  "All" view, :func:`ci_key` is Java's case-insensitive string order, :func:`version_tuple` parses a
  Jenkins version; the class-name constants name the classes the server treats specially.

What is modelled (as Jenkins does since ``updateByXml`` re-serialises from memory):

* A posted document is *loaded* into a model and ``GET config.xml`` returns the model written
  back, never the posted text: declaration ``<?xml version="1.1" encoding="UTF-8"?>``, two-space
  indent, no newline after the root, fields in Java declaration order (superclass first), ``'``
  and ``"`` as ``&apos;``/``&quot;``, CR as ``&#xd;`` (CRLF in text reaches the model as LF),
  ``plugin="artifactId@version"`` on each element whose class comes from a plugin other than the
  closest plugin-owned ancestor's, comments dropped.
* Omitted fields load as null/false/0 (no constructor runs); then each class's ``readResolve``
  or ``onLoad`` defaults are applied the way the real class does (a freestyle job without
  ``<scm>`` gets ``NullSCM``, a folder without views gets its ``All`` view, ...).
* Unknown or misspelt elements of a *modelled* class vanish, and so does every element whose class
  belongs to a plugin that is not installed, or to no known plugin at all; the POST still
  answers 200.  ``hudson.util.Secret`` fields come back encrypted (``{AQAAABAAAAA...}``): the
  payload has Jenkins's layout (version byte, IV and data lengths, a 16-byte IV, the data), the
  cipher is a stand-in keyed per controller; re-posting an encrypted value keeps it.

Modelled classes (``MODELLED_CLASSES`` lists them): the freestyle ``project``, pipeline
``flow-definition``, ``com.cloudbees.hudson.plugins.folder.Folder`` (with its view holder, icon and
health metric), ``hudson.scm.NullSCM``, ``hudson.plugins.git.GitSCM`` with ``UserRemoteConfig`` and
``BranchSpec``, ``com.dabsquared.gitlabjenkins.GitLabPushTrigger`` with
``GitLabConnectionProperty`` and ``MergeRequestLabelFilterConfig``, ``hudson.tasks.Shell`` and
``BatchFile``, ``SecretBuildWrapper`` with the credentials-binding bindings, ``hudson.tasks.BuildTrigger``,
``jenkins.triggers.ReverseBuildTrigger``, ``hudson.model.Result``, ``hudson.triggers.TimerTrigger``
and ``SCMTrigger``, ``jenkins.model.BuildDiscarderProperty`` with ``hudson.tasks.LogRotator``,
``ParametersDefinitionProperty`` with string and boolean parameters, ``CpsFlowDefinition``,
``CpsScmFlowDefinition``, ``PipelineTriggersJobProperty``, ``DisableConcurrentBuildsJobProperty``,
``DisableResumeJobProperty``, ``DurabilityHintJobProperty``, ``ListView``, ``AllView``, ``MyView``
and the core list-view columns.  Any other class that Jenkins core or an installed plugin
provides is kept as it was posted (re-indented, comments and whitespace-only text dropped,
``plugin`` attributes recomputed), because the model does not know its fields; an empty text
element of such a class comes back as ``<x/>``.
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

__all__ = [
    "DISABLE_CONCURRENT_PROPERTY", "FOLDER", "FOLDER_VIEWS", "FREESTYLE", "GITLAB_TRIGGER", "ITEM_CLASSES",
    "MODELLED_CLASSES", "PIPELINE", "PIPELINE_TRIGGERS_PROPERTY", "VIEW_CLASSES",
    "Cipher", "Loader", "Obj", "Raw", "Secret", "Writer", "XmlError",
    "all_view", "ci_key", "decode_tag", "encode_tag", "parse_xml", "root_class", "root_tag", "version_tuple",
]


# ---------------------------------------------------------------------------------------------
# Which plugin a class belongs to
# ---------------------------------------------------------------------------------------------

# Package (ending in ".") or class prefixes -> plugin artifactId; the longest match wins.
_PLUGIN_PACKAGES: dict[str, str] = {
    "hudson.plugins.git.": "git",
    "jenkins.plugins.git.": "git",
    "org.jenkinsci.plugins.gitclient.": "git-client",
    "com.dabsquared.gitlabjenkins.": "gitlab-plugin",
    "io.jenkins.plugins.gitlabbranchsource.": "gitlab-branch-source",
    "org.jenkinsci.plugins.credentialsbinding.": "credentials-binding",
    "com.cloudbees.plugins.credentials.": "credentials",
    "org.jenkinsci.plugins.plaincredentials.": "plain-credentials",
    "com.cloudbees.jenkins.plugins.sshcredentials.": "ssh-credentials",
    "org.jenkinsci.plugins.workflow.job.": "workflow-job",
    "org.jenkinsci.plugins.workflow.cps.": "workflow-cps",
    "org.jenkinsci.plugins.workflow.multibranch.": "workflow-multibranch",
    "org.jenkinsci.plugins.pipeline.modeldefinition.": "pipeline-model-definition",
    "org.jenkinsci.plugins.docker.workflow.": "docker-workflow",
    "com.cloudbees.hudson.plugins.folder.": "cloudbees-folder",
    "jenkins.branch.": "branch-api",
    "jenkins.scm.api.": "scm-api",
    "org.jenkinsci.plugins.scriptsecurity.": "script-security",
    "org.jenkinsci.plugins.structs.": "structs",
    "org.jenkinsci.plugins.displayurlapi.": "display-url-api",
    "hudson.plugins.timestamper.": "timestamper",
    "hudson.plugins.ws_cleanup.": "ws-cleanup",
    "hudson.plugins.build_timeout.": "build-timeout",
    "hudson.plugins.ansicolor.": "ansicolor",
    "hudson.plugins.parameterizedtrigger.": "parameterized-trigger",
    "hudson.plugins.emailext.": "email-ext",
    "hudson.plugins.throttleconcurrents.": "throttle-concurrents",
    "hudson.plugins.jobConfigHistory.": "jobConfigHistory",
    "org.jenkinsci.plugins.envinject.": "envinject",
    "org.jenkins.plugins.lockableresources.": "lockable-resources",
    "org.jenkinsci.plugins.configfiles.": "config-file-provider",
    "com.cloudbees.jenkins.plugins.sshagent.": "ssh-agent",
    "jenkins.plugins.slack.": "slack",
    "hudson.tasks.junit.": "junit",
    "hudson.tasks.test.": "junit",
    "hudson.tasks.Mailer": "mailer",
    "hudson.tasks.Ant": "ant",
    "hudson.security.AuthorizationMatrixProperty": "matrix-auth",
    "org.jenkinsci.plugins.matrixauth.": "matrix-auth",
}

# Plugins whose classes are modelled: there, only the modelled classes and these sub-packages
# are real; any other class name (a typo) vanishes like in Jenkins.
_MODELLED_PLUGIN_EXTRAS: dict[str, tuple[str, ...]] = {
    "git": ("hudson.plugins.git.extensions.impl.", "hudson.plugins.git.browser.",
            "hudson.plugins.git.util.", "hudson.plugins.git.SubmoduleConfig", "jenkins.plugins.git."),
    "gitlab-plugin": ("com.dabsquared.gitlabjenkins.publisher.", "com.dabsquared.gitlabjenkins.workflow."),
    "credentials-binding": ("org.jenkinsci.plugins.credentialsbinding.impl.",),
    "workflow-job": ("org.jenkinsci.plugins.workflow.job.properties.",),
    "workflow-cps": (),
    "cloudbees-folder": ("com.cloudbees.hudson.plugins.folder.properties.",
                         "com.cloudbees.hudson.plugins.folder.health.",
                         "com.cloudbees.hudson.plugins.folder.icons.",
                         "com.cloudbees.hudson.plugins.folder.views."),
}

# Core packages whose concrete describable classes are all listed here: another name there is a typo.
_CORE_LISTED_PACKAGES = ("hudson.tasks.", "hudson.triggers.", "hudson.scm.", "hudson.views.", "jenkins.triggers.")
_CORE_CLASSES = frozenset({
    "hudson.tasks.ArtifactArchiver", "hudson.tasks.BatchFile", "hudson.tasks.BuildTrigger",
    "hudson.tasks.Fingerprinter", "hudson.tasks.LogRotator", "hudson.tasks.Maven", "hudson.tasks.Shell",
    "hudson.triggers.SCMTrigger", "hudson.triggers.TimerTrigger", "hudson.scm.NullSCM",
    "hudson.views.BuildButtonColumn", "hudson.views.DefaultMyViewsTabBar", "hudson.views.DefaultViewsTabBar",
    "hudson.views.JobColumn", "hudson.views.LastDurationColumn", "hudson.views.LastFailureColumn",
    "hudson.views.LastStableColumn", "hudson.views.LastSuccessColumn", "hudson.views.StatusColumn",
    "hudson.views.StatusFilter", "hudson.views.WeatherColumn", "jenkins.triggers.ReverseBuildTrigger",
})
# Other core packages: any class name there is accepted (and kept as posted when not modelled).
_CORE_PACKAGES = ("hudson.model.", "hudson.util.", "hudson.security.", "hudson.slaves.", "hudson.markup.",
                  "jenkins.model.", "jenkins.security.", "jenkins.tasks.", "jenkins.scm.", "jenkins.util.")

_ROOT_ALIASES = {
    "project": "hudson.model.FreeStyleProject",
    "flow-definition": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
}
_ALIAS_OF = {cls: alias for alias, cls in _ROOT_ALIASES.items()}

#: The item classes (a ``job/.../config.xml`` document) and view classes the server accepts.
FREESTYLE = "hudson.model.FreeStyleProject"
PIPELINE = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"
ITEM_CLASSES = (FREESTYLE, PIPELINE, FOLDER)
VIEW_CLASSES = ("hudson.model.ListView", "hudson.model.AllView", "hudson.model.MyView")


def _plugin_of(cls: str | None) -> str | None:
    """The artifactId of the plugin that provides ``cls``, or None for core (and unknown) classes."""
    if not cls:
        return None
    best: tuple[int, str | None] = (0, None)
    for prefix, plugin in _PLUGIN_PACKAGES.items():
        if len(prefix) > best[0] and (cls.startswith(prefix) if prefix.endswith(".")
                                      else cls == prefix or cls.startswith(prefix + "$")):
            best = (len(prefix), plugin)
    return best[1]


def _class_exists(cls: str, installed: Mapping[str, str]) -> bool:
    """Whether Jenkins with these plugins could load a class of this name.

    One it cannot load, inside a list (builders, publishers, triggers, properties), is dropped
    with a log line and the request still succeeds (jenkinsci/jenkins
    core/src/main/java/hudson/util/RobustCollectionConverter.java: the
    CannotResolveClassException is recorded with ``RobustReflectionConverter.addErrorInContext``).
    """
    plugin = _plugin_of(cls)
    if plugin is not None:
        if plugin not in installed:
            return False
        extras = _MODELLED_PLUGIN_EXTRAS.get(plugin)
        return extras is None or cls in _MODELS or cls.startswith(extras)
    if cls in _MODELS or cls in _CORE_CLASSES:
        return True
    if cls.startswith(_CORE_LISTED_PACKAGES):
        return False
    return cls.startswith(_CORE_PACKAGES)


def decode_tag(tag: str) -> str:
    """XStream's element name -> class name (``__`` is ``_``, ``_-`` is ``$``)."""
    return re.sub(r"_(.)", lambda m: {"_": "_", "-": "$"}.get(m.group(1), m.group(0)), tag)


def encode_tag(cls: str) -> str:
    """Class name -> XStream's element name."""
    return cls.replace("_", "__").replace("$", "_-")


def root_class(tag: str) -> str:
    """The class a document's root element names (``project`` and ``flow-definition`` are aliases)."""
    return _ROOT_ALIASES.get(tag, decode_tag(tag))


def root_tag(cls: str) -> str:
    """The root element Jenkins writes for an item or view of this class."""
    return _ALIAS_OF.get(cls, encode_tag(cls))


def ci_key(name: str) -> str:
    """``String.CASE_INSENSITIVE_ORDER`` as a sort and lookup key."""
    return "".join(c.upper().lower() if len(c.upper()) == 1 else c for c in name)


# ---------------------------------------------------------------------------------------------
# The model: field tables per class
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _F:
    """One serialised Java field.

    ``kind`` is str, bool, int, Integer, Long, Boolean, secret, enum (``arg`` = allowed values
    separated by ``|``), obj (``arg`` = the declared concrete class, None when abstract), list
    (``arg`` = a class attribute always written on the container), klist (a list that keeps
    the posted container class), jobnames, or owner (a view's owner reference).
    """

    name: str
    kind: str = "str"
    arg: str | None = None
    since: tuple[int, ...] = ()


@dataclass(eq=False)
class Obj:
    """A loaded object of a modelled class: field name -> value."""

    cls: str
    values: dict[str, Any]


@dataclass
class Raw:
    """An element of a class the fake does not model, kept as posted (normalised)."""

    elem: ET.Element


@dataclass
class Secret:
    """A ``hudson.util.Secret``: the clear value and, once encrypted, its IV."""

    plain: str
    iv: bytes | None = None


@dataclass(frozen=True)
class _Cls:
    fields: tuple[_F, ...]
    hook: Callable[[Obj], None] | None = None


def _fs(*specs: str | _F) -> tuple[_F, ...]:
    """Fields from a compact spec: ``"name"`` or ``"name:kind"`` or ``"name:kind:arg"``."""
    out = []
    for s in specs:
        if isinstance(s, _F):
            out.append(s)
            continue
        name, _, rest = s.partition(":")
        kind, _, arg = rest.partition(":")
        out.append(_F(name, kind or "str", arg or None))
    return tuple(out)


_RESULTS = {0: ("SUCCESS", "BLUE", True), 1: ("UNSTABLE", "YELLOW", True), 2: ("FAILURE", "RED", True),
            3: ("NOT_BUILT", "NOTBUILT", False), 4: ("ABORTED", "ABORTED", False)}
_DEFAULT_COLUMNS = ("hudson.views.StatusColumn", "hudson.views.WeatherColumn", "hudson.views.JobColumn",
                    "hudson.views.LastSuccessColumn", "hudson.views.LastFailureColumn",
                    "hudson.views.LastDurationColumn", "hudson.views.BuildButtonColumn")


def _default_lists(o: Obj, *names: str) -> None:
    for n in names:
        if o.values.get(n) is None:
            o.values[n] = []


def _hook_freestyle(o: Obj) -> None:
    _default_lists(o, "actions", "properties", "triggers", "builders", "publishers", "buildWrappers")
    if o.values.get("scm") is None:  # AbstractProject.onLoad
        o.values["scm"] = Obj("hudson.scm.NullSCM", {})


def _hook_pipeline(o: Obj) -> None:
    _default_lists(o, "actions", "properties")
    v = o.values
    # WorkflowJob.onLoad moves legacy top-level triggers and concurrentBuild into job properties.
    if v.get("triggers"):
        v["properties"] = [p for p in v["properties"] if getattr(p, "cls", None) != PIPELINE_TRIGGERS_PROPERTY]
        v["properties"].append(Obj(PIPELINE_TRIGGERS_PROPERTY, {"triggers": v["triggers"]}))
        v["triggers"] = None
    if v.get("concurrentBuild") is not None:
        allow = v["concurrentBuild"]
        present = any(getattr(p, "cls", None) == DISABLE_CONCURRENT_PROPERTY for p in v["properties"])
        if present == allow:
            v["properties"] = [p for p in v["properties"] if getattr(p, "cls", None) != DISABLE_CONCURRENT_PROPERTY]
            if not allow:
                v["properties"].append(Obj(DISABLE_CONCURRENT_PROPERTY, {"abortPrevious": False}))
        v["concurrentBuild"] = None


def all_view(name: str) -> Obj:
    return Obj("hudson.model.AllView", {"name": name, "description": None, "filterExecutors": False,
                                        "filterQueue": False, "properties": []})


def _hook_folder(o: Obj) -> None:
    _default_lists(o, "actions", "properties", "healthMetrics")
    if o.values.get("icon") is None:
        o.values["icon"] = Obj("com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon", {})
    if o.values.get("folderViews") is None:
        o.values["folderViews"] = Obj(FOLDER_VIEWS, {
            "views": [all_view("All")], "primaryView": None,
            "tabBar": Obj("hudson.views.DefaultViewsTabBar", {})})


#: The localised names of the "All" view that JENKINS-38606 saved as a view name (Messages
#: ``Hudson.ViewName`` of core); the fake knows the English one.
_LEGACY_ALL_VIEW_NAMES = frozenset({"All"})


def _hook_folder_views(o: Obj) -> None:
    if not o.values.get("views"):
        o.values["views"] = [all_view("All")]
    # DefaultFolderViewHolder.readResolve (jenkinsci/cloudbees-folder-plugin
    # src/main/java/com/cloudbees/hudson/plugins/folder/views/DefaultFolderViewHolder.java) calls
    # AllView.migrateLegacyPrimaryAllViewLocalizedName (jenkinsci/jenkins
    # core/src/main/java/hudson/model/AllView.java): when the primary view is an AllView named
    # with a localised "All" and no view is called "all" yet, that view is renamed "all" and so is
    # the primary view, so GET config.xml never returns the "All" a client posted.
    primary = o.values.get("primaryView")
    views = [v for v in o.values["views"] if isinstance(v, Obj)]
    if primary is None or primary == "all" or any(v.values.get("name") == "all" for v in views):
        return
    named = [v for v in views if v.values.get("name") == primary]
    if named and named[0].cls == "hudson.model.AllView" and primary in _LEGACY_ALL_VIEW_NAMES:
        named[0].values["name"] = "all"
        o.values["primaryView"] = "all"


def _hook_gitscm(o: Obj) -> None:
    v = o.values
    if v.get("configVersion") is None:
        v["configVersion"] = 0
    if v["configVersion"] < 1:  # GitSCM.readResolve migrates single-star branch specs
        for b in v.get("branches") or []:
            if isinstance(b, Obj) and b.values.get("name"):
                b.values["name"] = b.values["name"].replace("*", "**")
    _default_lists(o, "extensions")


def _hook_shell(o: Obj) -> None:
    # Shell.readResolve rebuilds the step through its constructor, which converts every line end
    # (CRLF, then a lone CR) to LF (hudson.util.LineEndingConversion, EOLType.Unix).
    command = o.values.get("command")
    if isinstance(command, str):
        o.values["command"] = command.replace("\r\n", "\n").replace("\r", "\n")


def _hook_batch_file(o: Obj) -> None:
    # BatchFile converts the same way, to Windows line ends (EOLType.Windows).
    command = o.values.get("command")
    if isinstance(command, str):
        o.values["command"] = command.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _hook_gitlab(o: Obj) -> None:
    if o.values.get("branchFilterType") is None:
        o.values["branchFilterType"] = "All"


def _hook_result(o: Obj) -> None:
    name, color, complete = _RESULTS.get(o.values.get("ordinal") or 0, _RESULTS[2])
    o.values.update(name=name, ordinal=[k for k, r in _RESULTS.items() if r[0] == name][0],
                    color=color, completeBuild=complete)


def _hook_view(o: Obj) -> None:
    _default_lists(o, "properties")


def _hook_list_view(o: Obj) -> None:
    _default_lists(o, "properties", "jobNames", "jobFilters")
    if o.values.get("columns") is None:
        o.values["columns"] = [Obj(c, {}) for c in _DEFAULT_COLUMNS]


#: Classes the server looks for inside a job or folder.
PIPELINE_TRIGGERS_PROPERTY = "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
DISABLE_CONCURRENT_PROPERTY = "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
FOLDER_VIEWS = "com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder"
GITLAB_TRIGGER = "com.dabsquared.gitlabjenkins.GitLabPushTrigger"
_JOB_HEAD = ("actions:list", "description", "displayName", "logRotator:obj", "keepDependencies:bool",
             "properties:list")
_VIEW_HEAD = ("owner:owner", "name", "description", "filterExecutors:bool", "filterQueue:bool",
              "properties:list:hudson.model.View$PropertyList")
_BINDINGS = "org.jenkinsci.plugins.credentialsbinding.impl."

_MODELS: dict[str, _Cls] = {
    FREESTYLE: _Cls(_fs(*_JOB_HEAD, "scm:obj", "scmCheckoutStrategy:obj", "quietPeriod:Integer",
                        "scmCheckoutRetryCount:Integer", "assignedNode", "canRoam:bool", "disabled:bool",
                        "blockBuildWhenDownstreamBuilding:bool", "blockBuildWhenUpstreamBuilding:bool", "jdk",
                        "authToken", "triggers:list", "concurrentBuild:bool", "customWorkspace",
                        "builders:list", "publishers:list", "buildWrappers:list"), _hook_freestyle),
    PIPELINE: _Cls(_fs(*_JOB_HEAD, "definition:obj", "triggers:list", "quietPeriod:Integer", "authToken",
                       "concurrentBuild:Boolean", "disabled:bool"), _hook_pipeline),
    FOLDER: _Cls(_fs("actions:list", "description", "displayName", "properties:list", "folderViews:obj",
                     "healthMetrics:list", "icon:obj"), _hook_folder),
    FOLDER_VIEWS: _Cls(_fs("views:list", "primaryView", "tabBar:obj"), _hook_folder_views),
    "com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon": _Cls(()),
    "com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric": _Cls(_fs("nonRecursive:bool")),
    "hudson.scm.NullSCM": _Cls(()),
    "hudson.tasks.Shell": _Cls(_fs("command", "configuredLocalRules:list", "unstableReturn:Integer"), _hook_shell),
    "hudson.tasks.BatchFile": _Cls(_fs("command", "configuredLocalRules:list", "unstableReturn:Integer"), _hook_batch_file),
    "hudson.tasks.BuildTrigger": _Cls(_fs("childProjects", "threshold:obj:hudson.model.Result")),
    "jenkins.triggers.ReverseBuildTrigger": _Cls(_fs("spec", "upstreamProjects",
                                                     "threshold:obj:hudson.model.Result")),
    "hudson.model.Result": _Cls(_fs("name", "ordinal:int", "color", "completeBuild:bool"), _hook_result),
    "hudson.triggers.TimerTrigger": _Cls(_fs("spec")),
    "hudson.triggers.SCMTrigger": _Cls(_fs("spec", "ignorePostCommitHooks:bool")),
    "jenkins.model.BuildDiscarderProperty": _Cls(_fs("strategy:obj")),
    "hudson.tasks.LogRotator": _Cls(_fs("daysToKeep:int", "numToKeep:int", "artifactDaysToKeep:Integer",
                                        "artifactNumToKeep:Integer",
                                        _F("removeLastBuild", "bool", since=(2, 474)))),
    "hudson.model.ParametersDefinitionProperty": _Cls(_fs("parameterDefinitions:list")),
    "hudson.model.StringParameterDefinition": _Cls(_fs("name", "description", "defaultValue", "trim:bool")),
    # jenkinsci/jenkins core/src/main/java/hudson/model/TextParameterDefinition.java: a
    # StringParameterDefinition shown as a textarea; it declares no field of its own.
    "hudson.model.TextParameterDefinition": _Cls(_fs("name", "description", "defaultValue", "trim:bool")),
    "hudson.model.BooleanParameterDefinition": _Cls(_fs("name", "description", "defaultValue:bool")),
    "hudson.model.ListView": _Cls(_fs(*_VIEW_HEAD, "jobNames:jobnames", "jobFilters:list", "columns:list",
                                      "includeRegex", "recurse:bool"), _hook_list_view),
    "hudson.model.AllView": _Cls(_fs(*_VIEW_HEAD), _hook_view),
    "hudson.model.MyView": _Cls(_fs(*_VIEW_HEAD), _hook_view),
    "hudson.views.DefaultViewsTabBar": _Cls(()),
    **{c: _Cls(()) for c in _DEFAULT_COLUMNS},
    "hudson.plugins.git.GitSCM": _Cls(_fs("configVersion:Long", "userRemoteConfigs:list", "branches:list",
                                          "doGenerateSubmoduleConfigurations:bool", "gitTool", "browser:obj",
                                          "submoduleCfg:klist", "extensions:list"), _hook_gitscm),
    "hudson.plugins.git.UserRemoteConfig": _Cls(_fs("name", "refspec", "url", "credentialsId")),
    "hudson.plugins.git.BranchSpec": _Cls(_fs("name")),
    GITLAB_TRIGGER: _Cls(_fs(
        "spec", "triggerOnPush:bool", "triggerToBranchDeleteRequest:bool", "triggerOnMergeRequest:bool",
        "triggerOnlyIfNewCommitsPushed:bool", "triggerOnPipelineEvent:bool",
        "triggerOnAcceptedMergeRequest:bool", "triggerOnClosedMergeRequest:bool",
        "triggerOnApprovedMergeRequest:bool", "triggerOpenMergeRequestOnPush:enum:never|source|both",
        "triggerOnNoteRequest:bool", "noteRegex", "ciSkip:bool", "skipWorkInProgressMergeRequest:bool",
        "labelsThatForcesBuildIfAdded", "setBuildDescription:bool",
        "branchFilterType:enum:All|NameBasedFilter|RegexBasedFilter", "includeBranchesSpec",
        "excludeBranchesSpec", "sourceBranchRegex", "targetBranchRegex",
        "mergeRequestLabelFilterConfig:obj:com.dabsquared.gitlabjenkins.trigger.filter."
        "MergeRequestLabelFilterConfig", "secretToken:secret", "pendingBuildName",
        "cancelPendingBuildsOnUpdate:bool", "cancelRunningBuildsOnUpdate:bool"), _hook_gitlab),
    "com.dabsquared.gitlabjenkins.connection.GitLabConnectionProperty": _Cls(_fs(
        "gitLabConnection", "jobCredentialId", "useAlternativeCredential:bool")),
    "com.dabsquared.gitlabjenkins.trigger.filter.MergeRequestLabelFilterConfig": _Cls(_fs("include", "exclude")),
    _BINDINGS + "SecretBuildWrapper": _Cls(_fs("bindings:list")),
    _BINDINGS + "UsernamePasswordMultiBinding": _Cls(_fs("credentialsId", "usernameVariable",
                                                         "passwordVariable")),
    _BINDINGS + "StringBinding": _Cls(_fs("credentialsId", "variable")),
    _BINDINGS + "UsernamePasswordBinding": _Cls(_fs("credentialsId", "variable")),
    _BINDINGS + "FileBinding": _Cls(_fs("credentialsId", "variable")),
    _BINDINGS + "ZipFileBinding": _Cls(_fs("credentialsId", "variable")),
    _BINDINGS + "SSHUserPrivateKeyBinding": _Cls(_fs("credentialsId", "keyFileVariable", "usernameVariable",
                                                     "passphraseVariable")),
    PIPELINE_TRIGGERS_PROPERTY: _Cls(
        _fs("triggers:list"), lambda o: _default_lists(o, "triggers")),
    DISABLE_CONCURRENT_PROPERTY: _Cls(_fs("abortPrevious:bool")),
    "org.jenkinsci.plugins.workflow.job.properties.DisableResumeJobProperty": _Cls(()),
    "org.jenkinsci.plugins.workflow.job.properties.DurabilityHintJobProperty": _Cls(_fs(
        "hint:enum:PERFORMANCE_OPTIMIZED|SURVIVABLE_NONATOMIC|MAX_SURVIVABILITY")),
    "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition": _Cls(_fs("script", "sandbox:bool")),
    "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition": _Cls(_fs("scm:obj", "scriptPath",
                                                                        "lightweight:bool")),
}

#: Every class whose fields the fake knows (see the module docstring).
MODELLED_CLASSES: frozenset[str] = frozenset(_MODELS)


# ---------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------

class Cipher:
    """Jenkins's Secret payload layout around a stand-in cipher (keystream from SHA-256, PKCS#7)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _stream(self, iv: bytes, n: int) -> bytes:
        out = b""
        counter = 0
        while len(out) < n:
            out += hashlib.sha256(self._key + iv + counter.to_bytes(4, "big")).digest()
            counter += 1
        return out[:n]

    def encrypt(self, secret: Secret) -> str:
        if secret.iv is None:
            secret.iv = secrets.token_bytes(16)
        data = secret.plain.encode("utf-8")
        pad = 16 - len(data) % 16
        data += bytes([pad]) * pad
        code = bytes(a ^ b for a, b in zip(data, self._stream(secret.iv, len(data))))
        payload = (b"\x01" + len(secret.iv).to_bytes(4, "big") + len(code).to_bytes(4, "big")
                   + secret.iv + code)
        return "{" + base64.b64encode(payload).decode("ascii") + "}"

    def load(self, text: str) -> Secret:
        """``Secret.fromString``: decrypt what this controller encrypted, else take the text as clear."""
        if text.startswith("{") and text.endswith("}"):
            try:
                payload = base64.b64decode(text[1:-1], validate=True)
            except ValueError:
                payload = b""
            if len(payload) > 9 and payload[0] == 1:
                iv_len = int.from_bytes(payload[1:5], "big")
                code_len = int.from_bytes(payload[5:9], "big")
                if len(payload) == 9 + iv_len + code_len and code_len and code_len % 16 == 0:
                    iv, code = payload[9:9 + iv_len], payload[9 + iv_len:]
                    data = bytes(a ^ b for a, b in zip(code, self._stream(iv, len(code))))
                    pad = data[-1]
                    if 1 <= pad <= 16 and data.endswith(bytes([pad]) * pad):
                        try:
                            return Secret(data[:-pad].decode("utf-8"), iv)
                        except UnicodeDecodeError:
                            pass
        return Secret(text)


# ---------------------------------------------------------------------------------------------
# Loading XML into the model
# ---------------------------------------------------------------------------------------------

class XmlError(Exception):
    """A posted document Jenkins refuses to parse; ``str(e)`` is the 500 message Jenkins answers with."""


def version_tuple(v: str) -> tuple[int, ...]:
    """``"2.462.3"`` -> ``(2, 462, 3)``, as field ``since`` versions are compared."""
    return tuple(int(p) for p in re.findall(r"\d+", v)[:3])


def _java_decode(text: str) -> int | None:
    """``Integer.decode``: optional sign, then ``0x``/``#`` hex, ``0`` octal or decimal; no spaces."""
    m = re.fullmatch(r"([+-]?)(0[xX][0-9a-fA-F]+|#[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", text)
    if not m:
        return None
    sign, body = m.groups()
    if body[:2] in ("0x", "0X"):
        value = int(body[2:], 16)
    elif body.startswith("#"):
        value = int(body[1:], 16)
    elif len(body) > 1 and body.startswith("0"):
        value = int(body, 8)
    else:
        value = int(body)
    return -value if sign == "-" else value


class Loader:
    """XStream's unmarshalling, reduced to the field tables above."""

    def __init__(self, installed: Mapping[str, str], cipher: Cipher, version: tuple[int, ...]) -> None:
        self.installed = installed
        self.cipher = cipher
        self.version = version

    def fields(self, cls: str) -> Iterator[_F]:
        return (f for f in _MODELS[cls].fields if not f.since or self.version >= f.since)

    def obj(self, cls: str, el: ET.Element) -> Obj | Raw | None:
        """``el`` loaded as a ``cls``: an :class:`Obj` (defaults applied) when the class is modelled,
        a :class:`Raw` for another class Jenkins could load, None when it could not."""
        if not _class_exists(cls, self.installed):
            return None
        if cls not in _MODELS:
            return Raw(self._normalise(el))
        children = {child.tag: child for child in el}
        values: dict[str, Any] = {}
        for f in self.fields(cls):
            child = children.get(f.name)
            values[f.name] = self._missing(f) if child is None else self.value(f, child)
        result = Obj(cls, values)
        hook = _MODELS[cls].hook
        if hook:
            hook(result)
        return result

    @staticmethod
    def _missing(f: _F) -> Any:
        return {"bool": False, "int": 0}.get(f.kind)

    def value(self, f: _F, el: ET.Element) -> Any:
        text = el.text or ""
        kind = f.kind
        if kind == "str":
            return text
        if kind in ("bool", "Boolean"):
            return text.lower() == "true"
        if kind in ("int", "Integer", "Long"):
            number = _java_decode(text)
            return self._missing(f) if number is None else number
        if kind == "enum":
            return text if text in (f.arg or "").split("|") else None
        if kind == "secret":
            return self.cipher.load(text)
        if kind == "obj":
            cls = el.get("class") or f.arg
            return self.obj(cls, el) if cls else None
        if kind in ("list", "klist"):
            items = [self.item(child) for child in el]
            items = [i for i in items if i is not None]
            return (el.get("class"), items) if kind == "klist" else items
        if kind == "jobnames":
            names: dict[str, str] = {}
            for child in el:
                if child.tag == "string" and child.text:
                    names.setdefault(ci_key(child.text), child.text)
            return [names[k] for k in sorted(names)]
        return None  # owner: a reference, rebuilt on output

    def item(self, el: ET.Element) -> Obj | Raw | None:
        cls = el.get("class") or decode_tag(el.tag)
        if el.get("reference") is not None:
            return None
        return self.obj(cls, el)

    def _normalise(self, el: ET.Element) -> ET.Element:
        """A deep copy without ``plugin`` attributes, whitespace-only text or children of unknown classes."""
        out = ET.Element(el.tag, {k: v for k, v in el.attrib.items() if k != "plugin"})
        kept = []
        for child in el:
            cls = child.get("class") or (decode_tag(child.tag) if "." in child.tag else None)
            if cls is not None and not _class_exists(cls, self.installed) and _plugin_of(cls) is not None:
                continue
            kept.append(self._normalise(child))
        if kept:
            out.extend(kept)
        else:
            out.text = el.text
        return out


def parse_xml(data: bytes | str) -> ET.Element:
    """Parse a posted document as Jenkins's safe XML transform would, or raise :class:`XmlError`.

    Bytes are decoded as their XML declaration says; text (already decoded by the request's
    charset, like a servlet reader) ignores the declared encoding.
    """
    if isinstance(data, str):
        data = re.sub(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", r"\1\2UTF-8\2", data)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!DOCTYPE" in raw:
        raise XmlError("java.io.IOException: Failed to persist config.xml\n"
                       "Caused by: org.xml.sax.SAXParseException: DOCTYPE is disallowed")
    # Jenkins's parser reads XML 1.1, where a reference to a C0 control is legal (it writes them
    # so itself, see _escape); expat reads 1.0 only, so such references go in as private-use
    # stand-ins and come back out as the controls once parsed.
    xml11 = re.match(rb"""\s*<\?xml[^>]*version\s*=\s*["']1\.1["']""", raw) is not None
    if xml11:
        raw = re.sub(rb"&#(x[0-9a-fA-F]+|[0-9]+);", _xml11_reference, raw)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        raise XmlError("java.io.IOException: Failed to persist config.xml\n"
                       f"Caused by: org.xml.sax.SAXParseException: {e}") from None
    if xml11:
        for el in root.iter():
            el.text = _from_stand_ins(el.text)
            el.tail = _from_stand_ins(el.tail)
            for key, value in el.attrib.items():
                el.attrib[key] = _from_stand_ins(value) or ""
    return root


_STAND_IN = 0xF0000


def _xml11_reference(m: re.Match[bytes]) -> bytes:
    ref = m.group(1).decode()
    code = int(ref[1:], 16) if ref[0] in "xX" else int(ref)
    if 0 < code < 0x20 and code not in (0x9, 0xA, 0xD):
        return chr(_STAND_IN + code).encode("utf-8")
    return m.group(0)


def _from_stand_ins(text: str | None) -> str | None:
    if not text:
        return text
    return "".join(chr(ord(c) - _STAND_IN) if _STAND_IN < ord(c) < _STAND_IN + 0x20 else c for c in text)


# ---------------------------------------------------------------------------------------------
# Writing the model back (XStream's PrettyPrintWriter in XML 1.1 mode)
# ---------------------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xd;"}


def _escape(text: str, attribute: bool = False) -> str:
    """Text as PrettyPrintWriter writes it: entities, and other control or undefined characters as ``&#x..;``.

    Jenkins writes configs in XML 1.1 mode (jenkinsci/jenkins
    core/src/main/java/hudson/util/XStream2.java: ``PrettyPrintWriter.XML_1_1``), where a control
    character is a legal character reference (``&#x1b;``) that an XML 1.0 parser (expat) refuses.
    """
    out = []
    for ch in text:
        o = ord(ch)
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in "\t\n" and not attribute:
            out.append(ch)
        elif o < 0x20 or 0x7F <= o <= 0x9F or unicodedata.category(ch) == "Cn":
            out.append(f"&#x{o:x};")
        else:
            out.append(ch)
    return "".join(out)


class Writer:
    """Serialises one item or view the way Jenkins's ``Items.XSTREAM2.toXMLUTF8`` does.

    ``versions`` are the plugin versions the ``plugin`` attributes name; ``folder_views`` writes
    the ``owner`` reference of views held in the document (a folder's).  After :meth:`document`,
    ``plugins_used`` holds every plugin a ``plugin`` attribute named.
    """

    def __init__(self, loader: Loader, versions: Mapping[str, str], cipher: Cipher, *,
                 folder_views: bool = False) -> None:
        self.loader = loader
        self.versions = versions
        self.cipher = cipher
        self.folder_views = folder_views
        self.lines: list[str] = []
        self.plugins_used: set[str] = set()

    def document(self, tag: str, obj: Obj) -> str:
        """The XML 1.1 document with ``obj`` as root element ``tag``, without a final newline."""
        self.obj(0, tag, [], obj, ())
        return '<?xml version="1.1" encoding="UTF-8"?>\n' + "\n".join(self.lines)

    def _plugin_attr(self, cls: str | None, owners: tuple[str | None, ...]) -> list[tuple[str, str]]:
        owner = _plugin_of(cls)
        if owner is None or owner not in self.versions:
            return []
        nearest = next((o for o in owners if o is not None), None)
        if owner == nearest:
            return []
        self.plugins_used.add(owner)
        return [("plugin", f"{owner}@{self.versions[owner].split(' ')[0]}")]

    def _line(self, depth: int, tag: str, attrs: list[tuple[str, str]], text: str | None = None,
              close: str = "") -> None:
        a = "".join(f' {k}="{_escape(v, True)}"' for k, v in attrs)
        if close:
            self.lines.append(f"{'  ' * depth}</{tag}>")
        elif text is None:
            self.lines.append(f"{'  ' * depth}<{tag}{a}/>")
        else:
            self.lines.append(f"{'  ' * depth}<{tag}{a}>{_escape(text)}</{tag}>")

    def _container(self, depth: int, tag: str, attrs: list[tuple[str, str]], write: Callable[[], None]) -> None:
        start = len(self.lines)
        a = "".join(f' {k}="{_escape(v, True)}"' for k, v in attrs)
        self.lines.append(f"{'  ' * depth}<{tag}{a}>")
        write()
        if len(self.lines) == start + 1:
            self.lines[start] = f"{'  ' * depth}<{tag}{a}/>"
        else:
            self._line(depth, tag, [], close="/")

    def obj(self, depth: int, tag: str, attrs: list[tuple[str, str]], obj: Obj,
            owners: tuple[str | None, ...]) -> None:
        attrs = attrs + self._plugin_attr(obj.cls, owners)
        inner = (_plugin_of(obj.cls),) + owners

        def write() -> None:
            for f in self.loader.fields(obj.cls):
                self.field(depth + 1, f, obj.values.get(f.name), inner)

        self._container(depth, tag, attrs, write)

    def field(self, depth: int, f: _F, value: Any, owners: tuple[str | None, ...]) -> None:
        kind = f.kind
        if kind == "owner":
            if self.folder_views:
                self._line(depth, "owner", [("class", FOLDER), ("reference", "../../../..")])
            return
        if value is None:
            return
        if kind in ("str", "enum"):
            self._line(depth, f.name, [], value)
        elif kind in ("bool", "Boolean"):
            self._line(depth, f.name, [], "true" if value else "false")
        elif kind in ("int", "Integer", "Long"):
            self._line(depth, f.name, [], str(value))
        elif kind == "secret":
            self._line(depth, f.name, [], self.cipher.encrypt(value))
        elif kind == "obj":
            if isinstance(value, Raw):
                self.raw(depth, f.name, value.elem, owners)
            else:
                attrs = [] if value.cls == f.arg else [("class", value.cls)]
                self.obj(depth, f.name, attrs, value, owners)
        elif kind in ("list", "klist"):
            cls_attr, items = value if kind == "klist" else (f.arg, value)
            attrs = [("class", cls_attr)] if cls_attr else []

            def write() -> None:
                for item in items:
                    if isinstance(item, Raw):
                        self.raw(depth + 1, item.elem.tag, item.elem, owners)
                    else:
                        self.obj(depth + 1, encode_tag(item.cls), [], item, owners)

            self._container(depth, f.name, attrs, write)
        elif kind == "jobnames":
            def write_names() -> None:
                self._line(depth + 1, "comparator", [("class", "java.lang.String$CaseInsensitiveComparator")])
                for name in value:
                    self._line(depth + 1, "string", [], name)

            self._container(depth, f.name, [], write_names)

    def raw(self, depth: int, tag: str, el: ET.Element, owners: tuple[str | None, ...]) -> None:
        cls = el.get("class") or (decode_tag(el.tag) if "." in el.tag else None)
        attrs = list(el.attrib.items()) + self._plugin_attr(cls, owners)
        inner = (_plugin_of(cls),) + owners
        if len(el):
            def write() -> None:
                for child in el:
                    self.raw(depth + 1, child.tag, child, inner)

            self._container(depth, tag, attrs, write)
        else:
            self._line(depth, tag, attrs, el.text)
