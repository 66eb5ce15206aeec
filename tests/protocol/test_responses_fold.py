"""Response shapes (OpenAI's JSON), the fold of a stream, and typed errors."""

import json
import pickle

import pytest

from webgpu_llm.protocol import (ChatCompletion, ChatCompletionChunk, ChatLogprobs, ChunkChoice,
                                 Completion, CompletionChoice, CompletionChunk, CompletionLogprobs,
                                 ContextWindowExceededError, Delta, EngineNotLoadedError,
                                 InvalidRequestError, TokenLogprobEntry, TopLogprob,
                                 UnknownModelError, Usage, WebGPULLMError, error_from_dict,
                                 fold_chat_chunks, fold_completion_chunks)

HEADER = {"id": "chatcmpl-1", "created": 1700000000, "model": "m"}
EXTRA = {"prefill_tokens_per_s": 900.0, "decode_tokens_per_s": 60.0,
         "time_to_first_token_s": 0.05, "time_per_output_token_s": 0.016, "e2e_latency_s": 0.2}


def entry(token, logprob):
    return TokenLogprobEntry(token, logprob, list(token.encode()),
                             [TopLogprob(token, logprob, list(token.encode())),
                              TopLogprob("?", -9.0, [63])])


def chunk(index, role=None, content=None, logprobs=None, finish=None):
    lp = None if logprobs is None else ChatLogprobs(logprobs)
    return ChatCompletionChunk(HEADER["id"], HEADER["created"], HEADER["model"],
                               [ChunkChoice(index, Delta(role, content), lp, finish)])


# ----------------------------------------------------------- shapes

def test_chunk_shape_matches_openai():
    first = chunk(0, role="assistant", content="")
    assert first.to_dict() == {**HEADER, "object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
         "finish_reason": None}]}
    last = chunk(0, finish="stop")
    assert last.to_dict()["choices"][0]["delta"] == {}
    assert "usage" not in last.to_dict()
    usage_only = ChatCompletionChunk("chatcmpl-1", 1700000000, "m", [], Usage(3, 2, 5, EXTRA))
    assert usage_only.to_dict() == {**HEADER, "object": "chat.completion.chunk", "choices": [],
                                    "usage": {"prompt_tokens": 3, "completion_tokens": 2,
                                              "total_tokens": 5, "extra": EXTRA}}
    assert first.choices[0].delta.content == "" and usage_only.usage.extra == EXTRA


def test_chat_logprobs_shape():
    lp = ChatLogprobs([entry("Hi", -0.5)])
    assert lp.to_dict() == {"content": [{
        "token": "Hi", "logprob": -0.5, "bytes": [72, 105],
        "top_logprobs": [{"token": "Hi", "logprob": -0.5, "bytes": [72, 105]},
                         {"token": "?", "logprob": -9.0, "bytes": [63]}]}]}


def test_completion_shapes():
    lp = CompletionLogprobs(["a"], [-0.1], [{"a": -0.1, "b": -2.0}], [0])
    whole = Completion("cmpl-1", 1, "m", [CompletionChoice(0, "a", lp, "length")], Usage(1, 1, 2))
    assert whole.to_dict() == {
        "id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m",
        "choices": [{"text": "a", "index": 0, "finish_reason": "length", "logprobs": {
            "tokens": ["a"], "token_logprobs": [-0.1], "top_logprobs": [{"a": -0.1, "b": -2.0}],
            "text_offset": [0]}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    piece = CompletionChunk("cmpl-1", 1, "m", [CompletionChoice(0, "a")])
    assert piece.to_dict()["object"] == "text_completion" and "usage" not in piece.to_dict()


def test_whole_reply_always_has_usage_key():
    reply = ChatCompletion("c", 1, "m", [], None)
    assert reply.to_dict()["usage"] is None and reply.to_dict()["object"] == "chat.completion"


@pytest.mark.parametrize("response", [
    chunk(1, "assistant", "x", [entry("x", -1.0)], "stop"),
    ChatCompletionChunk("c", 1, "m", [], Usage(1, 2, 3, EXTRA)),
    CompletionChunk("c", 1, "m", [CompletionChoice(0, "t", CompletionLogprobs(["t"], [-1.0], None, [0]))]),
])
def test_to_dict_is_json_and_reads_back(response):
    data = json.loads(json.dumps(response.to_dict()))
    assert type(response).from_dict(data) == response


# ------------------------------------------------------------- fold

def interleaved_chat_stream():
    """n=2, choices interleaved as the engine sends them, then the usage chunk."""
    return [
        chunk(0, "assistant", ""), chunk(1, "assistant", ""),
        chunk(0, content="Hel", logprobs=[entry("Hel", -0.1)]),
        chunk(1, content="Bye", logprobs=[entry("Bye", -0.3)]),
        chunk(0, content="lo", logprobs=[entry("lo", -0.2)]),
        chunk(1, finish="length"),
        chunk(0, content="!", logprobs=[entry("!", -0.4)]),
        chunk(0, finish="stop"),
        ChatCompletionChunk(HEADER["id"], HEADER["created"], HEADER["model"], [],
                            Usage(4, 5, 9, EXTRA)),
    ]


def test_fold_of_interleaved_n2_chat_stream():
    reply = fold_chat_chunks(interleaved_chat_stream())
    assert reply.to_dict() == {
        **HEADER, "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello!"},
             "logprobs": {"content": [entry(t, lp).to_dict() for t, lp in
                                      [("Hel", -0.1), ("lo", -0.2), ("!", -0.4)]]},
             "finish_reason": "stop"},
            {"index": 1, "message": {"role": "assistant", "content": "Bye"},
             "logprobs": {"content": [entry("Bye", -0.3).to_dict()]},
             "finish_reason": "length"},
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9, "extra": EXTRA},
    }
    assert reply.choices[0].message.content == "Hello!"


