"""Structured output and tools through `webgpu-llm serve` with the official `openai` client."""

import json

import jsonschema
import openai
import pytest

from server_cases import MODEL_ID

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}},
                   "required": ["city"], "additionalProperties": False}}}
PERSON = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 16},
                                           "age": {"type": "integer", "minimum": 0, "maximum": 120}},
          "required": ["name", "age"], "additionalProperties": False}


@pytest.fixture(scope="module")
def client(server_url):
    return openai.OpenAI(base_url=server_url + "/v1", api_key="none", max_retries=0, timeout=300)


def first_round(client, stream: bool):
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]
    request = dict(model=MODEL_ID, messages=messages, tools=[WEATHER], tool_choice="required", max_tokens=64,
                   parallel_tool_calls=False, temperature=0)
    if not stream:
        reply = client.chat.completions.create(**request)
        assert reply.choices[0].finish_reason == "tool_calls"
        call = reply.choices[0].message.tool_calls[0]
        return messages, call.id, call.function.name, call.function.arguments
    ids, names, arguments, finish = set(), set(), "", None
    for chunk in client.chat.completions.create(stream=True, **request):
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            assert delta.index == 0
            ids |= {delta.id} - {None}
            names |= {delta.function.name} - {None}
            arguments += delta.function.arguments or ""
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert finish == "tool_calls" and len(ids) == 1 and len(names) == 1
    return messages, ids.pop(), names.pop(), arguments


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_two_round_tool_conversation(client, stream):
    messages, call_id, name, arguments = first_round(client, stream)
    assert name == "get_weather"
    jsonschema.validate(json.loads(arguments), WEATHER["function"]["parameters"])
    messages += [
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": call_id, "content": '{"temperature_c": 18, "sky": "sunny"}'}]
    request = dict(model=MODEL_ID, messages=messages, tools=[WEATHER], max_tokens=40, temperature=0)
    if stream:
        text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **request)
                       if c.choices)
    else:
        reply = client.chat.completions.create(**request)
        assert reply.choices[0].finish_reason in ("stop", "length")
        text = reply.choices[0].message.content
    assert "18" in text or "sunny" in text.lower(), text


def test_json_schema_reply_validates(client):
    reply = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "Ana is 31. Give her as JSON."}], temperature=0,
        max_tokens=40, response_format={"type": "json_schema",
                                        "json_schema": {"name": "person", "schema": PERSON, "strict": True}})
    jsonschema.validate(json.loads(reply.choices[0].message.content), PERSON)
    assert reply.usage.model_extra["extra"]["grammar_init_s"] >= 0


def test_an_unsupported_schema_is_a_400_naming_the_keyword(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL_ID, messages=[{"role": "user", "content": "hi"}], max_tokens=4,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"not": {}}}})
    assert "not" in caught.value.message
    reply = client.chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": "hi"}],
                                           max_tokens=2)
    assert reply.choices[0].message.content
