"""Ownership: which items on a shared Jenkins belong to this inventory, and what sync may do to them.

Every item jenkins-docker writes ends its description with one exact line, the *ownership line*::

    Managed by jenkins-docker [owner=docker]: changes made in the Jenkins UI are overwritten by the next sync.

The bracket holds space-separated ``key=value`` fields: ``owner`` (always first) is the
inventory's identity, ``jenkins.owner`` or by default its folder path; values are
percent-encoded (:func:`urllib.parse.quote`), so they never hold a space or a ``]``. Later fields
may follow ``owner`` (a digest of the rendered config, say); unknown fields are kept and ignored.
An item is *ours* only when the **last line** of its description is such a line naming our owner,
like docker-compose finding its containers by their project label alone; a marker anywhere else
in the text, or another owner's line, is not ours.

The first release wrote :data:`LEGACY_LINE` (no owner). An item ending with it is *legacy*:
updated when this inventory renders it (it then gets our line), never deleted or replaced unless
``--adopt`` says so, as pre-commit's ``is_our_script`` knows its older markers.

This module is the one place that answers "is it ours?" and "may sync update, replace, delete or
adopt it?"; :mod:`jenkins_docker.sync.plan` asks it and nothing else decides.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Literal, Mapping
from urllib.parse import quote, unquote

from jenkins_docker import naming
from jenkins_docker.errors import UsageError

if TYPE_CHECKING:   # annotations only: ownership decides, the targets list
    from jenkins_docker.sync.targets import LiveItem

#: The tool's name in the ownership line.
TOOL = "jenkins-docker"

_PREFIX = f"Managed by {TOOL} ["
_SUFFIX = "]: changes made in the Jenkins UI are overwritten by the next sync."

#: The whole last line the first release wrote (no owner).
LEGACY_LINE = f"Managed by {TOOL}: changes made in the Jenkins UI are overwritten by the next sync."

_PAIR = r"([a-z][a-z0-9_-]*)=([^\s\]]*)"   # one field; values are percent-encoded
_FIELD = re.compile(_PAIR)
_LINE = re.compile(re.escape(_PREFIX) + f"((?:{_PAIR})(?: {_PAIR})*)" + re.escape(_SUFFIX))

Status = Literal["ours", "legacy", "other-owner", "hand-made"]


@dataclass(frozen=True)
class Marker:
    """A parsed ownership line: the owner and any further fields, in order."""

    owner: str
    fields: Mapping[str, str] = field(default_factory=dict)


def ownership_line(owner: str | None, **fields: str) -> str:
    """The exact last line of the description of an item owned by ``owner`` (None: no owner).

    The line holds none of ``& < > ' "`` (values are percent-encoded), so XML escaping leaves it as
    it is: a rendered config holds it verbatim.
    """
    parts = [f"owner={_encode(owner or '')}"] + [f"{key}={_encode(value)}" for key, value in fields.items()]
    return _PREFIX + " ".join(parts) + _SUFFIX


def last_line(description: str) -> str:
    """The last line of a description (CRLF as LF; trailing line breaks ignored)."""
    return description.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").rpartition("\n")[2]


def parse_line(line: str) -> Marker | None:
    """The :class:`Marker` of an exact ownership line, or ``None`` for any other text."""
    found = _LINE.fullmatch(line)
    if found is None:
        return None
    pairs = _FIELD.findall(found.group(1))
    if not pairs or pairs[0][0] != "owner":
        return None
    return Marker(unquote(pairs[0][1]), {key: unquote(value) for key, value in pairs[1:]})


def marker_of(description: str) -> Marker | None:
    """The ownership marker ending ``description``, if it ends with one."""
    return parse_line(last_line(description))


def description_of(xml: str) -> str:
    """The ``<description>`` text of a config.xml (a view's, too); empty when there is none."""
    from jenkins_docker.sync import xmlcompare  # not at the top: rendering needs no XML parser

    return xmlcompare.parse(xml).findtext("description") or ""


#: What ``_encode`` leaves as it is: ``quote``'s always-safe ASCII characters and its ``safe`` ones.
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~/@:+,-]*")


def _encode(value: str) -> str:
    # Owners and digests are nearly always plain: a match costs far less than quote(), and
    # every sync and render writes the line twice per item.
    return value if _UNQUOTED.fullmatch(value) else quote(value, safe="/@:+,")


@dataclass(frozen=True)
class Ownership:
    """Whose an item is: ``status``, and the owner named by its line when it has one."""

    status: Status
    owner: str | None = None

    def describe(self) -> str:
        """The item's owner in words, for messages: ``owned by 'team-b'``, ``hand-made``..."""
        if self.status == "ours":
            return "managed by this inventory"
        if self.status == "legacy":
            return "managed by the first release of jenkins-docker (no owner)"
        if self.status == "other-owner":
            return f"owned by another inventory ({_quoted_owner(self.owner)}, see jenkins.owner)"
        return "not managed by jenkins-docker (hand-made)"


