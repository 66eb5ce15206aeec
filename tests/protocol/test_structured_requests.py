"""response_format, tools, tool_choice and tool-call messages: every form, every error's param."""

import json

import pytest

from webgpu_llm.protocol import (AssistantToolCall, ChatCompletionRequest, CompletionRequest,
                                 InvalidRequestError, ResponseFormat, Tool, ToolChoice)

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"enum": ["C", "F"]}},
                   "required": ["city"]}}}
TIME = {"type": "function", "function": {"name": "get-time_2"}}


def chat(**fields):
    return ChatCompletionRequest.from_dict({"messages": USER, **fields})


def rejects(param, request_cls=ChatCompletionRequest, **fields):
    body = {"messages": USER, **fields} if request_cls is ChatCompletionRequest else fields
    with pytest.raises(InvalidRequestError) as caught:
        request_cls.from_dict(body)
    assert caught.value.param == param, caught.value
    assert caught.value.type == "invalid_request_error"
    return str(caught.value)


def round_trips(request):
    again = type(request).from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request
    return request


# ------------------------------------------------------- response_format

def test_text_format_is_free_text():
    assert chat(response_format={"type": "text"}).response_format is None
    assert chat(response_format={"type": "text"}) == chat()


def test_json_object_means_any_json():
    request = round_trips(chat(response_format={"type": "json_object"}))
    assert request.response_format == ResponseFormat(kind="json_object")


@pytest.mark.parametrize("schema", [json.dumps(SCHEMA), SCHEMA], ids=["webllm string", "dict"])
def test_webllm_json_object_with_schema(schema):
    request = round_trips(chat(response_format={"type": "json_object", "schema": schema}))
    assert request.response_format == ResponseFormat(kind="json_object", schema=SCHEMA)
    assert request.to_dict()["response_format"] == {"type": "json_object", "schema": json.dumps(SCHEMA)}


def test_openai_json_schema():
    request = round_trips(chat(response_format={"type": "json_schema", "json_schema": {
        "name": "City_1-x", "schema": SCHEMA, "strict": True, "description": "a city"}}))
    assert request.response_format == ResponseFormat(kind="json_schema", schema=SCHEMA, name="City_1-x",
                                                     strict=True, description="a city")
    minimal = round_trips(chat(response_format={"type": "json_schema",
                                                "json_schema": {"name": "c", "schema": SCHEMA}}))
    assert minimal.response_format.strict is None and minimal.response_format.description is None


def test_webllm_grammar():
    ebnf = 'root ::= "yes" | "no"'
    request = round_trips(chat(response_format={"type": "grammar", "grammar": ebnf}))
    assert request.response_format == ResponseFormat(kind="grammar", grammar=ebnf)


def test_completions_take_response_format_too():
    request = CompletionRequest.from_dict({"prompt": "x", "response_format": {"type": "json_object"}})
    assert request.response_format == ResponseFormat(kind="json_object")
    assert CompletionRequest.from_dict(request.to_dict()) == request


def test_null_fields_of_another_format_pass():
    # WebLLM's ResponseFormat has optional schema/grammar fields; some encoders send them as null.
    assert chat(response_format={"type": "json_object", "grammar": None}).response_format.kind == "json_object"


