"""`deportdata serve` and prefect.yaml: the schedule is registered on a real (local) Prefect
server, which is stopped with the command; the team deployment's entrypoint is a flow."""
from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from deportdata.prefect_server import is_healthy

REPO = Path(__file__).resolve().parents[1]
CRON = "*/5 * * * *"


def test_prefect_yaml_loads_and_its_entrypoint_is_a_flow():
    from prefect import Flow

    from deportdata.settings import _check_cron

    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = config["deployments"]
    assert deployment["name"] == "deportdata"
    assert deployment["work_pool"]["name"]
    for schedule in deployment.get("schedules", []):
        _check_cron(schedule["cron"])
    file, function = deployment["entrypoint"].split(":")
    assert (REPO / file).is_file()
    spec = importlib.util.spec_from_file_location("prefect_yaml_entrypoint", REPO / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entry = getattr(module, function)
    assert isinstance(entry, Flow)
    assert entry.name == "scheduled-run"
    # the deployment passes no parameters: every one the flow has must be optional
    assert not set(deployment.get("parameters") or {}) - set(entry.parameters.properties)
    assert not entry.parameters.required


def _post_json(url: str, body: dict) -> list | dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


_answers = is_healthy


@pytest.mark.flow
def test_serve_registers_the_schedule_and_stops_its_server(tmp_path):
    import psutil

    (tmp_path / "raw").mkdir()
    for seed in sorted((REPO / "raw").glob("*.txt")):
        shutil.copyfile(seed, tmp_path / "raw" / seed.name)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL" and not k.startswith("DEPORTDATA_")}
    env.update({"PREFECT_HOME": str(tmp_path / "prefect-home"), "PYTHONUNBUFFERED": "1"})
    stderr = (tmp_path / "serve.err").open("w")
    serve = subprocess.Popen([str(Path(sys.executable).with_name("deportdata")), "serve", "--cron", CRON],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump():
        for line in serve.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    descendants: list[psutil.Process] = []
    started = time.monotonic()
    try:
        url = None
        while url is None:
            line = lines.get(timeout=max(1.0, 120 - (time.monotonic() - started)))
            assert line is not None, f"serve exited ({serve.poll()}): {(tmp_path / 'serve.err').read_text()[-3000:]}"
            found = re.search(r"serving deployment .* with the Prefect API at (http://\S+);", line)
            url = found and found[1]
        assert url.startswith("http://127.0.0.1:") and _answers(url)
        assert (tmp_path / "prefect-home").is_dir()  # Prefect's state kept where PREFECT_HOME says

        descendants = psutil.Process(serve.pid).children(recursive=True)
        servers = [p for p in descendants if "server" in p.cmdline() and "start" in p.cmdline()]
        assert len(servers) == 1, [p.cmdline() for p in descendants]

        deployment = None
        while deployment is None and time.monotonic() - started < 150:
            found = [d for d in _post_json(f"{url}/deployments/filter", {}) if d["name"] == "deportdata"]
            deployment = found[0] if found else time.sleep(0.5)
        assert deployment is not None, "no deployment named 'deportdata' was registered"
        crons = [s["schedule"].get("cron") for s in deployment["schedules"]]
        assert crons == [CRON] and all(s["active"] for s in deployment["schedules"])
        assert not deployment["paused"]
        [flow] = _post_json(f"{url}/flows/filter", {"flows": {"id": {"any_": [deployment["flow_id"]]}}})
        assert flow["name"] == "scheduled-run"
        registered = time.monotonic() - started

        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=60) == 0, (tmp_path / "serve.err").read_text()[-3000:]
        _, alive = psutil.wait_procs(descendants, timeout=30)
        assert alive == [], f"left running after serve exited: {[p.cmdline() for p in alive]}"
        assert not _answers(url)
        print(f"serve: schedule registered after {registered:.1f} s, stopped after "
              f"{time.monotonic() - started:.1f} s")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        for proc in descendants:
            if proc.is_running():
                proc.kill()
        stderr.close()
