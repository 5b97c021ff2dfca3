"""Coding rules: from one sentence's features to the event records it asserts.

Each `code_*` function handles one event type of the codebook and returns partial records
(event columns only); `extract.mentions` adds the evidence, ids and confidence."""
from __future__ import annotations

import re
from dataclasses import dataclass

from deportdata.extract.caseless import CaselessPattern, caseless, imatch, isearch
from deportdata.extract.dates import MONTH_NAME, WEEKDAYS
from deportdata.extract.features import LIST_JOINER, PEOPLE_NOUNS, SentenceFeatures, blank
from deportdata.extract.gazetteer import CountryHit, _trie_pattern

US = "USA"


@dataclass
class Context:
    """What earlier sentences of the article tell the current one."""

    deporter: str | None = None           # country the article's removals come from
    last_destination: str | None = None    # destination named by the previous flight sentence
    last_location: str | None = None
    last_was_flight: bool = False
    last_country: str | None = None        # a non-deporting country the previous sentence named
    last_site: str | None = None           # detention site named by the previous sentence
    recent_deport: bool = False            # the previous sentence of the paragraph is about removals
    article_deport: bool = False           # the article is about removals at all


# --- shared helpers ---------------------------------------------------------------------------

QUESTION_OR_HYPOTHETICAL = caseless(r"^\W*(?:if|unless|whether|should|were|what if|imagine|suppose)\b|\?\W*$|"
                                    r"\b(?:hypothetical|could have|would have|might have)\b|"
                                    r"\bif\b[^,;]{0,60}\bhad (?:been|taken|gone)\b")
OTHER_ERA = caseless(r"\b(?:in|since|during|from) (?:19\d\d|200\d|201\d|the (?:19|20)\d0s)\b|\bfirst term\b|"
                     r"\bbetween (?:19|20)\d\d and (?:19|20)\d\d\b|\b(?:world war|civil war|cold war|war of 1812)\b|"
                     r"\bdecades? ago\b|\bhistorically\b|\bin the past\b|\bprevious administration")
SPEECH = r"(?:said|says|announced|declared|posted|stated|wrote|tweeted|vowed|insisted|warned|told|added|argued)"


