"""The Hermes-style tool format: prompts (Qwen2.5's own Jinja as the reference), grammar tags, parsing."""

import dataclasses
import json

import pytest

from conversation_cases import FIXTURES
from webgpu_llm.conversation import (ConversationError, get_template, parse_tool_calls, render_prompt,
                                     tool_calls_grammar, tools_for_prompt)
from webgpu_llm.conversation.tool_format import ParsedToolCall, call_begin, tools_block, write_call
from webgpu_llm.convert.template_match import render_jinja_chat
from webgpu_llm.grammar.spec import GrammarError

QWEN25_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Météo d'une ville",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"enum": ["C", "F"]}},
                   "required": ["city"]}}}
TIME = {"type": "function", "function": {"name": "get_time",
                                         "parameters": {"type": "object", "properties": {}}}}
TOOLS = [WEATHER, TIME]
USER = {"role": "user", "content": "Weather in Zürich, and the time?"}


def call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


CALLS = {"role": "assistant", "content": None,
         "tool_calls": [call("c1", "get_weather", '{"city":"Zürich","unit":"C"}'), call("c2", "get_time", "{}")]}
RESULTS = [{"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
           {"role": "tool", "tool_call_id": "c2", "content": "12:00"}]
CONVERSATIONS = {
    "first turn": [USER],
    "system and first turn": [{"role": "system", "content": "Be brief."}, USER],
    "two calls, two results": [USER, CALLS, *RESULTS],
    "text and a call": [USER, {**CALLS, "content": "Let me check.", "tool_calls": CALLS["tool_calls"][:1]},
                        RESULTS[0]],
    "results then the answer, then more": [USER, CALLS, *RESULTS, {"role": "assistant", "content": "21°C, noon."},
                                           {"role": "user", "content": "Thanks!"}],
    "one result, then a user turn": [USER, {**CALLS, "tool_calls": CALLS["tool_calls"][:1]}, RESULTS[0],
                                     {"role": "user", "content": "And tomorrow?"}],
}


def qwen25():
    source = (FIXTURES / "qwen2.5.jinja").read_text("utf-8")
    template = dataclasses.replace(get_template("qwen2"), system_message=QWEN25_DEFAULT_SYSTEM)
    return source, template


def for_jinja(messages):
    """What transformers' apply_chat_template takes: arguments as objects, not JSON text."""
    out = []
    for message in messages:
        if message.get("tool_calls"):
            calls = [{**c, "function": {**c["function"], "arguments": json.loads(c["function"]["arguments"])}}
                     for c in message["tool_calls"]]
            message = {**message, "tool_calls": calls}
        out.append(message)
    return out


# ---------------------------------------------------------- prompts

# Without tools, conversations that hold calls (the others are plain chat, tested elsewhere).
QWEN_CASES = [pytest.param(messages, TOOLS, id=f"tools, {name}") for name, messages in CONVERSATIONS.items()]
QWEN_CASES += [pytest.param(messages, None, id=f"history only, {name}") for name, messages in CONVERSATIONS.items()
               if any(m.get("tool_calls") for m in messages)]


@pytest.mark.parametrize("messages, tools", QWEN_CASES)
def test_qwen25_renders_as_its_own_jinja(messages, tools):
    source, template = qwen25()
    expected = render_jinja_chat(source, for_jinja(messages), {}, tools=tools)
    assert render_prompt(template, messages, tools=tools).text == expected


def test_qwen25_fixture_holds_its_tools_section():
    # A template without a tools section would make the parity test above trivial.
    source, _ = qwen25()
    with_tools = render_jinja_chat(source, [USER], {}, tools=TOOLS)
    assert "<tools>\n" + json.dumps(WEATHER, ensure_ascii=False) + "\n" in with_tools
    assert with_tools != render_jinja_chat(source, [USER], {})


def test_smollm2_prompt_with_a_call_and_its_result():
    messages = [USER, {**CALLS, "tool_calls": CALLS["tool_calls"][:1]}, RESULTS[0]]
    text = render_prompt(get_template("smollm2"), messages, tools=[TIME]).text
    assert text == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face\n\n"
        + tools_block([TIME]) + "<|im_end|>\n"
        "<|im_start|>user\nWeather in Zürich, and the time?<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Zürich", "unit": "C"}}\n'
        "</tool_call><|im_end|>\n"
        '<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n'
        "<|im_start|>assistant\n")
    assert tools_block([TIME]).startswith("# Tools\n\nYou may call one or more functions")
    assert '\n{"type": "function", "function": {"name": "get_time", ' in tools_block([TIME])


