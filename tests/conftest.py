"""Plugins for this project's own tests: the ``fake_jenkins`` fixture is opt-in, as for users."""
pytest_plugins = ["jenkins_docker.testing.plugin"]
