"""``jenkins-docker render``: every item's config.xml into a directory (JENKINS_HOME layout)."""
from __future__ import annotations

from jenkins_docker.cli import console
from jenkins_docker.loading.loader import load


def render_command(path: str, out_dir: str, templates: str | None) -> int:
    """Render every job into ``out_dir`` (JENKINS_HOME layout)."""
    from jenkins_docker.rendering.renderer import render, write_tree

    inventory = load(path, templates=templates)
    jobs = render(inventory)
    written = write_tree(jobs, out_dir)
    same = len(jobs.jobs) - len(written)
    console.echo(f"wrote {len(written)} config.xml files under {out_dir}" + (f" ({same} unchanged)" if same else ""), err=True)
    return 0
