"""Sentence-level extraction cases (tests/cases/extraction_cases.jsonl): each case lists every
record its text must yield, with the fields that matter; negatives expect nothing."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from deportdata.extract import extract_text

CASES = [json.loads(line) for line in (Path(__file__).parent / "cases" / "extraction_cases.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


def _as_comparable(field: str, value):
    if field == "event_date" and value is not None:
        return str(value)
    if field in ("flight_count", "people_count", "quantity") and value is not None:
        return float(value)
    return value


def _matches(expected: dict, got: dict) -> bool:
    return all(_as_comparable(k, got.get(k)) == _as_comparable(k, v) for k, v in expected.items())


def match_records(expected: list[dict], got: list[dict]) -> list[str]:
    """Problems found pairing each expected record with a distinct extracted one."""
    remaining = list(got)
    problems = []
    for exp in expected:
        hit = next((g for g in remaining if _matches(exp, g)), None)
        if hit is None:
            near = [g for g in remaining if g["event_type"] == exp["event_type"]]
            shown = [{k: _as_comparable(k, g.get(k)) for k in exp} for g in near] or "nothing of that type"
            problems.append(f"missing {exp}; got {shown}")
        else:
            remaining.remove(hit)
    problems += [f"unexpected {g['event_type']} {g['status']} {g['actor_country']}->{g['partner_country']}"
                 for g in remaining]
    return problems


def _param(case: dict):
    # Known gaps are recorded in the case file with the reason; they stay visible as xfail and
    # turn into passes (not errors) when the extractor learns them.
    marks = [pytest.mark.xfail(reason=case["known_gap"], strict=False)] if case.get("known_gap") else []
    return pytest.param(case, id=case["id"], marks=marks)


def test_cases_cover_every_status_and_negatives():
    from schemas.tables import STATUSES

    coded = {(r["event_type"], r.get("status")) for c in CASES for r in c["expect"]}
    missing = [(t, s) for t, values in STATUSES.items() for s in values if s != "unknown" and (t, s) not in coded]
    assert not missing
    assert sum(1 for c in CASES if not c["expect"]) >= 40
    assert sum(1 for c in CASES if c.get("known_gap")) <= 0.1 * len(CASES)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_extraction_case(case):
    published = dt.date.fromisoformat(case["published"]) if case.get("published") else None
    got = extract_text(case["text"], published)
    assert not match_records(case["expect"], got), "\n".join([case["text"], *match_records(case["expect"], got)])
