"""Published tables read back by the tools users have: pyarrow, pandas, DuckDB, polars, R (readr),
the package's own loader, and the examples of docs/using-the-data.md.

The release is built here, in a temporary folder, by the real `deportdata.release.publish`
from a few hand-written records that exercise nulls, dates, quoting and an empty-string-free
but comma- and quote-laden text; `make_release` is also used by test_download and test_datacard.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from deportdata.load import load, locate, table_resources
from deportdata.release import publish
from schemas.derive import frame
from schemas.tables import TABLES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "using-the-data.md"
R_APT = "apt-get install -y --no-install-recommends r-base-core r-cran-readr r-cran-jsonlite"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def _id(prefix: str, text: str) -> str:
    return f"{prefix}_{hashlib.sha256(text.encode()).hexdigest()[:16]}"


A1, A2, A3 = _id("a", "one"), _id("a", "two"), _id("a", "three")
E1, E2, E3, E4 = _id("e", "flight"), _id("e", "guantanamo"), _id("e", "tariff"), _id("e", "agreement")

_EVENT_NULLS = dict(event_date=None, date_precision="unknown", actor_country=None, partner_country=None, location=None,
                    carrier=None, aircraft_type=None, flight_count=None, people_count=None, people_qualifier=None,
                    quantity=None, quantity_unit=None, measure=None)
EVENT_VALUES = {
    E1: dict(_EVENT_NULLS, event_type="removal_flight", status="refused", event_date=dt.date(2025, 1, 26),
             date_precision="day", actor_country="USA", partner_country="COL", carrier="military",
             aircraft_type="C-17", flight_count=2, people_count=160, people_qualifier="exact"),
    E2: dict(_EVENT_NULLS, event_type="detention", status="announced", actor_country="USA", partner_country="CUB",
             location="Guantánamo Bay", quantity=30000.0, quantity_unit="beds"),
    E3: dict(_EVENT_NULLS, event_type="coercive_measure", status="threatened", event_date=dt.date(2025, 1, 20),
             date_precision="week", actor_country="USA", partner_country="COL", quantity=25.0,
             quantity_unit="percent", measure="tariff"),
    E4: dict(_EVENT_NULLS, event_type="agreement", status="abandoned", actor_country="GBR", partner_country="RWA",
             event_date=dt.date(2024, 1, 1), date_precision="year"),
}


def _tables(with_agreement: bool) -> dict[str, pd.DataFrame]:
    articles = [
        dict(article_id=A1, source_path="nyt/colombia.html", source_record=None, url="https://www.nytimes.com/2025/01/31/x.html",
             outlet="nytimes.com", title='Colombia "rejects" two planes, then relents', published_date=dt.date(2025, 1, 31),
             language="en", n_words=812, duplicate_of=None),
        dict(article_id=A2, source_path="export/feed.jsonl", source_record=2, url=None, outlet="El País, Madrid",
             title=None, published_date=None, language="es", n_words=455, duplicate_of=None),
        dict(article_id=A3, source_path="wire/copy.txt", source_record=None, url="https://example.com/wire",
             outlet="example.com", title="Wire copy", published_date=dt.date(2025, 2, 1), language="en", n_words=800,
             duplicate_of=A1),
    ]
    sentence = 'Colombia rejected two US military planes, "full of deportees", with 80 on each.'
    mentions = [
        dict(EVENT_VALUES[E1], mention_id=_id("m", "1"), article_id=A1, event_id=E1, sentence=sentence, char_start=0,
             char_end=len(sentence), extractor="rules-9.9.9", confidence=0.9),
        dict(EVENT_VALUES[E1], mention_id=_id("m", "2"), article_id=A2, event_id=E1, people_count=150,
             people_qualifier="at_least", sentence="Más de 150 personas, en dos aviones.", char_start=10, char_end=46,
             extractor="rules-9.9.9", confidence=0.7),
        dict(EVENT_VALUES[E2], mention_id=_id("m", "3"), article_id=A1, event_id=E2,
             sentence="We have 30,000 beds in Guantánamo.", char_start=100, char_end=134, extractor="rules-9.9.9",
             confidence=0.8),
        dict(EVENT_VALUES[E3], mention_id=_id("m", "4"), article_id=A2, event_id=E3, sentence="Aranceles del 25%.",
             char_start=200, char_end=218, extractor="rules-9.9.9", confidence=0.6),
    ]
    events = [
        dict(EVENT_VALUES[E1], event_id=E1, summary="2 military flights from USA to COL refused (160 people)",
             n_articles=2, n_outlets=2, first_reported=dt.date(2025, 1, 31), confidence=0.9, count_disagreement=True,
             first_seen="1.0.0"),
        dict(EVENT_VALUES[E2], event_id=E2, summary="detention at Guantánamo Bay (USA) announced: 30,000 beds",
             n_articles=1, n_outlets=1, first_reported=dt.date(2025, 1, 31), confidence=0.8, count_disagreement=False,
             first_seen="1.0.0"),
        dict(EVENT_VALUES[E3], event_id=E3, summary="USA threatened tariff on COL", n_articles=1, n_outlets=1,
             first_reported=None, confidence=0.6, count_disagreement=False, first_seen="1.0.0"),
    ]
    changes = [dict(event_id=e, change="added", merged_into=None, changed_columns=None) for e in (E1, E2, E3)]
    if with_agreement:
        sentence = "The UK-Rwanda plan was abandoned."
        mentions.append(dict(EVENT_VALUES[E4], mention_id=_id("m", "5"), article_id=A1, event_id=E4, sentence=sentence,
                             char_start=300, char_end=300 + len(sentence), extractor="rules-9.9.9", confidence=0.8))
        events.append(dict(EVENT_VALUES[E4], event_id=E4, summary="GBR-RWA agreement abandoned", n_articles=1,
                           n_outlets=1, first_reported=dt.date(2025, 1, 31), confidence=0.8, count_disagreement=False,
                           first_seen="1.1.0"))
        changes = [dict(event_id=e, change="added" if e == E4 else "updated", merged_into=None,
                        changed_columns=None if e == E4 else "confidence") for e in (E1, E2, E3, E4)]
    rejects = [dict(reject_id=_id("r", "bad"), stage="ingest", source_path="export/feed.jsonl", source_record=3,
                    table=None, row_id=None, reason='record 3 is not JSON: unexpected "}", line 1')]
    records = dict(articles=articles, mentions=mentions, events=events, changes=changes, rejects=rejects)
    return {name: frame(TABLES[name], rows) for name, rows in records.items()}


def make_release(root: Path, versions: tuple[str, ...] = ("1.0.0", "1.1.0")) -> Path:
    """Publish one or two small releases under root/processed (root/datapackage.json beside it);
    return the processed folder."""
    processed = root / "processed"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        for i, version in enumerate(versions):
            result = publish(_tables(with_agreement=i > 0), processed, root / "datapackage.json", version,
                             "rules-9.9.9", f"## {{version}}\n\nTest release {i + 1}.\n")
            assert result.version == version, result.message
    return processed


def sample_tables(latest: bool = True) -> dict[str, pd.DataFrame]:
    return _tables(with_agreement=latest)


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return make_release(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def release(processed) -> Path:
    return processed / "1.1.0"


def _descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def _parquet(folder: Path) -> dict[str, tuple[Path, list[dict]]]:
    return {name: (folder / r["path"], r["schema"]["fields"])
            for name, r in table_resources(_descriptor(folder), "parquet").items()}


def _csv(folder: Path) -> dict[str, tuple[Path, list[dict]]]:
    return {name: (folder / r["path"], r["schema"]["fields"])
            for name, r in table_resources(_descriptor(folder), "csv").items()}


# --- Parquet ------------------------------------------------------------------------------

ARROW = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}


def test_every_table_is_published_in_both_formats(release):
    assert set(_parquet(release)) == set(_csv(release)) == {"articles", "mentions", "events", "changes", "rejects"}


def test_pyarrow_reads_declared_types_without_index_or_dictionary(release):
    for name, (path, fields) in _parquet(release).items():
        schema = pq.read_schema(path)
        assert schema.names == [f["name"] for f in fields], name
        for f in fields:
            assert schema.field(f["name"]).type == ARROW[f["type"]], (name, f["name"])
        assert not any(pa.types.is_dictionary(t) for t in schema.types)
        assert b"pandas" not in (schema.metadata or {}), f"{name}: pandas metadata would bring an index back"
        assert not any(n.startswith("__index_level_") for n in schema.names)


def test_pandas_reads_dates_as_dates_and_counts_as_nullable_integers(release):
    events = pd.read_parquet(release / "events.parquet", dtype_backend="numpy_nullable")
    assert list(events.columns) == TABLES["events"].column_names
    assert isinstance(events.index, pd.RangeIndex)
    for col in ("flight_count", "people_count", "n_articles", "n_outlets"):
        assert events[col].dtype == "Int64", col
    assert events["people_count"].isna().sum() == 3 and 160 in events["people_count"].tolist()
    assert all(isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in events["event_date"].dropna())
    assert events["count_disagreement"].dtype == "boolean"
    # the plain reader: same columns, no index column
    plain = pd.read_parquet(release / "mentions.parquet")
    assert list(plain.columns) == TABLES["mentions"].column_names


DUCKDB = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}


def test_duckdb_reads_declared_types(release):
    con = duckdb.connect()
    for name, (path, fields) in _parquet(release).items():
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path.as_posix()}')").fetchall()
        assert [(row[0], row[1]) for row in described] == [(f["name"], DUCKDB[f["type"]]) for f in fields], name
    nulls, total = con.execute(f"SELECT count(*) FILTER (people_count IS NULL), sum(people_count) "
                               f"FROM read_parquet('{(release / 'events.parquet').as_posix()}')").fetchone()
    assert (nulls, total) == (3, 160)


POLARS = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date}


def test_polars_reads_declared_types(release):
    for name, (path, fields) in _parquet(release).items():
        df = pl.read_parquet(path)
        assert list(df.schema.items()) == [(f["name"], POLARS[f["type"]]) for f in fields], name
    events = pl.read_parquet(release / "events.parquet")
    assert events["people_count"].null_count() == 3
    assert events.filter(pl.col("event_id") == E1)["event_date"].item() == dt.date(2025, 1, 26)


# --- CSV ----------------------------------------------------------------------------------

def test_csv_read_with_descriptor_types_equals_parquet(release):
    from_csv = load(source=release, format="csv")
    from_parquet = load(source=release)
    assert list(from_csv) == list(from_parquet)
    for name in from_csv:
        pd.testing.assert_frame_equal(from_csv[name], from_parquet[name], obj=name)
    articles = from_csv["articles"].set_index("article_id")
    assert articles.loc[A1, "title"] == 'Colombia "rejects" two planes, then relents'
    assert articles.loc[A2, "outlet"] == "El País, Madrid"
    assert pd.isna(articles.loc[A2, "published_date"]) and articles.loc[A2, "source_record"] == 2


def test_duckdb_and_polars_read_csv_with_descriptor_types(release):
    con = duckdb.connect()
    for name, (path, fields) in _csv(release).items():
        columns = {f["name"]: DUCKDB[f["type"]] for f in fields}
        from_csv = con.execute(f"SELECT * FROM read_csv(?, header=true, columns={columns!r})", [str(path)])
        csv_rows = from_csv.fetchall()
        assert [d[0] for d in from_csv.description] == list(columns), name
        from_parquet = con.execute("SELECT * FROM read_parquet(?)", [str(path.with_suffix(".parquet"))]).fetchall()
        assert csv_rows == from_parquet, name
        df = pl.read_csv(path, schema={f["name"]: POLARS[f["type"]] for f in fields})
        assert df.equals(pl.read_parquet(path.with_suffix(".parquet"))), name


R_READ_CSV = r"""
suppressPackageStartupMessages({library(readr); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
package <- fromJSON(file.path(folder, "datapackage.json"), simplifyVector = FALSE)
collector <- list(string = col_character(), integer = col_integer(), number = col_double(),
                  boolean = col_logical(), date = col_date())
r_class <- c(string = "character", integer = "integer", number = "numeric", boolean = "logical", date = "Date")
out <- list()
for (res in package$resources) {
  if (!identical(res$format, "csv")) next
  fields <- res$schema$fields
  names <- vapply(fields, function(f) f$name, "")
  types <- vapply(fields, function(f) f$type, "")
  spec <- do.call(cols, setNames(lapply(types, function(t) collector[[t]]), names))
  df <- read_csv(file.path(folder, res$path), col_types = spec, na = "", progress = FALSE)
  classes <- vapply(df, function(col) class(col)[1], "")
  out[[res$name]] <- list(rows = nrow(df), problems = nrow(problems(df)),
                          types_ok = all(classes == r_class[types]),
                          classes = as.list(setNames(classes, names)),
                          nulls = as.list(setNames(vapply(df, function(col) sum(is.na(col)), 0L), names)))
}
cat(toJSON(out, auto_unbox = TRUE))
"""


@functools.cache
def _r_packages() -> frozenset[str]:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return frozenset()
    done = subprocess.run([rscript, "-e", "cat(.packages(all.available = TRUE))"], capture_output=True, text=True)
    return frozenset(done.stdout.split())


def _rscript(*packages: str) -> str:
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip(f"Rscript not found; on Debian/Ubuntu: {R_APT}")
    missing = sorted(set(packages or ("readr", "jsonlite")) - _r_packages())
    if missing:
        pytest.skip(f"R packages {missing} are missing; on Debian/Ubuntu: {R_APT}")
    return rscript


def test_r_readr_reads_csv_with_descriptor_types(release, tmp_path):
    rscript = _rscript()
    script = tmp_path / "read.R"
    script.write_text(R_READ_CSV, encoding="utf-8")
    done = subprocess.run([rscript, str(script), str(release)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    expected = load(source=release)
    assert set(result) == set(expected)
    for name, df in expected.items():
        got = result[name]
        assert got["rows"] == len(df) and got["problems"] == 0, (name, got)
        assert got["types_ok"], (name, got["classes"])
        assert got["nulls"] == {c: int(df[c].isna().sum()) for c in df.columns}, name


# --- the loader ---------------------------------------------------------------------------

def test_load_finds_releases_in_every_kind_of_folder(processed):
    latest = load(source=processed)
    assert len(latest["events"]) == 4 and len(latest["mentions"]) == 5
    first = load("1.0.0", source=processed)
    assert len(first["events"]) == 3
    # the repository root, whose datapackage.json points into processed/<version>/
    from_root = load(source=processed.parent, tables=["events"])
    pd.testing.assert_frame_equal(from_root["events"], latest["events"])
    # a folder of <version>/ folders without index.json, as `deportdata download` leaves it
    copies = processed.parent / "copies"
    shutil.copytree(processed / "1.0.0", copies / "1.0.0")
    shutil.copytree(processed / "1.1.0", copies / "1.1.0")
    assert locate(source=copies)[1]["version"] == "1.1.0"
    assert locate("1.0.0", source=copies)[0] == copies / "1.0.0"
    with pytest.raises(Exception, match="release 2.0.0 not found"):
        load("2.0.0", source=copies)
    with pytest.raises(KeyError, match="nope"):
        load(source=processed, tables=["nope"])


def test_load_refuses_a_corrupted_file(release, tmp_path):
    copy = tmp_path / "1.1.0"
    shutil.copytree(release, copy)
    data = bytearray((copy / "events.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "events.parquet").write_bytes(bytes(data))
    with pytest.raises(Exception, match=r"events\.parquet: sha256"):
        load(source=copy)
    assert len(load(source=copy, tables=["articles"])["articles"]) == 3


# --- docs/using-the-data.md ---------------------------------------------------------------

def _blocks(language: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)]


@pytest.fixture
def docs_workdir(release, tmp_path, monkeypatch) -> Path:
    """A working folder laid out as `deportdata download --to data` leaves it."""
    shutil.copytree(release.parent / "1.0.0", tmp_path / "data" / "1.0.0")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_docs_python_examples_run(docs_workdir, capsys):
    blocks = _blocks("python")
    assert len(blocks) >= 4
    mentions = pd.read_parquet(docs_workdir / "data" / "1.0.0" / "mentions.parquet")
    for i, code in enumerate(blocks):
        namespace: dict = {"__name__": f"docs_example_{i}"}
        exec(compile(code, f"{DOCS.name}[python block {i + 1}]", "exec"), namespace)
        evidence = namespace.get("evidence")
        if evidence is not None:  # every join example keeps each mention once, with its article and event
            rows = evidence.fetchall() if hasattr(evidence, "fetchall") else evidence
            assert len(rows) == len(mentions), f"block {i + 1}"
    out = capsys.readouterr().out
    assert "removal_flight" in out and "COL" in out


def test_docs_r_examples_run(docs_workdir):
    rscript = _rscript()
    ran = 0
    for i, code in enumerate(_blocks("r")):
        if set(re.findall(r"library\((\w+)\)", code)) - _r_packages():
            continue  # e.g. arrow, which Debian does not package: install.packages("arrow") from CRAN
        script = docs_workdir / f"example_{i}.R"
        script.write_text(code, encoding="utf-8")
        done = subprocess.run([rscript, str(script)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"R block {i + 1}:\n{done.stderr}"
        ran += 1
    assert ran >= 1
