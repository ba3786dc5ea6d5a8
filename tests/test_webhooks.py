"""GitLab webhooks: the URL each job listens at, and ``webhooks --apply`` against a fake GitLab."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import pytest

from helpers import IIIEPE, cli, write
from jenkins_docker.loading.loader import load
from jenkins_docker.sync.webhooks import gitlab_project, hook_marker, hook_url, webhooks
from jenkins_docker.testing.fake_gitlab import FakeGitLab

JENKINS = "https://jenkins.example.org"
GITLAB_TOKEN = "glpat-Zq8vT3sEcReT"
SECRET = "hook-secret-9Xk2"
IIIEPE_PROJECTS = ["docker/nginx", "docker/nginx-php", "docker/nginx-drupal6", "docker/images", "docker/nodejs", "web/website",
                   "web/intranet", "web/courses", "node/api", "node/notifier", "ops/docker-inventory"]
MONOREPO = """\
version: 1
jenkins: {folder: ops/docker, gitlab_connection: gitlab}
registries: {r: {host: registry.example.org, credentials: push}}
defaults: {registry: r}
base_images:
  acme/base: {git: "ssh://git@gitlab.example.org:2222/platform/images.git", from: debian, context: base}
  acme/tools: {git: "ssh://git@gitlab.example.org:2222/platform/images.git", from: acme/base, context: tools}
apps:
  shop: {git: "https://gitlab.example.org/web/shop.git", from: acme/tools}
