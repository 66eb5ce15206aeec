"""Translate the Oniguruma regexes used in tokenizer.json into Python `re`.

HF `tokenizers` runs `Split` and `ByteLevel` patterns with Oniguruma. Both
Oniguruma and Python's `re` are backtracking engines with leftmost-first
alternation, so the same pattern finds the same matches once the Unicode
classes mean the same thing. The translator therefore only rewrites escapes:
`\\p{..}`/`\\P{..}`, `\\s`/`\\S`, `\\w`/`\\W`, `\\d`/`\\D` become explicit code-point
ranges and `\\x{HHHH}` becomes `\\UHHHHHHHH`. Everything else (groups, `(?i:..)`,
lookahead, quantifiers, possessive/atomic forms) is passed through, since
Python 3.11 supports them with the same meaning.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import TokenizerError
from .unicode_classes import (
    WHITESPACE_RANGES,
    Ranges,
    category_ranges,
    complement_ranges,
    oniguruma_word_ranges,
)


def _escape_code_point(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def ranges_to_class_body(ranges: Ranges) -> str:
    """Ranges as the inside of a `[...]` class, every code point escaped."""
    parts = []
    for lo, hi in ranges:
        parts.append(_escape_code_point(lo) if lo == hi else f"{_escape_code_point(lo)}-{_escape_code_point(hi)}")
    return "".join(parts)


def _class_escape_ranges(pattern: str, index: int) -> tuple[Ranges | None, int]:
    """If `pattern[index]` starts a class escape (after the backslash), its ranges and end index."""
    letter = pattern[index]
    if letter in "pP":
        if index + 1 < len(pattern) and pattern[index + 1] == "{":
            close = pattern.find("}", index)
            if close < 0:
                raise TokenizerError(f"unterminated \\p{{ in tokenizer regex {pattern!r}")
            name, end = pattern[index + 2 : close], close + 1
        else:
            name, end = pattern[index + 1 : index + 2], index + 2
        negated = (letter == "P") != name.startswith("^")
        ranges = category_ranges(name.lstrip("^"))
        return (complement_ranges(ranges) if negated else ranges), end
    if letter in "sSwWdD":
        if letter.lower() == "s":
            ranges = WHITESPACE_RANGES
        elif letter.lower() == "w":
            ranges = oniguruma_word_ranges()
        else:
            ranges = category_ranges("Nd")
        return (complement_ranges(ranges) if letter.isupper() else ranges), index + 1
    return None, index


def _hex_escape(pattern: str, index: int) -> tuple[str | None, int]:
    """Oniguruma's `\\x{HHHH}` (after the backslash) as a Python escape."""
    if pattern.startswith("x{", index):
        close = pattern.find("}", index)
        return _escape_code_point(int(pattern[index + 2 : close], 16)), close + 1
    return None, index


def translate_oniguruma(pattern: str) -> str:
    """The Python `re` spelling of an Oniguruma pattern from tokenizer.json."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            ranges, end = _class_escape_ranges(pattern, index + 1)
            if ranges is not None:
                body = ranges_to_class_body(ranges)
                out.append(body if in_class else f"[{body}]")
                index = end
                continue
            hex_form, end = _hex_escape(pattern, index + 1)
            if hex_form is not None:
                out.append(hex_form)
                index = end
                continue
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            if in_class:
                raise TokenizerError(
                    f"nested character classes are not supported in tokenizer regex {pattern!r}; "
                    "supported: flat classes with \\p{..}, \\s, \\w, \\d escapes"
                )
            in_class = True
            out.append(char)
            # A `]` right after `[` or `[^` is a literal in both engines.
            if pattern.startswith("^", index + 1):
                out.append("^")
                index += 1
            if pattern.startswith("]", index + 1):
                out.append("\\]")
                index += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        else:
            out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=64)
def compile_oniguruma(pattern: str) -> re.Pattern[str]:
    """Compile (once per pattern) an Oniguruma pattern as an equivalent Python regex."""
    translated = translate_oniguruma(pattern)
    try:
        return re.compile(translated)
    except re.error as error:
        raise TokenizerError(f"cannot translate tokenizer regex {pattern!r} to Python re: {error}") from error
