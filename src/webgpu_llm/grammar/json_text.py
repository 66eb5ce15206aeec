"""JSON text as the grammars write it: string characters, escapes and literal values.

Strings follow llguidance's JSON strings (the native engine, measured with
llguidance 1.9.1 and its default options), so that both engines allow the
same text:
- raw: every Unicode scalar value except `"`, `\\`, the controls U+0000..U+001F
  and DEL U+007F;
- escapes: `\\"`, `\\\\`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t`, and `\\u00XX` for the
  controls and DEL only (either hex case). No `\\/` and no other `\\uXXXX`:
  every other character is written raw.
A character set (a pattern's class, a format) is matched on the decoded
character; its escaped members are written in each form above.

Literal values (enum, const) are written in one form: `json.dumps` with the
fixed separators, controls as their short escape or `\\u00xx`, DEL as `\\u007f`,
integral floats without a fraction (`1.0` as `1`), as llguidance writes them.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

import json
import math
from typing import Any

from .ebnf_text import (Ranges, alternation, chars, difference, intersection, literal, one_of_chars, ranges_of,
                        sequence, union)
from .spec import ITEM_SEPARATOR, KEY_SEPARATOR, GrammarError

CONTROLS: Ranges = ((0x00, 0x1F), (0x7F, 0x7F))
NEEDS_ESCAPE: Ranges = union(CONTROLS, chars('"\\'))
SHORT_ESCAPES = {'"': '"', "\\": "\\", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
_HEX = "0123456789abcdef"


def _hex_digit_class(values: list[int]) -> str:
    """One hex digit of `values` (0..15), in either case."""
    upper = [ord(_HEX[v].upper()) for v in values if v >= 10]
    return one_of_chars(ranges_of([(ord(_HEX[v]), ord(_HEX[v])) for v in values] + [(u, u) for u in upper]))


def _unicode_escapes(codes: list[int]) -> str:
    """`u00XX` for these controls (after the backslash)."""
    by_high: dict[int, list[int]] = {}
    for code in codes:
        by_high.setdefault(code >> 4, []).append(code & 0xF)
    full_low = [high for high, lows in by_high.items() if len(lows) == 16]
    branches = []
    if len(full_low) > 1:  # u00 [01] X: both rows of controls whole
        branches.append(sequence(one_of_chars(chars("".join(_HEX[h] for h in full_low))), _hex_digit_class(
            list(range(16)))))
    for high, lows in by_high.items():
        if len(full_low) > 1 and high in full_low:
            continue
        branches.append(sequence(literal(_HEX[high]), _hex_digit_class(lows)))
    return sequence(literal("u00"), alternation(branches))


def escape_forms(ranges: Ranges) -> str:
    """After a backslash: the escapes of the characters of `ranges` that must be escaped ('' if none)."""
    escaped = intersection(ranges, NEEDS_ESCAPE)
    codes = [code for lo, hi in escaped for code in range(lo, hi + 1)]
    if not codes:
        return ""
    letters = [SHORT_ESCAPES[chr(c)] for c in codes if chr(c) in SHORT_ESCAPES]
    controls = [c for c in codes if chr(c) not in '"\\']
    branches = [one_of_chars(chars("".join(letters)))] if letters else []
    if controls:
        branches.append(_unicode_escapes(controls))
    return alternation(branches)


def string_char(ranges: Ranges) -> str:
    """One decoded character of `ranges` as JSON string text: raw, or escaped where it must be."""
    raw = difference(ranges, NEEDS_ESCAPE)
    escapes = escape_forms(ranges)
    branches = [one_of_chars(raw)] if raw else []
    if escapes:
        branches.append(sequence(literal("\\"), escapes))
    if not branches:
        raise GrammarError("a character set in the schema matches no character")
    return alternation(branches)


def encode_string(text: str) -> str:
    """`text` as the one JSON string literal both engines write for it (module docstring)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise GrammarError(f"the string {text!r} holds a lone surrogate (U+{code:04X}), which no JSON "
                               "text the model writes can hold")
        if char in SHORT_ESCAPES:
            out.append("\\" + SHORT_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def encode_number(value: int | float) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise GrammarError(f"{value!r} is not a JSON number")
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return json.dumps(value)
    return str(value)


def encode_value(value: Any) -> str:
    """A JSON value in the fixed layout (", " and ": ", no other whitespace)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return encode_number(value)
    if isinstance(value, str):
        return encode_string(value)
    if isinstance(value, list):
        return "[" + ITEM_SEPARATOR.join(encode_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ITEM_SEPARATOR.join(encode_string(k) + KEY_SEPARATOR + encode_value(v)
                                         for k, v in value.items()) + "}"
    raise GrammarError(f"{type(value).__name__} is not a JSON value")

