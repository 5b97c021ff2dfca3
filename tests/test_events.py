"""Mentions to events (deportdata.events): rule 8 clustering, values, counts, stable ids."""
from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deportdata.events import EVENT_COLUMNS, PreviousRelease, build_events, changelog_markdown

MENTION_COLUMNS = [
    "mention_id", "article_id", "sentence", "char_start", "char_end", "extractor", "confidence",
    "event_type", "status", "event_date", "date_precision", "actor_country", "partner_country", "location",
    "carrier", "aircraft_type", "flight_count", "people_count", "people_qualifier", "quantity",
    "quantity_unit", "measure",
]
JAN = 1  # all synthetic events happen in January 2025; 2025-01-20 is a Monday


def mid(name: str) -> str:
    return "m_" + hashlib.sha256(name.encode()).hexdigest()[:16]


def aid(name: str) -> str:
    return "a_" + hashlib.sha256(name.encode()).hexdigest()[:16]


def mention(name: str, article: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "mention_id": mid(name), "article_id": aid(article), "sentence": f"evidence {name}", "char_start": 0,
        "char_end": 10, "extractor": "rules-1.0", "confidence": 0.8, "event_type": "removal_flight",
        "status": "refused", "event_date": None, "date_precision": "unknown", "actor_country": "USA",
        "partner_country": "COL", "location": None, "carrier": None, "aircraft_type": None,
        "flight_count": None, "people_count": None, "people_qualifier": None, "quantity": None,
        "quantity_unit": None, "measure": None,
    }
    day = values.pop("day", None)
    week = values.pop("week", None)
    if day is not None:
        row.update(event_date=date(2025, JAN, day), date_precision="day")
    if week is not None:  # week given by any day in it; stored as its Monday (rule 5)
        d = date(2025, JAN, week)
        row.update(event_date=date.fromordinal(d.toordinal() - d.weekday()), date_precision="week")
    row.update(values)
    return row


def mentions_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=MENTION_COLUMNS).astype({"sentence": object})
    for name in ("flight_count", "people_count", "char_start", "char_end"):
        df[name] = df[name].astype("Int64")
    for name in ("quantity", "confidence"):
        df[name] = df[name].astype("float64")
    return df


def article(name: str, outlet: str | None = "", day: int | None = 27, duplicate_of: str | None = None) -> dict:
    return {"article_id": aid(name), "outlet": f"{name}.com" if outlet == "" else outlet,
            "published_date": None if day is None else date(2025, JAN, day),
            "duplicate_of": None if duplicate_of is None else aid(duplicate_of)}


def articles_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["article_id", "outlet", "published_date", "duplicate_of"]).astype(object)


def run(rows: list[dict[str, Any]], arts: list[dict[str, Any]] | None = None, version: str = "1.0.0",
        previous: PreviousRelease | None = None):
    names = sorted({r["article_id"] for r in rows})
    arts = arts if arts is not None else []
    known = {a["article_id"] for a in arts}
    frame = articles_frame(arts + [{"article_id": a, "outlet": None, "published_date": date(2025, 1, 27),
                                    "duplicate_of": None} for a in names if a not in known])
    return build_events(mentions_frame(rows), frame, version, previous)


def groups(result) -> set[frozenset[str]]:
    """The partition of mention ids into events."""
    by_event: dict[str, set[str]] = {}
    for m, e in zip(result.mentions["mention_id"], result.mentions["event_id"]):
        by_event.setdefault(e, set()).add(m)
    return {frozenset(v) for v in by_event.values()}


def event_of(result, name: str) -> pd.Series:
    event_id = result.mentions.set_index("mention_id").loc[mid(name), "event_id"]
    return result.events.set_index("event_id").loc[event_id]


def as_previous(result, version: str) -> PreviousRelease:
    return PreviousRelease(version=version, events=result.events, mentions=result.mentions)


# --- one event reported many ways ---------------------------------------------------------

COLOMBIA = [
    # a wire story, two mentions of the flights in it
    mention("wire-1", "wire", day=26, carrier="military", flight_count=2, people_count=160,
            people_qualifier="exact"),
    mention("wire-2", "wire", day=26, carrier="military", aircraft_type="C-17"),
    # its syndicated copy on another site
    mention("copy-1", "copy", day=26, carrier="military", flight_count=2, people_count=160,
            people_qualifier="exact"),
    # another outlet, worded differently, date known only to the week, no count
    mention("times-1", "times", week=26, carrier="military", flight_count=2),
    # a third outlet: "more than 150 people", no carrier, undated
    mention("post-1", "post", people_count=150, people_qualifier="at_least"),
]
COLOMBIA_ARTICLES = [
    article("wire", "apnews.com", day=26), article("copy", "example-news.com", day=27, duplicate_of="wire"),
    article("times", "nytimes.com", day=27), article("post", None, day=28),
]


