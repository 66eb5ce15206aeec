"""The one interface the engine sees over a grammar engine (DESIGN.md, decision 8).

`GrammarBackend` is bound to one loaded model's tokenizer and compiles
`Grammar`s (grammar/spec.py), caching them by `grammar_key`; natively it is
llguidance (`grammar/native.py`), in the browser xgrammar behind
web/grammar.js (`grammar/browser.py`). A `GrammarMatcher` follows one
generation: the runner writes its next-token bitmask straight into the
sampler's GPU buffer, then feeds it each sampled token.

The bitmask is ceil(V / 32) little-endian u32 words for the model's V
embedding rows: bit i % 32 of word i // 32 is set when token i is allowed.
Ids the tokenizer does not have (padding rows) are never allowed; the
model's stop tokens are allowed exactly when the grammar is complete.
Standard library only (decision 1).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import Any

from ..gpu.device import Buffer, Device
from .spec import Grammar, grammar_key

COMPILED_CACHE_SIZE = 64  # compiled grammars kept per model (least recently used dropped)


def mask_words(vocab_size: int) -> int:
    """u32 words of one next-token bitmask."""
    return (vocab_size + 31) // 32


class GrammarMatcher(ABC):
    """One generation's position in a compiled grammar."""

    @abstractmethod
    def accept_token(self, token: int) -> bool:
        """Advance past `token`; False when the grammar does not allow it (the matcher is then spent)."""

    @abstractmethod
    async def write_next_mask(self, device: Device, buffer: Buffer, offset: int) -> None:
        """Write the bitmask of the tokens allowed next into `buffer` at byte `offset`."""

    @abstractmethod
    def rollback(self, count: int) -> None:
        """Undo the last `count` accepted tokens."""

    @abstractmethod
    def is_terminated(self) -> bool:
        """True once the grammar is complete and only a stop token may follow."""

    def close(self) -> None:
        """Free what the engine holds for this matcher (a JS object in the browser)."""


class GrammarBackend(ABC):
    """A grammar engine for one model: compile (cached by key), then make matchers."""

    def __init__(self, vocab_size: int, stop_token_ids: list[int]):
        self.vocab_size = vocab_size
        self.stop_token_ids = list(stop_token_ids)
        self._compiled: OrderedDict[str, Any] = OrderedDict()

    async def compile(self, grammar: Grammar) -> Any:
        """The compiled form of `grammar`, compiled once per key; raises GrammarError."""
        key = grammar_key(grammar)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = await self._compile(grammar)
            self._compiled[key] = compiled
            if len(self._compiled) > COMPILED_CACHE_SIZE:
                self._drop(self._compiled.popitem(last=False)[1])
        self._compiled.move_to_end(key)
        return compiled

    @property
    def compiled_count(self) -> int:
        return len(self._compiled)

    @abstractmethod
    async def _compile(self, grammar: Grammar) -> Any:
        """Compile one grammar (no cache); raise GrammarError saying what is wrong."""

    @abstractmethod
    async def matcher(self, compiled: Any) -> GrammarMatcher:
        """A fresh matcher at the start of a compiled grammar."""

    def _drop(self, compiled: Any) -> None:
        """Free a compiled grammar evicted from the cache."""
