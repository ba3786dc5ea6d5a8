"""The registries a build logs in to, and the credentials it binds for each.

A build pushes to its own registry and pulls its parents (every ``FROM`` and every stage or
``COPY --from`` image). Inside its per-build ``DOCKER_CONFIG`` it holds only the logins it makes
itself, so a parent in another private registry can be pulled only if the build logs in there
too. It logs in to:

- its push registry, with the registry's ``credentials`` (bound as ``REGISTRY_USER`` /
  ``REGISTRY_PASSWORD``); a push login also serves pulls from the same host;
- the registry of every listed parent (the inventory pushes it, so the inventory knows where);
- the registry of an external parent written with a registry host the inventory lists
  (``registry.example.org/team/base:1``).

Each pull-only registry is logged in to with its ``pull_credentials`` (else its ``credentials``),
bound as ``PULL_USER_<n>`` / ``PULL_PASSWORD_<n>``, numbered in host order. External images
written without a host (``debian:bookworm``: Docker Hub, public) need no login. The XML holds only
the credentials ids; the values exist only inside the build's credentials binding.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from jenkins_docker.loading.inventory import Image, Inventory, Registry
from jenkins_docker.loading.reference import ReferenceError, parse_reference

#: Variables the push registry's credentials are bound to.
PUSH_USER = "REGISTRY_USER"
PUSH_PASSWORD = "REGISTRY_PASSWORD"


@dataclass(frozen=True)
class RegistryLogin:
    """One ``docker login`` of a build: the host, the credentials id and the variables it binds."""

    host: str
    registry: str            # the registry's name in the inventory
    credentials: str         # Jenkins credentials id (username/password)
    username_variable: str
    password_variable: str
    push: bool               # the build pushes here (else it only pulls)


def pull_registries(inventory: Inventory, image: Image) -> list[Registry]:
    """The registries the inventory knows that ``image``'s build pulls a parent from, by host.

    Its own push registry is left out (its login serves pulls too), and so is every external
    parent written without a registry host the inventory lists.
    """
    by_host = {registry.host: registry for registry in reversed(list(inventory.registries.values()))}
    found: dict[str, Registry] = {}
    for parent in image.parents:
        registry: Registry | None
        if parent.image is not None:
            registry = inventory.images[parent.image].registry
        else:
            registry = by_host.get(_explicit_host(parent.reference) or "")
        if registry is not None and registry.host != image.registry.host:
            found.setdefault(registry.host, registry)
    return [found[host] for host in sorted(found)]


def registry_logins(inventory: Inventory, image: Image) -> list[RegistryLogin]:
    """Every login ``image``'s build makes: its push registry first, then each pull registry."""
    push = image.registry
    logins = [RegistryLogin(push.host, push.name, push.credentials, PUSH_USER, PUSH_PASSWORD, True)]
    for number, registry in enumerate(pull_registries(inventory, image), start=1):
        logins.append(RegistryLogin(registry.host, registry.name, registry.pull_credentials or registry.credentials,
                                    f"PULL_USER_{number}", f"PULL_PASSWORD_{number}", False))
    return logins


def _explicit_host(reference: str) -> str | None:
    """The registry host a reference names, or None when it names none (Docker Hub by default)."""
    try:
        ref = parse_reference(reference)
    except ReferenceError:  # pragma: no cover - parents were parsed on load
        return None
    return ref.domain.lower() if ref.explicit_domain else None


def env_name(registry_name: str) -> str:
    """``REGISTRY_<NAME>``: the prefix of a registry's credential variables, in a build and for ``outdated`` alike."""
    return "REGISTRY_" + re.sub(r"[^A-Z0-9]", "_", registry_name.upper())
