"""Writing GBNF-style EBNF as xgrammar's `compileGrammar` reads it.

Pieces the grammar generators (grammar/json_ebnf.py and its helpers) share:
quoted literals, sets of code points written the way xgrammar 0.1.27 matches
them (`one_of_chars`), sequences and alternations, literal alternatives
factored as a trie, and `RuleSet`, which names each distinct rule body once.

Why a trie: xgrammar 0.1.27 merges alternatives of plain literals that share
a prefix wrongly (`"x20" | "x11" | "x10"` accepts `x21`), so no alternation
written here has two literal branches that start alike: common prefixes are
pulled out, and sibling branches start with different characters.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .spec import GrammarError

MAX_CODE_POINT = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)

Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive (lo, hi) code point ranges
NOTHING: Ranges = ()
# Every Unicode scalar value: what a JSON string (valid UTF-8) can hold.
EVERY_CHAR: Ranges = ((0, SURROGATES[0] - 1), (SURROGATES[1] + 1, MAX_CODE_POINT))
EMPTY = '""'  # the empty sequence
ASCII: Ranges = ((0, 0x7F),)
NON_ASCII: Ranges = ((0x80, SURROGATES[0] - 1), (SURROGATES[1] + 1, MAX_CODE_POINT))
MAX_LISTED_CHARS = 256  # non-ASCII characters a set may list one by one


def ranges_of(items: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, merged ranges (adjacent or overlapping ones joined)."""
    merged: list[list[int]] = []
    for lo, hi in sorted(items):
        if lo > hi:
            continue
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def chars(text: str) -> Ranges:
    return ranges_of((ord(c), ord(c)) for c in text)


def union(*sets: Ranges) -> Ranges:
    return ranges_of(r for s in sets for r in s)


def complement(ranges: Ranges) -> Ranges:
    """Every scalar value not in `ranges`."""
    return difference(EVERY_CHAR, ranges)


def difference(ranges: Ranges, removed: Ranges) -> Ranges:
    removed = ranges_of(removed)  # sorted and merged: the walk below relies on it
    out: list[tuple[int, int]] = []
    for lo, hi in ranges_of(ranges):
        for r_lo, r_hi in removed:
            if r_hi < lo or r_lo > hi:
                continue
            if r_lo > lo:
                out.append((lo, r_lo - 1))
            lo = max(lo, r_hi + 1)
            if lo > hi:
                break
        if lo <= hi:
            out.append((lo, hi))
    return ranges_of(out)


def intersection(a: Ranges, b: Ranges) -> Ranges:
    return difference(a, difference(a, b))


def scalar_values(ranges: Ranges) -> Ranges:
    """`ranges` without the surrogate code points, which no UTF-8 text holds."""
    return intersection(ranges, EVERY_CHAR)


def _escaped(code: int, in_class: bool) -> str:
    char = chr(code)
    special = '\\]^-' if in_class else '\\"'
    if char in special:
        return "\\" + char
    if 0x20 <= code < 0x7F:  # printable ASCII as it is; the rest escaped, so the grammar text is ASCII
        return char
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def literal(text: str) -> str:
    """`text` as a quoted EBNF literal."""
    return '"' + "".join(_escaped(ord(c), False) for c in text) + '"'


def _class_body(ranges: Ranges) -> str:
    body = []
    for lo, hi in ranges:
        body.append(_escaped(lo, True) if lo == hi else
                    _escaped(lo, True) + ("" if hi == lo + 1 else "-") + _escaped(hi, True))
    return "".join(body)


def char_class(ranges: Ranges) -> str:
    """A bracketed class of these ASCII characters."""
    if not ranges:
        raise ValueError("an empty character class matches nothing")
    if ranges[-1][1] > ASCII[0][1]:
        raise ValueError("xgrammar 0.1.27 classes match ASCII members only: use one_of_chars")
    return "[" + _class_body(ranges) + "]"


