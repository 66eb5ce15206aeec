"""The BPE model of tokenizer.json: merges applied by rank, with byte fallback and unk.

Mirrors HF `tokenizers` `models/bpe/model.rs` and `word.rs`: a word starts as
one symbol per char (chars missing from the vocab become `<0xXX>` byte tokens
when `byte_fallback` is on, else the unk token, fused when `fuse_unk`), then
the adjacent pair with the lowest merge rank is merged, leftmost first, until
no pair has a rank.
"""

from __future__ import annotations

import heapq

from .errors import TokenizerError

_CACHE_CAPACITY = 10_000  # HF's default BPE cache capacity
_CACHEABLE_WORD_LENGTH = 256


def parse_merges(raw_merges: list) -> list[tuple[str, str]]:
    """Merges in either tokenizer.json form: `"a b"` strings or `["a", "b"]` pairs."""
    merges = []
    for rank, merge in enumerate(raw_merges):
        if isinstance(merge, str):
            parts = merge.split(" ")
            if len(parts) != 2:
                raise TokenizerError(f"merge #{rank} {merge!r} is not of the form 'left right'")
            merges.append((parts[0], parts[1]))
        elif isinstance(merge, (list, tuple)) and len(merge) == 2:
            merges.append((merge[0], merge[1]))
        else:
            raise TokenizerError(f"merge #{rank} {merge!r} is neither 'left right' nor [left, right]")
    return merges


class BytePairModel:
    """Byte-pair encoding of one pre-tokenized word into ids."""

    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], *, unk_token: str | None = None,
                 fuse_unk: bool = False, byte_fallback: bool = False, ignore_merges: bool = False):
        self.vocab = vocab
        self.byte_fallback = byte_fallback
        self.ignore_merges = ignore_merges
        self.fuse_unk = fuse_unk
        if unk_token is not None and unk_token not in vocab:
            raise TokenizerError(f"BPE unk_token {unk_token!r} is not in the vocabulary")
        self.unk_token = unk_token
        self.merge_ranks: dict[tuple[str, str], int] = {}
        for rank, (left, right) in enumerate(merges):
            if left + right not in vocab:
                raise TokenizerError(f"merge {left!r} + {right!r} makes a token that is not in the vocabulary")
            self.merge_ranks.setdefault((left, right), rank)
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_spec(cls, spec: dict) -> "BytePairModel":
        for unsupported in ("continuing_subword_prefix", "end_of_word_suffix"):
            if spec.get(unsupported):
                raise TokenizerError(f"BPE {unsupported} is not supported; supported: byte-level and "
                                     "SentencePiece-style BPE without subword prefixes or suffixes")
        if spec.get("dropout"):
            raise TokenizerError("BPE dropout is not supported for inference; supported: dropout null")
        return cls(spec["vocab"], parse_merges(spec.get("merges", [])), unk_token=spec.get("unk_token"),
                   fuse_unk=bool(spec.get("fuse_unk")), byte_fallback=bool(spec.get("byte_fallback")),
                   ignore_merges=bool(spec.get("ignore_merges")))

    def tokenize(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if self.ignore_merges and word in self.vocab:
            ids = [self.vocab[word]]
        else:
            ids = [self.vocab[symbol] for symbol in self._merge(self._initial_symbols(word))]
        if len(word) <= _CACHEABLE_WORD_LENGTH:
            if len(self._cache) >= _CACHE_CAPACITY:
                self._cache.clear()
            self._cache[word] = ids
        return ids

    def _initial_symbols(self, word: str) -> list[str]:
        symbols: list[str] = []
        pending_unk = 0  # unknown chars not yet emitted as unk tokens
        for char in word:
            if char in self.vocab:
                symbols.extend([self.unk_token] * pending_unk)
                pending_unk = 0
                symbols.append(char)
                continue
            if self.byte_fallback:
                byte_tokens = [f"<0x{byte:02X}>" for byte in char.encode("utf-8")]
                if all(token in self.vocab for token in byte_tokens):
                    # HF emits byte tokens without flushing a pending unk first.
                    symbols.extend(byte_tokens)
                    continue
            if self.unk_token is not None:
                # fuse_unk: a run of unknown chars becomes a single unk token.
                pending_unk = 1 if self.fuse_unk else pending_unk + 1
            # HF drops an unknown char silently when there is no unk token.
        symbols.extend([self.unk_token] * pending_unk)
        return symbols

    def _merge(self, symbols: list[str]) -> list[str]:
        ranks = self.merge_ranks
        if len(symbols) < 2:
            return symbols
        merged: list[str | None] = list(symbols)
        next_index = list(range(1, len(merged))) + [-1]
        prev_index = list(range(-1, len(merged) - 1))
        heap = [(rank, index) for index in range(len(merged) - 1)
                if (rank := ranks.get((merged[index], merged[index + 1]))) is not None]
        heapq.heapify(heap)
        while heap:
            rank, index = heapq.heappop(heap)
            right = next_index[index]
            if merged[index] is None or right == -1 or ranks.get((merged[index], merged[right])) != rank:
                continue  # stale entry: one side was merged away since it was pushed
            merged[index] += merged[right]
            merged[right] = None
            next_index[index] = next_index[right]
            if next_index[right] != -1:
                prev_index[next_index[right]] = index
            for left in (prev_index[index], index):
                after = next_index[left] if left != -1 else -1
                if left != -1 and after != -1:
                    new_rank = ranks.get((merged[left], merged[after]))
                    if new_rank is not None:
                        heapq.heappush(heap, (new_rank, left))
        return [symbol for symbol in merged if symbol is not None]
