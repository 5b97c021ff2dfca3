"""Rule-based extraction of event mentions from one normalized article body.

Confidence of a mention (documented in README): it starts at 0.8 for a record whose trigger
and countries are all in the evidence sentence, and loses 0.15 when its destination or
partner comes from an earlier sentence, 0.1 when its status is a default rather than read
from a verb, 0.1 when the deporting country is the article's default rather than named.
It is a ranking aid for reviewers and feeds the events' agreement score, not a probability.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

from deportdata.extract.features import SentenceFeatures, clause_spans, sentence_features
from deportdata.extract.rules import US, Context, code_sentence
from deportdata.extract.sentences import split_sentences

EXTRACTOR_NAME = "rules"
EXTRACTOR_VERSION = "0.3.0"
EXTRACTOR = f"{EXTRACTOR_NAME}-{EXTRACTOR_VERSION}"
LANGUAGES = ("en",)


def mention_id(article_id: str, event_type: str, start: int, end: int, ordinal: int = 0) -> str:
    key = f"{article_id}|{event_type}|{start}|{end}" + (f"|{ordinal}" if ordinal else "")
    return "m_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _article_deporter(features) -> str | None:
    """The country removals come from when a sentence does not say: the US whenever the article
    names it (most of this news), else the country most often named as an origin."""
    if any(h.iso3 == US for f in features for h in f.countries):
        return US
    origins = Counter(h.iso3 for f in features for h in f.countries if f.role(h) == "origin")
    return origins.most_common(1)[0][0] if origins else None


def _clauses(f: SentenceFeatures, published: dt.date | None) -> list[SentenceFeatures]:
    spans = clause_spans(f.text)
    if len(spans) == 1:
        return [f]
    out = []
    for start, end in spans:
        clause = sentence_features(f.text[start:end], f.start + start, f.paragraph, published)
        clause.outer = sorted(f.countries, key=lambda h: abs(h.start - start))
        if clause.date.precision == "unknown":
            clause.date = f.date
        clause.deport_context = clause.deport_context or f.deport_context
        out.append(clause)
    return out


def _confidence(rec: dict, from_context: bool, deporter_named: bool) -> float:
    score = 0.8
    if from_context:
        score -= 0.15
    if rec.pop("default_status", False):
        score -= 0.1
    if not deporter_named:
        score -= 0.1
    return round(max(0.3, min(0.95, score)), 2)


def extract_mentions(article_id: str, body: str, paragraph_starts: tuple[int, ...], published: dt.date | None,
                     language: str = "en") -> list[dict]:
    """Mentions as dicts with the codebook's mention columns (event_id left unset)."""
    if language not in LANGUAGES:
        return []
    sentences = split_sentences(body, paragraph_starts)
    features = [sentence_features(body[s.start:s.end], s.start, s.paragraph, published) for s in sentences]
    ctx = Context(deporter=_article_deporter(features))
    mentions: list[dict] = []
    ordinals: Counter = Counter()
    previous_paragraph = -1
    for sentence, f in zip(sentences, features):
        if sentence.paragraph - previous_paragraph > 1:
            ctx.last_destination = ctx.last_location = None
        previous_paragraph = sentence.paragraph
        named = {h.iso3 for h in f.countries + f.places}
        flight_seen = False
        for clause in _clauses(f, published):
            for rec in code_sentence(clause, ctx):
                key = (rec["event_type"], sentence.start, sentence.end)
                from_context = bool(rec["partner_country"]) and rec["partner_country"] not in named
                rec.update(
                    mention_id=mention_id(article_id, rec["event_type"], sentence.start, sentence.end,
                                          ordinals[key]),
                    article_id=article_id, event_id=None, sentence=f.text, char_start=sentence.start,
                    char_end=sentence.end, extractor=EXTRACTOR,
                    confidence=_confidence(rec, from_context, rec["actor_country"] in named),
                )
                ordinals[key] += 1
                mentions.append(rec)
                if rec["event_type"] == "removal_flight":
                    flight_seen = True
                    ctx.last_destination = rec["partner_country"] or ctx.last_destination
                    ctx.last_location = rec["location"] or ctx.last_location
        ctx.last_was_flight = flight_seen or (ctx.last_was_flight and not f.countries and not flight_seen)
    return mentions


def extract_text(text: str, published: dt.date | None = None, language: str = "en") -> list[dict]:
    """Convenience for tests and notebooks: extract from raw text as an article body."""
    from deportdata.text import article_id, normalize_text

    norm = normalize_text(text)
    return extract_mentions(article_id(norm.body), norm.body, norm.paragraph_starts, published, language)