def test_one_event_from_many_accounts() -> None:
    result = run(COLOMBIA, COLOMBIA_ARTICLES)
    assert len(result.events) == 1
    event = result.events.iloc[0]
    assert event["event_date"] == date(2025, 1, 26) and event["date_precision"] == "day"
    assert (event["carrier"], event["flight_count"], event["people_count"], event["people_qualifier"]) == (
        "military", 2, 160, "exact")
    assert event["aircraft_type"] == "C-17"
    assert event["n_articles"] == 3  # wire and its copy count once
    assert event["n_outlets"] == 3  # apnews.com, example-news.com, nytimes.com
    assert event["first_reported"] == date(2025, 1, 26)
    assert not event["count_disagreement"]
    assert event["summary"] == "2 military flights from USA to COL refused (160 people, C-17)"
    assert event["confidence"] == pytest.approx(1 - 0.2**3)


def test_near_copy_counts_once_and_adds_no_confidence() -> None:
    rows = [mention("w", "wire", day=26), mention("c", "copy", day=26)]
    result = run(rows, [article("wire", "apnews.com"), article("copy", "apnews.com", duplicate_of="wire")])
    event = result.events.iloc[0]
    assert (event["n_articles"], event["n_outlets"], event["confidence"]) == (1, 1, pytest.approx(0.8))


def test_chains_of_near_copies_count_once() -> None:
    rows = [mention("w", "wire", day=26), mention("c1", "copy1", day=26), mention("c2", "copy2", day=26)]
    arts = [article("wire"), article("copy1", duplicate_of="wire"), article("copy2", duplicate_of="copy1")]
    assert run(rows, arts).events.iloc[0]["n_articles"] == 1


def test_two_outlets() -> None:
    rows = [mention("a", "one", day=26), mention("b", "two", day=26), mention("c", "three", day=26)]
    arts = [article("one", "elpais.com"), article("two", "nytimes.com"), article("three", "nytimes.com")]
    event = run(rows, arts).events.iloc[0]
    assert (event["n_articles"], event["n_outlets"]) == (3, 2)


def test_a_day_and_its_week_are_one_event_and_the_day_wins() -> None:
    rows = [mention("w1", "a", week=22), mention("w2", "b", week=22), mention("d", "c", day=22)]
    result = run(rows)
    assert len(result.events) == 1
    assert result.events.iloc[0]["event_date"] == date(2025, 1, 22)
    assert result.events.iloc[0]["date_precision"] == "day"


def test_disputed_days_inside_a_week_give_the_week() -> None:
    rows = [mention("w1", "a", week=22), mention("w2", "b", week=22), mention("d1", "c", day=21, flight_count=1),
            mention("d2", "d", day=23, flight_count=1)]
    result = run(rows)
    assert len(groups(result)) == 2  # the two days are two events; the week reports join one of them
    d1 = event_of(result, "d1")
    assert d1["date_precision"] in ("day", "week")


def test_count_from_one_source_and_none_from_another() -> None:
    rows = [mention("with", "a", day=26, people_count=160, people_qualifier="exact"), mention("without", "b", day=26)]
    event = run(rows).events.iloc[0]
    assert event["people_count"] == 160 and not event["count_disagreement"]


def test_qualified_counts_are_compatible() -> None:
    rows = [mention("more-than", "a", week=24, people_count=150, people_qualifier="at_least"),
            mention("exact", "b", week=24, people_count=160, people_qualifier="exact"),
            mention("about", "c", week=24, people_count=170, people_qualifier="approx")]
    result = run(rows)
    assert len(result.events) == 1
    event = result.events.iloc[0]
    assert (event["people_count"], event["people_qualifier"], event["count_disagreement"]) == (160, "exact", False)


def test_contradicting_counts_on_the_same_day_are_one_flagged_event() -> None:
    rows = [mention("eighty", "a", day=26, people_count=80), mention("one-sixty", "b", day=26, people_count=160),
            mention("one-sixty-again", "c", day=26, people_count=160)]
    result = run(rows)
    assert len(result.events) == 1
    event = result.events.iloc[0]
    assert event["count_disagreement"] and event["people_count"] == 160  # two sources against one
    assert sorted(result.mentions["people_count"].tolist()) == [80, 160, 160]  # still visible in mentions


