"""The repository's own habits: ruff clean, mypy --strict configured, pre-commit hooks that work offline,
the pytest plugin opt-in, package data that exists, a CHANGELOG entry for the version."""
from __future__ import annotations

import ast
import configparser
import fnmatch
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import jenkins_docker
from helpers import ROOT, clean_env, git, git_copy_of_this_tree

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_ruff_finds_nothing_in_the_package_tests_tools_benchmarks_and_examples() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    checked = PYPROJECT["tool"]["ruff"]["lint"]["select"]
    assert {"E", "F", "W", "I", "B"} <= set(checked)


def test_mypy_configuration_is_strict_over_the_package_and_the_mutation_tool() -> None:
    # tests/test_typing.py and `make typecheck` run mypy with no options: these settings are all there is.
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["files"] == ["jenkins_docker", "tools/mutate.py"]


def test_make_test_runs_lint_and_typecheck_first() -> None:
    done = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MAKEFLAGS": ""})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    lint = next(i for i, line in enumerate(lines) if "-m ruff check" in line)
    typecheck = next(i for i, line in enumerate(lines) if line.rstrip().endswith("-m mypy"))
    tests = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert lint < tests and typecheck < tests


def test_pre_commit_config_hooks_are_local_and_need_no_download() -> None:
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook["language"] for hook in hooks.values()} == {"system"}
    assert {"ruff", "mypy", "validate-examples"} <= set(hooks)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this working tree, with .venv pointing at the Python running the tests."""
    repo = git_copy_of_this_tree(tmp_path_factory.mktemp("checkout"))
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
    return repo


def pre_commit_run(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", *args], cwd=repo, capture_output=True, text=True, timeout=300,
                          env=clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never"))


def test_pre_commit_ruff_hook_passes_the_repository_and_fails_an_unused_import_offline(checkout: Path, tmp_path: Path) -> None:
    clean = pre_commit_run(checkout, tmp_path, "ruff", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    module = checkout / "jenkins_docker" / "errors.py"
    original = module.read_text(encoding="utf-8")
    try:
        module.write_text(original.replace("from __future__ import annotations\n", "from __future__ import annotations\n\nimport os\n", 1),
                          encoding="utf-8")
        git(checkout, "add", "jenkins_docker/errors.py")
        dirty = pre_commit_run(checkout, tmp_path, "ruff", "--files", "jenkins_docker/errors.py")
    finally:
        module.write_text(original, encoding="utf-8")
        git(checkout, "add", "jenkins_docker/errors.py")
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert "F401" in dirty.stdout and "`os` imported but unused" in dirty.stdout and "jenkins_docker/errors.py" in dirty.stdout


def test_pre_commit_validates_the_examples_with_the_checkouts_code(checkout: Path, tmp_path: Path) -> None:
    done = pre_commit_run(checkout, tmp_path, "validate-examples", "--all-files", "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "examples/iiiepe/inventory.yml: ok:" in done.stdout


def test_fake_jenkins_fixture_is_opt_in(tmp_path: Path) -> None:
    (tmp_path / "test_uses_fixture.py").write_text(
        "def test_it(fake_jenkins):\n    assert fake_jenkins.url.startswith('http://127.0.0.1:')\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)]
    alone = subprocess.run(pytest_cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert alone.returncode == 1, alone.stdout + alone.stderr
    assert "fixture 'fake_jenkins' not found" in alone.stdout
    opted_in = subprocess.run([*pytest_cmd, "-p", "jenkins_docker.testing.plugin"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env=env)
    assert opted_in.returncode == 0, opted_in.stdout + opted_in.stderr
    assert "1 passed" in opted_in.stdout


def test_every_package_data_pattern_names_files_that_exist() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    where = {"jenkins_docker": ROOT / "jenkins_docker", "jenkins_docker.job_templates": ROOT / "job_templates"}
    for package, patterns in cfg["options.package_data"].items():
        for pattern in re.split(r"[,\s]+", patterns.strip()):
            assert list(where[package].glob(pattern)), f"package_data {package} = {pattern}: no such file"


def test_package_data_covers_every_file_in_job_templates() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = re.split(r"[,\s]+", cfg["options.package_data"]["jenkins_docker.job_templates"].strip())
    data = [p.name for p in (ROOT / "job_templates").iterdir() if p.is_file() and p.suffix != ".py"]
    assert data
    missing = [name for name in data if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    assert missing == [], "not in the wheel (add to [options.package_data] in setup.cfg)"


def test_changelog_has_a_section_for_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {jenkins_docker.__version__}" in text


def _modules() -> list[Path]:
    return sorted(p for p in (ROOT / "jenkins_docker").rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_says_in_its_first_line_what_it_holds() -> None:
    for path in _modules():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path.relative_to(ROOT)} has no docstring"
        first = doc.splitlines()[0]
        assert len(first) >= 20 and first.rstrip().endswith((".", ":")), f"{path.relative_to(ROOT)}: {first!r}"


def test_every_package_of_the_source_tree_is_in_the_wheel_list() -> None:
    """setup.py lists the packages by hand: a new stage folder missing from it would be missing from the wheel."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    listed = {elt.value for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "packages"
              for elt in node.value.elts if isinstance(elt, ast.Constant)}   # type: ignore[attr-defined]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "jenkins_docker").rglob("__init__.py")}
    assert listed == on_disk | {"jenkins_docker.job_templates"}


def test_the_readme_layout_names_each_stage_folder_once_per_line() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("**Layout.**"):].split("\n\n")[1]
    stages = [line.split("`")[1] for line in layout.splitlines() if line.startswith("- `")]
    assert stages == ["loading/", "graph/", "rendering/", "sync/", "cli/"]
    for stage in stages:
        assert (ROOT / "jenkins_docker" / stage / "__init__.py").is_file()


def _meaning(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    """What a definition does, whatever its name, docstring and decorators."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    signature = ast.dump(node.args) if not isinstance(node, ast.ClassDef) else ast.dump(ast.Tuple(node.bases, ast.Load()))
    return signature + ast.dump(ast.Module(body=body, type_ignores=[]))


def test_no_helper_is_defined_twice_in_the_tests() -> None:
    # A helper two test files need lives once: tests/helpers.py (plain functions) or tests/conftest.py (fixtures).
    where: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("test_"):
                where.setdefault(_meaning(node), []).append(f"{path.name}:{node.lineno} {node.name}")
    assert [places for places in where.values() if len(places) > 1] == []


def test_no_test_file_imports_from_another_test_file() -> None:
    # What two test files share is a helper: it goes to tests/helpers.py, not into one of them.
    imported = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names] if isinstance(node, ast.Import) else []
            imported += [f"{path.name}: {name}" for name in names if name.startswith("test_")]
    assert imported == []
