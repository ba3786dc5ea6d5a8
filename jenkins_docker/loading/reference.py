"""Docker image references: parsing, normalisation and the familiar (short) form.

This follows the grammar of Docker's ``distribution/reference`` package, which ``docker pull``,
``docker build`` and BuildKit use to read an image name::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [ domain "/" ] path
    domain           := host [ ":" port ]           host: DNS-like name, IPv4, or [IPv6]
    path             := path-component [ "/" path-component ]*
    path-component   := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag              := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest           := algorithm ":" hex            (sha256: 64, sha384: 96, sha512: 128 hex)

and Docker's normalisation: the first path component is the registry host only when it looks
like one (it has a "." or a ":", is ``localhost``, or has an uppercase letter); otherwise the
image lives on Docker Hub (``docker.io``), where single-component names are official images
under ``library/``. ``index.docker.io`` is the legacy name of ``docker.io``.

One corner where Docker is inconsistent is resolved towards what ``docker pull`` can fetch: a
first component that has to be a host (it has a "." or ":") but is not a valid host name, such as
``foo_bar.com/x``, is rejected; Docker's parser accepts it as a path with no registry at all.
As in current Docker, the 255-character limit applies to the repository path, not to the host.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from jenkins_docker.errors import JenkinsDockerError

__all__ = ["DEFAULT_DOMAIN", "ImageReference", "ReferenceError", "parse_reference"]

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DEFAULT_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_LOCALHOST = "localhost"
# Docker limits the repository path (not the registry host) to 255 characters.
_PATH_MAX = 255

# re.ASCII: Docker's patterns are Go regexps, where \w and character classes are ASCII-only.
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", re.ASCII)
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?", re.ASCII
)
_TAG = re.compile(r"\w[\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}", re.ASCII)
# The looser digest syntax of the OCI go-digest library: it tells an unknown algorithm
# ("unsupported") apart from a malformed digest.
_OCI_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", re.ASCII)
_IDENTIFIER = re.compile(r"[a-f0-9]{64}", re.ASCII)
# The algorithms Docker registers; any other algorithm is refused, as `docker pull` does.
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+", re.ASCII)


class ReferenceError(JenkinsDockerError, ValueError):
    """A text is not a valid Docker image reference; ``str(error)`` is a short reason."""


@dataclass(frozen=True)
class ImageReference:
    """A parsed and normalised image reference.

    ``domain`` and ``path`` are always normalised (``debian`` is ``docker.io`` +
    ``library/debian``); ``explicit_domain`` records whether the text named a registry host.
    Compare references by :attr:`name` (the repository) or ``str()`` (the whole reference):
    two spellings of one image differ in ``explicit_domain``.
    """

    domain: str
    path: str
    tag: str | None
    digest: str | None
    explicit_domain: bool

    @property
    def name(self) -> str:
        """The normalised repository without tag or digest, e.g. ``docker.io/library/debian``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The repository as Docker shows it: ``debian``, ``acme/nginx``, ``host:5000/x/y``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(_OFFICIAL_PREFIX):
            short = self.path[len(_OFFICIAL_PREFIX):]
            # Docker keeps "library/" when more components follow: it is then a plain namespace.
            if "/" not in short:
                return short
        return self.path

    @property
    def pinned(self) -> bool:
        """True when the reference names a digest, so it always pulls the same content."""
        return self.digest is not None

    def familiar(self) -> str:
        """The whole reference in its familiar form, e.g. ``debian:bookworm``."""
        return self.familiar_name + self._suffix()

    def __str__(self) -> str:
        """The whole reference, fully normalised, e.g. ``docker.io/library/debian:bookworm``."""
        return self.name + self._suffix()

    def _suffix(self) -> str:
        text = ""
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_reference(text: str) -> ImageReference:
    """Parse and normalise a Docker image reference such as ``debian:bookworm``.

    Accepts exactly what Docker's ``ParseNormalizedNamed`` accepts (see the module docstring for
    the one deliberate exception) and raises :class:`ReferenceError` with a short reason that
    names the offending part otherwise. No default tag is added: ``tag`` is None when none was
    written.
    """
    if not isinstance(text, str):
        raise ReferenceError(f"reference must be a string, not {type(text).__name__}")
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ImageReference:
    """:func:`parse_reference` of a string, remembered (references are immutable): loading and
    rendering an inventory parse the same references thousands of times."""
    if text == "":
        raise ReferenceError("reference is empty")
    if _IDENTIFIER.fullmatch(text):
        # An image ID and a repository name would be indistinguishable.
        raise ReferenceError(
            f"{text!r} is ambiguous: cannot specify 64-byte hexadecimal strings (is it an image ID?)"
        )

    domain, remainder, explicit = _split_domain(text)

    # Docker checks the case of the repository before anything else so that "Debian" gets this
    # reason rather than a generic "invalid format".
    repository = remainder.split(":", 1)[0].split("@", 1)[0]
    if repository.lower() != repository:
        raise ReferenceError(f"repository name must be lowercase: {repository!r}")

    if remainder.count("@") > 1:
        raise ReferenceError("a reference has at most one '@' (before the digest)")
    left, at, digest = remainder.partition("@")
    if at and digest == "":
        raise ReferenceError("digest is empty after '@'")

    path, tag = left, None
    colon = left.rfind(":")
    # A ":" after the last "/" can only start the tag: path components never contain ":".
    if colon > left.rfind("/"):
        path, tag = left[:colon], left[colon + 1:]
        if tag == "":
            raise ReferenceError("tag is empty after ':'")

    if explicit and not _DOMAIN.fullmatch(domain):
        raise ReferenceError(f"invalid registry host {domain!r}")
    _check_path(path)
    if len(path) > _PATH_MAX:
        raise ReferenceError(
            f"repository name must not be more than {_PATH_MAX} characters (it has {len(path)})"
        )
    if tag is not None and not _TAG.fullmatch(tag):
        raise ReferenceError(
            f"invalid tag {tag!r}: a tag is 1 to 128 letters, digits, '_', '.' or '-' "
            "and cannot start with '.' or '-'"
        )
    if at:
        _check_digest(digest)
    return ImageReference(domain=domain, path=path, tag=tag, digest=digest if at else None,
                          explicit_domain=explicit)


