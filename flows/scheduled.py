"""What a scheduled run does: collect new articles into raw/, then run the pipeline. Both
read the project's configuration at run time, so the deployment takes no parameters."""
from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from deportdata.collect.collector import collect
from deportdata.collect.sources import load_config
from deportdata.lock import run_lock
from deportdata.settings import Settings
from flows.pipeline import pipeline

SOURCES_FILE = "sources.toml"


@task(cache_policy=NO_CACHE)
def collect_task(settings: Settings) -> dict:
    sources = settings.root / SOURCES_FILE
    config = load_config(sources if sources.exists() else None)
    enabled = [s for s in config.sources if s.enabled]
    report = collect(enabled, settings.raw, settings.cache / "collect", policy=config.policy)
    return report.to_dict()


@flow(name="collect")
def collect_flow(settings: Settings) -> dict:
    return collect_task(settings)


@flow(name="scheduled-run")
def scheduled_run(root: str | None = None) -> dict:
    settings = Settings.load(Path(root) if root else None)
    collected = collect_flow(settings)
    with run_lock(settings.processed, settings.lock_timeout_s):
        summary = pipeline(settings.workspace(), runner=settings.runner,
                           dask_address=settings.dask_address or None, max_batches=settings.max_batches)
    return {"collected": collected, "pipeline": summary}
