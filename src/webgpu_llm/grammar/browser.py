"""The browser grammar engine: xgrammar behind web/grammar.js, as GrammarBackend / GrammarMatcher.

Python turns each grammar into EBNF (JSON Schemas through grammar/json_ebnf.py,
tool calls through grammar/tool_calls_ebnf.py, WebLLM's EBNF read by
grammar/gbnf.py and written again by grammar/gbnf_xgrammar.py) and
hands it to the GrammarBridge of web/grammar.js, which keeps xgrammar's
objects under integer ids. Masks never pass through Python: `write_next_mask`
asks JS to write the matcher's bitmask into the GPU buffer the bridge holds
under that buffer's id (DESIGN.md, decision 8).

The vocabulary goes to xgrammar once per model, as each id's bytes in GPT-2's
byte-level alphabet (xgrammar's "byte_level" vocabulary type, whatever the
tokenizer's own kind), special ids as "" (xgrammar never allows a token
whose text is empty) and the model's stop ids as its stop tokens.

Runs under Pyodide: the GrammarBridge is a JsProxy, its errors arrive as
pyodide's JsException; this module itself imports the stdlib only.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..gpu.device import Buffer, Device
from ..tokenizer.byte_level import BYTE_TO_CHAR
from .gbnf_xgrammar import xgrammar_ebnf
from .json_ebnf import json_schema_ebnf
from .matcher import GrammarBackend, GrammarMatcher
from .spec import EbnfGrammar, Grammar, GrammarError, JsonSchemaGrammar, ToolCallsGrammar, ToolCallTag
from .tool_calls_ebnf import tool_calls_ebnf


def xgrammar_vocabulary(tokenizer: Any) -> list[str]:
    """Every tokenizer id's text for xgrammar: its bytes as byte-level characters, "" for special ids."""
    vocabulary = []
    special = tokenizer.special_token_ids
    for token_id in range(tokenizer.vocab_size):
        if token_id in special or tokenizer.id_to_token(token_id) is None:
            vocabulary.append("")
        else:
            vocabulary.append("".join(BYTE_TO_CHAR[b] for b in tokenizer.token_bytes(token_id)))
    return vocabulary


def tokenizer_info_json(tokenizer: Any, vocab_size: int, stop_token_ids: Sequence[int]) -> str:
    """What GrammarBridge.setTokenizer takes (web/grammar.js)."""
    if tokenizer.vocab_size > vocab_size:
        raise ValueError(f"the tokenizer has {tokenizer.vocab_size} ids but the model only {vocab_size} rows")
    if not stop_token_ids or any(not 0 <= t < tokenizer.vocab_size for t in stop_token_ids):
        raise ValueError(f"stop token ids {list(stop_token_ids)} must be tokenizer ids "
                         f"(0..{tokenizer.vocab_size - 1}), at least one")
    return json.dumps({"vocab": xgrammar_vocabulary(tokenizer), "vocabSize": vocab_size,
                       "stopTokenIds": sorted(stop_token_ids)}, ensure_ascii=False)


def _prepared(schema_json: str, param: str) -> dict:
    from .schema import prepare_schema  # grammar/schema.py: checks a request's schema, as natively

    return prepare_schema(json.loads(schema_json), param)


def grammar_ebnf(grammar: Grammar) -> str:
    """The EBNF text xgrammar compiles for `grammar`."""
    if isinstance(grammar, JsonSchemaGrammar):
        return json_schema_ebnf(_prepared(grammar.schema_json, "schema"))
    if isinstance(grammar, EbnfGrammar):
        # Read by the parser the native engine uses (the same errors, at line and column, where
        # xgrammar's parser would abort its wasm call) and written again around xgrammar's faults.
        return xgrammar_ebnf(grammar.text)
    if isinstance(grammar, ToolCallsGrammar):
        tags = tuple(ToolCallTag(tag.begin, json.dumps(_prepared(tag.schema_json, f"tool {tag.begin!r}")), tag.end)
                     for tag in grammar.tags)
        return tool_calls_ebnf(ToolCallsGrammar(grammar.trigger, tags, grammar.free_text, grammar.parallel,
                                                grammar.separator))
    raise GrammarError(f"unknown grammar kind {type(grammar).__name__}; expected JsonSchemaGrammar, EbnfGrammar "
                       "or ToolCallsGrammar")


def _js_message(error: Exception) -> str:
    """The message of a JS error as pyodide raises it (JsException keeps the JS error as .js_error)."""
    js_error = getattr(error, "js_error", None)
    message = getattr(js_error, "message", None) if js_error is not None else None
    return str(message or error)


class XGrammarBackend(GrammarBackend):
    """xgrammar for one model; `grammar_js` is web/grammar.js's GrammarBridge (given the vocabulary already)."""

    def __init__(self, grammar_js: Any, vocab_size: int, stop_token_ids: Sequence[int]):
        super().__init__(vocab_size, list(stop_token_ids))
        self.js = grammar_js

    @classmethod
    async def create(cls, grammar_js: Any, tokenizer: Any, vocab_size: int,
                     stop_token_ids: Sequence[int]) -> "XGrammarBackend":
        """Send the model's vocabulary to xgrammar (once per model) and wrap the bridge."""
        await grammar_js.setTokenizer(tokenizer_info_json(tokenizer, vocab_size, stop_token_ids))
        return cls(grammar_js, vocab_size, stop_token_ids)

    async def _compile(self, grammar: Grammar) -> int:
        ebnf = grammar_ebnf(grammar)
        try:
            return int(await self.js.compile(ebnf))
        except Exception as error:  # noqa: BLE001 - a JS error (JsException): xgrammar refused the text
            hint = " (the line and column are in the browser console)" if "Aborted" in _js_message(error) else ""
            raise GrammarError(f"the grammar engine (xgrammar) refused the grammar: {_js_message(error)}{hint}") \
                from error

    async def matcher(self, compiled: int) -> "XGrammarMatcher":
        return XGrammarMatcher(self.js, int(await self.js.createMatcher(compiled)))

    def _drop(self, compiled: int) -> None:
        self.js.dispose(compiled)


class XGrammarMatcher(GrammarMatcher):
    """One generation's matcher, held by JS under `matcher_id`."""

    def __init__(self, grammar_js: Any, matcher_id: int):
        self.js = grammar_js
        self.id = matcher_id

    def accept_token(self, token: int) -> bool:
        return bool(self.js.accept(self.id, int(token)))

    async def write_next_mask(self, device: Device, buffer: Buffer, offset: int) -> None:
        """JS writes the mask into `buffer` (a buffer of the BrowserDevice whose bridge made the GrammarBridge)."""
        self.js.writeMask(self.id, buffer.handle, offset)

    def rollback(self, count: int) -> None:
        try:
            self.js.rollback(self.id, int(count))
        except Exception as error:  # noqa: BLE001 - JS refuses to roll back past the start
            raise ValueError(_js_message(error)) from error

    def is_terminated(self) -> bool:
        return bool(self.js.isTerminated(self.id))

    def close(self) -> None:
        self.js.dispose(self.id)