def _split_domain(text: str) -> tuple[str, str, bool]:
    """Docker's ``splitDockerDomain``: (domain, the rest with tag/digest, whether it was written)."""
    first, slash, rest = text.partition("/")
    if not slash:
        # A single component is always a Docker Hub name, even "localhost" or "example.com".
        return DEFAULT_DOMAIN, _OFFICIAL_PREFIX + text, False
    if first == _LEGACY_DEFAULT_DOMAIN:
        domain, remainder, explicit = DEFAULT_DOMAIN, rest, True
    elif first == _LOCALHOST or "." in first or ":" in first or first.lower() != first:
        # Uppercase is never valid in a path, so Docker reads such a component as a host.
        domain, remainder, explicit = first, rest, True
    else:
        domain, remainder, explicit = DEFAULT_DOMAIN, text, False
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = _OFFICIAL_PREFIX + remainder
    return domain, remainder, explicit


def _check_path(path: str) -> None:
    """Raise unless every "/"-separated component of the repository path is valid."""
    for component in path.split("/"):
        if component == "":
            raise ReferenceError(f"repository name {path!r} has an empty component (a stray '/')")
        if not _PATH_COMPONENT.fullmatch(component):
            raise ReferenceError(
                f"invalid repository name component {component!r}: use lowercase letters and "
                "digits, separated by '.', '_', '__' or dashes"
            )


def _check_digest(digest: str) -> None:
    """Raise unless ``digest`` is well formed and uses an algorithm Docker supports."""
    if not _DIGEST.fullmatch(digest):
        raise ReferenceError(
            f"invalid digest {digest!r}: expected <algorithm>:<hex>, e.g. sha256:<64 hex digits>"
        )
    algorithm, _, encoded = digest.partition(":")
    expected = _DIGEST_HEX_LENGTH.get(algorithm)
    if expected is None:
        if _OCI_DIGEST.fullmatch(digest):
            raise ReferenceError(f"unsupported digest algorithm {algorithm!r} (use sha256)")
        raise ReferenceError(f"invalid digest algorithm {algorithm!r} (use sha256)")
    if len(encoded) != expected:
        raise ReferenceError(
            f"invalid {algorithm} digest length: expected {expected} hex digits, got {len(encoded)}"
        )
    if not _LOWER_HEX.fullmatch(encoded):
        raise ReferenceError(f"invalid {algorithm} digest: hex digits must be lowercase")
