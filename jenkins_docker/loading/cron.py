"""Jenkins's cron grammar for timer triggers (``rebuild``): why Jenkins would refuse a spec, before it does.

Jenkins reads a timer spec with ``hudson.scheduler.CronTabList`` and ``CronTab`` (jenkinsci/jenkins,
core/src/main/java/hudson/scheduler/): five fields or an ``@`` alias per line, ``H`` hashes, ranges
and steps, ``#`` comments, a leading ``TZ=`` line. The checks below were in the loader before.
"""
from __future__ import annotations

import re

_CRON_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


# One comma-separated item of a Jenkins cron field: *, H, H(a-b), n or a-b, each with /step.
_CRON_ITEM = re.compile(r"(?:(?P<star>\*)|H(?:\((?P<hlo>\d+)-(?P<hhi>\d+)\))?|(?P<lo>\d+)(?:-(?P<hi>\d+))?)(?:/(?P<step>\d+))?")


def cron_problem(spec: str) -> str | None:
    """Why Jenkins would refuse ``spec`` as a timer trigger, or ``None`` (Jenkins's grammar)."""
    lines = [line.strip() for line in spec.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if lines and lines[0].startswith("TZ="):
        lines = lines[1:]
    if not lines:
        return "`rebuild` holds no cron line; write e.g. 'H H * * 0' (weekly)"
    for line in lines:
        if line in _CRON_ALIASES:
            continue
        fields = line.split()
        if len(fields) != 5:
            return f"`rebuild` {line!r} must have 5 fields (minute hour day-of-month month day-of-week), e.g. 'H H * * 0'"
        for text, (name, low, high) in zip(fields, _CRON_FIELDS):
            for item in text.split(","):
                if problem := _cron_item_problem(item, low, high):
                    return f"`rebuild` {line!r}: {name} {item!r} {problem}"
    return None


def _cron_item_problem(item: str, low: int, high: int) -> str | None:
    match = _CRON_ITEM.fullmatch(item)
    if not match:
        return "is not valid cron (use a number, a-b, *, H or H(a-b), optionally /step)"
    numbers = [int(v) for k, v in match.groupdict().items() if k in ("hlo", "hhi", "lo", "hi") and v is not None]
    if any(n < low or n > high for n in numbers):
        return f"is out of range {low}-{high}"
    for lo_key, hi_key in (("lo", "hi"), ("hlo", "hhi")):
        if match[lo_key] is not None and match[hi_key] is not None and int(match[lo_key]) > int(match[hi_key]):
            return "is an empty range (the start is after the end)"
    if match["step"] is not None and int(match["step"]) < 1:
        return "has a step of 0"
    return None
