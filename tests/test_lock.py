"""Concurrent runs are serialised by processed/.lock: holders never overlap, a waiter gives up
after its timeout with a clear message, and a lock left by a killed process is cleared."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deportdata.lock import LOCK_NAME, LockTimeout, run_lock

REPO = Path(__file__).resolve().parents[1]

HOLD = """
import sys, time
from pathlib import Path
from deportdata.lock import run_lock
processed, hold, log = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
with run_lock(processed, timeout_s=60, poll_s=0.05):
    start = time.time()
    print("locked", flush=True)
    time.sleep(hold)
    end = time.time()
with log.open("a") as fh:
    fh.write(f"{start} {end}\\n")
"""


def assert_no_overlap(intervals: list[tuple[float, float]]) -> None:
    intervals = sorted(intervals)
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        assert start >= end, f"two holders overlapped: {intervals}"


def dead_pid() -> int:
    """A pid that surely does not exist now: a child that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_threads_never_hold_the_lock_together(tmp_path):
    intervals, errors = [], []

    def worker():
        try:
            with run_lock(tmp_path, timeout_s=30, poll_s=0.01) as path:
                start = time.monotonic()
                assert json.loads(path.read_text())["pid"] == os.getpid()
                time.sleep(0.1)
                intervals.append((start, time.monotonic()))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(intervals) == 4
    assert_no_overlap(intervals)
    assert not (tmp_path / LOCK_NAME).exists()


def test_processes_never_hold_the_lock_together(tmp_path):
    log = tmp_path / "intervals.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "processed"), "0.4", str(log)], env=env)
             for _ in range(3)]
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    intervals = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    assert len(intervals) == 3
    assert_no_overlap(intervals)
    assert not (tmp_path / "processed" / LOCK_NAME).exists()


def test_lock_is_released_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError):
        with run_lock(tmp_path, timeout_s=1):
            raise RuntimeError("run failed")
    assert not (tmp_path / LOCK_NAME).exists()
    with run_lock(tmp_path, timeout_s=1):
        pass


def test_a_waiter_times_out_with_a_clear_message(tmp_path):
    waits = []
    with run_lock(tmp_path, timeout_s=1) as path:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as err:
            with run_lock(tmp_path, timeout_s=0.5, poll_s=0.05, on_wait=waits.append):
                pytest.fail("got a lock another holder has")
        waited = time.monotonic() - started
        assert path.exists()  # the holder keeps its lock
    message = str(err.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message
    assert str(tmp_path / LOCK_NAME) in message and "waited 0.5 s" in message
    assert f"delete {tmp_path / LOCK_NAME}" in message
    assert 0.5 <= waited < 3
    assert len(waits) == 1 and waits[0].pid == os.getpid()  # on_wait once, with the holder


def test_a_waiter_gets_the_lock_when_the_holder_finishes(tmp_path):
    acquired = threading.Event()
    release = threading.Event()

    def holder():
        with run_lock(tmp_path, timeout_s=5):
            acquired.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    assert acquired.wait(10)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with run_lock(tmp_path, timeout_s=10, poll_s=0.05):
        assert time.monotonic() - started >= 0.25
    t.join(10)


def test_stale_lock_of_a_killed_process_is_cleared(tmp_path):
    processed = tmp_path / "processed"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(processed), "600", str(tmp_path / "log")], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        lock = processed / LOCK_NAME
        assert json.loads(lock.read_text())["pid"] == child.pid
        with pytest.raises(LockTimeout):  # alive: not stale
            with run_lock(processed, timeout_s=0.3, poll_s=0.05):
                pass
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert lock.exists(), "a killed run leaves its lock behind"
    started = time.monotonic()
    with run_lock(processed, timeout_s=5, poll_s=0.05) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert time.monotonic() - started < 1, "a stale lock must be cleared at once, not waited for"


def test_lock_file_with_a_dead_pid_on_this_host_is_cleared(tmp_path):
    (tmp_path / LOCK_NAME).write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid(), "started": 1.0}))
    with run_lock(tmp_path, timeout_s=0.5) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_lock_of_another_host_is_never_cleared(tmp_path):
    (tmp_path / LOCK_NAME).write_text(json.dumps({"host": "other-host.invalid", "pid": dead_pid(), "started": 1.0}))
    with pytest.raises(LockTimeout, match=r"on other-host\.invalid"):
        with run_lock(tmp_path, timeout_s=0.3, poll_s=0.05):
            pass
    assert (tmp_path / LOCK_NAME).exists()


def test_half_written_lock_is_trusted_for_a_minute_then_cleared(tmp_path):
    lock = tmp_path / LOCK_NAME
    lock.write_text('{"host": "')
    with pytest.raises(LockTimeout):  # fresh: its writer may be about to finish
        with run_lock(tmp_path, timeout_s=0.3, poll_s=0.05):
            pass
    old = time.time() - 120
    os.utime(lock, (old, old))
    with run_lock(tmp_path, timeout_s=0.5):
        pass


