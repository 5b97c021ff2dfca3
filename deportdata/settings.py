"""Where the pipeline reads and writes, and how Prefect runs here.

Defaults suit a fresh clone; each can be overridden by an environment variable
(DEPORTDATA_RAW, DEPORTDATA_PROCESSED, DEPORTDATA_CACHE, DEPORTDATA_ROOT)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deportdata.stages import Workspace

PROJECT_ROOT = Path.cwd()


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
    for key, value in prefect_defaults(root or PROJECT_ROOT).items():
        os.environ.setdefault(key, value)


@dataclass(frozen=True)
class Settings:
    root: Path
    raw: Path
    processed: Path
    cache: Path

    @classmethod
    def from_env(cls, root: Path | None = None) -> "Settings":
        base = (root or PROJECT_ROOT).resolve()
        env = os.environ.get
        return cls(
            root=base,
            raw=Path(env("DEPORTDATA_RAW", base / "raw")),
            processed=Path(env("DEPORTDATA_PROCESSED", base / "processed")),
            cache=Path(env("DEPORTDATA_CACHE", base / ".cache")),
        )

    def workspace(self) -> Workspace:
        return Workspace(raw=self.raw, processed=self.processed, cache=self.cache)
