"""WebLLM's low-level API on the real SmolLM2: forwardTokensAndSample (engine/low_level.py,
runner.forward_tokens) and the logits it hands a page's LogitProcessor (BrowserHost)."""

import asyncio
import base64
import json
import struct

import numpy as np
import pytest

from webgpu_llm.engine import browser_host
from webgpu_llm.engine.jobs import chat_prompt_ids, text_prompt_ids
from webgpu_llm.protocol.errors import InvalidRequestError

# Over 64 tokens: the prefill runs in two chunks (the engine fixture's prefill_chunk_size is 64).
LONG_PROMPT = "The sea is wide and the sea is deep, " * 8 + "and the sea is"


@pytest.fixture
def greedy(engine, monkeypatch):
    """The model's chat config at temperature 0, as chatOpts {temperature: 0} leaves it."""
    monkeypatch.setitem(engine.engine.model.chat_config, "temperature", 0.0)
    yield engine
    engine.reset_chat()


def forward_loop(engine, prompt_ids: list[int], count: int) -> list[int]:
    """WebLLM's logit-processor example: prefill the prompt, then feed each sampled token back."""
    tokens = [engine.forward_tokens_and_sample(prompt_ids, True)]
    while len(tokens) < count:
        tokens.append(engine.forward_tokens_and_sample([tokens[-1]], False))
    return tokens


def test_greedy_forward_loop_is_the_greedy_completion(greedy):
    model = greedy.engine.model
    prompt_ids = text_prompt_ids(model, LONG_PROMPT)
    assert len(prompt_ids) > 64
    tokens = forward_loop(greedy, prompt_ids, 8)
    reply = greedy.completions.create(prompt=LONG_PROMPT, max_tokens=8, temperature=0, ignore_eos=True)
    assert model.tokenizer.decode(tokens) == reply.choices[0].text
    assert len(set(tokens)) > 1  # not one token repeated: each step saw the token fed to it


def test_forward_continues_the_sequence_it_was_given(greedy):
    """isPrefill false appends: prefill of a + b equals prefill of a, then b appended."""
    ids = text_prompt_ids(greedy.engine.model, "Paris is the capital of")
    whole = greedy.forward_tokens_and_sample(ids, True)
    greedy.forward_tokens_and_sample(ids[:3], True)
    assert greedy.forward_tokens_and_sample(ids[3:], False) == whole


def test_runtime_stats_count_forward_calls_and_reset_clears_them(greedy):
    forward_loop(greedy, text_prompt_ids(greedy.engine.model, "Hello there"), 4)
    prefill, decode = [float(part.split(":")[1].split()[0]) for part in greedy.runtime_stats_text().split(",")]
    assert prefill > 0 and decode > 0
    greedy.reset_chat()
    assert greedy.runtime_stats_text() == "prefill: 0.0 tokens/sec, decoding: 0.0 tokens/sec"


def test_appending_needs_a_sequence_and_ids_must_be_tokens(greedy):
    greedy.reset_chat()
    with pytest.raises(InvalidRequestError) as appended:
        greedy.forward_tokens_and_sample([42], False)
    assert appended.value.param == "isPrefill"
    for bad in ([], [greedy.engine.model.config.vocab_size]):
        with pytest.raises(InvalidRequestError) as error:
            greedy.forward_tokens_and_sample(bad, True)
        assert error.value.param == "inputIds"


def test_browser_host_logits_are_what_the_sampler_saw(greedy, device, monkeypatch):
    """The logits a LogitProcessor gets: their argmax is the greedy token of the same ids."""
    monkeypatch.setattr(browser_host, "BrowserDevice", lambda bridge: device)
    host = browser_host.BrowserHost(bridge=None)
    host.engines = {greedy.model_id: greedy.engine}
    ids = text_prompt_ids(greedy.engine.model, "The capital of France is")

    async def scenario():
        token = json.loads(await host.forward_tokens_and_sample(json.dumps(ids), True))["ok"]
        logits = json.loads(await host.forward_tokens_logits(json.dumps(ids), True))["ok"]
        refused = json.loads(await host.forward_tokens_and_sample(json.dumps([1.5]), True))
        return token, logits, refused

    token, reply, refused = asyncio.new_event_loop().run_until_complete(scenario())
    assert (reply["temperature"], reply["top_p"]) == (0.0, greedy.engine.model.chat_config.get("top_p", 1.0))
    raw = base64.b64decode(reply["logits"])
    vocab = greedy.engine.model.config.vocab_size
    logits = np.array(struct.unpack(f"<{vocab}f", raw))
    assert np.isfinite(logits).all() and logits.std() > 0
    assert int(np.argmax(logits)) == token
    assert refused["error"]["name"] == "InvalidRequestError" and refused["error"]["param"] == "inputIds"


# ---------------------------------------------------------------- chat with a CPU sampler (LogitProcessor)
QUESTION = [{"role": "user", "content": "Name a big city in France."}]


def test_chat_sampled_on_the_cpu_from_the_logits(greedy):
    """An argmax CPU sampler gives the GPU's greedy answer (so each step's logits are that
    step's); one that forbids the greedy first token changes the answer, and what follows is
    the greedy continuation of the token it chose (so that token is what the next step was fed)."""
    chosen = []

    def argmax(banned=None):
        def sample(raw: bytes, sampling) -> int:
            logits = np.frombuffer(raw, dtype="<f4").copy()
            if banned is not None and not chosen:
                logits[banned] = -np.inf
            chosen.append(int(np.argmax(logits)))
            return chosen[-1]
        return sample

    def ask(sampler=None):
        request = {"messages": QUESTION, "max_tokens": 6, "temperature": 0, "ignore_eos": True}
        create = greedy.engine.chat.completions
        coroutine = create.create(**request) if sampler is None else create.create_with_cpu_sampler(sampler, **request)
        return greedy._loop.run_until_complete(coroutine)

    gpu = ask()
    cpu = ask(argmax())
    assert cpu.choices[0].message.content == gpu.choices[0].message.content
    assert len(chosen) == cpu.usage.completion_tokens == 6
    greedy_first = chosen[0]
    chosen.clear()
    steered = ask(argmax(banned=greedy_first))
    assert steered.choices[0].message.content != gpu.choices[0].message.content
    assert chosen[0] != greedy_first and len(chosen) == 6
    prompt = chat_prompt_ids(greedy.engine.model, QUESTION)
    assert forward_loop(greedy, prompt + chosen[:1], 5) == chosen[1:]


def test_cpu_sampler_refuses_what_only_the_gpu_sampler_does(engine):
    create = engine.engine.chat.completions
    for fields, param in (({"logprobs": True}, "logprobs"),
                          ({"response_format": {"type": "json_object"}}, "response_format")):
        with pytest.raises(InvalidRequestError) as error:
            engine._loop.run_until_complete(create.create_with_cpu_sampler(
                lambda raw, sampling: 0, messages=QUESTION, max_tokens=2, **fields))
        assert error.value.param == param and type(error.value).__name__ == "FeatureNotSupportedError"
