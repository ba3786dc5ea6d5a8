"""The JSON Schema of the inventory (`jenkins-docker schema`): valid draft 2020-12, accepting
the examples and refusing what the loader refuses by the key tables."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from jenkins_docker.loading import schema

jsonschema = pytest.importorskip("jsonschema")

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*/inventory.yml"))


@pytest.fixture(scope="module")
def validator() -> Any:
    document = schema.json_schema()
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def example(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def errors(validator: Any, document: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(document)]


def test_schema_declares_draft_2020_12_and_is_valid_against_it() -> None:
    document = schema.json_schema()
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)


def test_schema_text_is_the_schema_as_json() -> None:
    assert json.loads(schema.json_schema_text()) == schema.json_schema()
    assert schema.json_schema_text().endswith("}\n")


@pytest.fixture
def iiiepe() -> dict[str, Any]:
    return example(next(p for p in EXAMPLES if p.parent.name == "iiiepe"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_examples_validate(validator: Any, path: Path) -> None:
    assert errors(validator, example(path)) == []


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize(("where", "key"), [
    ((), "base_image"),
    (("jenkins",), "fodler"),
    (("registries", "hub"), "hots"),
    (("base_images", "iiiepe/nginx"), "form"),
    (("apps", "website"), "deplyo"),
    (("defaults",), "from"),
    (("base_images", "iiiepe/nginx"), "deploy"),
])
def test_unknown_key_is_rejected(validator: Any, iiiepe: dict[str, Any], where: tuple[str, ...], key: str) -> None:
    document = iiiepe
    node = document
    for step in where:
        node = node[step]
    node[key] = "x"
    assert any("Additional properties are not allowed" in m and repr(key) in m for m in errors(validator, document))


def test_missing_git_and_wrong_version_are_rejected(validator: Any, iiiepe: dict[str, Any]) -> None:
    document = copy.deepcopy(iiiepe)
    del document["base_images"]["iiiepe/nginx"]["git"]
    document["version"] = 2
    messages = errors(validator, document)
    assert any("'git' is a required property" in m for m in messages)
    assert any("1 was expected" in m for m in messages)


@pytest.mark.parametrize(("path", "value"), [
    (("jenkins", "keep_builds"), "20"),
    (("jenkins", "keep_builds"), 0),
    (("jenkins", "job_type"), "pipline"),
    (("base_images", "iiiepe/nginx", "from"), []),
    (("apps", "website", "env"), ["A=1"]),
    (("apps", "website", "build_args"), {"not a name": "x"}),
    (("registries", "hub"), {"host": "docker.io"}),
])
def test_wrong_types_are_rejected(validator: Any, iiiepe: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    document = copy.deepcopy(iiiepe)
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    assert errors(validator, document)


def test_empty_sections_are_allowed_as_the_loader_allows_them(validator: Any, iiiepe: dict[str, Any]) -> None:
    document = copy.deepcopy(iiiepe)
    document["jenkins"] = None
    assert errors(validator, document) == []


def test_every_key_of_the_loader_tables_is_documented() -> None:
    def walk(section: schema.Section) -> list[tuple[str, schema.Key]]:
        found = []
        for name, key in section.keys.items():
            found.append((name, key))
            if isinstance(key.type, schema.Section):
                found += walk(key.type.each or key.type)
        return found

    keys = walk(schema.INVENTORY)
    assert len(keys) > 30
    assert all(key.doc for _, key in keys)
