"""Function calling on the real model: tool_choice required / named / none / auto, streamed deltas,
a tool-result round. Every call's arguments validate against the function's parameters."""

import json

import jsonschema
import pytest

from webgpu_llm.protocol.errors import InvalidRequestError

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "maxLength": 30},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"], "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "Current local time in a time zone",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 30}},
                   "required": ["zone"], "additionalProperties": False}}}
CONVERT = {"type": "function", "function": {
    "name": "convert_currency", "description": "Convert an amount between currencies",
    "parameters": {"type": "object", "properties": {
        "amount": {"type": "number", "minimum": 0, "maximum": 1000000},
        "source": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "target": {"type": "string", "pattern": "^[A-Z]{3}$"}},
        "required": ["amount", "source", "target"], "additionalProperties": False}}}
TOOLS = [WEATHER, TIME, CONVERT]
PARAMETERS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}

# 20 prompts: the first ten with tool_choice "required", the last ten with a named function.
PROMPTS = [
    "What's the weather in Paris?", "Is it cold in Oslo right now?", "What time is it in Tokyo?",
    "Convert 100 US dollars to euros.", "How warm is it in Cairo, in fahrenheit?", "Time in UTC please.",
    "How many yen is 50 pounds?", "Weather for Lima?", "Tell me the local time in Berlin.",
    "Should I take an umbrella in London today?",
    "Is it sunny in Madrid?", "What is the time in New York?", "Change 20 euros into dollars.",
    "Will it snow in Moscow tonight?", "Give me the clock time in Sydney.", "How hot is Dubai today?",
    "I have 300 Swiss francs; how much is that in pounds?", "Weather in Nairobi, in celsius.",
    "Local time for Mexico City?", "Do I need a coat in Chicago?",
]


@pytest.fixture(scope="module")
def tool_engine(smollm2_folder, device):
    """Tools in the system prompt need a longer window than the shared engine's."""
    from webgpu_llm.engine import Engine

    return Engine(smollm2_folder("q4f16_1"), device=device, context_window_size=768, prefill_chunk_size=128)


def ask(engine, prompt, **fields):
    fields.setdefault("tools", TOOLS)
    return engine.chat.completions.create(messages=[{"role": "user", "content": prompt}], max_tokens=64,
                                          temperature=0, **fields)


def check_calls(message, allowed_names):
    assert message.tool_calls, message
    for call in message.tool_calls:
        assert call.type == "function" and call.id.startswith("call_")
        assert call.function.name in allowed_names
        jsonschema.validate(json.loads(call.function.arguments), PARAMETERS[call.function.name])


@pytest.mark.parametrize("prompt", PROMPTS[:10])
def test_required_always_calls_a_tool_with_valid_arguments(tool_engine, prompt):
    reply = ask(tool_engine, prompt, tool_choice="required", parallel_tool_calls=False)
    assert reply.choices[0].finish_reason == "tool_calls"
    check_calls(reply.choices[0].message, set(PARAMETERS))
    assert len(reply.choices[0].message.tool_calls) == 1


@pytest.mark.parametrize("prompt", PROMPTS[10:])
def test_a_named_function_is_called_with_valid_arguments(tool_engine, prompt):
    name = "convert_currency" if "weather" in prompt.lower() else "get_weather"  # not always the obvious one
    reply = ask(tool_engine, prompt, tool_choice={"type": "function", "function": {"name": name}})
    assert reply.choices[0].finish_reason == "tool_calls"
    check_calls(reply.choices[0].message, {name})
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == [name]


@pytest.mark.parametrize("prompt", PROMPTS[:2])
def test_none_never_calls(tool_engine, prompt):
    reply = ask(tool_engine, prompt, tool_choice="none")
    assert not reply.choices[0].message.tool_calls
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert "<tool_call>" not in reply.choices[0].message.content


def test_auto_gives_text_or_a_valid_call(tool_engine):
    for prompt in PROMPTS[:1] + ["Say hello."]:
        message = ask(tool_engine, prompt, tool_choice="auto").choices[0].message
        if message.tool_calls:
            check_calls(message, set(PARAMETERS))
        else:
            assert message.content


def test_streamed_tool_call_deltas_fold_into_the_reply(tool_engine):
    fields = {"tool_choice": "required", "parallel_tool_calls": False}
    whole = ask(tool_engine, PROMPTS[0], **fields).choices[0].message
    chunks = list(ask(tool_engine, PROMPTS[0], stream=True, **fields))
    deltas = [d for c in chunks if c.choices for d in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].index == 0 and deltas[0].id and deltas[0].function.name == whole.tool_calls[0].function.name
    assert all(d.id is None and d.function.name is None for d in deltas[1:])
    assert "".join(d.function.arguments or "" for d in deltas) == whole.tool_calls[0].function.arguments
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_two_rounds_call_then_tool_result_then_answer(tool_engine):
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]
    first = tool_engine.chat.completions.create(messages=messages, tools=[WEATHER], tool_choice="required",
                                                max_tokens=64, temperature=0).choices[0].message
    call = first.tool_calls[0]
    messages += [{"role": "assistant", "content": None, "tool_calls": [
                     {"id": call.id, "type": "function",
                      "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
                 {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 18, "sky": "sunny"}'}]
    second = tool_engine.chat.completions.create(messages=messages, tools=[WEATHER], tool_choice="none",
                                                 max_tokens=40, temperature=0)
    answer = second.choices[0].message.content
    assert answer and not second.choices[0].message.tool_calls
    assert "18" in answer or "sunny" in answer.lower(), answer


@pytest.mark.parametrize("fields, param", [
    ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]}, "tools[0].function.name"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
        "a": {"not": {}}}}}}]}, "tools[0].function.parameters"),
    ({"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "missing"}}}, "tool_choice"),
    ({"tools": TOOLS, "tool_choice": "sometimes"}, "tool_choice"),
])
def test_bad_tools_are_typed_errors_naming_the_field(tool_engine, fields, param):
    with pytest.raises(InvalidRequestError) as caught:
        tool_engine.chat.completions.create(messages=[{"role": "user", "content": "hi"}], max_tokens=4, **fields)
    assert caught.value.param is not None and caught.value.param.startswith(param), caught.value
    assert ask(tool_engine, "hi", tools=None).choices[0].message.content
