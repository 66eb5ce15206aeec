"""ToolCallsGrammar through llguidance, in the Hermes-style <tool_call> layout, on SmolLM2's tokenizer."""

import asyncio
import json

import pytest

from grammar_support import allowed_ids, random_walk, validate, walk_text
from webgpu_llm.grammar.native import LlguidanceBackend
from webgpu_llm.grammar.spec import GrammarError, ToolCallsGrammar, ToolCallTag

TRIGGER = "<tool_call>"
END = "}\n</tool_call>"
TOOLS = {
    "get_weather": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
                                                     "unit": {"enum": ["celsius", "fahrenheit"]}},
                    "required": ["city", "unit"]},
    "add": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"]},
    "tag_items": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string",
                                                                                        "maxLength": 5},
                                                            "maxItems": 3}}},
}
SEEDS = (0, 1, 2)


def begin(name):
    return f'{TRIGGER}\n{{"name": "{name}", "arguments": '


def tool_grammar(free_text, parallel, tools=TOOLS):
    tags = tuple(ToolCallTag(begin(name), json.dumps(schema), END) for name, schema in tools.items())
    return ToolCallsGrammar(TRIGGER, tags, free_text=free_text, parallel=parallel)


@pytest.fixture(scope="module")
def backend(smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    return LlguidanceBackend(tokenizer, vocab_size, stop_ids)


def new_matcher(backend, grammar):
    async def make():
        return await backend.matcher(await backend.compile(grammar))
    return asyncio.run(make())


def parse_calls(text, separator="\n"):
    """[(name, arguments)] of text made only of calls joined by `separator`; fails otherwise."""
    calls = []
    for index, piece in enumerate(text.split("\n</tool_call>")[:-1]):
        prefix = (separator if index else "") + TRIGGER + "\n"
        assert piece.startswith(prefix), piece
        call = json.loads(piece[len(prefix):])
        assert list(call) == ["name", "arguments"]
        validate(TOOLS[call["name"]], call["arguments"])
        calls.append((call["name"], call["arguments"]))
    assert text.endswith("\n</tool_call>") and calls
    return calls


def feed(matcher, tokenizer, text):
    for token in tokenizer.encode(text, add_special_tokens=False):
        assert matcher.accept_token(token), text


def allowed_pieces(matcher, tokenizer, vocab_size, stop_ids):
    return {b"<stop>" if int(t) in stop_ids else tokenizer.token_bytes(int(t))
            for t in allowed_ids(matcher.next_mask(), vocab_size)}


def test_required_call_is_one_valid_call(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    names = set()
    for seed in SEEDS:
        matcher = new_matcher(backend, tool_grammar(free_text=False, parallel=False))
        walk = random_walk(matcher, tokenizer, stop_ids, vocab_size, seed)
        [(name, _)] = parse_calls(walk_text(walk, tokenizer, stop_ids))
        names.add(name)
    assert len(names) > 1  # the walk chooses among the tools


def test_after_a_call_only_the_stop_or_in_parallel_the_separator_follows(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    first = begin("add") + '{"a": 1, "b": -2}' + END
    single = new_matcher(backend, tool_grammar(free_text=False, parallel=False))
    feed(single, tokenizer, first)
    assert allowed_pieces(single, tokenizer, vocab_size, stop_ids) == {b"<stop>"}
    parallel = new_matcher(backend, tool_grammar(free_text=False, parallel=True))
    feed(parallel, tokenizer, first)
    assert b"<stop>" in allowed_pieces(parallel, tokenizer, vocab_size, stop_ids)
    feed(parallel, tokenizer, "\n")
    walk = random_walk(parallel, tokenizer, stop_ids, vocab_size, seed=4)
    calls = parse_calls(first + "\n" + walk_text(walk, tokenizer, stop_ids))
    assert len(calls) == 2 and calls[0] == ("add", {"a": 1, "b": -2})


def test_required_call_refuses_text_before_the_call(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    matcher = new_matcher(backend, tool_grammar(free_text=False, parallel=False))
    pieces = allowed_pieces(matcher, tokenizer, vocab_size, stop_ids)
    assert pieces and all(TRIGGER.encode().startswith(p) for p in pieces)


def test_free_text_or_a_call_once_triggered(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    for seed in SEEDS:
        matcher = new_matcher(backend, tool_grammar(free_text=True, parallel=False))
        walk = random_walk(matcher, tokenizer, stop_ids, vocab_size, seed)
        text = walk_text(walk, tokenizer, stop_ids)
        if TRIGGER in text:  # the walk wrote the trigger: then a whole call followed
            prose, _, call = text.partition(TRIGGER)
            parse_calls(TRIGGER + call)
    matcher = new_matcher(backend, tool_grammar(free_text=True, parallel=False))
    feed(matcher, tokenizer, "Let me check <tool_")
    assert b"<stop>" in allowed_pieces(matcher, tokenizer, vocab_size, stop_ids)  # no trigger yet: may end
    feed(matcher, tokenizer, "call>")
    rests = [begin(name)[len(TRIGGER):].encode() for name in TOOLS]
    pieces = allowed_pieces(matcher, tokenizer, vocab_size, stop_ids)
    assert pieces and all(any(rest.startswith(p) for rest in rests) for p in pieces)
    walk = random_walk(matcher, tokenizer, stop_ids, vocab_size, seed=7)
    assert len(parse_calls(TRIGGER + walk_text(walk, tokenizer, stop_ids))) == 1


def test_a_refused_parameter_schema_names_its_keyword(backend):
    grammar = tool_grammar(free_text=False, parallel=False,
                           tools={"bad": {"type": "object", "properties": {"x": {"not": {}}}}})
    with pytest.raises(GrammarError, match="'not'"):
        asyncio.run(backend.compile(grammar))
