"""The worker pool every concurrent step uses: reads of a plan, writes of a sync, registry questions.

One rule for all of them, stated once: at least one thread, and once the calling thread is
interrupted (Ctrl-C, SIGTERM, an error) no queued task starts; the running ones finish, whole.
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


@contextmanager
def worker_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``workers`` threads (at least one), for the ``with`` block.

    When the block raises, the tasks not started yet are cancelled and the running ones are
    waited for before the exception goes on, so an interrupted sync never starts a new write
    and never leaves one half made.
    """
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            yield pool
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
