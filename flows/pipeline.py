"""The pipeline as one Prefect flow: the ingest and extract stages submit one task per batch
of files (in parallel, on the flow's task runner), then the assemble, validate, dedupe and
publish tasks run in turn. Tasks take batches of files and pass paths, never DataFrames.

One flow, not sub-flows: every flow run costs about a second of Prefect's time (its
heartbeat thread is joined at the end), more than an incremental run's own stages."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import as_completed
from prefect.utilities.annotations import quote
from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from deportdata import stages
from deportdata.release import candidate_version, latest_release
from deportdata.segments import read_file_list
from deportdata.stages import Workspace
from flows.processes import in_worker_process, pool_pays_off, stop_workers, worker_count

DEFAULT_MAX_BATCHES = 16


def task_runner(kind: str = "process", dask_address: str | None = None):
    """The task runner for the batch stages: threads here (whose tasks hand their batch to a
    worker process when kind is "process"), or an existing Dask cluster."""
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address) if dask_address else DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True})
    # Extraction is CPU-bound Python: more threads (or processes) than cores only add contention.
    return ThreadPoolTaskRunner(max_workers=worker_count())


# Our segments are content-addressed already; Prefect's own cache would only hash big inputs.
@task(cache_policy=NO_CACHE)
def scan_task(ws: Workspace) -> str:
    return str(stages.write_manifest(ws, stages.scan_raw(ws.raw, ws.scan_record)))


def _call(fn, batch, ws: Workspace, in_workers: bool):
    return in_worker_process(fn, batch, ws) if in_workers else fn(batch, ws)


@task(cache_policy=NO_CACHE)
def ingest_task(files: Sequence[tuple[str, str]], ws: Workspace, in_workers: bool = False) -> str:
    return _call(stages.ingest_batch, files, ws, in_workers)


@task(cache_policy=NO_CACHE)
def extract_task(segments: Sequence[str], ws: Workspace, in_workers: bool = False) -> int:
    return _call(stages.extract_batch, segments, ws, in_workers)


@task(cache_policy=NO_CACHE)
def assemble_task(manifest_path: str, ws: Workspace, max_batches: int) -> dict:
    merged = stages.compact_segments(ws, max_batches)
    return {**stages.assemble(read_file_list(Path(manifest_path)), ws).__dict__, "segments_merged": merged}


@task(cache_policy=NO_CACHE)
def validate_task(ws: Workspace) -> dict:
    return stages.validate_run(ws)


@task(cache_policy=NO_CACHE)
def dedupe_task(ws: Workspace, version: str) -> dict:
    return stages.dedupe_run(ws, version)


@task(cache_policy=NO_CACHE)
def publish_task(ws: Workspace, version: str, fingerprint: str) -> dict:
    result = stages.publish_run(ws, version, fingerprint)
    return {"version": result.version, "folder": str(result.folder) if result.folder else None,
            "message": result.message}


def _run_batches(task_fn, batches: list, ws: Workspace, stage: str, in_workers: bool) -> list:
    """Submit one task per batch and show a progress bar over the items as batches finish."""
    if not batches:
        return []
    in_workers = in_workers and pool_pays_off(len(batches))
    # Prefect walks every item of a task's arguments looking for futures (at 100,000 files, 2.5 s
    # of CPU in the flow process while the workers wait); `quote` spares that walk, but the Dask
    # runner hands the task a plain tuple instead of the quoted batch
    local = isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner)
    futures = {task_fn.submit(quote(batch) if local else batch, ws, in_workers): len(batch) for batch in batches}
    results = []
    with Progress(TextColumn(f"{stage:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True)) as bar:
        tracker = bar.add_task(stage, total=sum(futures.values()))
        for future in as_completed(list(futures)):
            results.append(future.result())
            bar.advance(tracker, futures[future])
    return results


def ingest_stage(ws: Workspace, max_batches: int, in_workers: bool) -> dict:
    manifest_path = scan_task(ws)
    manifest = read_file_list(Path(manifest_path))
    pending = stages.pending_files(manifest, ws)
    segments = _run_batches(ingest_task, stages.batches(pending, max_batches), ws, "ingest", in_workers)
    return {"manifest": manifest_path, "files": len(manifest), "new_files": len(pending), "segments": len(segments),
            "fingerprint": stages.input_fingerprint(manifest)}


def extract_stage(ws: Workspace, manifest_path: str, max_batches: int, in_workers: bool) -> dict:
    pending = stages.pending_extraction(ws)
    counts = _run_batches(extract_task, stages.batches(pending, max_batches, min_size=1), ws, "extract",
                          in_workers)
    # Idle workers would keep hundreds of MB each through assemble and dedupe, the run's peak.
    stop_workers()
    assembled = assemble_task(manifest_path, ws, max_batches)
    return {**assembled, "new_mentions": sum(counts)}


def _summary_markdown(summary: dict) -> str:
    rows = [("raw files", summary["files"]), ("new or changed files", summary["new_files"]),
            ("articles", summary["n_articles"]), ("same-text copies set aside", summary["n_same_text"]),
            ("near-copies", summary["n_near_copies"]), ("mentions", summary["n_mentions"]),
            ("events", summary["events"]), ("ingest rejects", summary["n_ingest_rejects"]),
            ("rows rejected by validation", summary["rejected_rows"])]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return f"# Pipeline run\n\n{summary['message']}\n\n| what | count |\n|---|---|\n{table}\n"


@flow(name="pipeline")
def pipeline_flow(ws: Workspace, max_batches: int = DEFAULT_MAX_BATCHES, in_workers: bool = False) -> dict:
    """Raw articles to a validated, versioned data package. Stops after the scan when neither
    the raw files nor the code changed since the last release."""
    ingested = ingest_stage(ws, max_batches, in_workers)
    latest = latest_release(ws.processed)
    if ingested["fingerprint"] in stages.known_fingerprints(ws):
        summary = {**ingested, "message": f"nothing new since release {latest.version} (inputs unchanged)",
                   "version": None, "folder": None, "skipped": True}
        create_markdown_artifact(key="pipeline-summary", markdown=f"# Pipeline run\n\n{summary['message']}\n")
        return summary
    extracted = extract_stage(ws, ingested["manifest"], max_batches, in_workers)
    rejected = validate_task(ws)
    version = candidate_version(latest)
    deduped = dedupe_task(ws, version)
    published = publish_task(ws, version, ingested["fingerprint"])
    stages.remember_fingerprint(ws, ingested["fingerprint"])
    summary = {**ingested, **extracted, **deduped, **published, "rejected_rows": sum(rejected.values()),
               "skipped": False}
    create_markdown_artifact(key="pipeline-summary", markdown=_summary_markdown(summary),
                             description="Counts per table and rejects of this run")
    return summary


@contextmanager
def _heartbeats_only_for_a_real_server() -> Iterator[None]:
    """Flow-run heartbeats let a Prefect server mark crashed runs; the temporary server of a
    one-off run dies with the process, so nobody reads them, and stopping their thread costs
    up to a second per run."""
    if PREFECT_API_URL.value():
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def pipeline(ws: Workspace, runner: str = "process", dask_address: str | None = None,
             max_batches: int = DEFAULT_MAX_BATCHES) -> dict:
    """Run the `pipeline` flow with the task runner `runner` ("process", "thread" or "dask")."""
    flow_with_runner = pipeline_flow.with_options(task_runner=task_runner(runner, dask_address))
    with _heartbeats_only_for_a_real_server():
        return flow_with_runner(ws, max_batches, in_workers=runner == "process")
