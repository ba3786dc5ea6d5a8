"""A fake Jenkins controller that answers over real HTTP, for tests of anything that talks to Jenkins.

:class:`FakeJenkins` runs a threaded HTTP/1.1 server on 127.0.0.1 (keep-alive, ``Content-Length`` on
every response) that behaves like Jenkins 2.462 for what a job-sync tool and python-jenkins touch:
items in folders, ``config.xml`` read and written the way XStream does it, ``api/json`` with
``tree=``, views, the build queue, Basic authentication with API tokens or passwords plus crumbs,
and the GitLab plugin's ``/project/`` webhook.  Tests can seed and inspect it directly, read every
request it served, and inject failures (an HTTP status, a dropped connection, a delay).

How ``config.xml`` behaves (as Jenkins does since ``updateByXml`` re-serialises from memory):

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
``plugin`` attributes recomputed), because the fake does not know its fields; an empty text
element of such a class comes back as ``<x/>``.

Other deliberate simplifications: every authenticated user may do everything; nothing ever
builds (queued items wait until cancelled or their job is deleted); a POST body without a
``charset`` is decoded as its XML declaration says (Jetty would use ISO-8859-1 for
``config.xml``).  Header values are written as Jetty writes them: characters above U+00FF become
spaces, so ``X-Error: A job already exists with the name ‘x’`` reaches a client as
``A job already exists with the name  x`` (the HTML body keeps the whole message).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import socket
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = ["DEFAULT_PLUGINS", "MODELLED_CLASSES", "FakeJenkins", "RecordedRequest"]

#: Installed plugins when the caller names none: artifactId -> version (an LTS 2.462 controller
#: with what the job templates use).
DEFAULT_PLUGINS: Mapping[str, str] = {
    "cloudbees-folder": "6.955.v81e2a_35c08d3",
    "credentials": "1380.va_435002fa_924",
    "credentials-binding": "681.vf91669a_32e45",
    "display-url-api": "2.204.vf6fddd8a_8b_e9",
    "git": "5.5.2",
    "git-client": "5.0.0",
    "gitlab-plugin": "1.8.1",
    "junit": "1300.v03d9d8a_cf1fb_",
    "mailer": "472.vf7c289a_4b_420",
    "parameterized-trigger": "806.vf6fff3e28c3e",
    "matrix-auth": "3.2.2",
    "pipeline-model-definition": "2.2214.vb_b_34b_2ea_9b_83",
    "plain-credentials": "183.va_de8f1dd5a_2b_",
    "scm-api": "696.v778d637b_a_762",
    "script-security": "1362.v67dc1f0e1b_b_3",
    "ssh-credentials": "343.v884f71d78167",
    "structs": "338.v848422169819",
    "timestamper": "1.27",
    "workflow-api": "1336.vee415d95c521",
    "workflow-cps": "3969.vdc9d3a_efcc6a_",
    "workflow-job": "1400.v7fd111b_ec82f",
    "workflow-step-api": "678.v3ee58b_469476",
    "ws-cleanup": "0.46",
}

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

_FREESTYLE = "hudson.model.FreeStyleProject"
_PIPELINE = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
_FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"
_ITEM_CLASSES = (_FREESTYLE, _PIPELINE, _FOLDER)
_VIEW_CLASSES = ("hudson.model.ListView", "hudson.model.AllView", "hudson.model.MyView")


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
    """Whether Jenkins with these plugins could load a class of this name."""
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


def _decode_tag(tag: str) -> str:
    """XStream's element name -> class name (``__`` is ``_``, ``_-`` is ``$``)."""
    return re.sub(r"_(.)", lambda m: {"_": "_", "-": "$"}.get(m.group(1), m.group(0)), tag)


def _encode_tag(cls: str) -> str:
    """Class name -> XStream's element name."""
    return cls.replace("_", "__").replace("$", "_-")


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
class _Obj:
    """A loaded object of a modelled class: field name -> value."""

    cls: str
    values: dict[str, Any]


@dataclass
class _Raw:
    """An element of a class the fake does not model, kept as posted (normalised)."""

    elem: ET.Element


@dataclass
class _Secret:
    """A ``hudson.util.Secret``: the clear value and, once encrypted, its IV."""

    plain: str
    iv: bytes | None = None


@dataclass(frozen=True)
class _Cls:
    fields: tuple[_F, ...]
    hook: Callable[[_Obj], None] | None = None


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


def _default_lists(o: _Obj, *names: str) -> None:
    for n in names:
        if o.values.get(n) is None:
            o.values[n] = []


def _hook_freestyle(o: _Obj) -> None:
    _default_lists(o, "actions", "properties", "triggers", "builders", "publishers", "buildWrappers")
    if o.values.get("scm") is None:  # AbstractProject.onLoad
        o.values["scm"] = _Obj("hudson.scm.NullSCM", {})


def _hook_pipeline(o: _Obj) -> None:
    _default_lists(o, "actions", "properties")
    v = o.values
    # WorkflowJob.onLoad moves legacy top-level triggers and concurrentBuild into job properties.
    if v.get("triggers"):
        v["properties"] = [p for p in v["properties"] if getattr(p, "cls", None) != _PTJP]
        v["properties"].append(_Obj(_PTJP, {"triggers": v["triggers"]}))
        v["triggers"] = None
    if v.get("concurrentBuild") is not None:
        allow = v["concurrentBuild"]
        present = any(getattr(p, "cls", None) == _DCBJP for p in v["properties"])
        if present == allow:
            v["properties"] = [p for p in v["properties"] if getattr(p, "cls", None) != _DCBJP]
            if not allow:
                v["properties"].append(_Obj(_DCBJP, {"abortPrevious": False}))
        v["concurrentBuild"] = None


def _all_view(name: str) -> _Obj:
    return _Obj("hudson.model.AllView", {"name": name, "description": None, "filterExecutors": False,
                                         "filterQueue": False, "properties": []})


def _hook_folder(o: _Obj) -> None:
    _default_lists(o, "actions", "properties", "healthMetrics")
    if o.values.get("icon") is None:
        o.values["icon"] = _Obj("com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon", {})
    if o.values.get("folderViews") is None:
        o.values["folderViews"] = _Obj(_FOLDER_VIEWS, {
            "views": [_all_view("All")], "primaryView": None,
            "tabBar": _Obj("hudson.views.DefaultViewsTabBar", {})})


def _hook_folder_views(o: _Obj) -> None:
    if not o.values.get("views"):
        o.values["views"] = [_all_view("All")]


def _hook_gitscm(o: _Obj) -> None:
    v = o.values
    if v.get("configVersion") is None:
        v["configVersion"] = 0
    if v["configVersion"] < 1:  # GitSCM.readResolve migrates single-star branch specs
        for b in v.get("branches") or []:
            if isinstance(b, _Obj) and b.values.get("name"):
                b.values["name"] = b.values["name"].replace("*", "**")
    _default_lists(o, "extensions")


def _hook_gitlab(o: _Obj) -> None:
    if o.values.get("branchFilterType") is None:
        o.values["branchFilterType"] = "All"


def _hook_result(o: _Obj) -> None:
    name, color, complete = _RESULTS.get(o.values.get("ordinal") or 0, _RESULTS[2])
    o.values.update(name=name, ordinal=[k for k, r in _RESULTS.items() if r[0] == name][0],
                    color=color, completeBuild=complete)


def _hook_view(o: _Obj) -> None:
    _default_lists(o, "properties")


def _hook_list_view(o: _Obj) -> None:
    _default_lists(o, "properties", "jobNames", "jobFilters")
    if o.values.get("columns") is None:
        o.values["columns"] = [_Obj(c, {}) for c in _DEFAULT_COLUMNS]


_PTJP = "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
_DCBJP = "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
_FOLDER_VIEWS = "com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder"
_GITLAB_TRIGGER = "com.dabsquared.gitlabjenkins.GitLabPushTrigger"
_JOB_HEAD = ("actions:list", "description", "displayName", "logRotator:obj", "keepDependencies:bool",
             "properties:list")
_VIEW_HEAD = ("owner:owner", "name", "description", "filterExecutors:bool", "filterQueue:bool",
              "properties:list:hudson.model.View$PropertyList")
_BINDINGS = "org.jenkinsci.plugins.credentialsbinding.impl."

