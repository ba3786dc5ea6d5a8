"""What each build records about its parents: the references pulled, the shell, the labels."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from jenkins_docker.loading.loader import load
from jenkins_docker.rendering import provenance
from jenkins_docker.rendering.renderer import render

INVENTORY = """\
version: 1
registries:
  private: {host: registry.example.org, credentials: registry-push}
defaults: {registry: private}
base_images:
  acme/base: {git: g, from: "debian:bookworm"}
  acme/tools: {git: g, from: "python"}
apps:
  portal:
    git: g
    from: ["ghcr.io/acme/builder:2", "acme/tools:latest", "debian@sha256:%s", acme/base]
""" % ("a" * 64)


@pytest.fixture
def inventory(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "inventory.yml"
    path.write_text(INVENTORY, encoding="utf-8")
    return load(path)


def test_parents_are_pulled_fully_qualified_and_listed_ones_from_where_their_job_pushes(inventory):
    assert provenance.pull_reference(inventory, inventory.images["portal"]) == [
        "ghcr.io/acme/builder:2",
        "registry.example.org/acme/tools:latest",
        f"docker.io/library/debian@sha256:{'a' * 64}",
        "registry.example.org/acme/base:latest",
    ]
    assert provenance.pull_reference(inventory, inventory.images["acme/tools"]) == ["docker.io/library/python:latest"]


def test_the_final_stage_parent_is_the_base_and_every_parent_is_in_the_list_label(inventory):
    _, labels = provenance.record_commands(provenance.pull_reference(inventory, inventory.images["portal"]))
    values = dict(label.strip('"').split("=", 1) for label in labels[1::2])
    assert values[provenance.BASE_NAME_LABEL] == "registry.example.org/acme/base:latest"
    assert values[provenance.BASE_DIGEST_LABEL] == "${PARENT_DIGEST_4}"
    assert values[provenance.PARENTS_LABEL].split() == [
        "ghcr.io/acme/builder:2@${PARENT_DIGEST_1}", "registry.example.org/acme/tools:latest@${PARENT_DIGEST_2}",
        f"docker.io/library/debian@sha256:{'a' * 64}@${{PARENT_DIGEST_3}}", "registry.example.org/acme/base:latest@${PARENT_DIGEST_4}"]


def test_the_recording_shell_reads_each_digest_from_its_own_repository_entry(tmp_path, inventory):
    """Run the generated lines with a stand-in docker that answers as the engine does: the image
    was pulled under two names, so RepoDigests has two entries, and only the parent's own counts."""
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n"
                    'if [ "$1" = pull ]; then echo "pulled $2" >> "$LOG"; exit 0; fi\n'
                    # `docker image inspect --format T REF`: print what the template selects from two entries.
                    'case "$4" in *"\\"debian\\""*) echo sha256:1111;; *"\\"ghcr.io/acme/builder\\""*) echo sha256:2222;; *) echo;; esac\n',
                    encoding="utf-8")
    fake.chmod(0o755)
    lines, labels = provenance.record_commands(["docker.io/library/debian:bookworm", "ghcr.io/acme/builder:2"])
    script = "\n".join([*lines, f"printf '%s\\n' {' '.join(labels)}"])
    done = subprocess.run(["sh", "-e", "-c", script], capture_output=True, text=True,
                          env={"PATH": f"{fake.parent}:/usr/bin:/bin", "LOG": str(tmp_path / "log")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1::2] == [
        "org.opencontainers.image.base.name=ghcr.io/acme/builder:2",
        "org.opencontainers.image.base.digest=sha256:2222",
        "org.jenkins-docker.parents=docker.io/library/debian:bookworm@sha256:1111 ghcr.io/acme/builder:2@sha256:2222"]
    assert (tmp_path / "log").read_text().splitlines() == ["pulled docker.io/library/debian:bookworm", "pulled ghcr.io/acme/builder:2"]


def test_a_parent_whose_digest_cannot_be_read_fails_the_build(tmp_path):
    fake = tmp_path / "docker"
    fake.write_text("#!/bin/sh\n[ \"$1\" = pull ] && exit 0\necho\n", encoding="utf-8")
    fake.chmod(0o755)
    lines, _ = provenance.record_commands(["docker.io/library/debian:bookworm"])
    done = subprocess.run(["sh", "-e", "-c", "\n".join(lines) + "\necho built"], capture_output=True, text=True,
                          env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert done.returncode == 1 and "built" not in done.stdout
    assert "cannot read the digest of docker.io/library/debian:bookworm after pulling it" in done.stderr


def test_both_job_types_carry_the_recording_step_and_build_without_pull(inventory):
    import dataclasses

    for job_type in ("freestyle", "pipeline"):
        copy = dataclasses.replace(inventory, jenkins=dataclasses.replace(inventory.jenkins, job_type=job_type))
        copy._graph = None
        xml = render(copy).by_name()["portal"].xml
        assert "docker pull registry.example.org/acme/base:latest" in xml, job_type
        assert "org.jenkins-docker.parents=" in xml and "docker build --pull" not in xml, job_type


def test_the_parents_label_parses_back_and_refuses_garbage():
    parsed = provenance.parse_parents_label(f"docker.io/library/debian:bookworm@sha256:{'1' * 64} ghcr.io/a/b@sha256:{'2' * 64}@sha256:{'2' * 64}")
    assert parsed == [provenance.BuiltFrom("docker.io/library/debian:bookworm", f"sha256:{'1' * 64}"),
                      provenance.BuiltFrom(f"ghcr.io/a/b@sha256:{'2' * 64}", f"sha256:{'2' * 64}")]
    for bad in ("debian:bookworm", "@sha256:1", "Not/A/Ref@sha256:1"):
        with pytest.raises(ValueError):
            provenance.parse_parents_label(bad)
    assert provenance.built_from({"other": "x"}) is None
