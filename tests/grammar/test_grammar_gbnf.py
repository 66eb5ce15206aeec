"""grammar/gbnf.py: the GBNF-style EBNF parser and its Lark writer (standard library only)."""

import pytest

from schema_cases import EBNF_CASES
from webgpu_llm.grammar.gbnf import (AnyChar, CharClass, Choice, Literal, Repeat, RuleRef, Sequence, ebnf_to_lark,
                                     parse_ebnf)
from webgpu_llm.grammar.spec import GrammarError


def test_parse_builds_the_tree():
    rules = parse_ebnf('root ::= "a\\n" [^a-c\\]] | (x "y")* .\nx ::= [0-9]{2,} "z"?  # end')
    assert list(rules) == ["root", "x"]
    assert rules["root"] == Choice((
        Sequence((Literal("a\n"), CharClass(True, ((ord("a"), ord("c")), (ord("]"), ord("]")))))),
        Sequence((Repeat(Sequence((RuleRef("x", 1, 28), Literal("y"))), 0, None), AnyChar()))))
    assert rules["x"] == Sequence((Repeat(CharClass(False, ((48, 57),)), 2, None), Repeat(Literal("z"), 0, 1)))


def test_repetition_forms():
    forms = {"{3}": (3, 3), "{2,}": (2, None), "{1,4}": (1, 4), "{,5}": (0, 5), "{ 0 , 2 }": (0, 2)}
    for text, (low, high) in forms.items():
        assert parse_ebnf(f'root ::= "a"{text}')["root"] == Repeat(Literal("a"), low, high)


def test_escapes_in_strings_and_classes():
    rules = parse_ebnf('root ::= "\\x41\\u00e9\\U0001F600\\t\\"\\\\" [\\x30-\\x39\\-]')
    assert rules["root"] == Sequence((Literal('Aé😀\t"\\'), CharClass(False, ((48, 57), (45, 45)))))


def test_rules_end_where_the_next_rule_starts():
    rules = parse_ebnf('root ::= a\n  b\na ::= "1"\n  | "2"\nb ::= "3"')
    assert rules["root"] == Sequence((RuleRef("a", 1, 10), RuleRef("b", 2, 3)))
    assert rules["a"] == Choice((Literal("1"), Literal("2")))


BAD_GRAMMARS = [
    ('root ::= "a"\nroot ::= "b"', "line 2, column 1: rule 'root' is defined twice"),
    ('start ::= "a"', "no 'root' rule"),
    ('root ::= "a" other', "line 1, column 14: rule 'other' is not defined"),
    ('root ::= "abc', "line 1, column 10: string is not closed"),
    ('root ::= ("a" | "b"', "line 1, column 10: '(' is not closed"),
    ('root ::= "a")', "line 1, column 13: ')' without a matching '('"),
    ('root ::= "\\q"', "line 1, column 11: unknown escape '\\q'"),
    ('root ::= [z-a]', "line 1, column 10: class range 'z'-'a' is reversed"),
    ('root ::= []', "line 1, column 10: empty character class"),
    ('root ::= "a"{3,1}', "line 1, column 13: repetition {3,1} has its maximum below its minimum"),
    ('root ::= "a"{x}', "line 1, column 13: a repetition is"),
    ('root ::= "a" ; "b"', "line 1, column 14: unexpected ';'"),
    ('root = "a"', "line 1, column 6: expected '::=' after the rule name 'root'"),
    ('\n\n  ::= "a"', "line 3, column 3: expected a rule name"),
    ('root ::= {2}', "line 1, column 10: unexpected '{'"),
]


@pytest.mark.parametrize("text,message", BAD_GRAMMARS, ids=[m.split(":")[-1].strip()[:30] for _, m in BAD_GRAMMARS])
def test_bad_grammar_names_line_and_column(text, message):
    with pytest.raises(GrammarError) as caught:
        parse_ebnf(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith("EBNF grammar, line ")


def test_a_grammar_without_recursion_is_one_terminal():
    lark = ebnf_to_lark('root ::= year "-" [0-9]{2}\nyear ::= [12] [0-9]{3}\nunused ::= "x"')
    assert lark.splitlines() == ["start: R_ROOT", 'R_ROOT: R_YEAR "-" /[0-9]/{2}', "R_YEAR: /[12]/ /[0-9]/{3}"]


def test_recursive_rules_stay_rules_and_runs_become_terminals():
    lark = ebnf_to_lark('root ::= "<" [a-z]+ ">" list "!" "?"\nlist ::= "(" (list | [0-9]) ")"')
    assert lark.splitlines() == ['start: T_1 r_list T_2', 'r_list: "(" (r_list | T_3) ")"',
                                 'T_1: "<" /[a-z]/+ ">"', 'T_2: "!" "?"', "T_3: /[0-9]/"]


def test_tail_recursion_becomes_a_loop():
    lark = ebnf_to_lark('root ::= "[" chars "]"\nchars ::= "" | [a-z] chars | "\\\\" [nt] chars')
    assert lark.splitlines() == ["start: R_ROOT", 'R_ROOT: "[" R_CHARS "]"', 'R_CHARS: (/[a-z]/ | "\\\\" /[nt]/)* ""']
    # recursion inside an option's head is real recursion: it stays a rule
    assert ebnf_to_lark('root ::= "(" root ")" root | ""') == 'start: ("(" start ")" start | "")\n'


def test_names_are_made_lark_safe_and_unique():
    lark = ebnf_to_lark('root ::= a-b a_b\na-b ::= "1"\na_b ::= "2"')
    assert lark.splitlines() == ["start: R_ROOT", "R_ROOT: R_A_B R_A_B_2", 'R_A_B: "1"', 'R_A_B_2: "2"']


def test_classes_escape_every_non_alphanumeric_character():
    assert 'R_ROOT: /[^\\x{2F}\\x{5D}a-z\\x{E9}]/' in ebnf_to_lark('root ::= [^/\\]a-zé]')


@pytest.mark.parametrize("name,text,regex", EBNF_CASES, ids=[name for name, _, _ in EBNF_CASES])
def test_every_ebnf_case_parses(name, text, regex):
    assert "root" in parse_ebnf(text)
    assert ebnf_to_lark(text).startswith("start: ")
