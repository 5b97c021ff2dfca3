"""Near-copy detection on real-looking reposts (deportdata.nearcopy)."""
from __future__ import annotations

import random
from datetime import date

import pytest

import numpy as np

from deportdata.nearcopy import (LSH_BANDS, NEAR_COPY_THRESHOLD, NearCopyDoc, _overlap, candidate_pairs, find_near_copies,
                                 near_copy_pairs, roots, signature_matrix)
from deportdata.shingles import MINHASH_SEED, NUM_PERM, SIGNATURE_SHINGLE_WORDS, shingles, signature

WIRE_HEADLINE = "Colombia turns back two US military deportation flights"
WIRE = [
    "BOGOTA, Colombia (AP) — Colombia refused on Sunday to let two U.S. military aircraft carrying "
    "deported migrants land in the country, escalating a dispute with the Trump administration over how "
    "people removed from the United States are returned home.",
    "President Gustavo Petro said in a series of posts on social media that his government would not "
    "accept flights that treat Colombians as criminals, and that migrants should be returned on civilian "
    "planes and with dignity. He said Colombia would send its own aircraft to bring its citizens home.",
    "The two C-17 transport planes had left from bases in California and Texas earlier in the day with "
    "about 80 migrants on board each, according to a U.S. official who was not authorized to speak "
    "publicly and requested anonymity. Both aircraft returned to the United States after Bogota withdrew "
    "permission to land.",
    "Within hours, President Donald Trump announced emergency tariffs of 25% on all Colombian goods "
    "entering the United States, to rise to 50% in one week, along with visa restrictions on Colombian "
    "government officials and their families. He called the refusal a threat to national security.",
    "The standoff ended late Sunday when the White House said Colombia had agreed to all of its terms, "
    "including the unrestricted acceptance of migrants sent back on military aircraft. The tariffs, it "
    "said, would be held in reserve and not signed unless Colombia failed to honor the agreement.",
    "Colombia's foreign minister, Luis Gilberto Murillo, said the government had overcome the impasse and "
    "that the presidential plane was ready to travel to the United States to facilitate the return of the "
    "migrants who were to arrive on the flights.",
    "The confrontation was the most public clash yet over the use of military planes for deportations, "
    "which the Pentagon began last week. Flights to Guatemala landed without incident on Friday, and "
    "officials said more flights to other countries in the region were being planned.",
]

OTHER_STORY = [
    "Colombia's government reversed course late on Sunday and said it would accept deportation flights "
    "from the United States, hours after President Donald Trump ordered sweeping tariffs in retaliation for "
    "the country's refusal of two military planes.",
    "The dispute began before dawn, when President Gustavo Petro wrote that he would not allow U.S. "
    "military aircraft to land with Colombian migrants. Trump answered with an order for 25% tariffs, a "
    "travel ban on officials and stricter customs inspections for Colombian travelers and cargo.",
    "Economists in Bogota warned that tariffs of that size would hit coffee and cut flower exporters "
    "first, since the United States buys about a quarter of everything Colombia sells abroad. Shares of "
    "the national oil company fell in early trading on Monday before recovering.",
    "By night the two governments had issued statements declaring victory. The White House said the "
    "tariffs were on hold, and Colombia's foreign ministry said it would send air force planes to collect "
    "the deportees, a practice it had followed with earlier returns from Panama.",
    "Human rights groups in Colombia said the images of shackled migrants seen on flights to Brazil last "
    "week explained the outrage, while opposition politicians accused Petro of risking the country's most "
    "important alliance over a social media post.",
]

GUATEMALA_STORY = [
    "GUATEMALA CITY (AP) — Two U.S. military planes carrying deported migrants landed in Guatemala on "
    "Friday, the first removal flights of the new administration to use Air Force transport aircraft.",
    "The Guatemalan Migration Institute said more than 150 people were on board the two flights, which "
    "arrived at an air force base next to the capital's international airport in the early afternoon.",
    "Officials received the passengers with food and a short orientation before they were released, as is "
    "usual for the commercial charter flights that Immigration and Customs Enforcement has long used.",
    "President Bernardo Arevalo said his government would receive its citizens and had asked Washington "
    "to give advance notice of each flight so that families could be told. He did not comment on the use "
    "of military aircraft.",
    "The Defense Department has said it will provide flights for more than 5,000 people held by "
    "immigration authorities in San Diego and El Paso, and that C-130 aircraft may also be used.",
]

