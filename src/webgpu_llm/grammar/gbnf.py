"""GBNF-style EBNF, as WebLLM / xgrammar (and llama.cpp) accept it: a parser and a Lark writer.

Syntax read (whitespace, newlines and `#` comments are free between items; a
rule ends where the next `name ::=` starts):
    rule     ::= name "::=" choice
    choice   ::= sequence ("|" sequence)*          (a sequence may be empty)
    sequence ::= (element postfix*)*
    element  ::= "string" | [class] | [^class] | name | "(" choice ")" | "."
    postfix  ::= "*" | "+" | "?" | "{" m "}" | "{" m "," "}" | "{" m "," n "}" | "{" "," n "}"
Names are letters, digits, `_` and `-`; the start rule is `root`. Strings and
classes take the escapes \\n \\r \\t \\\\ \\" \\' \\[ \\] \\- \\^ \\/ \\xHH \\uHHHH \\UHHHHHHHH.
Errors are GrammarError with the line and column.

`ebnf_to_lark` writes llguidance's Lark: a rule that recurses only at the
ends of its options (A ::= x A | z) becomes the loop it is ((x)* z); every
rule that then does not recurse
(directly or through others) becomes a terminal (one regular lexeme), and in
the recursive rules each run of such items becomes one terminal, so that a
non-recursive grammar is a single exact regular expression. Where a recursive
rule meets a terminal, llguidance's lexer takes the longest match of the
terminal, so such a grammar may refuse a string that needs a shorter one
there (never the other way: what it allows is always in the grammar's language).
Standard library only (DESIGN.md, decision 1): the browser can use the parser for checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Union

from .spec import GrammarError

ROOT_RULE = "root"
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "[": "[", "]": "]",
                   "-": "-", "^": "^", "/": "/"}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class CharClass:
    negated: bool
    ranges: tuple[tuple[int, int], ...]  # inclusive code point ranges


@dataclass(frozen=True)
class AnyChar:
    pass


@dataclass(frozen=True)
class RuleRef:
    name: str
    line: int
    column: int


@dataclass(frozen=True)
class Sequence:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Choice:
    options: tuple["Node", ...]


@dataclass(frozen=True)
class Repeat:
    item: "Node"
    low: int
    high: int | None  # None: unbounded


Node = Union[Literal, CharClass, AnyChar, RuleRef, Sequence, Choice, Repeat]


def parse_ebnf(text: str) -> dict[str, Node]:
    """The rules of a GBNF-style grammar, in order; raises GrammarError with line and column."""
    return _Parser(text).grammar()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.refs: list[RuleRef] = []  # every reference, checked against the rules at the end

    def error(self, message: str, pos: int | None = None) -> GrammarError:
        line, column = _line_column(self.text, self.pos if pos is None else pos)
        return GrammarError(f"EBNF grammar, line {line}, column {column}: {message}")

    def skip_space(self) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif char.isspace():
                self.pos += 1
            else:
                return

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def grammar(self) -> dict[str, Node]:
        rules: dict[str, Node] = {}
        self.skip_space()
        while self.pos < len(self.text):
            start = self.pos
            name = self.name()
            if name is None:
                raise self.error(f"expected a rule name, found {self.peek()!r}")
            self.skip_space()
            if not self.text.startswith("::=", self.pos):
                raise self.error(f"expected '::=' after the rule name {name!r}")
            self.pos += 3
            body = self.choice()
            if name in rules:
                raise self.error(f"rule {name!r} is defined twice", start)
            rules[name] = body
            self.skip_space()
            if self.peek() == ")":
                raise self.error("')' without a matching '('")
        if ROOT_RULE not in rules:
            raise self.error(f"the grammar has no {ROOT_RULE!r} rule (the start rule)", 0)
        for ref in self.refs:
            if ref.name not in rules:
                raise GrammarError(f"EBNF grammar, line {ref.line}, column {ref.column}: rule {ref.name!r} "
                                   "is not defined")
        return rules

    def name(self) -> str | None:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def at_rule_start(self) -> bool:
        saved = self.pos
        found = self.name() is not None
        self.skip_space()
        found = found and self.text.startswith("::=", self.pos)
        self.pos = saved
        return found

    def choice(self) -> Node:
        options = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Choice(tuple(options))

    def sequence(self) -> Node:
        items = []
        while True:
            self.skip_space()
            if self.pos >= len(self.text) or self.peek() in "|)" or self.at_rule_start():
                break
            items.append(self.postfixed())
        return items[0] if len(items) == 1 else Sequence(tuple(items))

    def postfixed(self) -> Node:
        item = self.element()
        while True:
            self.skip_space()
            char = self.peek()
            if char and char in "*+?":
                self.pos += 1
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
                item = Repeat(item, low, high)
            elif char == "{":
                item = Repeat(item, *self.repetition())
            else:
                return item

    def repetition(self) -> tuple[int, int | None]:
        start = self.pos
        end = self.text.find("}", self.pos)
        body = self.text[self.pos + 1:end] if end > 0 else ""
        match = re.fullmatch(r"\s*(\d*)\s*(,)?\s*(\d*)\s*", body)
        if end < 0 or match is None or not (match.group(1) or match.group(3)):
            raise self.error("a repetition is {m}, {m,}, {m,n} or {,n}", start)
        low = int(match.group(1) or 0)
        high = int(match.group(3)) if match.group(3) else (None if match.group(2) else low)
        if high is not None and high < low:
            raise self.error(f"repetition {{{body}}} has its maximum below its minimum", start)
        self.pos = end + 1
        return low, high

    def element(self) -> Node:
        char = self.peek()
        if char == '"':
            return Literal(self.string())
        if char == "[":
            return self.char_class()
        if char == "(":
            start = self.pos
            self.pos += 1
            inner = self.choice()
            self.skip_space()
            if self.peek() != ")":
                raise self.error("'(' is not closed", start)
            self.pos += 1
            return inner
        if char == ".":
            self.pos += 1
            return AnyChar()
        start = self.pos
        name = self.name()
        if name is not None:
            line, column = _line_column(self.text, start)
            ref = RuleRef(name, line, column)
            self.refs.append(ref)
            return ref
        raise self.error(f"unexpected {char!r}; expected a \"string\", a [class], a rule name, '(' or '.'")

    def escape(self) -> str:
        """The character of the escape at self.pos (just after its backslash)."""
        kind = self.peek()
        if kind in _SIMPLE_ESCAPES:
            self.pos += 1
            return _SIMPLE_ESCAPES[kind]
        digits = _HEX_ESCAPES.get(kind)
        code = self.text[self.pos + 1:self.pos + 1 + digits] if digits else ""
        if digits and re.fullmatch(r"[0-9A-Fa-f]+", code) and len(code) == digits and int(code, 16) <= 0x10FFFF:
            self.pos += 1 + digits
            return chr(int(code, 16))
        raise self.error(f"unknown escape '\\{kind}'; allowed: \\n \\r \\t \\\\ \\\" \\' \\[ \\] \\- \\^ \\/ "
                         "\\xHH \\uHHHH \\UHHHHHHHH", self.pos - 1)

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        out = []
        while True:
            char = self.peek()
            if char in ("", "\n"):
                raise self.error("string is not closed on its line", start)
            self.pos += 1
            if char == '"':
                return "".join(out)
            out.append(self.escape() if char == "\\" else char)

    def class_char(self, start: int) -> int:
        char = self.peek()
        if char in ("", "\n"):
            raise self.error("character class is not closed on its line", start)
        self.pos += 1
        return ord(self.escape() if char == "\\" else char)

    def char_class(self) -> CharClass:
        start = self.pos
        self.pos += 1
        negated = self.peek() == "^"
        self.pos += negated
        ranges = []
        while self.peek() != "]":
            low = self.class_char(start)
            high = low
            if self.peek() == "-" and self.text[self.pos + 1:self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self.class_char(start)
                if high < low:
                    raise self.error(f"class range {chr(low)!r}-{chr(high)!r} is reversed", start)
            ranges.append((low, high))
        self.pos += 1
        if not ranges:
            raise self.error("empty character class []", start)
        return CharClass(negated, tuple(ranges))


def _line_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


# -- Lark for llguidance ------------------------------------------------------


def ebnf_to_lark(text: str) -> str:
    """The grammar as llguidance's Lark syntax (module docstring); raises GrammarError."""
    rules = parse_ebnf(text)
    return _LarkWriter({name: _unroll_tail_recursion(name, body) for name, body in rules.items()}).write()


