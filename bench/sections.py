"""Sections of docs/benchmarks.md that one scenario run alone (``bench/run.py --only NAME``) rewrites."""
from __future__ import annotations

import re


def splice(report: str, new_section: str) -> str:
    """``report`` with the section named by ``new_section``'s first line replaced (appended if absent).

    A section starts with ``<!-- NAME:begin ... -->`` and ends with ``<!-- NAME:end -->``.
    """
    name = re.match(r"<!-- (\S+):begin", new_section)
    if name is None:
        raise ValueError("a section starts with <!-- NAME:begin")
    pattern = re.compile(rf"<!-- {re.escape(name.group(1))}:begin.*?<!-- {re.escape(name.group(1))}:end -->\n", re.S)
    if pattern.search(report):
        return pattern.sub(lambda _: new_section, report)
    return report.rstrip("\n") + "\n\n" + new_section
