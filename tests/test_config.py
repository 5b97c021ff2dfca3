"""Configuration: deportdata.toml (every key optional), environment overrides, and bad values
failing at start with a ConfigError that names the key, before Prefect is started."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from deportdata.settings import ConfigError, Settings

REPO = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("deportdata"))

ENV_VARS = ("DEPORTDATA_RAW", "DEPORTDATA_PROCESSED", "DEPORTDATA_CACHE", "DEPORTDATA_CRON", "DEPORTDATA_RUNNER",
            "DEPORTDATA_DASK_ADDRESS", "DEPORTDATA_MAX_BATCHES", "DEPORTDATA_LOCK_TIMEOUT", "DEPORTDATA_ROOT")


def write_config(root: Path, text: str) -> Path:
    path = root / "deportdata.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_defaults_without_a_config_file(tmp_path):
    s = Settings.load(tmp_path, environ={})
    root = tmp_path.resolve()
    assert (s.root, s.raw, s.processed, s.cache) == (root, root / "raw", root / "processed", root / ".cache")
    assert (s.cron, s.runner, s.dask_address, s.max_batches, s.lock_timeout_s) == ("0 * * * *", "process", "", 16, 600)
    assert s.workspace().root_descriptor == root / "datapackage.json"


def test_the_shipped_config_file_states_the_defaults(tmp_path):
    """deportdata.toml says "every value here is the default": loading it equals loading nothing."""
    write_config(tmp_path, (REPO / "deportdata.toml").read_text(encoding="utf-8"))
    (tmp_path / "empty").mkdir()
    shipped = Settings.load(tmp_path, environ={})
    defaults = Settings.load(tmp_path / "empty", environ={})
    assert {k: v for k, v in shipped.__dict__.items() if k not in ("root", "raw", "processed", "cache")} == \
        {k: v for k, v in defaults.__dict__.items() if k not in ("root", "raw", "processed", "cache")}
    assert shipped.raw == tmp_path.resolve() / "raw"


def test_values_from_the_file(tmp_path):
    write_config(tmp_path, """
        [paths]
        raw = "data/raw"
        processed = "/srv/deportdata/processed"
        [schedule]
        cron = "*/15 * * * *"
        [runner]
        kind = "dask"
        dask_address = "tcp://10.0.0.5:8786"
        max_batches = 4
        [lock]
        timeout_s = 30
    """)
    s = Settings.load(tmp_path, environ={})
    assert s.raw == tmp_path.resolve() / "data" / "raw"          # relative to the file's folder
    assert s.processed == Path("/srv/deportdata/processed")       # absolute kept
    assert s.cache == tmp_path.resolve() / ".cache"               # missing key: default
    assert (s.cron, s.runner, s.dask_address, s.max_batches, s.lock_timeout_s) == \
        ("*/15 * * * *", "dask", "tcp://10.0.0.5:8786", 4, 30)


def test_environment_overrides_file_values(tmp_path):
    write_config(tmp_path, """
        [paths]
        raw = "data/raw"
        [runner]
        kind = "dask"
        max_batches = 4
        [lock]
        timeout_s = 30
    """)
    env = {"DEPORTDATA_RAW": str(tmp_path / "elsewhere"), "DEPORTDATA_PROCESSED": "out", "DEPORTDATA_CACHE": "c",
           "DEPORTDATA_CRON": "5 4 * * 1", "DEPORTDATA_RUNNER": "thread", "DEPORTDATA_DASK_ADDRESS": "tcp://h:1",
           "DEPORTDATA_MAX_BATCHES": "8", "DEPORTDATA_LOCK_TIMEOUT": "7"}
    s = Settings.load(tmp_path, environ=env)
    assert s.raw == tmp_path / "elsewhere"
    assert s.processed == tmp_path.resolve() / "out" and s.cache == tmp_path.resolve() / "c"
    assert (s.cron, s.runner, s.dask_address, s.max_batches, s.lock_timeout_s) == \
        ("5 4 * * 1", "thread", "tcp://h:1", 8, 7)


def test_process_environment_applies_by_default(tmp_path, monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEPORTDATA_MAX_BATCHES", "3")
    assert Settings.load(tmp_path).max_batches == 3


@pytest.mark.parametrize(("text", "env", "key"), [
    ("[paths]\nraws = 'r'\n", {}, "paths.raws"),
    ("[runner]\nkind = 'thread'\nworkers = 4\n", {}, "runner.workers"),
    ("[sched]\ncron = '0 * * * *'\n", {}, "sched.cron"),
    ("[schedule]\ncron = 'every hour'\n", {}, "schedule.cron"),
    ("[schedule]\ncron = '0 * * *'\n", {}, "schedule.cron"),
    ("", {"DEPORTDATA_CRON": "* * * * * *"}, "schedule.cron"),
    ("[runner]\nkind = 'processes'\n", {}, "runner.kind"),
    ("", {"DEPORTDATA_RUNNER": "Dask"}, "runner.kind"),
    ("[lock]\ntimeout_s = 0\n", {}, "lock.timeout_s"),
    ("[lock]\ntimeout_s = -5\n", {}, "lock.timeout_s"),
    ("", {"DEPORTDATA_LOCK_TIMEOUT": "ten"}, "lock.timeout_s"),
    ("[runner]\nmax_batches = 0\n", {}, "runner.max_batches"),
    ("", {"DEPORTDATA_MAX_BATCHES": "-1"}, "runner.max_batches"),
], ids=["unknown-key", "unknown-runner-key", "unknown-section", "cron-words", "cron-4-fields", "cron-env-6-fields",
        "runner-process", "runner-env-case", "timeout-zero", "timeout-negative", "timeout-env-text", "batches-zero",
        "batches-env-negative"])
def test_bad_values_raise_config_error_naming_the_key(tmp_path, text, env, key):
    if text:
        write_config(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        Settings.load(tmp_path, environ=env)
    assert key in str(err.value)


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write_config(tmp_path, "[runner]\nkind = thread\n")
    with pytest.raises(ConfigError) as err:
        Settings.load(tmp_path, environ={})
    assert str(path) in str(err.value) and "line 2" in str(err.value)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(("text", "key"), [("[lock]\ntimeout_s = 0\n", "lock.timeout_s"),
                                           ("[runner]\nkind = 'threads'\n", "runner.kind"),
                                           ("[paths]\nrow = 'r'\n", "paths.row")])
def test_cli_run_with_bad_config_exits_2_before_starting_prefect(tmp_path, text, key):
    (tmp_path / "raw").mkdir()
    write_config(tmp_path, text)
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    started = time.perf_counter()
    done = subprocess.run([CLI, "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - started
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("deportdata: bad configuration:"), done.stderr
    assert key in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
    # nothing was started: no lock or release folder, no Prefect home, no temporary API server (10+ s)
    assert not (tmp_path / "processed").exists() and not (tmp_path / ".prefect").exists()
    assert not (tmp_path / "prefect-home").exists()
    assert seconds < 10, f"took {seconds:.1f} s: Prefect was started?"


def test_cli_bad_config_does_not_import_prefect(tmp_path):
    """Stronger than timing: the configuration is checked before Prefect is even imported."""
    (tmp_path / "raw").mkdir()
    write_config(tmp_path, "[schedule]\ncron = 'hourly'\n")
    code = ("import sys\nfrom deportdata.cli import main\n"
            "try:\n    main(['run'])\nexcept SystemExit as exit:\n"
            "    print(exit.code, 'prefect' in sys.modules)\n")
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["2", "False"], (done.stdout, done.stderr)
    assert "schedule.cron" in done.stderr


def test_cli_serve_rejects_a_bad_cron_option(tmp_path):
    (tmp_path / "raw").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k != "PREFECT_API_URL"}
    done = subprocess.run([CLI, "serve", "--cron", "every 5 minutes"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "schedule.cron" in done.stderr, done.stderr
    assert not (tmp_path / ".prefect").exists()


def test_cron_with_day_names_is_accepted(tmp_path):
    assert Settings.load(tmp_path, environ={"DEPORTDATA_CRON": "0 6 * * MON-FRI"}).cron == "0 6 * * MON-FRI"


@pytest.mark.parametrize("value", ["2.9", "true"])
def test_non_integer_numbers_are_rejected(tmp_path, value):
    write_config(tmp_path, f"[lock]\ntimeout_s = {value}\n")
    with pytest.raises(ConfigError, match="lock.timeout_s"):
        Settings.load(tmp_path, environ={})
