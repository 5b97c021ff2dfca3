"""Near-copy detection: syndicated wire stories and reposts of one article.

A repost keeps most of the original's running text while changing what surrounds it: a
new headline, a site's boilerplate before and after, a paragraph added, a paragraph cut
(wire copy is often trimmed from the bottom). Such a copy is not an independent source,
so the `articles` table marks it with `duplicate_of` and event counts take it once.

Method
------
1. Shingles. Each body is NFKC-normalized, case-folded and split into word tokens
   (`\\w+`); its shingles are the set of overlapping word 5-grams (`SHINGLE_WORDS`),
   each hashed to 64 bits (blake2b per word, then a fixed polynomial mix), so the same
   text gives the same set on every machine and Python process.
2. Candidates (sub-quadratic). A MinHash of 128 permutations (`NUM_PERM`, fixed seed
   `MINHASH_SEED`, datasketch's affine32 scheme) goes into a MinHash LSH index with 64
   bands of 2 rows (`LSH_BANDS`, `LSH_ROWS`): a pair with Jaccard similarity J shares a
   band with probability 1 - (1 - J^2)^64, which is >= 0.997 for J >= 0.3 and about 0.15
   for J = 0.05. Only pairs sharing a band are compared.
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
   least one half (J >= 0.3) is found with probability >= 0.997. Candidates whose
   MinHash-estimated Jaccard is under `MIN_ESTIMATED_JACCARD` (three standard errors
   below 0.3) skip the exact check, which would otherwise dominate on corpora full of
   shared phrasing. The seeds are fixed, so the same documents always give the same answer.
4. Roots. Documents are ordered "earliest first": by `published_date` (unknown dates
   last), then `source_path`, then `article_id`. Each document, in that order, is a
   near-copy of the earliest earlier document it passes the check with, and points at
   that document's root. So a chain of copies (B copies A, C copies B but has drifted
   too far from A) all point at the same root A, a root never points anywhere, and a
   roundup that contains two unrelated wire stories joins the earlier one without
   making the two stories copies of each other.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from datasketch import MinHash, MinHashLSH

NEAR_COPY_THRESHOLD: float = 0.7
"""Minimum overlap coefficient of word 5-shingle sets for two bodies to be near-copies."""

SHINGLE_WORDS = 5
MIN_SHINGLES = 25
NUM_PERM = 128
MINHASH_SEED = 20250131
# A near-copy (overlap >= 0.7, size ratio >= 1/2) has Jaccard >= 0.7 / 2.3 = 0.30; with 128
# permutations the estimate's standard error there is 0.04, so 0.18 is three errors below.
MIN_ESTIMATED_JACCARD = 0.18
LSH_BANDS = 64
LSH_ROWS = 2

_WORD = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1
# Odd 64-bit multipliers, one per position in a shingle (fixed: part of the id of a shingle).
_POSITION_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)
assert len(_POSITION_MULTIPLIERS) == SHINGLE_WORDS


@dataclass(frozen=True)
class NearCopyDoc:
    article_id: str
    body: str
    published_date: date | None
    source_path: str


def _earliest_key(doc: NearCopyDoc) -> tuple[bool, date, str, str]:
    return (doc.published_date is None, doc.published_date or date.min, doc.source_path, doc.article_id)


class _Shingler:
    """Hashes word 5-grams to uint64; caches word hashes across documents."""

    def __init__(self) -> None:
        self._word_hash: dict[str, int] = {}

    def shingles(self, body: str) -> np.ndarray:
        """Sorted unique uint64 hashes of the body's word 5-grams (one shingle if shorter)."""
        words = _WORD.findall(unicodedata.normalize("NFKC", body).casefold())
        if not words:
            return np.empty(0, dtype=np.uint64)
        cache = self._word_hash
        for word in set(words).difference(cache):
            cache[word] = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        hashes = np.array([cache[w] for w in words], dtype=np.uint64)
        k = min(SHINGLE_WORDS, len(hashes))
        n = len(hashes) - k + 1
        combined = np.zeros(n, dtype=np.uint64)
        for position in range(k):
            combined ^= hashes[position : position + n] * _POSITION_MULTIPLIERS[position]
            combined = (combined << np.uint64(7)) | (combined >> np.uint64(57))
        return np.unique(combined)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / max(min(a.size, b.size), MIN_SHINGLES)


def find_near_copies(docs: Sequence[NearCopyDoc]) -> dict[str, str]:
    """Map each near-copy's article_id to the article_id of the earliest copy (its root).

    Originals (documents that copy no earlier document) are not in the result. See the
    module docstring for the method, `NEAR_COPY_THRESHOLD` for the decision rule.
    """
    unique: dict[str, NearCopyDoc] = {}
    for doc in sorted(docs, key=_earliest_key):
        unique.setdefault(doc.article_id, doc)
    ordered = list(unique.values())
    if len(ordered) < 2:
        return {}

    shingler = _Shingler()
    template = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme="affine32")
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
    sets: list[np.ndarray] = []
    sketches: list[MinHash | None] = []
    for rank, doc in enumerate(ordered):
        shingle_set = shingler.shingles(doc.body)
        sets.append(shingle_set)
        if shingle_set.size == 0:
            sketches.append(None)
            continue
        sketch = MinHash(
            num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=int,
            permutations=template.permutations, scheme="affine32",
        )
        # The low 32 bits of the 64-bit shingle hash feed the 32-bit MinHash scheme.
        sketch.update_batch((shingle_set & np.uint64(0xFFFFFFFF)).tolist())
        sketches.append(sketch)
        lsh.insert(rank, sketch, check_duplication=False)

    signatures = np.stack([s.hashvalues if s is not None else np.zeros(NUM_PERM, dtype=np.uint64) for s in sketches])
    root_of: list[int] = list(range(len(ordered)))
    result: dict[str, str] = {}
    for rank, sketch in enumerate(sketches):
        if sketch is None:
            continue
        earlier = np.array(sorted(other for other in lsh.query(sketch) if other < rank), dtype=np.int64)
        if earlier.size:
            # Estimated Jaccard from the signatures, all candidates at once: pairs far below what
            # any near-copy reaches skip the exact check (see MIN_ESTIMATED_JACCARD).
            estimate = (signatures[earlier] == signatures[rank]).mean(axis=1)
            earlier = earlier[estimate >= MIN_ESTIMATED_JACCARD]
        for other in earlier.tolist():
            if _overlap(sets[rank], sets[other]) >= NEAR_COPY_THRESHOLD:
                root = root_of[other]
                root_of[rank] = root
                result[ordered[rank].article_id] = ordered[root].article_id
                break
    return result
