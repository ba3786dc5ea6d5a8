"""Typed values read from YAML nodes: the checks every section of an inventory shares, each problem located.

:class:`Checker` reads a mapping against a table of :mod:`jenkins_docker.loading.schema` (unknown keys
with a did-you-mean, required keys, types, enums, strings without control characters, NAME: value
maps without secrets) and collects every problem with its file, line and column; the loader
(:mod:`jenkins_docker.loading.loader`) builds on it for the sections' own rules.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jenkins_docker import naming
from jenkins_docker.errors import Location, Problem
from jenkins_docker.loading import schema
from jenkins_docker.loading.yamlfile import NULL_TAG, location

_STR_TAG = "tag:yaml.org,2002:str"

_INT_TAG = "tag:yaml.org,2002:int"

_SCALAR_TEXT_TAGS = {_STR_TAG, _INT_TAG, "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}

# Plain scalars YAML reads as something else than text: quoting them makes them strings.
_QUOTABLE_TAGS = _SCALAR_TEXT_TAGS | {"tag:yaml.org,2002:timestamp"}

# Keys of shell commands may span lines; names, URLs and ids may not.
_MULTILINE_KEYS = {"test", "deploy", "rebuild"}

# C0 and C1 controls and the non-characters U+FFFE/U+FFFF: none can be written in XML.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")

_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Words that mark a key as holding a secret; matched against the words of the key
# (`MYSQL_PASSWORD`, `apiToken`, `secret-key`), so `credentials` and `BYPASS` are not flagged.
_SECRET_WORDS = {"password", "passwd", "pass", "pwd", "passphrase", "secret", "secrets", "token",
                 "tokens", "apikey", "privatekey", "accesskey", "secretkey"}

_SECRET_PAIRS = {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")}

# ...and inside a word, for keys written without separators (`MYSQLPASSWORD`).
_SECRET_SUBSTRINGS = ("password", "passwd", "passphrase")

# A URL with credentials in it carries a secret in the inventory: `scheme://user:password@`, or
# an http(s) URL whose user is a token (`https://<token>@github.com/...`).
URL_CREDENTIALS = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]+@|\bhttps?://[A-Za-z0-9_.~-]{20,}@")

# The per-value escape hatch of the secret checks of `env` and `build_args`: `NAME: !not-secret value`.
NOT_SECRET_TAG = "!not-secret"

# PyYAML's own reading of YAML 1.1 integers (0x1F, 0o17, 1_000), applied to one node.
_INT_CONSTRUCTOR = yaml.SafeLoader("")



class Values(dict):  # type: ignore[type-arg]
    """A checked mapping: key -> Python value, plus where each key and value was written."""

    def __init__(self) -> None:
        super().__init__()
        self.key_nodes: dict[str, Node] = {}
        self.value_nodes: dict[str, Node] = {}

    def written(self, key: str) -> bool:
        """Whether ``key`` was written, even if its value was refused."""
        return key in self.key_nodes


class Checker:
    """Checks of one file's values against the schema, collecting every problem (errors and warnings)."""

    def __init__(self, display: str) -> None:
        self.name = display
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    # -- reporting -------------------------------------------------------------------------
    def at(self, node: Node) -> Location:
        return location(self.name, node)

    def error(self, node: Node | Location, message: str) -> None:
        where = node if isinstance(node, Location) else self.at(node)
        self.errors.append(Problem(where, message))

    # -- generic section checks ------------------------------------------------------------
    def section(self, spec: schema.Section, node: Node, owner: Node, title: str | None = None) -> Values:
        """Check ``node`` against a section table; returns what could be read.

        ``owner`` is the key the section is the value of: a missing required key is reported
        there, where the user will look for it. ``title`` names the section in messages
        (default: its own title).
        """
        values = Values()
        title = title or spec.title
        if not isinstance(node, MappingNode):
            self.error(node, f"{title} must be a mapping, not {describe(node)}")
            return values
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == NULL_TAG:
                self.error(key_node, f"keys of {title} must be plain names, not {describe(key_node)}")
                continue
            key = str(key_node.value)
            if key in values.key_nodes:
                continue  # a repeated key: reported by the YAML layer, the first one is kept
            if spec.each is not None:
                self.entry(spec.each, key, key_node, value_node, values)
                continue
            if key not in spec.keys:
                self.unknown_key(spec, title, key_node, key)
                continue
            values.key_nodes[key] = key_node
            values.value_nodes[key] = value_node
            value = self.value(spec.keys[key], key, key_node, value_node, title)
            if value is not None:
                values[key] = value
        if spec.each is None:
            for key, key_spec in spec.keys.items():
                if key_spec.required and key not in values.key_nodes:
                    self.error(owner, f"{title} is missing the required key `{key}`")
        return values

    def entry(self, each: schema.Section, key: str, key_node: Node, value_node: Node, values: Values) -> None:
        """One user-named entry of a mapping such as ``base_images`` or ``registries``."""
        if self.contains_control(key_node, key, f"the {each.name} name", multiline=False):
            return
        label = f"{each.name} {key!r}"
        # Written, even if refused below: rules that refer to it by name then stay quiet.
        values.key_nodes[key] = key_node
        values.value_nodes[key] = value_node
        if isinstance(value_node, ScalarNode) and value_node.tag == NULL_TAG:
            needs = ", ".join(f"`{k}`" for k, s in each.keys.items() if s.required)
            self.error(key_node, f"{label} is empty; it needs at least {needs}")
            return
        if not isinstance(value_node, MappingNode):
            self.error(value_node, f"{label} must be a mapping of keys ({', '.join(each.keys)}), not {describe(value_node)}")
            return
        values[key] = self.section(each, value_node, key_node, label)

    def unknown_key(self, spec: schema.Section, title: str, node: Node, key: str) -> None:
        if _looks_secret(key):
            self.error(node, _secret_message(key))
            return
        if key in spec.misplaced:
            self.error(node, f"`{key}` is not allowed in {title}: {spec.misplaced[key]}")
            return
        close = _close_matches(key, list(spec.keys), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else f"; expected one of: {', '.join(spec.keys)}"
        self.error(node, f"unknown key `{key}` in {title}{hint}")

    def value(self, spec: schema.Key, key: str, key_node: Node, node: Node, where: str) -> Any:
        if isinstance(spec.type, schema.Section):
            if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
                return None
            return self.section(spec.type, node, key_node)
        if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
            self.error(node, f"`{key}` in {where} has no value; expected {_article(spec.type)}")
            return None
        if spec.type == schema.STR:
            text = self.string(key, node, where, multiline=key in _MULTILINE_KEYS)
            if text is not None and spec.enum and text not in spec.enum:
                close = _close_matches(text, spec.enum, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.error(node, f"`{key}` must be one of {', '.join(spec.enum)}, not {text!r}{hint}")
                return None
            return text
        if spec.type == schema.INT:
            return self.integer(spec, key, node, where)
        if spec.type == schema.STR_MAP:
            return self.string_map(key, node, where)
        if spec.type == schema.STR_OR_LIST:
            nodes = node.value if isinstance(node, SequenceNode) else [node]
            if not nodes:
                self.error(node, f"`{key}` in {where} is an empty list")
                return None
            items = [(self.string(key, item, where, multiline=False), item) for item in nodes]
            for text, item in items:
                if text is not None and spec.enum and text not in spec.enum:
                    close = _close_matches(text, spec.enum, n=1)
                    self.error(item, f"`{key}` takes {', '.join(spec.enum)}, not {text!r}" + (f"; did you mean `{close[0]}`?" if close else ""))
            return [(text, item) for text, item in items if text is not None and (not spec.enum or text in spec.enum)]
        if spec.type == schema.BOOL:
            if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
                self.error(node, f"`{key}` in {where} must be true or false, not {describe(node)}")
                return None
            return yaml.safe_load(node.value) is True
        raise AssertionError(spec.type)  # pragma: no cover - schema types are all handled above

    def integer(self, spec: schema.Key, key: str, node: Node, where: str) -> int | None:
        number = None
        if isinstance(node, ScalarNode) and node.tag == _INT_TAG:
            try:
                number = _INT_CONSTRUCTOR.construct_yaml_int(node)
            except (ValueError, TypeError):  # an explicit `!!int` on text that is no number
                number = None
        if number is None:
            self.error(node, f"`{key}` in {where} must be an integer, not {describe(node)}")
            return None
        if spec.minimum is not None and number < spec.minimum:
            self.error(node, f"`{key}` in {where} must be at least {spec.minimum}, not {number}")
            return None
        return int(number)

    def string(self, key: str, node: Node, where: str, *, multiline: bool) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != _STR_TAG:
            hint = ""
            if isinstance(node, ScalarNode) and node.tag in _QUOTABLE_TAGS:
                hint = f" (write it in quotes, \"{node.value}\", to make it a string)"
            self.error(node, f"`{key}` in {where} must be a string, not {describe(node)}{hint}")
            return None
        text = str(node.value)
        if self.contains_control(node, text, f"`{key}`", multiline=multiline):
            return None
        if not text.strip():
            self.error(node, f"`{key}` in {where} is empty")
            return None
        return text

    def contains_control(self, node: Node, text: str, what: str, *, multiline: bool) -> bool:
        bad = (_CONTROL if multiline else _CONTROL_ONE_LINE).search(text)
        if bad:
            char = "a line break" if bad.group() in "\r\n" else f"the {naming.character_problem(bad.group())}"
            self.error(node, f"{char} is not allowed in {what}")
            return True
        return False

    def string_map(self, key: str, node: Node, where: str) -> dict[str, str] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"`{key}` in {where} must be a mapping of NAME: value, not {describe(node)}")
            return None
        out: dict[str, str] = {}
        for name_node, value_node in node.value:
            if not isinstance(name_node, ScalarNode) or name_node.tag not in _SCALAR_TEXT_TAGS:
                self.error(name_node, f"names in `{key}` must be plain names, not {describe(name_node)}")
                continue
            name = str(name_node.value)
            if not _VARIABLE_NAME.fullmatch(name):
                self.error(name_node, f"{name!r} is not a valid variable name in `{key}` (letters, digits and _, not starting with a digit)")
                continue
            vouched = isinstance(value_node, ScalarNode) and value_node.tag == NOT_SECRET_TAG
            hatch = f" (if it is not a secret, write `{name}: {NOT_SECRET_TAG} value`)"
            if _looks_secret(name) and not vouched:
                self.error(name_node, _secret_message(name) + hatch)
                continue
            if not isinstance(value_node, ScalarNode) or (value_node.tag not in _SCALAR_TEXT_TAGS and not vouched):
                self.error(value_node, f"`{key}.{name}` in {where} must be a string, number or boolean, not {describe(value_node)}")
                continue
            if self.contains_control(value_node, str(value_node.value), f"`{key}.{name}`", multiline=True):
                continue
            if not vouched and URL_CREDENTIALS.search(str(value_node.value)):
                self.error(value_node, f"`{key}.{name}` in {where} has credentials in a URL (user:password@): they would be "
                                       "written in clear into the job; keep the secret in a Jenkins credential and bind it "
                                       "by its id in the job" + hatch)
                continue
            out[name] = str(value_node.value)
        return out


def describe(node: Node) -> str:
    """How a message names what was written: ``a mapping``, ``a list``, ``an integer (3)``, ``empty``."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "null":
        return "empty"
    kind = {"str": "a string", "int": "an integer", "float": "a number", "bool": "a boolean", "timestamp": "a date"}.get(tag, f"a {tag!r} value")
    return f"{kind} ({node.value!r})"


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


# Between words: separators, and camelCase boundaries (`apiKey`, `APIKey`).
_WORD_BREAK = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _words(key: str) -> list[str]:
    return [w.lower() for w in _WORD_BREAK.split(key) if w]


@functools.lru_cache(maxsize=4096)
def _looks_secret(key: str) -> bool:
    words = _words(key)
    return (any(w in _SECRET_WORDS for w in words)
            or any(pair in _SECRET_PAIRS for pair in zip(words, words[1:]))
            or any(part in w for w in words for part in _SECRET_SUBSTRINGS))


def _secret_message(key: str) -> str:
    return (f"{key!r} looks like a secret: keep it in Jenkins credentials and reference its id "
            "(registries take a `credentials` id; jobs bind secrets from credentials, never from the inventory)")


def _close_matches(word: str, possibilities: Sequence[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """:func:`difflib.get_close_matches`, imported only when a value is wrong (for its hint)."""
    import difflib

    return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)
