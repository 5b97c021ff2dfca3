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

from deportdata.extract.caseless import caseless, isearch
from deportdata.extract.features import SentenceFeatures, clause_spans, sentence_features
from deportdata.extract.rules import (FLIGHT_NOUN, FOLLOW_UP_NP, US, Context, code_sentence, deporting_country, deports,
                                      go_between, may_code)
from deportdata.extract.sentences import split_sentences

EXTRACTOR_NAME = "rules"
EXTRACTOR_VERSION = "0.10.0"
EXTRACTOR = f"{EXTRACTOR_NAME}-{EXTRACTOR_VERSION}"
LANGUAGES = ("en",)


def mention_id(article_id: str, event_type: str, start: int, end: int, ordinal: int = 0) -> str:
    key = f"{article_id}|{event_type}|{start}|{end}" + (f"|{ordinal}" if ordinal else "")
    return "m_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _article_deporter(features) -> str | None:
    """The country removals come from when a sentence does not say: the one named most often as
    an origin (a country, or the airport a flight left) or as the subject of "deported" in the
    sentences about removals or flights, with the US counted at half that weight in every such
    sentence that names it (most of this news is about US removals, often without "from the
    US"). With no such sentence, the US if the article names it, else the country of the agencies
    that act ("the Home Office said"). "Small-boat arrivals from Albania" are not an origin."""
    removal_sentences = [f for f in features if f.deport_context or FLIGHT_NOUN.search(f.text)]
    explicit = Counter(deporting_country(h) for f in removal_sentences
                       for h in f.countries + f.places if f.role(h) == "origin" or deports(f, h))
    us_named = Counter({US: sum(1 for f in removal_sentences if any(h.iso3 == US for h in f.countries))})
    evidence = explicit + explicit + us_named  # (Counter addition drops zero counts)
    if evidence:
        # ties go to the US, as before
        return max(evidence.items(), key=lambda kv: (kv[1], kv[0] == US))[0]
    if any(h.iso3 == US for f in features for h in f.countries):
        return US
    agencies = Counter(h.iso3 for f in features for h in f.countries if h.kind == "agency")
    return agencies.most_common(1)[0][0] if agencies else None


def _clauses(f: SentenceFeatures, published: dt.date | None) -> list[SentenceFeatures]:
    spans = clause_spans(f.text)
    if len(spans) == 1:
        return [f]
    out = []
    for start, end in spans:
        clause = sentence_features(f.text[start:end], f.start + start, f.paragraph, published)
        clause.outer = sorted((h for h in f.countries if not go_between(f, h)), key=lambda h: abs(h.start - start))
        if clause.date.precision == "unknown":
            clause.date = f.date
        clause.deport_context = clause.deport_context or f.deport_context
        out.append(clause)
    return out


# A refusal followed by an alternative offer is acceptance on terms ("will not accept military
# flights, but we will send our presidential plane").
CONDITIONAL_ALTERNATIVE = caseless(r"\bnot (?:accept|allow|receive)\b.*\bbut\b.*\b(?:send|accept|receive|"
                                   r"civilian|commercial|presidential)\b")
_FILLABLE = ("carrier", "aircraft_type", "flight_count", "people_count", "people_qualifier", "location")


def _continues(f: SentenceFeatures, rec: dict, previous: dict) -> bool:
    """Whether a flight sentence only adds detail to the previous flight mention ("The planes
    carried 220 Guatemalans in all."), rather than reporting another flight."""
    if not FOLLOW_UP_NP.search(f.text) or isearch(r"\bother\b", f.text):
        return False
    if rec["partner_country"] not in (None, previous["partner_country"]):
        return False
    return all(rec[k] is None or previous[k] is None or rec[k] == previous[k] for k in ("flight_count", "carrier"))


def _merge_follow_up(previous: dict, rec: dict, body: str, end: int) -> None:
    """Fill the previous mention's unknowns from the follow-up and stretch its evidence over both."""
    for key in _FILLABLE:
        if previous[key] is None and rec[key] is not None:
            previous[key] = rec[key]
            if key == "people_count":
                previous["people_qualifier"] = rec["people_qualifier"]
    if previous["status"] == "unknown":
        previous["status"] = rec["status"]
    if previous["date_precision"] == "unknown" and rec["date_precision"] != "unknown":
        previous["event_date"], previous["date_precision"] = rec["event_date"], rec["date_precision"]
    previous["char_end"] = end
    previous["sentence"] = body[previous["char_start"]:end]
    previous["mention_id"] = mention_id(previous["article_id"], "removal_flight", previous["char_start"], end)


def _confidence(rec: dict, from_context: bool, deporter_named: bool) -> float:
    score = 0.8
    if from_context:
        score -= 0.15
    if rec["status"] == "unknown":
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
    ctx = Context(deporter=_article_deporter(features), article_deport=any(f.deport_context for f in features))
    mentions: list[dict] = []
    ordinals: Counter = Counter()
    previous_paragraph = -1
    last_flight: dict | None = None
    for sentence, f in zip(sentences, features):
        if sentence.paragraph != previous_paragraph:
            ctx.recent_deport = False
            if sentence.paragraph - previous_paragraph > 1:
                ctx.last_destination = ctx.last_location = None
        previous_paragraph = sentence.paragraph
        named = {h.iso3 for h in f.countries + f.places}
        records = [rec for clause in _clauses(f, published) for rec in code_sentence(clause, ctx)] if may_code(f) else []
        if records and CONDITIONAL_ALTERNATIVE.search(f.text):
            for rec in records:
                if rec["event_type"] == "diplomatic_response" and rec["status"] == "refusal":
                    rec["status"] = "conditions"
        flight_seen = False
        for rec in records:
            if rec["event_type"] == "removal_flight" and last_flight is not None and _continues(f, rec, last_flight):
                _merge_follow_up(last_flight, rec, body, sentence.end)
                flight_seen = True
                continue
            key = (rec["event_type"], sentence.start, sentence.end)
            from_context = bool(rec["partner_country"]) and rec["partner_country"] not in named
            rec.update(
                mention_id=mention_id(article_id, rec["event_type"], sentence.start, sentence.end, ordinals[key]),
                article_id=article_id, event_id=None, sentence=f.text, char_start=sentence.start,
                char_end=sentence.end, extractor=EXTRACTOR,
                confidence=_confidence(rec, from_context, rec["actor_country"] in named),
            )
            ordinals[key] += 1
            mentions.append(rec)
            if rec["event_type"] == "detention" and rec["location"]:
                ctx.last_site = rec["location"]
            if rec["event_type"] == "removal_flight":
                flight_seen = True
                last_flight = rec
                ctx.last_destination = rec["partner_country"] or ctx.last_destination
                ctx.last_location = rec["location"] or ctx.last_location
        if not flight_seen and (records or f.countries):
            last_flight = None
        ctx.last_was_flight = flight_seen or (ctx.last_was_flight and not f.countries)
        ctx.recent_deport = f.deport_context
        if not any(r["event_type"] == "detention" for r in records) and (f.places or len(f.countries) > 1):
            ctx.last_site = None
        others = [h.iso3 for h in f.countries if h.iso3 != ctx.deporter and f.role(h) != "origin"]
        ctx.last_country = others[0] if others else (ctx.last_country if not f.countries else None)
    return mentions


def extract_text(text: str, published: dt.date | None = None, language: str = "en") -> list[dict]:
    """Convenience for tests and notebooks: extract from raw text as an article body."""
    from deportdata.text import article_id, normalize_text

    norm = normalize_text(text)
    return extract_mentions(article_id(norm.body), norm.body, norm.paragraph_starts, published, language)
