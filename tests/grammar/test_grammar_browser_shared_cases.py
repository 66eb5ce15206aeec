"""The shared grammar cases (tests/schema_cases.py) through the browser engine: grammar/browser.py
over web/grammar.js in the real web-xgrammar (node), with SmolLM2's tokenizer and the walks of
tests/grammar_support.py, as the native engine's tests run them."""

import asyncio
import json
import re

import pytest

from grammar_support import check_layout, random_walk, validate, walk_text
from schema_cases import EBNF_CASES, REFUSED_SCHEMAS, SCHEMA_CASES, WEBLLM_JSON_GRAMMAR
from xgrammar_node import XGrammarNode
from webgpu_llm.grammar.browser import XGrammarBackend, grammar_ebnf
from webgpu_llm.grammar.spec import EbnfGrammar, GrammarError, JsonSchemaGrammar, ToolCallsGrammar, ToolCallTag

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def xg():
    node = XGrammarNode()
    yield node
    node.close()


@pytest.fixture(scope="module")
def backend(xg, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    return asyncio.run(XGrammarBackend.create(xg.bridge(), tokenizer, vocab_size, stop_ids))


class MaskReader:
    """An XGrammarMatcher with `next_mask()`, which grammar_support's walks read (the bytes grammar.js holds)."""

    def __init__(self, xg, matcher):
        self.xg, self.matcher = xg, matcher

    def next_mask(self) -> bytes:
        return self.xg.mask(self.matcher.id)

    def accept_token(self, token: int) -> bool:
        return self.matcher.accept_token(token)


def new_matcher(xg, backend, grammar):
    async def make():
        return await backend.matcher(await backend.compile(grammar))
    return MaskReader(xg, asyncio.run(make()))


@pytest.mark.parametrize("name,schema", SCHEMA_CASES, ids=[name for name, _ in SCHEMA_CASES])
def test_walks_validate_under_the_original_schema(xg, backend, smollm2_model, name, schema):
    tokenizer, vocab_size, stop_ids = smollm2_model
    for seed in SEEDS:
        walk = random_walk(new_matcher(xg, backend, JsonSchemaGrammar(json.dumps(schema))), tokenizer, stop_ids,
                           vocab_size, seed)
        text = walk_text(walk, tokenizer, stop_ids)
        validate(schema, json.loads(text))
        check_layout(text)


@pytest.mark.parametrize("schema,keyword", REFUSED_SCHEMAS, ids=[k for _, k in REFUSED_SCHEMAS])
def test_refused_schemas_name_the_keyword(schema, keyword):
    with pytest.raises(GrammarError, match=re.escape(keyword)):
        grammar_ebnf(JsonSchemaGrammar(json.dumps(schema)))


def balanced(text: str) -> bool:
    """The language of the `recursion` case: item ::= "[" (item ("," item)*)? "]" | "n"."""
    def item(at):
        if text.startswith("n", at):
            return at + 1
        if not text.startswith("[", at):
            return None
        at += 1
        if text.startswith("]", at):
            return at + 1
        at = item(at)
        while at is not None and text.startswith(",", at):
            at = item(at + 1)
        return at + 1 if at is not None and text.startswith("]", at) else None
    return item(0) == len(text)


@pytest.mark.parametrize("name,text,regex", EBNF_CASES, ids=[name for name, _, _ in EBNF_CASES])
def test_ebnf_walks_stay_in_the_language(xg, backend, smollm2_model, name, text, regex):
    tokenizer, vocab_size, stop_ids = smollm2_model
    for seed in SEEDS:
        walk = random_walk(new_matcher(xg, backend, EbnfGrammar(text)), tokenizer, stop_ids, vocab_size, seed)
        produced = walk_text(walk, tokenizer, stop_ids)
        assert (re.fullmatch(regex, produced, re.S) is not None) if regex else balanced(produced), produced


def test_webllm_json_grammar_gives_json(xg, backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    for seed in SEEDS:
        walk = random_walk(new_matcher(xg, backend, EbnfGrammar(WEBLLM_JSON_GRAMMAR)), tokenizer, stop_ids,
                           vocab_size, seed)
        assert isinstance(json.loads(walk_text(walk, tokenizer, stop_ids)), (dict, list))


def test_hermes_tool_calls(xg, backend, smollm2_model):
    """tool_choice required: the walk is one call whose arguments validate; auto: text, then maybe a call."""
    tokenizer, vocab_size, stop_ids = smollm2_model
    tools = {"get_weather": SCHEMA_CASES[[n for n, _ in SCHEMA_CASES].index("flat_object")][1],
             "nested": SCHEMA_CASES[[n for n, _ in SCHEMA_CASES].index("nested_objects")][1]}
    tags = tuple(ToolCallTag(f'<tool_call>\n{{"name": "{name}", "arguments": ', json.dumps(schema), "}\n</tool_call>")
                 for name, schema in tools.items())
    required = ToolCallsGrammar("<tool_call>", tags, free_text=False, parallel=False)
    auto = ToolCallsGrammar("<tool_call>", tags, free_text=True, parallel=False)
    for seed in SEEDS:
        text = walk_text(random_walk(new_matcher(xg, backend, required), tokenizer, stop_ids, vocab_size, seed),
                         tokenizer, stop_ids)
        assert text.startswith("<tool_call>\n") and text.endswith("\n</tool_call>"), text
        call = json.loads(text[len("<tool_call>\n"):-len("\n</tool_call>")])
        validate(tools[call["name"]], call["arguments"])
        free = walk_text(random_walk(new_matcher(xg, backend, auto), tokenizer, stop_ids, vocab_size, seed),
                         tokenizer, stop_ids)
        before, trigger, after = free.partition("<tool_call>")
        if trigger:
            call = json.loads(after[1:-len("\n</tool_call>")])
            validate(tools[call["name"]], call["arguments"])
