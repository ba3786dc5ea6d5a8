"""Compiled templates are cached between runs, and a stale entry is never used; render writes only what changed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from jenkins_docker import load, render
from jenkins_docker.rendering.renderer import bundled_templates, write_tree

ROOT = Path(__file__).resolve().parent.parent
IIIEPE = ROOT / "examples" / "iiiepe" / "inventory.yml"


def render_cli(tmp_path: Path, out: Path, templates: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("JENKINS_DOCKER_NO_CACHE", None)
    return subprocess.run([sys.executable, "-m", "jenkins_docker", "render", str(IIIEPE), "-o", str(out),
                           "--templates", str(templates)], env=env, capture_output=True, text=True, cwd=tmp_path)


def shell_lines(out: Path) -> str:
    return (out / "jobs" / "docker" / "jobs" / "website" / "config.xml").read_text(encoding="utf-8")


def test_an_edited_template_is_never_rendered_from_a_stale_cache_entry(tmp_path: Path) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    source = (bundled_templates() / "freestyle.xml.j2").read_text(encoding="utf-8")
    user = templates / "freestyle.xml.j2"
    user.write_text(source.replace("<actions/>", "<actions/><!-- first -->", 1), encoding="utf-8")
    first = render_cli(tmp_path, tmp_path / "one", templates, cache)
    assert first.returncode == 0, first.stderr
    assert "<!-- first -->" in shell_lines(tmp_path / "one")
    entries = sorted(p for p in cache.rglob("*.cache"))
    assert entries, "the compiled templates were not cached"
    # Same size, same mtime, other text: only a check of the source itself can notice.
    stat = user.stat()
    user.write_text(source.replace("<actions/>", "<actions/><!-- other -->", 1), encoding="utf-8")
    os.utime(user, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = render_cli(tmp_path, tmp_path / "two", templates, cache)
    assert second.returncode == 0, second.stderr
    assert "<!-- other -->" in shell_lines(tmp_path / "two") and "<!-- first -->" not in shell_lines(tmp_path / "two")


def test_a_corrupt_or_unwritable_cache_costs_a_compile_not_a_render(tmp_path: Path) -> None:
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    assert render_cli(tmp_path, tmp_path / "one", templates, cache).returncode == 0
    for entry in cache.rglob("*.cache"):
        entry.write_bytes(entry.read_bytes()[:40])  # truncated after the header
    again = render_cli(tmp_path, tmp_path / "two", templates, cache)
    assert again.returncode == 0, again.stderr
    assert shell_lines(tmp_path / "two") == shell_lines(tmp_path / "one")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would go", encoding="utf-8")
    third = render_cli(tmp_path, tmp_path / "three", templates, blocked)
    assert third.returncode == 0, third.stderr
    assert shell_lines(tmp_path / "three") == shell_lines(tmp_path / "one")


def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jenkins_docker.rendering import template_cache
    monkeypatch.delenv("JENKINS_DOCKER_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert template_cache.open_cache({"a": 1}) is not None
    directory = next(Path(template_cache.cache_root()).iterdir())
    directory.chmod(0o777)
    assert template_cache.open_cache({"a": 1}) is None
    monkeypatch.setenv("JENKINS_DOCKER_NO_CACHE", "1")
    assert template_cache.open_cache({"b": 2}) is None


def test_rendering_again_rewrites_only_the_files_that_changed(tmp_path: Path) -> None:
    inventory = load(IIIEPE)
    out = tmp_path / "out"
    first = write_tree(render(inventory), out)
    assert len(first) == len(render(inventory).jobs)
    before = {p: p.stat().st_mtime_ns for p in first}
    assert write_tree(render(inventory), out) == []
    assert {p: p.stat().st_mtime_ns for p in first} == before
    website = out / "jobs" / "docker" / "jobs" / "website" / "config.xml"
    website.write_text(website.read_text(encoding="utf-8").replace("<actions/>", "<actions></actions>"), encoding="utf-8")
    assert write_tree(render(inventory), out) == [website]
    assert website.read_text(encoding="utf-8") == render(inventory).by_name()["docker/website"].xml


def test_render_cli_counts_unchanged_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "JENKINS_DOCKER_NO_CACHE": "1"}
    cmd = [sys.executable, "-m", "jenkins_docker", "render", str(IIIEPE), "-o", str(out)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and f"wrote 0 config.xml files under {out} (" in again.stderr and " unchanged)" in again.stderr


def test_another_release_of_the_package_or_of_jinja2_never_reads_this_one_s_entries(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Jinja2 checks an entry against its template's source, not against the code that compiled
    # it: an upgrade must look in a directory of its own.
    from jenkins_docker.rendering import renderer, template_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("JENKINS_DOCKER_NO_CACHE", raising=False)

    def directory() -> str:
        cache = template_cache.open_cache(renderer._TEMPLATE_OPTIONS)
        assert isinstance(cache, jinja2.FileSystemBytecodeCache)
        return cache.directory

    now = directory()
    assert directory() == now
    monkeypatch.setattr(template_cache, "__version__", "99.0.0")
    upgraded = directory()
    monkeypatch.setattr(template_cache.jinja2, "__version__", "99.0.0")
    both = directory()
    assert len({now, upgraded, both}) == 3
    assert template_cache.open_cache({**renderer._TEMPLATE_OPTIONS, "trim_blocks": False}).directory != both  # type: ignore[union-attr]
