"""The worker processes behind the default `process` runner."""
from __future__ import annotations

import os
import signal

import pytest
from concurrent.futures.process import BrokenProcessPool

from flows.processes import in_worker_process, stop_workers, worker_pids


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _fail(message: str) -> None:
    raise ValueError(message)


def test_work_runs_in_other_processes_and_errors_come_back():
    assert in_worker_process(os.getpid) != os.getpid()
    with pytest.raises(ValueError, match="bad batch"):
        in_worker_process(_fail, "bad batch")


def test_a_killed_worker_fails_its_batch_and_the_next_batch_gets_a_new_pool():
    in_worker_process(os.getpid)
    before = worker_pids()
    with pytest.raises(BrokenProcessPool):
        in_worker_process(_die)
    assert worker_pids() == []
    assert in_worker_process(os.getpid) not in before
    stop_workers()