@pytest.mark.flow
def test_two_cli_runs_started_together_publish_one_release(prefect_harness, samples, tmp_path):
    """Two `deportdata run` on one project at once: one publishes, the other waits for the lock,
    then finds that release and says nothing new. The test holds the lock until both runs wait
    for it, so they overlap however fast a run is."""
    samples.write_sample_raw(tmp_path / "raw")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPORTDATA_")}
    env.update({"SOURCE_DATE_EPOCH": samples.SOURCE_DATE_EPOCH, "PREFECT_API_URL": prefect_harness,
                "DEPORTDATA_LOCK_TIMEOUT": "240"})
    command = [str(Path(sys.executable).with_name("deportdata")), "run"]
    processed = tmp_path / "processed"
    errs = [tmp_path / f"run-{i}.err" for i in range(2)]
    with run_lock(processed, timeout_s=5):
        procs = []
        for err in errs:
            with err.open("w") as fh:
                procs.append(subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=fh,
                                              text=True))
        deadline = time.monotonic() + 240
        while not all(re.search(r"waiting for the run of pid \d+ on ", err.read_text()) for err in errs):
            assert all(p.poll() is None for p in procs), [err.read_text()[-3000:] for err in errs]
            assert time.monotonic() < deadline, "the runs never waited for the lock"
            time.sleep(0.2)
    outs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, out, err in zip(procs, outs, errs):
        assert proc.returncode == 0, (out, err.read_text()[-3000:])
    published = [out for out in outs if "published release 1.0.0" in out]
    skipped = [out for out in outs if "nothing new since release 1.0.0" in out]
    assert len(published) == 1 and len(skipped) == 1, outs
    from deportdata.release import releases

    assert [r.version for r in releases(processed)] == ["1.0.0"]
    assert not list(processed.glob(".staging-*")) and not (processed / ".lock").exists()
    assert json.loads((processed / "index.json").read_text())["latest"] == "1.0.0"


def test_two_waiters_clearing_the_same_stale_lock_do_not_both_get_it(tmp_path, monkeypatch):
    """The race made deterministic: both waiters read the stale lock before either clears it, and
    the second is paused (as a scheduler might) until the first holds the new lock."""
    import deportdata.lock as lock_module

    (tmp_path / LOCK_NAME).write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid(), "started": 1.0}))
    both_read = threading.Barrier(2, timeout=5)
    first_holds = threading.Event()
    seen: set[str] = set()
    original = lock_module.is_stale

    def paused_is_stale(holder, path):
        stale = original(holder, path)
        name = threading.current_thread().name
        if stale and name not in seen:
            seen.add(name)
            both_read.wait()
            if name == "second":
                first_holds.wait(5)
        return stale

    monkeypatch.setattr(lock_module, "is_stale", paused_is_stale)
    intervals = []

    def worker():
        with run_lock(tmp_path, timeout_s=10, poll_s=0.01):
            start = time.monotonic()
            if threading.current_thread().name == "first":
                first_holds.set()
            time.sleep(0.5)
            intervals.append((start, time.monotonic()))

    threads = [threading.Thread(target=worker, name=name) for name in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(intervals) == 2
    assert_no_overlap(intervals)


def _stale_lock_and_guard(folder: Path) -> Path:
    (folder / LOCK_NAME).write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid(), "started": 1.0}))
    guard = folder / (LOCK_NAME + ".break")
    guard.write_text("")
    return guard


def test_guard_removed_by_the_other_breaker_meanwhile_is_not_an_error(tmp_path, monkeypatch):
    import deportdata.lock as lock_module

    guard = _stale_lock_and_guard(tmp_path)
    real_open = os.open

    def open_then_other_breaker_finishes(path, flags, *args):
        try:
            return real_open(path, flags, *args)
        except FileExistsError:
            if str(path) == str(guard):
                guard.unlink()  # the other waiter finished breaking between our create and stat
            raise

    monkeypatch.setattr(lock_module.os, "open", open_then_other_breaker_finishes)
    with run_lock(tmp_path, timeout_s=2, poll_s=0.05):
        pass


def test_a_stuck_break_guard_does_not_make_waiters_spin_past_their_timeout(tmp_path):
    guard = _stale_lock_and_guard(tmp_path)
    outcome = []

    def waiter():
        started = time.process_time()
        try:
            with run_lock(tmp_path, timeout_s=0.5, poll_s=0.05):
                outcome.append("acquired")
        except LockTimeout:
            outcome.append("timeout")
        outcome.append(time.process_time() - started)

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    thread.join(3)
    finished = not thread.is_alive()
    if not finished:  # let the spinning waiter go: an old guard counts as a killed breaker
        os.utime(guard, (time.time() - 120, time.time() - 120))
        thread.join(10)
    assert finished, "the waiter was still busy 3 s after its 0.5 s timeout"
    # either outcome is fine (a fix may also detect the dead breaker), but promptly and without spinning
    assert outcome[0] in ("timeout", "acquired") and outcome[1] < 0.5, outcome


def test_clear_cache_waits_for_the_lock(tmp_path, monkeypatch, capsys):
    from deportdata.cli import main

    (tmp_path / "raw").mkdir()
    segment = tmp_path / "cache" / "segments" / "ingest-1" / "x.files.json"
    segment.parent.mkdir(parents=True)
    segment.write_text("[]")
    monkeypatch.chdir(tmp_path)
    for name, folder in (("RAW", "raw"), ("PROCESSED", "processed"), ("CACHE", "cache")):
        monkeypatch.setenv(f"DEPORTDATA_{name}", str(tmp_path / folder))
    monkeypatch.setenv("DEPORTDATA_LOCK_TIMEOUT", "1")
    with run_lock(tmp_path / "processed", timeout_s=1):  # another run is going on
        assert main(["run", "--clear-cache"]) == 3
    assert "holds" in capsys.readouterr().err
    assert segment.exists(), "the running run's cache was deleted under it"
