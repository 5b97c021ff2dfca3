"""End-to-end benchmark of the pipeline on synthetic corpora (`make bench`).

For each size it generates a deterministic corpus (bench.corpus) in a work folder and runs:

1. the floor, in this process: read every raw file and split it into sentences with one
   regular expression (best of two passes; no pipeline can be faster);
2. the stage functions of deportdata.stages called directly, in the flow's order, on a
   fresh workspace, without Prefect (`direct_s`, `direct_stages`);
3. the real Prefect flow (flows.pipeline.pipeline) on another fresh workspace: the cold run
   (`wall_s`, per-stage `stages`), then an unchanged rerun, then INCREMENTAL_RUNS (3) times:
   add 1% new articles (bench.corpus.add_new_articles), run the flow, then the direct stages
   (`incremental_1pct_s` and `direct_incremental_1pct_s` are of the median run; every run's
   time is in `incremental_1pct_runs_s` and `direct_incremental_1pct_runs_s`).

Every pipeline run is a child process (`python -m bench.run --child ...`), so peak memory
is per run and sizes do not pollute each other. A flow child first runs a trivial flow:
that call starts Prefect's temporary API server and is reported as `prefect_startup_s`;
`wall_s` is the pipeline flow call alone, and `wall_total_s` the whole child process
(interpreter, imports, Prefect start-up, run). `prefect_overhead_ratio` is the median of
flow over direct time over OVERHEAD_PAIRS cold pairs (the first is `wall_s / direct_s`) at
sizes up to 10,000, one pair above. Results go to bench/results/latest.json and latest.md
(see bench/README.md).

Usage::

    python -m bench.run --sizes 1000 10000 100000 [--workdir DIR] [--keep] [--seed 0]
    python -m bench.run --sizes 10000 --profile [--profile-dir DIR]   # cProfile, direct stages
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from deportdata.files import write_atomic

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"
DEFAULT_SIZES = (1000, 10000, 100000)
STAGES = ("ingest", "extract", "validate", "dedupe", "publish")
# direct stage -> flow stage it belongs to (scan runs inside the ingest flow, assemble in extract's)
DIRECT_STAGES = {"scan": "ingest", "ingest": "ingest", "fingerprint": "ingest", "extract": "extract",
                 "assemble": "extract", "validate": "validate", "dedupe": "dedupe", "publish": "publish"}
INCREMENTAL_FRACTION = 0.01
# 1% batches added one after another, each followed by a flow run and a direct run: one run
# varies by 10-15 % on this shared machine, so the incremental figures are of the median run
INCREMENTAL_RUNS = 3
# (direct, cold flow) pairs for the overhead ratio at sizes up to OVERHEAD_PAIRS_MAX_SIZE: two
# runs of the same code on this shared machine differ by 10-15 %, as much as the overhead
# measured, so one pair cannot tell it (three pairs at 10,000 gave 1.179, 0.966 and 1.138).
OVERHEAD_PAIRS = 5
OVERHEAD_PAIRS_MAX_SIZE = 10_000
MARKER = ".deportdata-bench.json"
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")

# Targets of issue 8: (key, description)
TARGETS = {
    "e2e_100k_s": "100,000 articles end to end (child process incl. Prefect start-up) < 120 s",
    "peak_rss_100k_mb": "peak memory at 100,000 < 2,048 MB",
    "floor_multiple": "pipeline within 10x of the floor (every size)",
    "prefect_overhead_10k": "Prefect overhead < 10% at 10,000 (ratio < 1.10)",
    "scaling_10x": "10x articles at most 11x time",
    "unchanged_rerun_100k_s": "unchanged rerun at 100,000 < 10 s beyond Prefect start-up",
    "incremental_fraction": "1% incremental run < 10% of the full run",
}


# ------------------------------------------------------------------------------- helpers

def _round(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(float(x), digits)


def _maxrss_mb(who: int = resource.RUSAGE_SELF) -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    rss = resource.getrusage(who).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def machine_info() -> dict:
    info = {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "machine": platform.machine()}
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 1e9, 1)
    except ImportError:
        pass
    for module in ("prefect", "pandas", "pyarrow"):
        try:
            info[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - a missing library only loses a line of metadata
            info[module] = None
    return info


def code_state() -> dict:
    """The code measured: git commit, whether the tree has changes, and the pipeline's code
    fingerprint (deportdata.stages.input_fingerprint of an empty manifest)."""
    from deportdata.stages import input_fingerprint

    state = {"code_fingerprint": input_fingerprint([]), "git_commit": None, "git_dirty": None}
    try:
        run = lambda *a: subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True,  # noqa: E731
                                        check=True, timeout=30).stdout.strip()
        state["git_commit"] = run("rev-parse", "HEAD")
        state["git_dirty"] = bool(run("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        pass
    return state


def floor_pass(raw: Path) -> dict:
    """Read every file under raw/ and split it into sentences with one regular expression."""
    files = n_bytes = sentences = 0
    for folder, _, names in os.walk(raw):
        for name in names:
            data = Path(folder, name).read_bytes()
            sentences += len(SENTENCE_SPLIT.split(data.decode("utf-8", "replace")))
            files += 1
            n_bytes += len(data)
    return {"files": files, "bytes": n_bytes, "sentences": sentences}


def measure_floor(raw: Path, repeat: int = 2) -> tuple[float, dict]:
    best, counts = math.inf, {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        counts = floor_pass(raw)
        best = min(best, time.perf_counter() - t0)
    return best, counts


# ------------------------------------------------------------------------------- children

class _StageTimer:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0


def _map_batches(fn, batches: list, ws, runner: str) -> list:
    """The batches as the flow runs them: in the worker processes for the "process" runner."""
    from flows.processes import in_worker_process, pool_pays_off, worker_count

    if runner != "process" or not pool_pays_off(len(batches)):
        return [fn(batch, ws) for batch in batches]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(worker_count()) as pool:
        return list(pool.map(lambda batch: in_worker_process(fn, batch, ws), batches))


def run_direct(ws, max_batches: int, runner: str, merge_segments: bool = True) -> dict:
    """The flow's steps (flows.pipeline.pipeline) as plain calls, in the same order and with the
    same worker processes, no Prefect. `merge_segments=False` skips the segment merge (to measure it)."""
    from deportdata import stages
    from deportdata.release import candidate_version, latest_release
    from flows.processes import stop_workers

    t = _StageTimer()
    t0 = time.perf_counter()
    manifest = t("scan", stages.scan_raw, ws.raw, ws.scan_record)
    stages.write_manifest(ws, manifest)
    pending = stages.pending_files(manifest, ws)
    t("ingest", _map_batches, stages.ingest_batch, stages.batches(pending, max_batches), ws, runner)
    fingerprint = t("fingerprint", stages.input_fingerprint, manifest)
    summary = {"files": len(manifest), "new_files": len(pending), "skipped": False}
    if fingerprint in stages.known_fingerprints(ws):
        summary["skipped"] = True
    else:
        t("extract", _map_batches, stages.extract_batch,
          stages.batches(stages.pending_extraction(ws), max_batches, min_size=1), ws, runner)
        stop_workers()
        if merge_segments:  # the flow merges in its assemble task
            t("assemble", stages.compact_segments, ws, max_batches)
        assembled = t("assemble", stages.assemble, manifest, ws)
        t("validate", stages.validate_run, ws)
        version = candidate_version(latest_release(ws.processed))
        deduped = t("dedupe", stages.dedupe_run, ws, version)
        t("publish", stages.publish_run, ws, version, fingerprint)
        stages.remember_fingerprint(ws, fingerprint)
        summary.update(n_articles=assembled.n_articles, n_mentions=assembled.n_mentions, events=deduped["events"])
    return {"seconds": time.perf_counter() - t0, "stages": t.times, "summary": summary}


class _Timed:
    """Stands in for a stage or task in flows.pipeline's namespace and times each call of it."""

    def __init__(self, name: str, step, times: dict) -> None:
        self.name, self.step, self.times = name, step, times

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.step(*args, **kwargs)
        finally:
            self.times[self.name] = self.times.get(self.name, 0.0) + time.perf_counter() - t0


