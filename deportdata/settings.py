"""Configuration: `deportdata.toml` at the project root (every key documented there, all
optional), each value overridable by an environment variable. Bad values fail at start
with a message naming the key."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from deportdata.stages import Workspace

CONFIG_FILE = "deportdata.toml"
RUNNERS = ("process", "thread", "dask")

# (section, key) -> (environment variable, default)
_KEYS = {
    ("paths", "raw"): ("DEPORTDATA_RAW", "raw"),
    ("paths", "processed"): ("DEPORTDATA_PROCESSED", "processed"),
    ("paths", "cache"): ("DEPORTDATA_CACHE", ".cache"),
    ("schedule", "cron"): ("DEPORTDATA_CRON", "0 * * * *"),
    ("runner", "kind"): ("DEPORTDATA_RUNNER", "process"),
    ("runner", "dask_address"): ("DEPORTDATA_DASK_ADDRESS", ""),
    ("runner", "max_batches"): ("DEPORTDATA_MAX_BATCHES", 16),
    ("lock", "timeout_s"): ("DEPORTDATA_LOCK_TIMEOUT", 600),
}


class ConfigError(ValueError):
    pass


def prefect_defaults(root: Path) -> dict[str, str]:
    """Prefect settings for a self-contained run (see STACK-NOTES): state kept in the project,
    no analytics calls to outside hosts, and time for the temporary API server to start."""
    home = root / ".prefect"
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    }


def configure_prefect(root: Path | None = None) -> None:
    """Set Prefect's environment before prefect is imported; explicit settings win."""
    for key, value in prefect_defaults(root or Path.cwd()).items():
        os.environ.setdefault(key, value)


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_CRON_NAMES = {3: "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 4: "SUN MON TUE WED THU FRI SAT".split()}


def _cron_value(token: str, index: int) -> int:
    names = _CRON_NAMES.get(index, [])
    if token.upper() in names:
        return names.index(token.upper()) + (1 if index == 3 else 0)
    if not token.isdigit():
        raise ValueError(token)
    return int(token)


def _check_cron(value: str) -> str:
    """A standard 5-field cron expression (numbers, ranges, lists, steps, month and day names)."""
    fields = value.split()
    problem = None if len(fields) == 5 else "it needs 5 fields"
    for index, field in enumerate(fields if problem is None else []):
        name, low, high = _CRON_FIELDS[index]
        for item in field.split(","):
            span, _, step = item.partition("/")
            try:
                if step and int(step) <= 0:
                    raise ValueError(step)
                bounds = [low, high] if span == "*" else [_cron_value(t, index) for t in span.split("-", 1)]
            except ValueError:
                problem = f"{name} {item!r} is not a number, range or name"
                break
            if not all(low <= b <= high for b in bounds) or bounds[0] > bounds[-1]:
                problem = f"{name} {item!r} is outside {low}-{high}"
                break
        if problem:
            break
    if problem:
        raise ConfigError(f"schedule.cron must be a cron expression like '0 * * * *': {value!r}: {problem}")
    return value


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or isinstance(value, float) or (isinstance(value, str) and not value.strip().isdigit()):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be positive, got {number}")
    return number


@dataclass(frozen=True)
class Settings:
    root: Path
    raw: Path
    processed: Path
    cache: Path
    cron: str
    runner: str
    dask_address: str
    max_batches: int
    lock_timeout_s: int

    @classmethod
    def load(cls, root: Path | None = None, environ: dict[str, str] | None = None) -> "Settings":
        base = (root or Path.cwd()).resolve()
        env = os.environ if environ is None else environ
        file = base / CONFIG_FILE
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8")) if file.exists() else {}
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{file}: {err}") from None
        unknown = [f"{s}.{k}" for s, keys in data.items() for k in (keys if isinstance(keys, dict) else {"": 0})
                   if (s, k) not in _KEYS]
        if unknown:
            raise ConfigError(f"{file}: unknown setting(s) {', '.join(unknown)}")
        values = {}
        for (section, key), (var, default) in _KEYS.items():
            values[f"{section}.{key}"] = env.get(var, data.get(section, {}).get(key, default))
        runner = str(values["runner.kind"])
        if runner not in RUNNERS:
            raise ConfigError(f"runner.kind must be one of {RUNNERS}, got {runner!r}")
        path = lambda v: (base / v) if not Path(v).is_absolute() else Path(v)  # noqa: E731
        return cls(
            root=base, raw=path(values["paths.raw"]), processed=path(values["paths.processed"]),
            cache=path(values["paths.cache"]), cron=_check_cron(str(values["schedule.cron"])), runner=runner,
            dask_address=str(values["runner.dask_address"]),
            max_batches=_positive_int("runner.max_batches", values["runner.max_batches"]),
            lock_timeout_s=_positive_int("lock.timeout_s", values["lock.timeout_s"]),
        )

    def workspace(self) -> Workspace:
        return Workspace(raw=self.raw, processed=self.processed, cache=self.cache)