def test_empty_default_system_gets_the_tools_block_alone():
    text = render_prompt(get_template("llama-3"), [USER], tools=TOOLS).text
    assert text.startswith("<|start_header_id|>system<|end_header_id|>\n\n# Tools\n\n")
    assert tools_block(TOOLS) + "<|eot_id|><|start_header_id|>user" in text


def test_template_without_system_turn_opens_the_first_user_message_with_the_tools():
    text = render_prompt(get_template("gemma"), [USER], tools=TOOLS).text
    assert text == ("<start_of_turn>user\n" + tools_block(TOOLS) + "\n\n" + USER["content"]
                    + "<end_of_turn>\n<start_of_turn>model\n")


def test_plain_conversations_render_as_before():
    template = get_template("smollm2")
    messages = [USER, {"role": "assistant", "content": "ok"}]
    assert render_prompt(template, messages, tools=None) == render_prompt(template, messages)
    assert render_prompt(template, messages, tools=[]) == render_prompt(template, messages)
    # A tool message without any call keeps the template's own tool role.
    tool_only = render_prompt(template, [USER, {"role": "tool", "content": "x"}]).text
    assert "<|im_start|>tool\nx<|im_end|>" in tool_only


def test_tool_choice_none_lists_no_tools():
    assert tools_for_prompt(TOOLS, "none") == []
    assert tools_for_prompt(TOOLS, "auto") == TOOLS == tools_for_prompt(TOOLS, "function")
    with pytest.raises(ConversationError, match="tool_choice mode"):
        tools_for_prompt(TOOLS, "sometimes")


@pytest.mark.parametrize("messages, tools, says", [
    ([USER, {**CALLS, "tool_calls": [{"function": {"name": "f"}}]}], None, "tool_calls\\[0\\] must be"),
    ([USER, {**CALLS, "tool_calls": [call("c", "f", "{nope")]}], None, "not JSON"),
    ([USER, {**CALLS, "tool_calls": "f()"}], None, "must be a list"),
    ([USER], [json.dumps(WEATHER)], "tools must be a list"),
    ([{"role": "assistant", "content": "hi"}], TOOLS, None),  # fine with a system turn
])
def test_bad_tool_input_is_a_conversation_error(messages, tools, says):
    if says is None:
        assert "# Tools" in render_prompt(get_template("smollm2"), messages, tools=tools).text
        with pytest.raises(ConversationError, match="no user message"):
            render_prompt(get_template("gemma"), messages, tools=tools)
        return
    with pytest.raises(ConversationError, match=says):
        render_prompt(get_template("smollm2"), messages, tools=tools)


# ---------------------------------------------------------- grammar

def test_grammar_tags_are_the_written_call_around_its_arguments():
    grammar = tool_calls_grammar(TOOLS, "auto")
    assert grammar.trigger == "<tool_call>" and grammar.free_text and grammar.parallel
    assert [tag.begin for tag in grammar.tags] == [call_begin("get_weather"), call_begin("get_time")]
    for tag, arguments in zip(grammar.tags, ['{"city": "Paris"}', "{}"]):
        name = json.loads(tag.begin[len("<tool_call>\n"):] + '""}')["name"]
        assert tag.begin + arguments + tag.end == write_call(name, arguments)
    assert grammar.tags[0].begin == '<tool_call>\n{"name": "get_weather", "arguments": '
    assert grammar.tags[0].end == "}\n</tool_call>" and grammar.separator == "\n"
    assert json.loads(grammar.tags[0].schema_json)["required"] == ["city"]


def test_grammar_per_tool_choice():
    assert tool_calls_grammar(TOOLS, "none") is None
    required = tool_calls_grammar(TOOLS, "required", parallel=False)
    assert not required.free_text and not required.parallel and len(required.tags) == 2
    named = tool_calls_grammar(TOOLS, "function", "get_time")
    assert [t.begin for t in named.tags] == [call_begin("get_time")] and not named.parallel
    with pytest.raises(ConversationError, match="not one of the tools"):
        tool_calls_grammar(TOOLS, "function", "get_date")


