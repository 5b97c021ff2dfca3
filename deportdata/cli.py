"""`deportdata`: the project's command line."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from contextlib import nullcontext

from deportdata.collect import add_collect_parser
from deportdata.download import add_download_parser
from deportdata.lock import LockTimeout, run_lock
from deportdata.settings import RUNNERS, ConfigError, Settings, configure_prefect


def _print_summary(summary: dict, seconds: float) -> None:
    print(f"read      {summary['files']} raw files ({summary['new_files']} new or changed)")
    if not summary.get("skipped"):
        print(f"articles  {summary['n_articles']} distinct ({summary['n_same_text']} same-text copies set aside, "
              f"{summary['n_near_copies']} near-copies marked)")
        print(f"extracted {summary['n_mentions']} mentions -> {summary['events']} events")
        print(f"rejected  {summary['n_ingest_rejects']} raw files or records, {summary['rejected_rows']} rows "
              f"failing validation (see rejects.csv in the release)")
    print(f"{summary['message']} ({seconds:.1f} s)")
    if summary.get("folder"):
        print(summary["folder"])


def _settings() -> Settings:
    try:
        return Settings.load()
    except ConfigError as err:
        print(f"deportdata: bad configuration: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def _dask_cluster(settings: Settings, runner: str, address: str):
    """A local Dask cluster for the run when Dask is asked for without an address."""
    if runner != "dask" or address:
        return nullcontext(address)
    from distributed import LocalCluster

    class _Cluster:
        def __enter__(self):
            self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
            return self.cluster.scheduler_address

        def __exit__(self, *exc):
            self.cluster.close()

    return _Cluster()


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    configure_prefect(settings.root)
    if not settings.raw.is_dir():
        print(f"deportdata: raw folder {settings.raw} does not exist", file=sys.stderr)
        return 2
    runner = args.runner or settings.runner
    address = args.address or settings.dask_address
    from deportdata.prefect_server import local_prefect_server

    # Dask workers need a real Prefect API, or each starts a temporary server of its own.
    server = local_prefect_server(settings.root / ".prefect" / "server.log") \
        if runner == "dask" and not os.environ.get("PREFECT_API_URL") else nullcontext()
    wait = lambda h: print(f"waiting for the run of pid {h.pid} on {h.host} to finish ...", file=sys.stderr)  # noqa
    started = time.perf_counter()
    try:
        with run_lock(settings.processed, settings.lock_timeout_s, on_wait=wait), server, \
                _dask_cluster(settings, runner, address) as dask_address:
            if args.clear_cache:  # under the lock: another run may be reading the cache
                shutil.rmtree(settings.cache, ignore_errors=True)
            from flows.pipeline import pipeline  # imports Prefect, after its environment is set

            summary = pipeline(settings.workspace(), runner=runner, dask_address=dask_address or None,
                               max_batches=settings.max_batches)
    except LockTimeout as err:
        print(f"deportdata: {err}", file=sys.stderr)
        return 3
    _print_summary(summary, time.perf_counter() - started)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the scheduled flow. Prefect does not schedule on its temporary in-process server,
    so without a configured PREFECT_API_URL a local server is started here and stopped on exit."""
    from deportdata.prefect_server import local_prefect_server

    settings = _settings()
    configure_prefect(settings.root)
    cron = args.cron or settings.cron
    if args.cron:
        from deportdata.settings import _check_cron

        try:
            _check_cron(cron)
        except ConfigError as err:
            print(f"deportdata: {err}", file=sys.stderr)
            return 2
    server = nullcontext(os.environ.get("PREFECT_API_URL")) if os.environ.get("PREFECT_API_URL") \
        else local_prefect_server(settings.root / ".prefect" / "server.log")
    with server as url:
        from flows.scheduled import scheduled_run

        print(f"serving deployment 'scheduled-run/deportdata' on {cron!r} (UTC) with the Prefect API at {url}; "
              f"Ctrl-C stops it", flush=True)
        try:
            scheduled_run.serve(name="deportdata", cron=cron, print_starting_message=False)
        except KeyboardInterrupt:
            pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deportdata", description="Deportation events coded from news.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build a release from raw/ (publishes only when something changed)")
    run.add_argument("--clear-cache", action="store_true", help="reprocess every raw file from scratch")
    run.add_argument("--runner", choices=RUNNERS, help="task runner (default: configuration)")
    run.add_argument("--address", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="run collect + pipeline on the configured cron schedule until stopped")
    serve.add_argument("--cron", help="cron schedule (default: configuration, hourly)")
    serve.set_defaults(func=cmd_serve)
    add_collect_parser(sub)
    add_download_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