def _configured_runner() -> str:
    from deportdata.settings import Settings

    return Settings.load(REPO).runner


def run_flow(ws, max_batches: int, runner: str) -> dict:
    t0 = time.perf_counter()
    from prefect import flow

    import flows.pipeline as fp

    imported = time.perf_counter()

    @flow(name="bench-noop")
    def noop() -> int:
        return 1

    noop()  # starts Prefect's temporary API server (or connects to PREFECT_API_URL)
    started = time.perf_counter()
    times: dict[str, float] = {}
    for name in STAGES:  # ingest and extract submit batch tasks, the others are single tasks
        attribute = f"{name}_stage" if hasattr(fp, f"{name}_stage") else f"{name}_task"
        setattr(fp, attribute, _Timed(name, getattr(fp, attribute), times))
    summary = fp.pipeline(ws, runner=runner, max_batches=max_batches)
    done = time.perf_counter()
    keep = ("files", "new_files", "skipped", "n_articles", "n_mentions", "events", "version")
    return {"seconds": done - started, "prefect_import_s": imported - t0, "prefect_startup_s": started - imported,
            "stages": times, "summary": {k: summary.get(k) for k in keep if k in summary}}


def child_main(args: argparse.Namespace) -> int:
    from deportdata.settings import Settings

    env = {**os.environ, "DEPORTDATA_RAW": args.raw, "DEPORTDATA_PROCESSED": args.processed,
           "DEPORTDATA_CACHE": args.cache}
    settings = Settings.load(REPO, environ=env)
    ws = settings.workspace()
    if args.child == "direct":
        if args.profile_out:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(run_direct, ws, settings.max_batches, settings.runner)
            profiler.dump_stats(args.profile_out)
        else:
            result = run_direct(ws, settings.max_batches, settings.runner)
    elif args.child == "flow":
        result = run_flow(ws, settings.max_batches, settings.runner)
    elif args.child == "noop":
        from prefect import flow

        @flow(name="bench-noop")
        def noop() -> int:
            return 1

        t0 = time.perf_counter()
        noop()
        result = {"seconds": time.perf_counter() - t0, "stages": {}, "summary": {}}
    else:
        raise SystemExit(f"unknown child mode {args.child!r}")
    result["max_batches"] = settings.max_batches
    result["peak_rss_mb"] = _maxrss_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = usage.ru_utime + usage.ru_stime  # whole process: imports and Prefect included
    Path(args.result).write_text(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------- parent side

class _TreeRss:
    """Samples the resident memory of a process and its descendants (Prefect's server) with psutil."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.peak_mb: float | None = None
        try:
            import psutil
        except ImportError:
            return
        self._psutil, self._pid, self._interval = psutil, pid, interval
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        psutil = self._psutil
        try:
            root = psutil.Process(self._pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak_mb = max(self.peak_mb, total / 2**20)
            except psutil.Error:
                return
            self._stop.wait(self._interval)

    def stop(self) -> None:
        if self.peak_mb is not None:
            self._stop.set()
            self._thread.join()


def prefect_env(prefect_home: Path) -> dict:
    """The children's environment: Prefect's state in the bench folder, analytics off."""
    from deportdata.settings import prefect_defaults

    env = dict(os.environ)
    defaults = prefect_defaults(prefect_home.parent)
    defaults["PREFECT_HOME"] = str(prefect_home)
    defaults["PREFECT_LOCAL_STORAGE_PATH"] = str(prefect_home / "storage")
    for key, value in defaults.items():
        if key in ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH"):
            env[key] = value  # isolated from the user's and the project's Prefect state
        else:
            env.setdefault(key, value)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def run_child(mode: str, raw: Path, ws_root: Path, env: dict, log_dir: Path, label: str,
              profile_out: Path | None = None) -> dict:
    result_path = log_dir / f"{label}.result.json"
    log_path = log_dir / f"{label}.log"
    cmd = [sys.executable, "-m", "bench.run", "--child", mode, "--raw", str(raw),
           "--processed", str(ws_root / "processed"), "--cache", str(ws_root / "cache"), "--result", str(result_path)]
    if profile_out:
        cmd += ["--profile-out", str(profile_out)]
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = _TreeRss(proc.pid)
        code = proc.wait()
        sampler.stop()
    wall = time.perf_counter() - t0
    if code != 0 or not result_path.exists():
        tail = log_path.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"bench child {label!r} failed with exit code {code}; log {log_path}:\n{tail}")
    result = json.loads(result_path.read_text())
    result["process_s"] = wall
    result["peak_rss_tree_mb"] = sampler.peak_mb
    return result


def _prepare_size_dir(workdir: Path, size: int, seed: int) -> Path:
    folder = workdir / f"n{size}"
    if folder.exists():
        if not (folder / MARKER).exists():
            raise SystemExit(f"{folder} exists and was not made by bench.run; choose another --workdir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text(json.dumps({"size": size, "seed": seed}))
    return folder


def _log(msg: str) -> None:
    print(msg, flush=True)


def bench_size(size: int, workdir: Path, env: dict, seed: int, incremental_seed: int,
               overhead_pairs: int = OVERHEAD_PAIRS) -> dict:
    from bench.corpus import add_new_articles, generate_corpus

    folder = _prepare_size_dir(workdir, size, seed)
    load_before = os.getloadavg()[0]
    raw, logs = folder / "raw", folder / "logs"
    logs.mkdir()
    _log(f"== {size:,} articles ({folder})")
    stats = generate_corpus(raw, size, seed)
    mb = stats.total_bytes / 1e6
    _log(f"corpus      {stats.n_files:,} files, {stats.n_articles:,} articles, {mb:.1f} MB in {stats.seconds:.1f} s")

    floor_s, floor_counts = measure_floor(raw)
    _log(f"floor       {floor_s:.2f} s (read + regex sentence split, {floor_counts['sentences']:,} sentences)")

    direct = run_child("direct", raw, folder / "ws-direct", env, logs, "direct-cold")
    _log(f"direct      {direct['seconds']:.1f} s  " + _stage_line(direct["stages"]))
    cold = run_child("flow", raw, folder / "ws-flow", env, logs, "flow-cold")
    _log(f"flow cold   {cold['seconds']:.1f} s  " + _stage_line(cold["stages"]) +
         f"  (process {cold['process_s']:.1f} s, peak RSS {cold['peak_rss_mb']:.0f} MB)")
    unchanged = run_child("flow", raw, folder / "ws-flow", env, logs, "flow-unchanged")
    _log(f"unchanged   {unchanged['seconds']:.2f} s (skipped={unchanged['summary'].get('skipped')})")
    if not unchanged["summary"].get("skipped"):
        _log("WARNING: the unchanged rerun did not stop after the scan (did the code change during the run?)")
    n_new = max(1, round(size * INCREMENTAL_FRACTION))
    incrementals, direct_incrementals = [], []
    for batch in range(INCREMENTAL_RUNS):
        new_paths = add_new_articles(raw, n_new, incremental_seed + batch)
        incrementals.append(run_child("flow", raw, folder / "ws-flow", env, logs, f"flow-incremental-{batch + 1}"))
        _log(f"incr. 1%    {incrementals[-1]['seconds']:.1f} s for {n_new} new articles ({len(new_paths)} files)")
        direct_incrementals.append(run_child("direct", raw, folder / "ws-direct", env, logs,
                                             f"direct-incremental-{batch + 1}"))
        _log(f"direct 1%   {direct_incrementals[-1]['seconds']:.1f} s")
    incremental = _median_run(incrementals)
    direct_incr = _median_run(direct_incrementals)
    ratios = [cold["seconds"] / direct["seconds"]]
    for pair in range(2, overhead_pairs + 1 if size <= OVERHEAD_PAIRS_MAX_SIZE else 2):
        # on the corpus with the 1% batches: both runs of a pair see the same files; every other
        # pair runs the flow first, so that a drift in the machine's speed favours neither
        order = ("direct", "flow") if pair % 2 else ("flow", "direct")
        extra = {mode: run_child(mode, raw, folder / f"ws-{mode}-{pair}", env, logs, f"{mode}-cold-{pair}")
                 for mode in order}
        for mode in extra:
            shutil.rmtree(folder / f"ws-{mode}-{pair}")
        ratios.append(extra["flow"]["seconds"] / extra["direct"]["seconds"])
        _log(f"pair {pair}      direct {extra['direct']['seconds']:.1f} s, flow {extra['flow']['seconds']:.1f} s: "
             f"ratio {ratios[-1]:.3f}")

    flows = (cold, unchanged, *incrementals)
    wall_s = cold["seconds"]
    stages = {name: _round(cold["stages"].get(name, 0.0)) for name in STAGES}
    stages["other"] = _round(max(0.0, wall_s - sum(cold["stages"].get(n, 0.0) for n in STAGES)))
    row = {
        "articles": stats.n_articles, "files": stats.n_files, "megabytes": _round(mb, 2),
        "corpus_s": stats.seconds,
        "wall_s": _round(wall_s), "wall_total_s": _round(cold["process_s"]),
        "stages": stages,
        "articles_per_s": _round(stats.n_articles / wall_s, 1), "mb_per_s": _round(mb / wall_s),
        "floor_s": _round(floor_s), "floor_multiple": _round(wall_s / floor_s, 1),
        "floor_articles_per_s": _round(stats.n_articles / floor_s, 1),
        "peak_rss_mb": _round(max(r["peak_rss_mb"] for r in flows), 1),
        "peak_rss_tree_mb": _round(max((r["peak_rss_tree_mb"] or 0.0) for r in flows), 1)
        if cold["peak_rss_tree_mb"] is not None else None,
        "unchanged_rerun_s": _round(unchanged["seconds"]), "unchanged_rerun_total_s": _round(unchanged["process_s"]),
        "unchanged_rerun_skipped": bool(unchanged["summary"].get("skipped")),
        "incremental_1pct_s": _round(incremental["seconds"]),
        "incremental_1pct_runs_s": [_round(r["seconds"]) for r in incrementals],
        "incremental_1pct_total_s": _round(incremental["process_s"]),
        "incremental_articles": n_new,
        "incremental_fraction_of_full": _round(incremental["seconds"] / wall_s),
        "incremental_stages": {name: _round(incremental["stages"].get(name, 0.0)) for name in STAGES},
        "prefect_startup_s": _round(statistics.median(r["prefect_startup_s"] for r in flows)),
        "prefect_import_s": _round(statistics.median(r["prefect_import_s"] for r in flows)),
        "prefect_overhead_ratio": _round(statistics.median(ratios)),
        "prefect_overhead_ratios": [_round(r) for r in ratios],
        "direct_s": _round(direct["seconds"]),
        "direct_stages": {name: _round(direct["stages"].get(name, 0.0)) for name in DIRECT_STAGES},
        "direct_peak_rss_mb": _round(direct["peak_rss_mb"], 1),
        "direct_incremental_1pct_s": _round(direct_incr["seconds"]),
        "direct_incremental_1pct_runs_s": [_round(r["seconds"]) for r in direct_incrementals],
        "cpu_total_s": _round(cold["cpu_s"]), "direct_cpu_total_s": _round(direct["cpu_s"]),
        "load_average_1m": [_round(load_before, 2), _round(os.getloadavg()[0], 2)],
        "max_batches": cold["max_batches"],
        "outputs": {"distinct_articles": cold["summary"].get("n_articles"),
                    "mentions": cold["summary"].get("n_mentions"), "events": cold["summary"].get("events"),
                    "direct_events": direct["summary"].get("events")},
    }
    _log(f"prefect_startup_s: {row['prefect_startup_s']:.1f}")
    _log(f"pipeline = {row['floor_multiple']:.1f} x floor; Prefect overhead ratio {row['prefect_overhead_ratio']:.3f} "
         f"(median of {len(ratios)} pairs; first: flow {wall_s:.1f} s / direct {direct['seconds']:.1f} s); "
         f"{row['articles_per_s']:.1f} articles/s, "
         f"{row['mb_per_s']:.3f} MB/s")
    return row


def _median_run(runs: list[dict]) -> dict:
    """The run of median time (the upper middle one of an even number)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def _stage_line(times: dict) -> str:
    return " ".join(f"{k}={v:.1f}" for k, v in times.items())


# ------------------------------------------------------------------------------- targets

def _get(row: dict, key: str) -> float | None:
    group, _, name = key.partition(":")
    return row.get(group, {}).get(name) if name else row.get(key)


def _fit(sizes: dict, key: str, target: int, kind: str = "power") -> tuple[float | None, str]:
    """Estimate `key` at `target` articles from the two largest measured sizes: a power law
    (time ~ size^b, b fitted, at least 0) or an affine fit (memory = a + b*size, b >= 0).
    One size only: proportional to size (power) or unchanged (affine)."""
    points = sorted((int(n), _get(r, key)) for n, r in sizes.items() if _get(r, key) is not None)
    if not points:
        return None, ""
    n1, v1 = points[-1]
    if len(points) == 1:
        return (v1 * target / n1, "proportional") if kind == "power" else (v1, "as measured")
    n0, v0 = points[-2]
    if kind == "affine":
        slope = max(0.0, (v1 - v0) / (n1 - n0))
        return v1 + slope * (target - n1), f"affine fit {n0}-{n1}"
    b = max(0.0, math.log(max(v1, 1e-9) / max(v0, 1e-9)) / math.log(n1 / n0))
    return v1 * (target / n1) ** b, f"size^{b:.2f}"


def estimate_100k(sizes: dict) -> dict:
    """Each direct step extrapolated on its own (a quadratic step shows), scaled by the measured
    flow/direct ratio, plus Prefect's start-up."""
    largest = max(sizes, key=int)
    steps, fits = 0.0, []
    for name in DIRECT_STAGES:
        value, how = _fit(sizes, f"direct_stages:{name}", 100_000)
        steps += value or 0.0
        fits.append(f"{name} {how}")
    ratio = sizes[largest]["prefect_overhead_ratio"]
    startup = sizes[largest]["prefect_startup_s"] + sizes[largest]["prefect_import_s"]
    return {"wall_s": steps * ratio, "wall_total_s": steps * ratio + startup, "fits": "; ".join(fits)}


def evaluate_targets(sizes: dict) -> list[dict]:
    out: list[dict] = []

    def add(key: str, measured, limit, size=None, estimate=None, note: str = "") -> None:
        ok = None if measured is None else bool(measured < limit)
        out.append({"target": key, "description": TARGETS[key], "size": size, "measured": _round(measured, 3),
                    "limit": limit, "ok": ok, "estimate": _round(estimate, 1), "note": note})

    if not sizes:
        return out
    big = sizes.get("100000")
    if big:
        add("e2e_100k_s", big["wall_total_s"], 120, 100_000)
        # the whole run's memory (workers and Prefect's server too) when it was sampled
        tree = big.get("peak_rss_tree_mb")
        add("peak_rss_100k_mb", tree or big["peak_rss_mb"], 2048, 100_000,
            note="pipeline process, workers and Prefect server" if tree else "pipeline process only")
        add("unchanged_rerun_100k_s", big["unchanged_rerun_s"], 10, 100_000)
    else:
        est = estimate_100k(sizes)
        add("e2e_100k_s", None, 120, 100_000, est["wall_total_s"],
            "estimate: each direct step extrapolated on its own, times the flow/direct ratio, plus start-up")
        # the direct runs' growth: the flow's peak also holds fixed costs (threads, Prefect)
        rss, how = _fit(sizes, "peak_rss_mb", 100_000, "affine")
        direct_rss, direct_how = _fit(sizes, "direct_peak_rss_mb", 100_000, "affine")
        largest = max(sizes, key=int)
        row = sizes[largest]
        if direct_rss is not None:
            grown = row["peak_rss_mb"] + direct_rss - row["direct_peak_rss_mb"]
            if grown > (rss or 0):
                rss, how = grown, f"measured at {largest} plus the direct runs' growth ({direct_how})"
        add("peak_rss_100k_mb", None, 2048, 100_000, rss, f"estimate: {how}")
        # an unchanged rerun's only work that grows with the corpus is the scan (listing every file)
        scan = row["direct_stages"]["scan"] + row["direct_stages"]["fingerprint"]
        rerun = row["unchanged_rerun_s"] + scan * (100_000 / int(largest) - 1)
        add("unchanged_rerun_100k_s", None, 10, 100_000, rerun,
            f"estimate: measured at {largest} plus its scan growing linearly")
    for n, r in sorted(sizes.items(), key=lambda kv: int(kv[0])):
        add("floor_multiple", r["floor_multiple"], 10, int(n))
    if "10000" in sizes:
        add("prefect_overhead_10k", sizes["10000"]["prefect_overhead_ratio"], 1.10, 10_000)
    ordered = sorted(sizes, key=int)
    for a, b in zip(ordered, ordered[1:]):
        if int(b) == 10 * int(a):
            add("scaling_10x", sizes[b]["wall_s"] / sizes[a]["wall_s"], 11, int(b), note=f"wall_s {b} / wall_s {a}")
    for n in ordered:
        add("incremental_fraction", sizes[n]["incremental_fraction_of_full"], 0.10, int(n))
    return out


# ------------------------------------------------------------------------------- reports

ROWS = [
    ("articles", "articles", "{:,}"), ("megabytes", "MB of raw text", "{:.1f}"),
    ("wall_s", "pipeline flow, cold (s)", "{:.1f}"),
    ("stages:ingest", "  ingest (incl. scan)", "{:.1f}"), ("stages:extract", "  extract (incl. assemble)", "{:.1f}"),
    ("stages:validate", "  validate", "{:.1f}"), ("stages:dedupe", "  dedupe", "{:.1f}"),
    ("stages:publish", "  publish", "{:.1f}"), ("stages:other", "  other (flow glue)", "{:.1f}"),
    ("wall_total_s", "child process, cold (s, incl. Prefect start-up)", "{:.1f}"),
    ("articles_per_s", "articles / s", "{:.1f}"), ("mb_per_s", "MB / s", "{:.3f}"),
    ("floor_s", "floor: read + regex split (s)", "{:.2f}"), ("floor_multiple", "pipeline / floor", "{:.0f}x"),
    ("peak_rss_mb", "peak RSS, pipeline process (MB)", "{:.0f}"),
    ("peak_rss_tree_mb", "peak RSS incl. workers and Prefect server (MB, sampled)", "{:.0f}"),
    ("unchanged_rerun_s", "unchanged rerun (s, excl. start-up)", "{:.2f}"),
    ("incremental_1pct_s", "1% incremental run (s, excl. start-up; median of runs)", "{:.1f}"),
    ("incremental_1pct_runs_s", "  each 1% batch in turn (s)", "{:.1f}"),
    ("incremental_fraction_of_full", "1% incremental / full run", "{:.2f}"),
    ("direct_s", "direct stage calls, no Prefect (s)", "{:.1f}"),
    ("prefect_overhead_ratio", "Prefect overhead ratio (flow / direct, median of pairs)", "{:.3f}"),
    ("prefect_overhead_ratios", "  ratio of each cold pair", "{:.3f}"),
    ("prefect_startup_s", "prefect_startup_s (first flow call)", "{:.1f}"),
    ("direct_stages:scan", "  direct: scan", "{:.1f}"), ("direct_stages:ingest", "  direct: ingest", "{:.1f}"),
    ("direct_stages:extract", "  direct: extract", "{:.1f}"),
    ("direct_stages:assemble", "  direct: assemble (near-copies)", "{:.1f}"),
    ("direct_stages:validate", "  direct: validate", "{:.1f}"), ("direct_stages:dedupe", "  direct: dedupe", "{:.1f}"),
    ("direct_stages:publish", "  direct: publish", "{:.1f}"),
    ("direct_incremental_1pct_s", "direct 1% incremental (s, median of runs)", "{:.1f}"),
    ("direct_incremental_1pct_runs_s", "  each 1% batch in turn (s)", "{:.1f}"),
    ("load_average_1m", "load average (1 min), before / after", "{:.1f}"),
    ("cpu_total_s", "CPU s, cold flow process", "{:.0f}"), ("direct_cpu_total_s", "CPU s, direct process", "{:.0f}"),
]


def _cell(row: dict, key: str, fmt: str) -> str:
    value = _get(row, key)
    if isinstance(value, list):
        return " / ".join(fmt.format(v) for v in value)
    return "n/a" if value is None else fmt.format(value)


README_MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")


def quote_in_readme(md: str, readme: Path) -> bool:
    """Put the results (without their heading) between the README's markers; False if it has none."""
    text = readme.read_text(encoding="utf-8")
    start, end = README_MARKERS
    if start not in text or end not in text:
        return False
    body = md.split("\n", 2)[2].strip() if md.startswith("# ") else md.strip()
    head, rest = text.split(start, 1)
    write_atomic(readme, f"{head}{start}\n{body}\n{end}{rest.split(end, 1)[1]}".encode("utf-8"))
    return True


def markdown(report: dict) -> str:
    sizes = sorted(report["sizes"], key=int)
    m = report["machine"]
    failures = [f"**Failed at {int(n):,} articles:**\n\n```\n{msg[-1500:]}\n```\n"
                for n, msg in sorted(report.get("failures", {}).items(), key=lambda kv: int(kv[0]))]
    lines = [
        "# Pipeline benchmark", "",
        f"Run {report['created']} on {m['cpu_count']} CPUs, Python {m['python']}, {m['platform']}, "
        f"Prefect {m.get('prefect')}; `python -m bench.run --sizes {' '.join(sizes)}`. "
        "See bench/README.md for what each line measures.", "",
        f"Code: commit {(report['code'].get('git_commit') or 'unknown')[:12]}"
        f"{' with uncommitted changes' if report['code'].get('git_dirty') else ''}, "
        f"pipeline code fingerprint {report['code']['code_fingerprint']}.", "",
        *[f"**Warning:** {w}" for w in report.get("warnings", [])],
        *([""] if report.get("warnings") else []),
        "| | " + " | ".join(f"{int(n):,}" for n in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for key, label, fmt in ROWS:
        lines.append(f"| {label} | " + " | ".join(_cell(report["sizes"][n], key, fmt) for n in sizes) + " |")
    lines += ["", *failures, "## Targets", "", "| target | size | measured | limit | met |", "|---|---:|---:|---:|---|"]
    for t in report["targets"]:
        measured = "n/a" if t["measured"] is None else f"{t['measured']:g}"
        if t["measured"] is None and t.get("estimate") is not None:
            measured = f"~{t['estimate']:g} (estimate)"
        met = {True: "yes", False: "**no**", None: "not measured"}[t["ok"]]
        note = f" ({t['note']})" if t.get("note") else ""
        lines.append(f"| {t['description']}{note} | {t['size'] or ''} | {measured} | {t['limit']} | {met} |")
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- main

def _parse_sizes(values: list[str]) -> list[int]:
    sizes = []
    for value in values:
        for part in re.split(r"[,\s]+", value.strip()):
            if part:
                n = int(part.replace("_", ""))
                if n < 1:
                    raise argparse.ArgumentTypeError(f"size must be positive: {part}")
                sizes.append(n)
    return sorted(dict.fromkeys(sizes))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", default=[" ".join(map(str, DEFAULT_SIZES))],
                   help="corpus sizes in articles (default: 1000 10000 100000)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--incremental-seed", type=int, default=1,
                   help="seed of the first 1%% batch; the next ones count up (default 1)")
    p.add_argument("--workdir", type=Path, help="where corpora and workspaces go (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep the corpora, workspaces and child logs")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where latest.json and latest.md go")
    p.add_argument("--merge", action="store_true",
                   help="keep sizes from an earlier latest.json that this run does not measure")
    p.add_argument("--overhead-pairs", type=int, default=OVERHEAD_PAIRS,
                   help=f"cold (direct, flow) pairs behind the overhead ratio at sizes up to "
                        f"{OVERHEAD_PAIRS_MAX_SIZE:,} (default {OVERHEAD_PAIRS}; one above)")
    p.add_argument("--no-warmup", action="store_true",
                   help="skip the first Prefect start (database creation) before measuring")
    p.add_argument("--profile", action="store_true",
                   help="only profile the direct stage calls with cProfile at each size (no results written)")
    p.add_argument("--profile-dir", type=Path, help="where --profile writes .prof and .txt (default: --workdir)")
    # internal: one measured run in a child process
    p.add_argument("--child", choices=("direct", "flow", "noop"), help=argparse.SUPPRESS)
    for name in ("--raw", "--processed", "--cache", "--result", "--profile-out"):
        p.add_argument(name, help=argparse.SUPPRESS)
    return p


def profile_main(sizes: list[int], workdir: Path, env: dict, seed: int, out_dir: Path) -> None:
    import pstats

    from bench.corpus import generate_corpus

    out_dir.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        folder = _prepare_size_dir(workdir, size, seed)
        (folder / "logs").mkdir()
        generate_corpus(folder / "raw", size, seed)
        prof = out_dir / f"profile-{size}.prof"
        result = run_child("direct", folder / "raw", folder / "ws", env, folder / "logs", "profile", prof)
        stats = pstats.Stats(str(prof))
        total = result["seconds"]
        text = out_dir / f"profile-{size}.txt"
        with open(text, "w") as fh:
            fh.write(f"direct stage calls at {size} articles under cProfile: {total:.1f} s; stages "
                     f"{_stage_line(result['stages'])}\n\n")
            for order in ("cumulative", "tottime"):
                stats.stream = fh
                stats.sort_stats(order).print_stats(60)
        _log(f"profile {size}: {total:.1f} s ({_stage_line(result['stages'])}); {text}")
        width = max(10, total)
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:15]  # by own time
        for (file, line, func), (_, _, tt, ct, _) in rows:
            _log(f"  {tt / width:6.1%} own {ct / width:6.1%} cum  {func}  {Path(file).name}:{line}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.child:
        return child_main(args)
    sizes = _parse_sizes(args.sizes)
    made_workdir = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="deportdata-bench-")) if made_workdir else args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    prefect_home = workdir / "prefect"
    env = prefect_env(prefect_home)
    created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    try:
        if args.profile:
            profile_main(sizes, workdir, env, args.seed, args.profile_dir or workdir)
            return 0
        code_before = code_state()
        first_start = None
        if not args.no_warmup:
            warm = run_child("noop", workdir, workdir / "warmup", env, workdir, "prefect-warmup")
            first_start = warm["seconds"]
            _log(f"prefect first start (new Prefect home): {first_start:.1f} s in-process, "
                 f"{warm['process_s']:.1f} s process")
        results: dict[str, dict] = {}
        failed: dict[str, str] = {}
        for size in sizes:
            try:
                results[str(size)] = bench_size(size, workdir, env, args.seed, args.incremental_seed,
                                                args.overhead_pairs)
            except RuntimeError as err:  # a pipeline run failed: report it, go on with the other sizes
                _log(f"FAILED at {size}: {err}")
                failed[str(size)] = str(err)[-3000:]
        code = code_state()
        warnings = [f"size {n}: the unchanged rerun did not stop after the scan"
                    for n, r in results.items() if not r["unchanged_rerun_skipped"]]
        warnings += [f"size {n}: a pipeline run failed (see `failures`)" for n in failed]
        if code["code_fingerprint"] != code_before["code_fingerprint"]:
            warnings.append("the pipeline's code changed during the benchmark: results mix two versions")
        for warning in warnings:
            _log(f"WARNING: {warning}")
        args.results_dir.mkdir(parents=True, exist_ok=True)
        latest = args.results_dir / "latest.json"
        if args.merge and latest.exists():
            previous = json.loads(latest.read_text())
            results = {**{n: r for n, r in previous.get("sizes", {}).items() if n not in failed}, **results}
        report = {
            "schema": 1, "created": created, "command": ["python", "-m", "bench.run", *(argv or sys.argv[1:])],
            "machine": machine_info(), "code": code, "warnings": warnings,
            "settings": {"seed": args.seed, "incremental_seed": args.incremental_seed,
                         "incremental_fraction": INCREMENTAL_FRACTION,
                         "runner": _configured_runner(),
                         "prefect_api": "server" if os.environ.get("PREFECT_API_URL") else "ephemeral"},
            "prefect_first_start_s": _round(first_start),
            "sizes": dict(sorted(results.items(), key=lambda kv: int(kv[0]))),
            "failures": failed,
        }
        report["targets"] = evaluate_targets(report["sizes"])
        write_atomic(latest, (json.dumps(report, indent=2) + "\n").encode("utf-8"))
        md = markdown(report)
        write_atomic(args.results_dir / "latest.md", md.encode("utf-8"))
        _log("\n" + md)
        _log(f"wrote {latest} and {args.results_dir / 'latest.md'}")
        if args.results_dir.resolve() == RESULTS_DIR.resolve() and quote_in_readme(md, REPO / "README.md"):
            _log("quoted the table in README.md")
        if failed:
            return 1
    finally:
        if args.keep:
            _log(f"kept {workdir}")
        elif made_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            for folder in [prefect_home, workdir / "warmup", *(workdir / f"n{n}" for n in sizes)]:
                if folder.is_dir() and (folder.name in ("prefect", "warmup") or (folder / MARKER).exists()):
                    shutil.rmtree(folder, ignore_errors=True)
            for leftover in workdir.glob("prefect-warmup.*"):
                leftover.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
