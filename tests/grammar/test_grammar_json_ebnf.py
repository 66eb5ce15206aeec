"""grammar/json_ebnf.py and its helpers: the EBNF they write, run in the real web-xgrammar (node).

References: `jsonschema` for what a schema accepts, Python's `re` for
patterns, `datetime` for dates, `decimal` for bounds, and llguidance (the
native engine) for which JSON string texts are allowed.
"""

import json
import random
import re
from decimal import Decimal
from itertools import product

import pytest

from ebnf_schema_cases import CASES, REFUSED
from json_checks import format_ok, schema_accepts
from xgrammar_node import XGrammarNode
from webgpu_llm.grammar.ebnf_text import literal_trie
from webgpu_llm.grammar.json_ebnf import json_schema_ebnf
from webgpu_llm.grammar.json_text import encode_string
from webgpu_llm.grammar.number_ranges import integer_range, number_range
from webgpu_llm.grammar.spec import GrammarError


@pytest.fixture(scope="module")
def xg():
    node = XGrammarNode()
    yield node
    node.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_texts_agree_with_jsonschema(case):
    for text in case.valid + case.layout + case.narrower:
        assert schema_accepts(case.schema, text), (case.name, text)
    for text in case.invalid:
        assert not schema_accepts(case.schema, text), (case.name, text)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_xgrammar_takes_exactly_the_valid_texts(xg, case):
    ebnf = json_schema_ebnf(case.schema)
    refused = case.invalid + case.layout + case.narrower
    verdicts = xg.accepts(ebnf, list(case.valid + refused))
    got = dict(zip(case.valid + refused, verdicts))
    assert [t for t in case.valid if not got[t]] == [], ebnf
    assert [t for t in refused if got[t]] == [], ebnf


def test_schema_given_as_json_text_is_the_same_grammar():
    schema = CASES[0].schema
    assert json_schema_ebnf(json.dumps(schema)) == json_schema_ebnf(schema)


@pytest.mark.parametrize("schema, keyword", REFUSED, ids=[k for _, k in REFUSED])
def test_unsupported_schemas_name_the_keyword(schema, keyword):
    with pytest.raises(GrammarError, match=re.escape(keyword)):
        json_schema_ebnf(schema)


# ------------------------------------------------------------------ literal alternatives

def _all_strings(alphabet: str, longest: int) -> list[str]:
    return ["".join(p) for n in range(1, longest + 1) for p in product(alphabet, repeat=n)]


def test_xgrammar_merges_plain_literal_alternatives(xg):
    """Why literal_trie exists: with a shared prefix, web-xgrammar 0.1.27 accepts a mix of the branches."""
    assert xg.accepts('root ::= "x20" | "x11" | "x10"', ["x21"]) == [True]


def test_literal_trie_accepts_exactly_its_strings(xg):
    rng = random.Random(10)
    universe = _all_strings("x01", 4)
    for _ in range(12):
        members = set(rng.sample(universe, rng.randint(2, 12)))
        ebnf = "root ::= " + literal_trie([(m, '""') for m in sorted(members)]) + "\n"
        verdicts = xg.accepts(ebnf, universe)
        wrong = [s for s, ok in zip(universe, verdicts) if ok != (s in members)]
        assert wrong == [], (sorted(members), ebnf)


# ------------------------------------------------------------------ numbers

def test_integer_ranges_digit_by_digit(xg):
    rng = random.Random(11)
    bounds = [(-5, 120), (0, 0), (7, 7), (-1, 1), (1999, 2025), (None, -3), (10, None), (-987, -12), (0, 9),
              (0, 10), (99, 1000), (None, None), (-10 ** 12, 10 ** 12 + 7)]
    bounds += [tuple(sorted((rng.randint(-20000, 20000), rng.randint(-20000, 20000)))) for _ in range(8)]
    for lo, hi in bounds:
        probes = {0, 1, -1, 9, 10, 11, 99, 100, 101, 999, 1000, 10 ** 13}
        for edge in (lo, hi):
            if edge is not None:
                probes |= {edge - 11, edge - 10, edge - 1, edge, edge + 1, edge + 10, edge + 11, -edge}
        probes |= {rng.randint(-30000, 30000) for _ in range(30)}
        texts = [str(v) for v in sorted(probes)] + ["-0", "00", "01", "+1"]
        ebnf = f"root ::= {integer_range(lo, hi)}\n"
        verdicts = xg.accepts(ebnf, texts)
        expected = [t.lstrip("-").isdigit() and not t.lstrip("-").startswith("0") or t == "0" for t in texts]
        expected = [ok and (lo is None or int(t) >= lo) and (hi is None or int(t) <= hi)
                    for t, ok in zip(texts, expected)]
        if lo is None and hi is None:  # the unbounded form also takes -0, as llguidance does
            expected[texts.index("-0")] = True
        wrong = [(t, v) for t, v, e in zip(texts, verdicts, expected) if v != e]
        assert wrong == [], (lo, hi, ebnf)


