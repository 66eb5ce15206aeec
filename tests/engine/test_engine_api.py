"""The OpenAI-style API on the real model: streams, folds, usage, errors, multi-turn, control."""

import struct

import pytest

from webgpu_llm.protocol.errors import ContextWindowExceededError, InvalidRequestError

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def test_stream_and_fold_agree_and_usage_is_exact(engine):
    reply = engine.chat.completions.create(messages=QUESTION, max_tokens=10, temperature=0)
    chunks = list(engine.chat.completions.create(messages=QUESTION, max_tokens=10, temperature=0, stream=True,
                                                 stream_options={"include_usage": True}))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == reply.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert [c.usage for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    model = engine.engine.model
    from webgpu_llm.engine.jobs import chat_prompt_ids

    usage = reply.usage
    assert usage.prompt_tokens == len(chat_prompt_ids(model, QUESTION))
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert reply.choices[0].finish_reason in ("stop", "length")
    if reply.choices[0].finish_reason == "length":
        assert usage.completion_tokens == 10
    for key in ("prefill_tokens_per_s", "decode_tokens_per_s", "time_to_first_token_s"):
        assert usage.extra[key] > 0, key
    assert "Paris" in reply.choices[0].message.content
    assert "prefill" in engine.runtime_stats_text()


def test_max_tokens_gives_finish_reason_length(engine):
    reply = engine.chat.completions.create(messages=QUESTION, max_tokens=3, temperature=0)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 3


def test_greedy_answer_is_the_same_in_sync_and_async_engines(engine):
    import asyncio

    sync = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=0)

    async def run():
        return await engine.engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=0)

    assert asyncio.new_event_loop().run_until_complete(run()).choices[0].message.content == \
        sync.choices[0].message.content


def recorded_prefill_tokens(runner, monkeypatch) -> list[int]:
    """The token ids the runner writes into the graph's `tokens` buffer from now on: exactly what it
    prefills (a decode step feeds its token on the GPU and writes none)."""
    written: list[int] = []
    write_buffer = runner.device.write_buffer

    def recording(buffer, offset, data):
        if buffer is runner.graph.tokens:
            written.extend(struct.unpack(f"<{len(data) // 4}I", data))
        write_buffer(buffer, offset, data)

    monkeypatch.setattr(runner.device, "write_buffer", recording)
    return written


def test_second_turn_prefills_only_the_new_turn(engine, monkeypatch):
    from webgpu_llm.engine.jobs import chat_prompt_ids

    model = engine.engine.model
    prefilled = recorded_prefill_tokens(model.runner, monkeypatch)
    engine.reset_chat()
    first = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=0)
    assert prefilled == chat_prompt_ids(model, QUESTION)
    assert first.usage.extra["prefill_tokens"] == first.usage.prompt_tokens
    turn2 = QUESTION + [{"role": "assistant", "content": first.choices[0].message.content},
                        {"role": "user", "content": "And of Italy?"}]
    prefilled.clear()
    second = engine.chat.completions.create(messages=turn2, max_tokens=8, temperature=0)
    new_tokens = second.usage.prompt_tokens - first.usage.prompt_tokens
    assert 0 < len(prefilled) <= new_tokens + 2  # + the reply's end-of-turn tokens
    assert prefilled == chat_prompt_ids(model, turn2)[-len(prefilled):]
    assert second.usage.extra["prefill_tokens"] == len(prefilled)
    engine.reset_chat()
    prefilled.clear()
    fresh = engine.chat.completions.create(messages=turn2, max_tokens=8, temperature=0)
    assert prefilled == chat_prompt_ids(model, turn2)
    assert fresh.usage.extra["prefill_tokens"] == fresh.usage.prompt_tokens
    assert fresh.choices[0].message.content == second.choices[0].message.content


def test_completions_api(engine):
    reply = engine.completions.create(prompt="The capital of France is", max_tokens=5, temperature=0)
    assert reply.object == "text_completion"
    assert reply.choices[0].text and reply.usage.completion_tokens <= 5
    chunks = list(engine.completions.create(prompt="The capital of France is", max_tokens=5, temperature=0,
                                            stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == reply.choices[0].text


@pytest.mark.parametrize("fields, param", [
    ({"temperature": 3}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"logit_bias": {"999999": 5}}, "logit_bias"),
    ({"top_logprobs": 3}, "top_logprobs"),
    ({"n": 0}, "n"),
    ({"frequency_penalty": 2.5}, "frequency_penalty"),
    ({"messages": []}, "messages"),
    ({"bogus": 1}, "bogus"),
])
def test_invalid_requests_raise_typed_errors_and_leave_the_engine_usable(engine, fields, param):
    request = {"messages": QUESTION, "max_tokens": 2, **fields}
    with pytest.raises(InvalidRequestError) as info:
        engine.chat.completions.create(**request)
    assert info.value.param == param
    assert engine.chat.completions.create(messages=QUESTION, max_tokens=2, temperature=0).choices[0].message.content


def test_prompt_too_long_for_the_context_window(engine):
    with pytest.raises(ContextWindowExceededError) as info:
        engine.chat.completions.create(messages=[{"role": "user", "content": "word " * 400}], max_tokens=4)
    assert "context window" in str(info.value)
    assert engine.chat.completions.create(messages=QUESTION, max_tokens=2, temperature=0).choices


def test_interrupt_generate_ends_the_stream_with_abort(engine):
    chunks = []
    for chunk in engine.chat.completions.create(messages=QUESTION, max_tokens=40, temperature=0, stream=True):
        chunks.append(chunk)
        if len(chunks) == 3:
            engine.interrupt_generate()
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["abort"]
    assert len(chunks) < 12
    assert engine.chat.completions.create(messages=QUESTION, max_tokens=2, temperature=0).choices