"""


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    fake = FakeGitLab(tokens=[GITLAB_TOKEN]).start()
    try:
        yield fake
    finally:
        fake.stop()


#: The GitLab the example's repositories are on (the fake answers for it, as a proxy on loopback).
GITLAB = "http://gitlab.iiiepe.net"


def apply(gitlab: FakeGitLab, *extra: str, inventory: Path = IIIEPE, secret: str | None = SECRET, fmt: str = "json",  # type: ignore[no-untyped-def]
          gitlab_url: str | None = None):
    env = {"GITLAB_TOKEN": GITLAB_TOKEN, **({"JENKINS_WEBHOOK_TOKEN": secret} if secret else {}), **gitlab.proxy_env()}
    if gitlab_url is None:
        gitlab_url = GITLAB if inventory == IIIEPE else "http://gitlab.example.org"
    return cli("webhooks", str(inventory), "--jenkins", JENKINS, "--apply", "--gitlab", gitlab_url, "--format", fmt, *extra, env=env)


def statuses(stdout: str) -> dict[str, str]:
    return {hook["job"]: hook["status"] for hook in json.loads(stdout)["hooks"]}


# -- where the hooks point ----------------------------------------------------------------

@pytest.mark.parametrize(("git_url", "project"), [
    ("git@gitlab.example.org:group/name.git", "group/name"),
    ("git@gitlab.example.org:group/sub/name.git", "group/sub/name"),
    ("ssh://git@gitlab.example.org:2222/group/name.git", "group/name"),
    ("ssh://git@gitlab.example.org/group/sub/name", "group/sub/name"),
    ("https://gitlab.example.org/group/name.git", "group/name"),
    ("https://gitlab.example.org/group/name/", "group/name"),
    ("git@gitlab.example.org:name.git", None),
    ("/srv/git/images.git", None),
    ("file:///srv/git/group/images.git", None),
])
def test_gitlab_project_is_read_from_scp_ssh_and_https_urls(git_url: str, project: str | None) -> None:
    assert gitlab_project(git_url) == project


def test_hook_url_is_jenkins_project_endpoint_with_each_segment_quoted() -> None:
    assert hook_url("https://ci.example.org/jenkins/", "ops docker/acme-nginx") == "https://ci.example.org/jenkins/project/ops%20docker/acme-nginx"
    assert hook_url(JENKINS, "a%b") == f"{JENKINS}/project/a%25b"


def test_a_monorepo_gets_one_hook_per_image_all_on_that_repository(tmp_path: Path) -> None:
    hooks = webhooks(load(write(tmp_path, MONOREPO)), JENKINS)
    assert [(h.project, h.job) for h in hooks] == [("platform/images", "ops/docker/acme-base"), ("platform/images", "ops/docker/acme-tools"),
                                                   ("web/shop", "ops/docker/shop")]
    assert hooks[1].url == f"{JENKINS}/project/ops/docker/acme-tools"


def test_the_seed_job_repository_gets_a_hook_to_the_seed_job_in_the_folder() -> None:
    seed = [h for h in webhooks(load(IIIEPE), JENKINS) if h.project == "ops/docker-inventory"]
    assert [(h.job, h.url) for h in seed] == [("docker/jenkins-docker-seed", f"{JENKINS}/project/docker/jenkins-docker-seed")]


def test_deploy_jobs_get_no_hook_they_run_after_their_build() -> None:
    jobs = [h.job for h in webhooks(load(IIIEPE), JENKINS)]
    assert "docker/website" in jobs and not any(job.endswith("-deploy") for job in jobs)


# -- listing through the command line -----------------------------------------------------

def test_webhooks_lists_each_repository_with_its_jobs_hook_url() -> None:
    done = cli("webhooks", str(IIIEPE), "--jenkins", JENKINS + "/")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "docker/nginx (git@gitlab.iiiepe.net:docker/nginx.git)"
    assert lines[1] == f"  {JENKINS}/project/docker/iiiepe-nginx"
    assert "11 hooks on 11 repositories" in lines[-1]
    assert "warning" not in done.stderr


def test_webhooks_json_gives_repository_project_job_and_url_of_every_hook() -> None:
    done = cli("webhooks", str(IIIEPE), "--format", "json", env={"JENKINS_URL": JENKINS})
    assert done.returncode == 0, done.stderr
    hooks = json.loads(done.stdout)["hooks"]
    assert len(hooks) == 11
    assert hooks[3] == {"repository": "git@gitlab.iiiepe.net:docker/images.git", "project": "docker/images",
                        "job": "docker/iiiepe-nginx-drupal7", "url": f"{JENKINS}/project/docker/iiiepe-nginx-drupal7"}
    assert [h["project"] for h in hooks] == IIIEPE_PROJECTS


def test_webhooks_warns_that_hooks_start_nothing_without_a_gitlab_connection(tmp_path: Path) -> None:
    path = write(tmp_path, MONOREPO.replace(", gitlab_connection: gitlab", ""))
    done = cli("webhooks", str(path), "--jenkins", JENKINS)
    assert done.returncode == 0
    assert "jenkins.gitlab_connection is not set" in done.stderr


def test_webhooks_without_a_jenkins_url_is_a_usage_error() -> None:
    done = cli("webhooks", str(IIIEPE))
    assert done.returncode == 2 and "--jenkins URL" in done.stderr


# -- --apply against a fake GitLab --------------------------------------------------------

def test_apply_creates_one_hook_per_job_with_push_events_and_the_secret(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        gitlab.add_project(project)
    done = apply(gitlab)
    assert done.returncode == 0, done.stderr
    assert set(statuses(done.stdout).values()) == {"created"}
    hooks = gitlab.hooks("docker/images")
    assert [h["url"] for h in hooks] == [f"{JENKINS}/project/docker/iiiepe-nginx-drupal7"]
    assert (hooks[0]["push_events"], hooks[0]["merge_requests_events"], hooks[0]["enable_ssl_verification"], hooks[0]["token"]) == (True, False, True, SECRET)
    assert len(gitlab.writes()) == 11


def test_apply_puts_every_hook_of_a_monorepo_on_its_one_project(gitlab: FakeGitLab, tmp_path: Path) -> None:
    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    done = apply(gitlab, inventory=write(tmp_path, MONOREPO))
    assert done.returncode == 0, done.stderr
    assert sorted(h["url"] for h in gitlab.hooks("platform/images")) == [f"{JENKINS}/project/ops/docker/acme-base", f"{JENKINS}/project/ops/docker/acme-tools"]


def test_a_second_apply_makes_zero_writes(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        gitlab.add_project(project)
    assert apply(gitlab).returncode == 0
    gitlab.clear_requests()
    again = apply(gitlab, fmt="text")
    assert again.returncode == 0, again.stderr
    assert gitlab.requests and gitlab.writes() == []
    assert "0 created, 0 updated, 11 unchanged" in again.stdout


def test_apply_updates_only_a_hook_whose_settings_differ(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        gitlab.add_project(project)
    stale = gitlab.add_hook("docker/nginx", f"{JENKINS}/project/docker/iiiepe-nginx", push_events=False, merge_requests_events=True)
    other = gitlab.add_hook("docker/nginx", "https://chat.example.org/notify", merge_requests_events=True)
    done = apply(gitlab)
    assert done.returncode == 0, done.stderr
    assert statuses(done.stdout)["docker/iiiepe-nginx"] == "updated"
    hooks = {h["id"]: h for h in gitlab.hooks("docker/nginx")}
    assert len(hooks) == 2
    assert (hooks[stale]["push_events"], hooks[stale]["merge_requests_events"]) == (True, False)
    assert hooks[other]["merge_requests_events"] is True  # not ours: left alone
    assert [w.method for w in gitlab.writes()].count("PUT") == 1


def test_apply_finds_an_existing_hook_beyond_the_first_page(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        gitlab.add_project(project)
    for index in range(24):
        gitlab.add_hook("web/website", f"https://other.example.org/{index}")
    gitlab.add_hook("web/website", f"{JENKINS}/project/docker/website", **MARKED)  # the 25th: on page 2 of 20
    done = apply(gitlab)
    assert statuses(done.stdout)["docker/website"] == "unchanged"
    assert len(gitlab.hooks("web/website")) == 25


def test_a_missing_or_forbidden_project_fails_alone_and_the_run_exits_1(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        if project == "web/website":
            continue
        gitlab.add_project(project, role="developer" if project == "node/api" else "maintainer")
    done = apply(gitlab)
    assert done.returncode == 1
    results = {h["job"]: h for h in json.loads(done.stdout)["hooks"]}
    assert results["docker/website"]["status"] == "failed" and "404 Project Not Found" in results["docker/website"]["error"]
    assert results["docker/api"]["status"] == "failed" and "403 Forbidden" in results["docker/api"]["error"]
    assert sum(r["status"] == "created" for r in results.values()) == 9
    assert len(gitlab.hooks("web/courses")) == 1


def test_apply_text_reports_each_hook_and_the_failures(gitlab: FakeGitLab) -> None:
    gitlab.add_project("docker/nginx")
    done = apply(gitlab, fmt="text")
    assert done.returncode == 1
    assert f"+ created docker/nginx: {JENKINS}/project/docker/iiiepe-nginx" in done.stdout
    assert "! failed web/website:" in done.stdout and "404 Project Not Found" in done.stdout
    assert "1 created, 0 updated, 0 unchanged, 10 failed" in done.stdout


def test_apply_without_gitlab_token_is_a_usage_error(gitlab: FakeGitLab) -> None:
    done = cli("webhooks", str(IIIEPE), "--jenkins", JENKINS, "--apply", "--gitlab", gitlab.url)
    assert done.returncode == 2
    assert "GITLAB_TOKEN" in done.stderr
    assert gitlab.requests == []


def test_apply_without_a_gitlab_url_is_a_usage_error() -> None:
    done = cli("webhooks", str(IIIEPE), "--jenkins", JENKINS, "--apply", env={"GITLAB_TOKEN": GITLAB_TOKEN})
    assert done.returncode == 2 and "--gitlab URL" in done.stderr


def test_a_refused_gitlab_token_is_one_clear_error(gitlab: FakeGitLab) -> None:
    gitlab.tokens = {"some-other-token"}
    done = apply(gitlab, fmt="text")
    assert done.returncode == 1
    assert "refused the token" in done.stderr and "Traceback" not in done.stderr
    assert len(gitlab.requests) == 1  # stops at the first 401 instead of failing every project


def test_an_unreachable_gitlab_is_one_clear_error(tmp_path: Path) -> None:
    inventory = write(tmp_path, MONOREPO.replace("gitlab.example.org", "127.0.0.1"))
    done = cli("webhooks", str(inventory), "--jenkins", JENKINS, "--apply", "--gitlab", "http://127.0.0.1:9", env={"GITLAB_TOKEN": GITLAB_TOKEN})
    assert done.returncode == 1
    assert "cannot reach GitLab at http://127.0.0.1:9" in done.stderr and "Traceback" not in done.stderr


def test_rotate_token_rewrites_the_secret_of_hooks_that_are_otherwise_unchanged(gitlab: FakeGitLab, tmp_path: Path) -> None:
    for project in IIIEPE_PROJECTS:
        gitlab.add_project(project)
    assert apply(gitlab).returncode == 0
    token_file = tmp_path / "hook-token"
    token_file.write_text("rotated-secret\n", encoding="utf-8")
    plain = apply(gitlab, "--secret-token-file", str(token_file))
    assert set(statuses(plain.stdout).values()) == {"unchanged"}  # GitLab hides tokens: no change seen
    rotated = apply(gitlab, "--secret-token-file", str(token_file), "--rotate-token")
    assert set(statuses(rotated.stdout).values()) == {"updated"}
    assert gitlab.hooks("docker/nodejs")[0]["token"] == "rotated-secret"


def test_tokens_never_appear_in_output_or_logs(gitlab: FakeGitLab) -> None:
    gitlab.add_project("docker/nginx")
    gitlab.add_project("node/api", role="developer")
    outputs = []
    for fmt in ("text", "json"):
        done = cli("-vv", "webhooks", str(IIIEPE), "--jenkins", JENKINS, "--apply", "--gitlab", GITLAB, "--format", fmt,
                   env={"GITLAB_TOKEN": GITLAB_TOKEN, "JENKINS_WEBHOOK_TOKEN": SECRET, **gitlab.proxy_env()})
        outputs.append(done.stdout + done.stderr)
    assert "created" in outputs[0] and "DEBUG" in outputs[0]  # the run did work, and logged
    for output in outputs:
        assert GITLAB_TOKEN not in output and SECRET not in output



# -- stale hooks: jobs that left the inventory --------------------------------------------

OLD_JOB = f"{JENKINS}/project/docker/iiiepe-nginx-old"
NOT_OURS = [
    "https://jenkins-old.example.org/project/docker/iiiepe-nginx-old",  # another Jenkins
    f"{JENKINS}/project/web/iiiepe-nginx-old",                          # another folder
    f"{JENKINS}/project/docker-old/iiiepe-nginx-old",                   # a folder sharing the prefix
    f"{JENKINS}/project/docker/sub/iiiepe-nginx-old",                   # a subfolder
    f"{JENKINS}/job/docker/job/iiiepe-nginx-old/build",                 # not the GitLab plugin's endpoint
    "https://chat.example.org/notify",                                  # another service
]


#: What jenkins-docker writes into the hooks it makes for the example (owner: its folder), so
#: that --prune knows them as this inventory's.
MARKED = {"description": hook_marker("docker")}


def seed_iiiepe(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        gitlab.add_project(project)


def test_a_stale_hook_of_this_inventory_is_kept_too_without_prune(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    stale = gitlab.add_hook("docker/nginx", OLD_JOB, **MARKED)   # ours: --prune would delete it
    done = apply(gitlab)
    assert done.returncode == 0, done.stderr
    entries = [h for h in json.loads(done.stdout)["hooks"] if h["status"] == "stale"]
    assert entries == [{"repository": "git@gitlab.iiiepe.net:docker/nginx.git", "project": "docker/nginx",
                        "job": "docker/iiiepe-nginx-old", "url": OLD_JOB, "status": "stale"}]
    assert stale in {h["id"] for h in gitlab.hooks("docker/nginx")}
    assert "DELETE" not in [w.method for w in gitlab.writes()]


def test_a_stale_hook_is_reported_with_its_url_and_kept_without_prune(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    stale = gitlab.add_hook("docker/nginx", OLD_JOB, push_events=False)
    done = apply(gitlab)
    assert done.returncode == 0, done.stderr  # stale alone is not a failure
    entries = [h for h in json.loads(done.stdout)["hooks"] if h["status"] == "stale"]
    assert entries == [{"repository": "git@gitlab.iiiepe.net:docker/nginx.git", "project": "docker/nginx",
                        "job": "docker/iiiepe-nginx-old", "url": OLD_JOB, "status": "stale"}]
    hooks = {h["id"]: h for h in gitlab.hooks("docker/nginx")}
    assert hooks[stale]["url"] == OLD_JOB and hooks[stale]["push_events"] is False  # not even updated
    assert [w.method for w in gitlab.writes()] == ["POST"] * 11
    text = apply(gitlab, fmt="text")
    assert text.returncode == 0, text.stderr
    assert f"? stale docker/nginx: {OLD_JOB}" in text.stdout
    assert "0 created, 0 updated, 11 unchanged, 1 stale (kept; --prune deletes them)." in text.stdout


def test_prune_deletes_a_stale_hook(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    stale = gitlab.add_hook("docker/nginx", OLD_JOB, **MARKED)
    done = apply(gitlab, "--prune", fmt="text")
    assert done.returncode == 0, done.stderr
    assert f"- deleted docker/nginx: {OLD_JOB}" in done.stdout
    assert "11 created, 0 updated, 0 unchanged, 1 deleted." in done.stdout
    assert [h["url"] for h in gitlab.hooks("docker/nginx")] == [f"{JENKINS}/project/docker/iiiepe-nginx"]
    deletes = [w for w in gitlab.writes() if w.method == "DELETE"]
    assert [(w.path, w.status) for w in deletes] == [(f"/api/v4/projects/1/hooks/{stale}", 204)]


def test_prune_never_touches_hooks_to_another_jenkins_folder_or_service(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    for url in NOT_OURS:
        gitlab.add_hook("docker/nginx", url, push_events=False, merge_requests_events=True)
    gitlab.add_hook("docker/nginx", OLD_JOB, **MARKED)
    done = apply(gitlab, "--prune")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["hooks"]
    assert [(h["url"], h["status"]) for h in results if h["status"] in ("stale", "deleted")] == [(OLD_JOB, "deleted")]
    assert not {h["url"] for h in results} & set(NOT_OURS)  # not even reported
    kept = gitlab.hooks("docker/nginx")
    assert sorted(h["url"] for h in kept) == sorted([*NOT_OURS, f"{JENKINS}/project/docker/iiiepe-nginx"])
    assert all((h["push_events"], h["merge_requests_events"]) == (False, True) for h in kept if h["url"] in NOT_OURS)
    assert [w.method for w in gitlab.writes()].count("DELETE") == 1


def test_a_hook_to_a_current_job_on_another_of_its_projects_is_not_stale(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    gitlab.add_hook("docker/nginx", f"{JENKINS}/project/docker/website")  # a job of the inventory, another repository
    done = apply(gitlab, "--prune")
    assert done.returncode == 0, done.stderr
    assert set(statuses(done.stdout).values()) == {"created"}
    assert len(gitlab.hooks("docker/nginx")) == 2


def test_without_a_folder_stale_hooks_are_reported_but_never_deleted(gitlab: FakeGitLab, tmp_path: Path) -> None:
    inventory = write(tmp_path, MONOREPO.replace("folder: ops/docker, ", ""))
    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    gitlab.add_hook("platform/images", f"{JENKINS}/project/acme-old")
    gitlab.add_hook("platform/images", f"{JENKINS}/project/ops/acme-old")  # a job in a folder: not this inventory's
    gitlab.add_hook("platform/images", "https://jenkins-old.example.org/project/acme-old")
    done = apply(gitlab, "--prune", inventory=inventory)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["hooks"]
    assert [(h["project"], h["job"], h["status"]) for h in results if h["status"] in ("stale", "deleted")] == [("platform/images", "acme-old", "stale")]
    assert sorted(h["url"] for h in gitlab.hooks("platform/images")) == sorted([
        f"{JENKINS}/project/acme-base", f"{JENKINS}/project/acme-old", f"{JENKINS}/project/acme-tools",
        f"{JENKINS}/project/ops/acme-old", "https://jenkins-old.example.org/project/acme-old"])


def test_a_second_apply_prune_makes_zero_writes(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    for url in [OLD_JOB, f"{JENKINS}/project/docker/gone"]:
        gitlab.add_hook("docker/nginx", url, **MARKED)
    for url in NOT_OURS:
        gitlab.add_hook("docker/nginx", url)
    gitlab.add_hook("web/website", f"{JENKINS}/project/docker/website-old", **MARKED)
    first = apply(gitlab, "--prune")
    assert first.returncode == 0, first.stderr
    assert [h["status"] for h in json.loads(first.stdout)["hooks"]].count("deleted") == 3
    gitlab.clear_requests()
    again = apply(gitlab, "--prune", fmt="text")
    assert again.returncode == 0, again.stderr
    assert gitlab.requests and gitlab.writes() == []
    assert "0 created, 0 updated, 11 unchanged." in again.stdout
    assert len(gitlab.hooks("docker/nginx")) == 1 + len(NOT_OURS)


def test_prune_without_apply_is_a_usage_error(gitlab: FakeGitLab) -> None:
    done = cli("webhooks", str(IIIEPE), "--jenkins", JENKINS, "--prune", env={"GITLAB_TOKEN": GITLAB_TOKEN})
    assert done.returncode == 2
    assert "--prune" in done.stderr and "--apply" in done.stderr
    assert gitlab.requests == []

# -- the fake GitLab behaves as GitLab does ---------------------------------------------

def test_fake_gitlab_refuses_a_request_without_a_known_private_token(gitlab: FakeGitLab) -> None:
    import requests

    gitlab.add_project("docker/nginx")
    for headers in ({}, {"PRIVATE-TOKEN": "wrong"}):
        answer = requests.get(f"{gitlab.url}/api/v4/projects/docker%2Fnginx", headers=headers, timeout=10)
        assert (answer.status_code, answer.json()) == (401, {"message": "401 Unauthorized"})
    assert requests.get(f"{gitlab.url}/api/v4/projects/docker%2Fnginx", headers={"PRIVATE-TOKEN": GITLAB_TOKEN}, timeout=10).json()["id"] == 1


def test_fake_gitlab_pages_hooks_with_gitlabs_headers_and_link(gitlab: FakeGitLab) -> None:
    import requests

    gitlab.add_project("docker/nginx")
    for index in range(5):
        gitlab.add_hook("docker/nginx", f"https://example.org/{index}")
    answer = requests.get(f"{gitlab.url}/api/v4/projects/1/hooks", params={"per_page": 2, "page": 2},
                          headers={"PRIVATE-TOKEN": GITLAB_TOKEN}, timeout=10)
    assert [h["url"] for h in answer.json()] == ["https://example.org/2", "https://example.org/3"]
    assert {k: answer.headers[k] for k in ("X-Page", "X-Per-Page", "X-Total", "X-Total-Pages", "X-Next-Page", "X-Prev-Page")} == \
        {"X-Page": "2", "X-Per-Page": "2", "X-Total": "5", "X-Total-Pages": "3", "X-Next-Page": "3", "X-Prev-Page": "1"}
    assert answer.links["next"]["url"] == f"{gitlab.url}/api/v4/projects/1/hooks?page=3&per_page=2"


def test_fake_gitlab_keeps_a_hooks_token_but_never_returns_it(gitlab: FakeGitLab) -> None:
    import requests

    gitlab.add_project("docker/nginx")
    created = requests.post(f"{gitlab.url}/api/v4/projects/docker%2Fnginx/hooks", json={"url": "https://j.example.org/project/x", "token": SECRET},
                            headers={"PRIVATE-TOKEN": GITLAB_TOKEN}, timeout=10)
    assert created.status_code == 201 and "token" not in created.json() and SECRET not in created.text
    assert gitlab.hooks("docker/nginx")[0]["token"] == SECRET
    missing = requests.get(f"{gitlab.url}/api/v4/projects/docker%2Fnone", headers={"PRIVATE-TOKEN": GITLAB_TOKEN}, timeout=10)
    assert (missing.status_code, missing.json()) == (404, {"message": "404 Project Not Found"})


# -- plan before apply: --dry-run and the library's plan_webhooks ---------------------------

def test_a_dry_run_lists_the_writes_in_a_job_plans_words_and_writes_nothing(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    gitlab.add_hook("docker/nginx", OLD_JOB, **MARKED)                      # stale, ours: deleted with --prune
    gitlab.add_hook("docker/nginx", f"{JENKINS}/project/docker/iiiepe-nginx-gone")  # stale, hand-made: kept
    planned = apply(gitlab, "--prune", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert not gitlab.writes()
    assert len(plan["create"]) == 11 and plan["update"] == [] and plan["unchanged"] == [] and plan["failed"] == []
    assert [h["url"] for h in plan["delete"]] == [OLD_JOB]
    assert [(h["url"], h["note"]) for h in plan["stale"]] == [(f"{JENKINS}/project/docker/iiiepe-nginx-gone",
                                                               "not marked as this inventory's (made by hand, or before "
                                                               "hooks were marked): never deleted")]
    assert SECRET not in planned.stdout and GITLAB_TOKEN not in planned.stdout + planned.stderr
    done = apply(gitlab, "--prune")   # the real run does exactly what the dry run listed
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["hooks"]
    assert sorted(h["url"] for h in results if h["status"] == "created") == sorted(h["url"] for h in plan["create"])
    assert [h["url"] for h in results if h["status"] == "deleted"] == [OLD_JOB]
    again = apply(gitlab, "--prune", "--dry-run", fmt="text")
    assert again.returncode == 0, again.stderr
    assert ("Plan for the webhooks on http://gitlab.iiiepe.net: 0 to create, 0 to update, 0 to delete, 11 unchanged, "
            "1 stale (kept; --prune deletes the ones marked as this inventory's).") in again.stdout


def test_a_dry_run_shows_an_update_and_a_failed_project_as_a_job_plan_would(gitlab: FakeGitLab) -> None:
    for project in IIIEPE_PROJECTS:
        if project != "web/website":          # one project GitLab does not have: its hook fails
            gitlab.add_project(project)
    gitlab.add_hook("docker/nginx", f"{JENKINS}/project/docker/iiiepe-nginx", push_events=False)
    planned = apply(gitlab, "--dry-run", fmt="text")
    assert planned.returncode == 1          # a failed hook fails the plan, as a failed job does
    assert f"~ update docker/nginx: {JENKINS}/project/docker/iiiepe-nginx" in planned.stdout
    assert f"! failed web/website: {JENKINS}/project/docker/website (project web/website: 404" in planned.stdout
    assert "9 to create, 1 to update, 0 to delete, 0 unchanged, 1 failed." in planned.stdout
    assert not gitlab.writes()


def test_dry_run_needs_apply(gitlab: FakeGitLab) -> None:
    done = cli("webhooks", str(IIIEPE), "--jenkins", JENKINS, "--dry-run")
    assert done.returncode == 2
    assert "--dry-run is only used with --apply" in done.stderr


def test_the_library_plans_then_applies_and_the_plan_holds_no_secret(gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    from jenkins_docker.sync.webhooks import HookScope, apply_hook_plan, connect_gitlab, plan_webhooks

    seed_iiiepe(gitlab)
    for key, value in gitlab.proxy_env().items():
        monkeypatch.setenv(key, value)
    inventory = load(IIIEPE)
    hooks = webhooks(inventory, JENKINS)
    client = connect_gitlab(GITLAB, GITLAB_TOKEN)
    plan = plan_webhooks(hooks, client, secret_token=SECRET, scope=HookScope(JENKINS, "docker"))
    assert not gitlab.writes()
    assert [c.action for c in plan.changes] == ["create"] * 11 and plan.has_changes
    assert SECRET not in repr(plan) and SECRET not in json.dumps(plan.to_json())
    results = apply_hook_plan(plan, client, secret_token=SECRET)
    assert [r.status for r in results] == ["created"] * 11
    assert all(h.get("token") == SECRET for project in IIIEPE_PROJECTS for h in gitlab.hooks(project))
    again = plan_webhooks(hooks, client, secret_token=SECRET, scope=HookScope(JENKINS, "docker"))
    assert not again.has_changes and len(again.results("unchanged")) == 11


def test_every_hook_applied_carries_this_inventory_s_ownership_line(gitlab: FakeGitLab) -> None:
    seed_iiiepe(gitlab)
    # A hook already right in every setting but made before hooks were marked: it gets the line.
    old = gitlab.add_hook("docker/nginx", f"{JENKINS}/project/docker/iiiepe-nginx")
    done = apply(gitlab)
    assert done.returncode == 0, done.stderr
    assert statuses(done.stdout)["docker/iiiepe-nginx"] == "updated"
    hooks = [h for project in IIIEPE_PROJECTS for h in gitlab.hooks(project)]
    assert len(hooks) == 11 and all(h["description"] == hook_marker("docker") for h in hooks)
    assert old in {h["id"] for h in gitlab.hooks("docker/nginx")}
    assert set(statuses(apply(gitlab).stdout).values()) == {"unchanged"}   # marked: nothing more to write


# -- which repositories are GitLab projects, and on which GitLab ----------------------------

@pytest.mark.parametrize(("git_url", "project"), [
    ("git+ssh://git@gitlab.example.org/group/name.git", "group/name"),
    ("ssh+git://git@gitlab.example.org/group/name.git", "group/name"),
    ("git://gitlab.example.org/group/name.git", "group/name"),
    ("http://gitlab.example.org/group/sub/name.git", "group/sub/name"),
    ("HTTPS://gitlab.example.org/group/name.git", "group/name"),
    ("  git@gitlab.example.org:group/name.git\n", "group/name"),
])
def test_every_scheme_git_accepts_for_a_remote_names_a_gitlab_project(git_url: str, project: str) -> None:
    assert gitlab_project(git_url) == project


@pytest.mark.parametrize("git_url", [
    "ftp://gitlab.example.org/group/name.git",       # not a scheme git fetches a GitLab project with
    "https:///group/name.git",                        # no host
    "https://gitlab.example.org/group//name.git",     # an empty segment
    "https://gitlab.example.org/group/./name.git",
    "https://gitlab.example.org/group/../name.git",
    "https://gitlab.example.org/~user/name.git",      # a user's home directory on a git server, not a namespace
    "git@gitlab.example.org:group/../name.git",
    "https://gitlab.example.org/name.git",            # one segment: GitLab projects live in a namespace
])
def test_a_url_that_names_no_gitlab_project_gives_none(git_url: str) -> None:
    assert gitlab_project(git_url) is None


def test_only_a_trailing_dot_git_is_dropped_from_the_project_path() -> None:
    assert gitlab_project("https://gitlab.example.org/group/name.github.io") == "group/name.github.io"
    assert gitlab_project("https://gitlab.example.org/group/name.git.git") == "group/name.git"


@pytest.mark.parametrize(("git_url", "found"), [
    ("git@GitLab.Example.org:group/name.git", ("gitlab.example.org", None)),
    ("ssh://git@gitlab.example.org:2222/group/name.git", ("gitlab.example.org", None)),   # an ssh port is not the web port
    ("git://gitlab.example.org:9418/group/name.git", ("gitlab.example.org", None)),
    ("https://GITLAB.example.org:8443/group/name.git", ("gitlab.example.org", 8443)),
    ("http://gitlab.example.org:8080/group/name.git", ("gitlab.example.org", 8080)),
    ("https://gitlab.example.org/group/name.git", ("gitlab.example.org", None)),
    ("https://gitlab.example.org:port/group/name.git", None),                            # not a port
    ("/srv/git/group/name.git", None),
])
def test_git_host_is_the_host_and_only_an_http_port(git_url: str, found: tuple[str, int | None] | None) -> None:
    from jenkins_docker.sync.webhooks import git_host

    assert git_host(git_url) == found


@pytest.mark.parametrize(("git_url", "here"), [
    ("git@gitlab.example.org:group/name.git", True),
    ("ssh://git@GITLAB.example.org:2222/group/name.git", True),
    ("https://gitlab.example.org/group/name.git", True),
    ("https://gitlab.example.org:443/group/name.git", True),       # the default port, written out
    ("https://gitlab.example.org:8443/group/name.git", False),     # another server on the same host
    ("https://gitlab.example.org.evil.org/group/name.git", False),
    ("https://github.com/group/name.git", False),
    ("https://gitlab.example.org:port/group/name.git", False),
    ("/srv/git/group/name.git", False),
])
def test_a_repository_is_on_the_gitlab_with_its_host_and_its_http_port(git_url: str, here: bool) -> None:
    from jenkins_docker.sync.webhooks import on_gitlab

    assert on_gitlab(git_url, "https://gitlab.example.org") is here


def test_on_a_gitlab_at_a_port_only_an_https_url_naming_that_port_is_on_it() -> None:
    from jenkins_docker.sync.webhooks import on_gitlab

    assert on_gitlab("https://gitlab.example.org:8443/group/name.git", "https://gitlab.example.org:8443")
    assert on_gitlab("git@gitlab.example.org:group/name.git", "https://gitlab.example.org:8443")
    assert not on_gitlab("https://gitlab.example.org:9443/group/name.git", "https://gitlab.example.org:8443")


# -- which hooks belong to the inventory's folder -----------------------------------------

def test_the_scope_of_a_folder_names_the_jobs_directly_in_it_unquoted() -> None:
    from jenkins_docker.sync.webhooks import HookScope

    scope = HookScope(JENKINS + "/", "ops docker")
    assert scope.prefix == f"{JENKINS}/project/ops%20docker/"
    assert scope.job(f"{JENKINS}/project/ops%20docker/acme%20base") == "ops docker/acme base"
    assert scope.owner_name == "ops docker"
    assert HookScope(JENKINS, "ops", owner="team-a").owner_name == "team-a"


@pytest.mark.parametrize("url", [
    f"{JENKINS}/project/docker/",                     # no job
    f"{JENKINS}/project/docker/name?token=1",         # a query: not the plugin's bare endpoint
    f"{JENKINS}/project/docker/name#top",
    f"{JENKINS}/project/dockerfile",                  # a job whose name starts with the folder's
    f"{JENKINS}/project/docker",                      # the folder itself
    "",
])
def test_a_hook_url_that_is_not_a_job_directly_in_the_folder_is_outside_the_scope(url: str) -> None:
    from jenkins_docker.sync.webhooks import HookScope

    assert HookScope(JENKINS, "docker").job(url) is None


def test_without_a_folder_the_scope_is_every_top_level_job_of_that_jenkins() -> None:
    from jenkins_docker.sync.webhooks import HookScope

    scope = HookScope(JENKINS + "/")
    assert scope.prefix == f"{JENKINS}/project/"
    assert scope.job(f"{JENKINS}/project/acme-base") == "acme-base"
    assert scope.job(f"{JENKINS}/project/ops/acme-base") is None
    assert scope.owner_name is None


# -- the library against the fake GitLab (its URL is the GitLab the repositories are on) --------

#: An inventory whose repositories live on the fake GitLab's host (127.0.0.1), so the library
#: talks to the fake at its own URL.
LOCAL = MONOREPO.replace("gitlab.example.org", "127.0.0.1")


def local_hooks(tmp_path: Path, text: str = LOCAL, jenkins: str = JENKINS) -> list:  # type: ignore[type-arg]
    return webhooks(load(write(tmp_path, text)), jenkins)


def test_the_library_s_apply_webhooks_creates_then_writes_nothing_and_keeps_stale_hooks_unless_asked(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import HookScope, apply_webhooks, connect_gitlab

    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    stale = gitlab.add_hook("web/shop", f"{JENKINS}/project/ops/docker/gone", description=hook_marker("ops/docker"))
    client = connect_gitlab(gitlab.url, GITLAB_TOKEN)
    scope = HookScope(JENKINS, "ops/docker")
    first = apply_webhooks(local_hooks(tmp_path), client, secret_token=SECRET, scope=scope)
    # Each project and its hooks read once, then one request per write (no read of the project again to write).
    assert [(r.method, r.path) for r in gitlab.requests] == [
        ("GET", "/api/v4/projects/platform%2Fimages"), ("GET", "/api/v4/projects/1/hooks"),
        ("GET", "/api/v4/projects/web%2Fshop"), ("GET", "/api/v4/projects/2/hooks"),
        ("POST", "/api/v4/projects/1/hooks"), ("POST", "/api/v4/projects/1/hooks"), ("POST", "/api/v4/projects/2/hooks")]
    assert [(r.hook.job, r.status) for r in first] == [("ops/docker/acme-base", "created"), ("ops/docker/acme-tools", "created"),
                                                       ("ops/docker/shop", "created"), ("ops/docker/gone", "stale")]
    assert gitlab.hooks("web/shop")[1]["token"] == SECRET
    gitlab.clear_requests()
    again = apply_webhooks(local_hooks(tmp_path), client, secret_token=SECRET, scope=scope)   # no rotate_token: tokens not rewritten
    assert [r.status for r in again] == ["unchanged"] * 3 + ["stale"]
    assert gitlab.writes() == [] and stale in {h["id"] for h in gitlab.hooks("web/shop")}
    pruned = apply_webhooks(local_hooks(tmp_path), client, secret_token=SECRET, scope=scope, prune=True)
    assert [r.status for r in pruned][-1] == "deleted"


def test_a_plan_without_prune_keeps_this_inventory_s_stale_hook(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import HookScope, connect_gitlab, plan_webhooks

    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    gitlab.add_hook("web/shop", f"{JENKINS}/project/ops/docker/gone", description=hook_marker("ops/docker"))
    plan = plan_webhooks(local_hooks(tmp_path), connect_gitlab(gitlab.url, GITLAB_TOKEN), scope=HookScope(JENKINS, "ops/docker"))
    assert [c.action for c in plan.changes] == ["create"] * 3
    assert [r.hook.job for r in plan.results("stale")] == ["ops/docker/gone"]


def test_the_plan_json_lists_each_failure_with_its_reason_and_each_skipped_hook_with_its_note(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    text = LOCAL + "  blog: {git: \"https://github.com/acme/blog.git\", from: acme/base}\n" \
                   "  wiki: {git: \"/srv/git/wiki.git\", from: acme/base}\n"
    gitlab.add_project("platform/images")   # web/shop is missing
    plan = plan_webhooks(local_hooks(tmp_path, text), connect_gitlab(gitlab.url, GITLAB_TOKEN))
    document = plan.to_json()
    assert [h["job"] for h in document["create"]] == ["ops/docker/acme-base", "ops/docker/acme-tools"]
    assert document["failed"] == [
        {"repository": "https://127.0.0.1/web/shop.git", "project": "web/shop", "job": "ops/docker/shop",
         "url": f"{JENKINS}/project/ops/docker/shop", "error": "project web/shop: 404 Project Not Found"},
        {"repository": "/srv/git/wiki.git", "project": None, "job": "ops/docker/wiki",
         "url": f"{JENKINS}/project/ops/docker/wiki", "error": "/srv/git/wiki.git is not a GitLab project URL"}]
    assert document["skipped"] == [
        {"repository": "https://github.com/acme/blog.git", "project": "acme/blog", "job": "ops/docker/blog",
         "url": f"{JENKINS}/project/ops/docker/blog", "status": "skipped",
         "note": "the repository is on github.com, not on the GitLab at 127.0.0.1: add its hook there"}]
    assert document["update"] == document["delete"] == document["unchanged"] == document["stale"] == []
    assert [r.hook.job for r in plan.failed] == ["ops/docker/shop", "ops/docker/wiki"]
    assert not any(r.path.startswith("/api/v4/projects/acme") for r in gitlab.requests)   # a skipped project is never asked for


def test_a_repository_whose_url_has_no_valid_port_is_skipped_as_on_an_unknown_host(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    text = LOCAL.replace("https://127.0.0.1/web/shop.git", "https://127.0.0.1:port/web/shop.git")
    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    plan = plan_webhooks(local_hooks(tmp_path, text), connect_gitlab(gitlab.url, GITLAB_TOKEN))
    assert [(r.hook.job, r.note) for r in plan.results("skipped")] == [
        ("ops/docker/shop", "the repository is on an unknown host, not on the GitLab at 127.0.0.1: add its hook there")]
    assert [c.hook.job for c in plan.changes] == ["ops/docker/acme-base", "ops/docker/acme-tools"]


def test_each_skipped_repository_names_its_own_server_even_when_two_share_a_project_path(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    text = LOCAL + "  blog: {git: \"https://github.com/acme/blog.git\", from: acme/base}\n" \
                   "  blog-mirror: {git: \"git@bitbucket.org:acme/blog.git\", from: acme/base}\n"
    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    plan = plan_webhooks(local_hooks(tmp_path, text), connect_gitlab(gitlab.url, GITLAB_TOKEN))
    assert [(r.hook.job, r.note) for r in plan.results("skipped")] == [
        ("ops/docker/blog", "the repository is on github.com, not on the GitLab at 127.0.0.1: add its hook there"),
        ("ops/docker/blog-mirror", "the repository is on bitbucket.org, not on the GitLab at 127.0.0.1: add its hook there")]


def test_a_hook_gitlab_refuses_to_write_fails_alone_with_gitlab_s_reason(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import apply_hook_plan, connect_gitlab, plan_webhooks

    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    hooks = local_hooks(tmp_path)
    # A Jenkins URL without a scheme (the library does not check it; the command line does): GitLab refuses the hook.
    bad = hooks[2].__class__(hooks[2].repository, hooks[2].project, hooks[2].job, "jenkins.example.org/project/ops/docker/shop")
    client = connect_gitlab(gitlab.url, GITLAB_TOKEN)
    plan = plan_webhooks([*hooks[:2], bad], client, secret_token=SECRET)
    results = apply_hook_plan(plan, client, secret_token=SECRET)
    assert [(r.hook.job, r.status) for r in results] == [("ops/docker/acme-base", "created"), ("ops/docker/acme-tools", "created"),
                                                         ("ops/docker/shop", "failed")]
    assert results[2].error == "project web/shop: 422 Unprocessable Entity: url is blocked: Only allowed schemes are http, https"
    assert gitlab.hooks("web/shop") == [] and len(gitlab.hooks("platform/images")) == 2


def test_an_update_without_a_secret_token_keeps_the_token_the_hook_has(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import apply_webhooks, connect_gitlab

    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    gitlab.add_hook("web/shop", f"{JENKINS}/project/ops/docker/shop", token="set-in-the-ui", push_events=False)
    results = apply_webhooks(local_hooks(tmp_path), connect_gitlab(gitlab.url, GITLAB_TOKEN))
    assert [r.status for r in results] == ["created", "created", "updated"]
    (hook,) = gitlab.hooks("web/shop")
    assert (hook["push_events"], hook["token"]) == (True, "set-in-the-ui")
    assert all("token" not in w.body for w in gitlab.writes())


# -- failures: GitLab's own words, one line, never a token --------------------------------

def test_a_gitlab_answer_that_does_not_parse_fails_that_project_with_python_gitlab_s_words(tmp_path: Path) -> None:
    from hostile import Seen, Server
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    def sign_in_page_for_web(request: Seen) -> tuple[int, dict[str, str], bytes]:
        # A proxy in front of GitLab answers for one namespace with a page, labelled as JSON: not an HTTP error.
        if request.path.startswith("/api/v4/projects/web%2F"):
            return 200, {"Content-Type": "application/json"}, b"<html>Sign in</html>"
        if "/hooks" in request.path:
            return 200, {"Content-Type": "application/json"}, b"[]"
        return 200, {"Content-Type": "application/json"}, json.dumps({"id": 1, "path_with_namespace": "platform/images"}).encode()

    server = Server(sign_in_page_for_web)
    try:
        plan = plan_webhooks(local_hooks(tmp_path), connect_gitlab(server.url, GITLAB_TOKEN))
    finally:
        server.stop()
    assert [(r.hook.job, r.error) for r in plan.failed] == [("ops/docker/shop", "project web/shop: Failed to parse the server message")]
    assert [c.hook.job for c in plan.changes] == ["ops/docker/acme-base", "ops/docker/acme-tools"]


#: A GitLab access token of no known shape: only the library's knowledge of it can hide it.
PLAIN_TOKEN = "plain-private-value-77"


def test_a_gitlab_quoting_the_access_token_in_a_read_error_gets_it_hidden(tmp_path: Path) -> None:
    from hostile import Seen, Server
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    def quotes_the_token(request: Seen) -> tuple[int, dict[str, str], bytes]:
        body = {"message": f"500 the token {request.headers.get('PRIVATE-TOKEN')} broke something"}
        return 500, {"Content-Type": "application/json"}, json.dumps(body).encode()

    server = Server(quotes_the_token)
    try:
        plan = plan_webhooks(local_hooks(tmp_path), connect_gitlab(server.url, PLAIN_TOKEN))
    finally:
        server.stop()
    assert [r.error for r in plan.failed] == ["project platform/images: 500 the token *** broke something"] * 2 + \
        ["project web/shop: 500 the token *** broke something"]


def test_a_gitlab_quoting_the_request_in_a_write_error_gets_both_tokens_hidden(tmp_path: Path) -> None:
    from hostile import Seen, Server
    from jenkins_docker.sync.webhooks import apply_webhooks, connect_gitlab

    def refuses_writes_quoting_them(request: Seen) -> tuple[int, dict[str, str], bytes]:
        if request.method == "POST":
            sent = json.loads(request.body)
            body = {"message": f"400 {request.headers.get('PRIVATE-TOKEN')} may not give {sent['url']} the token {sent['token']}"}
            return 400, {"Content-Type": "application/json"}, json.dumps(body).encode()
        if "/hooks" in request.path:
            return 200, {"Content-Type": "application/json"}, b"[]"
        return 200, {"Content-Type": "application/json"}, json.dumps({"id": 1, "path_with_namespace": "web/shop"}).encode()

    server = Server(refuses_writes_quoting_them)
    try:
        results = apply_webhooks(local_hooks(tmp_path)[2:], connect_gitlab(server.url, PLAIN_TOKEN), secret_token=SECRET)
    finally:
        server.stop()
    assert [r.status for r in results] == ["failed"]
    assert results[0].error == f"project web/shop: 400 *** may not give {JENKINS}/project/ops/docker/shop the token ***"


def test_the_gitlab_client_refuses_credentials_in_the_url_and_says_where_they_go() -> None:
    from jenkins_docker.errors import UsageError
    from jenkins_docker.sync.webhooks import connect_gitlab

    with pytest.raises(UsageError) as refused:
        connect_gitlab(f"https://oauth2:{PLAIN_TOKEN}@gitlab.example.org", PLAIN_TOKEN)
    assert str(refused.value).startswith("--gitlab https://***@gitlab.example.org has credentials in it;")
    assert "put them in GITLAB_TOKEN" in str(refused.value) and PLAIN_TOKEN not in str(refused.value)


def test_the_gitlab_client_names_gitlab_when_it_refuses_a_redirect_to_another_server(tmp_path: Path) -> None:
    from hostile import Seen, Server
    from jenkins_docker.errors import TargetError
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    def moved(request: Seen) -> tuple[int, dict[str, str], bytes]:
        return 302, {"Location": f"http://127.0.0.2:9{request.path}"}, b""

    server = Server(moved)
    try:
        with pytest.raises(TargetError) as stopped:
            plan_webhooks(local_hooks(tmp_path), connect_gitlab(server.url, GITLAB_TOKEN))
    finally:
        server.stop()
    assert str(stopped.value).startswith(f"GitLab at {server.url} sent us to http://127.0.0.2:9/, another server;")
    assert len(server.seen) == 1


@pytest.fixture
def tls_context(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A server TLS context with a self-signed certificate for 127.0.0.1 (made with openssl), and the certificate."""
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    done = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def test_the_gitlab_client_checks_gitlab_s_certificate_unless_given_one_to_trust(tls_context, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from jenkins_docker.errors import TargetError
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    context, cert = tls_context
    with FakeGitLab(tokens=[GITLAB_TOKEN], tls=context) as gitlab:
        gitlab.add_project("platform/images")
        gitlab.add_project("web/shop")
        with pytest.raises(TargetError) as refused:
            plan_webhooks(local_hooks(tmp_path), connect_gitlab(gitlab.url, GITLAB_TOKEN))
        assert str(refused.value).startswith(f"cannot reach GitLab at {gitlab.url}: ") and "(Caused by SSLError(" in str(refused.value)
        assert gitlab.requests == []
        trusted = plan_webhooks(local_hooks(tmp_path), connect_gitlab(gitlab.url, GITLAB_TOKEN, ssl_verify=str(cert)))
    assert [c.action for c in trusted.changes] == ["create"] * 3


def test_listing_hooks_needs_no_python_gitlab_and_apply_says_how_to_install_it() -> None:
    import subprocess
    import sys

    def without_python_gitlab(*args: str) -> subprocess.CompletedProcess[str]:
        program = ("import runpy, sys; sys.modules['gitlab'] = None; sys.argv = ['jenkins-docker', *sys.argv[1:]]; "
                   "runpy.run_module('jenkins_docker', run_name='__main__')")
        return subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "GITLAB_TOKEN": GITLAB_TOKEN})

    listed = without_python_gitlab("webhooks", str(IIIEPE), "--jenkins", JENKINS)
    assert listed.returncode == 0, listed.stderr
    assert f"  {JENKINS}/project/docker/iiiepe-nginx" in listed.stdout
    applied = without_python_gitlab("webhooks", str(IIIEPE), "--jenkins", JENKINS, "--apply", "--gitlab", "https://gitlab.example.org")
    assert applied.returncode == 1
    assert "managing GitLab webhooks needs python-gitlab: pip install 'jenkins-docker[gitlab]'" in applied.stderr
    assert "Traceback" not in applied.stderr