def _quoted_owner(owner: str | None) -> str:
    return f"owner {owner!r}" if owner else "an inventory without folder or owner"


def classify(description: str, owner: str | None) -> Ownership:
    """Whose an item with this description is, seen from the inventory ``owner``."""
    line = last_line(description)
    if line == LEGACY_LINE:
        return Ownership("legacy")
    marker = parse_line(line)
    if marker is None:
        return Ownership("hand-made")
    if marker.owner == (owner or ""):
        return Ownership("ours", marker.owner)
    return Ownership("other-owner", marker.owner)


@dataclass(frozen=True)
class Decision:
    """Whether an action is allowed; ``reason`` says why not (or a note when allowed)."""

    allowed: bool
    reason: str = ""


ALLOWED = Decision(True)


def is_folder(kind: str) -> bool:
    """True for a folder (an item that holds items)."""
    return kind == "folder"


@dataclass(frozen=True)
class Policy:
    """What one inventory may do on a shared Jenkins: its owner, folder and the flags given.

    Create the policy with :func:`policy`, which refuses ``prune``/``adopt`` at the top level
    when the inventory has neither folder nor owner.
    """

    owner: str | None
    folder: str | None
    prune: bool
    adopt: bool

    def classify(self, description: str) -> Ownership:
        """Whose an item with ``description`` is, seen from this inventory."""
        return classify(description, self.owner)

    def may_write(self, name: str, live_name: str, live_kind: str, description: str, new_kind: str) -> Decision:
        """May sync write (update or replace) ``name``, found on the target as ``live_name``?

        Kinds are never crossed: a job never replaces a folder and a folder never replaces a job,
        whoever owns them. A case-only difference of the name is refused (Jenkins would keep
        the old spelling). Our items and legacy ones are updated; a hand-made item only with
        ``adopt``; another inventory's item never.
        """
        who = self.classify(description)
        if is_folder(new_kind) != is_folder(live_kind):
            new_what = "a folder" if is_folder(new_kind) else f"a {new_kind} job"
            live_what = "a folder" if is_folder(live_kind) else ("a job" if live_kind == "other" else f"a {live_kind} job")
            return Decision(False, f"the inventory makes {name} {new_what}, but Jenkins has {live_what} {live_name} there "
                                   f"({who.describe()}); a job never replaces a folder nor a folder a job, "
                                   "even with --adopt: rename one of them")
        if live_name != name:
            return Decision(False, f"Jenkins already has {live_name!r}, which differs only in case "
                                   f"({who.describe()}); rename it first, or spell the name as Jenkins does")
        if who.status in ("ours", "legacy"):
            return ALLOWED
        if who.status == "other-owner":
            return Decision(False, f"{live_name} exists and is {who.describe()}; two inventories cannot own one item: "
                                   "rename the image, or remove it from the other inventory first")
        if self.adopt:
            return ALLOWED
        return Decision(False, f"{live_name} exists and is {who.describe()}; rename or delete it, "
                               "or pass --adopt to take it over")

    def may_replace(self, name: str, description: str, live_kind: str, new_kind: str) -> Decision:
        """May a job of another type (freestyle <-> pipeline) be deleted and created anew?

        Only a job that is ours (or legacy, with ``adopt``): a replace loses the job's build history.
        """
        who = self.classify(description)
        if is_folder(live_kind) or is_folder(new_kind):
            return Decision(False, f"{name}: a job never replaces a folder nor a folder a job")
        if who.status == "ours" or (who.status == "legacy" and self.adopt):
            return ALLOWED
        hint = " (pass --adopt to replace a job of the first release)" if who.status == "legacy" else ""
        return Decision(False, f"{name} is a {live_kind} job {who.describe()}; changing it to {new_kind} means deleting it "
                               f"with its build history, which sync does only to its own jobs{hint}")

    def in_scope(self, full_name: str) -> bool:
        """True for an item prune may consider: inside the inventory's folder (top level without one)."""
        if self.folder:
            return naming.collision_key(full_name).startswith(naming.collision_key(self.folder) + "/")
        return "/" not in full_name

    def may_delete(self, full_name: str, description: str) -> Decision:
        """May prune delete this item (it left the inventory)? Ours, in scope, and ``prune`` given.

        A legacy item only with ``adopt``; never another inventory's item, a hand-made one, or
        anything outside the inventory's folder.
        """
        if not self.in_scope(full_name):
            return Decision(False, f"{full_name} is outside the inventory's folder")
        who = self.classify(description)
        if who.status == "ours" or (who.status == "legacy" and self.adopt):
            return ALLOWED if self.prune else Decision(False, "kept: pass --prune to delete it")
        return Decision(False, f"{full_name} is {who.describe()}")

    def unchanged_by_digest(self, description: str, digest: str) -> bool:
        """True when a live item of ours carries the digest of the config rendered now (``--fast``).

        The item was last written from exactly this config by this inventory; an edit made in
        the Jenkins UI since then is not seen (the trade ``--fast`` makes).
        """
        return bool(digest) and self.classify(description).status == "ours" and digest_of(description) == digest

    def is_orphan(self, full_name: str, description: str) -> bool:
        """True for an item of ours, in scope, that the inventory no longer renders."""
        return self.in_scope(full_name) and self.classify(description).status == "ours"


