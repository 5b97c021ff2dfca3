"""Published releases: descriptors, hashes, Frictionless validity, Parquet and CSV formats,
processed/index.json. Everything here inspects the outputs of the session's pipeline runs
(release 1.0.0, then 1.1.0 after one article was added)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
from pathlib import Path, PurePosixPath

import frictionless
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from deportdata.release import PUBLISHED_TABLES
from schemas.derive import ARROW_TYPES, arrow_schema, frictionless_schema
from schemas.tables import TABLES

pytestmark = pytest.mark.flow

VERSIONS = ("1.0.0", "1.1.0")
PANDAS_DTYPES = {"string": pd.StringDtype(), "integer": pd.Int64Dtype(), "number": pd.Float64Dtype(),
                 "boolean": pd.BooleanDtype()}


@pytest.fixture(scope="module")
def processed(pipeline_runs) -> Path:
    return pipeline_runs.ws.processed


@pytest.fixture(scope="module", params=VERSIONS)
def release(request, processed) -> Path:
    return processed / request.param


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def null(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


# --------------------------------------------------------------------------- descriptors


def test_release_descriptor_metadata(release):
    desc = load(release / "datapackage.json")
    assert desc["name"] == "deportation-events"
    assert desc["version"] == release.name
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", desc["created"])
    assert desc["licenses"] and all(lic.get("name") and lic.get("path") for lic in desc["licenses"])
    assert desc["contributors"] and all(c.get("title") for c in desc["contributors"])
    outlets = set(pd.read_parquet(release / "articles.parquet")["outlet"].dropna())
    assert {s["title"] for s in desc["sources"]} == outlets and outlets


def test_descriptor_created_is_pinned_by_source_date_epoch(release, samples):
    created = load(release / "datapackage.json")["created"]
    expected = dt.datetime.fromtimestamp(int(samples.SOURCE_DATE_EPOCH), dt.UTC)
    assert created == expected.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_release_resources_describe_their_files(release):
    resources = load(release / "datapackage.json")["resources"]
    names = [r["name"] for r in resources]
    assert len(names) == len(set(names))
    csvs = {r["name"]: r for r in resources if r["format"] == "csv"}
    parquets = {r["name"]: r for r in resources if r["format"] == "parquet"}
    assert set(csvs) == set(PUBLISHED_TABLES)
    assert set(parquets) == {f"{name}-parquet" for name in PUBLISHED_TABLES}
    for resource in resources:
        path = PurePosixPath(resource["path"])
        assert not path.is_absolute() and ".." not in path.parts and "\\" not in resource["path"]
        file = release / path
        assert file.is_file()
        assert resource["hash"] == f"sha256:{sha256(file)}", resource["name"]
    for name, resource in csvs.items():
        assert resource["profile"] == "tabular-data-resource"
        assert resource["mediatype"] == "text/csv"
        assert resource["encoding"] == "utf-8"
        assert resource["bytes"] == (release / resource["path"]).stat().st_size
        assert resource["path"] == f"{name}.csv"
        assert resource["schema"] == frictionless_schema(TABLES[name])
    for name, resource in parquets.items():
        assert resource["mediatype"] == "application/vnd.apache.parquet"
        assert resource["path"] == f"{name.removesuffix('-parquet')}.parquet"
        assert [f["name"] for f in resource["schema"]["fields"]] == TABLES[name.removesuffix("-parquet")].column_names


def test_root_descriptor_describes_the_latest_release_with_relative_paths(pipeline_runs, processed):
    root_path = pipeline_runs.ws.root_descriptor
    root, latest = load(root_path), load(processed / "1.1.0" / "datapackage.json")
    assert root["version"] == "1.1.0" and root["name"] == "deportation-events"
    assert root["created"] == latest["created"]
    assert [r["name"] for r in root["resources"]] == [r["name"] for r in latest["resources"]]
    for mine, theirs in zip(root["resources"], latest["resources"]):
        assert mine["path"] == f"processed/1.1.0/{theirs['path']}"
        assert not PurePosixPath(mine["path"]).is_absolute()
        assert mine["hash"] == f"sha256:{sha256(root_path.parent / mine['path'])}"
        assert {k: v for k, v in mine.items() if k != "path"} == {k: v for k, v in theirs.items() if k != "path"}


def test_index_lists_releases(processed):
    index = load(processed / "index.json")
    assert index["name"] == "deportation-events"
    assert index["latest"] == "1.1.0"
    assert [r["version"] for r in index["releases"]] == list(VERSIONS)
    for entry in index["releases"]:
        descriptor = processed / entry["descriptor"]
        assert not Path(entry["descriptor"]).is_absolute() and descriptor.is_file()
        assert entry["created"] == load(descriptor)["created"]
        for name in ("articles", "mentions", "events"):
            assert entry["counts"][name] == len(pd.read_parquet(descriptor.parent / f"{name}.parquet"))
    counts = [r["counts"]["articles"] for r in index["releases"]]
    assert counts[1] == counts[0] + 1


def test_changelog_names_its_version(release):
    assert release.name in (release / "CHANGELOG.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- Frictionless


def test_frictionless_validates_release_and_root_descriptors(pipeline_runs, processed):
    for path in (processed / "1.0.0" / "datapackage.json", processed / "1.1.0" / "datapackage.json",
                 pipeline_runs.ws.root_descriptor):
        report = frictionless.Package(str(path)).validate()
        assert report.valid, (path, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])[:10])


def test_frictionless_catches_a_tampered_csv(processed, tmp_path):
    copy = tmp_path / "1.0.0"
    shutil.copytree(processed / "1.0.0", copy)
    events = copy / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    events.write_text(lines[0] + lines[1].replace('"removal_flight"', '"teleportation"', 1)
                      .replace('"detention"', '"teleportation"', 1) + "".join(lines[2:]), encoding="utf-8")
    report = frictionless.Package(str(copy / "datapackage.json")).validate()
    assert not report.valid
    assert {"hash-count", "constraint-error"} <= {error_type for [error_type] in report.flatten(["type"])}


# --------------------------------------------------------------------------- Parquet


def test_parquet_files_have_the_codebook_types(release):
    for name in PUBLISHED_TABLES:
        table, path = TABLES[name], release / f"{name}.parquet"
        schema = pq.read_schema(path)
        assert schema.names == table.column_names, name
        assert "__index_level_0__" not in schema.names
        assert b"pandas" not in (schema.metadata or {}), f"{name}: pandas metadata would restore an index"
        for f in table.fields:
            arrow = schema.field(f.name)
            assert arrow.type == ARROW_TYPES[f.type], (name, f.name, arrow.type)
            assert not pa.types.is_dictionary(arrow.type)
            assert arrow.nullable == (not f.required), (name, f.name)
        assert schema.remove_metadata().equals(arrow_schema(table).remove_metadata(), check_metadata=False)
        date_types = {arrow.type for arrow in schema if arrow.name in {f.name for f in table.fields
                                                                        if f.type == "date"}}
        assert date_types <= {pa.date32()}


def test_parquet_reads_back_into_pandas_with_nullable_types(release):
    nulls_seen = set()
    for name in PUBLISHED_TABLES:
        table = TABLES[name]
        for df in (pd.read_parquet(release / f"{name}.parquet", dtype_backend="numpy_nullable"),
                   pq.read_table(release / f"{name}.parquet").to_pandas(
                       types_mapper={pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(),
                                     pa.bool_(): pd.BooleanDtype(), pa.string(): pd.StringDtype()}.get)):
            assert list(df.columns) == table.column_names
            assert isinstance(df.index, pd.RangeIndex)
            for f in table.fields:
                column = df[f.name]
                if f.type == "date":
                    assert all(isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                               for v in column if not null(v)), (name, f.name)
                else:
                    assert column.dtype == PANDAS_DTYPES[f.type], (name, f.name, column.dtype)
                if f.type == "integer" and column.isna().any():
                    nulls_seen.add(f.name)
    # the check above meant something: integer columns with nulls stayed integers
    assert {"source_record", "flight_count"} <= nulls_seen


def test_parquet_reads_in_duckdb_and_polars_without_extra_columns(release):
    duckdb = pytest.importorskip("duckdb")
    polars = pytest.importorskip("polars")
    for name in PUBLISHED_TABLES:
        path = str(release / f"{name}.parquet")
        assert [c[0] for c in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()] \
            == TABLES[name].column_names
        assert polars.read_parquet(path).columns == TABLES[name].column_names


# --------------------------------------------------------------------------- CSV


_CSV_CELL = re.compile(r'(?:^|,)("(?:[^"]|"")*"|[^,"]*)')


def test_csv_files_match_parquet_with_header_utf8_iso_dates_and_empty_nulls(release):
    non_ascii = False
    for name in PUBLISHED_TABLES:
        table = TABLES[name]
        raw = (release / f"{name}.csv").read_bytes()
        text = raw.decode("utf-8")  # raises if not UTF-8
        assert not raw.startswith(b"\xef\xbb\xbf")
        non_ascii |= any(ord(c) > 127 for c in text)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows[0] == table.column_names
        records = pq.read_table(release / f"{name}.parquet").to_pylist()
        assert len(rows) - 1 == len(records)
        lines = text.split("\n")
        assert lines[-1] == "" and len(lines) - 2 == len(records)
        for line, row, values in zip(lines[1:], rows[1:], records):
            cells = _CSV_CELL.findall(line)
            assert len(row) == len(cells) == len(table.column_names), line
            for f, cell, token in zip(table.fields, row, cells):
                value = values[f.name]
                if value is None:
                    assert token == "", (name, f.name, token)  # an empty cell, not ""
                    continue
                if f.type == "string":
                    assert token.startswith('"'), (name, f.name, token)  # so "" stays an empty string
                    assert cell == value
                elif f.type == "date":
                    assert re.fullmatch(r"\d{4}-\d\d-\d\d", cell) and cell == value.isoformat()
                elif f.type == "boolean":
                    assert cell == ("true" if value else "false")
                elif f.type == "integer":
                    assert cell == str(value)
                else:
                    assert float(cell) == value
    assert non_ascii, "the sample data should exercise UTF-8 (curly quotes in a seed)"
