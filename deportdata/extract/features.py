"""What one sentence says, before any event is coded: its countries with their role cues,
its counts attached to the nouns they count, its dates, aircraft and carrier."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property

from deportdata.extract.caseless import caseless, imatch
from deportdata.extract.dates import UNKNOWN, EventDate, find_dates
from deportdata.extract.gazetteer import CountryHit, _trie_pattern, default_gazetteer
from deportdata.extract.numbers import find_counts

PEOPLE_NOUNS = (r"migrants?|deportees?|people|persons?|individuals|nationals|citizens|immigrants?|passengers|members|"
                r"detainees?|returnees?|men|women|children|man|woman|child|minors|families|aliens|prisoners|inmates|"
                r"gang members|criminals|offenders|convicts|asylum[- ]seekers|refugees|foreigners|residents|"
                r"travell?ers|evacuees")
TROOP_NOUNS = r"troops|soldiers|marines|service ?members|guardsmen|guard members|personnel|military police"
CREW_NOUNS = r"crew|crew members|agents|officers|guards|escorts|officials|staff|pilots|flight attendants|medics"
FLIGHT_NOUNS = (r"flights?|planes?|aircraft|airplanes?|aeroplanes?|jets?|airliners?|C-17s?|C-130s?|"
                r"Globemasters?|Hercules|charters?")
BED_NOUNS = r"beds|spaces|spots|places|capacity"
ORDER_NOUNS = r"(?:executive |presidential )?(?:orders|decisions|decrees|proclamations|memorand(?:a|ums)|actions|measures)"

# the words between a count and its noun are modifiers ("two U.S. military planes"); a preposition
# or article starts another phrase ("30 Iraqis on a charter flight" counts no flights)
_MODIFIER = r"(?:(?!(?:on|aboard|in|at|to|from|with|for|by|into|onto|after|before|during|carrying|a|an|the)\b)[\w.’'-]+ )"
_NOUN_CLASSES = [
    ("crew", caseless(rf"{_MODIFIER}{{0,2}}?(?:{CREW_NOUNS})\b")),
    ("troops", caseless(rf"{_MODIFIER}{{0,3}}?(?:{TROOP_NOUNS})\b")),
    ("people", caseless(rf"{_MODIFIER}{{0,3}}?(?:{PEOPLE_NOUNS})\b")),
    ("flights", caseless(rf"{_MODIFIER}{{0,4}}?(?:{FLIGHT_NOUNS})\b")),
    ("beds", caseless(rf"{_MODIFIER}{{0,2}}?(?:{BED_NOUNS})\b")),
    ("orders", caseless(rf"{_MODIFIER}{{0,2}}?{ORDER_NOUNS}\b")),
    ("percent", caseless(r"(?:%|percent\b|per cent\b|pc\b)")),
]
_NOT_PEOPLE_AFTER = caseless(r"^(?:years?|months?|days?|weeks?|hours?|miles?|km|kilometers|am|pm|a\.m|p\.m)\b")

AIRCRAFT_RE = re.compile(
    r"\b(C-17|C-130|C-5|KC-135|C-40|Boeing\s+7\d7(?:-\d+)?|Airbus\s+A3\d\d|Embraer\s+E?\d{3}|Gulfstream|"
    r"B-?7\d7|737|757|767)s?\b")
CARRIER_PATTERNS = [
    ("government", caseless(r"presidential (?:plane|aircraft|jet)|(?:government|state|official) (?:plane|aircraft|"
                            r"jets?)|own (?:plane|aircraft|jets?)|Air Force One")),
    ("military", caseless(r"\bmilitary\b|C-17|C-130|air force|Globemaster|Hercules")),
    ("charter", caseless(r"\bcharter(?:ed)?\b|GlobalX|Avelo|iAero|World Atlantic|Eastern Air Express|"
                         r"Omni Air|CSI Aviation")),
    ("commercial", caseless(r"\b(?:commercial|civilian|scheduled|passenger) (?:flights?|planes?|aircraft|"
                            r"airlines?|jets?)|\bcommercial\b")),
]
_DEST_CUE = caseless(r"(?:\bto|\binto|\bin|\bfor|\bbound for|\bback to|\btoward|\btowards|\bat|\breached|"
                     r"\blanded in|\barrived in|\bwith destination|\bdestined for)(?: the)?\s*$")
# "from X" marks the deporting country after a removal word ("deported from the U.S.", "a flight
# from Mexico"), but the people's origin after a people noun ("five men from Vietnam").
_ORIGIN_CUE = caseless(r"(?:\b(?:deport\w*|flights?|planes?|aircraft|jets?|charters?|removed|expelled|returned|"
                       r"departed|took off|left|sent back|flown|arriv(?:ed|es|ing)|came|coming)\b[^,;.]{0,20}\bfrom|"
                       r"\bout of|\bleft|\b(?:removed|deported|expelled|returned|sent) by|"
                       r"\b(?:treatment|mistreatment|abuses?|deportations?|expulsions?|removals?|raids?)\b[^,;.]{0,30}\bby)"
                       r"(?: the)?\s*$")
# (a region the gazetteer does not list may come first: "mostly from Central Asia and India")
# ("migrants deported from the United States" name where they were removed from: an origin)
_PEOPLE_FROM_CUE = caseless(rf"(?:{PEOPLE_NOUNS}|deportees)\b[^;.]{{0,30}}(?<!deported )(?<!expelled )(?<!removed )"
                            rf"(?<!returned )(?<!flown )(?<!sent )(?<!nationality )(?<!nationalities )\bfrom(?: the)?"
                            rf"(?:(?: [\w-]+){{1,3}}?(?:,| and| or)| (?:other )?(?:countries|nations) (?:such as|including|"
                            rf"like))?\s*$")
# Words that put a sentence in the context of removals: stems anywhere in a word ("deport",
# "immigra"), a few whole words; one prefix trie, so the search costs a few branches per character.
_DEPORT_STEMS = ("deport migrant immigra asylum repatriat expel expuls returnees undocumented detainee nationals "
                 "shackle handcuff compatriots readmission").split() + ["illegal aliens", "third-country", "third country",
                                                                 "forced return"]
DEPORT_RE = caseless(r"\b(?:removals?|removed to|aliens|ice|citizens|returned)\b|" + _trie_pattern(sorted(_DEPORT_STEMS)))
FUTURE_RE = caseless(r"\b(?:will|would|plans? to|planning|planned|scheduled(?! (?:commercial |passenger |airline )?"
                     r"(?:flights?|services?))|expected to|set to|is to|are to|"
                     r"intends? to|intend|preparing to|prepares|going to|to be deported|upcoming)\b")

# Decisions on asylum claims are not acts toward flights or deportees: "rejected asylum seekers",
# "whose claims had been refused", "denied asylum".
_DECISION_WORDS = frozenset({"rejected", "refused", "denied"})
_ASYLUM_DECISION = caseless(
    r"\b(?:rejected|refused|denied|failed|unsuccessful)\s+(?:asylum|applicants?|claimants?|applications?)\b|"
    r"\bdenied (?:asylum|refugee status|protection)\b|\b(?:asylum|claims?|applications?|requests?|appeals?|bids?)\b"
    r"(?:\s+[\w-]+){0,3}?\s+(?:were|was|had been|have been|has been|been|being)\s+(?:rejected|refused|denied)\b|"
    r"\bhad their (?:asylum )?(?:claims?|applications?|requests?) (?:rejected|refused|denied)\b")


def blank(text: str, start: int, end: int) -> str:
    """The text with a span replaced by spaces, so offsets stay the same."""
    return text[:start] + " " * (end - start) + text[end:]


@dataclass(frozen=True)
class Counted:
    value: float
    qualifier: str
    noun_class: str
    start: int
    end: int  # end of the noun phrase


@dataclass
class SentenceFeatures:
    """Countries and removal context are read at once (every sentence needs them for context);
    counts, dates, aircraft and carrier only when a rule asks, since most sentences of an
    article trigger no rule."""

    text: str
    start: int
    paragraph: int
    countries: list[CountryHit]
    deport_context: bool
    published: dt.date | None = None
    places: list[CountryHit] = field(default_factory=list)
    outer: list[CountryHit] = field(default_factory=list)  # countries of the whole sentence, for a clause

    @cached_property
    def words(self) -> frozenset[str]:
        """Lower-cased word tokens, for the rules' cheap "does it mention X at all" gates."""
        return frozenset(_TOKEN.findall(self.text.lower()))

    @cached_property
    def act_text(self) -> str:
        """The text with decisions on asylum claims blanked out (same offsets), for the patterns
        that read what was done to flights or deportees: "rejected asylum seekers" refuse no flight."""
        if not self.words & _DECISION_WORDS:
            return self.text
        text = self.text
        for m in _ASYLUM_DECISION.finditer(text):
            text = blank(text, m.start(), m.end())
        return text

    @cached_property
    def counted(self) -> list[Counted]:
        return _counted(self.text) if _ANY_NUMBER.search(self.text) else []

    @cached_property
    def date(self) -> EventDate:
        if not _ANY_DATE.search(self.text):
            return UNKNOWN
        # "CARACAS, March 25 (Reuters) -" dates the filing, not the event, and anchors the story's "on Monday"
        dateline = _DATELINE.match(self.text)
        text, reference = self.text, self.published
        if dateline:
            filed = [d.value for d in find_dates(self.text[:dateline.end()], self.published)]
            reference = filed[0].date if filed and filed[0].precision == "day" else reference
            text = " " * dateline.end() + self.text[dateline.end():]
        dates = find_dates(text, reference, future_before=_FUTURE_BEFORE_DATE)
        # "the second such flight since the Taliban seized power in 2021": that date is not the event's
        # nor is a deadline's ("ordered to leave by July 6", "a March 31 deadline")
        known = [d.value for d in dates if d.value.precision != "unknown" and not _SINCE.search(text[:d.start])
                 and not _DEADLINE_BEFORE.search(text[:d.start]) and not _DEADLINE_AFTER.match(text[d.end:])]
        return known[0] if known else UNKNOWN

    @cached_property
    def aircraft(self) -> list[str]:
        return list(dict.fromkeys(normalize_aircraft(m.group(1)) for m in AIRCRAFT_RE.finditer(self.text)))

    @cached_property
    def carrier(self) -> str | None:
        return next((name for name, pattern in CARRIER_PATTERNS if pattern.search(self.text)), None)

    @cached_property
    def future(self) -> bool:
        return bool(FUTURE_RE.search(self.text))

    def fallback_countries(self) -> list[CountryHit]:
        """Countries of the sentence outside this clause, nearest first."""
        own = {h.iso3 for h in self.countries}
        return [h for h in self.outer if h.iso3 not in own]

    def role(self, hit: CountryHit) -> str:
        """'origin', 'destination', 'people' (demonym of the people concerned) or ''. A country in a
        list ("from Iran, China and Afghanistan") shares the role of the one it follows."""
        roles = self.__dict__.setdefault("_roles", {})
        if hit.start not in roles:
            previous = [h for h in self.countries if h.end <= hit.start]
            if previous and LIST_JOINER.fullmatch(self.text[previous[-1].end:hit.start]):
                roles[hit.start] = self.role(previous[-1])
            else:
                roles[hit.start] = self._own_role(hit)
        return roles[hit.start]

    def _own_role(self, hit: CountryHit) -> str:
        before = self.text[max(0, hit.start - 24):hit.start]
        after = self.text[hit.end:hit.end + 40]
        if _PEOPLE_FROM_CUE.search(self.text[max(0, hit.start - 60):hit.start]):
            return "people"
        if _ORIGIN_CUE.search(self.text[max(0, hit.start - 60):hit.start]):
            return "origin"
        if _DEST_CUE.search(before):
            return "destination"
        if hit.kind == "demonym" and re.search(r"\b(?:was|is|were|are|being)\s+$", before):
            return "people"  # "insisting that he was Congolese": whose nationality, not who acts
        if hit.kind == "demonym" and re.search(r"\b(?:an?|one)\s+$", before) and re.match(r"\s*(?:[,.;)]|and\b|or\b|who\b|"
                                                                                     r"was\b|had\b|is\b)", after):
            return "people"  # "Nigerians and a Gambian, had already been flown"
        # "Bangladeshi and Peruvian nationals": the first of a list of demonyms counts people too
        if hit.kind == "demonym" and imatch(rf"(?:\s*(?:,|and|or)\s+[\w-]+)*\s+(?:[\w-]+\s+)?(?:{PEOPLE_NOUNS})\b", after):
            return "people"
        if hit.kind == "demonym" and hit.text.endswith("s") and not re.match(r"\s*(?:military|government)", after):
            return "people"
        return ""