def one_of_chars(ranges: Ranges) -> str:
    """One character of `ranges`, in the forms xgrammar 0.1.27 matches correctly.

    Measured: its positive classes never match a non-ASCII member, and its
    negated classes ignore non-ASCII members (every non-ASCII character
    matches `[^...]`). So the ASCII part is a class, all non-ASCII characters
    together are a negated class, and a few non-ASCII ones are literals;
    "most but not all" non-ASCII characters cannot be written (GrammarError).
    """
    low = intersection(ranges, ASCII)
    high = scalar_values(difference(ranges, ASCII))
    if not difference(NON_ASCII, high):  # every non-ASCII character
        if low == ASCII:
            return f"({char_class(ASCII)} | [^{_class_body(ASCII)}])"
        return f"[^{_class_body(difference(ASCII, low))}]"
    listed = sum(hi - lo + 1 for lo, hi in high)
    if listed > MAX_LISTED_CHARS:
        raise GrammarError(f"a set of {listed} non-ASCII characters that is not all of them cannot be enforced "
                           f"by the browser's grammar engine (xgrammar 0.1.27 matches up to {MAX_LISTED_CHARS} "
                           "listed non-ASCII characters, or all of them)")
    branches = [char_class(low) if len(low) > 1 or low[0][0] != low[0][1] else literal(chr(low[0][0]))] if low else []
    branches += [literal(chr(code)) for lo, hi in high for code in range(lo, hi + 1)]
    if not branches:
        raise ValueError("an empty character set matches nothing")
    return alternation(branches)


def group(expr: str) -> str:
    """`expr` made safe to quantify: one atom as it is, anything else in parentheses."""
    return expr if _is_atom(expr) else f"({expr})"


def _token_end(expr: str, start: int) -> int:
    """Index just past the atom starting at `start` (a literal, a class, a group or a name)."""
    opener = expr[start]
    if opener in '"[':
        closer = '"' if opener == '"' else "]"
        index = start + 1
        while expr[index] != closer:
            index += 2 if expr[index] == "\\" else 1
        return index + 1
    if opener == "(":
        depth, index = 0, start
        while True:
            if expr[index] in '"[':
                index = _token_end(expr, index)
                continue
            depth += {"(": 1, ")": -1}.get(expr[index], 0)
            index += 1
            if depth == 0:
                return index
    index = start
    while index < len(expr) and (expr[index].isalnum() or expr[index] in "_-"):  # GBNF names may hold '-'
        index += 1
    return max(index, start + 1)


def _is_atom(expr: str) -> bool:
    """One literal, class, group or rule name, unquantified."""
    return bool(expr) and _token_end(expr, 0) == len(expr)


def _has_top_level_bar(expr: str) -> bool:
    index = 0
    while index < len(expr):
        if expr[index] in '"[(':
            index = _token_end(expr, index)
        elif expr[index] == "|":
            return True
        else:
            index += 1
    return False


def sequence(*parts: str) -> str:
    """Concatenation; empty parts are dropped and adjacent literals joined ("ab" "cd" -> "abcd")."""
    tokens: list[str] = []
    for part in parts:
        if not part or part == EMPTY:
            continue
        for token in [f"({part})"] if _has_top_level_bar(part) else _tokens(part):
            if tokens and _is_literal(tokens[-1]) and _is_literal(token):
                tokens[-1] = tokens[-1][:-1] + token[1:]
            else:
                tokens.append(token)
    return " ".join(tokens) if tokens else EMPTY


def _tokens(expr: str) -> list[str]:
    """The top-level items of a sequence without `|`, each with its quantifier."""
    out, index = [], 0
    while index < len(expr):
        if expr[index] == " ":
            index += 1
            continue
        end = _token_end(expr, index)
        while end < len(expr) and expr[end] in "?*+{":
            end = expr.index("}", end) + 1 if expr[end] == "{" else end + 1
        out.append(expr[index:end])
        index = end
    return out


def _is_literal(expr: str) -> bool:
    return expr.startswith('"') and _is_atom(expr)


def alternation(branches: Sequence[str]) -> str:
    """Alternatives (duplicates dropped); an empty branch makes the rest optional."""
    unique = list(dict.fromkeys(branches))
    optional = EMPTY in unique
    kept = [b for b in unique if b != EMPTY]
    if not kept:
        return EMPTY
    body = kept[0] if len(kept) == 1 else " | ".join(kept)
    return f"{group(body)}?" if optional else body


