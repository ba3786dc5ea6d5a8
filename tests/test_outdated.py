"""`outdated` and `rebuild --outdated` against real registries (Debian's docker-registry on loopback).

Images are pushed through the registry API with the labels their build job records (the same
`provenance` functions the rendered shell is made from), so the registry, not a mock, answers.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers import cli
from helpers import load_text as write
from jenkins_docker.freshness.outdated import NEVER_BUILT, NO_RECORD, find_outdated
from jenkins_docker.freshness.registry import RegistryClient, RegistryCredentials
from jenkins_docker.loading.inventory import Inventory
from jenkins_docker.loading.loader import load
from jenkins_docker.loading.reference import parse_reference
from jenkins_docker.rendering import provenance
from jenkins_docker.rendering.renderer import render
from jenkins_docker.sync.apply import apply
from jenkins_docker.sync.plan import make_plan
from jenkins_docker.sync.targets.remote import Credentials, RemoteJenkins
from jenkins_docker.testing.fake_jenkins import FakeJenkins
from registry_harness import PASSWORD, USER, Registries, Registry, head_digest, namespace, registries  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def platform(regs: Registries, ns: str, *, images: str, registry: Registry | None = None) -> str:
    host = (registry or regs.anonymous).host
    return (f"version: 1\njenkins: {{folder: docker}}\n"
            f"registries:\n  local: {{host: '{host}', credentials: local-push}}\n"
            f"defaults: {{registry: local}}\nbase_images:\n{images}")


def by_host(regs: Registries) -> dict[str, Registry]:
    return {r.host: r for r in (regs.anonymous, regs.basic, regs.token)}


def build(regs: Registries, inventory: Inventory, key: str) -> str:
    """Do what the job of ``key`` does to the registry: resolve each parent now, push with the labels."""
    image = inventory.images[key]
    references = provenance.pull_reference(inventory, image)
    digests = []
    for reference in references:
        ref = parse_reference(reference)
        digests.append(head_digest(by_host(regs)[ref.domain], ref.path, ref.tag or "latest"))
    labels = {provenance.BASE_NAME_LABEL: references[-1], provenance.BASE_DIGEST_LABEL: digests[-1],
              provenance.PARENTS_LABEL: " ".join(f"{r}@{d}" for r, d in zip(references, digests))}
    target = by_host(regs)[image.registry.host]
    return target.push_image(image.repository, labels=labels)


def client_for(inventory: Inventory, environ: dict[str, str] | None = None) -> RegistryClient:
    hosts = {name: registry.host for name, registry in inventory.registries.items()}
    return RegistryClient(RegistryCredentials(hosts, environ=environ or {}, docker_config="/nonexistent/config.json"))


def check(inventory: Inventory, environ: dict[str, str] | None = None) -> Any:
    client = client_for(inventory, environ)
    try:
        return find_outdated(inventory, client, workers=4)
    finally:
        client.close()


# -- the cases of the issue -------------------------------------------------------------------------

def test_images_built_from_the_current_parents_are_fresh(tmp_path, registries, namespace):
    ext = f"{registries.anonymous.host}/{namespace}/debian"
    registries.anonymous.push_image(f"{namespace}/debian", "bookworm")
    inventory = write(tmp_path, platform(registries, namespace, images=(
        f"  {namespace}/base: {{git: g, from: '{ext}:bookworm'}}\n"
        f"  {namespace}/web: {{git: g, from: {namespace}/base}}\n")))
    build(registries, inventory, f"{namespace}/base")
    build(registries, inventory, f"{namespace}/web")
    report = check(inventory)
    assert (report.outdated, report.unknown, report.errors) == ([], [], [])
    assert sorted(report.fresh) == [f"{namespace}/base", f"{namespace}/web"]
    assert report.exit_code(detailed=True) == 0


def test_an_external_parent_that_moved_makes_its_image_outdated_with_old_and_new_digests(tmp_path, registries, namespace):
    registries.anonymous.push_image(f"{namespace}/debian", "bookworm")
    ext = f"{registries.anonymous.host}/{namespace}/debian:bookworm"
    inventory = write(tmp_path, platform(registries, namespace, images=(
        f"  {namespace}/base: {{git: g, from: '{ext}'}}\n"
        f"  {namespace}/web: {{git: g, from: {namespace}/base}}\n")))
    build(registries, inventory, f"{namespace}/base")
    build(registries, inventory, f"{namespace}/web")
    old = head_digest(registries.anonymous, f"{namespace}/debian", "bookworm")
    new = registries.anonymous.push_image(f"{namespace}/debian", "bookworm")   # the security update
    report = check(inventory)
    assert report.to_json()["outdated"] == [{"image": f"{namespace}/base", "parents": [{"name": ext, "built_from": old, "current": new}]}]
    assert report.fresh == [f"{namespace}/web"]    # built from the base as it still is
    assert report.exit_code(detailed=True) == 2 and report.exit_code(detailed=False) == 0


def test_an_internal_parent_rebuilt_makes_its_children_outdated(tmp_path, registries, namespace):
    registries.anonymous.push_image(f"{namespace}/debian", "bookworm")
    inventory = write(tmp_path, platform(registries, namespace, images=(
        f"  {namespace}/base: {{git: g, from: '{registries.anonymous.host}/{namespace}/debian:bookworm'}}\n"
        f"  {namespace}/web: {{git: g, from: {namespace}/base}}\n")))
    first = build(registries, inventory, f"{namespace}/base")
    build(registries, inventory, f"{namespace}/web")
    second = build(registries, inventory, f"{namespace}/base")     # a push to the base's repository
    report = check(inventory)
    base_ref = f"{registries.anonymous.host}/{namespace}/base:latest"
    assert report.to_json()["outdated"] == [{"image": f"{namespace}/web", "parents": [{"name": base_ref, "built_from": first, "current": second}]}]


@pytest.fixture
def diamond(tmp_path: Path, registries: Registries, namespace: str) -> Iterator[tuple[Inventory, Path]]:
    """ext -> a -> (b, c) -> d, all built; then ext moved and b and c rebuilt (d was not)."""
    ns = namespace
    registries.anonymous.push_image(f"{ns}/ext", "1")
    inventory = write(tmp_path, platform(registries, ns, images=(
        f"  {ns}/a: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1'}}\n"
        f"  {ns}/b: {{git: g, from: {ns}/a}}\n"
        f"  {ns}/c: {{git: g, from: {ns}/a}}\n"
        f"  {ns}/d: {{git: g, from: [{ns}/b, {ns}/c]}}\n")))
    for key in ("a", "b", "c", "d"):
        build(registries, inventory, f"{ns}/{key}")
    registries.anonymous.push_image(f"{ns}/ext", "1")
    build(registries, inventory, f"{ns}/b")
    build(registries, inventory, f"{ns}/c")
    yield inventory, tmp_path / "inventory.yml"


def test_a_diamond_whose_both_parents_moved_lists_each_image_once(diamond, namespace, registries):
    inventory, _ = diamond
    report = check(inventory)
    outdated = {item.image: [p.name.rsplit("/", 1)[1] for p in item.parents] for item in report.outdated}
    assert outdated == {f"{namespace}/a": ["ext:1"], f"{namespace}/d": ["b:latest", "c:latest"]}
    assert len(report.outdated) == 2


def test_rebuild_outdated_queues_only_the_topmost_outdated_image(diamond, namespace, fake_jenkins: FakeJenkins):
    inventory, path = diamond
    target = RemoteJenkins(fake_jenkins.url, Credentials("admin", "admin-token"))
    apply(make_plan(render(inventory), target, folder="docker"), target)
    done = cli("rebuild", "--outdated", str(path), "--jenkins", fake_jenkins.url,
               env={"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"})
    assert done.returncode == 0, done.stderr
    job = f"docker/{namespace}-a"
    assert fake_jenkins.queue() == [job]             # d is below a: the cascade rebuilds it once
    assert f"queued {job}" in done.stdout
    assert "2 outdated" in done.stderr


def test_rebuild_outdated_never_queues_a_disabled_image_and_queues_the_next_outdated_below_it(diamond, namespace,
                                                                                             fake_jenkins: FakeJenkins):
    _, path = diamond
    path.write_text(path.read_text(encoding="utf-8").replace(f"  {namespace}/a: {{git: g,", f"  {namespace}/a: {{disabled: true, git: g,"),
                    encoding="utf-8")
    inventory = load(path)
    assert inventory.graph.disabled(f"{namespace}/a")
    target = RemoteJenkins(fake_jenkins.url, Credentials("admin", "admin-token"))
    apply(make_plan(render(inventory), target), target)
    done = cli("rebuild", "--outdated", str(path), "--jenkins", fake_jenkins.url,
               env={"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"})
    assert done.returncode == 0, done.stderr
    assert fake_jenkins.queue() == [f"docker/{namespace}-d"]   # a builds nothing; d, outdated too, is queued itself
    assert f"not queued docker/{namespace}-a: disabled in the inventory" in done.stderr


def test_a_multi_stage_image_whose_copy_from_image_moved_is_outdated(tmp_path, registries, namespace):
    ns = namespace
    registries.anonymous.push_image(f"{ns}/tools", "1")
    registries.anonymous.push_image(f"{ns}/runtime", "1")
    tools = f"{registries.anonymous.host}/{ns}/tools:1"
    inventory = write(tmp_path, platform(registries, ns, images=(
        f"  {ns}/app: {{git: g, from: ['{tools}', '{registries.anonymous.host}/{ns}/runtime:1']}}\n")))
    build(registries, inventory, f"{ns}/app")
    assert check(inventory).fresh == [f"{ns}/app"]
    registries.anonymous.push_image(f"{ns}/tools", "1")
    report = check(inventory)
    assert [(o.image, [p.name for p in o.parents]) for o in report.outdated] == [(f"{ns}/app", [tools])]


def test_images_never_built_or_built_without_labels_are_unknown_not_outdated(tmp_path, registries, namespace):
    ns = namespace
    registries.anonymous.push_image(f"{ns}/ext", "1")
    inventory = write(tmp_path, platform(registries, ns, images=(
        f"  {ns}/old: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1'}}\n"
        f"  {ns}/new: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1'}}\n")))
    registries.anonymous.push_image(f"{ns}/old")             # pushed by a job that recorded nothing
    report = check(inventory)
    assert report.to_json()["unknown"] == [{"image": f"{ns}/old", "reason": NO_RECORD}, {"image": f"{ns}/new", "reason": NEVER_BUILT}]
    assert report.outdated == [] and report.exit_code(detailed=True) == 0


def test_a_multi_platform_parent_is_compared_by_its_index_digest(tmp_path, registries, namespace):
    ns = namespace
    index = registries.anonymous.push_index(f"{ns}/multi", "1")
    inventory = write(tmp_path, platform(registries, ns, images=(
        f"  {ns}/base: {{git: g, from: '{registries.anonymous.host}/{ns}/multi:1'}}\n")))
    build(registries, inventory, f"{ns}/base")
    assert check(inventory).fresh == [f"{ns}/base"]
    moved = registries.anonymous.push_index(f"{ns}/multi", "1")
    (item,) = check(inventory).outdated
    assert (item.parents[0].built_from, item.parents[0].current) == (index, moved)


def test_an_unreachable_registry_is_one_error_and_the_rest_is_still_reported(tmp_path, registries, namespace):
    ns = namespace
    registries.anonymous.push_image(f"{ns}/ext", "1")
    body = platform(registries, ns, images=(
        f"  {ns}/here: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1'}}\n"
        f"  {ns}/gone1: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1', registry: dead}}\n"
        f"  {ns}/gone2: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1', registry: dead}}\n"))
    body = body.replace("registries:\n", "registries:\n  dead: {host: '127.0.0.1:9', credentials: dead-push}\n")
    inventory = write(tmp_path, body)
    build(registries, inventory, f"{ns}/here")
    registries.anonymous.push_image(f"{ns}/ext", "1")
    report = check(inventory)
    assert [o.image for o in report.outdated] == [f"{ns}/here"]
    assert report.to_json()["errors"] == [{"registry": "127.0.0.1:9", "error": "cannot reach registry 127.0.0.1:9 (Connection refused)",
                                           "images": [f"{ns}/gone1", f"{ns}/gone2"]}]
    assert report.exit_code(detailed=True) == 1
    done = cli("outdated", str(tmp_path / "inventory.yml"), "--format", "json", "--detailed-exitcode")
    assert done.returncode == 1
    assert json.loads(done.stdout)["outdated"][0]["image"] == f"{ns}/here"
    assert done.stderr.count("cannot reach registry 127.0.0.1:9") == 1


def test_a_registry_asking_for_credentials_is_a_clear_401_and_env_credentials_answer_it(tmp_path, registries, namespace):
    ns = namespace
    registries.anonymous.push_image(f"{ns}/ext", "1")
    inventory = write(tmp_path, platform(registries, ns, registry=registries.basic, images=(
        f"  {ns}/base: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1'}}\n")))
    build(registries, inventory, f"{ns}/base")
    (problem,) = check(inventory).errors
    assert problem.error.startswith(f"registry {registries.basic.host} asks for credentials (401) to read {registries.basic.host}/{ns}/base")
    assert "REGISTRY_<NAME>_USER" in problem.error
    wrong = check(inventory, {"REGISTRY_LOCAL_USER": USER, "REGISTRY_LOCAL_PASSWORD": "wrong-password"})
    assert wrong.errors[0].error == f"registry {registries.basic.host} refused the credentials of user 'pusher' (401) for {registries.basic.host}/{ns}/base"
    assert "wrong-password" not in repr(wrong)
    right = check(inventory, {"REGISTRY_LOCAL_USER": USER, "REGISTRY_LOCAL_PASSWORD": PASSWORD})
    assert (right.errors, right.fresh) == ([], [f"{ns}/base"])


def test_a_docker_config_json_login_is_used_for_a_basic_auth_registry(tmp_path, registries, namespace):
    ns = namespace
    registries.anonymous.push_image(f"{ns}/ext", "1")
    inventory = write(tmp_path, platform(registries, ns, registry=registries.basic, images=(
        f"  {ns}/base: {{git: g, from: '{registries.anonymous.host}/{ns}/ext:1'}}\n")))
    build(registries, inventory, f"{ns}/base")
    import base64
    config = tmp_path / "docker" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"auths": {registries.basic.host: {"auth": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}}}))
    done = cli("outdated", str(tmp_path / "inventory.yml"), env={"DOCKER_CONFIG": str(config.parent)})
    assert done.returncode == 0, done.stderr
    assert "0 outdated, 0 unknown, 1 fresh" in done.stdout


def test_bearer_tokens_come_from_the_challenge_realm_once_per_repository_and_stay_with_their_registry(tmp_path, registries, namespace):
    ns = namespace
    token_registry = registries.token
    token_registry.push_image(f"{ns}/ext", "1")
    inventory = write(tmp_path, platform(registries, ns, registry=token_registry, images=(
        f"  {ns}/base: {{git: g, from: '{token_registry.host}/{ns}/ext:1'}}\n"
        f"  {ns}/web: {{git: g, from: {ns}/base}}\n")))
    build(registries, inventory, f"{ns}/base")
    build(registries, inventory, f"{ns}/web")
    assert token_registry.token_server is not None
    seen_before = len(token_registry.token_server.seen)
    report = check(inventory)
    assert report.fresh == [f"{ns}/base", f"{ns}/web"]
    asked = token_registry.token_server.seen[seen_before:]
    scopes = sorted(path.split("scope=")[1].split("&")[0] for path, _ in asked)
    assert scopes == sorted(f"repository%3A{ns}%2F{name}%3Apull" for name in ("base", "web", "ext"))
    assert all(auth is None for _, auth in asked)     # anonymous tokens; no bearer token sent to the realm
    # A 401 challenge is answered once per registry; later repositories get their token first.
    assert report.requests["token"] == 3


def test_outdated_asks_at_most_two_requests_per_image_and_one_per_distinct_external_parent(tmp_path, registries, namespace):
    ns = namespace
    for name in ("e1", "e2"):
        registries.anonymous.push_image(f"{ns}/{name}", "1")
    e1, e2 = (f"{registries.anonymous.host}/{ns}/{n}:1" for n in ("e1", "e2"))
    images = "".join(f"  {ns}/b{i}: {{git: g, from: '{e1 if i % 2 else e2}'}}\n" for i in range(6))
    images += "".join(f"  {ns}/c{i}: {{git: g, from: [{ns}/b{i}, '{e1}']}}\n" for i in range(6))
    inventory = write(tmp_path, platform(registries, ns, images=images))
    for key in inventory.images:
        build(registries, inventory, key)
    report = check(inventory)
    assert len(report.fresh) == 12
    assert sum(report.requests.values()) <= 2 * 12 + 2
    assert report.requests.get("head") == 2     # the two external parents, once each


def test_outdated_text_output_names_the_parent_that_moved(tmp_path, registries, namespace):
    registries.anonymous.push_image(f"{namespace}/ext", "1")
    inventory = write(tmp_path, platform(registries, namespace, images=(
        f"  {namespace}/base: {{git: g, from: '{registries.anonymous.host}/{namespace}/ext:1'}}\n")))
    build(registries, inventory, f"{namespace}/base")
    registries.anonymous.push_image(f"{namespace}/ext", "1")
    done = cli("outdated", str(tmp_path / "inventory.yml"), "--detailed-exitcode")
    assert done.returncode == 2, done.stderr
    assert f"~ {namespace}/base is outdated: {registries.anonymous.host}/{namespace}/ext:1 moved sha256:" in done.stdout
    assert "1 outdated, 0 unknown, 0 fresh" in done.stdout


def test_rebuild_wants_images_or_outdated_but_not_both(tmp_path):
    path = tmp_path / "inventory.yml"
    path.write_text("version: 1\nbase_images:\n  acme/a: {git: g, from: debian, registry: r}\nregistries:\n  r: {host: r.example.org, credentials: c}\n")
    neither = cli("rebuild", str(path), "--jenkins", "http://127.0.0.1:9/")
    both = cli("rebuild", "--outdated", str(path), "acme/a", "--jenkins", "http://127.0.0.1:9/")
    assert (neither.returncode, both.returncode) == (2, 2)
    assert "name the images to rebuild, or pass --outdated" in neither.stderr
    assert "give IMAGE... or --outdated, not both" in both.stderr