def _counted(text: str) -> list[Counted]:
    out = []
    for count in find_counts(text):
        rest = text[count.end:]
        if re.search(r"\b(?:including|among them|of whom|of them)\s*$", text[:count.start]):
            continue  # a part of a total already counted
        # one stripped string for every pattern below, so its lower-casing is done once
        stripped = rest.lstrip()
        if _NOT_PEOPLE_AFTER.match(stripped):
            continue
        for noun_class, pattern in _NOUN_CLASSES:
            m = pattern.match(stripped)
            if m and not re.search(r"[,;:()]", m.group(0)):
                offset = len(rest) - len(stripped)
                out.append(Counted(count.value, count.qualifier, noun_class, count.start,
                                   count.end + offset + m.end()))
                break
        else:
            # "104 Indians", "200 Venezuelans": a count followed by a plural demonym counts people
            if re.match(r"\s*-beds?\b", rest):
                out.append(Counted(count.value, count.qualifier, "beds", count.start, count.end + 4))
                continue
            # "104 Indians", "64 deported Ecuadorians": a count before a plural demonym counts people
            lead = re.match(r"\s*(?:(?:deported|illegal|undocumented|detained|returned|alleged|expelled)\s+)*", rest)
            hits = default_gazetteer().find(rest[lead.end():lead.end() + 30])
            if hits and hits[0].start == 0 and hits[0].kind == "demonym" and hits[0].text.endswith("s"):
                out.append(Counted(count.value, count.qualifier, "people", count.start,
                                   count.end + lead.end() + hits[0].end))
    return out