def test_a_week_report_joins_a_disputed_day_when_it_agrees_with_one_account() -> None:
    rows = [mention("eighty", "a", day=26, people_count=80), mention("one-sixty", "b", day=26, people_count=160),
            mention("week", "c", week=26, people_count=160), mention("other", "d", week=26, people_count=300)]
    partition = groups(run(rows))
    assert partition == {frozenset({mid("eighty"), mid("one-sixty"), mid("week")}), frozenset({mid("other")})}


def test_contradicting_counts_without_a_shared_day_are_two_events() -> None:
    rows = [mention("two", "a", week=26, flight_count=2), mention("five", "b", week=26, flight_count=5)]
    result = run(rows)
    assert len(result.events) == 2 and not result.events["count_disagreement"].any()


def test_two_flights_to_one_country_on_different_days_are_two_events() -> None:
    rows = [mention("mon", "a", day=20, status="landed"), mention("mon-2", "b", day=20, status="landed"),
            mention("thu", "c", day=23, status="landed")]
    assert groups(run(rows)) == {frozenset({mid("mon"), mid("mon-2")}), frozenset({mid("thu")})}


def test_no_chaining_through_an_undated_mention() -> None:
    rows = [mention("day1", "a", day=20, status="landed"), mention("vague", "b", status="landed"),
            mention("day9", "c", day=28, status="landed")]
    arts = [article("a", day=20), article("b", day=24), article("c", day=28)]
    result = run(rows, arts)
    assert len(result.events) == 2
    assert event_of(result, "day1").name != event_of(result, "day9").name
    partition = groups(result)
    assert not any({mid("day1"), mid("day9")} <= g for g in partition)
    assert any(mid("vague") in g and len(g) == 2 for g in partition)


def test_no_chaining_through_an_unknown_count() -> None:
    rows = [mention("hundred", "a", week=22, people_count=100), mention("unknown", "b", week=22),
            mention("two-hundred", "c", week=22, people_count=200)]
    partition = groups(run(rows))
    assert len(partition) == 2 and not any({mid("hundred"), mid("two-hundred")} <= g for g in partition)


def test_undated_mentions_attach_within_the_reporting_window_only() -> None:
    rows = [mention("dated", "a", day=10), mention("soon", "b"), mention("much-later", "c")]
    arts = [article("a", day=10), article("b", day=20), article("c", day=31)]  # 10 and 21 days after
    assert groups(run(rows, arts)) == {frozenset({mid("dated"), mid("soon")}), frozenset({mid("much-later")})}


def test_carriers_separate_flights_when_both_are_named() -> None:
    rows = [mention("mil", "a", day=24, carrier="military"), mention("charter", "b", day=24, carrier="charter"),
            mention("mil-2", "c", day=24, carrier="military"), mention("unnamed", "d", day=24)]
    partition = groups(run(rows))
    assert len(partition) == 2
    assert frozenset({mid("charter")}) in partition or frozenset({mid("charter"), mid("unnamed")}) in partition


def test_most_advanced_flight_status_wins() -> None:
    rows = [mention("planned", "a", day=24, status="planned"), mention("departed", "b", day=24, status="departed"),
            mention("departed-2", "c", day=24, status="departed"), mention("landed", "d", day=24, status="landed")]
    assert run(rows).events.iloc[0]["status"] == "landed"
    rows = [mention("departed", "b", day=26, status="departed"), mention("refused", "d", day=26, status="refused")]
    assert run(rows).events.iloc[0]["status"] == "refused"


def test_different_outcomes_are_different_flights() -> None:
    rows = [mention("refused", "a", status="refused"), mention("landed", "b", status="landed")]
    assert len(run(rows).events) == 2


def test_agreement_with_countries_swapped_is_one_event() -> None:
    rows = [mention("usa-slv", "a", event_type="agreement", status="negotiating", actor_country="USA",
                    partner_country="SLV"),
            mention("slv-usa", "b", event_type="agreement", status="signed", actor_country="SLV",
                    partner_country="USA"),
            mention("usa-slv-2", "c", event_type="agreement", status="negotiating", actor_country="USA",
                    partner_country="SLV")]
    result = run(rows)
    assert len(result.events) == 1
    event = result.events.iloc[0]
    assert (event["actor_country"], event["partner_country"], event["status"]) == ("USA", "SLV", "signed")
    assert event["summary"] == "USA-SLV agreement signed"


def test_directed_types_keep_direction() -> None:
    rows = [mention("col", "a", event_type="diplomatic_response", status="refusal", actor_country="COL",
                    partner_country="USA"),
            mention("usa", "b", event_type="diplomatic_response", status="refusal", actor_country="USA",
                    partner_country="COL")]
    assert len(run(rows).events) == 2


