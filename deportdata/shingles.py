"""Word shingles and MinHash signatures of article bodies (method: `deportdata.nearcopy`).

Ingest stores each article's signature in its segment, so this module is part of the ingest
cache key and `nearcopy`, which compares signatures, is not: a change to the comparison does
not re-read the raw files."""
from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

SHINGLE_WORDS = 5
SIGNATURE_SHINGLE_WORDS = 9
NUM_PERM = 128
MINHASH_SEED = 20250131
SIGNATURE_BYTES = NUM_PERM * 4

_WORD = re.compile(r"\w+")
# Odd 64-bit multipliers, one per position in a shingle (fixed: part of the id of a shingle).
_POSITION_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD,
     0x94D049BB133111EB, 0xBF58476D1CE4E5B9, 0x85EBCA77C2B2AE63, 0xA0761D6478BD642F],
    dtype=np.uint64,
)
assert len(_POSITION_MULTIPLIERS) >= max(SHINGLE_WORDS, SIGNATURE_SHINGLE_WORDS)


class _WordHashes(dict):
    """word -> 64-bit blake2b hash, computed on first sight. A dict lookup per word instead of a
    function call per word: shingling is most of the ingest time of an article's signature."""

    def __missing__(self, word: str) -> int:
        if len(self) >= _WORD_HASH_CACHE_SIZE:
            self.clear()
        value = self[word] = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        return value


_WORD_HASH_CACHE_SIZE = 1 << 18
_word_hashes = _WordHashes()


def shingles(body: str, words_per_shingle: int = SHINGLE_WORDS) -> np.ndarray:
    """Sorted unique uint64 hashes of the body's word n-grams (one shingle if shorter)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", body).casefold())
    if not words:
        return np.empty(0, dtype=np.uint64)
    hashes = np.fromiter(map(_word_hashes.__getitem__, words), dtype=np.uint64, count=len(words))
    k = min(words_per_shingle, len(hashes))
    n = len(hashes) - k + 1
    combined = np.zeros(n, dtype=np.uint64)
    for position in range(k):
        combined ^= hashes[position : position + n] * _POSITION_MULTIPLIERS[position]
        combined = (combined << np.uint64(7)) | (combined >> np.uint64(57))
    return np.unique(combined)


# datasketch's affine32 scheme, applied to the whole shingle array at once (its update_batch
# takes a Python list): each 32-bit input is pre-mixed with the MurmurHash3 finalizer, then
# permutation k maps it to a_k * h + b_k mod 2^32; the signature is the minimum per permutation.
# Its parameters are drawn here as datasketch draws them (a test checks that the signatures agree),
# since importing datasketch, which imports scipy, took 0.38 s in every process and worker pool.
def _affine32_permutations(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    draw = np.random.RandomState(seed)
    odd_a = draw.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return odd_a, draw.randint(0, 1 << 32, count, dtype=np.uint32)


_PERMUTATION_A, _PERMUTATION_B = _affine32_permutations(MINHASH_SEED, NUM_PERM)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(body: str) -> bytes | None:
    """The MinHash signature (NUM_PERM uint32, little-endian) of the body's 9-grams, None when it
    has no words. Stored with each ingested article, so a run computes it for new articles only."""
    shingle_set = shingles(body, SIGNATURE_SHINGLE_WORDS)
    if shingle_set.size == 0:
        return None
    # The low 32 bits of the 64-bit shingle hash feed the 32-bit scheme.
    mixed = _fmix32((shingle_set & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    permuted = mixed[:, None] * _PERMUTATION_A + _PERMUTATION_B
    return permuted.min(axis=0).astype("<u4").tobytes()