def normalize_aircraft(name: str) -> str:
    name = re.sub(r"\s+", " ", name)
    if name in ("737", "757", "767") or re.fullmatch(r"B-?7\d7", name):
        return "Boeing " + name.lstrip("B-")
    return name


# Clause boundaries: a sentence often reports several facts ("A flight to Brazil drew protests,
# and Petro refused two planes, sparking a threat of tariffs before Colombia backed down").
_CLAUSE_BREAK = re.compile(
    r"; |: (?=[A-Z\"“])| – | — |, (?=(?:and|but|while|whereas|sparking|prompting|triggering|leading to|after which)\b"
    r"(?! (?:the )?(?:[A-Z][a-z]+ )?(?:and|or)\b))| (?=(?:before|after|while|whereas|but|because)\s+"
    r"(?:the\s+)?[A-Z][\w.]+)(?<!,)| (?=that led to\b|which led to\b)")


def clause_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    # a pair of dashes sets off an aside ("planes carrying 261 people — 238 Venezuelans ... — landed"),
    # which belongs to the clause around it
    aside = [m.start() for m in re.finditer(r" [–—] ", text)]
    for m in _CLAUSE_BREAK.finditer(text):
        if len(aside) == 2 and m.start() in aside:
            continue
        if m.start() - start >= 12:
            spans.append((start, m.start()))
            start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


