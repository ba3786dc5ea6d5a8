"""The parent images of a Dockerfile, as BuildKit would resolve them."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.dockerfile import (
    INSTRUCTION_COPY,
    INSTRUCTION_FROM,
    INSTRUCTION_MOUNT,
    DockerfileError,
    DockerfileParent,
    parse_parents,
    read_parents,
)


def images(text: str, build_args: dict[str, str] | None = None) -> list[str]:
    return [parent.image for parent in parse_parents(text, build_args)]


def error_of(text: str, build_args: dict[str, str] | None = None) -> DockerfileError:
    with pytest.raises(DockerfileError) as caught:
        parse_parents(text, build_args)
    return caught.value


# -- FROM and stages --------------------------------------------------------------------------


def test_single_from_is_the_parent_with_its_line_and_column() -> None:
    assert parse_parents("# a comment\n\nFROM   iiiepe/nginx:1.2\nRUN make\n") == [
        DockerfileParent(image="iiiepe/nginx:1.2", line=3, column=8, instruction=INSTRUCTION_FROM),
    ]


@pytest.mark.parametrize("keyword", ["FROM", "from", "From", "fRoM"])
def test_instructions_are_case_insensitive(keyword: str) -> None:
    assert images(f"{keyword} debian:bookworm\n") == ["debian:bookworm"]


def test_multi_stage_build_lists_each_external_image_in_order() -> None:
    text = (
        "FROM golang:1.22 AS build\n"
        "RUN go build\n"
        "FROM node:20 AS assets\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from=build /app /app\n"
        "COPY --from=assets /dist /dist\n"
    )
    assert images(text) == ["golang:1.22", "node:20", "debian:bookworm-slim"]


def test_from_an_earlier_stage_is_not_a_parent() -> None:
    text = "FROM debian AS base\nFROM base AS build\nFROM build\n"
    assert parse_parents(text) == [DockerfileParent("debian", 1, 6, INSTRUCTION_FROM)]


@pytest.mark.parametrize("keyword", ["AS", "as", "As"])
def test_as_keyword_is_case_insensitive_and_stage_names_are_lowercased(keyword: str) -> None:
    assert images(f"FROM debian {keyword} Base\nFROM base\n") == ["debian"]


def test_from_matches_a_stage_name_exactly_like_buildkit() -> None:
    # BuildKit lowercases stage names but compares FROM's image text as written; "Base" is an
    # (invalid) image there, and reference validation reports it.
    assert images("FROM debian AS base\nFROM Base\n") == ["debian", "Base"]


def test_from_a_stage_defined_later_is_an_image() -> None:
    assert images("FROM app\nFROM debian AS app\n") == ["app", "debian"]


def test_a_stage_named_like_its_own_image_still_pulls_that_image() -> None:
    assert images("FROM node AS node\nFROM node\n") == ["node"]


def test_duplicates_are_listed_once_at_their_first_occurrence() -> None:
    parents = parse_parents("FROM debian AS a\nFROM alpine\nFROM debian AS b\nCOPY --from=alpine / /\n")
    assert [(p.image, p.line) for p in parents] == [("debian", 1), ("alpine", 2)]


def test_scratch_is_not_a_parent() -> None:
    assert images("FROM scratch\nCOPY app /\n") == []
    assert images("FROM golang AS build\nFROM scratch\nCOPY --from=build /app /\n") == ["golang"]


@pytest.mark.parametrize("line", [
    "FROM --platform=linux/amd64 debian",
    "FROM --platform=$BUILDPLATFORM debian",
    "FROM --platform=${TARGETPLATFORM:-linux/arm64} debian AS x",
    "FROM   --platform=linux/arm64   --unknown-flag   debian",
    "FROM --platform='linux/arm64' debian",
    "FROM -- debian",
])
def test_from_flags_are_ignored(line: str) -> None:
    assert images(line + "\n") == ["debian"]


def test_column_of_the_image_skips_indentation_and_flags() -> None:
    (parent,) = parse_parents("  FROM --platform=linux/amd64 debian AS x\n")
    assert (parent.line, parent.column) == (1, 31)


def test_unknown_instructions_and_others_are_ignored() -> None:
    text = "FOO bar\nFROM debian\nBOGUS --from=alpine\nADD --from=alpine a b\nONBUILD COPY --from=node / /\n"
    assert images(text) == ["debian"]


def test_crlf_line_endings_and_a_byte_order_mark_are_accepted() -> None:
    parents = parse_parents("\ufeffARG V=12\r\nFROM debian:$V\r\nRUN x \\\r\n  y\r\nFROM alpine\r\n")
    assert [(p.image, p.line, p.column) for p in parents] == [("debian:12", 2, 6), ("alpine", 5, 6)]


# -- ARG and substitution ---------------------------------------------------------------------


@pytest.mark.parametrize(("args", "from_line", "expected"), [
    ("ARG V=12", "debian:$V", "debian:12"),
    ("ARG V=12", "debian:${V}", "debian:12"),
    ("arg V=12", "debian:${V}", "debian:12"),
    ("ARG A=acme B=nginx", "$A/$B", "acme/nginx"),
    ("ARG A=acme\nARG B=$A/nginx", "${B}:1", "acme/nginx:1"),
    ('ARG V="12-slim"', "debian:$V", "debian:12-slim"),
    ("ARG V='12-slim'", "debian:$V", "debian:12-slim"),
    ('ARG A="x" B=y', "$A$B", "xy"),
    ("ARG REGISTRY=registry.example.org:5000", "$REGISTRY/x/y", "registry.example.org:5000/x/y"),
    ("ARG V", "debian:${V:-12}", "debian:12"),
    ("ARG V=", "debian:${V:-12}", "debian:12"),
    ("ARG V=", "debian:${V-12}x", "debian:x"),
    ("ARG V", "debian:${V-12}", "debian:12"),
    ("ARG V=11", "debian:${V:-12}", "debian:11"),
    ("ARG V=on", "debian${V:+:12}", "debian:12"),
    ("ARG V=", "debian${V:+:12}", "debian"),
    ("ARG V=", "debian${V+:12}", "debian:12"),
    ("ARG V", "debian${V+:12}", "debian"),
    ("ARG V=bookworm-20240101", "debian:${V%-*}", "debian:bookworm"),
    ("ARG V=a-b-c", "x:${V%%-*}", "x:a"),
    ("ARG V=a-b-c", "x:${V#*-}", "x:b-c"),
    ("ARG V=a-b-c", "x:${V##*-}", "x:c"),
    ("ARG V=a.b.c", "x:${V/./-}", "x:a-b.c"),
    ("ARG V=a.b.c", "x:${V//./-}", "x:a-b-c"),
    ("ARG V=12", "debian:${V:?need-V}", "debian:12"),
    ("", "debian:${UNDECLARED:-12}", "debian:12"),
    ("", "debian:$UNDECLARED", "debian:"),
    ("", "debian:12$", "debian:12$"),
    ("", '"debian:12"', "debian:12"),
    ("", "debian:'$V'", "debian:$V"),
    ("", "debian:\\$V", "debian:$V"),
])
def test_global_args_are_substituted_into_from(args: str, from_line: str, expected: str) -> None:
    assert images(f"{args}\nFROM {from_line}\n") == [expected]


@pytest.mark.parametrize(("args", "build_args", "expected"), [
    ("ARG V=12", {"V": "13"}, "debian:13"),
    ("ARG V", {"V": "13"}, "debian:13"),
    ("ARG V", {}, "debian:"),
    ("ARG V=12", {"V": ""}, "debian:"),
    ("ARG V=12", {"OTHER": "13"}, "debian:12"),
    ("ARG V=$W", {"W": "13"}, "debian:"),  # W is not declared, so the build arg is not visible
    ("ARG W\nARG V=$W", {"W": "13"}, "debian:13"),
    ("ARG V=12", {"V": "${X}"}, "debian:${X}"),  # build args are values, not re-expanded
])
def test_build_args_override_defaults_and_only_reach_declared_args(
        args: str, build_args: dict[str, str], expected: str) -> None:
    assert images(f"{args}\nFROM debian:$V\n", build_args) == [expected]


def test_undeclared_build_arg_does_not_reach_from() -> None:
    assert images("FROM debian:${V:-12}\n", {"V": "13"}) == ["debian:12"]


def test_automatic_platform_args_come_from_build_args_without_arg_lines() -> None:
    assert images("FROM golang:1.22-${TARGETARCH:-amd64}\n") == ["golang:1.22-amd64"]
    assert images("FROM golang:1.22-${TARGETARCH:-amd64}\n", {"TARGETARCH": "arm64"}) == ["golang:1.22-arm64"]


def test_args_after_the_first_from_do_not_change_later_froms() -> None:
    text = "ARG V=12\nFROM debian:$V\nARG V=13\nFROM alpine:$V\n"
    assert images(text) == ["debian:12", "alpine:12"]


def test_arg_substituted_stage_name_resolves_to_the_stage() -> None:
    text = "ARG BASE=build\nFROM golang AS build\nFROM $BASE\n"
    assert images(text) == ["golang"]
    assert images(text, {"BASE": "alpine"}) == ["golang", "alpine"]


# -- directives, comments, continuations ------------------------------------------------------


def test_escape_directive_makes_backtick_the_line_continuation() -> None:
    text = "# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir C:\\\nFROM alpine\n"
    parents = parse_parents(text)
    assert [(p.image, p.line, p.column) for p in parents] == [
        ("mcr.microsoft.com/windows/servercore:ltsc2022", 3, 3), ("alpine", 5, 6)]


@pytest.mark.parametrize("directive", ["# escape=`", "#escape=`", "#  ESCAPE = `  ", "# syntax=docker/dockerfile:1\n# escape=`"])
def test_escape_directive_spellings_are_recognised(directive: str) -> None:
    assert images(f"{directive}\nFROM `\n  debian\n") == ["debian"]


@pytest.mark.parametrize("prefix", ["FROM alpine AS a\n", "# a comment\n", "\n", "# unknown=x\n"])
def test_directive_after_an_instruction_comment_or_blank_line_is_only_a_comment(prefix: str) -> None:
    # The backslash stays the continuation character, so the next line joins the FROM.
    text = f"{prefix}# escape=`\nFROM debian `\nRUN x\n"
    assert error_of(text).message.startswith("FROM takes an image")


def test_continuation_lines_are_joined_and_the_image_keeps_its_own_line() -> None:
    text = "FROM \\\n    --platform=linux/amd64 \\\n    debian:bookworm \\\n    AS base\n"
    assert [(p.image, p.line, p.column) for p in parse_parents(text)] == [("debian:bookworm", 3, 5)]


def test_comments_and_blank_lines_inside_a_continuation_are_skipped() -> None:
    text = "FROM \\\n# the base image:\n\n   # indented comment\ndebian \\\n\nAS base\nFROM base\n"
    assert parse_parents(text) == [DockerfileParent("debian", 5, 1, INSTRUCTION_FROM)]


def test_escaped_escape_char_at_end_of_line_is_not_a_continuation() -> None:
    assert images("FROM alpine\nRUN echo \\\\\nFROM debian\n") == ["alpine", "debian"]


def test_continuation_at_end_of_file_still_counts() -> None:
    assert images("FROM debian \\") == ["debian"]


def test_comment_lines_are_ignored_even_when_they_look_like_instructions() -> None:
    assert images("  # FROM evil\nFROM debian\n#FROM evil2\n") == ["debian"]


# -- heredocs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("heredoc", [
    "RUN <<EOF\nFROM evil\nEOF\n",
    "RUN <<-EOF\n\tFROM evil\n\tEOF\n",
    'RUN <<"EOF"\nFROM evil\nEOF\n',
    "RUN << EOF\nFROM evil\nEOF\n",
    "COPY <<EOF /etc/x\nFROM evil\nEOF\n",
    "RUN --mount=type=cache,target=/c <<A <<B\nFROM evil\nA\nFROM evil2\nB\n",
    "RUN cat <<EOF \\\n  && true\nFROM evil\nEOF\n",
    "ONBUILD RUN <<EOF\nFROM evil\nEOF\n",
])
def test_heredoc_bodies_are_not_read_as_instructions(heredoc: str) -> None:
    assert images(f"FROM debian\n{heredoc}FROM alpine\n") == ["debian", "alpine"]


@pytest.mark.parametrize("line", [
    'RUN ["sh", "-c", "cat <<EOF"]',
    "RUN cat <<<EOF",
    "ENV X=<<EOF",
    "RUN echo '<<EOF'",
])
def test_no_heredoc_where_docker_sees_none(line: str) -> None:
    assert images(f"FROM debian\n{line}\nFROM alpine\nEOF\n") == ["debian", "alpine"]


def test_unterminated_heredoc_is_an_error_at_its_instruction() -> None:
    err = error_of("FROM debian\n  RUN <<EOF\necho\n")
    assert (err.line, err.column) == (2, 3)
    assert "unterminated heredoc" in err.message


# -- COPY --from and RUN --mount --------------------------------------------------------------


def test_copy_from_an_image_is_a_parent_with_its_position() -> None:
    parents = parse_parents("FROM debian\nCOPY --chown=1:1 --from=nginx:1.25 /etc/nginx /etc/nginx\n")
    assert parents[1] == DockerfileParent("nginx:1.25", 2, 25, INSTRUCTION_COPY)


@pytest.mark.parametrize("source", ["build", "BUILD", "0", "1", "scratch", "later", ""])
def test_copy_from_a_stage_name_index_or_scratch_is_not_a_parent(source: str) -> None:
    text = f"FROM golang AS build\nFROM debian\nCOPY --from={source} /a /b\nFROM alpine AS later\n"
    assert images(text) == ["golang", "debian", "alpine"]


def test_copy_from_accepts_quotes_like_docker() -> None:
    assert images("FROM debian\nCOPY --from='nginx:1' /a /b\n") == ["debian", "nginx:1"]


def test_run_mount_from_an_image_is_a_parent_and_a_stage_is_not() -> None:
    text = (
        "FROM golang AS build\n"
        "FROM debian\n"
        "RUN --mount=type=bind,from=build,source=/app,target=/app \\\n"
        "    --mount=type=cache,target=/root/.cache,from=node:20 \\\n"
        '    --mount="type=bind,FROM=alpine:3,target=/x" make\n'
    )
    parents = parse_parents(text)
    assert [(p.image, p.instruction) for p in parents] == [
        ("golang", INSTRUCTION_FROM), ("debian", INSTRUCTION_FROM),
        ("node:20", INSTRUCTION_MOUNT), ("alpine:3", INSTRUCTION_MOUNT)]
    assert (parents[2].line, parents[2].column) == (4, 49)


@pytest.mark.parametrize(("line", "reason"), [
    ("COPY --from=$STAGE /a /b", "variable expansion is not supported for --from"),
    ("COPY --from=${STAGE} /a /b", "variable expansion is not supported for --from"),
    ("COPY --from=5 /a /b", "invalid stage index 5"),
    ("COPY --from=-1 /a /b", "invalid stage index -1"),
    ("COPY --from=a --from=b /a /b", "duplicate flag specified: --from"),
    ("COPY --from /a /b", "missing a value on flag: --from"),
    ("RUN --mount=type=bind,from=$X make", "variable expansion is not supported"),
    ('RUN --mount=type=bind,\\"from=x make', "invalid --mount"),
])
def test_copy_and_mount_sources_docker_refuses_are_errors_on_their_line(line: str, reason: str) -> None:
    err = error_of(f"FROM debian\n{line}\n")
    assert reason in err.message
    assert err.line == 2


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "column", "reason"), [
    ("FROM debian\n\nFROM\n", 3, 1, "FROM has no image"),
    ("FROM --platform=linux/amd64\n", 1, 1, "FROM has no image"),
    ("FROM debian AS\n", 1, 13, "FROM takes an image and optionally 'AS <name>'"),
    ("FROM debian bookworm\n", 1, 13, "FROM takes an image"),
    ("FROM debian AS base extra\n", 1, 13, "FROM takes an image"),
    ("FROM debian AS 1st\n", 1, 16, "invalid stage name '1st'"),
    ("FROM debian AS my/stage\n", 1, 16, "invalid stage name"),
    ("ARG V\nFROM $V\n", 2, 6, "FROM image '$V' is empty after ARG substitution"),
    ("ARG V=\n  FROM ${V}\n", 2, 8, "is empty after ARG substitution"),
    ("FROM debian:${V\n", 1, 6, "missing '}'"),
    ("FROM debian:${}\n", 1, 6, "bad substitution"),
    ("FROM debian:${V:x}\n", 1, 6, "unsupported modifier (:x)"),
    ("FROM debian:${V:?V-must-be-set}\n", 1, 6, "V: V-must-be-set"),
    ("FROM debian:${V?}\n", 1, 6, "V: is not allowed to be unset"),
    ("FROM 'debian\n", 1, 6, "unterminated single quote"),
    ("ARG V=\"x\nFROM debian\n", 1, 7, "unterminated double quote"),
    ("", 1, 1, "no FROM instruction"),
    ("# only a comment\nRUN make\n", 1, 1, "no FROM instruction"),
    ("# escape=x\nFROM debian\n", 1, 1, "invalid escape token 'x'"),
    ("# escape=`\n# escape=\\\nFROM debian\n", 2, 1, "only one escape parser directive"),
])
def test_problems_raise_dockerfile_error_at_their_line_and_column(
        text: str, line: int, column: int, reason: str) -> None:
    err = error_of(text)
    assert reason in str(err)
    assert (err.line, err.column) == (line, column)
    assert err.path is None


def test_dockerfile_error_is_a_value_error_and_a_jenkins_docker_error() -> None:
    err = error_of("FROM\n")
    assert isinstance(err, ValueError)
    assert isinstance(err, JenkinsDockerError)
    assert str(err) == err.message == "FROM has no image"


def test_dockerfile_error_keeps_its_location_through_pickle() -> None:
    err = error_of("FROM debian\nFROM\n")
    err.path = "images/x/Dockerfile"
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.line, copy.column, copy.path) == (str(err), 2, 1, "images/x/Dockerfile")


# -- read_parents -----------------------------------------------------------------------------


def test_read_parents_reads_a_file_with_build_args(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("ARG TAG=12\nFROM debian:${TAG}\n", encoding="utf-8")
    assert read_parents(dockerfile, {"TAG": "13"}) == [DockerfileParent("debian:13", 2, 6, INSTRUCTION_FROM)]
    assert read_parents(str(dockerfile)) == [DockerfileParent("debian:12", 2, 6, INSTRUCTION_FROM)]


def test_read_parents_refuses_text_that_is_not_utf8_where_it_goes_wrong(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes("FROM debian\nLABEL a=é\xff\n".encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    with pytest.raises(DockerfileError) as caught:
        read_parents(dockerfile)
    assert str(caught.value) == "not UTF-8 text"
    assert (caught.value.line, caught.value.column) == (2, 10)
    assert caught.value.path == str(dockerfile)


def test_read_parents_errors_carry_the_path(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM\n", encoding="utf-8")
    with pytest.raises(DockerfileError) as caught:
        read_parents(dockerfile)
    assert caught.value.path == str(dockerfile) and caught.value.line == 1


def test_read_parents_never_writes(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian\n", encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    read_parents(dockerfile)
    assert sorted(tmp_path.iterdir()) == before
    assert dockerfile.read_text(encoding="utf-8") == "FROM debian\n"


# -- properties -------------------------------------------------------------------------------

_DOCKERFILE_PIECES = st.sampled_from([
    "FROM ", "from ", "ARG ", "COPY ", "RUN ", "ONBUILD ", " AS ", " as ", "--from=", "--mount=",
    "--platform=", "type=bind,from=", "$", "${", "}", ":-", ":+", "-", "+", "?", "#", "%", "/",
    "<<", "<<-", "EOF", "'", '"', "\\", "`", "\n", "\r\n", "\t", " ", "=", ",", "0", "1", "x",
    "debian", "build", "scratch", "# escape=`\n", "# syntax=x\n", "[", "]", "\ufeff", "é",
])


@given(st.lists(_DOCKERFILE_PIECES, max_size=30).map("".join) | st.text(max_size=60))
def test_property_any_text_gives_parents_or_a_located_dockerfile_error(text: str) -> None:
    try:
        parents = parse_parents(text, {"x": "1"})
    except DockerfileError as exc:
        assert exc.line >= 1 and exc.column >= 1 and str(exc)
    else:
        assert len({p.image for p in parents}) == len(parents)
        assert all(p.image and p.line >= 1 and p.column >= 1 for p in parents)
