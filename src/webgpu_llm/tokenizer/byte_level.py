"""GPT-2's byte-level alphabet: every byte shown as one printable character.

Follows HF `tokenizers` `pre_tokenizers/byte_level.rs` (`bytes_char`): printable
Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in order.
"""

from __future__ import annotations

# The regex HF's ByteLevel pre-tokenizer uses when `use_regex` is true.
GPT2_SPLIT_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def _build_byte_to_char() -> dict[int, str]:
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping = {byte: chr(byte) for byte in printable}
    next_code = 256
    for byte in range(256):
        if byte not in mapping:
            mapping[byte] = chr(next_code)
            next_code += 1
    return mapping


BYTE_TO_CHAR: dict[int, str] = _build_byte_to_char()
CHAR_TO_BYTE: dict[str, int] = {char: byte for byte, char in BYTE_TO_CHAR.items()}
# str.translate table over the 256 byte values, for `bytes.decode("latin-1").translate(...)`.
_LATIN1_TO_BYTE_CHARS = {byte: char for byte, char in BYTE_TO_CHAR.items()}


def bytes_to_byte_level(text: str) -> str:
    """Text as byte-level characters: UTF-8 encode, then map every byte."""
    return text.encode("utf-8").decode("latin-1").translate(_LATIN1_TO_BYTE_CHARS)


def byte_level_to_bytes(token: str) -> bytes | None:
    """The bytes a byte-level token stands for, or None if a char is outside the alphabet."""
    try:
        return bytes(CHAR_TO_BYTE[char] for char in token)
    except KeyError:
        return None
