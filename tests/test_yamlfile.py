"""The YAML layer: located nodes, and everything PyYAML would accept silently or slowly."""
from __future__ import annotations

from pathlib import Path

import pytest
from yaml.nodes import MappingNode, ScalarNode

from jenkins_docker.errors import InventoryError, Problem
from jenkins_docker.loading import yamlfile
from jenkins_docker.loading.yamlfile import compose, compose_text, location, read_text


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InventoryError) as caught:
        compose_text(text, "inv.yml")
    return caught.value.problems


def only(text: str) -> str:
    """The single problem of ``text``, as ``LINE:COL: message``."""
    found = problems_of(text)
    assert len(found) == 1, found
    return f"{found[0].location.line}:{found[0].location.column}: {found[0].message}"


def as_dict(node: object) -> object:
    """A composed node as plain values (strings only), to compare with what was meant."""
    if isinstance(node, MappingNode):
        return {k.value: as_dict(v) for k, v in node.value}
    if isinstance(node, ScalarNode):
        return node.value
    return [as_dict(v) for v in node.value]  # type: ignore[attr-defined]


# -- nodes and locations ---------------------------------------------------------------------------

def test_location_is_one_based_line_and_column_of_the_node() -> None:
    root = compose_text("a: 1\nb:\n  c: [x, y]\n", "inv.yml")
    assert root is not None
    inner = root.value[1][1]
    key, value = inner.value[0]
    assert str(location("inv.yml", key)) == "inv.yml:3:3"
    assert str(location("inv.yml", value.value[1])) == "inv.yml:3:10"


@pytest.mark.parametrize("text", ["", "   \n", "# comment\n", "---\n...\n", "null\n", "~"])
def test_empty_documents_compose_to_none(text: str) -> None:
    assert compose_text(text, "inv.yml") is None


def test_document_start_marker_is_fine() -> None:
    assert as_dict(compose_text("---\na: 1\n", "inv.yml")) == {"a": "1"}


def test_root_that_is_not_a_mapping_is_refused() -> None:
    assert only("- a\n- b\n") == "1:1: the inventory must be a mapping of keys (version, base_images, apps, ...), not a list"
    assert "not the single value 'hello'" in only("hello\n")


# -- duplicate keys -------------------------------------------------------------------------------

def test_duplicate_keys_are_raised_by_default_with_the_first_line() -> None:
    assert only("a: 1\nb: 2\na: 3\n") == "3:1: duplicate key 'a' (first defined on line 1); YAML would keep only the last one: remove one"


def test_duplicate_keys_are_collected_when_a_list_is_given() -> None:
    found: list[Problem] = []
    root = compose_text("a: {x: 1, x: 2}\nb: [{y: 1, y: 2}]\n", "inv.yml", found)
    assert root is not None
    assert sorted((p.location.line, p.location.column) for p in found) == [(1, 11), (2, 12)]
    assert all("duplicate key" in p.message for p in found)


def test_keys_that_read_the_same_are_duplicates() -> None:
    assert "duplicate key '1'" in only("1: a\n'1': b\n")


def test_same_key_in_different_mappings_is_not_a_duplicate() -> None:
    assert as_dict(compose_text("a: {x: 1}\nb: {x: 2}\n", "inv.yml")) == {"a": {"x": "1"}, "b": {"x": "2"}}


# -- merge keys --------------------------------------------------------------------------------------

def test_merge_key_inserts_the_anchor_keys_and_own_keys_win() -> None:
    root = compose_text("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n", "inv.yml")
    assert as_dict(root) == {"base": {"x": "1", "y": "2"}, "use": {"x": "1", "y": "3"}}


def test_merge_of_a_list_prefers_earlier_sources() -> None:
    root = compose_text("a: &a {x: a}\nb: &b {x: b, y: b}\nc: {<<: [*a, *b]}\n", "inv.yml")
    assert as_dict(root)["c"] == {"x": "a", "y": "b"}  # type: ignore[index]


def test_merge_of_a_mapping_that_merges_resolves_the_chain() -> None:
    root = compose_text("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n", "inv.yml")
    assert as_dict(root)["c"] == {"x": "1", "y": "2", "z": "3"}  # type: ignore[index]


def test_merge_key_met_before_its_source_is_flattened_still_resolves() -> None:
    # A depth-first walk from the end meets the second item (which merges b) before b.
    root = compose_text("a: &a {x: 1}\nlist:\n  - &b {<<: *a, y: 2}\n  - {<<: *b}\n", "inv.yml")
    assert as_dict(root)["list"] == [{"x": "1", "y": "2"}, {"x": "1", "y": "2"}]  # type: ignore[index]


def test_merge_key_of_a_scalar_is_a_located_problem() -> None:
    assert only("a: {<<: text}\n") == "1:9: a merge key (<<) takes a mapping (e.g. `<<: *defaults`) or a list of them"


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    assert as_dict(compose_text("'<<': {x: 1}\n", "inv.yml")) == {"<<": {"x": "1"}}


# -- aliases ----------------------------------------------------------------------------------------

