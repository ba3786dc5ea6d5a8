"""GitLab webhooks: the URL each job listens at, and ``webhooks --apply`` against a fake GitLab."""
from __future__ import annotations

import json
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
