"""Caseless patterns must match exactly what the same pattern with re.IGNORECASE matches."""
import re

import pytest

from deportdata.extract.caseless import caseless, lower_literals
from deportdata.extract.features import DEPORT_RE, _ORIGIN_CUE
from deportdata.extract.rules import FLIGHT_STATUS, RESPONSE_ANY

TEXTS = [
    "ICE Deported 64 Ecuadorians FROM the U.S. on Tuesday.",
    "Two C-17s were TURNED AWAY by Colombia\u2019s government.",
    "İstanbul officials said the flight from Türkiye landed.",  # 'İ'.lower() is two characters
    "The KELVIN sign \u212a and the long s \u017f fold to k and s.",
    "No match here at all.",
    "",
]


def test_escapes_keep_their_meaning():
    assert lower_literals(r"\W\S\D\B[A-Z]Foo\.") == r"\W\S\D\B[a-z]foo\."


@pytest.mark.parametrize("source", [DEPORT_RE.pattern, _ORIGIN_CUE.pattern, RESPONSE_ANY.pattern,
                                    *(p.pattern for _, p in FLIGHT_STATUS), r"\W+(?:from|out of)\S*\b[A-Z]"])
@pytest.mark.parametrize("text", TEXTS)
def test_same_spans_as_ignorecase(source, text):
    folded = re.compile(source, re.I)
    pattern = caseless(source)
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in folded.finditer(text)]
    for method in ("search", "match", "fullmatch"):
        ours, theirs = getattr(pattern, method)(text), getattr(folded, method)(text)
        assert (ours and ours.span()) == (theirs and theirs.span())