def test_alias_bomb_is_refused_before_anything_walks_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    message = only("\n".join(lines) + "\n")   # 10**12 nodes: walking them would never return
    assert message.startswith("1:1: YAML aliases expand this file to ")
    assert "alias bomb" in message


def test_moderate_alias_reuse_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: &a {x: 1, y: 2}\n" + "".join(f"k{i}: *a\n" for i in range(40))
    assert as_dict(compose_text(text, "inv.yml"))["k39"] == {"x": "1", "y": "2"}  # type: ignore[index]


def test_expansion_limit_counts_values_not_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlfile, "MAX_EXPANDED_NODES", 100)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + "".join(f"k{i}: *a\n" for i in range(10))
    assert "expand this file to" in only(text)


@pytest.mark.parametrize(("text", "where"), [
    ("a: &a [*a]\n", "1:4"),
    ("a: &a {b: *a}\n", "1:8"),
    ("a: &a {b: [1, {c: *a}]}\n", "1:16"),
])
def test_recursive_alias_is_refused_where_it_is_used(text: str, where: str) -> None:
    assert only(text) == f"{where}: recursive YAML alias: a value cannot contain itself"


def test_undefined_alias_is_refused() -> None:
    assert only("a: *missing\n") == "1:4: YAML alias (*name) refers to no anchor (&name) defined before it"


def test_anchor_defined_twice_is_refused_with_the_first_line() -> None:
    message = only("a: &x 1\nb: &x 2\n")
    assert message.startswith("2:4: YAML anchor defined twice (first defined on line 1)")


# -- syntax errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "where", "fragment"), [
    ("a: [1, 2\nb: 3\n", "2:2", "while parsing a flow sequence"),
    ("a: 'open\n", "2:1", "while scanning a quoted scalar"),
    ("a:\n\tb: 1\n", "2:1", "cannot start any token"),
    ("a: 1\n b: 2\n", "2:3", "mapping values are not allowed"),
    ("a: 1\n---\nb: 2\n", "2:1", "several YAML documents"),
    ("a: !!python/object:os.system x\n", None, None),
])
def test_syntax_error_is_one_located_line(text: str, where: str | None, fragment: str | None) -> None:
    if where is None:  # an unknown tag is composed, not executed: the loader refuses its type
        assert compose_text(text, "inv.yml") is not None
        return
    message = only(text)
    assert message.startswith(f"{where}: ")
    assert fragment in message
    assert "\n" not in message


def test_nesting_past_libyaml_limit_is_a_located_error() -> None:
    message = only("a: " + "[" * 2000 + "]" * 2000 + "\n")
    assert message.startswith("1:") and "nesting depth" in message


def test_raw_control_character_is_located_after_multibyte_text() -> None:
    assert only("a: ééé\nb: ü\x01\n") == (
        "2:5: the control character U+0001 is not allowed in YAML text; "
        "remove it (or write it as an escape in a double-quoted string)")


# -- the file ---------------------------------------------------------------------------------------------

def test_read_text_strips_a_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_text(path, "a.yml") == "a: 1\n"


def test_non_utf8_is_located_in_characters(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_bytes("a: 1\nb: é".encode() + b"\xff\n")
    with pytest.raises(InventoryError) as caught:
        read_text(path, "a.yml")
    assert str(caught.value) == "a.yml:2:5: the file is not UTF-8 text (byte 0xff); save it as UTF-8"


def test_latin1_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_bytes("version: 1\n# café\n".encode("latin-1"))
    with pytest.raises(InventoryError, match="a.yml:2:6: the file is not UTF-8"):
        compose(path, "a.yml")


def test_oversized_file_is_refused_from_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 2 * 1048576)
    path = tmp_path / "a.yml"
    with path.open("wb") as stream:
        stream.truncate(3 * 1048576)
    with pytest.raises(InventoryError, match=r"a.yml:1:1: the file is 3.0 MiB; inventories are limited to 2 MiB"):
        read_text(path, "a.yml")


def test_endless_device_is_refused_after_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero here")
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 4096)
    with pytest.raises(InventoryError, match="larger than"):
        read_text(zero, "zero")


def test_display_name_is_used_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(InventoryError) as caught:
        compose(path, "shown.yml")
    assert str(caught.value).startswith("shown.yml:2:1: duplicate key")


def test_error_at_the_end_of_a_file_without_final_line_break_stays_inside_it() -> None:
    assert only("a: 1\nb").startswith("2:2: YAML syntax error")
    assert only("{").startswith("1:2: YAML syntax error")


def test_non_utf8_after_a_bom_names_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "a.yml"
    path.write_bytes(b"\xef\xbb\xbfab\xff\n")
    with pytest.raises(InventoryError, match=r"a.yml:1:3: the file is not UTF-8 text \(byte 0xff\)"):
        read_text(path, "a.yml")


def test_lines_are_counted_as_yaml_counts_them() -> None:
    # A lone CR ends a line for YAML (and for editors), so the error is on line 2.
    assert only("a: 1\rb: \x01\n").startswith("2:4: the control character U+0001")