@pytest.mark.parametrize("response_format, param, says", [
    ("json", "response_format", "an object"),
    ({}, "response_format.type", '"text", "json_object", "json_schema", "grammar"'),
    ({"type": "json"}, "response_format.type", 'got "json"'),
    ({"type": "regex", "pattern": "a+"}, "response_format.type", "must be one of"),
    ({"type": "text", "schema": "{}"}, "response_format.schema", "allowed: type"),
    ({"type": "json_object", "schema": "{not json"}, "response_format.schema", "not JSON"),
    ({"type": "json_object", "schema": "[1, 2]"}, "response_format.schema", "JSON Schema object"),
    ({"type": "json_object", "schema": 5}, "response_format.schema", "got 5"),
    ({"type": "json_object", "json_schema": {}}, "response_format.json_schema", "allowed: type, schema"),
    ({"type": "json_schema"}, "response_format.json_schema", "must be an object"),
    ({"type": "json_schema", "schema": SCHEMA}, "response_format.schema", "allowed: type, json_schema"),
    ({"type": "json_schema", "json_schema": {"schema": SCHEMA}}, "response_format.json_schema.name",
     "1 to 64 characters"),
    ({"type": "json_schema", "json_schema": {"name": "has space", "schema": SCHEMA}},
     "response_format.json_schema.name", 'got "has space"'),
    ({"type": "json_schema", "json_schema": {"name": "x" * 65, "schema": SCHEMA}},
     "response_format.json_schema.name", "1 to 64"),
    ({"type": "json_schema", "json_schema": {"name": "c"}}, "response_format.json_schema.schema", "required"),
    ({"type": "json_schema", "json_schema": {"name": "c", "schema": True}},
     "response_format.json_schema.schema", "JSON Schema object"),
    ({"type": "json_schema", "json_schema": {"name": "c", "schema": SCHEMA, "strict": "yes"}},
     "response_format.json_schema.strict", "boolean"),
    ({"type": "json_schema", "json_schema": {"name": "c", "schema": SCHEMA, "format": "x"}},
     "response_format.json_schema.format", "allowed: name, schema, strict, description"),
    ({"type": "grammar"}, "response_format.grammar", "non-empty string of EBNF"),
    ({"type": "grammar", "grammar": "  "}, "response_format.grammar", "non-empty"),
    ({"type": "grammar", "grammar": ["root ::= x"]}, "response_format.grammar", "EBNF"),
])
def test_bad_response_format(response_format, param, says):
    message = rejects(param, response_format=response_format)
    assert says in message, message
    message = rejects(param, CompletionRequest, prompt="x", response_format=response_format)
    assert says in message, message


# ----------------------------------------------------------------- tools

def test_tools_default_to_auto_and_round_trip():
    request = round_trips(chat(tools=[WEATHER, TIME]))
    assert request.tools == (Tool(name="get_weather", description="Weather of a city",
                                  parameters=WEATHER["function"]["parameters"]),
                             Tool(name="get-time_2", parameters={"type": "object", "properties": {}}))
    assert request.tool_choice == ToolChoice("auto") and request.parallel_tool_calls is True
    assert request.tools[0].to_dict() == WEATHER


def test_no_tools_means_tool_choice_none():
    assert chat().tool_choice == ToolChoice("none") and chat().tools == ()
    assert chat(tools=[]) == chat() and chat(tools=None, tool_choice=None) == chat()
    assert chat(tool_choice="none").tool_choice == ToolChoice("none")
    # Built directly, the default follows the tools too.
    assert ChatCompletionRequest(messages=[], tools=(Tool(name="f"),)).tool_choice == ToolChoice("auto")


@pytest.mark.parametrize("choice, parsed", [
    ("none", ToolChoice("none")), ("auto", ToolChoice("auto")), ("required", ToolChoice("required")),
    ({"type": "function", "function": {"name": "get-time_2"}}, ToolChoice("function", "get-time_2")),
])
def test_tool_choice_forms(choice, parsed):
    request = round_trips(chat(tools=[WEATHER, TIME], tool_choice=choice, parallel_tool_calls=False))
    assert request.tool_choice == parsed and request.parallel_tool_calls is False


def test_strict_flag_is_kept():
    tool = {"type": "function", "function": {**WEATHER["function"], "strict": True}}
    assert round_trips(chat(tools=[tool])).tools[0].strict is True


@pytest.mark.parametrize("tools, param, says", [
    ({"type": "function"}, "tools", "must be a list"),
    (["get_weather"], "tools[0]", "an object"),
    ([{"function": WEATHER["function"]}], "tools[0].type", '"function" (the only tool type), got null'),
    ([{"type": "custom", "custom": {"name": "x"}}], "tools[0].custom", "allowed: type, function"),
    ([{"type": "code_interpreter"}], "tools[0].type", 'got "code_interpreter"'),
    ([{"type": "function"}], "tools[0].function", "must be an object"),
    ([{"type": "function", "function": {}}], "tools[0].function.name", "1 to 64 characters"),
    ([{"type": "function", "function": {"name": "get weather"}}], "tools[0].function.name", "a-z, A-Z"),
    ([{"type": "function", "function": {"name": "f" * 65}}], "tools[0].function.name", "1 to 64"),
    ([{"type": "function", "function": {"name": "f", "description": 3}}], "tools[0].function.description",
     "string"),
    ([{"type": "function", "function": {"name": "f", "parameters": "{}"}}], "tools[0].function.parameters",
     "JSON Schema object"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}],
     "tools[0].function.parameters.type", 'must be "object"'),
    ([{"type": "function", "function": {"name": "f", "parameters": {"properties": {}}}}],
     "tools[0].function.parameters.type", "got null"),
    ([{"type": "function", "function": {"name": "f", "strict": 1}}], "tools[0].function.strict", "boolean"),
    ([{"type": "function", "function": {"name": "f", "params": {}}}], "tools[0].function.params",
     "allowed: name, description, parameters, strict"),
    ([WEATHER, TIME, WEATHER], "tools[2].function.name", "already the name of tools[0]"),
])
def test_bad_tools(tools, param, says):
    message = rejects(param, tools=tools)
    assert says in message, message


