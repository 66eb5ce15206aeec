"""JSON Schema `pattern`s (and the formats) as EBNF over a JSON string's characters.

A pattern is an ECMA-262 regular expression matched anywhere in the decoded
string (JSON Schema semantics: `^` and `$` anchor it, else any text may stand
around the match). The subset translated:
- literal characters, `.` (any character but \\n, as Python's `re` and
  llguidance read it; ECMA also leaves out \\r, U+2028 and U+2029), classes
  `[...]` / `[^...]` with ranges and escapes;
- escapes `\\d \\D \\w \\W \\s \\S` (ASCII digits, word characters and
  whitespace; their negations take every non-ASCII character),
  `\\t \\n \\r \\v \\f \\0 \\cX \\xHH \\uHHHH` (surrogate pairs joined), and any
  escaped punctuation;
- groups `(...)`, `(?:...)`, `(?<name>...)`, alternation `|`, quantifiers
  `* + ? {n} {n,} {n,m}` (a lazy `?` after them changes nothing here);
- `^` at the start and `$` at the end of a top-level alternative.
Everything else (lookaround, backreferences, word boundaries `\\b \\B`,
Unicode properties `\\p`, flags, anchors elsewhere) raises GrammarError
naming `pattern`. Each matched character is written as JSON string text
(grammar/json_text.py), escaped where JSON needs it.

Python's `re` (which the `jsonschema` package validates with) reads `\\d`,
`\\w` and `\\s` as Unicode classes, ECMA `\\s` too: the positive classes here
are subsets of every reading. A class that keeps most non-ASCII characters
but not all (`[^é]`, a large non-ASCII range) cannot be written for
xgrammar 0.1.27 and is refused (grammar/ebnf_text.py, `one_of_chars`).
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from .ebnf_text import (EMPTY, Ranges, alternation, chars, complement, literal, literal_trie, ranges_of, repeat,
                        scalar_values, sequence, union)
from .json_text import encode_string, string_char
from .spec import GrammarError

DIGITS: Ranges = ((0x30, 0x39),)
WORD: Ranges = ranges_of([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
# ASCII whitespace only: a set of "all non-ASCII characters but a few" cannot be written for
# xgrammar 0.1.27 (ebnf_text.one_of_chars), so Unicode spaces count as \S here.
SPACE: Ranges = ranges_of([(0x09, 0x0D), (0x20, 0x20)])
# Any character but \n, as Python's re, Rust's regex and llguidance read `.` (ECMA also leaves
# out \r, U+2028 and U+2029).
DOT: Ranges = complement(chars("\n"))
CLASS_ESCAPES = {"d": DIGITS, "D": complement(DIGITS), "w": WORD, "W": complement(WORD), "s": SPACE,
                 "S": complement(SPACE)}
CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "v": "\v", "f": "\f"}
SYNTAX_CHARS = "^$\\.*+?()[]{}|/"


@dataclass(frozen=True)
class CharSet:
    ranges: Ranges


@dataclass(frozen=True)
class Seq:
    items: tuple


@dataclass(frozen=True)
class Alt:
    branches: tuple


@dataclass(frozen=True)
class Repeat:
    item: "Node"
    low: int
    high: Optional[int]


@dataclass(frozen=True)
class Anchor:
    kind: str  # "^" or "$"


Node = Union[CharSet, Seq, Alt, Repeat, Anchor]


class _Parser:
    def __init__(self, pattern: str, param: str):
        self.text = pattern
        self.at = 0
        self.param = param

    def error(self, message: str) -> GrammarError:
        return GrammarError(f"{self.param}: pattern {self.text!r} at offset {self.at}: {message}; supported: "
                            "literals, ., classes, \\d \\w \\s (and negations), groups, |, * + ? {n,m}, "
                            "^ at the start and $ at the end")

    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.text[index] if index < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise self.error("unexpected end of pattern")
        self.at += 1
        return char

    def parse(self) -> Alt:
        node = self.alternation()
        if self.at < len(self.text):
            raise self.error(f"unbalanced {self.peek()!r}")
        return node

    def alternation(self) -> Alt:
        branches = [self.branch()]
        while self.peek() == "|":
            self.at += 1
            branches.append(self.branch())
        return Alt(tuple(branches))

    def branch(self) -> Seq:
        items: list[Node] = []
        while self.peek() and self.peek() not in "|)":
            if self.peek() in "^$":
                items.append(Anchor(self.take()))
                continue
            atom = self.atom()
            items.append(self.quantified(atom))
        return Seq(tuple(items))

    def quantified(self, atom: Node) -> Node:
        char = self.peek()
        bounds = {"*": (0, None), "+": (1, None), "?": (0, 1)}.get(char)
        if bounds is not None:
            self.at += 1
        elif char == "{":
            bounds = self.counted()
            if bounds is None:
                return atom
        else:
            return atom
        if self.peek() == "?":  # lazy: the same set of strings
            self.at += 1
        if self.peek() in ("*", "+", "?") or (self.peek() == "{" and self.counted(probe=True)):
            raise self.error("a quantifier cannot follow a quantifier (possessive forms are not ECMA-262)")
        return Repeat(atom, *bounds)

    def counted(self, probe: bool = False) -> Optional[tuple[int, Optional[int]]]:
        """`{n}`, `{n,}` or `{n,m}` at the cursor (consumed unless probing); None when not one."""
        end = self.text.find("}", self.at)
        body = self.text[self.at + 1:end] if end > 0 else ""
        low, comma, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            return None  # ECMA (Annex B) and Python read a brace that is no quantifier literally
        if not probe:
            self.at = end + 1
        bounds = (int(low), int(high) if high else (None if comma else int(low)))
        if bounds[1] is not None and bounds[1] < bounds[0]:
            raise self.error(f"quantifier {{{body}}} has its bounds out of order")
        return bounds

    def atom(self) -> Node:
        char = self.take()
        if char == ".":
            return CharSet(DOT)
        if char == "[":
            return CharSet(self.char_class())
        if char == "(":
            self.group_opening()
            inner = self.alternation()
            if self.take() != ")":
                raise self.error("unclosed group")
            return inner
        if char == "\\":
            return CharSet(self.escape(in_class=False))
        if char in "*+?":
            raise self.error(f"nothing to repeat before {char!r}")
        if char == "{" and self.counted(probe=True) is not None:
            self.at -= 1
            raise self.error("nothing to repeat before '{'")
        return CharSet(chars(char))

    def group_opening(self) -> None:
        if self.peek() != "?":
            return
        ahead = self.text[self.at:self.at + 4]
        for opening, name in (("?:", None), ("?=", "lookahead"), ("?!", "negative lookahead"),
                              ("?<=", "lookbehind"), ("?<!", "negative lookbehind"), ("?P<", None),
                              ("?<", None)):
            if ahead.startswith(opening):
                if name:
                    raise self.error(f"{name} groups cannot be enforced while generating")
                self.at += len(opening)
                if opening.endswith("<"):
                    close = self.text.find(">", self.at)
                    if close < 0:
                        raise self.error("unclosed group name")
                    self.at = close + 1
                return
        raise self.error("inline flags and other (?...) groups are not supported")

    def char_class(self) -> Ranges:
        negated = self.peek() == "^"
        if negated:
            self.at += 1
        if self.peek() == "]":
            raise self.error("an empty class (or a ']' first in a class) is not supported; escape it as \\]")
        members: list[Ranges] = []
        while self.peek() != "]":
            first = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.at += 1
                last = self.class_atom()
                if len(first) != 1 or len(last) != 1 or first[0][0] != first[0][1] or last[0][0] != last[0][1]:
                    raise self.error("a class range must run between two single characters")
                if last[0][0] < first[0][0]:
                    raise self.error("a class range is out of order")
                members.append(((first[0][0], last[0][0]),))
            else:
                members.append(first)
        self.at += 1
        ranges = union(*members)
        return complement(ranges) if negated else scalar_values(ranges)

    def class_atom(self) -> Ranges:
        char = self.take()
        if char == "\\":
            return self.escape(in_class=True)
        return chars(char)

    def escape(self, in_class: bool) -> Ranges:
        char = self.take()
        if char in CLASS_ESCAPES:
            return CLASS_ESCAPES[char]
        if char in CONTROL_ESCAPES:
            return chars(CONTROL_ESCAPES[char])
        if char == "b" and in_class:
            return chars("\b")
        if char in "bB":
            raise self.error("word boundaries (\\b, \\B) cannot be enforced while generating")
        if char == "0" and not self.peek().isdigit():
            return chars("\0")
        if char.isdigit() or char == "k":
            raise self.error("backreferences cannot be enforced while generating")
        if char in "pP":
            raise self.error("Unicode property escapes (\\p, \\P) are not supported")
        if char == "c" and self.peek().isalpha():
            return chars(chr(ord(self.take()) % 32))
        if char == "x":
            return chars(chr(self.hex_digits(2)))
        if char == "u":
            return chars(chr(self.unicode_escape()))
        if char.isalnum():
            raise self.error(f"unknown escape \\{char}")
        return chars(char)

    def hex_digits(self, count: int) -> int:
        digits = self.text[self.at:self.at + count]
        if len(digits) != count or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise self.error(f"expected {count} hex digits")
        self.at += count
        return int(digits, 16)

    def unicode_escape(self) -> int:
        if self.peek() == "{":
            raise self.error("\\u{...} needs the u flag, which patterns do not have")
        code = self.hex_digits(4)
        if 0xD800 <= code <= 0xDBFF and self.text[self.at:self.at + 2] == "\\u":
            saved = self.at
            self.at += 2
            low = self.hex_digits(4)
            if 0xDC00 <= low <= 0xDFFF:
                return 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            self.at = saved
        if 0xD800 <= code <= 0xDFFF:
            raise self.error("a lone surrogate matches no character of JSON text")
        return code


def parse_pattern(pattern: str, param: str = "pattern") -> Alt:
    """The pattern's tree, or GrammarError saying what is not supported."""
    return _Parser(pattern, param).parse()