def test_a_refusal_and_its_reversal_are_two_responses() -> None:
    rows = [mention("refusal", "a", event_type="diplomatic_response", status="refusal", actor_country="COL",
                    partner_country="USA"),
            mention("refusal-2", "b", event_type="diplomatic_response", status="refusal", actor_country="COL",
                    partner_country="USA"),
            mention("reversal", "b", event_type="diplomatic_response", status="reversal", actor_country="COL",
                    partner_country="USA")]
    result = run(rows)
    assert sorted(result.events["summary"]) == ["COL refusal toward USA", "COL reversal toward USA"]


def test_other_summaries() -> None:
    rows = [
        mention("tariff", "a", event_type="coercive_measure", status="threatened", measure="tariff", quantity=25.0,
                quantity_unit="percent"),
        mention("gitmo", "a", event_type="detention", status="announced", partner_country="CUB",
                location="Guantánamo Bay", quantity=30000.0, quantity_unit="beds"),
        mention("gitmo-2", "b", event_type="detention", status="announced", partner_country="CUB",
                location="Guantanamo"),
        mention("troops", "a", event_type="military_deployment", status="deployed", partner_country=None,
                people_count=1500, people_qualifier="exact"),
        mention("planes", "a", event_type="military_deployment", status="deployed", partner_country=None,
                flight_count=4, aircraft_type="C-17;C-130"),
    ]
    summaries = set(run(rows).events["summary"])
    assert {"USA threatened tariff (25%) on COL", "detention at Guantánamo Bay (USA) announced: 30,000 beds",
            "USA deployed 1,500 troops", "USA deployed 4 aircraft, C-17;C-130"} == summaries


# --- shape, dtypes, determinism ------------------------------------------------------------

def test_output_columns_and_dtypes() -> None:
    result = run(COLOMBIA, COLOMBIA_ARTICLES)
    assert EVENT_COLUMNS[0] == "event_id" and EVENT_COLUMNS[-2:] == ["count_disagreement", "first_seen"]
    assert list(result.events.columns) == EVENT_COLUMNS
    dtypes = result.events.dtypes.astype(str).to_dict()
    assert {dtypes[c] for c in ("flight_count", "people_count", "n_articles", "n_outlets")} == {"Int64"}
    assert dtypes["quantity"] == dtypes["confidence"] == "float64" and dtypes["count_disagreement"] == "bool"
    assert dtypes["summary"] == dtypes["location"] == dtypes["event_date"] == "object"
    assert result.events["location"].iloc[0] is None
    assert all(e.startswith("e_") and len(e) == 18 for e in result.events["event_id"])
    assert result.mentions["mention_id"].is_monotonic_increasing
    assert result.mentions["event_id"].notna().all() and result.mentions.columns[2] == "event_id"
    assert list(result.changes.columns) == ["event_id", "change", "merged_into", "changed_columns"]
    assert set(result.changes["change"]) == {"added"}


def test_new_event_id_is_the_hash_of_the_smallest_mention_id() -> None:
    result = run([mention("x", "a"), mention("y", "b")])
    smallest = min(mid("x"), mid("y"))
    assert result.events["event_id"].tolist() == ["e_" + hashlib.sha256(smallest.encode()).hexdigest()[:16]]


def test_empty_input() -> None:
    result = build_events(mentions_frame([]), articles_frame([]), "1.0.0")
    assert list(result.events.columns) == EVENT_COLUMNS and result.events.empty and result.changes.empty


FAMILY = COLOMBIA + [
    mention("mex", "times", day=26, partner_country="MEX", flight_count=1, carrier="military"),
    mention("gtm-1", "wire", day=24, partner_country="GTM", status="landed", people_count=150,
            people_qualifier="at_least"),
    mention("gtm-2", "post", week=24, partner_country="GTM", status="departed", flight_count=2),
    mention("gtm-3", "times", day=31, partner_country="GTM", status="landed"),
    mention("tariff", "copy", event_type="coercive_measure", status="threatened", measure="tariff",
            quantity=25.0, quantity_unit="percent"),
    mention("visa", "times", event_type="coercive_measure", status="imposed", measure="visa_sanction"),
    mention("deal", "post", event_type="agreement", status="negotiating", actor_country="SLV",
            partner_country="USA"),
]


def csv_bytes(result) -> bytes:
    buffer = io.StringIO()
    for frame in (result.events, result.mentions, result.changes):
        frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(FAMILY))), st.permutations(range(len(COLOMBIA_ARTICLES))))
