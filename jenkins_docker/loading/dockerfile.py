"""The parent images of a Dockerfile, read the way ``docker build`` (BuildKit) reads them.

Only what decides the parents is interpreted: parser directives (``# escape=``), comments, line
continuations, heredocs (so their bodies are never mistaken for instructions), global ``ARG``
values and their substitution into ``FROM``, build stages, ``COPY --from`` and
``RUN --mount=...,from=``. Every other instruction is skipped without being checked, so this
module accepts some Dockerfiles that Docker would refuse; it never runs or writes anything.

Every stage counts, as if the whole file were built: a parent used only by a stage that a given
``--target`` would skip is still a parent.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Mapping

from jenkins_docker.errors import JenkinsDockerError

__all__ = [
    "INSTRUCTION_COPY",
    "INSTRUCTION_FROM",
    "INSTRUCTION_MOUNT",
    "DockerfileError",
    "DockerfileParent",
    "parse_parents",
    "read_parents",
]

INSTRUCTION_FROM = "FROM"
INSTRUCTION_COPY = "COPY --from"
INSTRUCTION_MOUNT = "RUN --mount from"

# The platform arguments BuildKit defines before any ARG. Their real values depend on the
# machine that builds, so they are only known here when the caller passes them as build args.
_AUTOMATIC_ARGS = frozenset({
    "BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE",
})
_SCRATCH = "scratch"
_DIRECTIVES = frozenset({"syntax", "escape", "check"})
# Go's \s (which Docker's directive pattern uses) is ASCII-only and has no \v.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
# Docker splits instruction arguments on these characters only (not on every Unicode space).
_ARG_SEPARATOR = re.compile(r"[\t\v\f\r ]+")
_ARG_WORD = re.compile(r"[^\t\v\f\r ]+")
_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*", re.ASCII)
_STAGE_INDEX = re.compile(r"[+-]?[0-9]+", re.ASCII)
_HEREDOC_WORD = re.compile(r"[0-9]*<<(-?)([^<]*)", re.ASCII)
_HEREDOC_INSTRUCTIONS = frozenset({"run", "copy", "add"})
_SPECIAL_PARAMETERS = "@*#?-$!0"


class DockerfileError(JenkinsDockerError, ValueError):
    """A Dockerfile problem that keeps its parents from being known.

    ``line`` and ``column`` are 1-based and point at the problem; ``str(error)`` is the reason.
    ``path`` is the file's path when the error came from :func:`read_parents`, else None.
    """

    def __init__(self, message: str, line: int, column: int, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.path = path

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[DockerfileError], tuple[str, int, int, str | None]]:
        # Keep line, column and path when the error crosses a process boundary (pickle).
        return type(self), (self.message, self.line, self.column, self.path)


@dataclass(frozen=True)
class DockerfileParent:
    """An external image a Dockerfile builds from, and where the Dockerfile names it."""

    image: str          # the reference text after ARG substitution, not normalised
    line: int           # 1-based line of the instruction
    column: int         # 1-based column where the image text starts
    instruction: str    # INSTRUCTION_FROM, INSTRUCTION_COPY or INSTRUCTION_MOUNT


def parse_parents(text: str, build_args: Mapping[str, str] | None = None) -> list[DockerfileParent]:
    """The external images a Dockerfile builds from, in file order, each once (first kept).

    ``build_args`` are ``docker build --build-arg`` values: they override the defaults of global
    ``ARG`` lines (those before the first ``FROM``), and give a value to an ``ARG`` that has no
    default. Stages referred to by name or index, and ``scratch``, are not parents.
    Raises :class:`DockerfileError` (with line and column) when the parents can't be known.
    """
    instructions = _read_instructions(text)
    froms = [ins for ins in instructions if ins.keyword == "from"]
    if not froms:
        raise DockerfileError("no FROM instruction: a Dockerfile must start a build stage with FROM", 1, 1)
    stages = [_parse_from(ins) for ins in froms]
    # COPY --from finds a stage by name anywhere in the file, as BuildKit does (a later stage is
    # a Docker error when built, but never an image to pull).
    all_names = {stage.name for stage in stages if stage.name is not None}

    env = _global_args(instructions, dict(build_args or {}))
    found: list[DockerfileParent] = []
    earlier: set[str] = set()
    stage_number = 0
    for ins in instructions:
        if ins.keyword == "from":
            stage = stages[stage_number]
            stage_number += 1
            image = _expand_word(stage.image, stage.image_at, ins, env)
            if image == "":
                line, column = ins.at(stage.image_at)
                raise DockerfileError(
                    f"FROM image {stage.image!r} is empty after ARG substitution", line, column)
            # FROM matches a stage by its exact (lowercased) name, and only a stage above it.
            if image not in earlier and image != _SCRATCH:
                found.append(_parent(image, ins, stage.image_at, INSTRUCTION_FROM))
            if stage.name is not None:
                earlier.add(stage.name)
        elif ins.keyword == "copy":
            found.extend(_copy_parents(ins, all_names, len(stages)))
        elif ins.keyword == "run":
            found.extend(_mount_parents(ins, all_names))
    unique: dict[str, DockerfileParent] = {}
    for parent in found:
        unique.setdefault(parent.image, parent)
    return list(unique.values())


def read_parents(path: str | os.PathLike[str],
                 build_args: Mapping[str, str] | None = None, *, max_bytes: int | None = None) -> list[DockerfileParent]:
    """:func:`parse_parents` of the Dockerfile at ``path``, read as UTF-8.

    A file that is not UTF-8 raises :class:`DockerfileError` ("not UTF-8 text") at the first
    bad byte; a file that can't be read raises ``OSError``; one longer than ``max_bytes`` (read
    no further) raises :class:`DockerfileError`. Errors carry ``path``.
    """
    shown = os.fspath(path)
    with open(path, "rb") as handle:
        data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise DockerfileError(f"longer than {max_bytes} bytes, the most a Dockerfile may have", 1, 1, shown)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[:exc.start]
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        raise DockerfileError("not UTF-8 text", before.count(b"\n") + 1, column, shown) from None
    try:
        return parse_parents(text, build_args)
    except DockerfileError as exc:
        exc.path = shown
        raise


# -- reading lines ----------------------------------------------------------------------------


@dataclass
class _Instruction:
    """One logical line (continuations joined) with the source position of every character."""

    text: str
    where: list[tuple[int, int]]
    escape: str              # the escape (and line continuation) character of the file
    keyword: str = ""        # lowercased instruction name
    keyword_at: int = 0
    args_at: int = 0         # where the arguments (flags included) start
    end: int = 0             # the arguments end here (trailing whitespace excluded)

    def at(self, index: int) -> tuple[int, int]:
        """The (line, column) of ``text[index]``; past the end, just after the last character."""
        if index < len(self.where):
            return self.where[index]
        line, column = self.where[-1]
        return line, column + 1

    def error(self, message: str, index: int) -> DockerfileError:
        """A DockerfileError located at ``text[index]``."""
        line, column = self.at(index)
        return DockerfileError(message, line, column)

    def flags(self, start: int | None = None) -> tuple[list[_Flag], int]:
        """The leading ``--flag`` words of the arguments (or from ``start``) and where the rest starts."""
        return _extract_flags(self.text, self.args_at if start is None else start, self.end, self.escape)


@dataclass
class _Directives:
    """Parser directives: only in the leading comment lines, each at most once."""

    escape: str = "\\"
    done: bool = False
    seen: set[str] = field(default_factory=set)

    def feed(self, stripped: str, line: int) -> None:
        """Consider a left-stripped physical line; the first non-directive ends the directives."""
        if self.done:
            return
        match = _DIRECTIVE.fullmatch(stripped[1:].lstrip()) if stripped.startswith("#") else None
        key = match.group(1).lower() if match else ""
        if key not in _DIRECTIVES:
            self.done = True
            return
        if key in self.seen:
            raise DockerfileError(f"only one {key} parser directive can be used", line, 1)
        self.seen.add(key)
        if key == "escape":
            value = match.group(2) if match else ""
            if value not in ("\\", "`"):
                raise DockerfileError(f"invalid escape token {value!r}: use ` or \\", line, 1)
            self.escape = value


def _physical_lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _continuation_cut(line: str, escape: str) -> int | None:
    """Where ``line`` ends if it continues on the next line (escape char last), else None."""
    body = line.rstrip(" \t")
    if not body.endswith(escape):
        return None
    cut = len(body) - 1
    # An escaped escape char ("\\") at the end is a literal, not a continuation.
    if cut > 0 and body[cut - 1] == escape:
        return None
    return cut


def _read_instructions(text: str) -> list[_Instruction]:
    """Split a Dockerfile into instructions the way Docker's parser does."""
    lines = _physical_lines(text)
    directives = _Directives()
    out: list[_Instruction] = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        stripped = raw.lstrip()
        directives.feed(stripped, i)
        if stripped.startswith("#"):
            continue
        chars: list[str] = []
        where: list[tuple[int, int]] = []
        lead = len(raw) - len(stripped)
        cut = _continuation_cut(stripped, directives.escape)
        if cut is None:
            if stripped == "":
                continue
            _append(chars, where, stripped, i, lead)
        else:
            _append(chars, where, stripped[:cut], i, lead)
            while i < len(lines):
                raw = lines[i]
                i += 1
                body = raw.lstrip()
                # Docker drops comment lines and blank lines inside a continuation.
                if body.startswith("#") or body == "":
                    continue
                cut = _continuation_cut(raw, directives.escape)
                if cut is None:
                    _append(chars, where, raw, i, 0)
                    break
                _append(chars, where, raw[:cut], i, 0)
        ins = _Instruction("".join(chars), where, directives.escape)
        if not _split_keyword(ins):
            continue
        out.append(ins)
        if "<<" in ins.text and _may_have_heredoc(ins):
            i = _skip_heredocs(ins, lines, i)
    return out


