"""Loading a release into pandas, for Python users.

    from deportdata.load import load
    tables = load()                                   # latest release from the default host
    tables = load("1.0.0", source="data")             # a folder `deportdata download` filled
    tables = load(source="https://example.org/deportdata/processed")

`source` is an http(s) URL serving `processed/` (the release is downloaded and verified into a
cache folder first, see `deportdata.download`), or a local folder: a `processed/`-style folder
(with `index.json` or `<version>/` folders), a release folder, or the repository root with its
`datapackage.json`. Every file read is checked against the descriptor's sha256 first.

Tables come back with the types the descriptor declares: strings as pandas `string`, integers
as nullable `Int64`, numbers as `Float64`, booleans as `boolean`, dates as `datetime.date`
objects (use `pd.to_datetime(df["event_date"])` for date arithmetic).
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pandas as pd

from deportdata.download import (DESCRIPTOR, DownloadError, Expected, Source, default_base_url, download,
                                 file_digest, is_url, problem, resolve, version_key)
from schemas.derive import as_date

__all__ = ["load", "locate", "read_resource", "table_resources", "DownloadError"]

Format = Literal["parquet", "csv"]
PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


def default_cache() -> Path:
    """Where releases fetched from a URL are kept: $DEPORTDATA_DATA_CACHE, else ~/.cache/deportdata."""
    explicit = os.environ.get("DEPORTDATA_DATA_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "deportdata"


def _local_versions(folder: Path) -> list[str]:
    found = []
    for child in folder.iterdir():
        if child.is_dir() and (child / DESCRIPTOR).is_file():
            try:
                version_key(child.name)
            except DownloadError:
                continue
            found.append(child.name)
    return sorted(found, key=version_key)


def locate(version: str = "latest", source: str | Path | None = None,
           cache: Path | None = None) -> tuple[Path, dict]:
    """The local folder holding a release's descriptor, and that descriptor (downloading first
    when source is a URL)."""
    base = default_base_url() if source is None else source
    if is_url(base) and not str(base).lower().startswith("file://"):
        key = hashlib.sha256(str(base).rstrip("/").encode()).hexdigest()[:12]
        result = download(base, version, (cache or default_cache()) / key)
        folder = result.folder
    else:
        root = Source(base).root
        assert root is not None
        if not root.is_dir():
            raise DownloadError(f"{root}: no such folder")
        if (root / "index.json").is_file():
            folder = root / os.path.dirname(resolve(Source(root), version).descriptor_path)
        elif (root / DESCRIPTOR).is_file():
            folder = root
        else:
            known = _local_versions(root)
            if version == "latest":
                if not known:
                    raise DownloadError(f"{root}: no release found (no index.json, {DESCRIPTOR} or <version>/ folder)")
                version = known[-1]
            if version not in known:
                raise DownloadError(f"release {version} not found in {root}; available: {', '.join(known) or 'none'}")
            folder = root / version
    descriptor = json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    if version != "latest" and descriptor.get("version") != version:
        raise DownloadError(f"{folder / DESCRIPTOR} describes version {descriptor.get('version')!r}, not {version}")
    return folder, descriptor


def table_resources(descriptor: dict, format: Format = "parquet") -> dict[str, dict]:
    """The descriptor's resources in one format, by table name (`events`, not `events-parquet`)."""
    return {r["name"].removesuffix("-parquet"): r for r in descriptor.get("resources", [])
            if r.get("format") == format}


def _conform(df: pd.DataFrame, fields: list[dict], where: Path) -> pd.DataFrame:
    missing = [f["name"] for f in fields if f["name"] not in df.columns]
    if missing:
        raise DownloadError(f"{where}: columns {missing} declared in the descriptor are missing")
    out = {}
    for f in fields:
        col = df[f["name"]]
        if f["type"] == "date":
            out[f["name"]] = pd.Series([as_date(v) for v in col], index=df.index, dtype="object")
        else:
            out[f["name"]] = col.astype(PANDAS_DTYPES.get(f["type"], "string"))
    return pd.DataFrame(out, index=df.index)


def _read_csv(path: Path, schema: dict) -> pd.DataFrame:
    fields = schema["fields"]
    missing = schema.get("missingValues", [""])
    df = pd.read_csv(path, dtype={f["name"]: "string" for f in fields}, keep_default_na=False,
                     na_values=missing, encoding="utf-8")
    for f in fields:
        name = f["name"]
        if f["type"] == "boolean":
            true, false = f.get("trueValues", ["true"]), f.get("falseValues", ["false"])
            mapping = {**{v: True for v in true}, **{v: False for v in false}}
            df[name] = pd.array([None if pd.isna(v) else mapping[v] for v in df[name]], dtype="boolean")
        elif f["type"] in ("integer", "number"):
            df[name] = pd.to_numeric(df[name]).astype(PANDAS_DTYPES[f["type"]])
    return df


def read_resource(folder: Path, resource: dict, verify: bool = True) -> pd.DataFrame:
    """One resource of a release folder as a typed DataFrame, its sha256 checked first."""
    path = folder / resource["path"]
    if verify:
        digest = str(resource.get("hash", "")).removeprefix("sha256:")
        found = problem(str(path), *file_digest(path), Expected(resource["path"], digest, resource.get("bytes")))
        if found:
            raise DownloadError(found)
    fields = resource["schema"]["fields"]
    if resource.get("format") == "csv":
        df = _read_csv(path, resource["schema"])
    else:
        df = pd.read_parquet(path, dtype_backend="numpy_nullable")
    return _conform(df, fields, path)


def load(version: str = "latest", source: str | Path | None = None, *, tables: Iterable[str] | None = None,
         format: Format = "parquet", cache: Path | None = None, verify: bool = True) -> dict[str, pd.DataFrame]:
    """A release's tables (articles, mentions, events, changes, rejects) as DataFrames, by name."""
    folder, descriptor = locate(version, source, cache)
    resources = table_resources(descriptor, format)
    wanted = list(resources) if tables is None else list(tables)
    unknown = [t for t in wanted if t not in resources]
    if unknown:
        raise KeyError(f"no {format} table {unknown} in release {descriptor.get('version')}; "
                       f"tables: {', '.join(resources)}")
    return {name: read_resource(folder, resources[name], verify) for name in wanted}
