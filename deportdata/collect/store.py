"""Immutable, content-addressed snapshots under raw/, and the collector's state.

A page is stored as `raw/collected/YYYY/MM/DD/<first 16 hex of sha256>.<ext>` (the date is
the fetch date in UTC) with its metadata in `<that name>.meta.json` beside it. Files are
written to a hidden temporary name and then hard-linked into place, so a reader never
sees a half-written file and an existing file is never replaced. The sidecar is written
before the page, so a page never appears without its URL.

The state file (seen URLs, stored contents, feed validators) only saves work: when it is
missing or unreadable it is rebuilt from the sidecars, losing only feed ETags (one
unconditional feed fetch) and the memory of failed URLs (tried again).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from deportdata.files import fsync_directory, sha256_of, temporary_beside, write_atomic

COLLECTED_DIR = "collected"
SIDECAR_SUFFIX = ".meta.json"
STATE_FILE = "state.json"
STATE_VERSION = 1


class CollectBusy(RuntimeError):
    """Another collect run holds the state folder's lock."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def url_key(url: str) -> str:
    """The identity of a URL for "already collected": no fragment, no utm_* tracking
    parameters, lower-case scheme and host, no default port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port is None or port == default else f"{host}:{port}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not k.lower().startswith("utm_")]
    query = urlencode(kept) if len(kept) != len(pairs) else parts.query
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def utc_iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- raw store


class RawStore:
    def __init__(self, raw_dir: Path, subdir: str = COLLECTED_DIR) -> None:
        self.raw_dir = raw_dir
        self.root = raw_dir / subdir

    def relative(self, path: Path) -> str:
        return path.relative_to(self.raw_dir).as_posix()

    def save(
        self, content: bytes, sha256: str, extension: str, meta: dict[str, Any], fetched_at: datetime.datetime
    ) -> tuple[str, bool]:
        """Store `content` with its sidecar; (path relative to raw/, True if written now).

        An identical file already at the place is kept as it is (False)."""
        day = fetched_at.astimezone(datetime.UTC)
        folder = self.root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        sidecar_bytes = (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        for stem in (sha256[:16], sha256):  # the full hash only if 16 hex digits ever collide
            page = folder / f"{stem}{extension}"
            sidecar = page.with_name(page.name + SIDECAR_SUFFIX)
            if page.exists():
                if sha256_of(page) != sha256:
                    continue
                if not sidecar.exists():
                    _write_new(sidecar, sidecar_bytes)
                return self.relative(page), False
            if sidecar.exists():
                if _read_json(sidecar).get("sha256") != sha256:
                    continue
                # Left by a run that stopped between the sidecar and the page: finish it.
            else:
                _write_new(sidecar, sidecar_bytes)
            created = _write_new(page, content)
            return self.relative(page), created
        raise RuntimeError(f"cannot find a free name for content {sha256} in {folder}")

    def sidecars(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """(page path, metadata) for every stored page whose page and sidecar both exist."""
        if not self.root.is_dir():
            return
        for directory, subdirectories, files in os.walk(self.root):
            subdirectories.sort()
            for name in sorted(files):
                if name.startswith(".") or not name.endswith(SIDECAR_SUFFIX):
                    continue
                page = Path(directory) / name[: -len(SIDECAR_SUFFIX)]
                if not page.is_file():
                    continue
                meta = _read_json(Path(directory) / name)
                if meta:
                    yield page, meta




def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_new(path: Path, data: bytes) -> bool:
    """Create `path` with `data` atomically; never replace an existing file. False if it existed."""
    temporary = temporary_beside(path, data)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # A file system without hard links: exclusive create (not atomic, still never overwrites).
        try:
            with path.open("xb") as handle:
                handle.write(data)
        except FileExistsError:
            return False
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)
    return True


# --------------------------------------------------------------------------- state


@dataclass
class CollectState:
    raw_dir: str
    urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    """url_key -> {"path", "sha256"} for collected URLs, {"failed", "status"} for permanent failures."""
    contents: dict[str, str] = field(default_factory=dict)
    """sha256 -> stored path (relative to raw/)."""
    feeds: dict[str, dict[str, str]] = field(default_factory=dict)
    """feed URL -> {"etag", "last_modified", "checked_at"}."""

    def is_seen(self, url: str) -> bool:
        return url_key(url) in self.urls

    def mark_collected(self, url: str, sha256: str, path: str) -> None:
        self.urls[url_key(url)] = {"path": path, "sha256": sha256}

    def mark_failed(self, url: str, reason: str, status: int | None) -> None:
        self.urls[url_key(url)] = {"failed": reason, "status": status}

    def stored_path(self, sha256: str, raw_dir: Path) -> str | None:
        path = self.contents.get(sha256)
        return path if path is not None and (raw_dir / path).is_file() else None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "raw_dir": self.raw_dir,
            "urls": self.urls,
            "contents": self.contents,
            "feeds": self.feeds,
        }

    def save(self, state_dir: Path) -> None:
        data = json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        write_atomic(state_dir / STATE_FILE, data)

    @classmethod
    def rebuild(cls, raw_dir: Path) -> CollectState:
        """Seen URLs and stored contents from the sidecars under raw/collected/."""
        store = RawStore(raw_dir)
        state = cls(raw_dir=str(raw_dir.resolve()))
        for page, meta in store.sidecars():
            sha256 = meta.get("sha256")
            if not isinstance(sha256, str):
                continue
            relative = store.relative(page)
            state.contents.setdefault(sha256, relative)
            for key in ("url", "final_url"):
                if isinstance(meta.get(key), str):
                    state.urls.setdefault(url_key(meta[key]), {"path": relative, "sha256": sha256})
        return state

    @classmethod
    def load(cls, state_dir: Path, raw_dir: Path) -> tuple[CollectState, str | None]:
        """The saved state, or one rebuilt from the sidecars (second value says why)."""
        path = state_dir / STATE_FILE
        resolved = str(raw_dir.resolve())
        if not path.exists():
            return cls.rebuild(raw_dir), None
        data = _read_json(path)
        if data.get("version") != STATE_VERSION or not all(
            isinstance(data.get(key), dict) for key in ("urls", "contents", "feeds")
        ):
            return cls.rebuild(raw_dir), f"state file {path} unreadable or of another version: rebuilt from sidecars"
        if data.get("raw_dir") != resolved:
            return cls.rebuild(raw_dir), f"state file {path} was for {data.get('raw_dir')}: rebuilt from sidecars"
        return cls(raw_dir=resolved, urls=data["urls"], contents=data["contents"], feeds=data["feeds"]), None


@contextlib.contextmanager
def state_lock(state_dir: Path) -> Iterator[None]:
    """Exclusive use of the state folder for one collect run at a time."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "lock").open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CollectBusy(f"another collect run is using {state_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