def _append(chars: list[str], where: list[tuple[int, int]], piece: str, line: int, offset: int) -> None:
    """Add a piece of a physical line (starting at 0-based ``offset``) to a logical line."""
    chars.append(piece)
    where.extend((line, offset + k + 1) for k in range(len(piece)))


def _split_keyword(ins: _Instruction) -> bool:
    """Fill in the keyword and argument span; False when the line is only whitespace."""
    text = ins.text
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    if start >= end:
        return False
    ins.keyword, ins.args_at = _keyword(text, start, end)
    ins.keyword_at = start
    ins.end = end
    return True


def _keyword(text: str, start: int, end: int) -> tuple[str, int]:
    """The lowercased instruction name starting at ``start``, and where its arguments start."""
    gap = _ARG_SEPARATOR.search(text, start, end)
    return text[start:gap.start() if gap else end].lower(), gap.end() if gap else end


def _may_have_heredoc(ins: _Instruction) -> bool:
    """Whether Docker would look for heredocs in this instruction (RUN/COPY/ADD, not JSON form)."""
    keyword, start = ins.keyword, ins.args_at
    if keyword == "onbuild":
        # ONBUILD RUN <<EOF ...: the heredoc belongs to the wrapped instruction.
        keyword, start = _keyword(ins.text, ins.flags()[1], ins.end)
    if keyword not in _HEREDOC_INSTRUCTIONS:
        return False
    _, rest = ins.flags(start)
    return not _is_json_array(ins.text[rest:ins.end])