BOILER_TOP = "Skip to main content. World News | Americas | Latest headlines. Advertisement. Listen to this article."
BOILER_BOTTOM = (
    "Copyright 2025 The Associated Press. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed. Sign up for our morning newsletter to get the top stories delivered to your "
    "inbox every day. Related coverage: Trump signs orders on the border; What to know about Guantanamo; "
    "Mexico prepares shelters for deportees. Follow us on social media. Terms of use. Privacy policy."
)
EXTRA_PARAGRAPH = (
    "In Medellin, relatives of people on the flights gathered outside the airport on Monday morning, "
    "saying they had received no information about when their family members would arrive or where "
    "they would be taken after landing."
)


def body(*paragraphs: str) -> str:
    return " ".join(paragraphs)


def doc(article_id: str, text: str, day: int | None = 27, path: str | None = None) -> NearCopyDoc:
    return NearCopyDoc(article_id, text, None if day is None else date(2025, 1, day), path or f"{article_id}.txt")


ORIGINAL = doc("a_wire", body(WIRE_HEADLINE, *WIRE), day=26)
REPOSTS = {
    "headline": body("Petro blocks US deportation planes, Trump answers with tariffs", *WIRE),
    "paragraph_added": body(WIRE_HEADLINE, *WIRE[:3], EXTRA_PARAGRAPH, *WIRE[3:]),
    "paragraph_cut": body(WIRE_HEADLINE, *WIRE[:5]),
    "boilerplate": body(BOILER_TOP, WIRE_HEADLINE, *WIRE, BOILER_BOTTOM),
    "all_at_once": body(BOILER_TOP, "Colombia backs down after US tariff threat", *WIRE[:2], EXTRA_PARAGRAPH,
                        *WIRE[2:6], BOILER_BOTTOM),
}


def similarity(a: str, b: str) -> float:
    return _overlap(shingles(a), shingles(b))


def test_threshold_is_documented_and_sane() -> None:
    assert 0.5 <= NEAR_COPY_THRESHOLD <= 0.9
    import deportdata.nearcopy as module

    assert "NEAR_COPY_THRESHOLD" in (module.__doc__ or "") and "0.7" in (module.__doc__ or "")


@pytest.mark.parametrize("kind", sorted(REPOSTS))
def test_reposts_are_near_copies_of_the_original(kind: str) -> None:
    repost = doc("a_repost", REPOSTS[kind], day=27, path="other-site/story.html")
    assert find_near_copies([repost, ORIGINAL]) == {"a_repost": "a_wire"}


def test_different_stories_on_the_same_event_are_not_copies() -> None:
    docs = [ORIGINAL, doc("a_other", body("Colombia accepts flights", *OTHER_STORY)),
            doc("a_gtm", body("Guatemala receives military flights", *GUATEMALA_STORY))]
    assert find_near_copies(docs) == {}
    assert similarity(ORIGINAL.body, docs[1].body) < 0.2


def test_shared_boilerplate_and_a_shared_quote_do_not_make_a_copy() -> None:
    quote = WIRE[1]
    a = doc("a_1", body(BOILER_TOP, *OTHER_STORY[:3], quote, BOILER_BOTTOM))
    b = doc("a_2", body(BOILER_TOP, *GUATEMALA_STORY, quote, BOILER_BOTTOM))
    assert find_near_copies([a, b]) == {}


def test_a_chain_of_copies_points_at_the_root() -> None:
    first_copy = body(WIRE_HEADLINE, *WIRE[:5], EXTRA_PARAGRAPH)
    # the second copy is made from the first one: the last wire paragraphs are gone and a
    # new one is added, so it is too far from the original but close to the first copy
    second_copy = body(*WIRE[2:5], EXTRA_PARAGRAPH, OTHER_STORY[2])
    assert similarity(second_copy, ORIGINAL.body) < NEAR_COPY_THRESHOLD <= similarity(second_copy, first_copy)
    docs = [doc("a_c2", second_copy, day=28), doc("a_c1", first_copy, day=27), ORIGINAL]
    assert find_near_copies(docs) == {"a_c1": "a_wire", "a_c2": "a_wire"}