def test_row_order_does_not_matter(mention_order: list[int], article_order: list[int]) -> None:
    expected = run(FAMILY, COLOMBIA_ARTICLES)
    shuffled = run([FAMILY[i] for i in mention_order], [COLOMBIA_ARTICLES[i] for i in article_order])
    assert csv_bytes(shuffled) == csv_bytes(expected)
    pd.testing.assert_frame_equal(shuffled.events, expected.events)


def test_family_partition() -> None:
    result = run(FAMILY, COLOMBIA_ARTICLES)
    assert len(result.events) == 1 + 1 + 2 + 2 + 1  # COL, MEX, GTM x2 (24th, 31st), tariff + visa, deal
    assert groups(result) >= {frozenset({mid("gtm-1"), mid("gtm-2")}), frozenset({mid("gtm-3")})}


# --- stable ids across releases ------------------------------------------------------------

def test_ids_stable_when_articles_are_added() -> None:
    first = run(FAMILY, COLOMBIA_ARTICLES, version="1.0.0")
    more = FAMILY + [mention("late-1", "late", day=26, carrier="military", flight_count=2),
                     mention("late-2", "late", day=31, partner_country="GTM", status="landed")]
    arts = COLOMBIA_ARTICLES + [article("late", "bbc.co.uk", day=31)]
    second = run(more, arts, version="1.1.0", previous=as_previous(first, "1.0.0"))
    assert set(first.events["event_id"]) == set(second.events["event_id"])
    assert (second.events["first_seen"] == "1.0.0").all()
    changes = second.changes.set_index("event_id")
    assert set(changes["change"]) == {"updated"}
    assert event_of(second, "wire-1")["n_articles"] == 4
    assert "n_articles" in changes.loc[event_of(second, "late-1").name, "changed_columns"].split(";")


def test_id_stable_when_the_source_that_named_it_is_removed() -> None:
    rows = [mention("a", "one", day=26), mention("b", "two", day=26)]
    first = run(rows, version="1.0.0")
    smallest = min(rows, key=lambda r: r["mention_id"])
    remaining = [r for r in rows if r is not smallest]
    second = run(remaining, version="1.1.0", previous=as_previous(first, "1.0.0"))
    assert second.events["event_id"].tolist() == first.events["event_id"].tolist()
    assert second.changes["change"].tolist() == ["updated"]


def test_id_stable_when_an_extractor_change_alters_a_mention() -> None:
    first = run([mention("a", "one", day=26, people_count=80)], version="1.0.0")
    second = run([mention("a", "one", day=26, people_count=160, extractor="rules-2.0")], version="1.1.0",
                 previous=as_previous(first, "1.0.0"))
    assert second.events["event_id"].tolist() == first.events["event_id"].tolist()
    row = second.changes.iloc[0]
    assert row["change"] == "updated" and row["changed_columns"] == "people_count;summary"


def test_unchanged_release_lists_no_changes_and_copies_first_seen() -> None:
    first = run(FAMILY, COLOMBIA_ARTICLES, version="1.0.0")
    second = run(FAMILY, COLOMBIA_ARTICLES, version="1.0.1", previous=as_previous(first, "1.0.0"))
    assert second.changes.empty and list(second.changes.columns) == list(first.changes.columns)
    pd.testing.assert_frame_equal(first.events, second.events)


def test_two_previous_events_merge_and_the_older_id_survives() -> None:
    # release 1.0: a military flight and a charter flight on the same day
    v1 = run([mention("mil", "a", day=26, carrier="military")], version="1.0.0")
    v2_rows = [mention("mil", "a", day=26, carrier="military"), mention("chr", "b", day=26, carrier="charter")]
    v2 = run(v2_rows, version="1.1.0", previous=as_previous(v1, "1.0.0"))
    assert len(v2.events) == 2
    old_id, new_id = event_of(v2, "mil").name, event_of(v2, "chr").name
    # release 1.2: the extractor now reads both as military: one event, the older id stays
    v3_rows = [mention("mil", "a", day=26, carrier="military"), mention("chr", "b", day=26, carrier="military")]
    v3 = run(v3_rows, version="1.2.0", previous=as_previous(v2, "1.1.0"))
    assert v3.events["event_id"].tolist() == [old_id]
    assert v3.events["first_seen"].tolist() == ["1.0.0"]
    changes = v3.changes.set_index("event_id")
    assert changes.loc[new_id, "change"] == "merged" and changes.loc[new_id, "merged_into"] == old_id
    assert changes.loc[old_id, "change"] == "updated"
    assert changes.index.tolist() == sorted(changes.index, key=lambda e: changes.loc[e, "change"])