def _is_json_array(text: str) -> bool:
    if not text.lstrip().startswith("["):
        return False
    import json  # only for an instruction in exec form (a JSON array)

    try:
        return isinstance(json.loads(text), list)
    except (ValueError, RecursionError):
        return False


def _skip_heredocs(ins: _Instruction, lines: list[str], i: int) -> int:
    """Consume the bodies of the instruction's heredocs; return the index of the next line."""
    for name, chomp in _heredoc_names(ins.text):
        while True:
            if i >= len(lines):
                raise ins.error(f"unterminated heredoc: no line {name!r} ends <<{name}", ins.keyword_at)
            candidate = lines[i].lstrip("\t") if chomp else lines[i]
            i += 1
            if candidate == name:
                break
    return i


def _heredoc_names(text: str) -> list[tuple[str, bool]]:
    """The (terminator, strip-tabs) of each ``<<WORD`` / ``<<-WORD`` heredoc the line opens."""
    names = []
    for word in _shell_words(text, keep_quotes=True):
        match = _HEREDOC_WORD.fullmatch(word)
        if not match or not match.group(2):
            continue
        terminator = _shell_words(match.group(2), keep_quotes=False)
        if len(terminator) == 1:
            names.append((terminator[0], match.group(1) == "-"))
    return names