def _literal_text(node: Node) -> Optional[str]:
    """The JSON text of `node` when it matches exactly one string written one way, else None."""
    if isinstance(node, CharSet) and len(node.ranges) == 1 and node.ranges[0][0] == node.ranges[0][1]:
        code = node.ranges[0][0]
        if code < 0x20 or code == 0x7F:  # a control has two escapes (\n and \u000a): not one text
            return None
        return encode_string(chr(code))[1:-1]
    if isinstance(node, Seq):
        parts = [_literal_text(item) for item in node.items]
        return None if any(p is None for p in parts) else "".join(parts)
    if isinstance(node, Alt) and len(node.branches) == 1:
        return _literal_text(node.branches[0])
    return None


class _Writer:
    def __init__(self, param: str, pattern: str):
        self.param = param
        self.pattern = pattern

    def node(self, node: Node) -> str:
        if isinstance(node, CharSet):
            try:
                return string_char(node.ranges)
            except GrammarError as error:
                raise GrammarError(f"{self.param}: pattern {self.pattern!r}: {error}") from error
        if isinstance(node, Seq):
            return sequence(*(self.node(item) for item in node.items))
        if isinstance(node, Repeat):
            inner = self.node(node.item)
            return EMPTY if inner == EMPTY else repeat(inner, node.low, node.high)
        if isinstance(node, Alt):
            return self.alternatives(node.branches)
        raise GrammarError(f"{self.param}: pattern {self.pattern!r}: the anchor {node.kind!r} may only stand at "
                           "the start (^) or the end ($) of the pattern or of a top-level alternative")

    def alternatives(self, branches: tuple) -> str:
        """Branches matching one literal string are merged into a trie (xgrammar's literal merging)."""
        literals = [(text, EMPTY) for text in (_literal_text(b) for b in branches) if text is not None]
        others = [self.node(b) for b in branches if _literal_text(b) is None]
        if len(literals) > 1:
            others.insert(0, literal_trie(literals))
        elif literals:
            others.insert(0, literal(literals[0][0]) if literals[0][0] else EMPTY)
        return alternation(others)


def pattern_body(pattern: str, any_char: str, param: str = "pattern") -> str:
    """EBNF of a JSON string's body (between the quotes) whose text the pattern matches.

    `any_char` is the expression of one JSON string character of any kind
    (the text an unanchored side may hold).
    """
    tree = parse_pattern(pattern, param)
    writer = _Writer(param, pattern)
    branches = []
    for branch in tree.branches:
        items = list(branch.items)
        anchored_start = bool(items) and items[0] == Anchor("^")
        anchored_end = bool(items) and items[-1] == Anchor("$")
        start = 1 if anchored_start else 0
        end = len(items) - 1 if anchored_end and len(items) > start else len(items)
        body = writer.node(Seq(tuple(items[start:end])))
        branches.append(sequence("" if anchored_start else f"{any_char}*", body,
                                 "" if anchored_end else f"{any_char}*"))
    return alternation(branches)

