"""grammar/gbnf_xgrammar.py: WebLLM's EBNF rewritten for web-xgrammar 0.1.27 keeps its meaning
(Python regexes of each language are the reference), including where xgrammar's own reading of the
original text is wrong or aborts."""

import re

import pytest

from schema_cases import EBNF_CASES
from xgrammar_node import XGrammarNode, XGrammarError
from webgpu_llm.grammar.gbnf_xgrammar import xgrammar_ebnf
from webgpu_llm.grammar.spec import GrammarError

# (grammar xgrammar reads wrongly or refuses, regex of its language, probe strings)
FAULTS = [
    ('root ::= "x20" | "x11" | "x10"', r"x20|x11|x10", ["x20", "x11", "x10", "x21", "x1", "x2"]),
    ('root ::= "ab" ("c" | "cd" | "ce") | "abd"', r"ab(c|cd|ce)|abd", ["abc", "abcd", "abce", "abd", "abde", "ab"]),
    ('root ::= .', r".", ["a", "é", "😀", "\n", "ab", ""]),
    ('root ::= "a"{,3}', r"a{0,3}", ["", "a", "aaa", "aaaa"]),
    ('root ::= "a" | ', r"a|", ["", "a", "aa"]),
    ('root ::= "\\/" "x"', r"/x", ["/x", "\\/x"]),
    ('root ::= [à-ÿ]+', r"[à-ÿ]+", ["é", "àÿ", "a", "Ā"]),
    ('root ::= [^a-z]', r"[^a-z]", ["A", "é", "😀", "a"]),
    ('root ::= ("" | "b") "c"', r"b?c", ["c", "bc", "b"]),
]


@pytest.fixture(scope="module")
def xg():
    node = XGrammarNode()
    yield node
    node.close()


def test_xgrammar_misreads_or_refuses_the_original_text(xg):
    """Why the rewrite exists (web-xgrammar 0.1.27)."""
    assert xg.accepts(FAULTS[0][0], ["x21"]) == [True]
    for text in ('root ::= .', 'root ::= "a"{,3}', 'root ::= "a" | ', 'root ::= "\\/"'):
        with pytest.raises(XGrammarError):
            xg.accepts(text, ["a"])


@pytest.mark.parametrize("text,regex,probes", FAULTS, ids=[f[0] for f in FAULTS])
def test_rewritten_grammar_keeps_the_meaning(xg, text, regex, probes):
    rewritten = xgrammar_ebnf(text)
    verdicts = xg.accepts(rewritten, probes)
    assert [(p, v) for p, v in zip(probes, verdicts) if v != (re.fullmatch(regex, p, re.S) is not None)] == [], \
        rewritten


@pytest.mark.parametrize("name,text,regex", [c for c in EBNF_CASES if c[2]], ids=[c[0] for c in EBNF_CASES if c[2]])
def test_shared_ebnf_cases_keep_their_language(xg, name, text, regex):
    probes = [m for m in ("yes", "no", "ab_1", "Ab", "<x>", "<>", "12-ABC", "1-ABC", "abbbcc", "bc", "2024-05",
                          "2024-13", "((x)(yx))", "()", '"ab"\t', '"a\nb"', "beta!", "delta!", "a=1, b=2",
                          "a=1, b=2, c=3, a=4", "éAü", "éABCü")]
    verdicts = xg.accepts(xgrammar_ebnf(text), probes)
    assert [(p, v) for p, v in zip(probes, verdicts) if v != (re.fullmatch(regex, p, re.S) is not None)] == []


def test_syntax_errors_keep_line_and_column():
    with pytest.raises(GrammarError, match="line 2, column 9: rule 'digit' is not defined"):
        xgrammar_ebnf("root ::= num\nnum ::= digit+")


def test_unwritable_class_names_its_rule():
    with pytest.raises(GrammarError, match="rule 'root'.*non-ASCII"):
        xgrammar_ebnf("root ::= [^é]")
