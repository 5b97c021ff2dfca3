"""Validation (deportdata.validate, stages.validate_run): rows that break the schema are set
aside with their reasons, every other row is kept as it was."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from deportdata import stages
from deportdata.validate import RowFailure, validate_table
from schemas.derive import frame
from schemas.tables import EVENTS, MENTIONS


def event(i: int, **values) -> dict:
    row = {f.name: None for f in EVENTS.fields}
    row.update(event_id=f"e_{i:016x}", event_type="removal_flight", status="refused", date_precision="day",
               event_date=dt.date(2025, 1, 26), actor_country="USA", partner_country="COL", carrier="military",
               flight_count=2, people_count=160, people_qualifier="exact", summary=f"event {i}", n_articles=2,
               n_outlets=2, first_reported=dt.date(2025, 1, 26), confidence=0.9, count_disagreement=False,
               first_seen="1.0.0")
    row.update(values)
    return row


VALID_EXTRAS = [
    dict(event_type="coercive_measure", status="threatened", measure="tariff", quantity=25.0, quantity_unit="percent",
         carrier=None, flight_count=None, people_count=None, people_qualifier=None),
    dict(event_type="detention", status="announced", location="Guantánamo Bay", partner_country="CUB",
         quantity=30000.0, quantity_unit="beds", carrier=None, flight_count=None, people_count=None,
         people_qualifier=None),
    dict(event_type="agreement", status="signed", partner_country="SLV", carrier=None, flight_count=None,
         people_count=None, people_qualifier=None, event_date=None, date_precision="unknown"),
]


def events_frame(bad_row: dict | None = None, n: int = 6) -> pd.DataFrame:
    rows = [event(i, **(VALID_EXTRAS[i % len(VALID_EXTRAS)] if i % 2 else {})) for i in range(n)]
    if bad_row is not None:
        rows[2] = event(2, **bad_row)
    return frame(EVENTS, rows)


def assert_only_row_2_set_aside(bad_row: dict, *fragments: str) -> RowFailure:
    df = events_frame(bad_row)
    kept, failures = validate_table(EVENTS, df)
    assert [f.row_id for f in failures] == [df["event_id"][2]]
    assert failures[0].table == "events"
    for fragment in fragments:
        assert fragment in failures[0].reason, failures[0].reason
    expected = df.drop(index=2).reset_index(drop=True)
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), expected)
    return failures[0]


def test_valid_rows_are_all_kept():
    df = events_frame()
    kept, failures = validate_table(EVENTS, df)
    assert failures == []
    pd.testing.assert_frame_equal(kept, df)


@pytest.mark.parametrize("bad_row, fragments", [
    (dict(carrier="zeppelin"), ("carrier", "isin", "zeppelin")),
    (dict(event_type="flight"), ("event_type", "isin")),
    (dict(actor_country="usa"), ("actor_country", "str_matches", "usa")),
    (dict(event_id="e_NOT-HEX-AT-ALL!"), ("event_id", "str_matches")),
    (dict(confidence=1.5), ("confidence", "less_than_or_equal_to")),
    (dict(n_articles=0), ("n_articles", "greater_than_or_equal_to")),
    (dict(summary=None), ("summary", "not_nullable")),
], ids=["enum", "enum-type", "pattern-country", "pattern-id", "maximum", "minimum", "required"])
def test_a_row_breaking_a_column_constraint_is_set_aside(bad_row, fragments):
    assert_only_row_2_set_aside(bad_row, *fragments)


@pytest.mark.parametrize("bad_row, rule", [
    (dict(status="signed"), "status is one of the event type's status values"),
    (dict(measure="tariff"), "measure is null unless event_type is coercive_measure"),
    (dict(people_count=None), "people_qualifier is null when people_count is null"),
    (dict(quantity=5.0), "quantity and quantity_unit are both null or both set"),
], ids=["status-fits-type", "measure-only-coercive", "qualifier-needs-count", "unit-with-quantity"])
def test_a_row_breaking_a_row_rule_is_set_aside(bad_row, rule):
    assert_only_row_2_set_aside(bad_row, rule)


@pytest.mark.parametrize("bad_row, fragments", [
    (dict(status=None), ("status: not_nullable", "status is one of the event type's status values")),
    (dict(event_type=None, measure=None), ("event_type: not_nullable", "status is one of the event type's status values")),
], ids=["null-status", "null-type"])
def test_a_null_in_a_row_rule_column_sets_that_row_aside_not_the_table(bad_row, fragments):
    assert_only_row_2_set_aside(bad_row, *fragments)


def test_a_row_rule_reason_names_the_rule_once_and_blames_no_column():
    """The reason of a row-rule failure should read like `row: <rule> failed`, not repeat the rule
    once per column with each column's value (which blames summary, confidence, first_seen ...)."""
    failure = assert_only_row_2_set_aside(dict(status="signed"), "status is one of the event type's status values")
    assert failure.reason.count("status is one of the event type's status values") == 1, failure.reason
    for innocent in ("summary", "confidence", "first_seen", "n_outlets", "event_date"):
        assert f"{innocent}:" not in failure.reason, failure.reason


