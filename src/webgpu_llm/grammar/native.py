"""The native grammar engine: llguidance behind GrammarBackend / GrammarMatcher (native only).

llguidance (PyPI `llguidance`, Rust with an abi3 wheel) reads the vocabulary
from our own Tokenizer: each id's raw bytes, the special ids (which llguidance
keeps apart from text, so a grammar's text never matches them) and the
model's stop ids as its end-of-sequence tokens.

Grammars become llguidance grammars as follows:
- JsonSchemaGrammar: the schema prepared by grammar/schema.py, compiled with
  the fixed layout of grammar/spec.py (", " between items, ": " after keys,
  no free whitespace), so that xgrammar in the browser allows the same tokens.
- EbnfGrammar: GBNF-style EBNF parsed by grammar/gbnf.py and written as Lark.
- ToolCallsGrammar: Lark with each tool's arguments as an inline `%json`
  schema (`tool_calls_lark`).

The matcher never forces tokens: it uses llguidance's LLMatcher, which only
computes masks and consumes what the sampler picked (no fast-forward tokens),
as xgrammar does, so native and browser greedy decoding pick among the same
allowed ids.
"""

from __future__ import annotations

import json
import llguidance

from ..gpu.device import Buffer, Device
from ..tokenizer import Tokenizer
from .gbnf import ebnf_to_lark
from .matcher import GrammarBackend, GrammarMatcher, mask_words
from .schema import prepare_schema
from .spec import (ITEM_SEPARATOR, KEY_SEPARATOR, EbnfGrammar, Grammar, GrammarError, JsonSchemaGrammar,
                   ToolCallsGrammar)

JSON_OPTIONS = {"item_separator": ITEM_SEPARATOR, "key_separator": KEY_SEPARATOR, "whitespace_flexible": False}
# Short errors: llguidance's verbose form dumps parser state and the whole grammar.
LIMITS = llguidance.LLParserLimits(verbose_errors=False)


class _TokenizerDescription:
    """What llguidance.TokenizerWrapper reads from a tokenizer object."""

    def __init__(self, tokenizer: Tokenizer, stop_token_ids: list[int]):
        self.tokens = [tokenizer.token_bytes(i) if tokenizer.id_to_token(i) is not None else b""
                       for i in range(tokenizer.vocab_size)]
        self.eos_token_id = stop_token_ids[0]
        self.bos_token_id = None
        self.special_token_ids = sorted(tokenizer.special_token_ids)
        self._tokenizer = tokenizer

    def __call__(self, text: bytes) -> list[int]:
        return self._tokenizer.encode(text.decode("utf-8", errors="replace"), add_special_tokens=False)


def llguidance_grammar(grammar: Grammar) -> str:
    """`grammar` as llguidance's grammar text (not yet checked against a tokenizer)."""
    if isinstance(grammar, JsonSchemaGrammar):
        schema = prepare_schema(json.loads(grammar.schema_json), "schema")
        return llguidance.LLMatcher.grammar_from_json_schema(schema, overrides=JSON_OPTIONS)
    if isinstance(grammar, EbnfGrammar):
        return llguidance.LLMatcher.grammar_from_lark(ebnf_to_lark(grammar.text))
    if isinstance(grammar, ToolCallsGrammar):
        return llguidance.LLMatcher.grammar_from_lark(tool_calls_lark(grammar))
    raise GrammarError(f"unknown grammar kind {type(grammar).__name__}; expected JsonSchemaGrammar, "
                       "EbnfGrammar or ToolCallsGrammar")


