"""What an image was built from: the labels every build job records, and how to read them back.

Every build job pulls each parent of its image (every ``FROM`` and ``COPY --from`` image the
inventory knows), reads the digest the pull resolved from the local image's ``RepoDigests``, and
passes the results to ``docker build`` as labels:

- ``org.opencontainers.image.base.name`` and ``org.opencontainers.image.base.digest`` (the OCI
  annotation keys, as labels) for the final stage's parent: the last parent the inventory lists
  (the last item of a ``from:`` list, or the last image a ``path:`` Dockerfile names);
- :data:`PARENTS_LABEL`, every parent as ``REFERENCE@DIGEST``, space-separated, in the inventory's
  order, ``REFERENCE`` being fully qualified as pulled (``docker.io/library/debian:bookworm``).

The digest is the one ``docker pull`` resolved the tag to: for a multi-platform parent, the digest
of its image index, which is also what a registry answers to a ``HEAD`` of the tag, so
:mod:`jenkins_docker.freshness.outdated` compares like with like.

Why ``docker build`` runs without ``--pull`` now: it would pull the tags again, and a tag that
moved in between would be built from without being the digest recorded. Building from the images
just pulled means the label names what was built from. Another build on the same agent pulling
the same tag in between can still move the local tag, but only forward: the recorded digest is
then older than the one used, so ``outdated`` asks for one rebuild too many, never one too few.
(``--build-arg`` cannot pin a ``FROM`` unless the Dockerfile declares that ARG, and BuildKit's
``--build-context`` is not in every Docker engine the agents run.)
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Mapping

from jenkins_docker.loading.inventory import Image, Inventory
from jenkins_docker.loading.reference import ImageReference, ReferenceError, parse_reference

#: OCI annotation keys (image-spec annotations.md), written as labels: the final stage's parent.
BASE_NAME_LABEL = "org.opencontainers.image.base.name"
BASE_DIGEST_LABEL = "org.opencontainers.image.base.digest"
#: Every parent and stage image, ``REFERENCE@DIGEST`` separated by spaces.
PARENTS_LABEL = "org.jenkins-docker.parents"

_LATEST = "latest"


@dataclass(frozen=True)
class BuiltFrom:
    """One parent recorded in an image: the reference pulled and the digest it resolved to."""

    reference: str      # fully qualified, e.g. "docker.io/library/debian:bookworm"
    digest: str         # "sha256:..."


def pull_reference(inventory: Inventory, image: Image) -> list[str]:
    """The fully qualified reference each parent of ``image`` is pulled as, in order.

    A listed parent is pulled from where its job pushes it (its ``latest`` tag unless the
    inventory names another); an external one as written, with ``latest`` when it has no tag.
    """
    out = []
    for parent in image.parents:
        if parent.image is not None:
            ref = parse_reference(inventory.images[parent.image].push_name)
            written = parse_reference(parent.reference)
            tag, digest = written.tag, written.digest
        else:
            ref = parse_reference(parent.reference)
            tag, digest = ref.tag, ref.digest
        if tag is None and digest is None:
            tag = _LATEST
        out.append(str(ImageReference(ref.domain, ref.path, tag, digest, True)))
    return out


def qualified(reference: str) -> str:
    """``reference`` fully qualified, with ``latest`` when it names neither tag nor digest."""
    ref = parse_reference(reference)
    tag = ref.tag if ref.tag is not None or ref.digest is not None else _LATEST
    return str(ImageReference(ref.domain, ref.path, tag, ref.digest, True))


def record_commands(references: list[str]) -> tuple[list[str], list[str]]:
    """The shell lines that pull and resolve each parent, and the ``--label`` arguments for the build.

    Each parent's digest comes from the ``RepoDigests`` entry of its own repository (an image
    pulled under two names has one entry per name), chosen by a Go template of ``docker image
    inspect``; a parent whose digest cannot be read fails the build rather than record nothing.
    """
    lines: list[str] = []
    entries: list[str] = []
    for index, reference in enumerate(references, start=1):
        ref = parse_reference(reference)
        variable = f"PARENT_DIGEST_{index}"
        template = ('{{range .RepoDigests}}{{if eq (index (split . "@") 0) "%s"}}{{index (split . "@") 1}}{{end}}{{end}}'
                    % ref.familiar_name)
        quoted = shlex.quote(reference)
        lines += [
            f"docker pull {quoted}",
            f"{variable}=$(docker image inspect --format {shlex.quote(template)} {quoted})",
            f"test -n \"${variable}\" || {{ echo {shlex.quote(f'cannot read the digest of {reference} after pulling it')} >&2; exit 1; }}",
        ]
        entries.append(f"{reference}@${{{variable}}}")
    if not references:
        return lines, []
    last = len(references)
    labels = [
        "--label", shlex.quote(f"{BASE_NAME_LABEL}={references[-1]}"),
        "--label", f"\"{BASE_DIGEST_LABEL}=${{PARENT_DIGEST_{last}}}\"",
        "--label", f"\"{PARENTS_LABEL}={' '.join(entries)}\"",
    ]
    return lines, labels


def parse_parents_label(value: str) -> list[BuiltFrom]:
    """The parents listed in a :data:`PARENTS_LABEL` value; raises ValueError when malformed."""
    out = []
    for entry in value.split():
        reference, at, digest = entry.rpartition("@")
        if not at or not reference or ":" not in digest:
            raise ValueError(f"{entry!r} is not REFERENCE@DIGEST")
        try:
            parse_reference(reference)
        except ReferenceError as exc:
            raise ValueError(f"{reference!r}: {exc}") from None
        out.append(BuiltFrom(reference, digest))
    return out


def built_from(labels: Mapping[str, str]) -> list[BuiltFrom] | None:
    """The parents an image's labels record, or ``None`` when it carries no record."""
    value = labels.get(PARENTS_LABEL)
    if value is None:
        return None
    return parse_parents_label(value)