def _shell_words(text: str, *, keep_quotes: bool) -> list[str]:
    """Split on blanks outside quotes, as a shell would; ``<< EOF`` stays one word.

    ``keep_quotes`` keeps quotes and backslash escapes in the words (to find the heredoc
    operators of a line); without it they are removed (to read a heredoc's terminator), and,
    as in Docker, a word that was only quotes (``''``) is no word at all.
    """
    words: list[str] = []
    word: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        if quote:
            if ch == quote:
                quote = ""
                if keep_quotes:
                    word.append(ch)
            elif ch == "\\" and quote == '"' and i < len(text) and text[i] in '"$\\':
                # Inside double quotes a backslash only escapes ", $ and itself.
                if keep_quotes:
                    word.append(ch)
                word.append(text[i])
                i += 1
            else:
                word.append(ch)
        elif ch in "'\"":
            quote = ch
            if keep_quotes:
                word.append(ch)
        elif ch == "\\":
            if keep_quotes:
                word.append(ch)
            if i < len(text):
                word.append(text[i])
                i += 1
        elif ch == "<" and text.startswith("<", i):
            # Docker's lexer glues the blanks after "<<" to the word, so "<< EOF" is a heredoc.
            word.append("<<")
            i += 1
            while i < len(text) and text[i] in " \t\r":
                word.append(text[i])
                i += 1
        elif ch.isspace():
            if word:
                words.append("".join(word))
                word = []
        else:
            word.append(ch)
    if word:
        words.append("".join(word))
    return words


# -- flags and words --------------------------------------------------------------------------


@dataclass
class _Flag:
    """A ``--name=value`` flag, with the source index of each character of its text."""

    text: str
    sources: list[int]
    start: int

    @property
    def name(self) -> str:
        return self.text[2:].partition("=")[0] if self.text.startswith("--") else ""

    @property
    def has_value(self) -> bool:
        return "=" in self.text

    @property
    def value(self) -> str:
        return self.text.partition("=")[2]

    @property
    def value_at(self) -> int:
        """Source index of the value's first character (or of the flag when it has none)."""
        index = self.text.find("=") + 1
        if 0 < index < len(self.sources):
            return self.sources[index]
        return self.start


def _extract_flags(text: str, pos: int, end: int, escape: str) -> tuple[list[_Flag], int]:
    """Docker's leading ``--flag`` words (quotes and escapes removed) and where the rest starts."""
    flags: list[_Flag] = []
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end or not text.startswith("--", pos) or pos + 1 >= end:
            return flags, pos
        start = pos
        chars: list[str] = []
        sources: list[int] = []
        quote = ""
        quoted = False
        while pos < end:
            ch = text[pos]
            if not quote and ch.isspace():
                break
            if not quote and ch in "'\"":
                quote, quoted = ch, True
                pos += 1
                continue
            if quote and ch == quote:
                quote = ""
                pos += 1
                continue
            if ch == escape:
                if pos + 1 >= end:
                    quote = ""
                    pos += 1
                    continue
                pos += 1
                ch = text[pos]
            chars.append(ch)
            sources.append(pos)
            pos += 1
        word = "".join(chars)
        if word == "--":
            # "--" ends the flags: what follows is arguments even if it starts with "--".
            return flags, pos
        if word or quoted:
            flags.append(_Flag(word, sources, start))


