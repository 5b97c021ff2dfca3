"""Publishing versioned releases: `processed/<version>/` with each table as Parquet and CSV,
its own `datapackage.json`, the rejects report and a changelog section; `processed/index.json`
lists releases and the root `datapackage.json` always describes the latest one.

A release folder is written under a temporary name and renamed into place, so a reader never
sees half a release. Versions follow SemVer: major when a column is removed or changes type,
minor when records change, patch when only rejects or metadata change."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from deportdata.datacard import write_datacard
from deportdata.files import sha256_of, write_atomic
from schemas.derive import arrow_table, frictionless_schema
from schemas.tables import RECORD_TABLES, TABLES

PACKAGE_NAME = "deportation-events"
PACKAGE_TITLE = "Deportation flights and deportation diplomacy, coded from news"
PACKAGE_DESCRIPTION = (
    "Deportation is not unilateral: a removal needs a country that takes the people in. This dataset records "
    "removal flights, governments' responses, agreements, coercive measures, detention, military deployments "
    "and executive actions reported in news articles, with the evidence sentence of every record."
)
DATA_LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
                "path": "https://creativecommons.org/licenses/by/4.0/"}
PUBLISHED_TABLES = tuple(TABLES)  # every declared table, in declaration order
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Release:
    version: str
    folder: Path

    @property
    def descriptor(self) -> dict:
        return json.loads((self.folder / "datapackage.json").read_text(encoding="utf-8"))

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.folder / f"{name}.parquet")


def _version_key(version: str) -> tuple[int, int, int]:
    m = _VERSION_RE.match(version)
    if not m:
        raise ValueError(f"not a release version: {version!r}")
    return int(m[1]), int(m[2]), int(m[3])


def releases(processed: Path) -> list[Release]:
    found = [Release(p.name, p) for p in processed.iterdir()
             if p.is_dir() and _VERSION_RE.match(p.name) and (p / "datapackage.json").exists()] \
        if processed.exists() else []
    return sorted(found, key=lambda r: _version_key(r.version))


def latest_release(processed: Path) -> Release | None:
    found = releases(processed)
    return found[-1] if found else None


def bump(version: str | None, part: str) -> str:
    if version is None:
        return "1.0.0"
    major, minor, patch = _version_key(version)
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[part]


def schema_breaks(previous: Release) -> list[str]:
    """Columns of the previous release that the current declaration removed or retyped."""
    broken = []
    old = {r["name"]: r["schema"]["fields"] for r in previous.descriptor["resources"] if r.get("format") == "csv"}
    for name, fields in old.items():
        table = TABLES.get(name)
        current = {f.name: f.type for f in table.fields} if table else {}
        broken += [f"{name}.{f['name']}" for f in fields if current.get(f["name"]) != f["type"]]
    return broken


def candidate_version(previous: Release | None) -> str:
    """The version a release with changed records would get."""
    if previous is None:
        return bump(None, "minor")
    return bump(previous.version, "major" if schema_breaks(previous) else "minor")


def _write_table(name: str, df: pd.DataFrame, folder: Path) -> None:
    key = TABLES[name].primary_key
    table = arrow_table(TABLES[name], df.sort_values(key, kind="stable"))
    pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
    options = pa_csv.WriteOptions(include_header=True, quoting_style="needed")
    pa_csv.write_csv(table, folder / f"{name}.csv", write_options=options)


def _created() -> str:
    """Now, unless SOURCE_DATE_EPOCH pins it (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _resources(folder: Path, prefix: str = "") -> list[dict]:
    csv_names = {name: name for name in PUBLISHED_TABLES}
    parquet_names = {name: f"{name}-parquet" for name in PUBLISHED_TABLES}
    resources = []
    for name in PUBLISHED_TABLES:
        table = TABLES[name]
        csv_path, parquet_path = folder / f"{name}.csv", folder / f"{name}.parquet"
        resources.append({
            "name": name, "title": table.title, "description": table.description, "profile": "tabular-data-resource",
            "path": f"{prefix}{name}.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": csv_path.stat().st_size, "hash": f"sha256:{sha256_of(csv_path)}",
            "schema": frictionless_schema(table, csv_names),
        })
        # Frictionless cannot check a Parquet file's bytes (STACK-NOTES): the hash is for our own verification.
        resources.append({
            "name": f"{name}-parquet", "title": f"{table.title} (Parquet)", "description": table.description,
            "path": f"{prefix}{name}.parquet", "format": "parquet", "mediatype": "application/vnd.apache.parquet",
            "hash": f"sha256:{sha256_of(parquet_path)}",
            # frictionless reads Parquet through pandas, where a null integer turns into NaN
            "schema": {**frictionless_schema(table, parquet_names), "missingValues": ["", "nan", "NaN", "None"]},
        })
    return resources


def _descriptor(version: str, created: str, folder: Path, outlets: list[str], extractor: str,
                fingerprint: str | None, prefix: str = "") -> dict:
    return {
        "name": PACKAGE_NAME, "title": PACKAGE_TITLE, "description": PACKAGE_DESCRIPTION, "version": version,
        "created": created, "licenses": [DATA_LICENSE],
        "homepage": "https://github.com/deportdata/deportdata",
        "keywords": ["deportation", "migration", "removal flights", "diplomacy", "news", "event data"],
        "contributors": [{"title": "deportdata contributors", "role": "author"}],
        "sources": [{"title": outlet} for outlet in outlets],
        "extractor": extractor,
        "inputs_fingerprint": fingerprint,
        "resources": _resources(folder, prefix),
    }


def _write_json(path: Path, value: dict) -> None:
    write_atomic(path, (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def _same_tables(previous: Release, staging: Path, names: tuple[str, ...]) -> bool:
    return all((previous.folder / f"{n}.csv").exists()
               and sha256_of(previous.folder / f"{n}.csv") == sha256_of(staging / f"{n}.csv") for n in names)


@dataclass(frozen=True)
class PublishResult:
    version: str | None   # None: nothing new to publish
    folder: Path | None
    message: str


def publish(tables: dict[str, pd.DataFrame], processed: Path, root_descriptor: Path, version: str,
            extractor: str, changelog: str, fingerprint: str | None = None,
            quality: Callable[[Path], dict | None] | None = None) -> PublishResult:
    """`quality` scores the staged release for its dataset card (None: no figures)."""
    """Write a release unless its records and rejects equal the latest release's."""
    processed.mkdir(parents=True, exist_ok=True)
    previous = latest_release(processed)
    staging = processed / f".staging-{version}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for name in PUBLISHED_TABLES:
            _write_table(name, tables[name], staging)
        if previous is not None and _same_tables(previous, staging, RECORD_TABLES):
            if _same_tables(previous, staging, ("rejects",)):
                return PublishResult(None, None, f"nothing new since release {previous.version}")
            version = bump(previous.version, "patch")
        outlets = sorted(set(tables["articles"]["outlet"].dropna()))
        (staging / "CHANGELOG.md").write_text(changelog.replace("{version}", version), encoding="utf-8")
        created = _created()
        descriptor = _descriptor(version, created, staging, outlets, extractor, fingerprint)
        _write_json(staging / "datapackage.json", descriptor)
        write_datacard(staging, tables, descriptor, quality(staging) if quality else None)
        folder = processed / version
        if folder.exists():
            raise FileExistsError(f"release {folder} already exists; releases are never overwritten")
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    root = _descriptor(version, created, folder, outlets, extractor, fingerprint,
                       prefix=f"{folder.relative_to(root_descriptor.parent).as_posix()}/")
    _write_json(root_descriptor, root)
    write_index(processed)
    _prepend_changelog(processed / "CHANGELOG.md", (folder / "CHANGELOG.md").read_text(encoding="utf-8"))
    return PublishResult(version, folder, f"published release {version} at {folder}")


def _prepend_changelog(path: Path, section: str) -> None:
    """processed/CHANGELOG.md: every release's section, newest first."""
    title = "# Changelog of the deportation-events data package\n\n"
    previous = path.read_text(encoding="utf-8").removeprefix(title) if path.exists() else ""
    write_atomic(path, (title + section.rstrip("\n") + "\n\n" + previous).encode("utf-8"))


def write_index(processed: Path) -> None:
    """processed/index.json: every release with its descriptor path and counts, for static hosting."""
    entries = []
    for release in releases(processed):
        desc = release.descriptor
        counts = {}
        for name in RECORD_TABLES:
            counts[name] = pq.ParquetFile(release.folder / f"{name}.parquet").metadata.num_rows
        entries.append({"version": release.version, "created": desc.get("created"),
                        "descriptor": f"{release.version}/datapackage.json", "counts": counts})
    latest = entries[-1]["version"] if entries else None
    _write_json(processed / "index.json", {"name": PACKAGE_NAME, "latest": latest, "releases": entries})
