"""Fetching a published release from any static host (or a local folder) and verifying it.

A host serves `processed/` as it is: `index.json` lists the releases and the path of each
release's `datapackage.json`; every resource of that descriptor carries `"hash":
"sha256:<hex>"` (and `"bytes"` for CSV). `download` checks every table file against both
before it lets the file into the destination, because Frictionless does not check Parquet
files (see STACK-NOTES).

Writes are atomic: files are fetched into a hidden staging folder beside the destination and
moved into `<to>/<version>/` only once all of them are verified, the descriptor last. On any
failure the staging folder is removed and the destination is left as it was. Files already
present and verified are not fetched again.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import posixpath
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from deportdata.files import sha256_of

# The repository's `processed/` folder as served by GitHub; any static host of `processed/` works.
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/deportdata/deportdata/main/processed"
BASE_URL_ENV = "DEPORTDATA_BASE_URL"
DEFAULT_DESTINATION = Path("data")
DESCRIPTOR = "datapackage.json"
INDEX = "index.json"
# Documents a release folder may hold besides its tables; they carry no hash in the descriptor,
# so they are fetched when present and reported as unhashed.
DOCUMENTS = ("README.md", "CHANGELOG.md")
TIMEOUT_SECONDS = 60.0
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BLOCK = 1 << 16


class DownloadError(Exception):
    """A release could not be fetched or failed verification; the message names the file."""


class _NotFound(DownloadError):
    pass


def default_base_url() -> str:
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def version_key(version: str) -> tuple[int, int, int]:
    m = _VERSION_RE.match(version)
    if not m:
        raise DownloadError(f"not a release version: {version!r} (expected X.Y.Z or 'latest')")
    return int(m[1]), int(m[2]), int(m[3])


# --- sources ------------------------------------------------------------------------------

def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and bool(_SCHEME_RE.match(source))


class Source:
    """A base location holding `index.json` and release folders: an http(s) URL, a file:// URL
    or a local path. Paths given to its methods are posix paths relative to the base."""

    def __init__(self, base: str | Path) -> None:
        self.url: str | None = None
        self.root: Path | None = None
        if is_url(base):
            text = str(base)
            scheme = urllib.parse.urlsplit(text).scheme.lower()
            if scheme in ("http", "https"):
                self.url = text if text.endswith("/") else text + "/"
            elif scheme == "file":
                self.root = Path(urllib.request.url2pathname(urllib.parse.urlsplit(text).path))
            else:
                raise DownloadError(f"unsupported source {text!r}: use an http(s) URL or a local folder")
        else:
            self.root = Path(base).expanduser()
        self.base = str(base)

    def location(self, rel: str) -> str:
        if self.url is not None:
            return urllib.parse.urljoin(self.url, urllib.parse.quote(rel))
        assert self.root is not None
        return str(self.root / rel)

    @contextmanager
    def open(self, rel: str) -> Iterator[BinaryIO]:
        where = self.location(rel)
        if self.root is not None:
            try:
                fh = (self.root / rel).open("rb")
            except FileNotFoundError:
                raise _NotFound(f"{where}: not found") from None
            except OSError as exc:
                raise DownloadError(f"{where}: cannot read: {exc}") from exc
            with fh:
                yield fh
            return
        request = urllib.request.Request(where, headers={"User-Agent": "deportdata-download"})
        try:
            response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                raise _NotFound(f"{where}: not found (HTTP {exc.code})") from None
            raise DownloadError(f"{where}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(f"cannot reach {where}: {reason}") from None
        with response:
            yield response

    def read_bytes(self, rel: str) -> bytes:
        with self.open(rel) as stream:
            try:
                return stream.read()
            except (OSError, http.client.HTTPException) as exc:
                raise DownloadError(f"{self.location(rel)}: download interrupted: {exc!r}") from exc

    def read_json(self, rel: str) -> dict:
        data = self.read_bytes(rel)
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DownloadError(f"{self.location(rel)}: not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise DownloadError(f"{self.location(rel)}: expected a JSON object")
        return value


# --- resolving a release ------------------------------------------------------------------

@dataclass(frozen=True)
class RemoteRelease:
    version: str
    descriptor_path: str       # relative to the source's base, e.g. "1.0.0/datapackage.json"
    descriptor_bytes: bytes
    descriptor: dict

    @property
    def folder_path(self) -> str:
        return posixpath.dirname(self.descriptor_path)


def _safe_relative(path: object, what: str) -> str:
    """A resource path must stay inside its release folder."""
    if not isinstance(path, str) or not path or is_url(path) or path.startswith(("/", "\\")) or "\\" in path:
        raise DownloadError(f"{what}: unsupported path {path!r} (expected a relative path inside the release)")
    norm = posixpath.normpath(path)
    if norm.startswith("..") or norm == ".":
        raise DownloadError(f"{what}: path {path!r} leaves the release folder")
    return norm


def resolve(source: Source, version: str = "latest") -> RemoteRelease:
    """Find a release at the source: through its index.json, or straight at <version>/datapackage.json."""
    if version != "latest":
        version_key(version)
    try:
        index = source.read_json(INDEX)
    except _NotFound:
        if version == "latest":
            raise DownloadError(f"no {INDEX} at {source.base}: cannot tell the latest release; "
                                f"give an explicit version (--version X.Y.Z)") from None
        index = None
    if index is not None:
        entries = [e for e in index.get("releases", []) if isinstance(e, dict) and _VERSION_RE.match(str(e.get("version")))]
        known = sorted((str(e["version"]) for e in entries), key=version_key)
        if version == "latest":
            if not known:
                raise DownloadError(f"{source.location(INDEX)} lists no releases")
            latest = index.get("latest")
            version = latest if latest in known else known[-1]
        if version not in known:
            raise DownloadError(f"release {version} not found at {source.base}; available: "
                                f"{', '.join(known) or 'none'}")
        entry = next(e for e in entries if e["version"] == version)
        descriptor_path = _safe_relative(entry.get("descriptor") or f"{version}/{DESCRIPTOR}", f"{INDEX} entry {version}")
    else:
        descriptor_path = f"{version}/{DESCRIPTOR}"
    try:
        data = source.read_bytes(descriptor_path)
    except _NotFound:
        raise DownloadError(f"release {version} not found at {source.base} "
                            f"({source.location(descriptor_path)} is missing)") from None
    try:
        descriptor = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DownloadError(f"{source.location(descriptor_path)}: not valid JSON: {exc}") from None
    if descriptor.get("version") != version:
        raise DownloadError(f"{source.location(descriptor_path)} describes version {descriptor.get('version')!r}, "
                            f"not {version}")
    return RemoteRelease(version, descriptor_path, data, descriptor)


# --- verification -------------------------------------------------------------------------

@dataclass(frozen=True)
class Expected:
    path: str                  # relative to the release folder
    sha256: str
    bytes: int | None


def expected_files(descriptor: dict) -> list[Expected]:
    """Every file the descriptor's resources name, with the hash (and size) it must have."""
    files: list[Expected] = []
    for resource in descriptor.get("resources", []):
        name = resource.get("name", "?")
        path = _safe_relative(resource.get("path"), f"resource {name!r}")
        algorithm, _, digest = str(resource.get("hash", "")).partition(":")
        if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise DownloadError(f"{path}: the descriptor gives no sha256 hash (\"hash\": \"sha256:<hex>\"), "
                                f"so the file cannot be verified")
        size = resource.get("bytes")
        files.append(Expected(path, digest, int(size) if size is not None else None))
    return files


