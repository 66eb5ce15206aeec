"""WebLLM's GBNF-style EBNF, parsed by grammar/gbnf.py, written again for web-xgrammar 0.1.27.

The request's grammar means what grammar/gbnf.py reads (as natively); the
text xgrammar gets is rewritten around what its parser and matcher get wrong
(measured; see grammar/ebnf_text.py):
- alternatives are factored on their leading literals, so no two literal
  branches share a prefix (`"x20" | "x11" | "x10"` would take `x21`);
- classes and `.` become `one_of_chars` forms (positive classes never match
  non-ASCII members, negated ones ignore them);
- forms xgrammar's parser aborts on are spelled as it takes them: `.`, `{,n}`,
  an empty alternative, the `\\/` escape.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

from .ebnf_text import (EMPTY, EVERY_CHAR, complement, literal, literal_trie, one_of_chars, repeat,
                        scalar_values, sequence, split_leading_literal)
from .gbnf import AnyChar, CharClass, Choice, Literal, Node, Repeat, RuleRef, Sequence, parse_ebnf
from .spec import GrammarError


def _expression(node: Node) -> str:
    if isinstance(node, Literal):
        return literal(node.text) if node.text else EMPTY
    if isinstance(node, CharClass):
        return one_of_chars(complement(node.ranges) if node.negated else scalar_values(node.ranges))
    if isinstance(node, AnyChar):
        return one_of_chars(EVERY_CHAR)
    if isinstance(node, RuleRef):
        return node.name
    if isinstance(node, Sequence):
        return sequence(*(_expression(item) for item in node.items))
    if isinstance(node, Choice):
        return literal_trie([split_leading_literal(_expression(option)) for option in node.options])
    if isinstance(node, Repeat):
        inner = _expression(node.item)
        return EMPTY if inner == EMPTY else repeat(inner, node.low, node.high)
    raise TypeError(f"unknown EBNF node {node!r}")


def xgrammar_ebnf(text: str) -> str:
    """`text` (GBNF-style EBNF, root rule `root`) as EBNF xgrammar 0.1.27 reads with the same meaning."""
    rules = parse_ebnf(text)
    lines = []
    for name, body in rules.items():
        try:
            lines.append(f"{name} ::= {_expression(body)}")
        except GrammarError as error:
            raise GrammarError(f"EBNF grammar, rule {name!r}: {error}") from error
    return "\n".join(lines) + "\n"
