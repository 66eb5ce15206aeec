"""Tool calls in replies and stream chunks: OpenAI's shapes, and the fold of their deltas."""

import json
import re

import pytest

from webgpu_llm.protocol import (ChatCompletion, ChatCompletionChunk, ChunkChoice, Delta, Message,
                                 ToolCall, ToolCallDelta, ToolCallFunction, Usage, fold_chat_chunks,
                                 new_tool_call_id)
from webgpu_llm.protocol.structured_requests import ResponseFormat

HEADER = ("chatcmpl-7", 1700000000, "m")
EXTRA = {"decode_tokens_per_s": 5.0, "grammar_init_s": 0.01}
ID_A, ID_B = "call_" + "a" * 24, "call_" + "b" * 24
ARGS_A = '{"city": "Paris", "unit": "C"}'
ARGS_B = '{"zone": "UTC"}'


def chunk(index=0, finish=None, **delta):
    return ChatCompletionChunk(*HEADER, [ChunkChoice(index, Delta(**delta), None, finish)])


def pieces(text, size):
    return [text[i:i + size] for i in range(0, len(text), size)]


def two_call_stream(choice=0, role_content=""):
    """As OpenAI streams two parallel calls: a start per call, then argument pieces."""
    stream = [chunk(choice, role="assistant", content=role_content)]
    stream.append(chunk(choice, tool_calls=[ToolCallDelta.start(0, ID_A, "get_weather")]))
    stream += [chunk(choice, tool_calls=[ToolCallDelta.arguments_piece(0, p)]) for p in pieces(ARGS_A, 4)]
    stream.append(chunk(choice, tool_calls=[ToolCallDelta.start(1, ID_B, "get_time", ARGS_B[:3])]))
    stream += [chunk(choice, tool_calls=[ToolCallDelta.arguments_piece(1, p)]) for p in pieces(ARGS_B[3:], 5)]
    stream.append(chunk(choice, finish="tool_calls"))
    return stream


EXPECTED_CALLS = [
    {"id": ID_A, "type": "function", "function": {"name": "get_weather", "arguments": ARGS_A}},
    {"id": ID_B, "type": "function", "function": {"name": "get_time", "arguments": ARGS_B}},
]


# ----------------------------------------------------------- shapes

def test_call_deltas_are_shaped_as_openai_sends_them():
    first = chunk(tool_calls=[ToolCallDelta.start(0, ID_A, "get_weather")]).to_dict()
    assert first["choices"][0]["delta"] == {"tool_calls": [
        {"index": 0, "id": ID_A, "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}
    later = chunk(tool_calls=[ToolCallDelta.arguments_piece(0, '{"ci')]).to_dict()
    assert later["choices"][0]["delta"] == {"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}
    assert chunk(finish="tool_calls").to_dict()["choices"][0] == {
        "index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}


def test_message_with_calls_has_null_content():
    message = Message("assistant", None, [ToolCall.from_dict(c) for c in EXPECTED_CALLS])
    assert message.to_dict() == {"role": "assistant", "content": None, "tool_calls": EXPECTED_CALLS}
    assert Message("assistant", "hi").to_dict() == {"role": "assistant", "content": "hi"}
    assert message.tool_calls[0].function.arguments == ARGS_A and message.tool_calls[1].type == "function"


@pytest.mark.parametrize("response", [
    *two_call_stream(),
    ChatCompletion(*HEADER, [], Usage(1, 2, 3, EXTRA)),
])
def test_tool_call_objects_read_back_from_json(response):
    data = json.loads(json.dumps(response.to_dict()))
    assert type(response).from_dict(data) == response


def test_reply_with_calls_reads_back_from_json():
    reply = fold_chat_chunks(two_call_stream())
    assert ChatCompletion.from_dict(json.loads(json.dumps(reply.to_dict()))) == reply


def test_tool_call_ids_look_like_openai_ones():
    ids = {new_tool_call_id() for _ in range(50)}
    assert len(ids) == 50 and all(re.fullmatch(r"call_[0-9a-f]{24}", i) for i in ids)


def test_schema_param_names_the_field_that_holds_the_schema():
    assert ResponseFormat(kind="json_schema", schema={}).schema_param == "response_format.json_schema.schema"
    assert ResponseFormat(kind="json_object", schema={}).schema_param == "response_format.schema"


# ------------------------------------------------------------- fold

def test_fold_joins_argument_pieces_per_call():
    stream = [*two_call_stream(), ChatCompletionChunk(*HEADER, [], Usage(10, 20, 30, EXTRA))]
    reply = fold_chat_chunks(stream)
    assert reply.to_dict() == {
        "id": HEADER[0], "object": "chat.completion", "created": HEADER[1], "model": HEADER[2],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": EXPECTED_CALLS},
                     "logprobs": None, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30, "extra": EXTRA}}


def test_fold_keeps_text_before_calls_and_interleaved_choices_apart():
    calls = two_call_stream(choice=0, role_content="Checking. ")
    text = [chunk(1, role="assistant", content=""), chunk(1, content="Just text."), chunk(1, finish="stop")]
    interleaved = [c for pair in zip(calls, text + [None] * len(calls)) for c in pair if c is not None]
    reply = fold_chat_chunks(interleaved)
    assert reply.choices[0].message.to_dict() == {"role": "assistant", "content": "Checking. ",
                                                  "tool_calls": EXPECTED_CALLS}
    assert reply.choices[1].message.to_dict() == {"role": "assistant", "content": "Just text."}
    assert [c.finish_reason for c in reply.choices] == ["tool_calls", "stop"]


def test_several_pieces_of_one_call_in_one_chunk():
    stream = [chunk(role="assistant", content=None),
              chunk(tool_calls=[ToolCallDelta.start(0, ID_A, "get_weather"),
                                ToolCallDelta.arguments_piece(0, ARGS_A[:5]),
                                ToolCallDelta.arguments_piece(0, ARGS_A[5:])]),
              chunk(finish="tool_calls")]
    assert fold_chat_chunks(stream).choices[0].message.tool_calls == [ToolCall.from_dict(EXPECTED_CALLS[0])]


def test_fold_equals_the_openai_clients_accumulator():
    streaming = pytest.importorskip("openai.lib.streaming.chat")
    from openai.types.chat import ChatCompletionChunk as OpenAIChunk
    stream = two_call_stream(role_content=None)
    state = streaming.ChatCompletionStreamState()
    for piece in stream:
        state.handle_chunk(OpenAIChunk.model_validate(piece.to_dict()))
    theirs = state.get_final_completion().choices[0]
    ours = fold_chat_chunks(stream).choices[0]
    assert ours.finish_reason == theirs.finish_reason == "tool_calls"
    assert ours.message.content is None and theirs.message.content is None
    assert [c.to_dict() for c in ours.message.tool_calls] == [
        {"id": c.id, "type": c.type, "function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in theirs.message.tool_calls]
