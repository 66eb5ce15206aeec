"""Unicode character classes as code-point ranges, built from `unicodedata`.

HF `tokenizers` compiles its regexes with Oniguruma, where `\\p{L}`, `\\s`, `\\w`
and `\\d` are Unicode-aware. Python's `re` has no `\\p{..}` and its `\\s` and
`\\w` differ from Oniguruma's (e.g. Python's `\\s` also matches U+001C..U+001F),
so the regex translator spells every such class out as explicit ranges.
"""

from __future__ import annotations

import unicodedata

from .errors import TokenizerError

Ranges = tuple[tuple[int, int], ...]

MAX_CODE_POINT = 0x10FFFF

# The Unicode White_Space property: what Oniguruma's `\s` and Rust's
# `char::is_whitespace` both match.
WHITESPACE_RANGES: Ranges = (
    (0x09, 0x0D), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680),
    (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F),
    (0x3000, 0x3000),
)
WHITESPACE_CHARS = frozenset(chr(c) for lo, hi in WHITESPACE_RANGES for c in range(lo, hi + 1))

# Long property names Oniguruma accepts for the general categories we support.
_LONG_CATEGORY_NAMES = {
    "Letter": "L", "Mark": "M", "Number": "N", "Punctuation": "P",
    "Symbol": "S", "Separator": "Z", "Other": "C",
    "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Decimal_Number": "Nd",
}

_ranges_by_category: dict[str, list[tuple[int, int]]] | None = None


def _build_category_ranges() -> dict[str, list[tuple[int, int]]]:
    """One pass over all code points (~0.1 s), grouped into runs per 2-letter category."""
    by_category: dict[str, list[tuple[int, int]]] = {}
    category_of = unicodedata.category
    run_start, run_category = 0, category_of("\x00")
    for code in range(1, MAX_CODE_POINT + 2):
        category = category_of(chr(code)) if code <= MAX_CODE_POINT else None
        if category != run_category:
            by_category.setdefault(run_category, []).append((run_start, code - 1))
            run_start, run_category = code, category
    return by_category


def category_ranges(name: str) -> Ranges:
    """Ranges of a general category given as `L`, `Lu`, `Letter`, ... (cached)."""
    global _ranges_by_category
    if _ranges_by_category is None:
        _ranges_by_category = _build_category_ranges()
    short = _LONG_CATEGORY_NAMES.get(name, name)
    valid = len(short) in (1, 2) and short[0] in "LMNPSZC"
    matching = [cat for cat in _ranges_by_category if cat.startswith(short)] if valid else []
    if not matching:
        raise TokenizerError(
            f"unsupported Unicode property \\p{{{name}}} in a tokenizer regex; supported: "
            "general categories such as L, Lu, Ll, N, Nd, P, S, Z, M, C (or their long names)"
        )
    return merge_ranges(r for cat in matching for r in _ranges_by_category[cat])


def merge_ranges(ranges) -> Ranges:
    """Sort and coalesce overlapping or adjacent ranges."""
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def complement_ranges(ranges: Ranges) -> Ranges:
    """All code points not in `ranges` (which must be merged)."""
    result, next_start = [], 0
    for lo, hi in ranges:
        if lo > next_start:
            result.append((next_start, lo - 1))
        next_start = hi + 1
    if next_start <= MAX_CODE_POINT:
        result.append((next_start, MAX_CODE_POINT))
    return tuple(result)


def oniguruma_word_ranges() -> Ranges:
    """Oniguruma's Unicode `\\w`: Letter | Mark | Decimal_Number | Connector_Punctuation."""
    return merge_ranges(
        category_ranges("L") + category_ranges("M") + category_ranges("Nd") + category_ranges("Pc")
    )


def is_word_character(char: str) -> bool:
    """What HF's added-token `single_word` check treats as part of a word."""
    return char.isalnum() or char == "_"