_MODELS: dict[str, _Cls] = {
    _FREESTYLE: _Cls(_fs(*_JOB_HEAD, "scm:obj", "scmCheckoutStrategy:obj", "quietPeriod:Integer",
                         "scmCheckoutRetryCount:Integer", "assignedNode", "canRoam:bool", "disabled:bool",
                         "blockBuildWhenDownstreamBuilding:bool", "blockBuildWhenUpstreamBuilding:bool", "jdk",
                         "authToken", "triggers:list", "concurrentBuild:bool", "customWorkspace",
                         "builders:list", "publishers:list", "buildWrappers:list"), _hook_freestyle),
    _PIPELINE: _Cls(_fs(*_JOB_HEAD, "definition:obj", "triggers:list", "quietPeriod:Integer", "authToken",
                        "concurrentBuild:Boolean", "disabled:bool"), _hook_pipeline),
    _FOLDER: _Cls(_fs("actions:list", "description", "displayName", "properties:list", "folderViews:obj",
                      "healthMetrics:list", "icon:obj"), _hook_folder),
    _FOLDER_VIEWS: _Cls(_fs("views:list", "primaryView", "tabBar:obj"), _hook_folder_views),
    "com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon": _Cls(()),
    "com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric": _Cls(_fs("nonRecursive:bool")),
    "hudson.scm.NullSCM": _Cls(()),
    "hudson.tasks.Shell": _Cls(_fs("command", "configuredLocalRules:list", "unstableReturn:Integer")),
    "hudson.tasks.BatchFile": _Cls(_fs("command", "configuredLocalRules:list", "unstableReturn:Integer")),
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
    _GITLAB_TRIGGER: _Cls(_fs(
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
    _PTJP: _Cls(
        _fs("triggers:list"), lambda o: _default_lists(o, "triggers")),
    _DCBJP: _Cls(_fs("abortPrevious:bool")),
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

class _Cipher:
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

    def encrypt(self, secret: _Secret) -> str:
        if secret.iv is None:
            secret.iv = secrets.token_bytes(16)
        data = secret.plain.encode("utf-8")
        pad = 16 - len(data) % 16
        data += bytes([pad]) * pad
        code = bytes(a ^ b for a, b in zip(data, self._stream(secret.iv, len(data))))
        payload = (b"\x01" + len(secret.iv).to_bytes(4, "big") + len(code).to_bytes(4, "big")
                   + secret.iv + code)
        return "{" + base64.b64encode(payload).decode("ascii") + "}"

    def load(self, text: str) -> _Secret:
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
                            return _Secret(data[:-pad].decode("utf-8"), iv)
                        except UnicodeDecodeError:
                            pass
        return _Secret(text)


# ---------------------------------------------------------------------------------------------
# Loading XML into the model
# ---------------------------------------------------------------------------------------------

class _HttpError(Exception):
    """Ends a request with this status; ``x_error`` also sets Jenkins's ``X-Error`` header."""

    def __init__(self, status: int, message: str, *, x_error: bool = False,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.x_error = x_error
        self.headers = list(headers)


def _failure(message: str) -> _HttpError:
    """Jenkins's ``hudson.model.Failure``: 400 with the message in ``X-Error`` and the page."""
    return _HttpError(400, message, x_error=True)


def _version_tuple(v: str) -> tuple[int, ...]:
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


class _Loader:
    """XStream's unmarshalling, reduced to the field tables above."""

    def __init__(self, installed: Mapping[str, str], cipher: _Cipher, version: tuple[int, ...]) -> None:
        self.installed = installed
        self.cipher = cipher
        self.version = version

    def fields(self, cls: str) -> Iterator[_F]:
        return (f for f in _MODELS[cls].fields if not f.since or self.version >= f.since)

    def obj(self, cls: str, el: ET.Element) -> _Obj | _Raw | None:
        if not _class_exists(cls, self.installed):
            return None
        if cls not in _MODELS:
            return _Raw(self._normalise(el))
        children = {child.tag: child for child in el}
        values: dict[str, Any] = {}
        for f in self.fields(cls):
            child = children.get(f.name)
            values[f.name] = self._missing(f) if child is None else self.value(f, child)
        result = _Obj(cls, values)
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
                    names.setdefault(_ci_key(child.text), child.text)
            return [names[k] for k in sorted(names)]
        return None  # owner: a reference, rebuilt on output

    def item(self, el: ET.Element) -> _Obj | _Raw | None:
        cls = el.get("class") or _decode_tag(el.tag)
        if el.get("reference") is not None:
            return None
        return self.obj(cls, el)

    def _normalise(self, el: ET.Element) -> ET.Element:
        """A deep copy without ``plugin`` attributes, whitespace-only text or children of unknown classes."""
        out = ET.Element(el.tag, {k: v for k, v in el.attrib.items() if k != "plugin"})
        kept = []
        for child in el:
            cls = child.get("class") or (_decode_tag(child.tag) if "." in child.tag else None)
            if cls is not None and not _class_exists(cls, self.installed) and _plugin_of(cls) is not None:
                continue
            kept.append(self._normalise(child))
        if kept:
            out.extend(kept)
        else:
            out.text = el.text
        return out


def _parse_xml(data: bytes | str) -> ET.Element:
    """Parse a posted document as Jenkins's safe XML transform would, or raise 500.

    Bytes are decoded as their XML declaration says; text (already decoded by the request's
    charset, like a servlet reader) ignores the declared encoding.
    """
    if isinstance(data, str):
        data = re.sub(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", r"\1\2UTF-8\2", data)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!DOCTYPE" in raw:
        raise _HttpError(500, "java.io.IOException: Failed to persist config.xml\n"
                              "Caused by: org.xml.sax.SAXParseException: DOCTYPE is disallowed")
    try:
        return ET.fromstring(raw)
    except ET.ParseError as e:
        raise _HttpError(500, "java.io.IOException: Failed to persist config.xml\n"
                              f"Caused by: org.xml.sax.SAXParseException: {e}") from None


# ---------------------------------------------------------------------------------------------
# Writing the model back (XStream's PrettyPrintWriter in XML 1.1 mode)
# ---------------------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#xd;"}


def _escape(text: str, attribute: bool = False) -> str:
    """Text as PrettyPrintWriter writes it: entities, and other control or undefined characters as ``&#x..;``."""
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


class _Writer:
    """Serialises one item or view the way Jenkins's ``Items.XSTREAM2.toXMLUTF8`` does."""

    def __init__(self, loader: _Loader, versions: Mapping[str, str], cipher: _Cipher, *,
                 folder_views: bool = False) -> None:
        self.loader = loader
        self.versions = versions
        self.cipher = cipher
        self.folder_views = folder_views
        self.lines: list[str] = []
        self.plugins_used: set[str] = set()

    def document(self, tag: str, obj: _Obj) -> str:
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

    def obj(self, depth: int, tag: str, attrs: list[tuple[str, str]], obj: _Obj,
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
                self._line(depth, "owner", [("class", _FOLDER), ("reference", "../../../..")])
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
            if isinstance(value, _Raw):
                self.raw(depth, f.name, value.elem, owners)
            else:
                attrs = [] if value.cls == f.arg else [("class", value.cls)]
                self.obj(depth, f.name, attrs, value, owners)
        elif kind in ("list", "klist"):
            cls_attr, items = value if kind == "klist" else (f.arg, value)
            attrs = [("class", cls_attr)] if cls_attr else []

            def write() -> None:
                for item in items:
                    if isinstance(item, _Raw):
                        self.raw(depth + 1, item.elem.tag, item.elem, owners)
                    else:
                        self.obj(depth + 1, _encode_tag(item.cls), [], item, owners)

            self._container(depth, f.name, attrs, write)
        elif kind == "jobnames":
            def write_names() -> None:
                self._line(depth + 1, "comparator", [("class", "java.lang.String$CaseInsensitiveComparator")])
                for name in value:
                    self._line(depth + 1, "string", [], name)

            self._container(depth, f.name, [], write_names)

    def raw(self, depth: int, tag: str, el: ET.Element, owners: tuple[str | None, ...]) -> None:
        cls = el.get("class") or (_decode_tag(el.tag) if "." in el.tag else None)
        attrs = list(el.attrib.items()) + self._plugin_attr(cls, owners)
        inner = (_plugin_of(cls),) + owners
        if len(el):
            def write() -> None:
                for child in el:
                    self.raw(depth + 1, child.tag, child, inner)

            self._container(depth, tag, attrs, write)
        else:
            self._line(depth, tag, attrs, el.text)


# ---------------------------------------------------------------------------------------------
# Items, views, queue
# ---------------------------------------------------------------------------------------------

def _ci_key(name: str) -> str:
    """``String.CASE_INSENSITIVE_ORDER`` as a sort and lookup key."""
    return "".join(c.upper().lower() if len(c.upper()) == 1 else c for c in name)


@dataclass(eq=False)
class _Item:
    """A top-level item (or the root, with ``obj`` None): job, pipeline or folder."""

    name: str
    obj: _Obj | None
    versions: dict[str, str]
    parent: _Item | None = None
    children: dict[str, _Item] | None = None

    @property
    def is_group(self) -> bool:
        return self.children is not None

    def full_name(self) -> str:
        parts = []
        item: _Item | None = self
        while item is not None and item.parent is not None:
            parts.append(item.name)
            item = item.parent
        return "/".join(reversed(parts))

    def sorted_children(self) -> list[_Item]:
        return sorted((self.children or {}).values(), key=lambda i: _ci_key(i.name))


@dataclass
class _QueueItem:
    id: int
    job: _Item
    params: tuple[tuple[str, str], ...]
    since: float
    cause: str


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake served, in arrival order."""

    method: str
    #: The URL path with each segment percent-decoded, e.g. ``/job/docker/job/acme nginx/config.xml``.
    path: str
    #: The raw query string, ``""`` when there is none.
    query: str
    #: The status answered; 0 when an injected fault dropped the connection.
    status: int
    #: The authenticated user name, ``"anonymous"`` when there is none.
    user: str


@dataclass
class _Fault:
    method: str | None
    path: re.Pattern[str] | None
    status: int | None
    body: str
    headers: Mapping[str, str]
    drop: bool
    delay: float
    remaining: int


@dataclass
class _Request:
    method: str
    path: str
    segments: list[str]
    query: str
    params: dict[str, list[str]]
    headers: Message
    body: bytes
    user: str | None = None
    token: bool = False
    session: str | None = None


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


class _Bean(dict):  # type: ignore[type-arg]
    """An exported object of the remote API; values may be zero-argument callables (lazy)."""

    summary: tuple[str, ...] = ()


def _bean(cls: str, summary: Iterable[str] = (), **props: Any) -> _Bean:
    b = _Bean(_class=cls, **props)
    b.summary = ("_class", *summary)
    return b


def _parse_tree(spec: str) -> dict[str, tuple[Any, tuple[int | None, int | None] | None]]:
    """``tree=jobs[name,jobs[name]]{0,5}`` -> {name: (sub-spec or None, range or None)}."""
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        out: dict[str, Any] = {}
        while pos < len(spec):
            m = re.compile(r"[^,\[\]{}]*").match(spec, pos)
            assert m is not None
            name = m.group(0).strip()
            pos = m.end()
            sub = None
            rng = None
            if pos < len(spec) and spec[pos] == "[":
                pos += 1
                sub = parse_list()
                pos += 1  # "]"
            if pos < len(spec) and spec[pos] == "{":
                end = spec.index("}", pos)
                lo, _, hi = spec[pos + 1:end].partition(",")
                if "," in spec[pos + 1:end]:
                    rng = (int(lo) if lo.strip() else None, int(hi) if hi.strip() else None)
                else:
                    rng = (int(lo), int(lo) + 1)
                pos = end + 1
            if name:
                out[name] = (sub, rng)
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            break
        return out

    return parse_list()


def _force(value: Any) -> Any:
    return value() if callable(value) else value


def _render_tree(value: Any, spec: dict[str, Any] | None) -> Any:
    value = _force(value)
    if isinstance(value, list):
        return [_render_tree(v, spec) for v in value]
    if isinstance(value, _Bean):
        out: dict[str, Any] = {"_class": value["_class"]}
        for name in value:  # Jenkins writes properties in the bean's order, not the tree's
            if name in (spec or {}) and name != "_class":
                sub, rng = (spec or {})[name]
                v = _force(value[name])
                if isinstance(v, list) and rng is not None:
                    v = v[rng[0]:rng[1]]
                out[name] = _render_tree(v, sub)
        return out
    if isinstance(value, dict):
        return value
    return value


def _render_depth(value: Any, level: int, depth: int) -> Any:
    value = _force(value)
    if isinstance(value, list):
        return [_render_depth(v, level, depth) for v in value]
    if isinstance(value, _Bean):
        keys = list(value) if level <= depth or not value.summary else [k for k in value if k in value.summary]
        return {k: _render_depth(value[k], level + 1, depth) for k in keys}
    return value


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def version_string(self) -> str:
        return "Jetty(10.0.20)"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.server.fake._track(self.connection, False)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        try:
            self.server.fake._serve(self, self._read_body())
        except OSError:  # the client went away (a timeout, or the fake is stopping)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, _jetty_header_value(value))
        self.send_header("Content-Length", str(len(body)))
        # One write for head and body: two small writes meet Nagle and delayed ACKs (40 ms each).
        buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]
        buffer.append(b"\r\n")
        if self.command != "HEAD":
            buffer.append(body)
        self.flush_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # many workers connect at once; the default backlog of 5 stalls them
    fake: FakeJenkins

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that disconnects is not news; the fake's own errors become 500 pages


def _jetty_header_value(value: str) -> str:
    """Jetty writes header values as ISO-8859-1 and turns any other character (and CR/LF) into a space."""
    return "".join(c if ord(c) <= 0xFF and c not in "\r\n" else " " for c in value)


def _first(params: Mapping[str, list[str]], name: str) -> str | None:
    """A request parameter as a servlet's ``getParameter`` gives it: the first value, or None."""
    values = params.get(name)
    return values[0] if values else None


def _page(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><title>{html.escape(title)} [Jenkins]</title></head>"
            f"<body><div id=\"main-panel\">{body}</div></body></html>").encode("utf-8")


def _bump(version: str) -> str:
    """A newer version string: the right-most purely numeric component plus one."""
    parts = version.split(".")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit():
            parts[i] = str(int(parts[i]) + 1)
            return ".".join(parts)
    return version + ".1"


_CRUMB_FIELD = "Jenkins-Crumb"
_PERMISSIONS = {"createItem": "hudson.model.Item.Create", "config.xml": "hudson.model.Item.Configure",
                "doDelete": "hudson.model.Item.Delete", "build": "hudson.model.Item.Build",
                "buildWithParameters": "hudson.model.Item.Build", "createView": "hudson.model.View.Create"}


class FakeJenkins:
    """A fake Jenkins controller over real HTTP on 127.0.0.1 (see the module docstring).

    ``users`` log in with a password (every POST then needs the crumb of
    ``crumbIssuer/api/json``, tied to the session cookie that response sets); ``tokens`` are API
    tokens (no crumb needed).  Without credentials every request is refused with 403, except
    GETs when ``anonymous_read`` is true.  ``plugins`` are the installed plugins (artifactId ->
    version), :data:`DEFAULT_PLUGINS` when not given.  ``latency`` seconds are slept before every
    request is answered (settable at any time).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with FakeJenkins(tokens={"admin": "t"}) as fake:
            client = jenkins.Jenkins(fake.url, "admin", "t")   # python-jenkins
            client.create_job("x", "<project/>")
            assert fake.job_names() == ["x"]

    ``requests`` is the log of every request served (:class:`RecordedRequest`, in order).
    """

    def __init__(self, *, users: Mapping[str, str] | None = None, tokens: Mapping[str, str] | None = None,
                 anonymous_read: bool = False, version: str = "2.462.3",
                 plugins: Mapping[str, str] | None = None, latency: float = 0.0) -> None:
        #: ``http://127.0.0.1:PORT/`` once started.
        self.url: str = ""
        #: What the ``X-Jenkins`` header says; it also decides version-dependent fields.
        self.version = version
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._users = dict(users or {})
        self._tokens = dict(tokens or {})
        self._anonymous_read = anonymous_read
        self._plugins = dict(DEFAULT_PLUGINS if plugins is None else plugins)
        self._lock = threading.RLock()
        self._cipher = _Cipher()
        self._crumb_salt = secrets.token_bytes(16)
        self._cookie = "JSESSIONID." + secrets.token_hex(4)
        self._instance = secrets.token_hex(4)
        self._sessions: dict[str, str | None] = {}
        self._faults: list[_Fault] = []
        self._root = _Item("", None, {}, None, {})
        self._root_views: list[_Obj] = [_all_view("all")]
        self._queue: list[_QueueItem] = []
        self._next_queue_id = 1
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeJenkins:
        """Listen on a free port of 127.0.0.1 and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("FakeJenkins is already started")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}/"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="fake-jenkins", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeJenkins:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._connections.add if open_ else self._connections.discard)(conn)

    # -- seeding and inspection -----------------------------------------------------------------

    def put_job(self, full_name: str, config_xml: str) -> None:
        """Create or replace a job as if made by hand in the UI; its folder must exist.

        Raises KeyError for a missing folder and ValueError for a bad name or a document Jenkins
        would refuse (malformed, or not a job).
        """
        with self._lock:
            parent, name = self._parent_of(full_name)
            obj = self._load_or_value_error(config_xml)
            existing = parent.children.get(_ci_key(name)) if parent.children is not None else None
            children = existing.children if existing is not None and obj.cls == _FOLDER else None
            self._add(parent, name, obj, children)

    def put_folder(self, full_name: str, config_xml: str | None = None) -> None:
        """Create a folder (and any missing parent folders), or replace an existing folder's config."""
        with self._lock:
            parts = full_name.strip("/").split("/")
            for i in range(1, len(parts)):
                prefix = "/".join(parts[:i])
                if self._find(prefix) is None:
                    self.put_folder(prefix)
            parent, name = self._parent_of(full_name)
            obj = self._load_or_value_error(config_xml or f"<{_FOLDER}/>")
            if obj.cls != _FOLDER:
                raise ValueError(f"{full_name}: not a folder configuration")
            existing = parent.children.get(_ci_key(name)) if parent.children is not None else None
            children = existing.children if existing is not None and existing.is_group else {}
            self._add(parent, name, obj, children)

    def job_names(self) -> list[str]:
        """Full names of every job that is not a folder, folders' contents included, in tree order."""
        with self._lock:
            return [i.full_name() for i in self._walk(self._root) if not i.is_group]

    def folder_names(self) -> list[str]:
        """Full names of every folder, in tree order."""
        with self._lock:
            return [i.full_name() for i in self._walk(self._root) if i.is_group]

    def get_config(self, full_name: str) -> str:
        """Exactly what ``GET job/.../config.xml`` answers; KeyError when there is no such item."""
        with self._lock:
            item = self._find(full_name)
            if item is None:
                raise KeyError(full_name)
            return self._serialise(item)

    def resave(self, full_name: str) -> None:
        """Jenkins re-saving a job after its plugins were upgraded.

        Every plugin the job uses gets a newer version (in the installed plugins too, so other
        jobs show it once they are saved again); the job is written and loaded back, so its
        meaning is unchanged and only the ``plugin`` attributes differ.
        """
        with self._lock:
            item = self._find(full_name)
            if item is None or item.obj is None:
                raise KeyError(full_name)
            writer = self._writer(item)
            text = writer.document(self._root_tag(item.obj), item.obj)
            for plugin in writer.plugins_used:
                self._plugins[plugin] = _bump(self._plugins[plugin])
            loaded = self._loader().obj(item.obj.cls, _parse_xml(text))
            assert isinstance(loaded, _Obj)
            item.obj = loaded
            item.versions = dict(self._plugins)

    def views(self) -> dict[str, str]:
        """Each view's ``config.xml`` by name (``folder/name`` inside folders); "All" views are left out."""
        with self._lock:
            out = {v.values["name"]: self._view_xml(v) for v in self._root_views if v.cls != "hudson.model.AllView"}
            for folder in self._walk(self._root):
                if folder.is_group:
                    for v in self._group_views(folder):
                        if v.cls != "hudson.model.AllView":
                            out[f"{folder.full_name()}/{v.values['name']}"] = self._view_xml(v)
            return out

    def queue(self) -> list[str]:
        """Full names of the jobs waiting in the build queue, in queue order."""
        with self._lock:
            return [q.job.full_name() for q in self._queue]

    @property
    def plugins(self) -> dict[str, str]:
        """The installed plugins: artifactId -> version."""
        with self._lock:
            return dict(self._plugins)

    def reset_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self.requests.clear()

    def count(self, *, method: str | None = None, path: str | None = None) -> int:
        """How many recorded requests had this method and a path matching this regex (both optional)."""
        pattern = re.compile(path) if path is not None else None
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method == method.upper())
                       and (pattern is None or pattern.search(r.path)))

    def inject_fault(self, *, method: str | None = None, path: str | None = None, status: int | None = None,
                     body: str = "", headers: Mapping[str, str] | None = None, drop: bool = False,
                     delay: float = 0.0, times: int = 1) -> None:
        """Make the next ``times`` matching requests fail.

        A request matches when its method equals ``method`` and ``path`` (a regex) is found in its
        URL path (each is optional).  It is first delayed by ``delay`` seconds, then has its
        connection closed without an answer (``drop``), or is answered with ``status``, ``body``
        and ``headers`` instead of being handled, or (with only a delay) is handled normally.
        Faults are consumed in the order they were injected.
        """
        if status is None and not drop and delay <= 0:
            raise ValueError("a fault needs a status, drop=True or a delay")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_Fault(method.upper() if method else None,
                                       re.compile(path) if path is not None else None,
                                       status, body, dict(headers or {}), drop, delay, times))

    # -- internals: model helpers ---------------------------------------------------------------

    def _loader(self) -> _Loader:
        return _Loader(self._plugins, self._cipher, _version_tuple(self.version))

    def _writer(self, item: _Item) -> _Writer:
        return _Writer(self._loader(), item.versions, self._cipher, folder_views=True)

    @staticmethod
    def _root_tag(obj: _Obj) -> str:
        return _ALIAS_OF.get(obj.cls, _encode_tag(obj.cls))

    def _serialise(self, item: _Item) -> str:
        assert item.obj is not None
        return self._writer(item).document(self._root_tag(item.obj), item.obj)

    def _view_xml(self, view: _Obj) -> str:
        return _Writer(self._loader(), self._plugins, self._cipher).document(_encode_tag(view.cls), view)

    def _load_document(self, data: bytes | str, kinds: tuple[str, ...]) -> _Obj:
        """Load a posted item or view document, or raise the 500 Jenkins answers."""
        root = _parse_xml(data)
        cls = _ROOT_ALIASES.get(root.tag, _decode_tag(root.tag))
        loaded = self._loader().obj(cls, root) if cls in kinds else None
        if not isinstance(loaded, _Obj):
            raise _HttpError(500, f"java.io.IOException: Unable to read\nCaused by: com.thoughtworks.xstream."
                                  f"mapper.CannotResolveClassException: {root.tag}")
        return loaded

    def _load_or_value_error(self, config_xml: str) -> _Obj:
        try:
            return self._load_document(config_xml, _ITEM_CLASSES)
        except _HttpError as e:
            raise ValueError(e.message) from None

    def _parent_of(self, full_name: str) -> tuple[_Item, str]:
        folder, _, name = full_name.strip("/").rpartition("/")
        parent = self._find(folder) if folder else self._root
        if parent is None or not parent.is_group:
            raise KeyError(f"no folder {folder!r}")
        try:
            self._check_name(name)
        except _HttpError as e:
            raise ValueError(e.message) from None
        return parent, name

    def _add(self, parent: _Item, name: str, obj: _Obj, children: dict[str, _Item] | None) -> _Item:
        item = _Item(name, obj, dict(self._plugins), parent, children if obj.cls == _FOLDER else None)
        if item.children is None and obj.cls == _FOLDER:
            item.children = {}
        for child in (item.children or {}).values():
            child.parent = item
        assert parent.children is not None
        old = parent.children.get(_ci_key(name))
        if old is not None:
            if item.is_group or old.is_group:
                self._forget_queued(old)
            for queued in self._queue:  # a reconfigured job keeps its place in the queue
                if queued.job is old:
                    queued.job = item
        parent.children[_ci_key(name)] = item
        return item

    def _find(self, full_name: str) -> _Item | None:
        item: _Item | None = self._root
        for part in [p for p in full_name.strip("/").split("/") if p]:
            if item is None or item.children is None:
                return None
            item = item.children.get(_ci_key(part))
        return item

    def _walk(self, group: _Item) -> Iterator[_Item]:
        for child in group.sorted_children():
            yield child
            if child.is_group:
                yield from self._walk(child)

    def _group_views(self, group: _Item) -> list[_Obj]:
        if group.obj is None:
            return self._root_views
        holder = group.obj.values.get("folderViews")
        if isinstance(holder, _Obj) and holder.cls == _FOLDER_VIEWS:
            views: list[_Obj] = holder.values.setdefault("views", [])
            return views
        return []

    def _forget_queued(self, item: _Item) -> None:
        gone = {id(i) for i in [item, *self._walk(item)]} if item.is_group else {id(item)}
        self._queue = [q for q in self._queue if id(q.job) not in gone]

    @staticmethod
    def _check_name(name: str | None) -> None:
        """``Jenkins.checkGoodName``."""
        if not name:
            raise _failure("No name is specified")
        if name.strip() in (".", ".."):
            raise _failure(f"“{name.strip()}” is not an allowed name")
        for ch in name:
            if unicodedata.category(ch) == "Cc":
                printable = "".join(f"\\u{ord(c)};" if unicodedata.category(c) == "Cc" else c for c in name)
                raise _failure(f"No control code is allowed: {printable}")
            if ch in "?*/\\%!@#$^&|<>[]:;":
                raise _failure(f"‘{ch}’ is an unsafe character")
        if name.strip().endswith("."):
            raise _failure("A name cannot end with ‘.’")

    # -- internals: HTTP ------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.method in (None, method)) and (fault.path is None or fault.path.search(path)):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, req: _Request, status: int) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(req.method, req.path, req.query, status,
                                                 req.user or "anonymous"))

    def _serve(self, handler: _Handler, body: bytes) -> None:
        split = urlsplit(handler.path)
        segments = [unquote(s) for s in split.path.split("/") if s]
        req = _Request(handler.command, "/" + "/".join(segments), segments, split.query,
                       parse_qs(split.query, keep_blank_values=True), handler.headers, body)
        fault = self._take_fault(req.method, req.path)
        if self.latency > 0:
            time.sleep(self.latency)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            self._record(req, 0)
            handler.drop()
            return
        if fault is not None and fault.status is not None:
            response = _Response(fault.status, fault.body.encode("utf-8"),
                                 "text/plain;charset=utf-8" if fault.body else None, list(fault.headers.items()))
        else:
            response = self._respond(req)
            response.headers[:0] = [("X-Content-Type-Options", "nosniff"), ("X-Jenkins", self.version),
                                    ("X-Jenkins-Session", self._instance)]
        if response.content_type:
            response.headers.append(("Content-Type", response.content_type))
        self._record(req, response.status)
        handler.answer(response.status, response.headers, response.body)

    def _respond(self, req: _Request) -> _Response:
        try:
            with self._lock:
                self._authenticate(req)
                self._check_crumb(req)
                return self._route(req)
        except _HttpError as e:
            return self._error_response(req, e)
        except Exception as e:  # a bug in the fake shows as Jenkins's "Oops!" page, never a hang
            return self._error_response(req, _HttpError(500, f"{type(e).__name__}: {e}"))

    def _error_response(self, req: _Request, e: _HttpError) -> _Response:
        headers = list(e.headers)
        if e.x_error:
            headers.append(("X-Error", e.message))
        title = {400: "Error", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(e.status, "Oops!")
        tag = "pre" if e.status == 500 else "p"
        body = _page(title, f"<h1>{title}</h1><{tag}>{html.escape(e.message)}</{tag}>")
        return _Response(e.status, body, "text/html;charset=utf-8", headers)

    def _authenticate(self, req: _Request) -> None:
        auth = req.headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
            except ValueError:
                decoded = ""
            if ":" not in decoded:
                raise _HttpError(401, "Malformed HTTP basic Authorization header",
                                 headers=[("WWW-Authenticate", 'Basic realm="Jenkins"')])
            user, secret = decoded.split(":", 1)
            if user in self._tokens and hmac.compare_digest(self._tokens[user].encode(), secret.encode()):
                req.user, req.token = user, True
            elif user in self._users and hmac.compare_digest(self._users[user].encode(), secret.encode()):
                req.user = user
            else:
                raise _HttpError(401, f"Invalid password/token for user: {user}",
                                 headers=[("WWW-Authenticate", 'Basic realm="Jenkins"')])
        req.session = self._session_of(req)
        if req.user is None and req.session is not None:
            req.user = self._sessions.get(req.session)

    def _session_of(self, req: _Request) -> str | None:
        for part in (req.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self._cookie and value in self._sessions:
                return value
        return None

    def _crumb(self, user: str | None, session: str) -> str:
        return hmac.new(self._crumb_salt, f"{user or 'anonymous'}:{session}".encode(), hashlib.sha256).hexdigest()

    def _form(self, req: _Request) -> dict[str, list[str]]:
        params = {k: list(v) for k, v in req.params.items()}
        if "application/x-www-form-urlencoded" in (req.headers.get("Content-Type") or ""):
            for k, v in parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        return params

    def _check_crumb(self, req: _Request) -> None:
        if req.method != "POST" or req.token or req.segments[:1] == ["project"]:
            return
        crumb = req.headers.get(_CRUMB_FIELD) or _first(self._form(req), _CRUMB_FIELD)
        if crumb is None or req.session is None or not hmac.compare_digest(crumb.encode(), self._crumb(req.user, req.session).encode()):
            raise _HttpError(403, "No valid crumb was included in the request")

    def _check_permission(self, req: _Request, action: str, read: bool) -> None:
        if req.user is not None or (read and self._anonymous_read and action != "config.xml"):
            return
        permission = _PERMISSIONS.get(action, "hudson.model.Hudson.Read" if read else "hudson.model.Hudson.Administer")
        if action == "config.xml" and read:
            permission = "hudson.model.Item.ExtendedRead"
        raise _HttpError(403, f"anonymous is missing the {permission} permission", headers=[
            ("X-You-Are-Authenticated-As", "anonymous"),
            ("X-You-Are-In-Group-Disabled", "JENKINS-39402: use -Dhudson.security.AccessDeniedException2."
                                            "REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose"),
            ("X-Required-Permission", permission),
            ("X-Permission-Implied-By", "hudson.model.Hudson.Administer")])

    # -- internals: routing ---------------------------------------------------------------------

    def _route(self, req: _Request) -> _Response:
        segs = req.segments
        if segs[:1] == ["whoAmI"]:
            return self._json(req, self._who_am_i(req))
        if segs[:1] == ["project"] and len(segs) > 1:
            return self._gitlab_hook(req, segs[1:])
        if segs[:1] in (["login"], ["loginError"]):
            return _Response(200, _page("Sign in", "<h1>Sign in to Jenkins</h1>"), "text/html;charset=utf-8")
        reading = req.method in ("GET", "HEAD")
        group = self._root
        i = 0
        while i + 1 < len(segs) and group.is_group and segs[i] in ("job", "view"):
            if segs[i] == "view":
                view = next((v for v in self._group_views(group) if v.values.get("name") == segs[i + 1]), None)
                if view is None:
                    raise _HttpError(404, "Not Found")
                self._check_permission(req, (segs[i + 2:] or [""])[0], reading)
                return self._view_action(req, group, view, segs[i + 2:])
            assert group.children is not None
            child = group.children.get(_ci_key(segs[i + 1]))
            if child is None:
                self._check_permission(req, "", reading)
                raise _HttpError(404, "Not Found")
            group = child
            i += 2
        rest = segs[i:]
        self._check_permission(req, (rest or [""])[0], reading)
        if group.obj is None:
            return self._root_action(req, rest)
        return self._item_action(req, group, rest)

    def _require(self, req: _Request, method: str) -> None:
        if req.method != method and not (method == "GET" and req.method == "HEAD"):
            raise _HttpError(405, f"This URL requires {method}")

    def _json(self, req: _Request, bean: Any, status: int = 200) -> _Response:
        tree = req.params.get("tree", [None])[0]
        try:
            depth = int(req.params.get("depth", ["0"])[0])
        except ValueError:
            depth = 0
        data = _render_tree(bean, _parse_tree(tree)) if tree else _render_depth(bean, 0, depth)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return _Response(status, body, "application/json;charset=utf-8")

    def _root_action(self, req: _Request, rest: list[str]) -> _Response:
        head = rest[0] if rest else ""
        if rest in ([], ["api", "json"]):
            self._require(req, "GET")
            if not rest:
                return _Response(200, _page("Dashboard", "<h1>Welcome to Jenkins!</h1>"), "text/html;charset=utf-8")
            return self._json(req, self._root_bean())
        if head == "crumbIssuer" and rest[1:2] == ["api"]:
            self._require(req, "GET")
            return self._issue_crumb(req, rest[2:3] == ["xml"])
        if rest == ["me", "api", "json"]:
            return self._json(req, _bean("hudson.model.User", absoluteUrl=f"{self.url}user/{req.user}",
                                         description=None, fullName=req.user, id=req.user, property=[]))
        if head == "queue":
            return self._queue_action(req, rest[1:])
        if rest == ["pluginManager", "api", "json"]:
            return self._json(req, _bean("hudson.LocalPluginManager", plugins=[
                _bean("hudson.PluginWrapper", active=True, enabled=True, hasUpdate=False, pinned=False,
                      bundled=False, deleted=False, downgradable=False, longName=name, shortName=name,
                      url=f"https://plugins.jenkins.io/{name}", version=version, dependencies=[])
                for name, version in sorted(self._plugins.items())]))
        return self._group_action(req, self._root, rest)

    def _issue_crumb(self, req: _Request, as_xml: bool) -> _Response:
        headers = []
        session = req.session
        if session is None:
            session = secrets.token_urlsafe(18)
            self._sessions[session] = req.user
            headers.append(("Set-Cookie", f"{self._cookie}={session}; Path=/; HttpOnly"))
        crumb = self._crumb(req.user, session)
        if as_xml:
            if "xpath" in req.params:
                return _Response(200, f"{_CRUMB_FIELD}:{crumb}".encode(), "text/plain;charset=utf-8", headers)
            body = (f'<defaultCrumbIssuer _class="hudson.security.csrf.DefaultCrumbIssuer"><crumb>{crumb}</crumb>'
                    f"<crumbRequestField>{_CRUMB_FIELD}</crumbRequestField></defaultCrumbIssuer>")
            return _Response(200, body.encode(), "application/xml;charset=utf-8", headers)
        response = self._json(req, _bean("hudson.security.csrf.DefaultCrumbIssuer", crumb=crumb,
                                         crumbRequestField=_CRUMB_FIELD))
        response.headers.extend(headers)
        return response

    def _who_am_i(self, req: _Request) -> _Bean:
        anonymous = req.user is None
        return _bean("hudson.security.WhoAmI", anonymous=anonymous, authenticated=not anonymous,
                     authorities=["anonymous"] if anonymous else ["authenticated"], details=None,
                     name=req.user or "anonymous",
                     toString=f"{'Anonymous' if anonymous else 'UsernamePassword'}AuthenticationToken "
                              f"[Principal={req.user or 'anonymous'}, Authenticated=true]")

    def _group_action(self, req: _Request, group: _Item, rest: list[str]) -> _Response:
        """Actions of the root and of folders (``createItem``, ``createView``)."""
        if rest == ["createItem"]:
            self._require(req, "POST")
            return self._create_item(req, group)
        if rest == ["createView"]:
            self._require(req, "POST")
            return self._create_view(req, group)
        raise _HttpError(404, "Not Found")

    def _item_action(self, req: _Request, item: _Item, rest: list[str]) -> _Response:
        assert item.obj is not None
        head = rest[0] if rest else ""
        if not rest:
            if req.method == "DELETE":
                self._delete(item)
                return _Response(204)
            self._require(req, "GET")
            return _Response(200, _page(item.full_name(), f"<h1>{html.escape(item.name)}</h1>"),
                             "text/html;charset=utf-8")
        if rest == ["api", "json"]:
            self._require(req, "GET")
            return self._json(req, self._item_bean(item))
        if rest == ["config.xml"]:
            if req.method in ("GET", "HEAD"):
                return _Response(200, self._serialise(item).encode("utf-8"), "application/xml")
            self._require(req, "POST")
            return self._update_item(req, item)
        if rest == ["configure"]:
            self._require(req, "GET")
            return _Response(200, _page(item.full_name(), "<form name=\"config\"></form>"), "text/html;charset=utf-8")
        if head in ("doDelete", "delete") and len(rest) == 1:
            self._require(req, "POST")
            parent = item.parent
            self._delete(item)
            assert parent is not None
            return _Response(302, headers=[("Location", self._group_url(parent))])
        if head in ("doRename", "confirmRename") and len(rest) == 1:
            self._require(req, "POST")
            return self._rename(req, item)
        if item.is_group:
            return self._group_action(req, item, rest)
        if head in ("build", "buildWithParameters") and len(rest) == 1:
            self._require(req, "POST")
            return self._build(req, item)
        if head in ("enable", "disable") and len(rest) == 1:
            self._require(req, "POST")
            item.obj.values["disabled"] = head == "disable"
            item.versions = dict(self._plugins)
            return _Response(302, headers=[("Location", self._item_url(item))])
        raise _HttpError(404, "Not Found")

    # -- internals: items -----------------------------------------------------------------------

    def _create_item(self, req: _Request, group: _Item) -> _Response:
        content_type = req.headers.get("Content-Type")
        params = self._form(req)
        mode = _first(params, "mode")
        if content_type is None and mode != "copy":
            raise _failure("No Content-Type header set")
        is_xml = content_type is not None and content_type.startswith(("application/xml", "text/xml"))
        name = _first(params, "name")
        if name is None:
            raise _failure("Query parameter 'name' is required")
        self._check_name(name)
        name = name.strip()
        assert group.children is not None
        if _ci_key(name) in group.children:
            raise _failure(f"A job already exists with the name ‘{name}’")
        if mode == "copy":
            source_name = _first(params, "from") or ""
            source = self._resolve(source_name, group)
            if source is None or source.obj is None:
                raise _failure(f"No such job: {source_name}" if source_name else "Specify which job to copy")
            obj = self._load_document(self._serialise(source), _ITEM_CLASSES)
            self._add(group, name, obj, None)
            return _Response(302, headers=[("Location", f"{self._group_url(group)}job/{quote(name)}/configure")])
        if is_xml:
            obj = self._load_document(self._decode_body(req), _ITEM_CLASSES)
            self._add(group, name, obj, None)
            return _Response(200)
        if mode is None:
            raise _failure("No mode given")
        defaults = {_FREESTYLE: "<project><canRoam>true</canRoam></project>",
                    _PIPELINE: "<flow-definition><triggers/></flow-definition>", _FOLDER: f"<{_FOLDER}/>"}
        if mode not in defaults:
            raise _failure(f"No item type ‘{mode}’ is known")
        obj = self._load_document(defaults[mode], _ITEM_CLASSES)
        self._add(group, name, obj, None)
        return _Response(302, headers=[("Location", f"{self._group_url(group)}job/{quote(name)}/configure")])

    @staticmethod
    def _decode_body(req: _Request) -> bytes | str:
        """The posted text: decoded by the Content-Type charset when there is one, else left to the XML."""
        m = re.search(r"charset=([\w.-]+)", req.headers.get("Content-Type") or "", re.I)
        if m:
            try:
                return req.body.decode(m.group(1))
            except (LookupError, UnicodeDecodeError):
                pass
        return req.body

    def _update_item(self, req: _Request, item: _Item) -> _Response:
        assert item.obj is not None
        root = _parse_xml(self._decode_body(req))
        cls = _ROOT_ALIASES.get(root.tag, _decode_tag(root.tag))
        if cls != item.obj.cls:
            raise _HttpError(500, f"java.io.IOException: Expecting class {item.obj.cls} but got class {cls} instead")
        loaded = self._loader().obj(cls, root)
        if not isinstance(loaded, _Obj):
            raise _HttpError(500, f"java.io.IOException: Unable to read\nCaused by: com.thoughtworks.xstream."
                                  f"mapper.CannotResolveClassException: {root.tag}")
        item.obj = loaded
        item.versions = dict(self._plugins)
        return _Response(200)

    def _delete(self, item: _Item) -> None:
        assert item.parent is not None and item.parent.children is not None
        self._forget_queued(item)
        del item.parent.children[_ci_key(item.name)]

    def _rename(self, req: _Request, item: _Item) -> _Response:
        new_name = _first(self._form(req), "newName")
        self._check_name(new_name)
        assert new_name is not None and item.parent is not None and item.parent.children is not None
        new_name = new_name.strip()
        existing = item.parent.children.get(_ci_key(new_name))
        if existing is not None and existing is not item:
            raise _failure(f"A job already exists with the name ‘{new_name}’")
        old_full = item.full_name()
        del item.parent.children[_ci_key(item.name)]
        item.name = new_name
        item.parent.children[_ci_key(new_name)] = item
        self._after_rename(old_full, item)
        return _Response(302, headers=[("Location", self._item_url(item))])

    def _after_rename(self, old_full: str, item: _Item) -> None:
        """Jenkins's listeners rewrite other jobs' trigger lists and list views after a rename."""
        new_full = item.full_name()
        for job in self._walk(self._root):
            if job.obj is None or job is item:
                continue
            for trigger, attr in self._trigger_lists(job):
                names = [n.strip() for n in (trigger.values.get(attr) or "").split(",") if n.strip()]
                changed = False
                for k, n in enumerate(names):
                    if self._full_of(n, job.parent) == old_full or n.strip("/") == old_full:
                        head, _, _ = n.rpartition("/")
                        names[k] = f"{head}/{item.name}" if head else item.name
                        changed = True
                if changed:
                    trigger.values[attr] = ",".join(names)
        for group in [self._root, *[g for g in self._walk(self._root) if g.is_group]]:
            for view in self._group_views(group):
                if view.cls == "hudson.model.ListView":
                    base = group.full_name()
                    rel_old = old_full[len(base) + 1:] if base else old_full
                    rel_new = new_full[len(base) + 1:] if base else new_full
                    names = view.values.get("jobNames") or []
                    if any(_ci_key(n) == _ci_key(rel_old) for n in names):
                        kept = [n for n in names if _ci_key(n) != _ci_key(rel_old)] + [rel_new]
                        view.values["jobNames"] = sorted(kept, key=_ci_key)

    def _full_of(self, name: str, context: _Item | None) -> str:
        """The full name a relative job reference stands for, resolved like ``Jenkins.getItem(name, group)``."""
        if name.startswith("/"):
            return name.strip("/")
        parts = (context.full_name().split("/") if context is not None and context.full_name() else [])
        for p in name.split("/"):
            if p == "..":
                parts = parts[:-1]
            elif p and p != ".":
                parts.append(p)
        return "/".join(parts)

    def _resolve_name(self, name: str, context: _Item) -> _Item | None:
        return self._find(self._full_of(name, context)) or self._find(name)

    def _resolve(self, name: str, context: _Item) -> _Item | None:
        return self._resolve_name(name, context) if name else None

    def _trigger_lists(self, job: _Item) -> Iterator[tuple[_Obj, str]]:
        """(object, field) of each comma-separated job list in a job: BuildTrigger and ReverseBuildTrigger."""
        assert job.obj is not None
        v = job.obj.values
        candidates: list[Any] = list(v.get("publishers") or []) + list(v.get("triggers") or [])
        for prop in v.get("properties") or []:
            if isinstance(prop, _Obj) and prop.cls == _PTJP:
                candidates += prop.values.get("triggers") or []
        for c in candidates:
            if isinstance(c, _Obj) and c.cls == "hudson.tasks.BuildTrigger":
                yield c, "childProjects"
            elif isinstance(c, _Obj) and c.cls == "jenkins.triggers.ReverseBuildTrigger":
                yield c, "upstreamProjects"

    def _edges(self) -> list[tuple[_Item, _Item]]:
        """The dependency graph: (upstream, downstream), freestyle jobs only, as Jenkins builds it."""
        edges = []
        for job in self._walk(self._root):
            if job.obj is None or job.obj.cls != _FREESTYLE or job.parent is None:
                continue
            for trigger, attr in self._trigger_lists(job):
                for n in (trigger.values.get(attr) or "").split(","):
                    other = self._resolve(n.strip(), job.parent)
                    if other is None or other.obj is None or other.obj.cls != _FREESTYLE:
                        continue
                    edges.append((job, other) if attr == "childProjects" else (other, job))
        return edges

    # -- internals: views -----------------------------------------------------------------------

    def _create_view(self, req: _Request, group: _Item) -> _Response:
        params = self._form(req)
        mode = _first(params, "mode")
        content_type = req.headers.get("Content-Type")
        if content_type is None and mode != "copy":
            raise _failure("No Content-Type header set")
        name = _first(params, "name")
        self._check_name(name)
        assert name is not None
        views = self._group_views(group)
        if any(v.values.get("name") == name for v in views):
            raise _failure(f'A view already exists with the name "{name}"')
        if not content_type or not content_type.startswith(("application/xml", "text/xml")) or mode:
            if mode in ("hudson.model.ListView", "hudson.model.MyView"):
                view = self._load_document(f"<{mode}/>", _VIEW_CLASSES)
            else:
                raise _failure("No view type is specified" if not mode else f"No view type ‘{mode}’ is known")
        else:
            view = self._load_document(self._decode_body(req), _VIEW_CLASSES)
        view.values["name"] = name
        views.append(view)
        return _Response(200)

    def _view_action(self, req: _Request, group: _Item, view: _Obj, rest: list[str]) -> _Response:
        if rest == ["api", "json"]:
            self._require(req, "GET")
            return self._json(req, self._view_bean(group, view))
        if not rest:
            self._require(req, "GET")
            return _Response(200, _page(view.values["name"], "<h1>View</h1>"), "text/html;charset=utf-8")
        if rest == ["config.xml"]:
            if req.method in ("GET", "HEAD"):
                return _Response(200, self._view_xml(view).encode("utf-8"), "application/xml")
            self._require(req, "POST")
            root = _parse_xml(self._decode_body(req))
            cls = _decode_tag(root.tag)
            loaded = self._loader().obj(cls, root) if cls in _VIEW_CLASSES else None
            if not isinstance(loaded, _Obj) or loaded.cls != view.cls:
                raise _HttpError(500, f"java.io.IOException: Expecting view type: class {view.cls} but got: class "
                                      f"{cls} instead.\nShould you needed to change to a new view type, you must "
                                      f"first delete and then re-create the view with the new view type.")
            loaded.values["name"] = view.values["name"]  # a view keeps its name
            view.values = loaded.values
            return _Response(200)
        if rest == ["doDelete"]:
            self._require(req, "POST")
            views = self._group_views(group)
            if view.cls == "hudson.model.AllView" or len(views) <= 1:
                raise _failure("Cannot delete the primary view")
            views.remove(view)
            return _Response(302, headers=[("Location", self._group_url(group))])
        if rest in (["addJobToView"], ["removeJobFromView"]) and view.cls == "hudson.model.ListView":
            self._require(req, "POST")
            name = _first(self._form(req), "name") or ""
            target = self._resolve(name, group)
            if target is None:
                raise _failure(f"Query parameter 'name' does not correspond to a known item: {name}")
            names = [n for n in view.values["jobNames"] if _ci_key(n) != _ci_key(name)]
            if rest == ["addJobToView"]:
                names.append(name)
            view.values["jobNames"] = sorted(names, key=_ci_key)
            return _Response(200)
        raise _HttpError(404, "Not Found")

    def _view_items(self, group: _Item, view: _Obj) -> list[_Item]:
        if view.cls != "hudson.model.ListView":
            return group.sorted_children()
        names = {_ci_key(n) for n in view.values.get("jobNames") or []}
        regex = view.values.get("includeRegex")
        base = group.full_name()
        candidates = self._walk(group) if view.values.get("recurse") else group.sorted_children()
        out = []
        for item in candidates:
            rel = item.full_name()[len(base) + 1:] if base else item.full_name()
            if _ci_key(rel) in names or (regex and re.fullmatch(regex, rel)):
                out.append(item)
        return out

    # -- internals: builds ----------------------------------------------------------------------

    def _build(self, req: _Request, item: _Item, params: tuple[tuple[str, str], ...] | None = None,
               cause: str | None = None) -> _Response:
        assert item.obj is not None
        if item.obj.values.get("disabled"):
            raise _HttpError(409, f"java.io.IOException: {item.full_name()} is not buildable")
        if params is None:
            params = tuple(sorted((k, v[0]) for k, v in self._form(req).items()
                                  if k not in ("token", "delay", "cause", _CRUMB_FIELD)))
        queued = next((q for q in self._queue if q.job is item and q.params == params), None)
        if queued is None:
            queued = _QueueItem(self._next_queue_id, item, params, time.time(),
                                cause or f"Started by user {req.user or 'anonymous'}")
            self._next_queue_id += 1
            self._queue.append(queued)
        return _Response(201, headers=[("Location", f"{self.url}queue/item/{queued.id}/")])

    def _queue_action(self, req: _Request, rest: list[str]) -> _Response:
        if rest == ["api", "json"]:
            return self._json(req, _bean("hudson.model.Queue", discoverableItems=[],
                                         items=[self._queue_bean(q) for q in self._queue]))
        if len(rest) == 4 and rest[0] == "item" and rest[2:] == ["api", "json"]:
            queued = next((q for q in self._queue if str(q.id) == rest[1]), None)
            if queued is None:
                raise _HttpError(404, "Not Found")
            return self._json(req, self._queue_bean(queued))
        if rest == ["cancelItem"]:
            self._require(req, "POST")
            wanted = _first(self._form(req), "id")
            self._queue = [q for q in self._queue if str(q.id) != wanted]
            referer = req.headers.get("Referer")
            return _Response(302, headers=[("Location", referer)]) if referer else _Response(204)
        raise _HttpError(404, "Not Found")

    def _gitlab_hook(self, req: _Request, path: list[str]) -> _Response:
        """The GitLab plugin's ``/project/<full job name>`` webhook (push events only queue builds)."""
        item = self._find("/".join(path))
        if item is None or item.obj is None or item.is_group:
            raise _HttpError(404, "Not Found")
        if req.method != "POST" or req.headers.get("X-Gitlab-Event") is None:
            return _Response(200)
        trigger = self._gitlab_trigger(item)
        if trigger is None:
            return _Response(200)
        secret = trigger.values.get("secretToken")
        if secret is not None and secret.plain:
            given = req.headers.get("X-Gitlab-Token")
            if given is None or not hmac.compare_digest(given.encode(), secret.plain.encode()):
                raise _HttpError(401, "Invalid token")
        elif req.user is None:
            raise _HttpError(403, "anonymous is missing the Job/Build permission")
        if req.headers.get("X-Gitlab-Event") in ("Push Hook", "Tag Push Hook") and trigger.values.get("triggerOnPush"):
            try:
                payload = json.loads(req.body.decode("utf-8") or "{}")
            except ValueError:
                raise _HttpError(500, "Failed to parse the push hook") from None
            ref = str(payload.get("ref") or "")
            branch = ref.split("/", 2)[2] if ref.startswith("refs/heads/") else ref
            if self._branch_allowed(trigger, branch) and not item.obj.values.get("disabled"):
                self._build(req, item, (("ref", ref), ("after", str(payload.get("after") or ""))),
                            f"Started by GitLab push by {payload.get('user_name') or 'GitLab'}")
        return _Response(200)

    def _gitlab_trigger(self, item: _Item) -> _Obj | None:
        assert item.obj is not None
        v = item.obj.values
        candidates: list[Any] = list(v.get("triggers") or [])
        for prop in v.get("properties") or []:
            if isinstance(prop, _Obj) and prop.cls == _PTJP:
                candidates += prop.values.get("triggers") or []
        return next((c for c in candidates if isinstance(c, _Obj) and c.cls == _GITLAB_TRIGGER), None)

    @staticmethod
    def _branch_allowed(trigger: _Obj, branch: str) -> bool:
        v = trigger.values
        kind = v.get("branchFilterType")
        if kind == "NameBasedFilter":
            include = [b.strip() for b in (v.get("includeBranchesSpec") or "").split(",") if b.strip()]
            exclude = [b.strip() for b in (v.get("excludeBranchesSpec") or "").split(",") if b.strip()]
            return (not include or branch in include) and branch not in exclude
        if kind == "RegexBasedFilter":
            regex = v.get("targetBranchRegex") or ""
            return not regex or re.fullmatch(regex, branch) is not None
        return True

    # -- internals: remote API beans ------------------------------------------------------------

    def _group_url(self, group: _Item) -> str:
        return self.url if group.obj is None else self._item_url(group)

    def _item_url(self, item: _Item) -> str:
        return self.url + "".join(f"job/{quote(p, safe='')}/" for p in item.full_name().split("/"))

    def _color(self, item: _Item) -> str:
        assert item.obj is not None
        return "disabled" if item.obj.values.get("disabled") else "notbuilt"

    def _item_summary(self, item: _Item) -> _Bean:
        """An item as it appears in a ``jobs`` list, with everything ``tree=`` may ask for."""
        assert item.obj is not None
        cls = item.obj.cls
        if item.is_group:
            return _bean(cls, ("name", "url"), name=item.name, url=self._item_url(item),
                         description=item.obj.values.get("description"), fullName=item.full_name(),
                         displayName=item.obj.values.get("displayName") or item.name,
                         jobs=lambda: [self._item_summary(c) for c in item.sorted_children()])
        return _bean(cls, ("name", "url", "color"), name=item.name, url=self._item_url(item),
                     color=self._color(item), description=item.obj.values.get("description"),
                     fullName=item.full_name(), displayName=item.obj.values.get("displayName") or item.name)

    def _item_bean(self, item: _Item) -> _Bean:
        assert item.obj is not None
        v = item.obj.values
        common: dict[str, Any] = dict(
            actions=[], description=v.get("description"), displayName=v.get("displayName") or item.name,
            displayNameOrNull=v.get("displayName"), fullDisplayName=" » ".join(
                p for p in item.full_name().split("/")), fullName=item.full_name(), name=item.name,
            url=self._item_url(item))
        if item.is_group:
            views = self._group_views(item)
            return _bean(_FOLDER, ("name", "url"), **common, healthReport=[],
                         jobs=lambda: [self._item_summary(c) for c in item.sorted_children()],
                         primaryView=self._view_summary(item, views[0]) if views else None,
                         views=[self._view_summary(item, view) for view in views])
        queued = next((q for q in self._queue if q.job is item), None)
        bean = _bean(item.obj.cls, ("name", "url", "color"), **common, buildable=not v.get("disabled"), builds=[],
                     color=self._color(item), firstBuild=None, healthReport=[], inQueue=queued is not None,
                     keepDependencies=v.get("keepDependencies", False), lastBuild=None, lastCompletedBuild=None,
                     lastFailedBuild=None, lastStableBuild=None, lastSuccessfulBuild=None,
                     lastUnstableBuild=None, lastUnsuccessfulBuild=None, nextBuildNumber=1,
                     property=[_bean(getattr(p, "cls", None) or _decode_tag(p.elem.tag))
                               for p in v.get("properties") or []],
                     queueItem=self._queue_bean(queued) if queued else None)
        if item.obj.cls == _FREESTYLE:
            scm = v.get("scm")
            graph: list[list[tuple[_Item, _Item]]] = []

            def edges() -> list[tuple[_Item, _Item]]:  # computed only when a client asks for it
                if not graph:
                    graph.append(self._edges())
                return graph[0]

            bean.update(concurrentBuild=v.get("concurrentBuild", False), disabled=v.get("disabled", False),
                        downstreamProjects=lambda: [self._item_summary(d) for u, d in edges() if u is item],
                        labelExpression=None if v.get("canRoam") else v.get("assignedNode"),
                        scm=_bean(getattr(scm, "cls", "hudson.scm.NullSCM")),
                        upstreamProjects=lambda: [self._item_summary(u) for u, d in edges() if d is item])
        else:
            concurrent = not any(getattr(p, "cls", None) == _DCBJP for p in v.get("properties") or [])
            bean.update(concurrentBuild=concurrent, disabled=v.get("disabled", False), resumeBlocked=False)
        return bean

    def _view_url(self, group: _Item, view: _Obj) -> str:
        views = self._group_views(group)
        if views and views[0] is view:
            return self._group_url(group)
        return f"{self._group_url(group)}view/{quote(view.values['name'], safe='')}/"

    def _view_summary(self, group: _Item, view: _Obj) -> _Bean:
        return _bean(view.cls, ("name", "url"), name=view.values["name"], url=self._view_url(group, view))

    def _view_bean(self, group: _Item, view: _Obj) -> _Bean:
        return _bean(view.cls, ("name", "url"), description=view.values.get("description"),
                     jobs=lambda: [self._item_summary(i) for i in self._view_items(group, view)],
                     name=view.values["name"], property=[], url=self._view_url(group, view))

    def _root_bean(self) -> _Bean:
        views = self._root_views
        return _bean("hudson.model.Hudson", assignedLabels=[{"name": "built-in"}], mode="NORMAL",
                     nodeDescription="the Jenkins controller's built-in node", nodeName="", numExecutors=2,
                     description=None, jobs=lambda: [self._item_summary(c) for c in self._root.sorted_children()],
                     overallLoad={}, primaryView=self._view_summary(self._root, views[0]), quietDownReason=None,
                     quietingDown=False, slaveAgentPort=-1,
                     unlabeledLoad={"_class": "jenkins.model.UnlabeledLoadStatistics"}, url=self.url,
                     useCrumbs=True, useSecurity=True, views=[self._view_summary(self._root, v) for v in views])

    def _queue_bean(self, queued: _QueueItem) -> _Bean:
        since = int(queued.since * 1000)
        params = "".join(f"\n{k}={v}" for k, v in queued.params)
        return _bean("hudson.model.Queue$WaitingItem", ("id", "url"), actions=[
            {"_class": "hudson.model.CauseAction",
             "causes": [{"_class": "hudson.model.Cause$UserIdCause", "shortDescription": queued.cause}]}],
            blocked=False, buildable=False, id=queued.id, inQueueSince=since, params=params, stuck=False,
            task=self._item_summary(queued.job), url=f"queue/item/{queued.id}/",
            why="In the quiet period. Expires in 5 sec", timestamp=since + 5000)
