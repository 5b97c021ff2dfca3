"""Near-copy detection: syndicated wire stories and reposts of one article.

A repost keeps most of the original's running text while changing what surrounds it: a
new headline, a site's boilerplate before and after, a paragraph added, a paragraph cut
(wire copy is often trimmed from the bottom). Such a copy is not an independent source,
so the `articles` table marks it with `duplicate_of` and event counts take it once.

Method
------
1. Shingles (`deportdata.shingles`). Each body is NFKC-normalized, case-folded and split
   into word tokens (`\\w+`); its shingles are the set of overlapping word n-grams, each
   hashed to 64 bits (blake2b per word, then a fixed polynomial mix), so the same text gives
   the same set on every machine and Python process. The exact check uses 5-grams
   (`SHINGLE_WORDS`); the candidate search uses 9-grams (`SIGNATURE_SHINGLE_WORDS`, see 2).
2. Candidates (sub-quadratic). A MinHash of 128 permutations (`NUM_PERM`, fixed seed
   `MINHASH_SEED`, datasketch's affine32 scheme) of the 9-gram set is cut into 64 bands of
   2 rows (`LSH_BANDS`, `LSH_ROWS`): a pair with Jaccard similarity J shares a band with
   probability 1 - (1 - J^2)^64, which is >= 0.997 for J >= 0.3. Only pairs sharing a band
   are compared. Why 9-grams: texts on one topic share stock phrases ("immigration and
   customs enforcement said"), so two unrelated stories can share 5-10 % of their 5-grams;
   at that similarity a band is shared by 15-45 % of all pairs and the candidates grow with
   the square of the corpus. Long n-grams rarely recur outside copied text: on the
   benchmark corpus the mean Jaccard of unrelated pairs falls from 0.042 (5-grams) to 0.010
   (9-grams) and the candidates from about 1,050 to 35 per article at 10,000 articles,
   while copied blocks keep their 9-grams. A copy edited word by word loses 9 instead of 5
   n-grams per edit: one passing the exact check with equal lengths keeps a 9-gram Jaccard
   of at least about 0.3, so it is still found with probability >= 0.997.
3. Exact check. A candidate pair is a near-copy when the overlap coefficient of the two
   exact shingle sets,

       overlap(A, B) = |A & B| / max(min(|A|, |B|), MIN_SHINGLES)

   is at least `NEAR_COPY_THRESHOLD` = 0.7: at least 70 % of the shorter text's 5-grams
   recur in the longer one. The overlap coefficient (not Jaccard) is used because a cut
   or a block of boilerplate changes the size of one text only: the original inside a
   page with 150 words of boilerplate scores ~1.0, a copy with a paragraph cut and
   another added ~0.8, while two different stories on the same event (shared names,
   one shared quote) stay below 0.2. `MIN_SHINGLES` keeps very short texts (under ~30
   words) from being called copies of a longer one by containment alone. The LSH
   parameters are set so that every pair passing the check with a size ratio of at
   least one half whose differences are whole blocks (added boilerplate, a paragraph cut
   or added: 9-gram J >= 0.3) is found with probability >= 0.997. Candidates whose
   MinHash-estimated Jaccard is under `MIN_ESTIMATED_JACCARD` (three standard errors
   below 0.3) skip the exact check, which would otherwise dominate on corpora full of
   shared phrasing; they are dropped band by band as the buckets are read, so the
   candidates (25.8 million pairs on the 100,000-article benchmark corpus) are never held
   at once. The seeds are fixed, so the same documents always give the same answer.
4. Incremental. Whether two documents are near-copies depends on the pair alone (its
   signatures' bands, the estimate, the exact check), never on the other documents. So the
   pipeline keeps the set of passing pairs ("edges") and which articles have been compared
   already; a run compares only its new articles with all the others, and the roots below
   come from the edges. A full rebuild compares every pair once and finds the same edges.
5. Roots. Documents are ordered "earliest first": by `published_date` (unknown dates
   last), then `source_path`, then `article_id`. Each document, in that order, is a
   near-copy of the earliest earlier document it passes the check with, and points at
   that document's root. So a chain of copies (B copies A, C copies B but has drifted
   too far from A) all point at the same root A, a root never points anywhere, and a
   roundup that contains two unrelated wire stories joins the earlier one without
   making the two stories copies of each other.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from deportdata.shingles import NUM_PERM, SIGNATURE_BYTES, shingles, signature

NEAR_COPY_THRESHOLD: float = 0.7
"""Minimum overlap coefficient of word 5-shingle sets for two bodies to be near-copies."""

MIN_SHINGLES = 25
# A near-copy (overlap >= 0.7, size ratio >= 1/2) has Jaccard >= 0.7 / 2.3 = 0.30; with 128
# permutations the estimate's standard error there is 0.04, so 0.18 is three errors below.
MIN_ESTIMATED_JACCARD = 0.18
LSH_BANDS = 64
LSH_ROWS = 2  # two 32-bit values make one exact 64-bit band key (see candidate_pairs)
_PAIR_CHUNK = 65_536
assert LSH_BANDS * LSH_ROWS == NUM_PERM and LSH_ROWS == 2, "a band is one uint64 key"


@dataclass(frozen=True)
class NearCopyDoc:
    article_id: str
    body: str
    published_date: date | None
    source_path: str


def earliest_key(published_date: date | None, source_path: str, article_id: str) -> tuple[bool, date, str, str]:
    """Sort key of the "earliest first" order: dated before undated, then path, then id."""
    return (published_date is None, published_date or date.min, source_path, article_id)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / max(min(a.size, b.size), MIN_SHINGLES)


def signature_matrix(signatures: Sequence[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """(n x NUM_PERM uint32 matrix, mask of rows that have a signature)."""
    matrix = np.zeros((len(signatures), NUM_PERM), dtype=np.uint32)
    present = np.array([s is not None for s in signatures], dtype=bool)
    given = [sig for sig in signatures if sig is not None]
    wrong = next((row for row, sig in enumerate(signatures) if sig is not None and len(sig) != SIGNATURE_BYTES), None)
    if wrong is not None:
        raise ValueError(f"signature {wrong} has {len(signatures[wrong])} bytes, expected {SIGNATURE_BYTES}")
    if given:  # one buffer, not one copy per row: 0.4 s at 100,000 articles
        matrix[present] = np.frombuffer(b"".join(given), dtype="<u4").reshape(len(given), NUM_PERM)
    return matrix, present


def _distinct(codes: np.ndarray) -> np.ndarray:
    codes = np.sort(codes)
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if codes.size else codes


def _bucket_pairs(members: np.ndarray, is_new: np.ndarray) -> np.ndarray:
    """Pairs within buckets of one size (members: buckets x size, row indexes) that involve at
    least one new document, coded i * 2**32 + j (i < j); a pair may come twice."""
    size = members.shape[1]
    new = is_new[members]
    if np.count_nonzero(new) * 2 < members.shape[0] * (size - 1):
        # few new members (an incremental run): pair each with its bucket, not every member with
        # every other, which in a bucket of 1,000 rows lists 500,000 pairs before the filter
        bucket, position = np.nonzero(new)
        first, second = np.repeat(members[bucket, position], size), members[bucket].ravel()
        keep = first != second
    else:
        i, j = np.triu_indices(size, k=1)
        first, second = members[:, i].ravel(), members[:, j].ravel()
        keep = is_new[first] | is_new[second]
    a, b = np.minimum(first[keep], second[keep]), np.maximum(first[keep], second[keep])
    return (a.astype(np.int64) << 32) | b.astype(np.int64)


def _sharing_a_key(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Positions (ascending) of the keys equal to one of `wanted`. A table of the wanted keys' low
    16 bits rules out most keys first: 5 ms per band at 100,000 rows, 8 ms searching all of them."""
    wanted = np.unique(wanted)
    low_bits = np.zeros(1 << 16, dtype=bool)
    low_bits[(wanted & np.uint64(0xFFFF)).astype(np.intp)] = True
    maybe = np.flatnonzero(low_bits[(keys & np.uint64(0xFFFF)).astype(np.intp)])
    found = np.minimum(np.searchsorted(wanted, keys[maybe]), wanted.size - 1)
    return maybe[wanted[found] == keys[maybe]]