def test_merge_compares_versions_numerically() -> None:
    rows = [mention("x", "a", day=26), mention("y", "b", day=26)]
    events = pd.DataFrame({"event_id": ["e_" + "a" * 16, "e_" + "b" * 16], "first_seen": ["0.10.0", "0.9.0"]})
    prev_mentions = pd.DataFrame({"mention_id": [mid("x"), mid("y")], "event_id": events["event_id"].tolist()})
    result = run(rows, version="0.11.0", previous=PreviousRelease("0.10.0", events, prev_mentions))
    assert result.events["event_id"].tolist() == ["e_" + "b" * 16]
    assert result.events["first_seen"].tolist() == ["0.9.0"]
    merged = result.changes[result.changes["change"] == "merged"]
    assert merged["event_id"].tolist() == ["e_" + "a" * 16]


def test_an_event_that_loses_all_its_mentions_is_removed() -> None:
    first = run(FAMILY, COLOMBIA_ARTICLES, version="1.0.0")
    gone = event_of(first, "mex").name
    second = run([r for r in FAMILY if r["mention_id"] != mid("mex")], COLOMBIA_ARTICLES, version="1.1.0",
                 previous=as_previous(first, "1.0.0"))
    assert second.changes.to_dict("records") == [
        {"event_id": gone, "change": "removed", "merged_into": None, "changed_columns": None}]


def test_a_split_keeps_the_id_on_the_larger_part() -> None:
    rows = [mention("p", "a", day=26), mention("q", "b", day=26), mention("r", "c", day=26)]
    first = run(rows, version="1.0.0")
    (old_id,) = first.events["event_id"]
    # the smallest mention moves to another day: it leaves, the two others keep the id
    smallest = min(r["mention_id"] for r in rows)
    moved = [dict(r, event_date=date(2025, 1, 29)) if r["mention_id"] == smallest else r for r in rows]
    second = run(moved, version="1.1.0", previous=as_previous(first, "1.0.0"))
    assert len(second.events) == 2
    stays = second.mentions.set_index("mention_id")["event_id"]
    assert all(stays[m] == old_id for m in stays.index if m != smallest)
    assert stays[smallest] != old_id  # not the old id even though it hashes its smallest mention
    change = second.changes.set_index("event_id")["change"].to_dict()
    assert change == {stays[smallest]: "added", old_id: "updated"}


def test_changelog_markdown() -> None:
    v1 = run([mention("mil", "a", day=26, carrier="military"), mention("mex", "a", partner_country="MEX")],
             version="1.0.0")
    v2 = run([mention("mil", "a", day=26, carrier="military", flight_count=2),
              mention("gtm", "b", day=24, partner_country="GTM", status="landed")],
             version="1.1.0", previous=as_previous(v1, "1.0.0"))
    text = changelog_markdown("1.1.0", v2.changes, v2.events)
    lines = text.splitlines()
    assert lines[0] == "## 1.1.0"
    assert "2 events: 1 added, 1 updated, 0 merged, 1 removed." in lines
    bullets = [line for line in lines if line.startswith("- ")]
    assert len(bullets) == 3
    assert bullets[0].startswith("- added `e_") and "flight from USA to GTM landed" in bullets[0]
    assert bullets[1].startswith("- updated `e_") and "(flight_count, summary)" in bullets[1]
    assert bullets[2] == f"- removed `{event_of(v1, 'mex').name}`"
    assert changelog_markdown("1.1.0", v2.changes, v2.events) == text