def _lark_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _lark_regex_literal(text: str) -> str:
    """`text` as a piece of a Rust regex inside Lark's /.../ (every non-alphanumeric escaped)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):X}}}" for c in text)


def tool_calls_lark(grammar: ToolCallsGrammar) -> str:
    """Lark for the calls of a ToolCallsGrammar; each tool's arguments are an inline %json schema.

    free_text: any text without the trigger, or text up to the first trigger (a lazy lexeme, so it
    ends there) followed by the rest of a call; the text can therefore never hold a trigger that no
    call follows. Calls are joined by the separator when parallel.
    """
    lines = []
    calls, rests = [], []
    for index, tag in enumerate(grammar.tags):
        schema = prepare_schema(json.loads(tag.schema_json), f"arguments of tool call {tag.begin!r}")
        schema["x-guidance"] = JSON_OPTIONS
        lines.append(f"args_{index}: %json {json.dumps(schema, ensure_ascii=False)}")
        lines.append(f"call_{index}: {_lark_string(tag.begin)} args_{index} {_lark_string(tag.end)}")
        rest = tag.begin[len(grammar.trigger):]
        lines.append(f"rest_{index}: {_lark_string(rest) if rest else ''} args_{index} {_lark_string(tag.end)}")
        calls.append(f"call_{index}")
        rests.append(f"rest_{index}")
    lines.append(f"call: {' | '.join(calls)}")
    more = f" ({_lark_string(grammar.separator)} call)*" if grammar.parallel else ""
    if not grammar.free_text:
        lines.insert(0, f"start: call{more}")
        return "\n".join(lines) + "\n"
    trigger = _lark_regex_literal(grammar.trigger)
    lines.insert(0, f"start: TEXT | text_to_trigger ({' | '.join(rests)}){more}")
    lines.append(f"TEXT: /(?s:.*)/ & ~/(?s:.*){trigger}(?s:.*)/")
    lines.append(f"text_to_trigger[lazy]: /(?s:.*)/ {_lark_string(grammar.trigger)}")
    return "\n".join(lines) + "\n"


class LlguidanceBackend(GrammarBackend):
    """llguidance for one model's tokenizer; `vocab_size` is its embedding rows (>= tokenizer ids)."""

    def __init__(self, tokenizer: Tokenizer, vocab_size: int, stop_token_ids: list[int]):
        super().__init__(vocab_size, stop_token_ids)
        self.tokenizer_size = tokenizer.vocab_size
        if not stop_token_ids:
            raise ValueError("a grammar backend needs the model's stop token ids (none given)")
        if self.tokenizer_size > vocab_size:
            raise ValueError(f"the tokenizer has {self.tokenizer_size} ids but the model only {vocab_size} rows")
        if any(not 0 <= t < self.tokenizer_size for t in stop_token_ids):
            raise ValueError(f"stop token ids {stop_token_ids} must be tokenizer ids (0..{self.tokenizer_size - 1})")
        description = _TokenizerDescription(tokenizer, self.stop_token_ids)
        self.ll_tokenizer = llguidance.LLTokenizer(llguidance.TokenizerWrapper(description),
                                                   eos_token=self.stop_token_ids)

    async def _compile(self, grammar: Grammar) -> llguidance.LLMatcher:
        text = llguidance_grammar(grammar)
        is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(text, self.ll_tokenizer,
                                                                                 limits=LIMITS)
        if is_error:
            raise GrammarError(f"the grammar engine (llguidance) refused the grammar: {messages[0].strip()}")
        template = llguidance.LLMatcher(self.ll_tokenizer, text, log_level=0, limits=LIMITS)
        if template.is_error():
            raise GrammarError(f"the grammar engine (llguidance) refused the grammar: {template.get_error()}")
        return template

    async def matcher(self, compiled: llguidance.LLMatcher) -> "LlguidanceMatcher":
        # The compiled grammar is kept at its start; each generation walks a copy (cheap, no recompile).
        return LlguidanceMatcher(compiled.deep_copy(), self)


class LlguidanceMatcher(GrammarMatcher):
    """One generation's position in an llguidance grammar."""

    def __init__(self, matcher: llguidance.LLMatcher, backend: LlguidanceBackend):
        self._matcher = matcher
        self._tokenizer_size = backend.tokenizer_size
        self._stop_ids = frozenset(backend.stop_token_ids)
        self._mask_bytes = mask_words(backend.vocab_size) * 4
        self._history: list[int] = []
        self._stopped = False  # a stop token was accepted
        self._spent = False  # a token the grammar does not allow was offered

    def accept_token(self, token: int) -> bool:
        if self._spent or self._stopped:
            return False
        if token in self._stop_ids:
            if not self._matcher.is_accepting():
                self._spent = True
                return False
            self._history.append(token)  # always the last one: nothing is accepted after it
            self._stopped = True
            return True
        # validate first, so that a refused token leaves llguidance's state as it was (rollback still works)
        if not 0 <= token < self._tokenizer_size or self._matcher.validate_tokens([token]) != 1:
            self._spent = True
            return False
        if not self._matcher.consume_token(token):
            raise GrammarError(f"llguidance failed on token {token}: {self._matcher.get_error()}")
        self._history.append(token)
        return True

    def next_mask(self) -> bytes:
        """The next-token bitmask (ceil(V/32) little-endian u32 words), as written to the GPU."""
        mask = bytearray(self._mask_bytes)
        complete = self._stopped or self._spent or self._matcher.is_accepting()
        if not (self._stopped or self._spent):
            allowed = self._matcher.compute_bitmask()
            if self._matcher.is_error():  # a parser limit: an empty mask would leave the sampler nothing
                raise GrammarError(f"the grammar engine (llguidance) gave up on this grammar after "
                                   f"{len(self._history)} tokens: {self._matcher.get_error()}")
            used = min(len(allowed), (self._tokenizer_size + 7) // 8)
            mask[:used] = allowed[:used]
            if self._tokenizer_size % 8:  # bits of ids past the tokenizer in its last byte
                mask[used - 1] &= (1 << (self._tokenizer_size % 8)) - 1
        # After the end (or a refused token) only a stop token may follow, so that the generation ends.
        for token in self._stop_ids:
            if complete:
                mask[token // 8] |= 1 << (token % 8)
            else:
                mask[token // 8] &= ~(1 << (token % 8)) & 0xFF
        return bytes(mask)

    async def write_next_mask(self, device: Device, buffer: Buffer, offset: int) -> None:
        device.write_buffer(buffer, offset, self.next_mask())

    def rollback(self, count: int) -> None:
        if not 0 <= count <= len(self._history):
            raise ValueError(f"cannot roll back {count} tokens: {len(self._history)} were accepted")
        consumed = 0
        for _ in range(count):
            self._history.pop()
            if self._stopped:  # the stop token, last in the history; llguidance never counted it
                self._stopped = False
            else:
                consumed += 1
        if consumed and not self._matcher.rollback(consumed):
            raise GrammarError(f"llguidance could not roll back {consumed} tokens: {self._matcher.get_error()}")
        self._spent = False

    def is_terminated(self) -> bool:
        return self._stopped or (not self._spent and self._matcher.is_stopped())

    @property
    def accepted_tokens(self) -> list[int]:
        """The tokens accepted so far (stop tokens as given), oldest first."""
        return list(self._history)

