"""Pre-tokenizers from tokenizer.json, each a `list[Piece] -> list[Piece]` function.

A piece is `(text, at_input_start)`: HF's Metaspace `prepend_scheme: "first"`
needs to know whether a piece begins at offset 0 of the original input
(`normalized.offsets_original().0 == 0` in HF), and nothing else needs offsets.
Every pre-tokenizer acts on each piece separately, as HF's
`PreTokenizedString::split` does (so e.g. ByteLevel's `add_prefix_space`
applies to every piece that an earlier pre-tokenizer produced).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from .byte_level import GPT2_SPLIT_PATTERN, bytes_to_byte_level
from .errors import TokenizerError
from .onig_regex import compile_oniguruma
from .split_behaviour import apply_behaviour, predicate_segments, regex_segments
from .unicode_classes import WHITESPACE_CHARS

Piece = tuple[str, bool]
PreTokenizer = Callable[[list[Piece]], list[Piece]]
SpanFinder = Callable[[str], list[tuple[int, int]]]

SUPPORTED_PRE_TOKENIZERS = ("Sequence", "ByteLevel", "Split", "Digits", "Metaspace", "WhitespaceSplit")


def _split_each(pieces: list[Piece], find_spans: SpanFinder) -> list[Piece]:
    result: list[Piece] = []
    for text, at_start in pieces:
        for start, end in find_spans(text):
            result.append((text[start:end], at_start and start == 0))
    return result


def _regex_splitter(pattern, behaviour: str, invert: bool = False) -> PreTokenizer:
    def find_spans(text: str) -> list[tuple[int, int]]:
        return apply_behaviour(regex_segments(pattern, text), behaviour, invert)

    return lambda pieces: _split_each(pieces, find_spans)


def _split(spec: dict) -> PreTokenizer:
    pattern_spec = spec["pattern"]
    if "Regex" in pattern_spec:
        pattern = compile_oniguruma(pattern_spec["Regex"])
    elif "String" in pattern_spec:
        pattern = re.compile(re.escape(pattern_spec["String"]))
    else:
        raise TokenizerError(f"Split pattern {pattern_spec!r} is not supported; expected {{'String'|'Regex': ..}}")
    return _regex_splitter(pattern, spec["behavior"], spec.get("invert", False))


def _byte_level(spec: dict) -> PreTokenizer:
    """HF `ByteLevel`: optional prefix space, optional GPT-2 regex split, then byte mapping."""
    add_prefix_space = spec.get("add_prefix_space", True)
    splitter = _regex_splitter(compile_oniguruma(GPT2_SPLIT_PATTERN), "Isolated") if spec.get("use_regex", True) else None

    def pre_tokenize(pieces: list[Piece]) -> list[Piece]:
        if add_prefix_space:
            pieces = [(text if text.startswith(" ") else " " + text, at_start) for text, at_start in pieces]
        if splitter is not None:
            pieces = splitter(pieces)
        return [(bytes_to_byte_level(text), at_start) for text, at_start in pieces]

    return pre_tokenize


def _digits(spec: dict) -> PreTokenizer:
    # HF uses Rust's `char::is_numeric`: general category N (Nd, Nl, No). Not
    # str.isnumeric, which is also true for CJK numerals such as U+4E00.
    behaviour = "Isolated" if spec.get("individual_digits", False) else "Contiguous"

    def find_spans(text: str) -> list[tuple[int, int]]:
        return apply_behaviour(predicate_segments(_is_numeric, text), behaviour)

    return lambda pieces: _split_each(pieces, find_spans)


def _is_numeric(char: str) -> bool:
    return unicodedata.category(char)[0] == "N"


def _metaspace(spec: dict) -> PreTokenizer:
    """HF `Metaspace`: spaces become the replacement char, optional prefix, split before it."""
    replacement = spec.get("replacement", "▁")
    scheme = spec.get("prepend_scheme")
    if scheme is None:  # older files carry `add_prefix_space` instead
        scheme = "always" if spec.get("add_prefix_space", True) else "never"
    if scheme not in ("always", "first", "never"):
        raise TokenizerError(f"Metaspace prepend_scheme {scheme!r} is not supported; supported: always, first, never")
    split = spec.get("split", True)

    def find_spans(text: str) -> list[tuple[int, int]]:
        segments = predicate_segments(lambda char: char == replacement, text)
        return apply_behaviour(segments, "MergedWithNext")

    def pre_tokenize(pieces: list[Piece]) -> list[Piece]:
        replaced = []
        for text, at_start in pieces:
            text = text.replace(" ", replacement)
            wants_prefix = scheme == "always" or (scheme == "first" and at_start)
            if wants_prefix and not text.startswith(replacement):
                text = replacement + text
            replaced.append((text, at_start))
        return _split_each(replaced, find_spans) if split else replaced

    return pre_tokenize


def _whitespace_split(_spec: dict) -> PreTokenizer:
    def find_spans(text: str) -> list[tuple[int, int]]:
        segments = predicate_segments(lambda char: char in WHITESPACE_CHARS, text)
        return apply_behaviour(segments, "Removed")

    return lambda pieces: _split_each(pieces, find_spans)


def _sequence(parts: list[PreTokenizer]) -> PreTokenizer:
    def run_all(pieces: list[Piece]) -> list[Piece]:
        for part in parts:
            pieces = part(pieces)
        return pieces

    return run_all


_BUILDERS = {"ByteLevel": _byte_level, "Split": _split, "Digits": _digits, "Metaspace": _metaspace,
             "WhitespaceSplit": _whitespace_split}


def build_pre_tokenizer(spec: dict | None) -> PreTokenizer | None:
    """The pre-tokenizer a tokenizer.json `pre_tokenizer` entry describes (None for none)."""
    if spec is None:
        return None
    kind = spec.get("type")
    if kind == "Sequence":
        return _sequence([part for part in map(build_pre_tokenizer, spec["pretokenizers"]) if part is not None])
    if kind in _BUILDERS:
        return _BUILDERS[kind](spec)
    raise TokenizerError(
        f"pre-tokenizer type {kind!r} is not supported; supported: {', '.join(SUPPORTED_PRE_TOKENIZERS)}"
    )