def _frames_equal(a, b) -> None:
    for name in ("events", "mentions", "changes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def _outlets_of_event_of(result, mention_name: str) -> int:
    event_id = result.mentions.set_index("mention_id").loc[mid(mention_name), "event_id"]
    return int(result.events.set_index("event_id").loc[event_id, "n_outlets"])


def test_block_cache_reuses_unchanged_blocks_and_equals_a_full_rebuild(tmp_path) -> None:
    cache = tmp_path / "blocks.json"
    rows = [mention("c1", "a1", day=26, people_count=80), mention("c2", "a2", day=26, people_count=80),
            mention("m1", "a3", partner_country="MEX", day=24), mention("g1", "a4", partner_country="GTM", day=24,
                                                                        status="landed")]
    arts = [article(f"a{i}") for i in range(1, 7)]
    first = build_events(mentions_frame(rows), articles_frame(arts), "1.0.0", None, cache)
    _frames_equal(first, run(rows, arts))
    stored = cache.read_text()
    assert stored.count('"clusters"') == 3  # one entry per block: USA-COL, USA-MEX, USA-GTM landed

    grown = rows + [mention("c3", "a5", day=27, people_count=120), mention("m2", "a6", partner_country="MEX", day=24)]
    second = build_events(mentions_frame(grown), articles_frame(arts), "1.0.0", None, cache)
    _frames_equal(second, run(grown, arts))
    assert len(second.events) == 4  # c3 is a new COL event, m2 joins the MEX one

    # an article-level input (its outlet) changes a block's values without touching its mentions
    renamed = [article("a1", outlet="a2.com"), *arts[1:]]
    third = build_events(mentions_frame(grown), articles_frame(renamed), "1.0.0", None, cache)
    _frames_equal(third, run(grown, renamed))
    assert _outlets_of_event_of(second, "c1") == 2 and _outlets_of_event_of(third, "c1") == 1


def test_a_damaged_block_cache_only_costs_a_rebuild(tmp_path) -> None:
    cache = tmp_path / "blocks.json"
    rows = [mention("c1", "a1", day=26), mention("c2", "a2", day=26)]
    for damage in ('{"not": json', '{"digest": {"rows": []}}', '[1, 2]'):
        cache.write_text(damage)
        result = build_events(mentions_frame(rows), articles_frame([article("a1"), article("a2")]), "1.0.0", None,
                              cache)
        _frames_equal(result, run(rows, [article("a1"), article("a2")]))
        assert '"clusters"' in cache.read_text()


# --------------------------------------------------------------------------- cluster summaries

def _record(i: int, event_type: str, status: str, day: int | None, precision: str, carrier: str | None,
            location: str | None, aircraft: str | None, measure: str | None, flights: int | None,
            published: int | None):
    from deportdata.events_match import MentionRecord

    return MentionRecord(
        mention_id=mid(str(i)), article_id=aid(str(i)), source=aid(str(i)), event_type=event_type, status=status,
        event_date=date(2025, JAN, day) if day else None, precision=precision, actor_country="USA",
        partner_country="COL", location=location, carrier=carrier, aircraft_type=aircraft, flight_count=flights,
        people_count=None, people_qualifier=None, quantity=None, quantity_unit=None, measure=measure,
        confidence=0.8, published=date(2025, JAN, published) if published else None)


_RECORDS = st.builds(
    _record, st.integers(0, 10**6),
    st.sampled_from(["removal_flight", "detention", "coercive_measure", "military_deployment"]),
    st.sampled_from(["landed", "refused", "planned", "announced"]), st.one_of(st.none(), st.integers(1, 31)),
    st.sampled_from(["day", "week", "month", "unknown"]), st.sampled_from([None, "military", "charter"]),
    st.sampled_from([None, "Guantanamo", "Guantánamo Bay", "El Paso"]),
    st.sampled_from([None, "C-17", "C-17;C-130", "Boeing 737"]), st.sampled_from([None, "tariff", "visa_sanction"]),
    st.sampled_from([None, 1, 2]), st.one_of(st.none(), st.integers(1, 31)))


@settings(max_examples=300, deadline=None)
@given(members=st.lists(_RECORDS, min_size=1, max_size=6), candidate=_RECORDS)
def test_cluster_summaries_decide_as_the_pairwise_rules(members, candidate) -> None:
    """A cluster's summaries (hard values, date bounds) admit exactly the mentions that have no
    hard conflict with, and fit the dates of, every member."""
    from deportdata.events_match import Cluster, date_fit, hard_conflict

    cluster = Cluster(members[0])
    for m in members[1:]:
        cluster.add(m)
    pairwise = all(not hard_conflict(candidate, m) and date_fit(candidate, m)[0] for m in members)
    assert cluster._fits_all(candidate) == pairwise


# --------------------------------------------------------------------------- incremental clustering

def _flight(i: int, status: str, day: int | None, precision: str, carrier: str | None, flights: int | None,
            people: int | None, qualifier: str, published: int | None):
    from deportdata.events_match import MentionRecord

    return MentionRecord(
        mention_id=mid(str(i)), article_id=aid(str(i % 7)), source=aid(str(i % 7)), event_type="removal_flight",
        status=status, event_date=date(2025, JAN, day) if day else None, precision=precision, actor_country="USA",
        partner_country="COL", location=None, carrier=carrier, aircraft_type=None, flight_count=flights,
        people_count=people, people_qualifier=qualifier if people else None, quantity=None, quantity_unit=None,
        measure=None, confidence=0.8, published=date(2025, JAN, published) if published else None)


# dense on purpose: few days, carriers and counts, so that most mentions could join several clusters
_FLIGHTS = st.builds(
    _flight, st.integers(0, 400), st.sampled_from(["landed", "planned", "unknown", "refused"]),
    st.one_of(st.none(), st.integers(1, 12)), st.sampled_from(["day", "day", "week", "month", "unknown"]),
    st.sampled_from([None, None, "military", "charter"]), st.sampled_from([None, 1, 2, 3]),
    st.sampled_from([None, 80, 100, 250]), st.sampled_from(["exact", "at_least", "approx"]),
    st.one_of(st.none(), st.integers(1, 20)))


def _earlier(clusters) -> dict[str, str]:
    return {m.mention_id: members[0].mention_id for members in clusters for m in members}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.lists(_FLIGHTS, max_size=40, unique_by=lambda m: m.mention_id),
       added=st.lists(_FLIGHTS, max_size=8, unique_by=lambda m: m.mention_id),
       changes=st.lists(st.tuples(st.integers(0, 39), st.sampled_from(["drop", "redate", "recount"])), max_size=4))
