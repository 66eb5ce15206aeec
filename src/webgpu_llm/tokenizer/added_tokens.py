"""Added and special tokens: found in the text before pre-tokenization.

Mirrors HF `tokenizers` `tokenizer/added_vocabulary.rs`: tokens with
`normalized: false` are matched in the raw text, the rest in the normalized
text of what remains; among tokens starting at the same place the longest
wins (aho-corasick LeftmostLongest); `single_word` skips a match glued to a
word char; `lstrip`/`rstrip` swallow the whitespace beside the match.

`literal_spans` are character ranges where special tokens are not matched
(HF's `encode_special_tokens`, for just those ranges): text a user wrote,
whose `<|im_end|>` must stay the characters it spells. A special token that
only overlaps such a range is not matched either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .unicode_classes import WHITESPACE_CHARS, is_word_character


@dataclass(frozen=True, slots=True)
class AddedToken:
    id: int
    content: str
    single_word: bool = False
    lstrip: bool = False
    rstrip: bool = False
    normalized: bool = True
    special: bool = False

    @classmethod
    def from_spec(cls, spec: dict) -> "AddedToken":
        return cls(id=spec["id"], content=spec["content"], single_word=spec.get("single_word", False),
                   lstrip=spec.get("lstrip", False), rstrip=spec.get("rstrip", False),
                   normalized=spec.get("normalized", not spec.get("special", False)),
                   special=spec.get("special", False))


# (token id or None for plain text, text, starts at offset 0 of the input)
Segment = tuple[int | None, str, bool]
Spans = tuple[tuple[int, int], ...]  # (start, stop) character ranges


class AddedTokenMatcher:
    """Finds one group of added tokens (all normalized, or all not) in a string."""

    def __init__(self, tokens_by_pattern: dict[str, AddedToken]):
        self._tokens_by_pattern = tokens_by_pattern
        self._pattern = _alternation(tokens_by_pattern)
        self._plain_pattern = _alternation({k: t for k, t in tokens_by_pattern.items() if not t.special})

    def split(self, text: str, at_input_start: bool, literal_spans: Spans = ()) -> list[Segment]:
        if self._pattern is None or not text:
            return [(None, text, at_input_start)]
        segments: list[Segment] = []
        consumed = position = 0
        while (match := self._pattern.search(text, position)) is not None:
            token = self._tokens_by_pattern[match.group()]
            if token.special and _overlaps(literal_spans, *match.span()):
                rejected_at = match.start()
                match = self._plain_pattern.match(text, rejected_at) if self._plain_pattern else None
                if match is None:
                    position = rejected_at + 1
                    continue
                token = self._tokens_by_pattern[match.group()]
            start, stop = match.span()
            position = stop
            if token.single_word and not _stands_alone(text, start, stop):
                continue
            if token.lstrip:
                start = max(_start_of_trailing_whitespace(text, start), consumed)
            if token.rstrip:
                stop = _end_of_leading_whitespace(text, stop)
            if start > consumed:
                segments.append((None, text[consumed:start], at_input_start and consumed == 0))
            segments.append((token.id, text[start:stop], at_input_start and start == 0))
            consumed = stop
        if consumed < len(text):
            segments.append((None, text[consumed:], at_input_start and consumed == 0))
        return segments


def _alternation(tokens_by_pattern: dict[str, AddedToken]) -> re.Pattern | None:
    # Longest first: with leftmost-first alternation this is leftmost-longest.
    alternatives = sorted(tokens_by_pattern, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives))) if alternatives else None


def _overlaps(spans: Spans, start: int, stop: int) -> bool:
    return any(a < stop and start < b for a, b in spans)


def _stands_alone(text: str, start: int, stop: int) -> bool:
    before_ok = start == 0 or not is_word_character(text[start - 1])
    after_ok = stop == len(text) or not is_word_character(text[stop])
    return before_ok and after_ok


def _start_of_trailing_whitespace(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in WHITESPACE_CHARS:
        end -= 1
    return end


def _end_of_leading_whitespace(text: str, start: int) -> int:
    while start < len(text) and text[start] in WHITESPACE_CHARS:
        start += 1
    return start
