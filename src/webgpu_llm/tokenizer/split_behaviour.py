"""HF's `SplitDelimiterBehavior`, applied to a string and the spans a pattern matched.

Mirrors `NormalizedString::split` and the `Pattern::find_matches`
implementations in HF `tokenizers` (`tokenizer/normalizer.rs`, `tokenizer/pattern.rs`).
"""

from __future__ import annotations

import re
from typing import Callable

from .errors import TokenizerError

# (start, end, is_match) covering the whole string, in order.
Segments = list[tuple[int, int, bool]]

SPLIT_BEHAVIOURS = ("Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous")


def regex_segments(pattern: re.Pattern[str], text: str) -> Segments:
    """Matches of `pattern` and the gaps between them (HF: `impl Pattern for &Regex`)."""
    if not text:
        return [(0, 0, False)]
    segments: Segments = []
    previous_end = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if start != previous_end:
            segments.append((previous_end, start, False))
        segments.append((start, end, True))
        previous_end = end
    if previous_end != len(text):
        segments.append((previous_end, len(text), False))
    return segments


def predicate_segments(is_delimiter: Callable[[str], bool], text: str) -> Segments:
    """Every char satisfying the predicate is its own match (HF: `impl Pattern for Fn(char) -> bool`)."""
    segments: Segments = []
    previous_end = 0
    for index, char in enumerate(text):
        if is_delimiter(char):
            if previous_end < index:
                segments.append((previous_end, index, False))
            segments.append((index, index + 1, True))
            previous_end = index + 1
    if previous_end < len(text):
        segments.append((previous_end, len(text), False))
    return segments


def _merge_with_previous(segments: Segments) -> list[tuple[int, int, bool]]:
    merged: list[list] = []
    previous_match = False
    for start, end, is_match in segments:
        if is_match and not previous_match and merged:
            merged[-1][1] = end
        else:
            merged.append([start, end, False])
        previous_match = is_match
    return [tuple(span) for span in merged]


def _merge_with_next(segments: Segments) -> list[tuple[int, int, bool]]:
    merged: list[list] = []
    previous_match = False
    for start, end, is_match in reversed(segments):
        if is_match and not previous_match and merged:
            merged[-1][0] = start
        else:
            merged.append([start, end, False])
        previous_match = is_match
    return [tuple(span) for span in reversed(merged)]


def _contiguous(segments: Segments) -> list[tuple[int, int, bool]]:
    merged: list[list] = []
    previous_match = False
    for start, end, is_match in segments:
        if is_match == previous_match and merged:
            merged[-1][1] = end
        else:
            merged.append([start, end, False])
        previous_match = is_match
    return [tuple(span) for span in merged]


def apply_behaviour(segments: Segments, behaviour: str, invert: bool = False) -> list[tuple[int, int]]:
    """Spans to keep, after HF's delimiter behaviour; empty spans are dropped as HF does."""
    if invert:
        segments = [(start, end, not is_match) for start, end, is_match in segments]
    if behaviour == "Isolated":
        kept = [(start, end, False) for start, end, _ in segments]
    elif behaviour == "Removed":
        kept = segments
    elif behaviour == "Contiguous":
        kept = _contiguous(segments)
    elif behaviour == "MergedWithPrevious":
        kept = _merge_with_previous(segments)
    elif behaviour == "MergedWithNext":
        kept = _merge_with_next(segments)
    else:
        raise TokenizerError(f"split behavior {behaviour!r} is not supported; supported: {', '.join(SPLIT_BEHAVIOURS)}")
    return [(start, end) for start, end, removed in kept if not removed and end > start]