# -- a GitLab before 17.1 keeps no description --------------------------------------------

def test_a_gitlab_before_17_1_that_keeps_no_description_is_not_asked_again_and_nothing_is_pruned(tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import HookScope, apply_webhooks, connect_gitlab

    with FakeGitLab(tokens=[GITLAB_TOKEN], version="16.11.3") as gitlab:
        gitlab.add_project("platform/images")
        gitlab.add_project("web/shop")
        gitlab.add_hook("web/shop", f"{JENKINS}/project/ops/docker/gone")   # a hook of a job that left the inventory
        client = connect_gitlab(gitlab.url, GITLAB_TOKEN)
        scope = HookScope(JENKINS, "ops/docker")
        first = apply_webhooks(local_hooks(tmp_path), client, secret_token=SECRET, scope=scope, prune=True)
        assert [r.status for r in first] == ["created"] * 3 + ["stale"]
        assert all(h["description"] is None for h in gitlab.hooks("web/shop"))   # sent, and ignored
        gitlab.clear_requests()
        again = apply_webhooks(local_hooks(tmp_path), client, secret_token=SECRET, scope=scope, prune=True)
        assert [r.status for r in again] == ["unchanged"] * 3 + ["stale"]   # no update to add what it cannot keep
        assert gitlab.writes() == [] and len(gitlab.hooks("web/shop")) == 2  # an unmarked hook is never deleted


def test_fake_gitlab_before_17_1_shows_no_name_or_description_and_ignores_them(tmp_path: Path) -> None:
    import requests

    for version, shown in (("16.11.3", False), ("17.1.0", True)):
        with FakeGitLab(tokens=[GITLAB_TOKEN], version=version) as gitlab:
            gitlab.add_project("docker/nginx")
            created = requests.post(f"{gitlab.url}/api/v4/projects/1/hooks", json={"url": "https://j.example.org/project/x", "description": "d"},
                                    headers={"PRIVATE-TOKEN": GITLAB_TOKEN}, timeout=10)
            assert created.status_code == 201
            assert ("description" in created.json(), "name" in created.json()) == (shown, shown)
            assert gitlab.hooks("docker/nginx")[0]["description"] == ("d" if shown else None)


def test_a_planned_change_s_json_is_its_hook_with_the_action(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    plan = plan_webhooks(local_hooks(tmp_path)[2:], connect_gitlab(gitlab.url, GITLAB_TOKEN))
    assert [c.to_json() for c in plan.changes] == [{"repository": "https://127.0.0.1/web/shop.git", "project": "web/shop",
                                                    "job": "ops/docker/shop", "url": f"{JENKINS}/project/ops/docker/shop",
                                                    "action": "create"}]


def test_hooks_are_grouped_by_repository_in_the_order_each_repository_first_appears(tmp_path: Path) -> None:
    text = MONOREPO.replace("jenkins: {folder: ops/docker, gitlab_connection: gitlab}",
                            "jenkins: {folder: ops/docker, gitlab_connection: gitlab, "
                            "seed_job: {git: \"https://gitlab.example.org/web/shop.git\"}}")
    text = text.replace("  acme/tools: {git: \"ssh://git@gitlab.example.org:2222/platform/images.git\", from: acme/base, context: tools}\n",
                        "  acme/tools: {git: \"https://gitlab.example.org/web/shop.git\", from: acme/base, context: tools}\n")
    text += "  blog: {git: \"ssh://git@gitlab.example.org:2222/platform/images.git\", from: acme/base}\n"
    hooks = webhooks(load(write(tmp_path, text)), JENKINS)
    assert [(h.project, h.job) for h in hooks] == [
        ("platform/images", "ops/docker/acme-base"), ("platform/images", "ops/docker/blog"),
        ("web/shop", "ops/docker/acme-tools"), ("web/shop", "ops/docker/shop"), ("web/shop", "ops/docker/jenkins-docker-seed")]


def test_the_plan_json_lists_an_update_and_an_unchanged_hook_each_under_its_word(gitlab: FakeGitLab, tmp_path: Path) -> None:
    from jenkins_docker.sync.webhooks import connect_gitlab, plan_webhooks

    gitlab.add_project("platform/images")
    gitlab.add_project("web/shop")
    gitlab.add_hook("platform/images", f"{JENKINS}/project/ops/docker/acme-base", push_events=False)   # differs: updated
    gitlab.add_hook("web/shop", f"{JENKINS}/project/ops/docker/shop")                                  # already right
    document = plan_webhooks(local_hooks(tmp_path), connect_gitlab(gitlab.url, GITLAB_TOKEN)).to_json()
    assert [h["job"] for h in document["update"]] == ["ops/docker/acme-base"]
    assert [h["job"] for h in document["create"]] == ["ops/docker/acme-tools"]
    assert document["unchanged"] == [{"repository": "https://127.0.0.1/web/shop.git", "project": "web/shop", "job": "ops/docker/shop",
                                      "url": f"{JENKINS}/project/ops/docker/shop"}]
