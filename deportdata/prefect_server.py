"""A local Prefect API server (SQLite) for what Prefect's temporary in-process server cannot
do: schedules (`deportdata serve`) and Dask workers, which would otherwise each start their
own temporary server (STACK-NOTES). Started on 127.0.0.1 and stopped on exit."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def local_prefect_server(log_path: Path, timeout_s: float = 90.0):
    """Start `prefect server start` on a free loopback port, point PREFECT_API_URL at it while
    the block runs, and stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    prefect = Path(sys.executable).with_name("prefect")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        proc = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    previous = os.environ.get("PREFECT_API_URL")
    try:
        deadline = time.monotonic() + timeout_s
        while not is_healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"the local Prefect server exited with code {proc.returncode}; see {log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local Prefect server did not answer within {timeout_s:g} s; see {log_path}")
            time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