def test_bad_parameters_schema_names_its_tool():
    bad = {"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"n": {"type": "integer", "multipleOf": 3}}}}}
    with pytest.raises(GrammarError) as caught:
        tool_calls_grammar([TIME, bad], "auto")
    assert caught.value.param == "tools[1].function.parameters" and "multipleOf" in str(caught.value)


# ---------------------------------------------------------- parsing

ARGS = ['{"city": "Zürich", "unit": "C"}', '{"q": "} </tool_call> {", "n": [1, {"m": {}}]}']
TWO_CALLS = write_call("get_weather", ARGS[0]) + "\n" + write_call("get_time", ARGS[1])


@pytest.mark.parametrize("text, content, calls", [
    ("Just text.", "Just text.", []),
    ("", "", []),
    (write_call("get_weather", ARGS[0]), "", [("get_weather", ARGS[0])]),
    ("Let me check.\n" + TWO_CALLS, "Let me check.", [("get_weather", ARGS[0]), ("get_time", ARGS[1])]),
    ("  <tool_call>{\"arguments\":{\"a\":1},\"name\":\"f\"}</tool_call>  ", "", [("f", '{"a":1}')]),
    ('<tool_call>\n{ "name" : "f" , "arguments" : { } }\n</tool_call>', "", [("f", "{ }")]),
    (write_call("f", "{}") + "\nDone.", "Done.", [("f", "{}")]),
    ("a <tool_call> b", "a <tool_call> b", []),
    ('<tool_call>\n{"name": "f", "arguments": "x"}\n</tool_call>', '<tool_call>\n{"name": "f", "arguments": "x"}\n</tool_call>', []),
    ('<tool_call>\n{"name": 3, "arguments": {}}\n</tool_call>', '<tool_call>\n{"name": 3, "arguments": {}}\n</tool_call>', []),
    ('<tool_call>\n{"name": "f"}\n</tool_call>', '<tool_call>\n{"name": "f"}\n</tool_call>', []),
    ('<tool_call>\n{"name": "f", "arguments": {}, "id": 1}\n</tool_call>',
     '<tool_call>\n{"name": "f", "arguments": {}, "id": 1}\n</tool_call>', []),
    ('<tool_call>\n{"name": "f", "name": "g", "arguments": {}}\n</tool_call>',
     '<tool_call>\n{"name": "f", "name": "g", "arguments": {}}\n</tool_call>', []),
    ('<tool_call>\n{"name": "f", "arguments": {}}\n', '<tool_call>\n{"name": "f", "arguments": {}}\n', []),
    ("<tool_call>\n{oops}\n</tool_call>\n" + write_call("f", "{}"), "<tool_call>\n{oops}\n</tool_call>",
     [("f", "{}")]),
])
def test_parse_tool_calls(text, content, calls):
    assert parse_tool_calls(text) == (content, [ParsedToolCall(*c) for c in calls])


def test_every_prefix_gives_the_whole_calls_so_far_and_the_rest_as_text():
    # What a stream cut off by max_tokens at any point leaves: unfinished calls are text.
    text = "Sure.\n" + TWO_CALLS
    first_end = text.index("</tool_call>") + len("</tool_call>")
    for cut in range(len(text) + 1):
        prefix = text[:cut]
        content, calls = parse_tool_calls(prefix)
        if cut < first_end:
            assert calls == [] and content == prefix, cut
        elif cut < len(text):
            assert calls == [ParsedToolCall("get_weather", ARGS[0])], cut
            assert content == "Sure." + prefix[first_end:].lstrip(), cut
        else:
            assert [c.arguments for c in calls] == ARGS and content == "Sure."


def test_parse_agrees_with_the_engines_streaming_reader():
    tool_stream = pytest.importorskip("webgpu_llm.engine.tool_stream")
    grammar = tool_calls_grammar(TOOLS, "auto")
    layouts = [tool_stream.CallLayout(json.loads(t.begin[len("<tool_call>\n"):] + '""}')["name"], t.begin, t.end)
               for t in grammar.tags]
    text = "Sure.\n" + TWO_CALLS
    reader = tool_stream.ToolCallReader(grammar.trigger, layouts, grammar.separator)
    events = [e for i in range(0, len(text), 3) for e in reader.push(text[i:i + 3])] + reader.finish()
    streamed = {}
    for event in events:
        if isinstance(event, tool_stream.CallStart):
            streamed[event.index] = [event.name, ""]
        elif isinstance(event, tool_stream.ArgumentsPiece):
            streamed[event.index][1] += event.text
    content, calls = parse_tool_calls(text)
    assert [ParsedToolCall(*streamed[i]) for i in sorted(streamed)] == calls
    shown = "".join(e.text for e in events if isinstance(e, tool_stream.ContentPiece))
    assert shown.rstrip() == content
