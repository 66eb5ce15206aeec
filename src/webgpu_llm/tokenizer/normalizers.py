"""Normalizers from tokenizer.json, each a plain `str -> str` function.

Offsets are not tracked: the engine needs ids, not alignments.
"""

from __future__ import annotations

import unicodedata
from typing import Callable

from .errors import TokenizerError
from .onig_regex import compile_oniguruma
from .unicode_classes import WHITESPACE_CHARS

Normalizer = Callable[[str], str]

SUPPORTED_NORMALIZERS = ("Sequence", "Prepend", "Replace", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "Strip")
_WHITESPACE = "".join(sorted(WHITESPACE_CHARS))


def replace_function(pattern: dict, content: str) -> Normalizer:
    """HF `Replace`: the pattern is `{"String": ...}` (literal) or `{"Regex": ...}`."""
    if "String" in pattern:
        literal = pattern["String"]
        return lambda text: text.replace(literal, content)
    if "Regex" in pattern:
        compiled = compile_oniguruma(pattern["Regex"])
        return lambda text: compiled.sub(lambda _match: content, text)
    raise TokenizerError(f"Replace pattern {pattern!r} is not supported; expected {{'String': ..}} or {{'Regex': ..}}")


def _prepend(prefix: str) -> Normalizer:
    # HF `Prepend` leaves an empty string empty.
    return lambda text: prefix + text if text else text


def _strip(left: bool, right: bool) -> Normalizer:
    def strip(text: str) -> str:
        if left:
            text = text.lstrip(_WHITESPACE)
        if right:
            text = text.rstrip(_WHITESPACE)
        return text

    return strip


def _sequence(parts: list[Normalizer]) -> Normalizer:
    def run_all(text: str) -> str:
        for part in parts:
            text = part(text)
        return text

    return run_all


def build_normalizer(spec: dict | None) -> Normalizer | None:
    """The normalizer a tokenizer.json `normalizer` entry describes (None for none)."""
    if spec is None:
        return None
    kind = spec.get("type")
    if kind == "Sequence":
        parts = [build_normalizer(child) for child in spec["normalizers"]]
        return _sequence([part for part in parts if part is not None])
    if kind == "Prepend":
        return _prepend(spec["prepend"])
    if kind == "Replace":
        return replace_function(spec["pattern"], spec["content"])
    if kind in ("NFC", "NFD", "NFKC", "NFKD"):
        return lambda text: unicodedata.normalize(kind, text)
    if kind == "Lowercase":
        return str.lower
    if kind == "Strip":
        return _strip(spec.get("strip_left", True), spec.get("strip_right", True))
    raise TokenizerError(f"normalizer type {kind!r} is not supported; supported: {', '.join(SUPPORTED_NORMALIZERS)}")