def test_a_repeated_key_keeps_the_first_row_and_sets_the_copy_aside():
    df = events_frame()
    copy = df.iloc[[3]].assign(summary="a later copy")
    doubled = pd.concat([df, copy], ignore_index=True)
    kept, failures = validate_table(EVENTS, doubled)
    assert failures == [RowFailure("events", df["event_id"][3], "event_id: repeats an earlier row")]
    pd.testing.assert_frame_equal(kept, df)


def test_several_problems_in_one_row_give_one_failure_with_every_reason():
    df = events_frame(dict(carrier="zeppelin", confidence=-0.5))
    kept, failures = validate_table(EVENTS, df)
    assert len(failures) == 1 and len(kept) == len(df) - 1
    assert "carrier:" in failures[0].reason and "confidence:" in failures[0].reason


def test_failures_in_several_rows_keep_the_rest():
    rows = [event(i) for i in range(8)]
    rows[1]["carrier"] = "zeppelin"
    rows[4]["status"] = "signed"
    rows[6]["partner_country"] = "Colombia"
    df = frame(EVENTS, rows)
    kept, failures = validate_table(EVENTS, df)
    assert sorted(f.row_id for f in failures) == sorted(df["event_id"][[1, 4, 6]])
    assert kept["event_id"].tolist() == df["event_id"][[0, 2, 3, 5, 7]].tolist()


def test_a_problem_with_the_table_itself_raises():
    df = events_frame().drop(columns=["summary"])
    with pytest.raises(ValueError):
        validate_table(EVENTS, df)


def test_dropped_columns_are_not_checked():
    mention = {f.name: None for f in MENTIONS.fields}
    mention.update(mention_id="m_" + "1" * 16, article_id="a_" + "2" * 16, sentence="Two planes landed.",
                   char_start=0, char_end=18, extractor="rules-test", confidence=0.8, event_type="removal_flight",
                   status="landed", date_precision="unknown")
    df = frame(MENTIONS, [mention])
    assert validate_table(MENTIONS, df)[1][0].reason.startswith("event_id: not_nullable")
    kept, failures = validate_table(MENTIONS, df, drop=("event_id",))
    assert failures == [] and len(kept) == 1


# --------------------------------------------------------------------------- in the pipeline


@pytest.fixture
def assembled(tmp_path, samples):
    """The seeds ingested, extracted and assembled into the run folder (no Prefect)."""
    ws = samples.workspace(tmp_path)
    ws.raw.mkdir()
    for seed in samples.SEEDS:
        (ws.raw / seed.name).write_bytes(seed.read_bytes())
    manifest = stages.scan_raw(ws.raw)
    for batch in stages.batches(manifest, 4):
        stages.ingest_batch(batch, ws)
    stages.extract_batch(stages.pending_extraction(ws), ws)
    stages.assemble(manifest, ws)
    return ws