def test_earliest_copy_is_the_root_whatever_the_input_order() -> None:
    undated = doc("a_0", REPOSTS["boilerplate"], day=None, path="aaa.txt")
    later = doc("a_1", REPOSTS["headline"], day=28, path="b.txt")
    same_day_first_path = doc("a_9", REPOSTS["paragraph_cut"], day=26, path="a.txt")
    docs = [undated, later, ORIGINAL, same_day_first_path]
    expected = {"a_0": "a_9", "a_1": "a_9", "a_wire": "a_9"}  # a.txt sorts before a_wire.txt on the same day
    for seed in range(5):
        random.Random(seed).shuffle(docs)
        assert find_near_copies(docs) == expected


def test_a_roundup_holding_two_stories_does_not_join_them() -> None:
    wire_gtm = doc("a_gtm", body(*GUATEMALA_STORY), day=24)
    roundup = doc("a_roundup", body("Deportation flights: what happened this week", *GUATEMALA_STORY, *WIRE), day=29)
    result = find_near_copies([ORIGINAL, wire_gtm, roundup])
    assert result == {"a_roundup": "a_gtm"}  # one root, and the two stories stay originals


def test_short_and_empty_bodies_are_never_copies() -> None:
    docs = [doc("a_1", ""), doc("a_2", ""), doc("a_3", "Colombia refused the flights."),
            doc("a_4", "Colombia refused the flights."), ORIGINAL]
    assert find_near_copies(docs) == {}


def test_deterministic_across_calls_and_case_or_spacing_changes() -> None:
    shouted = doc("a_up", REPOSTS["paragraph_cut"].upper().replace(" ", "  "), day=30)
    docs = [shouted, ORIGINAL, doc("a_other", body(*OTHER_STORY))]
    first = find_near_copies(docs)
    assert first == {"a_up": "a_wire"}
    assert all(find_near_copies(list(reversed(docs))) == first for _ in range(3))


def test_many_syndicated_copies_and_unrelated_noise() -> None:
    rng = random.Random(7)
    vocabulary = [f"word{i}" for i in range(5000)]
    noise = [doc(f"a_noise{i:03d}", " ".join(rng.choice(vocabulary) for _ in range(300)), day=20) for i in range(150)]
    copies = [doc(f"a_copy{i:02d}", body(f"Headline number {i}", *WIRE[: 4 + i % 4], BOILER_BOTTOM), day=27)
              for i in range(30)]
    result = find_near_copies([*noise, ORIGINAL, *copies])
    assert result == {c.article_id: "a_wire" for c in copies}


def _brute_force_candidates(matrix: np.ndarray, present: np.ndarray, is_new: np.ndarray) -> set[tuple[int, int]]:
    bands = matrix.reshape(len(matrix), LSH_BANDS, -1)
    return {(i, j) for i in range(len(matrix)) for j in range(i + 1, len(matrix))
            if present[i] and present[j] and (is_new[i] or is_new[j]) and (bands[i] == bands[j]).all(axis=1).any()}


@pytest.mark.parametrize("new_share", [0.5, 0.1])  # 0.1: only rows sharing a key with a new one are sorted
@pytest.mark.parametrize("seed", range(4))
def test_candidate_pairs_are_exactly_the_pairs_sharing_a_band(seed: int, new_share: float) -> None:
    rng = np.random.default_rng(seed)
    # few distinct values, so that many pairs share some bands and buckets have various sizes
    matrix = rng.integers(0, 3, size=(60, NUM_PERM), dtype=np.uint32)
    present = rng.random(60) > 0.1
    is_new = rng.random(60) < new_share
    found = {tuple(p) for p in candidate_pairs(matrix, present, is_new).tolist()}
    assert found == _brute_force_candidates(matrix, present, is_new)


@pytest.mark.parametrize("seed", range(3))
def test_candidate_pairs_of_a_few_new_rows_among_many_are_exactly_those_sharing_a_band(seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 40, size=(300, NUM_PERM), dtype=np.uint32)  # most rows share no band
    present = rng.random(300) > 0.05
    is_new = rng.random(300) < 0.03
    found = {tuple(p) for p in candidate_pairs(matrix, present, is_new).tolist()}
    expected = _brute_force_candidates(matrix, present, is_new)
    assert found == expected and expected


