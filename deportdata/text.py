"""Body-text normalization shared by every stage that needs character offsets.

The normalized body is the reference text of the dataset: article ids hash it and
mention offsets (`char_start`, `char_end`) index into it, so its rules must never
depend on where the text came from (file name, line wrapping, Unicode form).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class NormalizedText:
    body: str
    paragraph_starts: tuple[int, ...]


def normalize_text(raw: str) -> NormalizedText:
    """NFC, collapse each whitespace run to one space, keep where paragraphs began.

    A paragraph is a non-blank line of `raw`. Lines are normalized one by one and
    joined with a single space, so the offsets of paragraph starts survive the
    collapsing that would otherwise erase the line breaks.
    """
    parts: list[str] = []
    starts: list[int] = []
    position = 0
    for line in unicodedata.normalize("NFC", raw).splitlines():
        # str.split() without arguments splits on every Unicode whitespace run
        # (NBSP, thin space, ideographic space ...), which is what "collapsed" means.
        collapsed = " ".join(line.split())
        if not collapsed:
            continue
        if parts:
            position += 1  # the joining space
        starts.append(position)
        parts.append(collapsed)
        position += len(collapsed)
    return NormalizedText(body=" ".join(parts), paragraph_starts=tuple(starts))


def article_id(body: str) -> str:
    """Content address of a normalized body: same text, same id, whatever the file."""
    return "a_" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


# One match per whitespace token that holds a letter or digit ([^\W_] is str.isalnum per
# character): from its first alphanumeric character, \S* eats the rest of the token.
_ALNUM_TOKEN = re.compile(r"[^\W_]\S*")


def count_words(body: str) -> int:
    """Whitespace tokens with at least one letter or digit, so dashes and bullets do not count."""
    return len(_ALNUM_TOKEN.findall(body))