@pytest.mark.parametrize("fields, param, says", [
    ({"tool_choice": "required"}, "tool_choice", "needs tools"),
    ({"tool_choice": {"type": "function", "function": {"name": "get_weather"}}}, "tool_choice", "needs tools"),
    ({"tools": [WEATHER], "tool_choice": "any"}, "tool_choice", '"none", "auto", "required" or'),
    ({"tools": [WEATHER], "tool_choice": True}, "tool_choice", "got true"),
    ({"tools": [WEATHER], "tool_choice": {"type": "tool", "function": {"name": "get_weather"}}},
     "tool_choice.type", 'must be "function"'),
    ({"tools": [WEATHER], "tool_choice": {"type": "function"}}, "tool_choice.function", "name"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": 1}}},
     "tool_choice.function.name", "string"),
    ({"tools": [WEATHER, TIME], "tool_choice": {"type": "function", "function": {"name": "get_wether"}}},
     "tool_choice.function.name", "allowed: get_weather, get-time_2"),
    ({"tools": [WEATHER], "parallel_tool_calls": "yes"}, "parallel_tool_calls", "boolean"),
])
def test_bad_tool_choice(fields, param, says):
    message = rejects(param, **fields)
    assert says in message, message


@pytest.mark.parametrize("field, value", [("tools", [WEATHER]), ("tool_choice", "auto"),
                                          ("parallel_tool_calls", True)])
def test_text_completions_refuse_tools(field, value):
    message = rejects(field, CompletionRequest, prompt="x", **{field: value})
    assert "only for chat completions" in message
    assert CompletionRequest.from_dict({"prompt": "x", field: None}).prompt == "x"


# ------------------------------------------------------ tool-call turns

CALLS = [{"id": "call_a", "type": "function", "function": {"name": "get_weather",
                                                            "arguments": '{"city": "Paris"}'}},
         {"id": "call_b", "type": "function", "function": {"name": "get-time_2", "arguments": "{}"}}]


def conversation(*, calls=CALLS, results=("call_a", "call_b"), assistant=None):
    assistant = assistant or {"role": "assistant", "content": None, "tool_calls": calls}
    return [*USER, assistant, *({"role": "tool", "tool_call_id": i, "content": f"result {i}"}
                                for i in results)]


def test_tool_call_conversation_is_parsed_and_round_trips():
    request = round_trips(ChatCompletionRequest.from_dict({"messages": conversation(), "tools": [WEATHER, TIME]}))
    assistant, first, second = request.messages[1:]
    assert assistant.content is None
    assert assistant.tool_calls == (AssistantToolCall(id="call_a", name="get_weather", arguments='{"city": "Paris"}'),
                                    AssistantToolCall(id="call_b", name="get-time_2", arguments="{}"))
    assert (first.role, first.tool_call_id, first.content) == ("tool", "call_a", "result call_a")
    assert second.tool_call_id == "call_b"
    assert assistant.to_dict() == {"role": "assistant", "content": None, "tool_calls": CALLS}


def test_tool_calls_keep_their_argument_text_and_may_have_content():
    calls = [{"id": "c1", "function": {"name": "f", "arguments": '{"a":[1,2]}'}}]  # type defaults
    messages = conversation(calls=calls, results=["c1"],
                            assistant={"role": "assistant", "content": "Let me look.", "tool_calls": calls})
    request = ChatCompletionRequest.from_dict({"messages": messages})
    assert request.messages[1].content == "Let me look."
    assert request.messages[1].tool_calls[0].arguments == '{"a":[1,2]}'