def _decimal_texts(rng: random.Random, centers: list[Decimal]) -> list[str]:
    texts = {"0", "0.0", "-0.5", "1", "1.", ".5", "01.5", "-0", "10", "0.001", "-10.25", "1e1"}
    for center in centers:
        for delta in ("0", "0.001", "0.01", "0.1", "1", "0.0001"):
            for value in (center + Decimal(delta), center - Decimal(delta)):
                texts.add(format(value, "f"))
                texts.add(format(value, "f") + "0")  # trailing zeros are the same number
    texts |= {format(Decimal(rng.randint(-30000, 30000)) / 1000, "f") for _ in range(40)}
    return sorted(texts)


def _is_plain_decimal(text: str) -> bool:
    return re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", text) is not None and text != "-0" \
        and not re.fullmatch(r"-0(\.0+)?", text)


def test_number_ranges_against_decimal(xg):
    rng = random.Random(12)
    cases = [dict(minimum=0.5, maximum=10.25), dict(exclusive_minimum=0, exclusive_maximum=1),
             dict(minimum=-2.5, maximum=-0.5), dict(minimum=0), dict(exclusive_maximum=0), dict(maximum=3.125),
             dict(minimum=-1, exclusive_maximum=1), dict(exclusive_minimum=-0.05, maximum=0.05),
             dict(minimum=100, maximum=100), dict(minimum=1.5, exclusive_maximum=2)]
    for _ in range(6):
        a, b = sorted(Decimal(rng.randint(-5000, 5000)) / 100 for _ in range(2))
        cases.append({rng.choice(["minimum", "exclusive_minimum"]): float(a),
                      rng.choice(["maximum", "exclusive_maximum"]): float(b)})
    for bounds in cases:
        ebnf = f"root ::= {number_range(**bounds)}\n"
        centers = [Decimal(repr(float(v))) for v in bounds.values()]
        texts = _decimal_texts(rng, centers)
        verdicts = xg.accepts(ebnf, texts)
        wrong = []
        for text, verdict in zip(texts, verdicts):
            expected = _is_plain_decimal(text)
            if expected:
                value = Decimal(text)
                low = bounds.get("minimum", bounds.get("exclusive_minimum"))
                high = bounds.get("maximum", bounds.get("exclusive_maximum"))
                expected = (low is None or (value > Decimal(repr(float(low))) if "exclusive_minimum" in bounds
                                            else value >= Decimal(repr(float(low))))) and \
                           (high is None or (value < Decimal(repr(float(high))) if "exclusive_maximum" in bounds
                                             else value <= Decimal(repr(float(high)))))
            if verdict != expected:
                wrong.append((text, verdict))
        assert wrong == [], (bounds, ebnf)


# ------------------------------------------------------------------ patterns and formats

PATTERN_PROBES = [
    ("^[a-c]+x?$", ["a", "abcx", "x", "abcxx", "", "d"]),
    ("ab|cd", ["ab", "xxabyy", "cd", "ac", "a b", ""]),
    ("^(ab|a)(c|bc)$", ["abc", "ac", "abbc", "ab"]),
    ("^a{2,3}b{0,}c{2}$", ["aacc", "aaabbbcc", "acc", "aaaacc", "aabc"]),
    ("^[^a-z]*$", ["", "ABC", "A\"\\\n\t\x01\x7f", "aB"]),
    ("^\\w+\\s\\d$", ["a_1 2", "ab\t3", "ab  3", "ab 33"]),
    ("^\\x41\\u0042[\\x43-\\x45]$", ["ABC", "ABE", "ABF"]),
    ("^[.][*]\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\\\$", [".*.*+?()[]{}|/\\", ".x.*+?()[]{}|/\\"]),
    ("^(?:x|y)(?P<name>z)+$", ["xz", "yzz", "zz", "x"]),
    ("^a{1}\\{b}$", ["a{b}", "ab"]),
    ("^[\\d\\-]+$", ["1-2", "12", "a"]),
    ("^$", ["", "a"]),
    ("", ["", "anything"]),
    ("^\\t\\n\"\\\\$", ["\t\n\"\\", "\t\n\""]),
]


