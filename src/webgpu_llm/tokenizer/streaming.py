"""Incremental detokenization for streaming replies.

Each push decodes a short window (the ids emitted last time, then the ids
not yet emitted) and emits only the text that is new relative to the
window's already-emitted part, in the manner of HF `tokenizers`' `DecodeStream`. Text ending in U+FFFD is held back, since that
is how a multi-byte character split across tokens looks until its last byte
arrives; so a stream never shows a broken character, and the concatenation of
everything pushed plus `flush()` equals `Tokenizer.decode` of all the ids.
Decoding from the start of the stream keeps HF's first-token rules (the
SentencePiece leading-space strip) exactly as in `decode`.
"""

from __future__ import annotations

from .tokenizer import Tokenizer

# A character is at most 4 bytes; beyond this many held ids the U+FFFD is real.
_MAX_HELD_TOKENS = 8


class StreamingDetokenizer:
    """Turns token ids, one at a time, into complete pieces of text."""

    def __init__(self, tokenizer: Tokenizer, skip_special_tokens: bool = False):
        self._tokenizer = tokenizer
        self._skip_special_tokens = skip_special_tokens
        self._window: list[int] = []  # context ids, then ids whose text is not emitted yet
        self._emitted_in_window = 0  # how many ids at the window's start are already emitted
        self._emitted_text = ""  # decode(window[:emitted_in_window])

    def _decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids, skip_special_tokens=self._skip_special_tokens)

    def push(self, token_id: int) -> str:
        """New complete text after `token_id` ("" while a character is incomplete)."""
        self._window.append(token_id)
        text = self._decode(self._window)
        held = len(self._window) - self._emitted_in_window
        if text.endswith("\ufffd") and held < _MAX_HELD_TOKENS:
            return ""
        return self._emit(text)

    def flush(self) -> str:
        """Whatever is still held back (e.g. an incomplete character at the end)."""
        if len(self._window) == self._emitted_in_window:
            return ""
        return self._emit(self._decode(self._window))

    def _emit(self, text: str) -> str:
        if text.startswith(self._emitted_text):
            new_text = text[len(self._emitted_text):]
        else:  # a decoder rewrote earlier text; emit from where they diverge
            shared = 0
            while shared < min(len(text), len(self._emitted_text)) and text[shared] == self._emitted_text[shared]:
                shared += 1
            new_text = text[shared:]
        # The ids just emitted become the next context: they start and end on
        # character boundaries, so decoding them alone gives clean text (a cut
        # inside a run of `<0xAB>` tokens would not: HF's ByteFallback turns a
        # partial run into one U+FFFD per byte).
        # A group with no visible text (skipped special tokens) is not enough
        # context: the decoder would treat the next token as the first one.
        group = self._window[self._emitted_in_window:]
        group_text = self._decode(group)
        if group_text:
            self._window, self._emitted_text = group, group_text
        else:
            self._emitted_text = self._decode(self._window)
        self._emitted_in_window = len(self._window)
        return new_text