def test_empty_tool_calls_list_means_none():
    request = ChatCompletionRequest.from_dict({"messages": [*USER, {"role": "assistant", "content": "hi",
                                                                    "tool_calls": []}]})
    assert request.messages[1].tool_calls is None


def call_with(**function):
    return [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}", **function}}]


@pytest.mark.parametrize("messages, param, says", [
    (conversation(results=["call_x"]), "messages[2].tool_call_id", "earlier call ids: 'call_a', 'call_b'"),
    ([*USER, {"role": "tool", "tool_call_id": "call_a", "content": "x"}], "messages[1].tool_call_id",
     "no earlier tool_calls"),
    ([*USER, {"role": "tool", "content": "x"}], "messages[1].tool_call_id", "is required"),
    ([*conversation(results=[]), {"role": "tool", "tool_call_id": "call_a"}], "messages[2].content",
     "required"),
    ([*USER, {"role": "user", "content": "x", "tool_calls": CALLS}], "messages[1].tool_calls",
     "only assistant messages"),
    ([*USER, {"role": "assistant", "tool_calls": {"id": "c"}}], "messages[1].tool_calls", "must be a list"),
    ([*USER, {"role": "assistant", "tool_calls": ["c"]}], "messages[1].tool_calls[0]", "an object"),
    ([*USER, {"role": "assistant", "tool_calls": [{**CALLS[0], "id": ""}]}], "messages[1].tool_calls[0].id",
     "non-empty string"),
    ([*USER, {"role": "assistant", "tool_calls": [CALLS[0], CALLS[0]]}], "messages[1].tool_calls[1].id",
     "repeats"),
    ([*USER, {"role": "assistant", "tool_calls": [{**CALLS[0], "type": "code"}]}],
     "messages[1].tool_calls[0].type", 'must be "function"'),
    ([*USER, {"role": "assistant", "tool_calls": [{**CALLS[0], "index": 0}]}],
     "messages[1].tool_calls[0].index", "allowed: id, type, function"),
    ([*USER, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function"}]}],
     "messages[1].tool_calls[0].function", "must be an object"),
    ([*USER, {"role": "assistant", "tool_calls": call_with(name="")}],
     "messages[1].tool_calls[0].function.name", "non-empty string"),
    ([*USER, {"role": "assistant", "tool_calls": call_with(arguments={"city": "Paris"})}],
     "messages[1].tool_calls[0].function.arguments", "a string holding a JSON object"),
    ([*USER, {"role": "assistant", "tool_calls": call_with(arguments="{city: Paris}")}],
     "messages[1].tool_calls[0].function.arguments", "not JSON"),
    ([*USER, {"role": "assistant", "tool_calls": call_with(arguments='"Paris"')}],
     "messages[1].tool_calls[0].function.arguments", 'got the JSON value "Paris"'),
    ([*USER, {"role": "assistant", "tool_calls": call_with(args="{}")}],
     "messages[1].tool_calls[0].function.args", "allowed: name, arguments"),
])
def test_bad_tool_call_messages(messages, param, says):
    with pytest.raises(InvalidRequestError) as caught:
        ChatCompletionRequest.from_dict({"messages": messages})
    assert caught.value.param == param, caught.value
    assert says in str(caught.value), caught.value


def test_a_result_may_not_come_before_its_call():
    late_call = [*USER, {"role": "tool", "tool_call_id": "call_a", "content": "x"},
                 {"role": "assistant", "content": None, "tool_calls": CALLS[:1]}]
    with pytest.raises(InvalidRequestError) as caught:
        ChatCompletionRequest.from_dict({"messages": late_call})
    assert caught.value.param == "messages[1].tool_call_id"


@pytest.mark.parametrize("fields", [{"tools": []}, {"tools": [], "tool_choice": "auto"}, {"tool_choice": "auto"},
                                    {"tools": None, "tool_choice": "none"}])
def test_empty_tools_are_no_tools(fields):
    request = ChatCompletionRequest.from_dict({"messages": USER, **fields})
    assert request.tools == () and request.tool_choice == ToolChoice("none")
