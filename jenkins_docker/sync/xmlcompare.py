"""Comparing job configs by meaning, not by text.

Jenkins never returns the config.xml it was given: it re-serialises the loaded job (XML 1.1
declaration, its own indentation and escaping, ``plugin=`` attributes, no comments, fields in
declaration order, secrets encrypted). Comparing text would re-upload every job on every run, so
sync compares :func:`canonical` forms, which are equal exactly when Jenkins would load the two
documents into the same job.
"""
from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as ET

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.S)

#: Fields of type ``hudson.util.Secret``: posted in clear text, returned encrypted, so their
#: values never compare equal. The comparison and the diffs see only whether one is set
#: (:data:`SECRET_SET`), never its value.
SECRET_FIELDS = frozenset({"secretToken"})

#: What a set secret reads as in canonical forms and diffs.
SECRET_SET = "(secret)"

# Primitive fields Jenkins always writes even when they were omitted (false, 0); an absent field
# and one at its default load as the same job.
_DEFAULT_TEXT = frozenset({"false", "0", ""})


class XMLError(ValueError):
    """A config could not be parsed as XML."""


# XML 1.1 (what Jenkins writes) allows control characters as character references (``&#x1b;``);
# expat only knows XML 1.0, which forbids them. They are read as characters of a private-use
# plane (U+F0000 + code), which no config holds, and written back as the same references.
_CONTROL_REF = re.compile(r"&#(?:x([0-9a-fA-F]+)|([0-9]+));")
_SHIFT = 0xF0000
_SHIFTED = re.compile("[\U000F0001-\U000F001F]")


def _xml10_illegal(code: int) -> bool:
    return 0 < code < 0x20 and code not in (0x9, 0xA, 0xD)


def _shift_control_refs(text: str) -> str:
    def shift(found: re.Match[str]) -> str:
        code = int(found.group(1), 16) if found.group(1) else int(found.group(2))
        return chr(_SHIFT + code) if _xml10_illegal(code) else found.group(0)

    return _CONTROL_REF.sub(shift, text)


def control_refs(text: str) -> str:
    """Serialised text with the control characters :func:`parse` shifted written back as ``&#x..;``."""
    return _SHIFTED.sub(lambda found: f"&#x{ord(found.group(0)) - _SHIFT:x};", text)


def parse(text: str) -> ET.Element:
    """Parse a config.xml, whatever its declaration says (expat refuses ``version="1.1"``).

    Control characters written as references, as Jenkins does under its XML 1.1 declaration,
    parse too (see :func:`control_refs` to write them back).
    """
    try:
        return ET.fromstring(_shift_control_refs(_DECLARATION.sub("", text).replace("\r\n", "\n")))
    except ET.ParseError as exc:
        raise XMLError(f"not well-formed XML: {exc}") from None


def canonical(text: str) -> str:
    """A form of the config that is equal for two documents Jenkins reads as the same job."""
    return _serialise(_normalised(text))


def tag_and_canonical(text: str) -> tuple[str, str]:
    """The root element's name (``project``, ``flow-definition``, a folder class...) and the
    :func:`canonical` form, from one parse."""
    root = _normalised(text)
    return root.tag, _serialise(root)


def same(a: str, b: str) -> bool:
    """True when Jenkins would load ``a`` and ``b`` as the same configuration."""
    return canonical(a) == canonical(b)


def diff(old: str | None, new: str | None, name: str) -> str:
    """A unified diff of the canonical forms, readable in a terminal or a merge request."""
    before = _pretty(old) if old is not None else []
    after = _pretty(new) if new is not None else []
    return "".join(difflib.unified_diff(before, after, f"{name} (live)", f"{name} (inventory)", n=2))


def _pretty(text: str) -> list[str]:
    root = _normalised(text)
    ET.indent(root, space="  ")
    return [line + "\n" for line in control_refs(ET.tostring(root, encoding="unicode")).splitlines()]


def _normalised(text: str) -> ET.Element:
    root = parse(text)
    _normalise(root)
    return root


def _normalise(element: ET.Element) -> None:
    element.attrib.pop("plugin", None)
    if element.text is not None:
        element.text = element.text.replace("\r\n", "\n").replace("\r", "\n")
        if not element.text.strip() and len(element):
            element.text = None
    element.tail = None
    for child in list(element):
        if child.tag in SECRET_FIELDS:
            if (child.text or "").strip():
                child.text, child.tail = SECRET_SET, None
                child[:] = []
            else:
                element.remove(child)
            continue
        _normalise(child)
        if len(child) == 0 and not child.attrib and (child.text or "") in _DEFAULT_TEXT:
            element.remove(child)
    # Jenkins writes fields in declaration order; sorting by tag (stably, so repeated list
    # entries such as two Shell steps keep their order) makes the order irrelevant.
    element[:] = sorted(element, key=lambda e: e.tag)


def _serialise(element: ET.Element) -> str:
    return control_refs(ET.tostring(element, encoding="unicode"))


def carry_secrets(new: str, live: str) -> str:
    """``new`` with each secret that ``live`` has and ``new`` lacks copied over, encrypted as read.

    Posting a config nulls out every field it omits (jenkinsci/jenkins
    core/src/main/java/hudson/model/AbstractItem.java updateByXml, XStream2 ``nullOut``), so a
    token set in the UI would be wiped by the next update that does not carry it. Jenkins takes
    its own encrypted ``{AQAAAB...}`` form back as is. The secret goes right after the opening
    tag of the element that holds it (XStream reads fields in any order).
    """
    if not any(f"<{name}>" in live for name in SECRET_FIELDS):
        return new  # the common case, without parsing
    try:
        live_root = parse(live)
        new_root = parse(new)
    except XMLError:
        return new
    out = new
    for holder in live_root.iter():
        for field in holder:
            value = (field.text or "").strip()
            if field.tag not in SECRET_FIELDS or not value:
                continue
            wanted = [h for h in new_root.iter(holder.tag)]
            if len(wanted) != 1 or (wanted[0].findtext(field.tag) or "").strip():
                continue  # set by the inventory, or no single place to put it
            escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            element = f"<{field.tag}>{escaped}</{field.tag}>"
            empty = re.compile(rf"<{field.tag}\s*/>|<{field.tag}>\s*</{field.tag}>")
            opening = re.compile(rf"<{re.escape(holder.tag)}(\s[^>]*)?(?<!/)>")
            if wanted[0].find(field.tag) is not None and (blank := empty.search(out)):
                out = f"{out[:blank.start()]}{element}{out[blank.end():]}"
            elif found := opening.search(out):
                out = f"{out[:found.end()]}{element}{out[found.end():]}"
    return out
