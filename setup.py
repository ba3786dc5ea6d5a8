"""Setuptools entry point; the metadata lives in setup.cfg."""
from setuptools import setup

# job_templates/ sits at the top of the repository (where template authors look for it)
# and is installed inside the package as jenkins_docker.job_templates.
setup(
    package_dir={"jenkins_docker.job_templates": "job_templates"},
    packages=[
        "jenkins_docker",
        "jenkins_docker.cli",
        "jenkins_docker.loading",
        "jenkins_docker.graph",
        "jenkins_docker.rendering",
        "jenkins_docker.sync",
        "jenkins_docker.sync.targets",
        "jenkins_docker.freshness",
        "jenkins_docker.testing",
        "jenkins_docker.job_templates",
    ],
)
