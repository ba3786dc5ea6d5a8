"""The one worker pool: at least one thread, and after an interruption no queued task starts while the running one finishes."""
from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from jenkins_docker.sync.workers import worker_pool


def test_an_interrupted_block_starts_no_queued_task_and_waits_for_the_running_one() -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []
    finished: list[int] = []

    def task(number: int) -> None:
        ran.append(number)
        if number == 0:
            started.set()
            # Holds the only worker until the queued tasks are cancelled; the timeout only turns a
            # pool that never cancels into a failure instead of a hang.
            release.wait(timeout=60)
        finished.append(number)

    futures: list[Future[None]] = []
    with pytest.raises(KeyboardInterrupt):
        with worker_pool(1) as pool:
            futures += [pool.submit(task, number) for number in range(5)]
            started.wait()
            # A queued future is done only once cancelled (the one worker is busy): then let task 0 end.
            # (Its done callback runs on cancel(); concurrent.futures.wait() is not woken by a cancel.)
            futures[1].add_done_callback(lambda _: release.set())
            raise KeyboardInterrupt
    assert ran == [0] and finished == [0]                 # the running task finished, whole; none other started
    assert all(future.cancelled() for future in futures[1:])


def test_no_workers_asked_is_still_one_worker() -> None:
    with worker_pool(0) as pool:
        assert pool.submit(lambda: 42).result() == 42