def _unroll_tail_recursion(name: str, body: Node) -> Node:
    """A ::= x A | y A | z  ->  A ::= (x | y)* z, when A appears only at the ends of its options.

    Such a rule (e.g. the characters of a JSON string) is regular; written as right recursion
    it would make the Earley parser keep one item per repetition and stop after a few hundred.
    """
    loops, exits = [], []
    for option in body.options if isinstance(body, Choice) else (body,):
        items = option.items if isinstance(option, Sequence) else (option,)
        if items and isinstance(items[-1], RuleRef) and items[-1].name == name:
            head = items[:-1]
            if not head or name in _references(Sequence(head)):
                return body
            loops.append(head[0] if len(head) == 1 else Sequence(head))
        elif name in _references(option):
            return body
        else:
            exits.append(option)
    if not loops or not exits:
        return body
    loop = Repeat(loops[0] if len(loops) == 1 else Choice(tuple(loops)), 0, None)
    return Sequence((loop, exits[0] if len(exits) == 1 else Choice(tuple(exits))))


def _references(node: Node) -> set[str]:
    if isinstance(node, RuleRef):
        return {node.name}
    children = node.items if isinstance(node, Sequence) else node.options if isinstance(node, Choice) else \
        (node.item,) if isinstance(node, Repeat) else ()
    return set().union(*(_references(child) for child in children))


