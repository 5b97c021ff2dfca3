"""Every mention carries verbatim evidence: body[char_start:char_end] == sentence, over every
text the project ships (raw articles and sentence cases) and over generated text."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from deportdata.extract import EXTRACTOR, extract_mentions
from deportdata.ingest import list_raw_files, read_raw_file
from deportdata.text import article_id, normalize_text
from test_extraction_cases import CASES

ROOT = Path(__file__).resolve().parent.parent


def _bodies():
    raw = ROOT / "raw"
    for path in list_raw_files(raw):
        for article in read_raw_file(path, raw)[0]:
            yield article.body, article.paragraph_starts, article.published_date
    for case in CASES:
        norm = normalize_text(case["text"])
        yield norm.body, norm.paragraph_starts, dt.date(2025, 2, 11)


def _assert_evidence(body: str, starts: tuple[int, ...], published) -> int:
    mentions = extract_mentions(article_id(body), body, starts, published)
    for m in mentions:
        assert body[m["char_start"]:m["char_end"]] == m["sentence"]
        assert m["extractor"] == EXTRACTOR and 0 <= m["confidence"] <= 1
    return len(mentions)


def test_evidence_slices_equal_the_sentence_for_every_shipped_text():
    assert sum(_assert_evidence(*item) for item in _bodies()) > 200


SENTENCES = [c["text"] for c in CASES]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=6), st.lists(st.sampled_from(["\n", " ", "\n\n"]),
                                                                            min_size=6, max_size=6))
def test_evidence_holds_for_any_arrangement_of_sentences(picked, joiners):
    raw = "".join(s + j for s, j in zip(picked, joiners))
    norm = normalize_text(raw)
    _assert_evidence(norm.body, norm.paragraph_starts, dt.date(2025, 2, 11))


def test_articles_not_in_english_yield_no_mentions():
    text = "Colombia rechazó dos aviones militares estadounidenses con 160 migrantes deportados el domingo."
    norm = normalize_text(text)
    assert extract_mentions(article_id(norm.body), norm.body, norm.paragraph_starts, None, "es") == []
    english = "Colombia turned away two U.S. military planes carrying deportees on Sunday."
    norm = normalize_text(english)
    assert extract_mentions(article_id(norm.body), norm.body, norm.paragraph_starts, None, "en")