def _raw_words(text: str, pos: int, end: int, escape: str) -> list[tuple[str, int]]:
    """Docker's ARG word split: on blanks outside quotes, keeping quotes and escapes."""
    words: list[tuple[str, int]] = []
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        start = pos
        chars: list[str] = []
        quote = ""
        while pos < end:
            ch = text[pos]
            if not quote and ch.isspace():
                break
            if not quote and ch in "'\"":
                quote = ch
            elif quote and ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if pos + 1 >= end:
                    pos += 1
                    continue
                chars.append(ch)
                pos += 1
                ch = text[pos]
            chars.append(ch)
            pos += 1
        words.append(("".join(chars), start))
    return words


# -- variable substitution --------------------------------------------------------------------


class _ExpandError(Exception):
    """A substitution that Docker refuses; the message is the reason."""


class _Expander:
    """Docker's word expansion: quotes, escapes and ``$VAR`` / ``${VAR<modifier>}``."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.pos = 0

    def expand(self) -> str:
        return self._until("", raw=False)

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _until(self, stop: str, raw: bool) -> str:
        """Expand up to (and past) ``stop``, or to the end when stop is ""; ``raw`` keeps escapes."""
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if stop and ch == stop:
                self.pos += 1
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
            elif ch == "'":
                out.append(self._single_quoted())
            elif ch == '"':
                out.append(self._double_quoted(raw))
            elif ch == self.escape:
                self.pos += 1
                if raw:
                    out.append(ch)
                if self.pos >= len(self.text):
                    break
                out.append(self.text[self.pos])
                self.pos += 1
            else:
                out.append(ch)
                self.pos += 1
        if stop:
            raise _ExpandError(f"missing {stop!r}")
        return "".join(out)

    def _single_quoted(self) -> str:
        close = self.text.find("'", self.pos + 1)
        if close < 0:
            raise _ExpandError("unterminated single quote")
        content = self.text[self.pos + 1:close]
        self.pos = close + 1
        return content

    def _double_quoted(self, raw: bool) -> str:
        self.pos += 1
        out: list[str] = []
        while True:
            ch = self._peek()
            if ch == "":
                raise _ExpandError("unterminated double quote")
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            self.pos += 1
            if ch == self.escape:
                if raw:
                    out.append(ch)
                following = self._peek()
                # Inside double quotes the escape char only escapes ", $ and itself.
                if following in ('"', "$", self.escape):
                    ch = following
                    self.pos += 1
                elif following == "":
                    continue
            out.append(ch)

    def _name(self) -> str:
        start = self.pos
        ch = self._peek()
        if ch == "":
            return ""
        if ch.isdecimal():
            while self._peek().isdecimal():
                self.pos += 1
            return self.text[start:self.pos]
        if ch in _SPECIAL_PARAMETERS:
            self.pos += 1
            return ch
        while True:
            ch = self._peek()
            if not (ch.isalpha() or ch.isdecimal() or ch == "_"):
                break
            self.pos += 1
        return self.text[start:self.pos]

    def _dollar(self) -> str:
        self.pos += 1
        if self._peek() != "{":
            name = self._name()
            return self.env.get(name, "") if name else "$"
        self.pos += 1
        if self._peek() == "":
            raise _ExpandError("missing '}'")
        if self._peek() in "{}:":
            raise _ExpandError("bad substitution")
        name = self._name()
        ch = self._peek()
        if ch == "":
            raise _ExpandError("missing '}'")
        self.pos += 1
        if ch == "}":
            return self.env.get(name, "")
        is_set = name in self.env
        value = self.env.get(name, "")
        modifier = ch
        empty_is_unset = False
        if ch == ":":
            # "${VAR:-x}" treats an empty VAR like an unset one; "${VAR-x}" does not.
            empty_is_unset = True
            ch = self._peek()
            if ch == "":
                raise _ExpandError("missing '}'")
            self.pos += 1
            modifier += ch
            if ch not in "+-?":
                raise _ExpandError(f"unsupported modifier ({modifier}) in substitution")
        if ch in "+-?#%":
            word = self._until("}", raw=ch in "#%")
            missing = not is_set or (empty_is_unset and value == "")
            if ch == "-":
                return word if missing else value
            if ch == "+":
                return "" if missing else word
            if ch == "?":
                if not is_set:
                    raise _ExpandError(f"{name}: {word or 'is not allowed to be unset'}")
                if missing:
                    raise _ExpandError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            # "#" trims a prefix and "%" a suffix; doubled ("##", "%%") the longest match.
            greedy = word.startswith(ch)
            pattern = word[1:] if greedy else word
            if ch == "#":
                return _trim_prefix(pattern, value, greedy)
            return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]
        if ch == "/":
            replace_all = self._peek() == "/"
            if replace_all:
                self.pos += 1
            pattern = self._until("/", raw=True)
            replacement = self._until("}", raw=True)
            regex = _shell_pattern(pattern, greedy=True)
            if replace_all:
                return regex.sub(lambda _: replacement, value)
            match = regex.search(value)
            if match is None:
                return value
            return value[:match.start()] + replacement + value[match.end():]
        raise _ExpandError(f"unsupported modifier ({modifier}) in substitution")


def _shell_pattern(pattern: str, greedy: bool) -> re.Pattern[str]:
    """A shell wildcard (``*``, ``?``, backslash escapes) as a regular expression."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(".*" if greedy else ".*?")
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i < len(pattern) and pattern[i] in "}/":
                continue
            if i >= len(pattern) or pattern[i] not in "*?\\":
                raise _ExpandError(f"invalid escape in pattern {pattern!r}")
            out.append(re.escape(pattern[i]))
            i += 1
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    match = _shell_pattern(pattern, greedy).match(value)
    return value[match.end():] if match else value


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern keeping each backslash escape in front of the character it escapes."""
    tokens: list[str] = []
    i = 0
    while i < len(pattern):
        step = 2 if pattern[i] == "\\" and i + 1 < len(pattern) else 1
        tokens.append(pattern[i:i + step])
        i += step
    return "".join(reversed(tokens))


def _expand(text: str, env: Mapping[str, str], escape: str) -> str:
    try:
        return _Expander(text, env, escape).expand()
    except RecursionError:
        raise _ExpandError("substitutions are nested too deeply") from None


def _expand_word(word: str, index: int, ins: _Instruction, env: Mapping[str, str]) -> str:
    try:
        return _expand(word, env, ins.escape)
    except _ExpandError as exc:
        raise ins.error(f"cannot substitute variables in {word!r}: {exc}", index) from None


# -- instructions -----------------------------------------------------------------------------


@dataclass
class _Stage:
    image: str          # the image word as written (before substitution)
    image_at: int
    name: str | None    # lowercased stage name


def _parse_from(ins: _Instruction) -> _Stage:
    """``FROM [--flags] image [AS name]``: the flags (such as --platform) don't name parents."""
    _, rest = ins.flags()
    words = [(m.group(), m.start()) for m in _ARG_WORD.finditer(ins.text, rest, ins.end)]
    if not words:
        raise ins.error("FROM has no image", ins.keyword_at)
    if len(words) == 3 and words[1][0].casefold() == "as":
        name = words[2][0].lower()
        if not _STAGE_NAME.fullmatch(name):
            raise ins.error(
                f"invalid stage name {words[2][0]!r}: it must start with a letter and use only "
                "letters, digits, '-', '_' and '.'", words[2][1])
        return _Stage(words[0][0], words[0][1], name)
    if len(words) != 1:
        raise ins.error(
            "FROM takes an image and optionally 'AS <name>', got: "
            + " ".join(word for word, _ in words), words[1][1])
    return _Stage(words[0][0], words[0][1], None)