def _recursive_rules(rules: dict[str, Node]) -> set[str]:
    """Rules that need the context-free parser: they recurse, or use a rule that does."""
    direct = {name: _references(body) for name, body in rules.items()}
    reach: dict[str, set[str]] = {}
    for name in rules:
        seen, todo = set(), list(direct[name])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(direct[current])
        reach[name] = seen
    cyclic = {name for name in rules if name in reach[name]}
    return {name for name in rules if name in cyclic or reach[name] & cyclic}


def _class_char(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:X}}}"


class _LarkWriter:
    def __init__(self, rules: dict[str, Node]):
        self.rules = rules
        self.recursive = _recursive_rules(rules)
        self.names: dict[str, str] = {}
        self.terminals: dict[str, str] = {}  # body -> name of the terminals made for runs of items
        used = {"start"}
        for name in rules:
            cfg = name in self.recursive
            if name == ROOT_RULE and cfg:
                self.names[name] = "start"
                continue
            base = ("r_" + re.sub(r"[^A-Za-z0-9]", "_", name)).lower()
            base = base if cfg else base.upper()
            lark_name, suffix = base, 2
            while lark_name in used:
                lark_name, suffix = f"{base}_{suffix}", suffix + 1
            used.add(lark_name)
            self.names[name] = lark_name

    def write(self) -> str:
        lines = [] if ROOT_RULE in self.recursive else [f"start: {self.names[ROOT_RULE]}"]
        for name in self._reachable():
            body = self.rules[name]
            expression = self.rule(body) if name in self.recursive else self.term(body)
            lines.append(f"{self.names[name]}: {expression}")
        lines.extend(f"{name}: {body}" for body, name in self.terminals.items())
        return "\n".join(lines) + "\n"

    def _reachable(self) -> list[str]:
        seen, todo = {ROOT_RULE}, [ROOT_RULE]
        while todo:
            for name in _references(self.rules[todo.pop()]):
                if name not in seen:
                    seen.add(name)
                    todo.append(name)
        return [name for name in self.rules if name in seen]

    def is_regular(self, node: Node) -> bool:
        return not (_references(node) & self.recursive)

    def term(self, node: Node) -> str:
        """A regular node in terminal syntax (one lexeme)."""
        if isinstance(node, Literal):
            return json.dumps(node.text, ensure_ascii=False)
        if isinstance(node, CharClass):
            body = "".join(_class_char(lo) if lo == hi else f"{_class_char(lo)}-{_class_char(hi)}"
                           for lo, hi in node.ranges)
            return f"/[{'^' if node.negated else ''}{body}]/"
        if isinstance(node, AnyChar):
            return "/(?s:.)/"
        if isinstance(node, RuleRef):
            return self.names[node.name]
        if isinstance(node, Sequence):
            return " ".join(self.term(item) for item in node.items) if node.items else '""'
        if isinstance(node, Choice):
            return "(" + " | ".join(self.term(option) for option in node.options) + ")"
        return self.repeat(self.term(node.item), node)

    def rule(self, node: Node) -> str:
        """A node inside a recursive rule: each regular run becomes one terminal."""
        if self.is_regular(node):
            return self.terminal(node)
        if isinstance(node, RuleRef):
            return self.names[node.name]
        if isinstance(node, Sequence):
            parts, run = [], []
            for item in node.items + (None,):
                if item is not None and self.is_regular(item):
                    run.append(item)
                    continue
                if run:
                    parts.append(self.terminal(run[0] if len(run) == 1 else Sequence(tuple(run))))
                    run = []
                if item is not None:
                    parts.append(self.rule(item))
            return " ".join(parts)
        if isinstance(node, Choice):
            return "(" + " | ".join(self.rule(option) for option in node.options) + ")"
        return self.repeat(self.rule(node.item), node)

    def terminal(self, node: Node) -> str:
        if isinstance(node, (RuleRef, Literal)):
            return self.term(node)
        body = self.term(node)
        if body not in self.terminals:
            self.terminals[body] = f"T_{len(self.terminals) + 1}"
        return self.terminals[body]

    @staticmethod
    def repeat(inner: str, node: Repeat) -> str:
        # Names, literals, classes and (choices) are atoms; a sequence or a repeat needs parentheses.
        atom = f"({inner})" if isinstance(node.item, (Sequence, Repeat)) and not inner.isidentifier() else inner
        low, high = node.low, node.high
        postfix = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((low, high))
        if postfix is None:
            postfix = f"{{{low},}}" if high is None else f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        return atom + postfix