def file_digest(path: Path) -> tuple[int, str]:
    return path.stat().st_size, sha256_of(path)


def problem(name: str, size: int, sha256: str, expected: Expected) -> str | None:
    """What is wrong with a file of this size and hash, or None when it matches."""
    if expected.bytes is not None and size != expected.bytes:
        hint = "truncated" if size < expected.bytes else "corrupted"
        return f"{name}: {size} bytes, expected {expected.bytes} ({hint})"
    if sha256 != expected.sha256:
        return (f"{name}: sha256 {sha256[:16]}... does not match the descriptor's {expected.sha256[:16]}... "
                f"({size} bytes; the file is corrupted or truncated)")
    return None


# --- download -----------------------------------------------------------------------------

Status = Literal["downloaded", "present", "unhashed"]


@dataclass(frozen=True)
class FileResult:
    path: str
    status: Status             # downloaded and verified / already present and verified / no hash to check
    bytes: int


@dataclass(frozen=True)
class DownloadResult:
    version: str
    source: str
    folder: Path
    files: tuple[FileResult, ...]

    @property
    def downloaded(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "downloaded"]

    @property
    def present(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "present"]

    def lines(self) -> list[str]:
        labels = {"downloaded": "downloaded, sha256 ok", "present": "already present, sha256 ok",
                  "unhashed": "fetched, not verified (no hash in descriptor)"}
        width = max((len(f.path) for f in self.files), default=0)
        out = [f"release {self.version} from {self.source} -> {self.folder}"]
        for f in self.files:
            label = ("descriptor, " + ("downloaded" if f.status == "downloaded" else "unchanged")
                     if f.path == DESCRIPTOR else labels[f.status])
            out.append(f"  {f.path:<{width}}  {f.bytes:>10,} bytes  {label}")
        tables = [f for f in self.files if f.status != "unhashed" and f.path != DESCRIPTOR]
        fetched = sum(f.status == "downloaded" for f in tables)
        out.append(f"{len(tables)} files verified: {fetched} downloaded, {len(tables) - fetched} already present")
        return out