def _global_args(instructions: list[_Instruction], build_args: dict[str, str]) -> dict[str, str]:
    """The values global ARGs (those before the first FROM) give to FROM lines."""
    env = {key: value for key, value in build_args.items() if key in _AUTOMATIC_ARGS}
    for ins in instructions:
        if ins.keyword == "from":
            break
        if ins.keyword != "arg":
            continue
        _, rest = ins.flags()
        for word, at in _raw_words(ins.text, rest, ins.end, ins.escape):
            key, has_default, default = word.partition("=")
            if key in build_args:
                env[key] = build_args[key]
            elif has_default:
                # A default may use the ARGs declared above it.
                env[key] = _expand_word(default, at + len(key) + 1, ins, env)
    return env


def _stage_or_image(ref: str, stage_names: set[str]) -> bool:
    """True when ``ref`` (a --from value) names an image rather than a stage or scratch."""
    return ref != "" and ref != _SCRATCH and ref.lower() not in stage_names


def _copy_parents(ins: _Instruction, stage_names: set[str], stage_count: int) -> list[DockerfileParent]:
    flags, _ = ins.flags()
    source: _Flag | None = None
    for flag in flags:
        if flag.name != "from":
            continue
        if source is not None:
            raise ins.error("duplicate flag specified: --from", flag.start)
        if not flag.has_value:
            raise ins.error("missing a value on flag: --from", flag.start)
        source = flag
    if source is None:
        return []
    ref = source.value
    try:
        literal = _expand(ref, {}, ins.escape) == ref
    except _ExpandError:
        literal = False
    if not literal:
        raise ins.error(
            f"variable expansion is not supported for --from ({ref!r}): define a stage with "
            "FROM using a global ARG, and copy from that stage", source.value_at)
    if _STAGE_INDEX.fullmatch(ref):
        index = int(ref)
        if not 0 <= index < stage_count:
            raise ins.error(
                f"invalid stage index {ref}: this Dockerfile has stages 0 to {stage_count - 1}",
                source.value_at)
        return []
    if not _stage_or_image(ref, stage_names):
        return []
    return [_parent(ref, ins, source.value_at, INSTRUCTION_COPY)]