def repeat(expr: str, low: int, high: int | None) -> str:
    """`expr` repeated low..high times (high None: no limit)."""
    if high is not None and high < low:
        raise ValueError(f"repeat bounds {low}..{high} are empty")
    if high == 0:
        return EMPTY
    atom = group(expr)
    if (low, high) == (1, 1):
        return expr
    if (low, high) == (0, 1):
        return f"{atom}?"
    if (low, high) == (0, None):
        return f"{atom}*"
    if (low, high) == (1, None):
        return f"{atom}+"
    if high is None:
        return f"{atom}{{{low},}}"
    if low == high:
        return f"{atom}{{{low}}}"
    return f"{atom}{{{low},{high}}}"


def literal_trie(items: Sequence[tuple[str, str]]) -> str:
    """Alternatives `literal(text) tail` factored as a trie of the texts.

    `items` are (text, tail expression); sibling branches start with different
    characters, so xgrammar's merging of literal alternatives cannot mix them
    up (module docstring). Equal texts keep their tails as alternatives.
    """
    if not items:
        raise ValueError("a trie needs at least one branch")
    return _trie(list(items))


def _trie(items: list[tuple[str, str]]) -> str:
    ended = [tail for text, tail in items if not text]
    by_first: dict[str, list[tuple[str, str]]] = {}
    for text, tail in items:
        if text:
            by_first.setdefault(text[0], []).append((text, tail))
    branches = [alternation(ended)] if ended else []
    for first, group_items in by_first.items():
        prefix = _common_prefix([text for text, _ in group_items])
        rest = [(text[len(prefix):], tail) for text, tail in group_items]
        if len(rest) == 1:
            branches.append(sequence(literal(prefix), rest[0][0] and literal(rest[0][0]), rest[0][1]))
        else:
            branches.append(sequence(literal(prefix), group(_trie(rest))))
    if len(branches) > 1 and EMPTY in branches:
        # an ended branch beside others: "x" | "xy" -> "x" ("y")?, never a bare "" alternative
        others = [b for b in branches if b != EMPTY]
        return f"{group(alternation(others))}?"
    return alternation(branches)


def _common_prefix(texts: list[str]) -> str:
    first, last = min(texts), max(texts)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


class RuleSet:
    """The rules of one grammar: each distinct body gets one name, `root` comes first."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self._bodies: dict[str, str] = {}  # name -> body
        self._names: dict[str, str] = {}  # body -> name
        self._counts: dict[str, int] = {}

    def add(self, hint: str, body: str) -> str:
        """The name of a rule with this body (an existing one when the body is known)."""
        known = self._names.get(body)
        if known is not None:
            return known
        name = self.reserve(hint)
        self.define(name, body)
        return name

    def reserve(self, hint: str) -> str:
        """A fresh name, defined later (recursive rules refer to it before their body exists)."""
        base = self.prefix + "".join(c if c.isalnum() else "_" for c in hint).strip("_").lower() or "rule"
        if not base[0].isalpha():
            base = "r_" + base
        count = self._counts.get(base, 0)
        self._counts[base] = count + 1
        name = base if count == 0 else f"{base}_{count + 1}"
        while name in self._bodies:  # a hint ending in digits can collide with a numbered name
            count += 1
            name = f"{base}_{count + 1}"
        self._bodies[name] = ""
        return name

    def define(self, name: str, body: str) -> None:
        self._bodies[name] = body
        self._names.setdefault(body, name)

    def text(self, root_body: str) -> str:
        """The grammar: `root ::= root_body`, then every rule in the order made."""
        lines = [f"root ::= {root_body}"]
        lines += [f"{name} ::= {body}" for name, body in self._bodies.items()]
        return "\n".join(lines) + "\n"


def unquote(expr: str) -> str:
    """The text of a literal written by `literal`."""
    out, index = [], 1
    while index < len(expr) - 1:
        char = expr[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        kind = expr[index + 1]
        width = {"u": 4, "U": 8}.get(kind)
        if width:
            out.append(chr(int(expr[index + 2:index + 2 + width], 16)))
            index += 2 + width
        else:
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(kind, kind))
            index += 2
    return "".join(out)


def split_leading_literal(expr: str) -> tuple[str, str]:
    """(text, rest) of a sequence that starts with a literal; ("", expr) for anything else."""
    if not expr or expr[0] != '"' or _has_top_level_bar(expr):
        return "", expr
    end = _token_end(expr, 0)
    if end < len(expr) and expr[end] in "?*+{":  # a quantified literal is no fixed prefix
        return "", expr
    return unquote(expr[:end]), expr[end:].strip() or EMPTY