def _gate(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Word forms each rule needs at least one of (checked on a token set before any pattern).
FLIGHT_WORDS = _gate("flight flights plane planes aircraft jet jets airplane airplanes airliner airliners charter "
                     "charters c-17 c-17s c-130 c-130s fly flown landed arrived lands land other globemaster "
                     "deported removed expelled")
DEPLOYMENT_WORDS = _gate("troops soldiers marines guard guardsmen personnel forces active-duty service servicemembers "
                         "military c-17 c-17s c-130 c-130s kc-135 aircraft planes")
EXECUTIVE_WORDS = _gate("executive proclamation proclamations memorandum memoranda emergency decree decrees decisions "
                        "judge judges court courts enemies actions orders order ordered deadline told measures")
MEASURE_WORDS = _gate("tariff tariffs duties levies visa visas ban bans banned sanction sanctions sanctioned assets aid "
                      "customs retaliation retaliate retaliatory consequences punitive restrictions license licence licenses "
                      "licences")
DETENTION_WORDS = _gate("detention detained detain camp camps facility facilities center centers centre centres prison "
                        "prisons jail jails cecot hotel hotels shelter shelters tent tents beds bed held hold holding "
                        "housed house base site compound mega-prison staging")


def listed_from(f: SentenceFeatures, first: CountryHit) -> list[CountryHit]:
    """The country and those listed right after it ("Angola, Namibia and the Democratic Republic of the Congo")."""
    out = [first]
    for h in f.countries:
        if h.start > out[-1].start:
            if not LIST_JOINER.fullmatch(re.sub(r"\s*\bthe\s*$", "", f.text[out[-1].end:h.start])):
                break
            out.append(h)
    return out


def _record(event_type: str, status: str, f: SentenceFeatures, actor: str | None, partner: str | None,
            **fields) -> dict:
    rec = {"event_type": event_type, "status": status, "event_date": f.date.date,
           "date_precision": f.date.precision, "actor_country": actor, "partner_country": partner,
           "location": None, "carrier": None, "aircraft_type": None, "flight_count": None, "people_count": None,
           "people_qualifier": None, "quantity": None, "quantity_unit": None, "measure": None}
    rec.update(fields)
    return rec


def _unique(hits: list[CountryHit]) -> list[CountryHit]:
    seen: set[str] = set()
    out = []
    for h in hits:
        if h.iso3 not in seen:
            seen.add(h.iso3)
            out.append(h)
    return out


DEPORTING_VERB = caseless(r"^\W*(?:(?:'s|’s)?\s*(?:federal |interior |immigration |migration |border |home )?"
                          r"(?:authorities|government|police|officials|ministry|office|agents) )?"
                          r"(?:on \w+ |last \w+ |this \w+ |earlier this \w+ )?(?:has |have |had |is |are |was |were |began |"
                          r"started )?(?:been )?(?:deporting|expelling|removing|repatriating|"
                          r"(?:(?:wants?|wanted|seeks?|sought|is seeking|is trying|tried|plans?|planned|intends?) to "
                          r"(?:deport|expel|remove|return|send)|deported|expelled|repatriated|deports|flew|flies|sent|"
                          r"returned|removed))\b")


NATIONAL_FLIGHT_GAP = caseless(r"\s+(?:(?:deportation|charter(?:ed)?|removal|repatriation|return|special)\s+)*")


def deports(f: SentenceFeatures, hit: CountryHit) -> bool:
    """Whether the country is the subject of a removal verb ("Germany on Friday deported")."""
    return bool(DEPORTING_VERB.match(f.text[hit.end:hit.end + 70])) and not f.role(hit)


def deporting_country(hit: CountryHit) -> str:
    """The country people leave from when they leave the named place: a base abroad is its
    operator's ("a flight that left Guantánamo" is the US's)."""
    return DETENTION_SITES[hit.location][0] if hit.location in DETENTION_SITES else hit.iso3


def _deporter(f: SentenceFeatures, ctx: Context, agency_before: int | None = None) -> str | None:
    """The country removals come from: an origin (a country, or a place such as the airport a
    flight left), a country that deports, the US if named, the agency or nation whose flight it
    is ("a Home Office charter flight", "a Dutch charter flight"), else the article's."""
    for h in f.countries + f.places:
        if f.role(h) == "origin":
            return deporting_country(h)
    for h in f.countries:
        if deports(f, h):
            return h.iso3
    if any(h.iso3 == US for h in f.countries):
        return US
    if agency_before is not None:
        agency = next((h.iso3 for h in f.countries if h.kind == "agency" and 0 <= agency_before - h.end <= 25
                       and re.fullmatch(r"[\w\s'’-]*", f.text[h.end:agency_before])), None)
        # "a Dutch charter flight", "a German deportation flight", but not "Colombian Air Force planes"
        agency = agency or next((h.iso3 for h in f.countries if h.kind == "demonym" and not f.role(h)
                                 and NATIONAL_FLIGHT_GAP.fullmatch(f.text[h.end:agency_before])), None)
        if agency:
            return agency
    return ctx.deporter


def _people(f: SentenceFeatures, flight_count: int | None) -> tuple[int | None, str | None]:
    people = [c for c in f.counted if c.noun_class == "people"]
    if not people:
        return None, None
    best = max(people, key=lambda c: (c.qualifier == "exact", c.value))
    total = isearch(r"\ba total of\b|\baltogether\b|\bin total\b", f.text)
    each = isearch(r"\beach\b|\bper (?:flight|plane)\b|\bapiece\b", f.text[best.start:])
    value = best.value
    if each and not total and flight_count and flight_count > 1:
        value *= flight_count
    return int(value), best.qualifier


def _count_of(f: SentenceFeatures, noun_class: str) -> tuple[float | None, str | None]:
    found = [c for c in f.counted if c.noun_class == noun_class]
    return (found[0].value, found[0].qualifier) if found else (None, None)


# --- removal_flight ---------------------------------------------------------------------------

FLIGHT_NOUN = caseless(r"\b(?:flights?|planes?|aircraft|airplanes?|jets?|airliners?|C-17s?|C-130s?|charters?)\b")
SPECIFIC_FLIGHT = caseless(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|an|the|both|another|first|"
                           r"second|third|latest|last|this|that|these|those|its|their)\s+"
                           r"(?:(?!(?:on|of|in|to|for|with|by|from|that|which|and|or)\b)[\w.-]+\s+){0,4}?"
                           r"(?:flights?|planes?|aircraft|airplanes?|jets?|C-17s?|C-130s?|charters?)\b")
ANAPHORIC_FLIGHT = caseless(r"^\W*(?:the (?:other )?(?:\w+ )?(?:flights?|planes?|aircraft|jets?)|the other (?:two|three|"
                            r"four|\d+)|(?:it|they) (?:landed|arrived|departed|took off))\b")
FLIGHT_STATUS = [
    ("refused", caseless(r"\b(?:rejected|rejects|reject|turned (?:\w+ )?away|turn (?:\w+ )?away|turning (?:\w+ )?away|"
                         r"blocked|blocks|barred|deny the entry|denied entry|"
                         r"denied|denies|refused|refuses|refuse|no longer accept|"
                         r"(?:did|would|will) not (?:allow|authori[sz]e|permit)|(?:didn't|wouldn't|won't) (?:allow|"
                         r"authori[sz]e|permit)|not (?:be )?allowed to land|could not land|"
                         r"(?:approval|permission|authori[sz]ation|clearance)\b.{0,40}\b(?:withdrawn|revoked|"
                         r"denied|refused|rescinded)|withdrew (?:its |their )?(?:approval|permission|authori[sz]ation)|"
                         r"did not leave|never left)\b")),
    ("cancelled", caseless(r"\b(?:cancell?ed|cancels|called off|scrap(?:ped|s)|grounded|postponed indefinitely|"
                           r"(?:was|were|has been|have been) (?:suspended|halted)|suspends)\b")),
    ("diverted", caseless(r"\b(?:diverted|rerouted|re-routed|redirected|turned around|turn around|turned back|"
                          r"forced to return|returned to (?:the )?(?:U\.?S\.?|United States|base)|made an unscheduled)\b")),
    ("landed", caseless(r"\b(?:landed|landing in|lands|land at|land in|touched down|touches down|arrived|arrives|"
                        r"arriving|reached|disembark(?:ed|s)?|deplane[ds]?|got off|get off|step(?:ped|s)? off|"
                        r"leave (?:a|the) plane|left (?:a|the) plane|were received|was received|were flown|was flown|"
                        r"were deported to|were returned to|were repatriated|was deported to|flew (?:\w+ ){1,3}to|"
                        r"(?:received|accepted) (?:\w+ ){0,4}(?:flights?|planes?|charters?)|received \d[\d,]* |brought (?:\w+ ){1,4}"
                        r"(?:home|back|to)|took (?:\w+ ){1,3}to|have now taken|has now taken)\b")),
    ("departed", caseless(r"\b(?:departed|departs|took off|takes off|left|leaves|on (?:its|their|the) way|en route|"
                          r"headed (?:to|for|back)|heading (?:to|for|back)|bound for|sent|carrying|"
                          r"transporting|with destination)\b")),
    ("planned", caseless(r"\b(?:will|would|plans?|planning|planned|scheduled(?! (?:commercial |passenger |airline )?"
                         r"(?:flights?|services?))|expected|set to|is to|are to|on standby|"
                         r"preparing|intends?|upcoming|to be deported|(?:can|could) be (?:arranged|organi[sz]ed|booked))\b")),
]
FLIGHT_STATUS_PATTERN = dict(FLIGHT_STATUS)
REFUSAL_ACT = caseless(r"\b(?:rejected|rejects|turned (?:\w+ )?away|turns (?:\w+ )?away|blocked|blocks|barred|bars|"
                       r"denied|denies|refused to land|refuse to land)\b")
FOLLOW_UP_NP = caseless(r"^\W*(?:the|these|those|both|all|it|they)\b(?:\s+[\w-]+){0,3}?\s*(?:flights?|planes?|aircraft|jets?|"
                        r"landed|arrived|departed)\b|\beach of the (?:\w+ )?(?:flights|planes)\b|\bthe first flight\b")
# "is expected to land", "will depart": a landing or departure verb that is still to come
EXPECTED_MOVE = caseless(r"\b(?:(?:is|are|was|were) (?:expected|scheduled|due|set) to|will|would) (?:land|arrive|touch "
                         r"down|depart|leave|take off)\b")
# flights in general as the object of a policy ("halted the repatriation flights", "Trump wants the planes")
FLIGHTS_AS_POLICY = caseless(r"\b(?:resum|restart|halt|suspend|stop|accept|allow|continu|end|want|need|use)\w* "
                             r"(?:the |all |its |their |more )?(?:deportation |repatriation |removal |military |civilian |"
                             r"commercial )?(?:flights|planes|aircraft)\b")
NOT_BY_AIR = caseless(r"\b(?:boats?|dinghies|ships?|ferry|ferries|buses|on foot|by (?:road|bus|land|sea)|overland|"
                     r"border crossings?)\b")
# people who arrived or were flown, or anyone deported who "landed" (a landing is a flight's)
PEOPLE_LANDED = caseless(rf"\b(?:{PEOPLE_NOUNS}|deportees)\b.{{0,60}}\b(?:landed|arrived|were flown)\b|"
                         r"\bdeported\b.{0,60}\blanded\b")
STATED_POSITION = caseless(rf"\b{SPEECH}\b.{{0,60}}\b(?:would|will|won't|wouldn't)\b(?:\s+not)?\b")


# a stop on the way is not the destination ("touched down in Caracas after a stop in Honduras")
_TRANSIT = caseless(r"\b(?:stop(?:over)?|layover|refuel\w*|transit\w*)\b(?:(?!\b(?:to|before|then|land\w*|arriv\w*)\b)"
                    r"[^,]){0,32}$|\bvia (?:the )?$")


def _transit(f: SentenceFeatures, hit: CountryHit) -> bool:
    return bool(_TRANSIT.search(f.text[max(0, hit.start - 40):hit.start]))


# "Qatar helped arrange both flights": a go-between, not where they went
MEDIATOR_AFTER = caseless(r"^(?:['’]s)?\s+(?:\w+ )?(?:helped (?:to )?)?(?:arrang|mediat|broker|facilitat|organi[sz])\w*")


def go_between(f: SentenceFeatures, hit: CountryHit) -> bool:
    return bool(MEDIATOR_AFTER.search(f.text[hit.end:hit.end + 40]))


SEAT_OF_GOVERNMENT = caseless(r"\b(?:government|officials|authorities|ministry|embassy|leaders?|regime|junta)\s+in\s+$")


def _arrival_city(f: SentenceFeatures, iso3: str) -> str | None:
    """A place of the destination the flight goes to ("flew to India, landing in Amritsar"), or its
    capital ("landed in Juba, South Sudan"): finer than the country. A capital in another role names
    its government ("Kabul said")."""
    place = next((p.location for p in f.places if p.iso3 == iso3 and f.role(p) == "destination"), None)
    return place or next((h.text for h in f.countries if h.iso3 == iso3 and h.kind == "capital"
                          and f.role(h) == "destination" and not SEAT_OF_GOVERNMENT.search(f.text[:h.start])), None)


def _destination(f: SentenceFeatures, deporter: str | None, ctx: Context, after: int = 0,
                 anaphoric: bool = False) -> tuple[str | None, str | None]:
    """(partner country, location) of a flight, from cues in the sentence (the place the landing
    verb points at first), else from context."""
    # the place or country the landing verb points at first: "landed in Amritsar, India", "flown to
    # Juba, the capital of South Sudan, after weeks at a base in Djibouti"
    pointed = sorted((h for h in f.places + f.countries if f.role(h) == "destination" and h.iso3 != deporter
                      and not _transit(f, h)), key=lambda h: (h.start < after, h.start))
    if pointed:
        h = pointed[0]
        return h.iso3, h.location if h.kind == "place" else _arrival_city(f, h.iso3)
    # every mention, not one per country: "men from South Sudan ... landed in Juba, South Sudan"
    candidates = [h for h in f.countries if h.iso3 != deporter and not _transit(f, h) and not go_between(f, h)]
    for role in ("people", ""):
        for h in candidates:
            if f.role(h) == role:
                return h.iso3, None
    for place in f.places:
        if place.iso3 != deporter:
            return place.iso3, place.location
    for h in f.fallback_countries():
        if h.iso3 != deporter and f.role(h) != "origin":
            return h.iso3, None
    if not anaphoric:  # only "the flights", "the planes" ... refer back to an earlier destination
        return None, None
    if ctx.last_destination:
        return ctx.last_destination, ctx.last_location
    return ctx.last_country, None


# "tariffs if Colombia does not accept the flights"; "visa curbs until Algiers agrees to take back
# its citizens" awaits an acceptance too, but "kept secret until the plane was in the air" is time
_CONDITIONS = "if|unless|whether"
CONDITION_BEFORE = caseless(rf"\b(?:{_CONDITIONS})\b[^,;]*$")
AWAITED_BEFORE = caseless(rf"\b(?:{_CONDITIONS}|until)\b[^,;]*$")
INSTEAD_OF = caseless(r"\binstead of\s+(?:the\s+)?$")


def _intended_destination(f: SentenceFeatures, deporter: str | None, diverted_at: int) -> tuple[str, str | None] | None:
    """Where a diverted flight was going: a destination named before the diversion ("the flight to
    Pakistan was rerouted to Bari") or "instead of" it ("landed in Athens instead of Tirana")."""
    hits = sorted(f.countries + f.places, key=lambda h: h.start)
    intended = [h for h in hits if h.iso3 != deporter and (
        INSTEAD_OF.search(f.text[max(0, h.start - 20):h.start]) or h.start < diverted_at and f.role(h) == "destination")]
    if not intended:
        return None
    h = intended[0]
    return h.iso3, h.location if h.kind == "place" else h.text if h.kind == "capital" else None


SINGULAR_FLIGHT = caseless(r"\b(?:a|an|the|one|another|first|second|third|fourth|fifth|latest|last|single|this|its)\s+"
                           r"(?:(?!(?:of|to|for|with|and|from)\b)[\w.’'-]+\s+){0,4}?(?:flight|plane|aircraft|jet|airplane|"
                           r"airliner|charter|C-17|C-130|C-5|Boeing \d{3}|Airbus A\d{3})(?![\w-])(?!s\b)")
PLURAL_FLIGHTS = caseless(r"\b(?:flights|planes|jets|airplanes|airliners|charters|C-17s|C-130s)\b")
NTH_OF_N = caseless(r"\b(?:first|second|third|last|one) of (?:the )?(?:two|three|four|five|six|\d+)\b")
OTHER_N = caseless(r"\bthe other (two|three|four|five|\d+)\b|\bboth (?:flights|planes)\b")
_SMALL = {"two": 2, "three": 3, "four": 4, "five": 5}


_PER_PERIOD = r"\s+(?:a|an|per|each|every) (?:day|week|fortnight|month|year)\b"
PER_PERIOD = caseless(_PER_PERIOD)
FLIGHT_RATE = caseless(r"\b(?:flights?|planes?|charters?)" + _PER_PERIOD)


def _flight_count(f: SentenceFeatures) -> int | None:
    if NTH_OF_N.search(f.text):
        return 1
    # "up to two such flights a week" is a rate, not this flight's count
    flights = [c for c in f.counted if c.noun_class == "flights" and not PER_PERIOD.match(f.text[c.end:c.end + 20])]
    if flights:
        return int(flights[0].value)
    other = OTHER_N.search(f.text)
    if other:
        word = (other.group(1) or "two").lower()
        return _SMALL.get(word) or int(word)
    if SINGULAR_FLIGHT.search(f.text) and not PLURAL_FLIGHTS.search(f.text):
        return 1
    if isearch(r"\b(?:flight|plane|charter)\b(?!s)", f.text) and not PLURAL_FLIGHTS.search(f.text):
        return 1
    return None


# "the US deported five men ... to Eswatini": a group counted and sent to a country went by air,
# unless the sentence tallies removals over a period ("has deported 3,000 Haitians this year")
DEPORTED_TO = re.compile(r"\b(?:[Dd]eported|[Rr]emoved|[Ee]xpelled)\b[^.;]{0,80}?(?<!according )\bto (?:the )?[A-Z]")
TALLY = caseless(r"\b(?:since|so far|this year|last year|to date|a total of|in total|altogether|every|per|annually|"
                 r"over the (?:past|last)|in the (?:past|last)|in 20\d\d)\b")


def _deported_group(f: SentenceFeatures) -> re.Match | None:
    if not any(c.noun_class == "people" for c in f.counted) or TALLY.search(f.text):
        return None
    return DEPORTED_TO.search(f.text)


def code_removal_flight(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not f.words & FLIGHT_WORDS:
        return []
    noun = FLIGHT_NOUN.search(f.text) or re.search(r"\bto fly\b|\bbe flown\b", f.text)
    anaphoric = ANAPHORIC_FLIGHT.search(f.text) and ctx.last_was_flight
    people_landed = None if noun or anaphoric or NOT_BY_AIR.search(f.text) \
        else PEOPLE_LANDED.search(f.text) or _deported_group(f)
    if not (noun or anaphoric or people_landed):
        return []
    if noun and CONDITION_BEFORE.search(f.text[:noun.start()]):
        return []  # "tariffs if Colombia does not accept the flights": a condition, not a flight
    if noun and FLIGHTS_AS_POLICY.search(f.text) and not any(
            pattern.search(f.act_text) for name, pattern in FLIGHT_STATUS if name in ("refused", "landed", "departed")):
        return []  # "Caracas halted the flights", "agreed to resume accepting flights": a policy, no flight
    status = next((name for name, pattern in FLIGHT_STATUS if pattern.search(f.act_text)), "unknown")
    expected = EXPECTED_MOVE.search(f.text) if status in ("landed", "departed") else None
    if expected and not FLIGHT_STATUS_PATTERN[status].search(blank(f.act_text, expected.start(), expected.end())):
        status = "planned"  # its only landing or departure is still to come
    landing_refused = status == "refused" and isearch(r"\bto land\b|\blanding\b", f.text) \
        and (f.carrier or f.countries)

    def deportees() -> bool:
        return any(f.role(h) == "people" for h in f.countries) or bool(re.search(r"\bto fly\b|\bbe flown\b", f.text))

    if not (f.deport_context or anaphoric or landing_refused or ctx.article_deport or deportees()
            or OTHER_N.match(f.text.lstrip("\"“ "))):
        return []
    if isearch(r"\b(?:moved|stationed|staged|positioned|deployed|dispatched) (?:[\w-]+ ){0,6}(?:to|at|in)\b", f.text) \
            and not isearch(r"\b(?:carrying|with) (?:\w+ )?(?:migrants|deportees)", f.text):
        return []  # aircraft sent to a base: a military deployment, not a removal flight
    specific = SPECIFIC_FLIGHT.search(f.text) or anaphoric or people_landed or PEOPLE_LANDED.search(f.text)
    if status in ("unknown", "planned") and (not specific or FLIGHT_RATE.search(f.text)):
        return []  # "deportation flights" in general, a stated intention or a rate ("two flights a week"): no flight
    if status in ("unknown", "planned") and noun and re.match(r"\s+home\b", f.text[noun.end():]):
        return []  # "until their flights home can be arranged": to countries the sentence does not name
    if status == "planned" and STATED_POSITION.search(f.text) and not isearch(
            r"\b(?:presidential|its own|our) (?:plane|aircraft)", f.text):
        return []
    if status == "unknown" and not (f.counted or f.countries or f.places):
        return []
    if status == "refused":
        if re.match(r"\W*[“\"]", f.text):
            return []  # a quoted refusal is the government's stated position
        if STATED_POSITION.search(f.text) and not isearch(r"\bdid not leave\b|\bnever left\b", f.text):
            return []  # a government saying it would not allow flights is a diplomatic response (rule 2)
        if not (SPECIFIC_FLIGHT.search(f.text) or anaphoric or REFUSAL_ACT.search(f.act_text)):
            return []  # "refuse military flights" in general is a stated position, not a flight
    deporter = _deporter(f, ctx, agency_before=noun.start() if noun else None) or US
    trigger = FLIGHT_STATUS_PATTERN[status].search(f.act_text) if status in FLIGHT_STATUS_PATTERN else None
    # "the planes", or a flight with its passengers told right after another one ("A C-17 carrying
    # 116 deportees touched down at 11.35 pm")
    definite = bool(anaphoric or FOLLOW_UP_NP.search(f.text) or ctx.last_was_flight and any(
        c.noun_class == "people" for c in f.counted))
    partner, location = _destination(f, deporter, ctx, after=trigger.start() if trigger else 0, anaphoric=definite)
    if status == "diverted" and trigger:
        partner, location = _intended_destination(f, deporter, trigger.start()) or (partner, location)
    partners = [partner]
    if status == "refused":
        refusers = [h for h in _unique(f.countries) if h.iso3 != deporter and f.role(h) in ("", "destination")]
        refusers = refusers or [h for h in f.fallback_countries() if h.iso3 != deporter]
        if refusers:
            verb = trigger.start() if trigger else len(f.text)
            subjects = [h.iso3 for h in refusers if h.start < verb]
            partners = subjects if len(subjects) > 1 else [refusers[0].iso3]
            partner = partners[0]
    if status == "unknown" and partner and not f.future and specific:
        status = "landed"  # a past flight of deportees to a named country is reported once it arrived
    if location is None:  # a place of the destination named without a cue, or as a dateline
        location = next((p.location for p in f.places if p.iso3 == partner), None)
    flight_count = _flight_count(f)
    people, qualifier = _people(f, flight_count)
    if not (partner or people or location or anaphoric):
        return []
    own_context = f.deport_context or anaphoric or landing_refused or deportees()
    if not own_context and (status == "unknown" or not partner or isearch(r"\bcrash", f.text)):
        return []  # only the article is about removals: an unrelated flight (a crash, a trip)
    return [_record("removal_flight", status, f, deporter, p, location=location, carrier=f.carrier,
                    aircraft_type=";".join(f.aircraft) or None, flight_count=flight_count, people_count=people,
                    people_qualifier=qualifier) for p in partners]


# --- diplomatic_response ----------------------------------------------------------------------

RESPONSE_STATUS = [
    ("reversal", caseless(r"\b(?:back(?:ed|s|ing)? down|agreed to resume|reversed (?:course|itself|its|his|her)|reverses|"
                          r"relented|caved|u-turn|climbed down|changed course|backtracked|later agreed|eventually agreed|"
                          r"retreated|"
                          r"capitulated|gave in|gives in|ended (?:a|the) (?:\w+ ){0,3}(?:standoff|stand-off|impasse|row)|"
                          r"overcome the impasse|"
                          r"agreed .{0,40}after (?:initially |first )?(?:refus|reject|block))")),
    ("conditions", caseless(r"\b(?:only (?:accept|allow|receive|take)|on (?:the )?condition(?! of anonymity)|provided that|"
                            r"(?<!for )as long as|(?:accept|allow|receiv|tak)\w* only\b|"
                            r"(?:asked|urged|requested|demanded)\b.{0,40}\bto use (?:civilian|commercial) (?:planes?|"
                            r"flights?|aircraft)|not to (?:restrain|handcuff|shackle|chain)|"
                            r"(?:receiv|accept|tak)\w* (?:\w+\W+){0,3}(?:in|on|aboard) (?:civilian|commercial) "
                            r"(?:planes?|flights?|aircraft)|"
                            r"under (?:certain )?conditions|must be treated|only (?:if|once|after|when)|insisted? (?:that )?"
                            r"(?:deportees|migrants|they) (?:be|are|travel)|only on (?:civilian|commercial)|"
                            r"(?:civilian|commercial) (?:planes?|flights?|aircraft) only|without handcuffs|"
                            r"and not on military|"
                            # a preference about whom it takes ("would prefer to receive people of African nationality")
                            r"prefer(?:s|red)? (?:to )?(?:receiv|accept|tak)\w* (?:\w+ ){0,3}?(?:of|from|with|who)\b)")),
    ("refusal", caseless(r"\b(?:(?:suspend|halt|stopp?)(?:ed|s)? (?:\w+ )?(?:repatriation|deportation|return) flights|"
                         r"deny (?:the )?entry|denied (?:the )?entry|"
                         r"(?:denied|refused|turned down) (?:a|the) (?:[\w.-]+ ){0,2}?request|no longer (?:accept|"
                         r"allow|receive|take)|(?<!was )(?<!were )(?<!been )refus(?:ed|es|e) (?:\w+ ){0,3}?to (?:accept|"
                         r"allow|receive|take|let|admit|land)|(?:would|will) not "
                         r"(?:allow|accept|receive|let|take|authori[sz]e|permit|admit)|won't (?:allow|accept|receive|let|"
                         r"take|authori[sz]e|permit)|wouldn't (?:allow|accept|let|authori[sz]e|permit)|"
                         r"not (?:accept|allow|receive) (?:any )?(?:deport|migrant|"
                         r"flights|planes|military)|reject(?:ed|s)? (?:the |an? )?(?:[\w.-]+ ){0,2}?(?:deportation|deportees|"
                         r"request|migrants|returns|proposal)|(?:slow|reluctant|unwilling) to (?:issue|accept|take|receive)|declined to (?:accept|receive|take|admit)|"
                         # travel papers the deporting country needs: "refused to issue consular passes"
                         r"(?:refus\w*|declin\w*|fail\w*|stopped|not) (?:to )?(?:issu|grant|deliver|provid)\w* (?:\w+ ){0,2}?"
                         r"(?:travel documents|consular (?:passes|documents|permits|travel documents)|laissez-passers?|"
                         r"emergency passports))")),
    ("protest", caseless(r"\b(?:(?<!in )protest(?:ed|s|ing)?|condemn(?:ed|s|ing)?|denounc(?:ed|es|ing)|object(?:ed|s)|"
                         r"(?:deeply |strongly )?regrett?(?:ed|s)|(?:deeply|gravely|seriously|very) concerned|"
                         r"(?:conveyed|expressed|voiced|raised|registered)\W+(?:\w+\W+){0,2}concerns?\b|"
                         r"(?:called on|calls on|urged|urges)\b.{0,40}\bto (?:halt|stop|end|suspend|pause)\b|"
                         r"(?:reconsider|review|end|suspend|cut)\w* (?:its |their |our )?(?:\w+ )?(?:co-?operation|ties|"
                         r"relations) with|lodged (?:a|an) (?:\w+ )?"
                         r"(?:protest|complaint)|(?:categorically|strongly|firmly|flatly) rejected|"
                         r"criticiz(?:ed|es)|criticis(?:ed|es)|outrage[ds]?|summon(?:ed|s) (?:the )?\S* ?ambassador|"
                         r"demand(?:ed|s) (?:an )?explanations?|flagrant disregard|degrading|called (?:it|the treatment) "
                         r"(?:unacceptable|humiliating)|call(?:ed|s|ing) (?:it|this|the [\w\s-]{3,60}?) (?:an? )?"
                         r"(?:kidnapping|abduction|violation|crime|illegal)|unacceptable|humiliating|complain(?:ed|s)|rejection of the "
                         r"treatment|(?:energetic|strong|firm|categorical) rejection)\b")),
    ("acceptance", caseless(r"\b(?:agreed (?:\w+ ){0,4}?to (?:accept|receive|take|allow)|agrees to (?:accept|receive|take)|"
                            r"(?:will|would) (?:[\"“]?[\w-]+,? ){0,5}?[\"“]?(?:accept\w*|receiv\w*|take back|take in)|"
                            r"obligation\w* (?:\w+ ){0,4}to take back|accepted (?:the |an? )?(?:\w+ )?(?:return|"
                            r"deport|flights?|migrants|repatriation)|welcomed back|ready to (?:receive|accept|take back)|"
                            r"(?:willing|prepared)[\"”’']? to (?:receive|accept|take)|"
                            r"(?:keep|continue|go on) (?:to )?(?:host|receiv|accept|tak)\w* (?:\w+ )?(?:back|in|the|them|"
                            r"deportees|migrants|centres|centers|flights)|(?:had|has|have) received (?:the )?(?:\w+ )?"
                            r"(?:returnees|deportees|migrants|nationals)|(?:ready|willing|prepared) to take (?:\w+ )?back|"
                            r"sent (?:its|their) (?:own )?(?:presidential )?(?:plane|aircraft|jets?))")),
]


RESPONSE_PATTERN = dict(RESPONSE_STATUS)
# "South Sudan will always receive its own people": taking people back is about removals
RECEIVE_OWN_PEOPLE = caseless(r"\b(?:receiv|accept|take back|let|admit)\w* (?:\w+ ){0,2}(?:its|their|our|his|her) (?:own )?"
                              r"(?:people|citizens|nationals|compatriots)\b|\b(?:let|admit)\w* (?:him|her|them) in\b")
GOVERNMENT_SUBJECT = caseless(r"^\W*(?:(?:on|last|earlier|late) [\w ]{0,20}, )?(?:the )?(?:\w+ )?(?:officials|authorities|"
                              r"government|ministry|foreign ministry|officers)\b")
# what a protest in an article about removals is aimed at ("deeply regretted the decision")
REACTION_OBJECT = caseless(r"\b(?:the|this|that|its) (?:decision|move|step|action|deportations?|expulsions?|returns?|"
                           r"removals?|transfers?)\b")
ADDRESSED = caseless(r"\b(?:called on|calls on|urged|urges|pressed|appealed to)\s+(?:the\s+)?$")


def _stems(words: str) -> CaselessPattern:
    """A fast gate: any of these literal stems, as a prefix trie."""
    return caseless(_trie_pattern(sorted(set(words.split()))))


RESPONSE_ANY = _stems("refus reject deny denie denied protest condemn denounc object critici outrage summon demand "
                      "slow reluctan unwilling kidnap abduct "
                      "disregard degrading unacceptabl humiliat complain accept receiv take welcom ready willing "
                      "back revers relent cave u-turn climbed changed agree only condition provided long treated "
                      "civilian handcuff military longer suspend halt stop won't wouldn't not sent concern regret lodg "
                      "categoric strongly firmly flatly retreat capitulat gave gives ended overcome obligation prepared "
                      "declin admit")


def code_diplomatic_response(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not RESPONSE_ANY.search(f.text):
        return []
    status = next((name for name, pattern in RESPONSE_STATUS if pattern.search(f.act_text)), None)
    if status is None:
        return []
    if status != "reversal" and not (f.deport_context or FLIGHT_NOUN.search(f.text) or ctx.recent_deport
                                     or (ctx.article_deport and RECEIVE_OWN_PEOPLE.search(f.text))
                                     or (ctx.article_deport and status == "protest" and REACTION_OBJECT.search(f.text))):
        return []
    deporter = _deporter(f, ctx) or US
    # a country the response is addressed to ("called on Islamabad to halt ... deportations") is its target
    addressed = next((h for h in f.countries if ADDRESSED.search(f.text[max(0, h.start - 16):h.start])), None)
    targets: list[str] = []
    if addressed:
        # "urged Tehran and Islamabad to halt": each country listed is a target
        deporter, targets = addressed.iso3, list(dict.fromkeys(h.iso3 for h in listed_from(f, addressed)))
    # filtered before de-duplication: "Colombian migrants ... Petro said" still names Colombia as a responder
    responders = _unique([h for h in f.countries if h.iso3 not in targets and h.iso3 != deporter
                          and f.role(h) != "people"])
    if not responders and status == "protest" and ctx.deporter not in (None, deporter):
        # "The United States 'strongly condemns' the forced return", in an article about Thailand's
        # removals: the named country protests against the article's deporter
        responders = [h for h in _unique(f.countries) if h.iso3 == deporter and f.role(h) not in ("origin", "people")]
        deporter = ctx.deporter
    if not responders and (status == "protest" or re.match(r"\W*(?:it|he|she|they|its|the government)\b", f.text)):
        responders = [h for h in _unique(f.places + f.fallback_countries()) if h.iso3 != deporter]
    if not responders and ctx.last_country and ctx.last_country != deporter and GOVERNMENT_SUBJECT.match(f.text):
        # "Last week, immigration officials at the same airport declined to admit him": the country
        # the previous sentence named
        responders = [CountryHit(0, 0, ctx.last_country, "context", "")]
    if not responders:
        return []
    trigger = RESPONSE_PATTERN[status].search(f.act_text)
    if status in ("acceptance", "reversal") and AWAITED_BEFORE.search(f.text[:trigger.start()]):
        return []  # a condition someone else sets, not the government's act
    if status == "protest" and imatch(r"\W*protests\b", f.text):
        return []  # "Protests over fuel prices disrupted ...": street protests
    if isearch(r"\b(?:opposition|critics|activists|rights groups|lawmakers|protesters|demonstrators|unions?|relatives|"
               r"supporters|crowds|residents|students|church(?:es)?)\b",
                 f.text[:trigger.start()]):
        return []  # not a government's position
    # the responding governments are the countries named before the verb (coordinated subjects);
    # when none is, the first named after it ("A flight to Brazil drew protests from its government")
    before = [h for h in responders if h.start < trigger.start()]
    chosen = before or responders[:1]
    if status == "refusal" and isearch(r"\brefus\w* to allow\b.*\bto land\b", f.text):
        chosen = chosen[:1]
    out = [_record("diplomatic_response", status, f, h.iso3, target) for h in chosen for target in targets or [deporter]]
    # "accepted the man its officials had refused to admit last week, backing down": the refusal it
    # reverses is a response of its own
    refusal = RESPONSE_PATTERN["refusal"].search(blank(f.act_text, trigger.start(), trigger.end()))
    if status == "reversal" and refusal:
        out += [_record("diplomatic_response", "refusal", f, h.iso3, deporter) for h in chosen]
    # a reversal usually ends with acceptance, which is the same act: one record is enough
    return out


# --- agreement --------------------------------------------------------------------------------

AGREEMENT_NOUN = caseless(r"\b(?:agreements?|deals?|accords?|pacts?|arrangements?|memorandum of understanding|MOU|treaty|"
                          r"protocols?|plan|partnership|scheme|proposal)\b")
AGREEMENT_STATUS = [
    ("abandoned", caseless(r"\b(?:scrapped|abandoned|ditched|dropped|ended|terminated|cancell?ed|did not start|didn't "
                           r"start|never (?:started|got off|took off|took effect|flew)|collapsed|was voted out|"
                           r"ruled (?:it )?unlawful|struck down|tore up|torn up)\b")),
    ("suspended", caseless(r"\b(?:suspended|paused|put (?:[\w-]+ ){0,10}?on hold|shelved|halted|frozen|froze)\b")),
    ("in_force", caseless(r"\b(?:under (?:the|this|that|a|an|its|their|[\w.]+['’]s) (?:[\w\"“”'’,-]+ ){0,6}?(?:deals?|"
                          r"agreements?|arrangements?|accords?|pacts?|schemes?|protocols?)|"
                          r"in force|in effect|(?:deals?|agreements?|arrangements?|accords?|pacts?|schemes?|"
                          r"protocols?) under which(?![^,.;]{0,40}\b(?:would|will|could|might|is to|are to)\b)|"
                          r"took effect|takes effect|first (?:[\w-]+ )?(?:flights?|group|deportees|migrants|people)|"
                          r"implemented|already (?:been )?"
                          r"(?:sent|flown|received|deported)|(?:had|have|has) been (?:flown|sent|deported|transferred))\b")),
    ("signed", caseless(r"\b(?:signed|reached|struck|sealed|finali[sz]ed|clinched|concluded|agreed|agrees|"
                        r"will (?:accept|receive|take in|house)|would take in|would (?:accept|receive))\b")),
    ("negotiating", caseless(r"\b(?:negotiat\w*|working on|works? (?:together )?with|in talks|talks|discuss\w*|seeking|"
                             r"seeks|sought|try to reach|trying to reach|pursu\w+|exploring|approached|hopes?)\b")),
    ("proposed", caseless(r"\b(?:propos\w+|offered|offers?|floated|suggested|plans? to send|would send|pitched|"
                          r"(?:has |have )?asked|requested|urged)\b")),
]
# a centre for asylum seekers or returns in another country is a third-country arrangement
OFFSHORE_CENTRE = caseless(r"\bplan (?:for|to (?:build|open|set up|create)) (?:an? )?(?:[\w-]+ ){0,2}?(?:processing|detention|"
                           r"reception|return) (?:centres?|centers?|hubs?|facilit\w+) in\b")
PROPOSED_DEAL = caseless(r"\b(?:propos|offer|float|suggest|pitch)\w* (?:a |an |the )?(?:[\w-]+ ){0,2}?(?:deals?|agreements?|"
                         r"arrangements?|pacts?|accords?|plan)\b(?! (?:was|had been|has been) (?:signed|reached|agreed))")
NOT_SIGNED = caseless(r"\b(?:not|never|no|refused to|declined to) (?:[\w-]+,? ){0,3}?(?:sign|agree)\w*")
RECEIVE_DEPORTEES = caseless(r"\b(?:return|repatriation|deportation) of (?:\w+ )?(?:nationals|citizens|migrants)\b|"
                             r"\b(?:accept|receiv|take|taking|host|hous|admit|jail|serve as)\w*\b.{0,60}\b(?:third[- ]country|"
                             r"non-citizens|nationals of other|other nationalities|any nationality|from other (?:countries|"
                             r"nations)|from third|third countries|non-\w+ (?:deportees|migrants)|(?:migrants|deportees|"
                             r"people|criminals|prisoners) (?:deported )?from (?:the )?(?:U\.?S\.?|United States|America))\b|"
                             r"\bsend\b.{0,40}\bmigrants\b.{0,20}\bto\b|\bbridge\b.{0,20}\bcountr(?:y|ies)|"
                             # a cap on numbers makes a deal ("which agreed to take up to 250 people")
                             r"\bagre\w*\b.{0,40}\bto (?:take|accept|receive|host|admit)(?: in)? (?:up to|as many as|"
                             r"a maximum of|no more than) [\d,]+")


_RECEIVING_PARTY = caseless(r"\b(?:with|(?:sent|removed|deported|flown|returned|transferred) to)(?: the)?\s*$")


def _agreement_pairs(owner: CountryHit | None, others: list[CountryHit], deporter: str | None,
                     f: SentenceFeatures, default: str = US) -> list[tuple[str, str]]:
    """Country pairs of one named arrangement: the deporting country and each receiving one
    (the article's deporter, `default`, when only the receiving one is named)."""
    parties = _unique(([owner] if owner else []) + [h for h in others if f.role(h) != "people"])
    codes = [h.iso3 for h in parties]
    if deporter and deporter in codes and len(codes) >= 2:
        return [(deporter, c) for c in codes if c != deporter]
    if len(codes) >= 2:  # the deporting party: named first, not "with" the other, not where people go
        ordered = sorted(parties, key=lambda h: (bool(_RECEIVING_PARTY.search(f.text[max(0, h.start - 30):h.start])),
                                                 h.start))
        return [(ordered[0].iso3, ordered[1].iso3)]
    if len(codes) == 1 and deporter and codes[0] != deporter:
        return [(deporter, codes[0])]
    if len(codes) == 1 and not deporter and codes[0] != default:
        return [(default, codes[0])]
    return []


def code_agreement(f: SentenceFeatures, ctx: Context) -> list[dict]:
    """One record per arrangement named in the sentence ("Trump's proposal to work with El Salvador
    ... the British plan to send migrants to Rwanda, which did not start")."""
    receive = RECEIVE_DEPORTEES.search(f.text)
    nouns = list(AGREEMENT_NOUN.finditer(f.text))
    if not (nouns or receive):
        return []
    deporter = _deporter(f, ctx) or US
    # (the people's nationality is no party: "28 Tunisians ... the accord under which Rome and Tunis run flights")
    parties = [h for h in f.countries if f.role(h) != "people"]
    hits = _unique(parties) if len(nouns) <= 1 else parties
    # a country just before the noun owns the arrangement ("the Rwanda scheme", "Britain's plan"),
    # unless it is where the people come from ("migrants deported from the United States under a deal")
    owners = [next((h for h in reversed(hits) if noun.start() - 28 <= h.end <= noun.start()
                    and f.role(h) not in ("origin", "people")), None) for noun in nouns]
    windows: list[tuple[int, int, int, CountryHit | None, bool]] = []
    for i, noun in enumerate(nouns):
        begin = owners[i].start if owners[i] else (nouns[i - 1].end() if i else 0)
        # the deporting party may come just before the owner ("Britain's Rwanda plan", "the UK-Rwanda deal")
        lead = next((h for h in hits if owners[i] and h.end <= begin and re.fullmatch(r"(?:['’]s)?\s*[-–/]?\s*",
                                                                                      f.text[h.end:begin])), None)
        end = len(f.text)
        if i + 1 < len(nouns):  # stop before the next arrangement and the country owning it
            end = min(nouns[i + 1].start(), owners[i + 1].start if owners[i + 1] else len(f.text))
        windows.append((lead.start if lead else begin, noun.start(), end, owners[i], bool(lead)))
    if not windows and receive:
        windows.append((0, 0, len(f.text), None, False))
    if len(windows) == 1:  # one arrangement: the whole sentence names its parties ("Britain is negotiating with ...")
        windows[0] = (0, *windows[0][1:])
    records: list[dict] = []
    for begin, noun_start, end, owner, led in windows:
        text = f.text[begin:end]
        named_arrangement = owner is not None and owner.end >= noun_start - 2  # "the Rwanda scheme"
        # in an article about removals, a deal about "the Venezuelans" or "the flights" is one
        about_removals = ctx.article_deport and (any(f.role(h) == "people" for h in f.countries)
                                                 or FLIGHT_NOUN.search(text))
        if not (f.deport_context or ctx.recent_deport or about_removals or RECEIVE_DEPORTEES.search(text)
                or named_arrangement):
            continue
        if isearch(r"\breceive (?:a|the|its|\w+ more)? ?(?:\w+ )?(?:flights?|planes?)\b", text):
            continue  # receiving a flight is the flight itself
        if f.text[noun_start:noun_start + 4].lower() == "plan" and not (named_arrangement and ctx.article_deport) \
                and not RECEIVE_DEPORTEES.search(text) \
                and not isearch(r"\bplan to (?:send|deport|transfer|fly)", text) and not OFFSHORE_CENTRE.search(text):
            continue
        # one arrangement: its status may come before the country that owns it ("talks with ... Kabul on an arrangement")
        status_text = f.text[:end] if len(windows) == 1 else text
        status = next((name for name, pattern in AGREEMENT_STATUS if pattern.search(status_text)), None)
        if status == "signed" and PROPOSED_DEAL.search(status_text):
            status = "proposed"  # "has proposed a deal under which Paraguay would receive ..."
        if status is None or (status == "signed" and NOT_SIGNED.search(text)):
            continue  # "had not signed, and would not sign, a safe third country agreement"
        others = [h for h in hits if begin <= h.start < end and h is not owner]
        if not others and not owner:
            others = f.fallback_countries()
        deporter_here = deporter if any(h.iso3 == deporter for h in hits if begin <= h.start < end) \
            or not owner else None
        receiver = owner.iso3 if led else None  # "the UK-Rwanda plan": the second party receives
        if named_arrangement and owner.kind == "name":
            receiver = owner.iso3  # "the Rwanda scheme": Rwanda receives
            owner, others = None, [owner, *others]
            deporter_here = deporter_here if deporter_here in {h.iso3 for h in others} else None
        for pair in _agreement_pairs(owner, others, deporter_here, f, deporter):
            if pair[0] == receiver:
                pair = (pair[1], pair[0])
            if any({r["actor_country"], r["partner_country"]} == set(pair) for r in records):
                continue
            # a deal's size is its cap ("up to 250 people"), not the first group it took in
            cap = next((c for c in f.counted if c.noun_class == "people" and c.qualifier == "at_most"), None)
            people, qualifier = (int(cap.value), cap.qualifier) if cap else _people(f, None)
            records.append(_record("agreement", status, f, pair[0], pair[1], people_count=people,
                                   people_qualifier=qualifier))
    return records


# --- coercive_measure -------------------------------------------------------------------------

MEASURES = [
    ("tariff", caseless(r"\btariffs?\b|\bduties\b|\blevies\b")),
    ("visa_sanction", caseless(r"\bvisa (?:sanctions?|restrictions?|bans?|suspensions?|penalties|processing)|"
                               r"\b(?:suspension|halt|revocation) of (?:\w+ )?visas?\b|(?:suspend|revoke|cancel|stop|"
                               r"halt|restrict|cut|reduc|limit|restor)\w* (?:[\w-]+,? ){0,3}visas?\b|\bvisas? (?:were|was|would be) (?:suspended|"
                               r"revoked)")),
    ("travel_ban", caseless(r"\b(?:travel|entry) (?:bans?|restrictions?)\b|\bban on (?:\w+ ){0,2}(?:travel|entry)\b|"
                            r"\bbanned from (?:entering|travel)")),
    ("financial_sanction", caseless(r"\b(?:financial|banking|treasury|economic) sanctions?\b|\bfreez\w+ (?:\w+ )?assets\b|"
                                    r"\b(?:revok|revers|cancel|withdr|rescind)\w* (?:\w+ ){0,3}licen[cs]es?\b|"
                                    r"\bsanctions? on (?:\w+ ){0,3}(?:banks|finances|remittances)")),
    ("other", caseless(r"\bsanctions?\b|\bcut (?:off )?aid\b|\bsuspend\w* (?:\w+ )?aid\b|\bcustoms inspections\b|"
                       r"\bretaliat\w+|\bpunitive measures\b|\bconsequences\b")),
]
MEASURE_STATUS = [
    ("lifted", caseless(r"\b(?:lifted|lifts|restored|restores|dropped|rescinded|revoked|called off|withdrew|withdrawn|backed off|"
                        r"suspended the|paused|held in reserve|will not be (?:imposed|applied)|would not be|removed|"
                        r"averted)\b")),
    ("threatened", caseless(r"\b(?:threat\w*|warn\w*|could (?:impose|face|slap)|would (?:impose|slap|face|order|levy)|vow\w*|"
                            r"if\b|unless|until|menac\w*|ultimatum|prepared to|raise (?:them )?to)\b")),
    ("imposed", caseless(r"\b(?:impos\w+|announc\w+|order\w*|slapp\w+|levied|placed|put|ordered|authori[sz]ed|"
                         r"implement\w*|will (?:apply|take effect)|effective|retaliat\w+|hit)\b")),
]


MEASURE_ANY = _stems("tariff duties levies visa ban sanction freez aid customs retaliat punitive consequences "
                     "restriction licen")


_GENERIC_MEASURE = caseless(r"retaliat|punitive|consequences")
_MEASURE_TARGET_BEFORE = caseless(r"\b(?:on|against|for|from|if|unless|that|to)\s+(?:the\s+)?(?:all\s+)?$")
_MEASURE_TARGET_AFTER = caseless(r"^\W*(?:would|could|will|may|might)?\s*(?:face|faces|faced)\b")


def _measure_actor(f: SentenceFeatures, countries: list[CountryHit]) -> str | None:
    """Outside the US, the country that imposes a measure is the first one named that is not its
    target ("the German embassy" in "Pakistan would face a suspension of visas at the German embassy").
    A sentence naming one country names the target ("Ghana backed down after the threat of sanctions")."""
    if len({h.iso3 for h in countries}) < 2:
        return None
    for h in countries:
        if not (_MEASURE_TARGET_BEFORE.search(f.text[max(0, h.start - 12):h.start])
                or _MEASURE_TARGET_AFTER.match(f.text[h.end:h.end + 20])):
            return h.iso3
    return None


def code_coercive_measure(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not f.words & MEASURE_WORDS or not MEASURE_ANY.search(f.text):
        return []
    found = []
    for measure, pattern in MEASURES:
        m = pattern.search(f.text)
        if m and not any(s <= m.start() < e for _, s, e in found):
            found.append((measure, m.start(), m.end()))
    if not found or not (f.deport_context or ctx.deporter or "flights" in f.text):
        return []
    if len(found) > 1:  # "tariffs in retaliation": the generic word describes the named measure
        found = [m for m in found if not (m[0] == "other" and _GENERIC_MEASURE.match(f.text[m[1]:]))]
    if isearch(r"\b(?:steel|aluminum|aluminium|chips|semiconductor|autos?|cars|vehicles|lumber|dairy|reciprocal|fentanyl|drugs|"
               r"trade deficits?)\b", f.text) \
            and not f.deport_context:
        return []
    rest = f.text
    for _, start, end in found:
        rest = blank(rest, start, end)
    status = next((name for name, pattern in MEASURE_STATUS if pattern.search(rest)), None)
    if status is None and any(imatch(r"(?:suspend|revok|revers|cancel|withdr|rescind|stop|halt|restrict|cut|reduc|limit)",
                                     f.text[s:e]) for _, s, e in found):
        status = "imposed"
    if status is None and any(imatch(r"restor", f.text[s:e]) for _, s, e in found):
        status = "lifted"  # "restored five-year visas"
    if status is None:
        return []
    countries = _unique(f.countries)
    actor = US if any(h.iso3 == US for h in countries) else _measure_actor(f, countries) or ctx.deporter or US
    targets = [h for h in countries if h.iso3 != actor] or [h for h in f.fallback_countries() if h.iso3 != actor]
    if not targets:
        return []
    # "visas to nationals of Angola, Namibia and the DRC": one measure per country listed
    aimed = list(dict.fromkeys(h.iso3 for h in listed_from(f, targets[0]) if h.iso3 != actor)) \
        if targets[0] in f.countries else [targets[0].iso3]
    out = []
    for measure, start, _ in found:
        quantity = unit = None
        if measure == "tariff":
            rate = [c for c in f.counted if c.noun_class == "percent"]
            if rate:
                quantity, unit = rate[0].value, "percent"
        out += [_record("coercive_measure", status, f, actor, target, measure=measure, quantity=quantity,
                        quantity_unit=unit) for target in aimed]
    return out


# --- detention --------------------------------------------------------------------------------

DETENTION_PLACE = caseless(r"\b(?:detention (?:camp|cent(?:er|re)|facilit\w+|site)s?|(?:migrant|repatriation|processing) "
                           r"(?:operations |care |holding |detention )?(?:cent(?:er|re)|facilit\w+|camp)s?|"
                           r"holding (?:facilit\w+|cent(?:er|re))|immigration depots?|prison|jail|"
                           r"mega-?prison|CECOT|camp|staging (?:base|area)|hotel|shelter|tent)")
HELD_FOR_REMOVAL = caseless(r"\b(?:detained|arrested|rounded up|picked up|held|taken to|awaiting (?:deportation|removal|"
                            r"expulsion))\b")
NAMED_SITE = re.compile(rf"\s+(?:in|at|near|outside) (?!(?:{MONTH_NAME}|{'|'.join(w.title() for w in WEEKDAYS)}|The)\b)"
                        r"((?:[A-Z][\w'’-]+)(?: [A-Z][\w'’-]+)?)\b(?! \(?[A-Z])")
DETENTION_STATUS = [
    ("closed", caseless(r"\b(?:closed|shut (?:down)?|emptied|cleared out|no longer (?:held|holding|houses))\b")),
    ("announced", caseless(r"\b(?:unveil\w*|announc\w+|plans? (?:for|to)|will (?:open|build|house|hold)|to set up|"
                           r"(?:to|will) (?:lease|rent)|directs?|could (?:\w+ )?hold|would (?:\w+ )?hold|will (?:\w+ )?hold)\b")),
    ("operating", caseless(r"\b(?:remains? in (?:custody|detention)|remained in (?:custody|detention)|are being held|"
                           r"were being held|is holding|are holding|are held|were held|was holding|"
                           r"held|housed|"
                           r"housing|detained at|locked up|imprisoned|were transferred|were taken to|arrived at|"
                           r"are staying|remain(?:ed)?|currently|opened|has opened|moved|transferred|taken|bused|"
                           r"bussed|brought)\b")),
    ("announced", caseless(r"\b(?:announc\w+|plans?|planned|will|would|to set up|set up|directs?|direct\w*|ordered|"
                           r"expan\w+|prepar\w+|build\w*|open\w*|we have|has|have|capacity|beds)\b")),
]
def _detention_sites() -> dict[str, tuple[str, str | None]]:
    import csv

    from deportdata.extract.gazetteer import DATA_DIR
    with (DATA_DIR / "detention_sites.csv").open(encoding="utf-8", newline="") as fh:
        return {r["location"]: (r["operator_iso3"], r["host_iso3"] or None) for r in csv.DictReader(fh)}


DETENTION_SITES = _detention_sites()


def _site_hits() -> list[CountryHit]:
    """A stand-in hit per detention site, for sentences that refer back to one ("the facility")."""
    return [CountryHit(-1, -1, host or operator, "place", location, location)
            for location, (operator, host) in DETENTION_SITES.items()]


SITE_ANAPHOR = caseless(r"\bthe (?:facility|base|camp|center|centre|prison|site|compound)\b")


LEASE = caseless(r"\b(?:leas|rent)(?:e|es|ed|ing|s)?\b")


def _tenant(f: SentenceFeatures) -> CountryHit | None:
    """The country that leases the cells: the last one named before the lease verb, not "with"
    it, that is not where the prison lies ("Sweden signed an agreement with Estonia to rent ...
    in Tartu prison"), else the first one named before the verb."""
    verb = LEASE.search(f.text)
    subjects = [h for h in f.countries if h.end <= verb.start() and f.role(h) not in ("people", "destination")
                and not re.search(r"\bwith\s+(?:the\s+)?$", f.text[max(0, h.start - 12):h.start])]
    hosts = {p.iso3 for p in f.places} | {h.iso3 for h in f.countries if h.start > verb.start()
                                          and f.role(h) not in ("origin", "people")}
    return next((h for h in reversed(subjects) if h.iso3 not in hosts), None) or next(iter(subjects), None)


def _unlisted_site(f: SentenceFeatures, generic: re.Match | None) -> str | None:
    """A site the reviewed list does not know, named right after its noun ("a processing centre
    in Haina"); "a processing centre in Rwanda" names the country, not the site."""
    named = NAMED_SITE.match(f.text, generic.end()) if generic else None
    if named is None or any(h.start == named.start(1) and h.kind != "capital" for h in f.countries):
        return None
    return named.group(1)


def code_detention(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not (f.places or f.words & DETENTION_WORDS):
        return []
    site = next((p for p in f.places if p.location in DETENTION_SITES), None)
    if site is None and ctx.last_site and SITE_ANAPHOR.search(f.text) and not f.places:
        site = next((p for p in _site_hits() if p.location == ctx.last_site), None)
    generic = DETENTION_PLACE.search(f.text)
    if not (site or generic):
        return []
    # in an article about removals, people detained or awaiting removal are held because of one
    removal_context = f.deport_context or (ctx.article_deport and (any(f.role(h) == "people" for h in f.countries)
                                                                   or HELD_FOR_REMOVAL.search(f.text)))
    if not site and not (removal_context and isearch(r"\b(?:deport|migrant|detain|detention|held|hold|beds|prisoners)",
                                                     f.text)):
        return []
    if site and not (f.deport_context or generic or isearch(r"\b(?:beds|held|hold|housed|detain|opened|open|"
                                                            r"closed|inmates|prisoners|capacity)", f.text)):
        return []
    status = next((name for name, pattern in DETENTION_STATUS if pattern.search(f.text)), None)
    if status is None:
        return []
    if site:
        operator, host = DETENTION_SITES[site.location]
        actor, partner, location = operator, host, site.location
    elif LEASE.search(f.text) and (tenant := _tenant(f)):
        # "Copenhagen will lease 300 cells in the prison in Gjilan": the tenant holds the detainees
        place = next(iter(f.places), None)
        host = place or next((h for h in f.countries if h.iso3 != tenant.iso3), None)
        actor, partner = tenant.iso3, host.iso3 if host else None
        location = place.location if place else _unlisted_site(f, generic)
    else:
        # the place the people are taken to, else one named without a cue ("Fort Bliss will house ...")
        place = next((p for p in f.places if f.role(p) == "destination"), None) \
            or next((p for p in f.places if not f.role(p)), None)
        holders = [h for h in _unique(f.countries) if f.role(h) not in ("people", "origin")]
        # another country holds them, else the deporting one itself ("Pakistani police are holding ...")
        hosts = [h for h in holders if h.iso3 != (ctx.deporter or US)] or holders
        # an unlisted site in no other country named is the deporting country's own
        named = _unlisted_site(f, generic)
        if place is None and not hosts and not (named and ctx.deporter):
            return []
        actor = (place or hosts[0]).iso3 if place or hosts else ctx.deporter
        city = next((h.text for h in f.countries if h.kind == "capital" and h.iso3 == actor
                     and re.search(r"\b(?:in|at|near)\s+$", f.text[max(0, h.start - 6):h.start])), None)
        # the facility's country when it is not the actor's ("a detention centre it runs in Albania")
        partner = next((h.iso3 for h in hosts if h.iso3 != actor and generic and h.start >= generic.end()
                        and re.fullmatch(r"[^,;]{0,30}\b(?:in|on)\s+(?:the\s+)?", f.text[generic.end():h.start])), None)
        location = place.location if place else named or city
    beds, _ = _count_of(f, "beds")
    people, qualifier = _people(f, None)
    return [_record("detention", status, f, actor, partner, location=location, people_count=people,
                    people_qualifier=qualifier, quantity=beds, quantity_unit="beds" if beds else None)]


# --- military_deployment ----------------------------------------------------------------------

TROOPS = caseless(r"\b(?:troops|soldiers|marines|service ?members|National Guard|guardsmen|active[- ]duty|"
                  r"military personnel|armed forces)\b")
DEPLOY_VERB = caseless(r"\b(?:deploy\w*|sent|send\w*|dispatch\w*|station\w*|moved|mov\w+ to|posted|assigned|"
                       r"arriv\w+|position\w*|staged|mobiliz\w+|mobilis\w+|order\w* .{0,30}\bto\b)")
DEPLOY_PLANNED = caseless(r"\b(?:will|would|intends?|plans?|planning|to send|to deploy|preparing|ordered|could|"
                          r"expected to|considering|proposed)\b")


BORDER_WITH = caseless(r"\bborder (?:with|of) (?:the )?$")
BORDER_AFTER = caseless(r"^(?:['’]s)? (?:southern |northern |eastern |western )?border\b")


# aircraft assigned "to fly deportees" or "for deportation flights" serve removals, wherever they are
REMOVAL_MISSION = caseless(r"\bto (?:fly|carry|transport|deport|remove) (?:\w+ )?(?:deportees|migrants|detainees)|"
                           r"\bfor (?:deportation|removal) (?:flights|missions)|\bdeportation missions")


def code_military_deployment(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not f.words & DEPLOYMENT_WORDS:
        return []
    troops = TROOPS.search(f.text)
    military_aircraft = f.aircraft or isearch(r"\bmilitary (?:planes|aircraft|jets)\b", f.text)
    verb = DEPLOY_VERB.search(f.text)
    if not verb:
        return []
    out = []
    to_border = isearch(r"\b(?:border|El Paso|San Diego|Fort Bliss|staging|base)\b", f.text)
    carrying = isearch(r"\b(?:carrying|with) (?:\w+ ){0,3}(?:migrants|deportees|people|nationals)", f.text)
    status = "planned" if DEPLOY_PLANNED.search(f.text[:verb.end() + 10]) and not isearch(
        r"\b(?:were|was|have been|has been|had been) (?:\w+ )?(?:deployed|sent|moved|dispatched)", f.text) \
        else "deployed"
    # the neighbour whose border the troops guard ("along the border with Haiti")
    neighbours = [h for h in f.countries if BORDER_WITH.search(f.text[max(0, h.start - 20):h.start])
                  or BORDER_AFTER.match(f.text[h.end:h.end + 12])]
    actor = next((h.iso3 for h in f.countries if f.role(h) not in ("destination", "people") and h not in neighbours),
                 None) or ctx.deporter or US
    neighbour = next((h.iso3 for h in neighbours if h.iso3 != actor), None)
    if troops and (to_border or f.deport_context):
        people, qualifier = _count_of(f, "troops")
        out.append(_record("military_deployment", status, f, actor, neighbour,
                           people_count=int(people) if people else None,
                           people_qualifier=qualifier if people else None))
    elif military_aircraft and (to_border or REMOVAL_MISSION.search(f.text)) and not carrying and isearch(
            r"\b(?:moved|mov\w+ to|deploy\w*|stationed|staged|positioned|sent|dispatched|assigned)\b", f.text) \
            and not isearch(r"\bnot on military\b", f.text):
        planes = sum(c.value for c in f.counted if c.noun_class == "flights") + len(
            re.findall(r"\ban? (?:C-17|C-130|KC-135|C-5|C-40)\b", f.text)) or None
        location = next((p.location for p in f.places), None)
        out.append(_record("military_deployment", status, f, actor, None, location=location,
                           flight_count=int(planes) if planes else None,
                           aircraft_type=";".join(f.aircraft) or None))
    return out


# --- executive_action -------------------------------------------------------------------------

EXEC_NOUN = caseless(r"\b(?:executive orders?|presidential (?:memorand\w+|proclamations?|orders?|decrees?)|proclamations?|"
                     r"memorand(?:um|a)|national emergency|state of emergency|emergency declaration|implementing "
                     r"decisions|decrees?|Alien Enemies Act|executive actions?|"
                     # a government's package of rules ("15 measures ... to tighten migration control")
                     r"measures (?:[\w-]+ ){0,8}?(?:to (?:tighten|curb|control|stem|tackle|crack down on|reduce|"
                     r"limit|stop)|on|against) (?:[\w-]+ ){0,2}?(?:migration|immigration|irregular|undocumented|"
                     r"illegal))\b")
# an order for a group of foreigners to leave the country is an executive act toward removals
# ("Iran had ordered undocumented Afghans to leave the country by July 6")
LEAVE_ORDER = caseless(r"\b(?:ordered|orders|order for|deadline for|told) (?:all )?(?:[\w-]+ ){0,4}?to (?:leave|depart|exit)\b")
EXEC_STATUS = [
    ("announced", caseless(r"\b(?:will|would|to) (?:sign|declare|issue|invoke|unveil)\b")),
    ("blocked", caseless(r"\b(?:judge|court|justices?)\b.{0,80}\b(?:block\w*|halt\w*|enjoin\w*|barr\w*|struck down|"
                         r"strikes down|paus\w*|stay\w*|(?:injunction|restraining order)s? (?:against|on|barring|blocking)|"
                         r"ordered (?:the )?(?:\w+ )?(?:planes?|flights?|administration)"
                         r".{0,30}(?:turn around|return|halt|stop)|ruled)\b|\bblocked by (?:a )?(?:federal )?"
                         r"(?:judge|court)")),
    ("signed", caseless(r"\b(?:signed|signs|issued|proclaimed|declared|invoked|invokes|enacted)\b")),
    ("announced", caseless(r"\b(?:announc\w+|unveil\w+|will sign|plans? to sign|is expected to sign|directs?)\b")),
]


def code_executive_action(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not f.words & EXECUTIVE_WORDS:
        return []
    noun = EXEC_NOUN.search(f.text)
    judge = isearch(r"\b(?:judge|court)\b", f.text)
    leave_order = None if noun else LEAVE_ORDER.search(f.text)
    if not (noun or judge or leave_order):
        return []
    status = next((name for name, pattern in EXEC_STATUS if pattern.search(f.text)), None)
    if leave_order and status is None:
        status, noun = "announced", leave_order
    if status is None or (status != "blocked" and not noun):
        return []
    if status == "announced" and isearch(r"\bdirects?\b", f.text) and re.search(r"\bbeds\b", f.text):
        return []  # "the memorandum directs ... 30,000 beds": the record is the detention it orders
    # the foreigners an order to leave names ("ordered undocumented Afghans to leave")
    ordered = [h for h in f.countries if leave_order and leave_order.start() <= h.start < leave_order.end()]
    if not (f.deport_context or ordered or isearch(r"border|migra|emergency|Alien Enemies|refugee|asylum|birthright|"
                                          r"citizenship|planes|flights", f.text)
            or (ctx.article_deport and noun and isearch(r"\bthe (?:\w+ )?$", f.text[:noun.start()]))):
        return []  # (an article about removals may go on about "the proclamation" it named before)
    if noun and noun.group(0).lower().startswith("memorand") and len(_unique(f.countries)) >= 2:
        return []  # a memorandum between two countries is an agreement
    actor = next((h.iso3 for h in f.countries if f.role(h) not in ("destination", "people") and h not in ordered),
                 None) or ctx.deporter or US
    partner = next((h.iso3 for h in ordered if h.iso3 != actor), None)
    orders, _ = _count_of(f, "orders")
    return [_record("executive_action", status, f, actor, partner, quantity=orders,
                    quantity_unit="orders" if orders else None)]


CODERS = (code_removal_flight, code_diplomatic_response, code_agreement, code_coercive_measure, code_detention,
          code_military_deployment, code_executive_action)


def _drop_overlaps(records: list[dict]) -> list[dict]:
    """One fact, one record: an acceptance that is an agreement's signing, or the receiving of a
    flight, is not coded twice; a detention mentioned as a flight's passengers' origin neither."""
    by_type: dict[str, list[dict]] = {}
    for r in records:
        by_type.setdefault(r["event_type"], []).append(r)
    agreed = {r["partner_country"] for r in by_type.get("agreement", [])} | {
        r["actor_country"] for r in by_type.get("agreement", [])}
    flown_to = {r["partner_country"] for r in by_type.get("removal_flight", [])}
    refusing = {r["actor_country"] for r in records if r["event_type"] == "diplomatic_response"
                and r["status"] == "refusal"}
    out = []
    for r in records:
        if r["event_type"] == "diplomatic_response" and r["status"] == "acceptance" and (
                r["actor_country"] in agreed or r["actor_country"] in flown_to):
            continue
        if r["event_type"] == "agreement" and r["status"] in ("proposed", "negotiating") and (
                {r["actor_country"], r["partner_country"]} & refusing):
            continue
        if r["event_type"] == "detention" and r["status"] == "operating" and any(
                f["status"] != "planned" for f in by_type.get("removal_flight", [])):
            continue
        out.append(r)
    return out


# Every rule needs one of these word stems at the start of a word; one search (a prefix trie, so
# it costs a few branches per character) spares many sentences all the detailed patterns.
_TRIGGER_STEMS = """
flight plane aircraft jet airliner c-13 c-17 charter fly flew flown land arriv deport refus way bound
head depart took left other migrant deportee reject deni deny protest condemn denounc object critici outrage summon
demand disregard degrading unacceptabl humiliat complain accept receiv take welcom ready willing back revers relent
cave u-turn climbed changed agree only condition provided treated civilian handcuff longer suspend halt
stop sent send deal accord pact arrangement memorand mou treaty plan partnership scheme
propos host hous admit jail serve return repatriat bridge tariff duties levies visa ban sanction freez aid customs
retaliat punitive consequences restriction detention detain camp facilit center centre prison cecot staging hotel shelter tent
beds held hold troops soldiers marines service guard active-duty personnel armed military executive presidential
proclamation emergency decision decree alien judge court concern regret lodg categoric strongly firmly flatly retreat
capitulat gave gives ended overcome obligation prepared authori permit injunction licen declin admit
ordered orders deadline told measures
slow reluctan unwilling kidnap abduct
"""
# phrases, not stems: "en" alone would admit every word that starts with it
_TRIGGER_PHRASES = {"en route", "as long", "will not", "would not"}
ANY_TRIGGER = caseless(r"\b" + _trie_pattern(sorted(set(_TRIGGER_STEMS.split()) | _TRIGGER_PHRASES)) + r"|n't")


def may_code(f: SentenceFeatures) -> bool:
    """Whether any rule could find a record in the sentence: a clause can only if its sentence can."""
    return bool(f.places or ANY_TRIGGER.search(f.text))


def code_sentence(f: SentenceFeatures, ctx: Context) -> list[dict]:
    if not may_code(f):
        return []
    # the coders only read the sentence and context, so the sentence-wide vetoes can wait until a
    # coder found something (few sentences do)
    records = [rec for coder in CODERS for rec in coder(f, ctx)]
    if not records or QUESTION_OR_HYPOTHETICAL.search(f.text):
        return []
    records = _drop_overlaps(records)
    if OTHER_ERA.search(f.text):
        records = [r for r in records if r["event_type"] == "agreement"]
    return records