def _mount_parents(ins: _Instruction, stage_names: set[str]) -> list[DockerfileParent]:
    flags, _ = ins.flags()
    out = []
    for flag in flags:
        if flag.name != "mount" or not flag.has_value:
            continue
        try:
            fields = _csv_fields(flag.value)
        except ValueError as exc:
            raise ins.error(f"invalid --mount: {exc}", flag.start) from None
        for item in fields:
            key, has_value, value = item.partition("=")
            if not has_value or key.lower() != "from":
                continue
            dollar = value.find("$")
            if dollar != -1 and dollar != len(value) - 1:
                raise ins.error(
                    f"--mount from={value!r}: variable expansion is not supported, "
                    "define an alias stage instead", flag.start)
            if _stage_or_image(value, stage_names):
                out.append(_parent(value, ins, _mount_value_at(ins, flag, value), INSTRUCTION_MOUNT))
    return out


def _mount_value_at(ins: _Instruction, flag: _Flag, value: str) -> int:
    """Best-effort source index of a mount's ``from=`` value: the flag start if not found."""
    if not flag.sources:
        return flag.start
    span = ins.text[flag.start:flag.sources[-1] + 1]
    found = re.search(r"(?i)from=" + re.escape(value), span)
    return flag.start + found.start() + len("from=") if found else flag.start


def _csv_fields(text: str) -> list[str]:
    """One CSV record (comma-separated, double quotes with "" inside), as --mount is written."""
    fields: list[str] = []
    i = 0
    while True:
        if text.startswith('"', i):
            chars: list[str] = []
            i += 1
            while True:
                close = text.find('"', i)
                if close < 0:
                    raise ValueError("unterminated quoted field")
                chars.append(text[i:close])
                i = close + 1
                if text.startswith('"', i):
                    chars.append('"')
                    i += 1
                    continue
                break
            field_text = "".join(chars)
            comma = text.find(",", i)
            end = len(text) if comma < 0 else comma
            field_text += text[i:end]
        else:
            comma = text.find(",", i)
            end = len(text) if comma < 0 else comma
            field_text = text[i:end]
        fields.append(field_text)
        if end >= len(text):
            return fields
        i = end + 1


def _parent(image: str, ins: _Instruction, index: int, instruction: str) -> DockerfileParent:
    line, column = ins.at(index)
    return DockerfileParent(image=image, line=line, column=column, instruction=instruction)
