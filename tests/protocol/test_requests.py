"""OpenAI request dicts -> typed requests, and the errors for bad ones."""

import pytest

from webgpu_llm.protocol import (ChatCompletionRequest, ChatMessage, CompletionRequest,
                                 InvalidRequestError)

USER = [{"role": "user", "content": "Hello"}]


def chat(**fields):
    return ChatCompletionRequest.from_dict({"messages": USER, **fields})


def rejects(param, body, request_cls=ChatCompletionRequest, match=None):
    with pytest.raises(InvalidRequestError, match=match) as caught:
        request_cls.from_dict(body)
    assert caught.value.param == param, caught.value
    assert caught.value.type == "invalid_request_error"
    return caught.value


# ------------------------------------------------------------- valid

def test_minimal_chat_request_gets_defaults():
    request = chat()
    assert request.messages == [ChatMessage(role="user", content="Hello")]
    assert (request.model, request.stream, request.n, request.max_tokens) == (None, False, 1, None)
    assert request.temperature is None and request.stop is None and request.logit_bias is None
    assert request.to_dict() == {"messages": USER}


def test_full_chat_request_round_trips():
    body = {
        "model": "SmolLM2-135M-Instruct-q4f16_1-MLC",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hi"},
                                         {"type": "text", "text": "there"}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "answer", "arguments": "{}"}}]},
            {"role": "tool", "content": "42", "tool_call_id": "call_1"},
            {"role": "user", "content": "Again", "name": "ana"},
        ],
        "stream": True, "stream_options": {"include_usage": True},
        "max_tokens": 64, "temperature": 0.7, "top_p": 0.9, "stop": ["\n\n", "END"],
        "seed": -(2**63), "n": 3, "logit_bias": {"17": -100, 5: 2.5},
        "frequency_penalty": 0.5, "presence_penalty": -1, "repetition_penalty": 1.1,
        "logprobs": True, "top_logprobs": 20, "ignore_eos": True, "user": "someone",
    }
    request = ChatCompletionRequest.from_dict(body)
    assert request.messages[1].content == "Hi\nthere"
    assert request.messages[2].content is None and request.messages[2].tool_calls[0].id == "call_1"
    assert request.messages[3].tool_call_id == "call_1"
    assert request.logit_bias == {17: -100.0, 5: 2.5}
    assert request.stream_options == {"include_usage": True}
    assert request.include_usage and request.top_logprobs == 20 and request.seed == -(2**63)
    again = ChatCompletionRequest.from_dict(request.to_dict())
    assert again == request


def test_stop_string_becomes_a_list():
    assert chat(stop="###").stop == ["###"]


def test_max_completion_tokens_is_max_tokens():
    assert chat(max_completion_tokens=7).max_tokens == 7
    assert chat(max_tokens=7, max_completion_tokens=7).max_tokens == 7
    rejects("max_completion_tokens", {"messages": USER, "max_tokens": 3, "max_completion_tokens": 4})


def test_unsupported_fields_with_default_values_are_accepted():
    request = chat(tools=None, response_format=None, tool_choice=None)
    assert request == chat()


def test_seed_is_an_int64_as_openai_defines_it():
    assert chat(seed=2**63 - 1).seed == 2**63 - 1 and chat(seed=-(2**63)).seed == -(2**63)
    for seed in (2**63, -(2**63) - 1, 2**64 - 1):
        rejects("seed", {"messages": USER, "seed": seed})


def test_completion_request_round_trips():
    request = CompletionRequest.from_dict({"prompt": ["Once upon"], "max_tokens": 5,
                                           "logprobs": True, "top_logprobs": 3, "echo": False})
    assert request.prompt == "Once upon" and request.top_logprobs == 3
    assert CompletionRequest.from_dict(request.to_dict()) == request


def test_completion_accepts_legacy_integer_logprobs():
    request = CompletionRequest.from_dict({"prompt": "x", "logprobs": 2})
    assert (request.logprobs, request.top_logprobs) == (True, 2)
    rejects("logprobs", {"prompt": "x", "logprobs": 6}, CompletionRequest)


# --------------------------------------------------------------- bad

OUT_OF_RANGE = [
    ("temperature", -0.1), ("temperature", 2.01), ("temperature", "hot"), ("temperature", float("nan")),
    ("top_p", 0), ("top_p", 1.5),
    ("frequency_penalty", -2.5), ("presence_penalty", 3),
    ("repetition_penalty", 0), ("repetition_penalty", -1),
    ("max_tokens", 0), ("max_tokens", 1.5), ("max_completion_tokens", -3),
    ("n", 0), ("n", 129), ("n", 2.0),
    ("seed", 1.5), ("seed", "7"),
    ("top_logprobs", 21), ("top_logprobs", -1),
    ("stop", ""), ("stop", ["a", ""]), ("stop", ["a", "b", "c", "d", "e"]), ("stop", 5),
    ("logit_bias", {"12": 101}), ("logit_bias", {"-1": 0}), ("logit_bias", {"ab": 0}),
    ("logit_bias", [1, 2]), ("logit_bias", {"3": "x"}),
    ("stream", "yes"), ("logprobs", 1), ("ignore_eos", 0),
    ("model", 3), ("user", 1),
]


