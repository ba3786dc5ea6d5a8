"""Docker image references: the cases of Docker's own reference grammar tests, normalised."""
from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jenkins_docker.errors import JenkinsDockerError
from jenkins_docker.loading.reference import ImageReference, ReferenceError, parse_reference

F64 = "f" * 64
SHA = "sha256:" + F64
HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"


# (input, domain, path, tag, digest): Docker's valid parse cases, with the Docker Hub defaults
# ParseNormalizedNamed applies.
VALID = [
    ("test_com", "docker.io", "library/test_com", None, None),
    ("test.com:tag", "docker.io", "library/test.com", "tag", None),
    ("test.com:5000", "docker.io", "library/test.com", "5000", None),
    ("test.com/repo:tag", "test.com", "repo", "tag", None),
    ("test:5000/repo", "test:5000", "repo", None, None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    (f"test:5000/repo@{SHA}", "test:5000", "repo", None, SHA),
    (f"test:5000/repo:tag@{SHA}", "test:5000", "repo", "tag", SHA),
    ("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", None),
    ("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", None, None),
    ("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", None),
    ("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app", "test.example.com", None),
    ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", None),
    ("xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128, "xn--7o8h.com", "myimage", "xn--7o8h.com", "sha512:" + "f" * 128),
    ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", None),
    ("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", None),
    ("192.168.1.1", "docker.io", "library/192.168.1.1", None, None),
    ("192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", None),
    ("192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", None),
    ("192.168.1.1/repo", "192.168.1.1", "repo", None, None),
    ("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", None, None),
    ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", None),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", None, None),
    ("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    ("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", None, None),
    ("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", None),
    (f"[2001:db8::1]:5000/repo@{SHA}", "[2001:db8::1]:5000", "repo", None, SHA),
    (f"[2001:db8::1]:5000/repo:tag@{SHA}", "[2001:db8::1]:5000", "repo", "tag", SHA),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", None, None),
    ("[::1]:5000/repo", "[::1]:5000", "repo", None, None),
    ("example.com:8000/named", "example.com:8000", "named", None, None),
    ("other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112",
     "other.com", "named", None, "sha256:1234567890098765432112345667890098765432112345667890098765432112"),
    ("debian@sha384:" + "a" * 96, "docker.io", "library/debian", None, "sha384:" + "a" * 96),
    # a 64-hex name is fine once a registry host removes the ambiguity with an image ID
    (f"docker.io/{HEX64}", "docker.io", f"library/{HEX64}", None, None),
    (f"{HEX64}:tag", "docker.io", f"library/{HEX64}", "tag", None),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), VALID)
def test_valid_reference_parses_into_its_normalised_parts(
        text: str, domain: str, path: str, tag: str | None, digest: str | None) -> None:
    ref = parse_reference(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert ref.pinned is (digest is not None)


# Docker's TestValidateReferenceName and TestValidateRemoteName lists of valid names.
VALID_NAMES = [
    "docker/docker", "library/debian", "debian", "localhost/library/debian", "localhost/debian",
    "LOCALDOMAIN/library/debian", "LOCALDOMAIN/debian", "docker.io/docker/docker",
    "docker.io/library/debian", "docker.io/debian", "index.docker.io/docker/docker",
    "index.docker.io/library/debian", "index.docker.io/debian", "127.0.0.1:5000/docker/docker",
    "127.0.0.1:5000/library/debian", "127.0.0.1:5000/debian", "192.168.0.1", "192.168.0.1:80",
    "192.168.0.1:8/debian", "192.168.0.2:25000/debian",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "[fc00::1]:5000/docker", "[fc00::1]:5000/docker/docker",
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "Docker/docker", "DOCKER/docker",
    "docker-rules/docker", "docker---rules/docker", "doc/docker", "d/docker", "jess/t",
    "dock__er/docker", "a.b-c_d__e---f", "ns/a.b-c_d__e---f",
]


@pytest.mark.parametrize("text", VALID_NAMES)
def test_docker_accepts_these_repository_names_and_so_do_we(text: str) -> None:
    ref = parse_reference(text)
    assert ref.tag is None or text.endswith(f":{ref.tag}")
    assert str(ref).startswith(ref.domain + "/")


def test_the_longest_path_docker_allows_is_255_characters_whatever_the_host() -> None:
    path = "a/" * 127 + "a"
    assert len(path) == 255
    ref = parse_reference(path + ":tag-puts-this-over-max")
    assert (ref.domain, ref.path, ref.tag) == ("docker.io", path, "tag-puts-this-over-max")
    assert parse_reference("registry.example.org:5000/" + path).path == path


# (input, a substring of the reason): Docker's invalid cases; each reason names the bad part.
INVALID = [
    ("", "reference is empty"),
    (":justtag", "empty component"),
    (f"@{SHA}", "empty component"),
    ("repo@sha256:" + "f" * 34, "sha256 digest length: expected 64 hex digits, got 34"),
    (f"validname@invaliddigest:{F64}", "unsupported digest algorithm 'invaliddigest'"),
    ("Uppercase:tag", "repository name must be lowercase: 'library/Uppercase'"),
    ("test:5000/Uppercase/lowercase:tag", "repository name must be lowercase: 'Uppercase/lowercase'"),
    ("docker/Docker", "must be lowercase"),
    ("docker.io/docker/Docker", "must be lowercase"),
    ("Debian@" + SHA, "must be lowercase"),
    ("a/" * 128 + "a:tag", "must not be more than 255 characters (it has 257)"),
    ("aa/asdf$$^/aa", "invalid repository name component 'asdf$$^'"),
    ("[2001:db8::1]", "invalid repository name component"),
    ("[2001:db8::1]:5000", "invalid repository name component"),
    ("[2001:db8::1]:tag", "invalid repository name component"),
    ("[fe80::1%eth0]:5000/repo", "invalid registry host '[fe80::1%eth0]:5000'"),
    ("[fe80::1%@invalidzone]:5000/repo", "invalid registry host"),
    ("https://github.com/docker/docker", "invalid registry host 'https:'"),
    ("-docker", "invalid repository name component '-docker'"),
    ("-docker/docker", "'-docker'"),
    ("-docker.io/docker/docker", "invalid registry host '-docker.io'"),
    ("docker///docker", "empty component"),
    ("docker.io/docker///docker", "empty component"),
    ("docker/", "empty component"),
    ("[fc00::1]", "invalid repository name component"),
    ("[fc00::1]:5000", "invalid repository name component"),
    ("fc00::1:5000/debian", "invalid registry host 'fc00::1:5000'"),
    ("[fe80::1%eth0]:5000/debian", "invalid registry host"),
    ("[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid registry host"),
    (HEX64, "cannot specify 64-byte hexadecimal strings"),
    ("docker-/docker", "'docker-'"),
    ("-docker-/docker", "'-docker-'"),
    ("____/____", "'____'"),
    ("_docker/_docker", "'_docker'"),
    ("dock..er/docker", "'dock..er'"),
    ("dock_.er/docker", "'dock_.er'"),
    ("dock-.er/docker", "'dock-.er'"),
    ("_".join(["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"] * 4) + "/docker",
     "must not be more than 255 characters"),
    ("debian:", "tag is empty"),
    ("debian:-bookworm", "invalid tag '-bookworm'"),
    ("debian:.hidden", "invalid tag '.hidden'"),
    ("debian:" + "a" * 129, "invalid tag"),
    ("debian:book/worm", "invalid registry host 'debian:book'"),
    ("debian@", "digest is empty"),
    ("debian@sha256", "invalid digest 'sha256'"),
    ("debian@sha256:" + "F" * 64, "hex digits must be lowercase"),
    ("debian@sha256:" + "f" * 31, "invalid digest"),
    ("debian@md5:" + "f" * 32, "unsupported digest algorithm 'md5'"),
    ("debian@SHA256:" + F64, "invalid digest algorithm 'SHA256'"),
    ("a@b@c", "at most one '@'"),
    ("debian bookworm", "invalid repository name component 'debian bookworm'"),
    # Docker's parser would read this as a path with no registry at all; docker pull can't use it
    ("foo_bar.com/x", "invalid registry host 'foo_bar.com'"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_reference_is_refused_with_a_reason_naming_the_bad_part(text: str, reason: str) -> None:
    with pytest.raises(ReferenceError) as caught:
        parse_reference(text)
    assert reason in str(caught.value)


def test_reference_error_is_a_value_error_and_a_jenkins_docker_error() -> None:
    with pytest.raises(ValueError):
        parse_reference("UPPER")
    with pytest.raises(JenkinsDockerError):
        parse_reference("UPPER")


def test_non_string_input_is_refused_as_a_reference_error() -> None:
    with pytest.raises(ReferenceError, match="must be a string"):
        parse_reference(None)  # type: ignore[arg-type]


# Docker's TestParseRepositoryInfo: (path, familiar name, full name, another spelling, domain).
REPOSITORY_INFO = [
    ("fooo", "localhost/fooo", "localhost/fooo", None, "localhost"),
    ("fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar", None, "localhost"),
    ("fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", None, "LOCALDOMAIN"),
    ("fooo/bar", "LOCALDOMAIN/fooo/bar", "LOCALDOMAIN/fooo/bar", None, "LOCALDOMAIN"),
    ("fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io"),
    ("library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io"),
    ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", None, "docker.io"),
    ("other/library", "other/library", "docker.io/other/library", None, "docker.io"),
    ("private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", None, "127.0.0.1:8000"),
    ("privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", None, "127.0.0.1:8000"),
    ("private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", None, "example.com"),
    ("privatebase", "example.com/privatebase", "example.com/privatebase", None, "example.com"),
    ("private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", None, "example.com:8000"),
    ("privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", None, "example.com:8000"),
    ("library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base",
     "index.docker.io/library/ubuntu-12.04-base", "docker.io"),
    ("library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"),
    ("library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", None, "docker.io"),
    ("store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", None, "docker.io"),
    ("bar", "Foo/bar", "Foo/bar", None, "Foo"),
    ("bar", "FOO/bar", "FOO/bar", None, "FOO"),
]


@pytest.mark.parametrize(("path", "familiar", "full", "other", "domain"), REPOSITORY_INFO)
def test_every_spelling_of_a_repository_normalises_to_one_name_and_one_familiar_name(
        path: str, familiar: str, full: str, other: str | None, domain: str) -> None:
    for text in filter(None, (familiar, full, other)):
        ref = parse_reference(text)
        assert (ref.domain, ref.path) == (domain, path)
        assert ref.name == full
        assert str(ref) == full
        assert ref.familiar_name == familiar
        assert ref.familiar() == familiar


@pytest.mark.parametrize(("text", "full", "familiar"), [
    ("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
     "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
     "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"),
    ("index.docker.io/acme/nginx:1.2", "docker.io/acme/nginx:1.2", "acme/nginx:1.2"),
    ("docker.io/debian:bookworm", "docker.io/library/debian:bookworm", "debian:bookworm"),
    ("registry.example.org:5000/x/y:1", "registry.example.org:5000/x/y:1", "registry.example.org:5000/x/y:1"),
    (f"localhost/app@{SHA}", f"localhost/app@{SHA}", f"localhost/app@{SHA}"),
])
def test_str_is_fully_normalised_and_familiar_drops_docker_hub_defaults(text: str, full: str, familiar: str) -> None:
    ref = parse_reference(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


@pytest.mark.parametrize(("text", "explicit"), [
    ("debian", False), ("acme/nginx", False), ("library/debian", False),
    ("docker.io/debian", True), ("index.docker.io/debian", True), ("localhost/x", True),
    ("registry.example.org/x", True), ("host:5000/x", True), ("Foo/bar", True),
])
def test_explicit_domain_records_whether_the_text_named_a_registry(text: str, explicit: bool) -> None:
    assert parse_reference(text).explicit_domain is explicit


def test_no_default_tag_is_added() -> None:
    ref = parse_reference("debian")
    assert ref.tag is None and ref.digest is None and not ref.pinned
    assert str(ref) == "docker.io/library/debian"


def test_references_are_frozen_and_compare_by_value() -> None:
    ref = parse_reference("debian:12")
    assert ref == ImageReference("docker.io", "library/debian", "12", None, False)
    assert ref != parse_reference("docker.io/library/debian:12")  # explicit_domain differs
    assert ref.name == parse_reference("docker.io/library/debian:12").name
    with pytest.raises(AttributeError):
        ref.tag = "13"  # type: ignore[misc]


# -- properties -------------------------------------------------------------------------------

# Components and hosts covering every separator and host form; drawing from fixed pools keeps
# the property fast while the combinations stay varied.
_FIRST_COMPONENTS = ["a", "0", "abc", "a_b", "a__b", "a-b", "a---b", "x1_y2-z3"]
_COMPONENT = st.sampled_from([*_FIRST_COMPONENTS, "a.b", "a1.b2_c3", "9.z-0"])
# Without a host, a first component with a "." would be read as the host, as Docker does.
_FIRST_COMPONENT = st.sampled_from(_FIRST_COMPONENTS)
_DOMAIN = st.sampled_from([
    "localhost", "localhost:5000", "example.com", "Registry.Example.org:443", "a-b.c9", "127.0.0.1:5000",
    "xn--n3h.com", "[fc00::1]", "[fc00::1]:5000", "[2001:db8:1:2:3:4:5:6]", "Z", "UPPER",
])
_TAG = st.sampled_from(["latest", "1.2", "Bookworm_20240101", "_", "0", "a-b.c", "x" * 128])
_DIGEST = st.sampled_from(["sha256:" + "0123456789abcdef" * 4, "sha512:" + "f" * 128, "sha384:" + "e" * 96])


@st.composite
def _references(draw: st.DrawFn) -> str:
    domain = draw(st.none() | _DOMAIN)
    first = draw(_COMPONENT if domain else _FIRST_COMPONENT)
    path = "/".join([first, *draw(st.lists(_COMPONENT, max_size=3))])
    text = path if domain is None else f"{domain}/{path}"
    if draw(st.booleans()):
        text += ":" + draw(_TAG)
    if draw(st.booleans()):
        text += "@" + draw(_DIGEST)
    return text


def _parts(ref: ImageReference) -> tuple[str, str, str | None, str | None]:
    return ref.domain, ref.path, ref.tag, ref.digest


@given(_references())
def test_property_normalised_and_familiar_forms_parse_back_to_the_same_reference(text: str) -> None:
    # every generated text is valid by construction
    ref = parse_reference(text)
    again = parse_reference(str(ref))
    assert _parts(again) == _parts(ref)
    assert str(again) == str(ref)
    first = ref.familiar_name.split("/", 1)[0]
    # Docker's familiar form is itself ambiguous when a Docker Hub namespace looks like a host.
    assume("/" not in ref.familiar_name or not ("." in first or ":" in first or first == "localhost"))
    assert _parts(parse_reference(ref.familiar())) == _parts(ref)


@given(st.text(alphabet="aZ0:/@._-[]%$ \x00é", max_size=40) | st.text(max_size=40))
def test_property_arbitrary_text_parses_or_raises_reference_error_only(text: str) -> None:
    try:
        ref = parse_reference(text)
    except ReferenceError as exc:
        assert str(exc)
    else:
        assert parse_reference(str(ref)).name == ref.name
