"""What a request constrains its output to, whatever grammar engine enforces it.

A `Grammar` is plain data: natively `grammar/native.py` turns it into an
llguidance grammar, in the browser `web/grammar.js` into xgrammar calls
(DESIGN.md, decision 8). `grammar_key` is its canonical JSON: the key of the
compiled-grammar cache and the form that crosses into JS.

JSON is generated in one layout in both engines, so that they allow the same
tokens: no free whitespace, `", "` between items and `": "` after keys (the
layout of Python's `json.dumps` and of xgrammar's default separators).
Standard library only (decision 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Union

ITEM_SEPARATOR = ", "
KEY_SEPARATOR = ": "


class GrammarError(ValueError):
    """A grammar or schema that cannot be compiled; the message says what and where.

    `param` names the request field (e.g. "response_format.json_schema.schema"),
    `keyword` the offending schema keyword and `pointer` its JSON pointer, where known,
    so that the protocol layer can turn it into an InvalidRequestError with `param`.
    """

    def __init__(self, message: str, *, param: str | None = None, keyword: str | None = None,
                 pointer: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.keyword = keyword
        self.pointer = pointer


def canonical_json(value: Any) -> str:
    """Compact JSON that keeps key order (the order properties are generated in)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class JsonSchemaGrammar:
    """A JSON value valid under `schema_json` (a JSON Schema, already checked by grammar/schema.py)."""

    schema_json: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "json_schema", "schema": json.loads(self.schema_json)}


@dataclass(frozen=True)
class EbnfGrammar:
    """Text of a GBNF-style EBNF grammar as WebLLM and xgrammar accept it (root rule `root`)."""

    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": "ebnf", "grammar": self.text}


@dataclass(frozen=True)
class ToolCallTag:
    """One function's call: `begin`, then a JSON value valid under `schema_json` (its
    arguments), then `end`; e.g. begin '<tool_call>\\n{"name": "f", "arguments": ' and
    end '}\\n</tool_call>' (conversation/tool_format.py)."""

    begin: str
    schema_json: str
    end: str

    def to_dict(self) -> dict[str, Any]:
        return {"begin": self.begin, "schema": json.loads(self.schema_json), "end": self.end}


@dataclass(frozen=True)
class ToolCallsGrammar:
    """Calls of the request's tools.

    free_text False (tool_choice "required" or a named function): the output is
    one call, or with `parallel` one or more calls joined by `separator`, and
    nothing else. free_text True (tool_choice "auto"): any text; once `trigger`
    is written a call follows, constrained by its tag (every tag's begin starts
    with the trigger); without `parallel` the output ends after the first call.
    """

    trigger: str
    tags: tuple[ToolCallTag, ...]
    free_text: bool
    parallel: bool
    separator: str = "\n"

    def __post_init__(self) -> None:
        if not self.tags:
            raise GrammarError("a tool-call grammar needs at least one tool")
        for tag in self.tags:
            if not tag.begin.startswith(self.trigger):
                raise GrammarError(f"tool-call tag {tag.begin!r} does not start with its trigger {self.trigger!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"type": "tool_calls", "trigger": self.trigger, "tags": [t.to_dict() for t in self.tags],
                "free_text": self.free_text, "parallel": self.parallel, "separator": self.separator}


Grammar = Union[JsonSchemaGrammar, EbnfGrammar, ToolCallsGrammar]


def grammar_key(grammar: Grammar) -> str:
    """The grammar as canonical JSON: equal grammars give equal keys."""
    return canonical_json(grammar.to_dict())