@pytest.mark.parametrize("field, value", OUT_OF_RANGE)
def test_bad_field_is_named(field, value):
    body = {"messages": USER, field: value}
    if field == "top_logprobs":
        body["logprobs"] = True
    error = rejects(field, body)
    assert field in str(error)


@pytest.mark.parametrize("field", ["temperature", "top_p", "frequency_penalty", "presence_penalty",
                                   "repetition_penalty", "max_tokens", "n", "seed", "top_logprobs"])
def test_booleans_are_not_numbers(field):
    body = {"messages": USER, field: True, "logprobs": True}
    error = rejects(field, body)
    assert "got true" in str(error)


def test_logit_bias_boolean_value_is_refused():
    rejects("logit_bias", {"messages": USER, "logit_bias": {"3": True}})


def test_message_says_allowed_range_and_value():
    error = rejects("temperature", {"messages": USER, "temperature": 3})
    assert str(error) == "temperature must be a number in [0, 2], got 3"


def test_top_logprobs_requires_logprobs():
    rejects("top_logprobs", {"messages": USER, "top_logprobs": 2}, match="requires logprobs")
    rejects("top_logprobs", {"messages": USER, "top_logprobs": 2, "logprobs": False})


def test_stream_options_needs_stream():
    rejects("stream_options", {"messages": USER, "stream_options": {"include_usage": True}})
    rejects("stream_options.include_usage",
            {"messages": USER, "stream": True, "stream_options": {"include_usage": 1}})
    rejects("stream_options.other", {"messages": USER, "stream": True, "stream_options": {"other": 1}})


def test_unknown_and_unsupported_fields_differ():
    unknown = rejects("temprature", {"messages": USER, "temprature": 1})
    assert "unknown field" in str(unknown)
    for field, value in [("functions", []), ("function_call", "auto"), ("audio", {})]:
        unsupported = rejects(field, {"messages": USER, field: value})
        assert "not supported yet" in str(unsupported)
    best_of = rejects("best_of", {"prompt": "x", "best_of": 2}, CompletionRequest)
    assert "not supported yet" in str(best_of)
    echo = rejects("echo", {"prompt": "x", "echo": True, "logprobs": 1}, CompletionRequest)
    assert "echo together with logprobs" in str(echo)
    assert CompletionRequest.from_dict({"prompt": "x", "echo": True}).echo
    rejects("messages", {"prompt": "x", "messages": USER}, CompletionRequest, match="unknown")


@pytest.mark.parametrize("messages, param", [
    (None, "messages"), ([], "messages"), ("hi", "messages"), ([["user", "hi"]], "messages[0]"),
    ([{"role": "robot", "content": "x"}], "messages[0].role"),
    ([{"content": "x"}], "messages[0].role"),
    ([{"role": "user"}], "messages[0].content"),
    ([{"role": "user", "content": None}], "messages[0].content"),
    ([{"role": "user", "content": 5}], "messages[0].content"),
    ([{"role": "user", "content": [{"type": "text"}]}], "messages[0].content[0]"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
     "messages[0].content[0].type"),
    ([USER[0], {"role": "assistant", "content": "a", "tool_calls": [{}]}], "messages[1].tool_calls[0].id"),
    ([{"role": "user", "content": "x", "mood": "ok"}], "messages[0].mood"),
    ([{"role": "user", "content": "x", "name": 3}], "messages[0].name"),
])
def test_bad_messages(messages, param):
    rejects(param, {"messages": messages})


def test_any_message_order_is_accepted():
    request = ChatCompletionRequest.from_dict({"messages": [
        {"role": "assistant", "content": "first"}, {"role": "system", "content": "late"}]})
    assert [m.role for m in request.messages] == ["assistant", "system"]


@pytest.mark.parametrize("prompt", [None, 3, [], ["a", "b"], [1, 2, 3]])
def test_bad_prompt(prompt):
    rejects("prompt", {"prompt": prompt}, CompletionRequest)


def test_body_must_be_an_object():
    with pytest.raises(InvalidRequestError, match="JSON object"):
        ChatCompletionRequest.from_dict(["messages"])


def test_requests_are_frozen():
    request = chat()
    with pytest.raises(AttributeError):
        request.temperature = 1.0
