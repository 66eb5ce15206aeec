"""Decoders from tokenizer.json, each a `list[str] -> list[str]` chain step.

Mirrors HF `tokenizers` `decoders/*.rs` (`decode_chain`); the final text is
the concatenation of what the last step returns.
"""

from __future__ import annotations

from typing import Callable

from .byte_level import byte_level_to_bytes
from .errors import TokenizerError
from .normalizers import replace_function

Decoder = Callable[[list[str]], list[str]]

SUPPORTED_DECODERS = ("Sequence", "ByteLevel", "Metaspace", "Replace", "ByteFallback", "Fuse", "Strip")


def decode_byte_level(tokens: list[str]) -> list[str]:
    """All tokens' bytes joined, then lossy UTF-8 (HF: `String::from_utf8_lossy`).

    A token with a char outside the byte alphabet (e.g. an added token with a
    space) contributes its own UTF-8 bytes, as in HF.
    """
    data = bytearray()
    for token in tokens:
        token_bytes = byte_level_to_bytes(token)
        data += token_bytes if token_bytes is not None else token.encode("utf-8")
    return [data.decode("utf-8", errors="replace")]


def parse_byte_fallback_token(token: str) -> int | None:
    """The byte of a `<0xAB>` token, else None."""
    if len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
        try:
            return int(token[3:5], 16)
        except ValueError:
            return None
    return None


def decode_byte_fallback(tokens: list[str]) -> list[str]:
    """Runs of `<0xAB>` tokens become their UTF-8 text, or one U+FFFD per byte if invalid."""
    result: list[str] = []
    pending = bytearray()

    def flush() -> None:
        if pending:
            try:
                result.append(pending.decode("utf-8"))
            except UnicodeDecodeError:
                result.extend("\ufffd" * len(pending))
            pending.clear()

    for token in tokens:
        byte = parse_byte_fallback_token(token)
        if byte is not None:
            pending.append(byte)
        else:
            flush()
            result.append(token)
    flush()
    return result


def _metaspace(spec: dict) -> Decoder:
    replacement = spec.get("replacement", "▁")
    scheme = spec.get("prepend_scheme") or ("always" if spec.get("add_prefix_space", True) else "never")

    # HF drops every replacement char of the first token (not just a leading
    # one) unless prepend_scheme is "never"; elsewhere they become spaces.
    first_token_space = " " if scheme == "never" else ""

    def decode(tokens: list[str]) -> list[str]:
        return [token.replace(replacement, first_token_space if index == 0 else " ")
                for index, token in enumerate(tokens)]

    return decode


def _strip(spec: dict) -> Decoder:
    content, start, stop = spec["content"], spec.get("start", 0), spec.get("stop", 0)

    def strip_token(token: str) -> str:
        head = 0
        while head < min(start, len(token)) and token[head] == content:
            head += 1
        tail = len(token)
        while len(token) - tail < stop and tail > head and token[tail - 1] == content:
            tail -= 1
        return token[head:tail]

    return lambda tokens: [strip_token(token) for token in tokens]


def _replace(spec: dict) -> Decoder:
    replace = replace_function(spec["pattern"], spec["content"])
    return lambda tokens: [replace(token) for token in tokens]


def _sequence(parts: list[Decoder]) -> Decoder:
    def run_all(tokens: list[str]) -> list[str]:
        for part in parts:
            tokens = part(tokens)
        return tokens

    return run_all


def build_decoder(spec: dict | None) -> Decoder | None:
    """The decoder a tokenizer.json `decoder` entry describes (None for none)."""
    if spec is None:
        return None
    kind = spec.get("type")
    if kind == "Sequence":
        return _sequence([part for part in map(build_decoder, spec["decoders"]) if part is not None])
    if kind == "ByteLevel":
        return decode_byte_level
    if kind == "ByteFallback":
        return decode_byte_fallback
    if kind == "Fuse":
        return lambda tokens: ["".join(tokens)]
    if kind == "Metaspace":
        return _metaspace(spec)
    if kind == "Strip":
        return _strip(spec)
    if kind == "Replace":
        return _replace(spec)
    raise TokenizerError(f"decoder type {kind!r} is not supported; supported: {', '.join(SUPPORTED_DECODERS)}")
