"""Reading a YAML file into located nodes, refusing what PyYAML would accept silently or slowly.

The inventory checks (:mod:`jenkins_docker.loading.loader`) walk PyYAML's *composed* node tree rather
than plain Python values, so that every problem can name the line and column of the key or value
at fault. This module owns everything about the file as text: its size, its encoding, YAML
syntax errors, duplicate keys, merge keys and alias bombs.
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jenkins_docker.errors import InventoryError, Location, Problem

#: Largest inventory read, in bytes. A 10,000-image inventory is about 2 MB; anything far larger
#: is a mistake (a log or a binary named by error) and would only waste the user's time.
MAX_BYTES = 16 * 1024 * 1024

#: Most values the document may stand for once aliases are expanded, and the most it may
#: multiply itself through aliases: a legitimate file reuses a few anchors, a "billion laughs"
#: alias bomb multiplies itself by millions.
MAX_EXPANDED_NODES = 2_000_000
MAX_ALIAS_GROWTH = 50

try:  # libyaml's composer is several times faster; fall back to pure Python where absent
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader  # type: ignore[misc,assignment]

MERGE_TAG = "tag:yaml.org,2002:merge"
# What YAML (1.1, as libyaml reads it) counts as the end of a line; its marks count lines so.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
NULL_TAG = "tag:yaml.org,2002:null"


def location(path: str, node: Node) -> Location:
    """The 1-based location of where ``node`` starts."""
    mark = node.start_mark
    return Location(path, mark.line + 1, mark.column + 1)


def compose(path: Path, display: str | None = None, problems: list[Problem] | None = None) -> MappingNode | None:
    """Read ``path`` and return its document's root node (``None`` for an empty document).

    Raises :class:`InventoryError` for a file that is missing, too large, not UTF-8, not valid
    YAML, has several documents, nests too deeply, expands explosively through aliases, or
    whose root is not a mapping. ``<<`` merge keys are applied: the returned mappings hold the
    merged keys. Repeated keys and bad merge keys are raised too, unless a ``problems`` list
    is given: they are then appended to it, so that the caller can go on and report everything
    else as well. ``display`` is the name used in messages (default: the path as given).
    """
    name = display if display is not None else str(path)
    return compose_text(read_text(path, name), name, problems)


def compose_text(text: str, name: str, problems: list[Problem] | None = None) -> MappingNode | None:
    """Like :func:`compose`, for YAML text already read; ``name`` is the file named in messages."""
    try:
        loader = _BaseLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise InventoryError([_within(text, _syntax_problem(name, exc))]) from None
    except yaml.reader.ReaderError as exc:
        raise InventoryError([_reader_problem(name, text, exc)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks every other error it raises
        first_line = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise InventoryError([Problem(Location(name, 1, 1), f"YAML syntax error: {first_line}")]) from None
    except RecursionError:  # pragma: no cover - libyaml stops at 1,000 levels before this
        raise InventoryError([Problem(Location(name, 1, 1), "the YAML nests too deeply")]) from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == NULL_TAG):
        return None
    found: list[Problem] = []
    shared, merges = _check_duplicates(name, root, found)
    if shared:  # only aliases make a node reachable twice, and only they can explode
        _check_expansion(name, root)
    if not isinstance(root, MappingNode):
        raise InventoryError([Problem(location(name, root), f"the inventory must be a mapping of keys (version, base_images, apps, ...), not {_kind(root)}")])
    if merges:
        _apply_merge_keys(name, root, found)
    if problems is None and found:
        raise InventoryError(found)
    if problems is not None:
        problems.extend(found)
    return root


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the single value {node.value!r}" if isinstance(node, ScalarNode) else "that"


def read_text(path: Path, name: str) -> str:
    """The file's text, refusing a missing, oversized or non-UTF-8 file with a located message."""
    where = Location(name, 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InventoryError([Problem(where, f"the file is {size / 1048576:.1f} MiB; inventories are limited to {MAX_BYTES // 1048576} MiB")])
        with path.open("rb") as stream:
            # Read one byte past the limit: a pipe or device reports no size but may never end.
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InventoryError([Problem(where, "no such file")]) from None
    except IsADirectoryError:
        raise InventoryError([Problem(where, "is a directory, not an inventory file")]) from None
    except PermissionError:
        raise InventoryError([Problem(where, "permission denied")]) from None
    except OSError as exc:
        raise InventoryError([Problem(where, f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise InventoryError([Problem(where, f"the file is larger than {MAX_BYTES // 1048576} MiB, the limit for an inventory")])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start].decode("utf-8")
        line, column = _line_column(before, len(before))
        raise InventoryError([Problem(Location(name, line, column), f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8")]) from None


def _line_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]``, counting lines as YAML does."""
    breaks = list(_LINE_BREAK.finditer(text, 0, index))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, index - start + 1


def _syntax_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    """One line for a YAML error: where the problem is, and what it is (with its context)."""
    mark = exc.problem_mark or exc.context_mark
    where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
    context = (exc.context or "").strip()
    problem = (exc.problem or "").strip()
    if context.startswith("expected a single document"):
        return Problem(where, "the file holds several YAML documents (a second `---`); an inventory is one document")
    if context.startswith("found duplicate anchor"):
        first = f" (first defined on line {exc.context_mark.line + 1})" if exc.context_mark else ""
        return Problem(where, f"YAML anchor defined twice{first}; give each anchor (&name) a different name")
    if problem == "found undefined alias" or context == "found undefined alias":
        return Problem(where, "YAML alias (*name) refers to no anchor (&name) defined before it")
    text = f"{context}: {problem}" if context and problem else (problem or context or "invalid YAML")
    if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        text += f" (started on line {exc.context_mark.line + 1})"
    return Problem(where, f"YAML syntax error: {text}")


def _within(text: str, problem: Problem) -> Problem:
    """``problem`` moved back inside the text: libyaml puts errors at the end of a file that
    has no final line break on the line after it."""
    lines = _LINE_BREAK.split(text)
    if problem.location.line <= len(lines):
        return problem
    last = Location(problem.location.file, len(lines), len(lines[-1]) + 1)
    return Problem(last, problem.message)


def _reader_problem(name: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character YAML refuses in the raw text (libyaml reports a byte offset, PyYAML a
    character offset: the character itself is found again in the text instead)."""
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    index = text.find(chr(character))
    if index < 0:  # pragma: no cover - the reader found it in this very text
        index = 0
    line, column = _line_column(text, index)
    return Problem(Location(name, line, column), f"the control character U+{character:04X} is not allowed in YAML text; "
                                                 "remove it (or write it as an escape in a double-quoted string)")


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_expansion(name: str, root: Node) -> None:
    """Refuse documents whose aliases expand to far more values than the text holds.

    The composed tree shares aliased nodes, so its expanded size is computed once per distinct
    node (memoised), in time proportional to the text, before anything walks it. A node that
    contains itself (``&a [*a]``) is refused too: nothing could ever walk it to the end.
    """
    sizes: dict[int, int] = {}
    in_progress = -1
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            continue
        if key in sizes:
            continue
        sizes[key] = in_progress
        stack.append((node, True))
        for child in _children(node):
            if sizes.get(id(child)) == in_progress:
                # The alias itself has no mark of its own: point at the key (or list) holding it.
                holder = next((k for k, v in node.value if v is child), node) if isinstance(node, MappingNode) else node
                raise InventoryError([Problem(location(name, holder), "recursive YAML alias: a value cannot contain itself")])
            stack.append((child, False))
    total = sizes[id(root)]
    distinct = len(sizes)
    if total > MAX_EXPANDED_NODES or total > MAX_ALIAS_GROWTH * distinct + 10_000:
        raise InventoryError([Problem(location(name, root), f"YAML aliases expand this file to {total:,} values from {distinct:,} written "
                                                            "(an alias bomb?); refusing to load it")])


def _check_duplicates(name: str, root: Node, problems: list[Problem]) -> tuple[bool, bool]:
    """Report keys repeated in one mapping (PyYAML would keep the last one silently).

    Visits each distinct node once, and tells on the way whether any node is reached twice
    (the document uses aliases) and whether it has merge keys: most inventories have neither,
    and skip the passes those need.
    """
    seen: set[int] = set()
    shared = merges = False
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared = True
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            # Keys compare as written: the inventory reads every key as a name, so `1` and "1"
            # would be the same key to it even though YAML tells them apart.
            first: dict[str, Node] = {}
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
                if key.tag == MERGE_TAG:
                    merges = True
                    continue
                if not isinstance(key, ScalarNode):
                    continue
                if key.value in first:
                    where = first[key.value].start_mark.line + 1
                    problems.append(Problem(location(name, key), f"duplicate key {key.value!r} (first defined on line {where}); "
                                                                 "YAML would keep only the last one: remove one"))
                else:
                    first[key.value] = key
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return shared, merges


def _apply_merge_keys(name: str, root: Node, problems: list[Problem]) -> None:
    """Expand every ``<<: *anchor`` (or list of anchors) into its mapping, as PyYAML does.

    A mapping's own keys win over merged ones, and an earlier source over a later one. Sources
    are expanded before the mappings that merge them (post-order), so chains of merges work.
    """
    done: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in done:
            continue
        if not children_done:
            stack.append((node, True))
            stack += [(child, False) for child in _children(node)]
            continue
        done.add(id(node))
        if isinstance(node, MappingNode) and any(k.tag == MERGE_TAG for k, _ in node.value):
            _flatten_merge(name, node, problems)


def _flatten_merge(name: str, node: MappingNode, problems: list[Problem]) -> None:
    """Apply the merge keys of one mapping whose sources are already flattened."""
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    for key, value in node.value:
        if key.tag != MERGE_TAG:
            own.append((key, value))
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, MappingNode):
                problems.append(Problem(location(name, source), "a merge key (<<) takes a mapping (e.g. `<<: *defaults`) or a list of them"))
                continue
            merged.extend(source.value)
    own_keys = {k.value for k, _ in own if isinstance(k, ScalarNode)}
    kept: dict[str, tuple[Node, Node]] = {}
    for key, value in merged:
        if isinstance(key, ScalarNode) and key.value not in own_keys and key.value not in kept:
            kept[key.value] = (key, value)
    node.value = list(kept.values()) + own