def _string_texts(decoded: str) -> list[str]:
    """JSON texts of `decoded`: our canonical form and, for controls, the other escape."""
    texts = [encode_string(decoded)]
    other = json.dumps(decoded)  # \u00XX for controls without a short escape, \\n etc. otherwise
    if other != texts[0] and "\\u007f" not in other:
        texts.append(other)
    return texts


@pytest.mark.parametrize("pattern, probes", PATTERN_PROBES, ids=[p for p, _ in PATTERN_PROBES])
def test_patterns_match_like_python_re(xg, pattern, probes):
    """ASCII patterns, where ECMA-262 and Python's re agree: search semantics, each text encoding."""
    ebnf = json_schema_ebnf({"type": "string", "pattern": pattern})
    texts = [(decoded, text) for decoded in probes for text in _string_texts(decoded)]
    verdicts = xg.accepts(ebnf, [t for _, t in texts])
    wrong = [(d, t, v) for (d, t), v in zip(texts, verdicts) if v != (re.search(pattern, d) is not None)]
    assert wrong == [], ebnf


def test_named_groups_are_plain_groups():
    plain = json_schema_ebnf({"type": "string", "pattern": "^(?:ab)+$"})
    for named in ("^(?<n>ab)+$", "^(?P<n>ab)+$", "^(ab)+$"):
        assert json_schema_ebnf({"type": "string", "pattern": named}) == plain


def test_date_format_knows_month_lengths_and_leap_years(xg):
    ebnf = json_schema_ebnf({"type": "string", "format": "date"})
    texts = []
    for year in (1900, 2000, 2023, 2024, 1, 400, 9999):
        for month in (0, 1, 2, 4, 12, 13):
            for day in (0, 1, 28, 29, 30, 31, 32):
                texts.append(f"{year:04d}-{month:02d}-{day:02d}")
    texts += ["0000-01-01", "2024-1-01", "24-01-01", "2024-01-1"]
    verdicts = xg.accepts(ebnf, [f'"{t}"' for t in texts])
    wrong = [(t, v) for t, v in zip(texts, verdicts) if v != format_ok("date", t)]
    assert wrong == []


# ------------------------------------------------------------------ strings as llguidance writes them

STRING_TEXTS = ['"a"', '"\\/"', '"\\u00e9"', '"\\uD83D\\uDE00"', '"\x01"', '"\x7f"', '"é😀"', '"\\x"', '"\\U0041"',
                '"\\u004a"', '"\t"', '"\\t"', '"\\b\\f\\n\\r"', '"\\u0001"', '"\\u001F"', '"\\u0000"', '"\\u007f"',
                '"\\u007F"', '"\\u0080"', '"\x85\u00a0\u2028"', '"\\\\"', '"\\""', '"\ue000\U0010ffff"', '"\\u0020"',
                '"\\u000a"', '"\\u001"', '""']


def test_string_texts_match_llguidance(xg):
    llguidance = pytest.importorskip("llguidance")

    class ByteTokenizer:  # one token per byte, so llguidance checks the text byte by byte
        eos_token_id, bos_token_id = 256, None
        tokens = [bytes([i]) for i in range(256)] + [b"<eos>"]
        special_token_ids = [256]

        def __call__(self, text):
            return list(text if isinstance(text, bytes) else text.encode())

    tokenizer = llguidance.LLTokenizer(llguidance.TokenizerWrapper(ByteTokenizer()))
    options = {"item_separator": ", ", "key_separator": ": ", "whitespace_flexible": False}
    for schema in ({"type": "string"}, {"type": "string", "maxLength": 1}):
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, overrides=options)

        def llguidance_accepts(text):
            matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
            return all(matcher.consume_token(b) for b in text.encode()) and matcher.is_accepting()

        ours = xg.accepts(json_schema_ebnf(schema), STRING_TEXTS)
        theirs = [llguidance_accepts(t) for t in STRING_TEXTS]
        assert [t for t, a, b in zip(STRING_TEXTS, ours, theirs) if a != b] == [], schema