def candidate_pairs(matrix: np.ndarray, present: np.ndarray, is_new: np.ndarray,
                    keep: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Pairs sharing at least one LSH band (the same two consecutive signature values), at least
    one of them new; sorted (m x 2) array of row indexes with i < j. With `keep(i, j)` (a mask),
    only the pairs it keeps: it sees each band's pairs as they come, so candidates that fail it
    are never held all at once (tens of millions on a corpus of 100,000 texts on one topic)."""
    rows = np.flatnonzero(present)
    if rows.size < 2 or not is_new[rows].any():
        return np.empty((0, 2), dtype=np.int64)
    # a band's LSH_ROWS (2) consecutive uint32 values read as one uint64 key, without a copy
    keys = np.ascontiguousarray(matrix[rows], dtype=np.uint32).view(np.uint64)
    new_rows = np.flatnonzero(is_new[rows])
    # A run with few new articles looks only at the rows that share a band key with one of them:
    # sorting every row's keys in every band made the search 1.4 s instead of 0.95 s (1 % new of
    # 100,000 articles; pairing new members with their buckets then brings it to 0.55 s).
    few_new = new_rows.size * 4 < rows.size
    distinct = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    pending_size = 0
    for band in range(LSH_BANDS):
        band_keys = keys[:, band]
        if few_new:
            considered = _sharing_a_key(band_keys, band_keys[new_rows])
            order = considered[np.argsort(band_keys[considered], kind="stable")]
        else:
            order = np.argsort(band_keys, kind="stable")
        sorted_keys = band_keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, sorted_keys.size])
        new_in_bucket = np.add.reduceat(is_new[rows[order]].astype(np.int64), starts)
        shared = (sizes > 1) & (new_in_bucket > 0)
        for size in np.unique(sizes[shared]).tolist():
            bucket_starts = starts[shared & (sizes == size)]
            members = rows[order[bucket_starts[:, None] + np.arange(size)]]
            codes = _bucket_pairs(members, is_new)
            if keep is not None:
                codes = np.concatenate([part[keep(part >> 32, part & 0xFFFFFFFF)]
                                        for part in np.array_split(codes, max(1, codes.size // _PAIR_CHUNK))])
            pending.append(codes)
            pending_size += codes.size
        if pending_size > max(16 * _PAIR_CHUNK, distinct.size):  # a pair recurs in many bands: fold, amortized
            distinct = _distinct(np.concatenate([distinct, *pending]))
            pending, pending_size = [], 0
    codes = _distinct(np.concatenate([distinct, *pending]))
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)


def near_copy_pairs(matrix: np.ndarray, present: np.ndarray, is_new: np.ndarray,
                    shingles_of: Callable[[Sequence[int]], dict[int, np.ndarray]]) -> list[tuple[int, int]]:
    """Pairs of rows (i < j, at least one new) that are near-copies (see the module docstring).

    shingles_of(rows) returns the shingle sets of those rows; it is called once, for the rows
    of candidate pairs whose estimated Jaccard makes a near-copy possible."""
    min_matches = math.ceil(MIN_ESTIMATED_JACCARD * NUM_PERM)  # the estimate is matches / NUM_PERM

    def estimate_reaches(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return np.count_nonzero(matrix[i] == matrix[j], axis=1) >= min_matches

    likely_pairs = candidate_pairs(matrix, present, is_new, keep=estimate_reaches)
    sets = shingles_of(np.unique(likely_pairs).tolist())
    return [(int(i), int(j)) for i, j in likely_pairs.tolist() if _overlap(sets[i], sets[j]) >= NEAR_COPY_THRESHOLD]


def roots(ordered_ids: Sequence[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each near-copy's root: ordered_ids is earliest first; a document joins the root of the
    earliest earlier document it is a near-copy of. Originals are not in the result."""
    rank = {a: r for r, a in enumerate(ordered_ids)}
    earliest_match: dict[int, int] = {}
    for a, b in pairs:
        if a in rank and b in rank and a != b:
            early, late = sorted((rank[a], rank[b]))
            earliest_match[late] = min(early, earliest_match.get(late, early))
    root_of = list(range(len(ordered_ids)))
    result: dict[str, str] = {}
    for late in sorted(earliest_match):
        root_of[late] = root_of[earliest_match[late]]
        result[ordered_ids[late]] = ordered_ids[root_of[late]]
    return result


def near_copy_roots(ids: Sequence[str], published: Sequence[date | None], paths: Sequence[str],
                    signatures: Sequence[bytes | None], shingles_of: Callable[[Sequence[str]], dict[str, np.ndarray]],
                    compared: Collection[str] = frozenset(),
                    known_pairs: Iterable[tuple[str, str]] = ()) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Roots of distinct articles, and every near-copy pair among them.

    Articles in `compared` were already compared with one another, and `known_pairs` holds the
    pairs found then: only pairs with at least one other article are compared now. shingles_of
    maps article ids to their shingle sets; it is called once, for likely near-copies only."""
    order = sorted(range(len(ids)), key=lambda i: earliest_key(published[i], paths[i], ids[i]))
    ordered = [ids[i] for i in order]
    matrix, present = signature_matrix([signatures[i] for i in order])
    is_new = np.array([a not in compared for a in ordered], dtype=bool)

    def rows_shingles(rows: Sequence[int]) -> dict[int, np.ndarray]:
        sets = shingles_of([ordered[r] for r in rows])
        return {r: sets[ordered[r]] for r in rows}

    live = set(ordered)
    pairs = {(a, b) for a, b in known_pairs if a in live and b in live}
    pairs |= {(ordered[i], ordered[j]) for i, j in near_copy_pairs(matrix, present, is_new, rows_shingles)}
    pairs_sorted = sorted(pairs)
    return roots(ordered, pairs_sorted), pairs_sorted


def find_near_copies(docs: Sequence[NearCopyDoc]) -> dict[str, str]:
    """Map each near-copy's article_id to the article_id of the earliest copy (its root).

    Originals (documents that copy no earlier document) are not in the result. See the
    module docstring for the method, `NEAR_COPY_THRESHOLD` for the decision rule.
    """
    unique: dict[str, NearCopyDoc] = {}
    for doc in sorted(docs, key=lambda d: earliest_key(d.published_date, d.source_path, d.article_id)):
        unique.setdefault(doc.article_id, doc)
    ordered = list(unique.values())
    found, _pairs = near_copy_roots(
        [d.article_id for d in ordered], [d.published_date for d in ordered], [d.source_path for d in ordered],
        [signature(d.body) for d in ordered], lambda ids: {a: shingles(unique[a].body) for a in ids})
    return found
