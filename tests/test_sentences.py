"""Sentence boundaries: the rules read one sentence at a time, so a missed boundary merges two
facts and a false one cuts a fact in half."""
from __future__ import annotations

import pytest

from deportdata.extract.sentences import split_sentences


def _sentences(text: str) -> list[str]:
    return [text[s.start:s.end] for s in split_sentences(text, (0,))]


@pytest.mark.parametrize("text, expected", [
    ('Petro wrote in a post on X. "We will not accept them," he said.',
     ['Petro wrote in a post on X.', '"We will not accept them," he said.']),
    ("The plane left the U.S. The flight landed in Bogotá.", ["The plane left the U.S.", "The flight landed in Bogotá."]),
    ("Two U.S. military planes landed.", ["Two U.S. military planes landed."]),
    ("John F. Kennedy Airport was closed. Flights resumed.", ["John F. Kennedy Airport was closed.", "Flights resumed."]),
    ("Mr. Petro refused on Jan. 26 to accept them.", ["Mr. Petro refused on Jan. 26 to accept them."]),
    ("It is Plan B. Officials said so.", ["It is Plan B.", "Officials said so."]),
    ("Did Mexico refuse? It did!", ["Did Mexico refuse?", "It did!"]),
])
def test_sentence_boundaries(text, expected):
    assert _sentences(text) == expected


def test_a_post_on_x_ends_before_any_capitalized_word():
    text = 'The ministry said in a post on X. Church groups raised concerns. Mr. X. Smith agreed.'
    assert _sentences(text) == ["The ministry said in a post on X.", "Church groups raised concerns.",
                                "Mr. X. Smith agreed."]
