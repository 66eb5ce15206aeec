"""ToolCallReader: generated text in any split -> content, call starts and argument pieces."""

import json
import random

import pytest

from webgpu_llm.engine.tool_stream import (ArgumentsPiece, CallLayout, CallStart, ContentPiece,
                                           ToolCallReader)

TRIGGER = "<tool_call>"
LAYOUTS = [CallLayout(name, f'<tool_call>\n{{"name": "{name}", "arguments": ', "}\n</tool_call>")
           for name in ("get_weather", "get_time")]


def call(name: str, arguments: dict) -> str:
    return f'<tool_call>\n{{"name": "{name}", "arguments": {json.dumps(arguments)}}}\n</tool_call>'


def fold(events):
    content, calls = "", []
    for event in events:
        if isinstance(event, ContentPiece):
            content += event.text
        elif isinstance(event, CallStart):
            assert event.index == len(calls)
            calls.append([event.name, ""])
        else:
            assert isinstance(event, ArgumentsPiece)
            calls[event.index][1] += event.text
    return content, [tuple(c) for c in calls]


def read_in_pieces(text: str, seed: int):
    rng = random.Random(seed)
    reader = ToolCallReader(TRIGGER, LAYOUTS)
    events, at = [], 0
    while at < len(text):
        step = rng.randint(1, 5)
        events += reader.push(text[at: at + step])
        at += step
    events += reader.finish()
    return reader, events


ARGS = [{"city": "Paris", "unit": "celsius"}, {"zone": "UTC}\n</tool_call> inside a string"}]


@pytest.mark.parametrize("seed", range(6))
def test_text_then_two_calls_in_any_split(seed):
    text = "Let me check. <tool" + call("get_weather", ARGS[0]) + "\n" + call("get_time", ARGS[1])
    reader, events = read_in_pieces(text, seed)
    content, calls = fold(events)
    assert content == "Let me check. <tool"
    assert calls == [("get_weather", json.dumps(ARGS[0])), ("get_time", json.dumps(ARGS[1]))]
    assert reader.calls == reader.complete == 2
    starts = [i for i, e in enumerate(events) if isinstance(e, CallStart)]
    assert all(not isinstance(e, ContentPiece) for e in events[starts[0]:])  # content comes first


def test_plain_text_is_passed_through_with_a_trigger_prefix_held_back_until_the_end():
    reader = ToolCallReader(TRIGGER, LAYOUTS)
    assert fold(reader.push("The answer is <tool"))[0] == "The answer is "
    assert fold(reader.finish()) == ("<tool", [])
    assert reader.calls == 0


def test_an_unfinished_call_keeps_its_arguments_so_far():
    reader = ToolCallReader(TRIGGER, LAYOUTS)
    events = reader.push(call("get_weather", ARGS[0])[:-20]) + reader.finish()
    content, calls = fold(events)
    assert content == "" and calls[0][0] == "get_weather"
    assert json.dumps(ARGS[0]).startswith(calls[0][1]) and reader.complete == 0