def owner_of(owner: str | None, folder: str | None) -> str | None:
    """An inventory's identity on a shared Jenkins: ``jenkins.owner``, else its folder path."""
    return owner or folder or None


def policy(owner: str | None, folder: str | None, *, prune: bool = False, adopt: bool = False) -> Policy:
    """The :class:`Policy` of an inventory; refuses ``prune``/``adopt`` at the top level with no owner.

    Two inventories without a folder or an owner cannot tell their items apart, so neither
    may delete or take over anything.
    """
    if not owner and not folder and (prune or adopt):
        flags = " and ".join(flag for flag, on in (("--prune", prune), ("--adopt", adopt)) if on)
        raise UsageError(f"{flags} at the top level of Jenkins needs an owner: set `jenkins.owner` in the inventory "
                         "(a short name that no other inventory syncing to this Jenkins uses), or `jenkins.folder`")
    return Policy(owner or None, folder, prune, adopt)


def prunable(policy: Policy, doomed: Iterable[LiveItem], live: Mapping[str, LiveItem], unseen: set[str]) -> tuple[list[LiveItem], list[str]]:
    """Which of the ``doomed`` items prune deletes, and a note for each folder it keeps.

    ``doomed`` are the items :meth:`Policy.may_delete` allows (they left the inventory); ``live``
    every listed item by :func:`naming.collision_key` of its full name; ``unseen`` the keys of
    folders whose contents the listing did not show. A folder goes only when everything it holds
    was listed and goes too; otherwise it is kept, and the note lists what it holds that is not
    going. Returns the items to delete, deepest first, without those a deleted folder takes with it.
    """
    chosen = {naming.collision_key(item.full_name): item for item in doomed}
    notes = []
    for item in sorted((i for i in chosen.values() if is_folder(i.kind)), key=lambda i: (-i.full_name.count("/"), i.full_name)):
        key = naming.collision_key(item.full_name)
        staying = [other for k, other in live.items() if k.startswith(key + "/") and k not in chosen]
        if key in unseen or staying:
            del chosen[key]
            held = ", ".join(f"{other.full_name} ({policy.classify(other.description).describe()})"
                             for other in sorted(staying, key=lambda i: i.full_name))
            notes.append(f"kept folder {item.full_name}: it holds {held or 'items the listing did not show'}; "
                         "prune deletes a folder only when everything in it is this inventory's and goes too")
    keys = [k for k, item in chosen.items() if is_folder(item.kind)]
    out = [item for k, item in chosen.items() if not any(k.startswith(folder + "/") for folder in keys)]
    return sorted(out, key=lambda i: (-i.full_name.count("/"), i.full_name)), notes


# ``hudson.util.Secret`` fields (the GitLab trigger's token) stay out of the digest: the digest
# stands in the description, which anyone with Job/Read sees, and must not help guess a secret.
_SECRET_ELEMENT = re.compile(r"<secretToken>[^<]*</secretToken>")


def stamp(xml: str, owner: str | None) -> tuple[str, str]:
    """Add the ``digest`` field to the ownership line of a rendered config; returns (xml, digest).

    The digest is a SHA-256 (first 32 hex digits) of the config as rendered, with the line
    still without a digest and secrets blanked: identical input gives the identical digest, and
    any change to what is rendered changes it. ``plan --fast`` compares it with the digest in the
    live item's description (which the listing returns) instead of reading the config.
    """
    digest = hashlib.sha256(_SECRET_ELEMENT.sub("<secretToken/>", xml).encode("utf-8")).hexdigest()[:32]
    plain = ownership_line(owner) + "</description>"
    return xml.replace(plain, ownership_line(owner, digest=digest) + "</description>", 1), digest


def digest_of(description: str) -> str | None:
    """The ``digest`` field of the ownership line ending ``description``, if any."""
    marker = marker_of(description)
    return marker.fields.get("digest") if marker is not None else None


def check_rendered(xml: str, line: str, template: str) -> str | None:
    """Why a rendered config does not end its description with ``line``, or ``None`` when it does.

    A cheap text test, run after every template: the line must close the description. The line
    stands in the XML as it is: it holds nothing XML escapes (see :func:`ownership_line`).
    """
    if line + "</description>" in xml:
        return None
    return (f"template {template}: the description must end with the ownership line ({line!r}); keep "
            "{{ description }} as the last text of <description>, or sync will not recognise the item as its own")


__all__ = [
    "ALLOWED", "Decision", "LEGACY_LINE", "Marker", "Ownership", "Policy", "TOOL", "check_rendered", "classify",
    "description_of", "digest_of", "is_folder", "last_line", "marker_of", "owner_of", "ownership_line", "parse_line", "policy",
    "prunable", "stamp",
]
