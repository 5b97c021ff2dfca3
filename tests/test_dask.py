"""The three task runners give the same release: the default one (batches in forked worker
processes), plain threads, and a real local Dask cluster (scheduler and two worker processes on
127.0.0.1) whose workers report to the session's Prefect test API."""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from bench.corpus import generate_corpus
from deportdata.stages import Workspace


class _WorkerWatch:
    """Records the pool's worker processes while they run (they are stopped before the run ends)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        from flows.processes import worker_pids

        while not self._done.wait(0.02):
            self.seen.update(worker_pids())

    def __enter__(self) -> _WorkerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


@pytest.mark.flow
def test_process_thread_and_dask_runners_publish_the_same_release(prefect_harness, samples, tmp_path,
                                                                    monkeypatch):
    from distributed import Client, LocalCluster

    from flows.pipeline import pipeline
    from flows.processes import worker_pids

    raw = tmp_path / "raw"
    raw.mkdir()
    for seed in samples.SEEDS:
        shutil.copyfile(seed, raw / seed.name)
    # enough files for two ingest batches (at least 50 files each), so both workers get work
    generate_corpus(raw / "corpus", 110, seed=3)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", samples.SOURCE_DATE_EPOCH)
    # Workers inherit the environment at start: without an API URL each would start its own
    # temporary Prefect server (STACK-NOTES: 26-38 s).
    monkeypatch.setenv("PREFECT_API_URL", prefect_harness)
    monkeypatch.setenv("DASK_TEMPORARY_DIRECTORY", str(tmp_path / "dask-tmp"))

    threads, processes, dask = (Workspace(raw=raw, processed=tmp_path / name / "processed",
                                          cache=tmp_path / name / "cache") for name in ("threads", "processes", "dask"))

    started = time.perf_counter()
    thread_summary = pipeline(threads, runner="thread", max_batches=2)
    thread_seconds = time.perf_counter() - started
    with _WorkerWatch() as watch:
        process_summary = pipeline(processes, max_batches=2)  # the default runner
    assert len(watch.seen) == (os.cpu_count() or 2) and os.getpid() not in watch.seen
    assert worker_pids() == []  # stopped after extraction: their memory is free for dedupe

    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        cluster_seconds = time.perf_counter() - started
        workers = client.run(os.getpid)
        assert len(workers) == 2 and os.getpid() not in workers.values()
        assert set(client.run(lambda: os.environ.get("PREFECT_API_URL")).values()) == {prefect_harness}
        dask_summary = pipeline(dask, runner="dask", dask_address=cluster.scheduler_address, max_batches=2)
        ran = client.run(lambda dask_worker: dask_worker.state.executed_count)  # tasks per worker process
        prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    dask_seconds = time.perf_counter() - started
    print(f"\nthread runner {thread_seconds:.1f} s; dask: cluster up {cluster_seconds:.1f} s, "
          f"cluster + run {dask_seconds:.1f} s; tasks per worker {ran}; prefixes {prefixes}")

    assert thread_summary["fingerprint"] == dask_summary["fingerprint"], "the code was edited between the runs?"
    assert thread_summary["version"] == dask_summary["version"] == "1.0.0"
    assert dask_summary["segments"] == thread_summary["segments"] == 2
    assert sum(ran.values()) >= 4  # two ingest and two extract batches ran on the workers
    assert any("ingest" in p for p in prefixes) and any("extract" in p for p in prefixes), prefixes
    thread_tree = samples.tree_bytes(Path(thread_summary["folder"]))
    for runner, summary, ws in (("dask", dask_summary, dask), ("process", process_summary, processes)):
        for key in ("files", "n_articles", "n_mentions", "events", "n_near_copies", "n_same_text"):
            assert summary[key] == thread_summary[key], (runner, key)
        tree = samples.tree_bytes(Path(summary["folder"]))
        assert sorted(tree) == sorted(thread_tree)
        for name in thread_tree:
            assert tree[name] == thread_tree[name], f"{name} differs between the {runner} and thread runners"
        assert ws.root_descriptor.read_bytes() == threads.root_descriptor.read_bytes()
