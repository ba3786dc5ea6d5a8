"""Test helpers for code that talks to Jenkins or GitLab: fakes over real HTTP and a pytest fixture."""
from jenkins_docker.testing.fake_gitlab import FakeGitLab, GitLabRequest
from jenkins_docker.testing.fake_jenkins import FakeJenkins, RecordedRequest

__all__ = ["FakeGitLab", "FakeJenkins", "GitLabRequest", "RecordedRequest"]
