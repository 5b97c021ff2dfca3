"""CPU-bound batch work in worker processes, so that two cores extract twice as fast.

Prefect's own ProcessPoolTaskRunner spawns workers that each import Prefect and open an API
client (seconds per worker, paid again by every flow run). Here one pool per process is
forked from a server that has already imported the pipeline's code, and tasks stay on
Prefect's thread runner: each task hands its batch to the pool and waits for the result."""
from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

R = TypeVar("R")

_PRELOAD = ["deportdata.stages"]
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def worker_count() -> int:
    return os.cpu_count() or 2


def _shared_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # forkserver: workers start from a clean, single-threaded process (forking this one,
            # which runs Prefect's threads, could copy a held lock), with the pipeline preloaded.
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(_PRELOAD)
            else:  # Windows: each worker imports the pipeline itself
                context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=worker_count(), mp_context=context)
        return _pool


def stop_workers() -> None:
    """Stop the workers and free their memory. The forkserver stays: a later batch starts new
    workers in about 10 ms."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


atexit.register(stop_workers)


def pool_pays_off(batch_count: int) -> bool:
    """One batch gains nothing from the pool, whose start-up costs 1-2 s."""
    return batch_count > 1


def worker_pids() -> list[int]:
    """Process ids of the running pool's workers (none before the first batch or after shutdown)."""
    with _lock:
        return sorted(_pool._processes) if _pool is not None and _pool._processes else []


def in_worker_process(fn: Callable[..., R], *args) -> R:
    """fn(*args) in a worker process; fn and args must pickle (module-level functions, paths)."""
    try:
        return _shared_pool().submit(fn, *args).result()
    except BrokenProcessPool:
        stop_workers()  # a worker died (killed, out of memory): the next call starts a new pool
        raise
