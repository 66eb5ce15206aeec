"""ToolCallsGrammar (grammar/spec.py) as EBNF for xgrammar: calls, and free text around them.

A call is a tag's `begin`, its arguments as JSON under the tag's schema
(grammar/json_ebnf.py) and its `end`; the begins go into one trie.
- free_text False: exactly one call, or with `parallel` calls joined by `separator`;
- free_text True (tool_choice "auto"): text that does not hold the trigger,
  then at most one call (with `parallel`: text and calls in turn, any number).

Why EBNF and not xgrammar's structural tags (`triggered_tags`, which 0.1.27's
wasm API has): one path for every grammar, the same text llguidance's Lark
grammar allows natively, and the same checks in the tests. The text before a
trigger t is `([^t0] | P* Q)* P*`, where P is a proper prefix of t that the
next character abandons and Q a proper prefix followed by a character that
neither continues t nor starts it again; this needs t's first character to
occur only once in t (true of `<tool_call>`, `<|python_tag|>`, `[TOOL_CALLS]`),
and t's characters to be ASCII; other triggers raise GrammarError.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

import json

from .ebnf_text import EMPTY, RuleSet, chars, complement, literal, literal_trie, one_of_chars, sequence
from .json_ebnf import schema_rules
from .spec import GrammarError, ToolCallsGrammar


def text_without(trigger: str) -> str:
    """Any text in which `trigger` does not occur (it may end in a proper prefix of it)."""
    if not trigger:
        raise GrammarError("a tool-call trigger cannot be empty")
    if not trigger.isascii():
        raise GrammarError(f"tool-call trigger {trigger!r}: the browser grammar takes ASCII triggers only")
    first = trigger[0]
    if first in trigger[1:]:
        raise GrammarError(f"tool-call trigger {trigger!r}: its first character recurs in it, which the browser "
                           "grammar cannot write as free text")
    other = one_of_chars(complement(chars(first)))
    if len(trigger) == 1:
        return f"{other}*"
    prefixes = [trigger[:j] for j in range(1, len(trigger))]
    abandoned = literal_trie([(p, EMPTY) for p in prefixes])
    broken = literal_trie([(p, one_of_chars(complement(chars(first + trigger[len(p)])))) for p in prefixes])
    return f"({other} | ({abandoned})* {broken})* ({abandoned})*"


def tool_calls_ebnf(grammar: ToolCallsGrammar) -> str:
    """The EBNF grammar (root rule `root`) of `grammar`."""
    rules = RuleSet()
    calls = []
    for index, tag in enumerate(grammar.tags):
        try:
            schema = json.loads(tag.schema_json)
            arguments = schema_rules(schema, rules, f"tool_{index}_arguments")
        except GrammarError as error:
            raise GrammarError(f"tool call {tag.begin!r}: {error}") from error
        calls.append((tag.begin, sequence(rules.add(f"tool_{index}_arguments", arguments), literal(tag.end))))
    call = rules.add("call", literal_trie(calls))
    if not grammar.free_text:
        root = sequence(call, f"({literal(grammar.separator)} {call})*") if grammar.parallel else call
        return rules.text(root)
    text = rules.add("text", text_without(grammar.trigger))
    root = sequence(text, f"({call} {text})*") if grammar.parallel else sequence(text, f"{call}?")
    return rules.text(root)