def test_comparing_only_new_articles_finds_the_pairs_of_a_full_comparison() -> None:
    rng = random.Random(3)
    vocabulary = [f"word{i}" for i in range(400)]
    texts = [" ".join(rng.choice(vocabulary) for _ in range(200)) for _ in range(40)]
    texts += [body(f"Copy {i}", texts[i]) for i in range(0, 40, 4)]  # ten reposts
    matrix, present = signature_matrix([signature(t) for t in texts])
    sets = {r: shingles(t) for r, t in enumerate(texts)}

    def shingles_of(rows):
        return {r: sets[r] for r in rows}

    full = near_copy_pairs(matrix, present, np.ones(len(texts), dtype=bool), shingles_of)
    assert len(full) >= 10
    earlier = np.array([rng.random() < 0.7 for _ in texts])
    first_run = near_copy_pairs(matrix[earlier], present[earlier], np.ones(earlier.sum(), dtype=bool),
                                lambda rows: {r: sets[int(np.flatnonzero(earlier)[r])] for r in rows})
    first_run = [(int(np.flatnonzero(earlier)[i]), int(np.flatnonzero(earlier)[j])) for i, j in first_run]
    second_run = near_copy_pairs(matrix, present, ~earlier, shingles_of)
    assert sorted(first_run + second_run) == sorted(full)


def test_roots_follow_the_earliest_match() -> None:
    assert roots(["a", "b", "c", "d"], [("c", "b"), ("b", "a"), ("d", "c")]) == {"b": "a", "c": "a", "d": "a"}
    assert roots(["a", "b", "c"], [("a", "c"), ("x", "b")]) == {"c": "a"}  # unknown ids are ignored


@pytest.mark.parametrize("every", [18, 22, 30])
def test_a_copy_edited_word_by_word_is_found_down_to_the_threshold(every: int) -> None:
    # an updated wire story: one word in `every` replaced (a number, a name, a spelling)
    words = ORIGINAL.body.split()
    edited = " ".join(f"changed{i}" if i % every == every // 2 else w for i, w in enumerate(words))
    assert NEAR_COPY_THRESHOLD <= similarity(edited, ORIGINAL.body) < 0.85
    assert find_near_copies([ORIGINAL, doc("a_updated", edited, day=28)]) == {"a_updated": "a_wire"}


def test_stories_sharing_stock_phrases_are_rarely_compared() -> None:
    # unrelated stories built from the same stock phrases and random facts share ~5-10 % of
    # their 5-grams; the candidate search must not pair many of them (it would be quadratic)
    rng = random.Random(11)
    phrases = [
        "immigration and customs enforcement said on {day} that", "a flight carrying {n} deportees landed in {place}",
        "the department of homeland security did not respond to", "officials in {place} said the government would",
        "according to a statement released by the ministry of", "the plane left from {place} with {n} people on board",
        "human rights groups criticized the use of military aircraft", "the president said {n} more flights were planned",
    ]
    places = ["Bogota", "Guatemala City", "Tegucigalpa", "San Salvador", "Brasilia", "Quito", "Lima", "Caracas"]

    def story() -> str:
        return " ".join(rng.choice(phrases).format(day=rng.choice(["Monday", "Friday", "Sunday"]),
                                                   n=rng.randrange(20, 300), place=rng.choice(places))
                        + f" {' '.join(f'fact{rng.randrange(10_000)}' for _ in range(2))}." for _ in range(40))

    texts = [story() for _ in range(120)]
    background = np.mean([similarity(texts[i], texts[i + 1]) for i in range(0, 100, 2)])
    assert background > 0.08  # they do share stock phrases
    matrix, present = signature_matrix([signature(t) for t in texts])
    candidates = candidate_pairs(matrix, present, np.ones(len(texts), dtype=bool))
    assert len(candidates) < 0.005 * len(texts) * (len(texts) - 1) / 2  # 5-gram signatures: 2 %
    assert find_near_copies([doc(f"a_{i:03d}", t) for i, t in enumerate(texts)]) == {}


def test_signature_is_datasketchs_affine32_minhash_of_the_9_grams() -> None:
    from datasketch import MinHash

    body = " ".join(WIRE)
    grams = shingles(body, SIGNATURE_SHINGLE_WORDS)
    reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32", hashfunc=int)
    reference.update_batch((grams & np.uint64(0xFFFFFFFF)).tolist())
    assert signature(body) == reference.hashvalues.astype("<u4").tobytes()
    assert signature("") is None