def test_clustering_with_an_earlier_run_equals_clustering_from_scratch(before, added, changes) -> None:
    """An incremental run reuses the earlier run's decisions (events_match.EarlierClusters); with
    mentions added, dropped or changed, it must still give exactly the clusters of a full run."""
    import dataclasses

    from deportdata.events_cluster import EarlierClusters, cluster_block

    now = {m.mention_id: m for m in before}
    for position, change in changes:
        if position < len(before):
            old = before[position]
            if change == "drop":
                now.pop(old.mention_id, None)
            elif change == "redate":
                now[old.mention_id] = dataclasses.replace(old, event_date=date(2025, JAN, 13), precision="day")
            else:
                now[old.mention_id] = dataclasses.replace(old, flight_count=5, people_count=None)
    now.update((m.mention_id, m) for m in added if m.mention_id not in now)
    earlier = _earlier(cluster_block(before))
    earlier_rows = {m.mention_id: m for m in before}
    kept = {i: f for i, f in earlier.items() if now.get(i) == earlier_rows[i]}
    changed = frozenset(f for i, f in earlier.items() if i not in kept)

    full = cluster_block(list(now.values()))
    reused = cluster_block(list(now.values()), EarlierClusters(kept, changed))
    assert [[m.mention_id for m in c] for c in reused] == [[m.mention_id for m in c] for c in full]


def test_a_cluster_that_lost_a_mention_is_scored_again() -> None:
    """m joined f's flight because d, also in it, gave the same people count. Without d, the
    charter g ties with f's flight and wins on its smaller first id: the incremental run must
    not keep m's earlier choice."""
    from deportdata.events_cluster import EarlierClusters, cluster_block

    f, d = _flight(1, "landed", 6, "day", "military", 2, None, "exact", None), \
        _flight(2, "landed", 6, "day", "military", None, 100, "exact", None)
    g, m = _flight(3, "landed", 6, "day", "charter", 2, None, "exact", None), \
        _flight(4, "landed", 6, "day", None, None, 100, "exact", None)
    earlier = _earlier(cluster_block([f, g, d, m]))
    assert earlier[m.mention_id] == f.mention_id
    kept = {i: founder for i, founder in earlier.items() if i != d.mention_id}
    full = cluster_block([f, g, m])
    assert [[x.mention_id for x in c] for c in full] == [[g.mention_id, m.mention_id], [f.mention_id]]
    reused = cluster_block([f, g, m], EarlierClusters(kept, frozenset({earlier[d.mention_id]})))
    assert [[x.mention_id for x in c] for c in reused] == [[x.mention_id for x in c] for c in full]


def test_column_values_come_out_as_python_values_with_none_for_nulls() -> None:
    from deportdata.events import _nonempty_text, _plain
    from schemas.derive import as_date

    df = pd.DataFrame({"text": pd.array(["a", "", None], dtype="string"), "number": [1.5, float("nan"), 2.0],
                       "count": pd.array([1, None, 3], dtype="Int64"), "mixed": [1, "2", None]})
    assert _plain(df, "text", _nonempty_text) == ["a", None, None]
    assert _plain(df, "text", str) == ["a", "", None]
    assert _plain(df, "number", float) == [1.5, None, 2.0]
    assert _plain(df, "count", int) == [1, None, 3]
    assert _plain(df, "mixed", str) == ["1", "2", None]  # not one Arrow type: converted value by value
    assert _plain(df, "absent") == [None, None, None]
    days = pd.DataFrame({"date": [date(2025, 1, 26), None], "time": pd.to_datetime(["2025-01-26", None]),
                         "text": ["2025-01-26", None]})
    for name in days.columns:
        assert _plain(days, name, as_date) == [date(2025, 1, 26), None]