def test_fold_without_logprobs_or_usage():
    reply = fold_chat_chunks([chunk(0, "assistant", ""), chunk(0, content="ok", finish="stop")])
    assert reply.choices[0].logprobs is None and reply.usage is None
    assert reply.choices[0].message.content == "ok"


def test_fold_of_completion_stream():
    def piece(index, text, token=None, offset=0, finish=None):
        lp = None if token is None else CompletionLogprobs([token], [-1.0], [{token: -1.0}], [offset])
        return CompletionChunk("cmpl-9", 5, "m", [CompletionChoice(index, text, lp, finish)])
    stream = [piece(0, "a", "a", 0), piece(1, "x", "x", 0), piece(0, "bc", "bc", 1),
              piece(1, "", finish="stop"), piece(0, "", finish="length"),
              CompletionChunk("cmpl-9", 5, "m", [], Usage(2, 3, 5))]
    reply = fold_completion_chunks(stream)
    assert [c.text for c in reply.choices] == ["abc", "x"]
    assert reply.choices[0].logprobs.to_dict() == {
        "tokens": ["a", "bc"], "token_logprobs": [-1.0, -1.0],
        "top_logprobs": [{"a": -1.0}, {"bc": -1.0}], "text_offset": [0, 1]}
    assert [c.finish_reason for c in reply.choices] == ["length", "stop"]
    assert reply.usage == Usage(2, 3, 5) and reply.object == "text_completion"


def test_fold_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        fold_chat_chunks([])


# ----------------------------------------------------------- errors

@pytest.mark.parametrize("error", [
    InvalidRequestError("temperature must be a number in [0, 2], got 3", param="temperature"),
    InvalidRequestError("tools is not supported yet", "tools", "unsupported_parameter"),
    ContextWindowExceededError("prompt too long", param="messages"),
    ContextWindowExceededError("prompt too long"),
    UnknownModelError("no model named 'x'"),
    EngineNotLoadedError(),
    WebGPULLMError("device lost"),
])
def test_error_round_trips_with_its_type(error):
    body = error.to_dict()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    for rebuilt in (error_from_dict(json.loads(json.dumps(body))), pickle.loads(pickle.dumps(error))):
        assert type(rebuilt) is type(error)
        assert rebuilt.to_dict() == body and str(rebuilt) == str(error)


def test_error_fields():
    error = ContextWindowExceededError("too long", param="messages")
    assert isinstance(error, InvalidRequestError) and isinstance(error, WebGPULLMError)
    assert error.to_dict() == {"error": {"message": "too long", "type": "invalid_request_error",
                                         "param": "messages", "code": "context_length_exceeded"}}
    assert UnknownModelError("x").code == "model_not_found" and UnknownModelError("x").param == "model"


def test_unknown_error_type_keeps_its_name():
    body = {"error": {"message": "slow down", "type": "rate_limit_error", "param": None,
                      "code": "rate_limited"}}
    rebuilt = error_from_dict(body)
    assert type(rebuilt) is WebGPULLMError and rebuilt.to_dict() == body