def test_validate_run_sets_failing_rows_aside_in_rejects(assembled):
    ws = assembled
    articles = pd.read_parquet(ws.run_dir / "articles.parquet")
    mentions = pd.read_parquet(ws.run_dir / "mentions.parquet")
    assert len(articles) == 2 and len(mentions) >= 4
    bad_article, good_article = articles["article_id"][0], articles["article_id"][1]
    articles.loc[0, "language"] = "english"  # breaks the pattern ^[a-z]{2}$
    good_mentions = mentions[mentions["article_id"] == good_article]
    bad_status, bad_enum = good_mentions["mention_id"].iloc[0], good_mentions["mention_id"].iloc[1]
    mentions.loc[mentions["mention_id"] == bad_status, "status"] = "teleported"
    mentions.loc[mentions["mention_id"] == bad_enum, "date_precision"] = "fortnight"
    repeated = mentions[mentions["mention_id"] == good_mentions["mention_id"].iloc[2]]
    mentions = pd.concat([mentions, repeated], ignore_index=True)
    articles.to_parquet(ws.run_dir / "articles.parquet", index=False)
    mentions.to_parquet(ws.run_dir / "mentions.parquet", index=False)

    orphans = set(mentions.loc[mentions["article_id"] == bad_article, "mention_id"])
    counts = stages.validate_run(ws)
    assert counts == {"articles": 1, "mentions": len(orphans) + 3}

    valid_articles = pd.read_parquet(ws.run_dir / "articles.valid.parquet")
    valid_mentions = pd.read_parquet(ws.run_dir / "mentions.valid.parquet")
    assert valid_articles["article_id"].tolist() == [good_article]
    expected_kept = set(good_mentions["mention_id"]) - {bad_status, bad_enum}
    assert set(valid_mentions["mention_id"]) == expected_kept
    assert valid_mentions["mention_id"].is_unique

    rejects = pd.read_parquet(ws.run_dir / "rejects.valid.parquet")
    assert (rejects["stage"] == "validate").all()
    assert rejects["reject_id"].str.fullmatch(r"r_[0-9a-f]{16}").all() and rejects["reject_id"].is_unique
    by_row = {(r.table, r.row_id): r for r in rejects.itertuples()}
    source = dict(zip(articles["article_id"], articles["source_path"]))
    article_reject = by_row[("articles", bad_article)]
    assert "language" in article_reject.reason and article_reject.source_path == source[bad_article]
    for mention in orphans:
        assert "its article was rejected" in by_row[("mentions", mention)].reason
        assert by_row[("mentions", mention)].source_path == source[bad_article]
    assert "status" in by_row[("mentions", bad_status)].reason
    assert "teleported" in by_row[("mentions", bad_status)].reason
    assert "date_precision" in by_row[("mentions", bad_enum)].reason
    assert "repeats an earlier row" in by_row[("mentions", good_mentions["mention_id"].iloc[2])].reason
    assert {by_row[("mentions", m)].source_path for m in (bad_status, bad_enum)} == {source[good_article]}


def test_rows_set_aside_by_validation_are_published_in_rejects_csv(assembled):
    ws = assembled
    mentions = pd.read_parquet(ws.run_dir / "mentions.parquet")
    target = mentions["mention_id"][0]
    mentions.loc[0, "status"] = "teleported"
    mentions.to_parquet(ws.run_dir / "mentions.parquet", index=False)
    assert stages.validate_run(ws) == {"articles": 0, "mentions": 1}
    stages.dedupe_run(ws, "1.0.0")
    result = stages.publish_run(ws, "1.0.0")
    assert result.version == "1.0.0"
    published = pd.read_csv(result.folder / "rejects.csv", keep_default_na=False)
    row = published[published["row_id"] == target]
    assert row[["stage", "table"]].values.tolist() == [["validate", "mentions"]]
    assert "teleported" in row["reason"].iloc[0]
    assert target not in set(pd.read_parquet(result.folder / "mentions.parquet")["mention_id"])
    assert len(pd.read_parquet(result.folder / "mentions.parquet")) == len(mentions) - 1
