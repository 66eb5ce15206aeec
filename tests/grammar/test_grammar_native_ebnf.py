"""EBNF grammars through llguidance: walks stay in the language, and the grammar agrees with a
reference regex on strings near those walks (one character deleted, replaced or inserted)."""

import asyncio
import json
import random
import re

import pytest

from grammar_support import allowed_ids, random_walk, walk_text
from schema_cases import EBNF_CASES, WEBLLM_JSON_GRAMMAR
from webgpu_llm.grammar.native import LlguidanceBackend
from webgpu_llm.grammar.spec import EbnfGrammar, GrammarError

SEEDS = (0, 1, 2)
NEAR_CHARS = "ab09-,()[]n<>\"\t xyéü="


@pytest.fixture(scope="module")
def backend(smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    return LlguidanceBackend(tokenizer, vocab_size, stop_ids)


def new_matcher(backend, text):
    async def make():
        return await backend.matcher(await backend.compile(EbnfGrammar(text)))
    return asyncio.run(make())


def brackets(text: str) -> bool:
    """The language of the `recursion` case: item ::= "[" (item ("," item)*)? "]" | "n"."""
    def item(pos):
        if text.startswith("n", pos):
            return pos + 1
        if not text.startswith("[", pos):
            return None
        pos += 1
        if text.startswith("]", pos):
            return pos + 1
        pos = item(pos)
        while pos is not None and text.startswith(",", pos):
            pos = item(pos + 1)
        return pos + 1 if pos is not None and text.startswith("]", pos) else None
    return item(0) == len(text)


def in_language(regex, text):
    return brackets(text) if regex is None else re.fullmatch(regex, text) is not None


def grammar_accepts(backend, grammar_text, tokenizer, stop_ids, vocab_size, text) -> bool:
    matcher = new_matcher(backend, grammar_text)
    if not all(matcher.accept_token(t) for t in tokenizer.encode(text, add_special_tokens=False)):
        return False
    return stop_ids[0] in allowed_ids(matcher.next_mask(), vocab_size)


def near(text, rng, count=12):
    out = set()
    for _ in range(count):
        pos = rng.randrange(len(text) + 1)
        char = rng.choice(NEAR_CHARS)
        out.update({text[:pos] + text[pos + 1:], text[:pos] + char + text[pos + 1:], text[:pos] + char + text[pos:]})
    return sorted(out)


@pytest.mark.parametrize("name,text,regex", EBNF_CASES, ids=[name for name, _, _ in EBNF_CASES])
def test_walks_stay_in_the_language(backend, smollm2_model, name, text, regex):
    tokenizer, vocab_size, stop_ids = smollm2_model
    rng = random.Random(name)
    for seed in SEEDS:
        walk = random_walk(new_matcher(backend, text), tokenizer, stop_ids, vocab_size, seed)
        produced = walk_text(walk, tokenizer, stop_ids)
        assert in_language(regex, produced), produced
        for candidate in near(produced, rng):
            expected = in_language(regex, candidate)
            assert grammar_accepts(backend, text, tokenizer, stop_ids, vocab_size, candidate) == expected, \
                (candidate, expected)


def test_syntax_errors_reach_the_caller_with_their_place(backend):
    with pytest.raises(GrammarError, match="line 2, column 9: rule 'digit' is not defined"):
        asyncio.run(backend.compile(EbnfGrammar('root ::= num\nnum ::= digit+')))


def test_webllm_json_grammar_gives_json_and_takes_long_strings(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    for seed in SEEDS:
        walk = random_walk(new_matcher(backend, WEBLLM_JSON_GRAMMAR), tokenizer, stop_ids, vocab_size, seed)
        assert isinstance(json.loads(walk_text(walk, tokenizer, stop_ids)), (dict, list))
    # a string of 1600 tokens: its right-recursive characters must not pile up parser items
    text = json.dumps({"a": "x y z w " * 400, "b": [1, {"c": None}]})
    assert grammar_accepts(backend, WEBLLM_JSON_GRAMMAR, tokenizer, stop_ids, vocab_size, text)


def test_a_grammar_past_the_engine_limits_fails_with_a_grammar_error(backend, smollm2_model):
    """Mutual right recursion keeps one parser item per step; llguidance stops at its limit, and
    the matcher says so instead of handing the sampler an empty mask."""
    tokenizer, vocab_size, stop_ids = smollm2_model
    matcher = new_matcher(backend, 'root ::= "x" pair | "."\npair ::= "y" root')
    with pytest.raises(GrammarError, match="llguidance"):
        for token in tokenizer.encode("xy" * 3000 + ".", add_special_tokens=False):
            assert len(allowed_ids(matcher.next_mask(), vocab_size))
            assert matcher.accept_token(token)
