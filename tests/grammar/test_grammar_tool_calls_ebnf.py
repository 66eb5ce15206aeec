"""grammar/tool_calls_ebnf.py: tool-call grammars as EBNF, run in the real web-xgrammar (node)."""

import json
import random
from itertools import product

import pytest

from xgrammar_node import XGrammarNode
from webgpu_llm.grammar.spec import GrammarError, ToolCallsGrammar, ToolCallTag
from webgpu_llm.grammar.tool_calls_ebnf import text_without, tool_calls_ebnf

WEATHER = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12},
                                            "unit": {"enum": ["celsius", "fahrenheit"]}},
           "required": ["city"], "additionalProperties": False}
SUM = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
       "required": ["a", "b"], "additionalProperties": False}


def hermes_tag(name: str, schema: dict) -> ToolCallTag:
    return ToolCallTag(f'<tool_call>\n{{"name": "{name}", "arguments": ', json.dumps(schema), "}\n</tool_call>")


def call(name: str, arguments: str) -> str:
    return f'<tool_call>\n{{"name": "{name}", "arguments": {arguments}}}\n</tool_call>'


TAGS = (hermes_tag("get_weather", WEATHER), hermes_tag("get_wind", WEATHER), hermes_tag("sum", SUM))
WEATHER_CALL = call("get_weather", '{"city": "Paris"}')
SUM_CALL = call("sum", '{"a": 1, "b": -2}')


@pytest.fixture(scope="module")
def xg():
    node = XGrammarNode()
    yield node
    node.close()


def verdicts(xg, grammar: ToolCallsGrammar, texts: list[str]) -> dict[str, bool]:
    return dict(zip(texts, xg.accepts(tool_calls_ebnf(grammar), texts)))


def test_required_call_takes_one_valid_call_and_nothing_else(xg):
    grammar = ToolCallsGrammar("<tool_call>", TAGS, free_text=False, parallel=False)
    got = verdicts(xg, grammar, [WEATHER_CALL, SUM_CALL, call("get_wind", '{"city": "Oslo", "unit": "celsius"}'),
                                 "", "Sure! " + WEATHER_CALL, WEATHER_CALL + "\n" + SUM_CALL,
                                 call("get_weather", '{"town": "Paris"}'), call("sum", '{"a": 1}'),
                                 call("get_weathers", '{"city": "Paris"}'), call("nope", "{}")])
    assert [t for t, ok in got.items() if ok] == [WEATHER_CALL, SUM_CALL,
                                                 call("get_wind", '{"city": "Oslo", "unit": "celsius"}')]


def test_parallel_calls_are_joined_by_the_separator(xg):
    grammar = ToolCallsGrammar("<tool_call>", TAGS, free_text=False, parallel=True)
    got = verdicts(xg, grammar, [WEATHER_CALL, WEATHER_CALL + "\n" + SUM_CALL, WEATHER_CALL + SUM_CALL,
                                 WEATHER_CALL + "\n", SUM_CALL + "\n" + SUM_CALL + "\n" + WEATHER_CALL])
    assert [t for t, ok in got.items() if ok] == [WEATHER_CALL, WEATHER_CALL + "\n" + SUM_CALL,
                                                 SUM_CALL + "\n" + SUM_CALL + "\n" + WEATHER_CALL]


def test_auto_allows_text_then_at_most_one_constrained_call(xg):
    grammar = ToolCallsGrammar("<tool_call>", TAGS, free_text=True, parallel=False)
    texts = ["", "Paris is sunny.", "a < b and <tool_ is not a call", "Let me check. " + WEATHER_CALL, WEATHER_CALL,
             "x <tool<tool_call" + WEATHER_CALL[len("<tool_call"):],
             "<tool_call> free text after the trigger", WEATHER_CALL + " trailing text", WEATHER_CALL + SUM_CALL,
             "text " + call("sum", '{"a": "one", "b": 2}')]
    got = verdicts(xg, grammar, texts)
    assert [t for t, ok in got.items() if ok] == texts[:6]


def test_auto_parallel_allows_text_between_calls(xg):
    grammar = ToolCallsGrammar("<tool_call>", TAGS, free_text=True, parallel=True)
    texts = ["One. " + WEATHER_CALL + " Two. " + SUM_CALL + " done", WEATHER_CALL + SUM_CALL, "plain",
             WEATHER_CALL + " <tool_call> broken"]
    got = verdicts(xg, grammar, texts)
    assert [t for t, ok in got.items() if ok] == texts[:3]


@pytest.mark.parametrize("trigger", ["<tc>", "[T]", "@", "{\"name\": \""])
def test_text_without_trigger_is_exactly_the_texts_free_of_it(xg, trigger):
    alphabet = "".join(dict.fromkeys(trigger + "x"))
    texts = [""] + ["".join(p) for n in range(1, 6) for p in product(alphabet, repeat=n)]
    if len(texts) > 5000:
        texts = [""] + random.Random(3).sample(texts[1:], 5000)
    got = xg.accepts(f"root ::= {text_without(trigger)}\n", texts)
    assert [t for t, ok in zip(texts, got) if ok != (trigger not in t)] == []


def test_text_may_hold_non_ascii(xg):
    assert xg.accepts(f"root ::= {text_without('<tool_call>')}\n", ["héllo 😀 <", "日本語<tool"]) == [True, True]


@pytest.mark.parametrize("trigger, message", [("<a<", "recurs"), ("«call»", "ASCII"), ("", "empty")])
def test_triggers_the_browser_grammar_cannot_write(trigger, message):
    with pytest.raises(GrammarError, match=message):
        text_without(trigger)


def test_bad_arguments_schema_names_the_tool():
    tag = ToolCallTag("<tool_call>\n", json.dumps({"type": "string", "pattern": "(?=x)"}), "\n</tool_call>")
    with pytest.raises(GrammarError, match="tool call .*pattern"):
        tool_calls_ebnf(ToolCallsGrammar("<tool_call>", (tag,), free_text=False, parallel=False))
