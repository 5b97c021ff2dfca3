"""Sentence spans of a normalized body, never crossing a paragraph boundary."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int


# Words after which a period rarely ends a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen lt col sgt capt cmdr adm sen rep gov pres st jr sr inc corp co ltd no vs etc approx "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u a.m p.m d.c i.e e.g".split()
)
# After "U.S." a new sentence starts only with a word that usually opens one.
_SENTENCE_OPENERS = frozenset(
    "The A An It He She They We I In On At But And This That These Those Its Their His Her There "
    "When While After Before Since However Meanwhile Officials".split()
)
_BOUNDARY = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9])")


def _ends_sentence(body: str, dot: int, next_word: str) -> bool:
    if body[dot] != ".":
        return True
    word_start = body.rfind(" ", 0, dot) + 1
    word = body[word_start:dot].lstrip("\"“‘(").lower()
    if word in ("u.s", "u.k") or word.endswith(".s"):
        return next_word in _SENTENCE_OPENERS
    if len(word) == 1 and word.isalpha():
        # an initial follows a name ("John F. Kennedy"); "a post on X." ends a sentence
        previous = body[:word_start].rstrip().rsplit(" ", 1)[-1]
        return not previous[:1].isupper() or next_word in _SENTENCE_OPENERS
    return word not in _ABBREVIATIONS


def split_sentences(body: str, paragraph_starts: tuple[int, ...]) -> list[Sentence]:
    bounds = list(paragraph_starts) + [len(body)]
    sentences: list[Sentence] = []
    for index, (p_start, p_end) in enumerate(zip(bounds, bounds[1:])):
        start = p_start
        for m in _BOUNDARY.finditer(body, p_start, p_end):
            rest = body[m.end():p_end].lstrip(" \"“‘([")
            next_word = rest.split(" ", 1)[0]
            if not _ends_sentence(body, m.start(), next_word):
                continue
            sentences.append(Sentence(start, m.end(), index))
            start = m.end() + 1
        end = p_end
        while end > start and body[end - 1] == " ":
            end -= 1
        if end > start:
            sentences.append(Sentence(start, end, index))
    return sentences