_FUTURE_BEFORE_DATE = caseless(r"\b(?:will|is (?:scheduled|set|expected|due) to|are (?:scheduled|set|expected|due) to|"
                               r"is expected|are expected|next|upcoming)\b"
                               # "will accept ..., the White House said on Sunday": the date is the saying's
                               r"(?!.*\b(?:said|says|announced|told|confirmed|reported|stated|wrote|posted)\b).{0,110}$")


_SINCE = caseless(r"\bsince\b[^,;]{0,60}$")
_DEADLINE_BEFORE = caseless(r"\b(?:deadline (?:of |on |for )?|(?:leave|depart|exit|go)\b[^,;]{0,30}\bby )$")
_DEADLINE_AFTER = caseless(r"^\s*deadline\b")
_DATELINE = re.compile(r"^\W*[A-ZÀ-Ý][A-ZÀ-Ý .'/-]{2,}(?:,[^()]{0,40}?)?\s*\([A-Z][A-Za-z]{1,12}\)\s*[-—–]+\s*")
_TOKEN = re.compile(r"[\w’'-]+")
LIST_JOINER = re.compile(r"\s*(?:,|and|, and|or)\s*")
_ANY_NUMBER = caseless(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|"
                       r"forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen|both|single|a|an|another)\b")
_ANY_DATE = caseless(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
                     r"yesterday|today|tonight|week|month|year|day before|previous day|20\d\d)")


def sentence_features(text: str, start: int, paragraph: int, published: dt.date | None) -> SentenceFeatures:
    hits = default_gazetteer().find(text)
    return SentenceFeatures(
        text=text, start=start, paragraph=paragraph, published=published,
        countries=[h for h in hits if h.kind != "place"], places=[h for h in hits if h.kind == "place"],
        deport_context=bool(DEPORT_RE.search(text)),
    )