def _fetch(source: Source, rel: str, dest: Path, expected: Expected, name: str) -> int:
    """Stream one file into dest while hashing it; raise naming the file when it does not verify."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open(rel) as stream, dest.open("wb") as out:
            while True:
                try:
                    block = stream.read(_BLOCK)
                except (OSError, http.client.HTTPException) as exc:
                    raise DownloadError(f"{name}: download interrupted after {size} bytes "
                                        f"({source.location(rel)}): {exc!r}") from exc
                if not block:
                    break
                digest.update(block)
                size += len(block)
                out.write(block)
            announced = _content_length(stream)
    except _NotFound:
        raise DownloadError(f"{name}: listed in the descriptor but missing at the source "
                            f"({source.location(rel)})") from None
    if announced is not None and size < announced:
        raise DownloadError(f"{name}: connection closed after {size} of {announced} bytes (truncated); "
                            f"source {source.location(rel)}")
    found = problem(name, size, digest.hexdigest(), expected)
    if found:
        raise DownloadError(f"{found}; source {source.location(rel)}")
    return size


def _content_length(stream: BinaryIO) -> int | None:
    headers = getattr(stream, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value is not None and value.isdigit() else None


def _matches(path: Path, expected: Expected) -> int | None:
    """The size of path when it is present and verifies, else None."""
    if not path.is_file():
        return None
    size, sha256 = file_digest(path)
    return size if problem(path.name, size, sha256, expected) is None else None


def _fetch_document(source: Source, rel: str) -> bytes | None:
    try:
        return source.read_bytes(rel)
    except _NotFound:
        return None


def download(source: str | Path | None = None, version: str = "latest",
             to: Path = DEFAULT_DESTINATION) -> DownloadResult:
    """Fetch a release into `<to>/<version>/`, verifying every file; see the module docstring."""
    base = default_base_url() if source is None else source
    src = Source(base)
    release = resolve(src, version)
    to = Path(to)
    target = to / release.version
    files = expected_files(release.descriptor)
    created_to = not to.exists()
    to.mkdir(parents=True, exist_ok=True)
    staging = to / f".{release.version}.download-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    results: list[FileResult] = []
    staged: list[str] = []
    try:
        staging.mkdir()
        for expected in files:
            present = _matches(target / expected.path, expected)
            if present is not None:
                results.append(FileResult(expected.path, "present", present))
                continue
            rel = posixpath.join(release.folder_path, expected.path)
            size = _fetch(src, rel, staging / expected.path, expected, expected.path)
            results.append(FileResult(expected.path, "downloaded", size))
            staged.append(expected.path)
        for document in DOCUMENTS:
            data = _fetch_document(src, posixpath.join(release.folder_path, document))
            if data is None:
                continue
            local = target / document
            if not (local.is_file() and local.read_bytes() == data):
                (staging / document).write_bytes(data)
                staged.append(document)
            results.append(FileResult(document, "unhashed", len(data)))
        local_descriptor = target / DESCRIPTOR
        if local_descriptor.is_file() and local_descriptor.read_bytes() == release.descriptor_bytes:
            results.insert(0, FileResult(DESCRIPTOR, "present", len(release.descriptor_bytes)))
        else:
            (staging / DESCRIPTOR).write_bytes(release.descriptor_bytes)
            staged.append(DESCRIPTOR)
            results.insert(0, FileResult(DESCRIPTOR, "downloaded", len(release.descriptor_bytes)))
        _commit(staging, target, staged)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created_to and to.is_dir() and not any(to.iterdir()):
            to.rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return DownloadResult(release.version, src.base, target, tuple(results))


def _commit(staging: Path, target: Path, staged: list[str]) -> None:
    """Move verified files into place: the whole folder at once when new, else file by file with
    the descriptor last."""
    if not target.exists():
        staging.rename(target)
        return
    for rel in sorted(staged, key=lambda p: p == DESCRIPTOR):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, target / rel)


# --- command line -------------------------------------------------------------------------

def add_download_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `deportdata download` on the CLI's subparsers; its handler is `cmd_download`."""
    parser = subparsers.add_parser(
        "download", help="fetch a published release and verify every file against its datapackage.json",
        description="Fetch a release (tables as CSV and Parquet, datapackage.json, README) into "
                    "DIR/<version>/, verifying each file's size and sha256. Files already present and "
                    "verified are kept; nothing partial is left when a file fails.")
    parser.add_argument("--from", dest="source", default=None, metavar="BASE_URL",
                        help=f"http(s) URL or local folder serving index.json and the release folders "
                             f"(default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})")
    parser.add_argument("--version", default="latest", help="release version X.Y.Z, or latest (default)")
    parser.add_argument("--to", type=Path, default=DEFAULT_DESTINATION, metavar="DIR",
                        help=f"destination folder; the release goes to DIR/<version>/ (default: {DEFAULT_DESTINATION})")
    parser.set_defaults(func=cmd_download)
    return parser


def cmd_download(args: argparse.Namespace) -> int:
    try:
        result = download(args.source, args.version, args.to)
    except DownloadError as exc:
        print(f"deportdata download: error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(result.lines()))
    return 0
