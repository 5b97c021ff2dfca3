"""One run at a time: a lock file under processed/ held for the whole run.

The lock records the holder's host and pid. A later run waits up to a bounded time for it;
a lock whose process no longer exists on this host (a killed run) is stale and is cleared.
A lock from another host is never cleared automatically: its process cannot be checked."""
from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = ".lock"


class LockTimeout(RuntimeError):
    pass


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started: float


def _read(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(str(data["host"]), int(data["pid"]), float(data["started"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return Holder("?", -1, 0.0)  # unreadable: half written by a process killed mid-write


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(holder: Holder, lock_path: Path) -> bool:
    if holder.pid == -1:
        return time.time() - lock_path.stat().st_mtime > 60 if lock_path.exists() else True
    return holder.host == socket.gethostname() and not _alive(holder.pid)


def _clear_stale(path: Path, holder: Holder) -> None:
    """Remove a stale lock unless someone else already replaced it. Two waiters may see the same
    stale lock; a guard file created with O_EXCL lets only one of them break it, and the lock is
    read again under the guard so a fresh lock is never removed."""
    guard = path.with_name(path.name + ".break")
    try:
        fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            if time.time() - guard.stat().st_mtime > 60:  # a breaker killed mid-way
                guard.unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # the other breaker just finished
        return
    try:
        os.close(fd)
        if _read(path) == holder:
            path.unlink(missing_ok=True)
    finally:
        guard.unlink(missing_ok=True)


def _try_create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}, fh)
    return True


@contextmanager
def run_lock(processed: Path, timeout_s: float, poll_s: float = 0.5, on_wait=None):
    """Hold processed/.lock for the block; wait up to timeout_s for another holder."""
    processed.mkdir(parents=True, exist_ok=True)
    path = processed / LOCK_NAME
    deadline = time.monotonic() + timeout_s
    waited = False
    while not _try_create(path):
        holder = _read(path)
        if holder is None:
            continue
        stale = is_stale(holder, path)
        if stale:
            _clear_stale(path, holder)  # the holder is gone; its run was killed
            if _read(path) != holder:
                continue  # cleared (by us or another waiter): try to take it now
        if time.monotonic() >= deadline:
            raise LockTimeout(f"another run (pid {holder.pid} on {holder.host}) holds {path}; waited {timeout_s:g} s. "
                              f"If no run is going on, delete {path}.")
        if on_wait and not waited:
            on_wait(holder)
        waited = True
        time.sleep(poll_s)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
