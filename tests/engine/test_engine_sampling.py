"""Sampling through the public API on the real model: seeds, logit_bias, stop, logprobs."""

import asyncio

import numpy as np

from webgpu_llm.engine.runner import LAG, SamplingSetup

QUESTION = [{"role": "user", "content": "Write one sentence about the sea."}]


def answer(engine, **fields) -> str:
    reply = engine.chat.completions.create(messages=QUESTION, max_tokens=12, **fields)
    return reply.choices[0].message.content


def test_same_seed_same_output_and_different_seeds_differ(engine):
    first = answer(engine, temperature=1.0, seed=1234)
    assert answer(engine, temperature=1.0, seed=1234) == first
    others = {answer(engine, temperature=1.0, seed=seed) for seed in (1, 2, 3)}
    assert len(others | {first}) >= 3, others


def test_n_choices_differ_and_repeat_with_the_seed(engine):
    reply = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=1.0, seed=7, n=2)
    texts = [c.message.content for c in sorted(reply.choices, key=lambda c: c.index)]
    assert [c.index for c in sorted(reply.choices, key=lambda c: c.index)] == [0, 1]
    assert texts[0] != texts[1]
    again = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=1.0, seed=7, n=2)
    assert [c.message.content for c in sorted(again.choices, key=lambda c: c.index)] == texts
    assert reply.usage.completion_tokens == 16


def test_seeded_choices_equal_is_webllm_seed_with_n(engine):
    """The browser's engine (BrowserHost) sets seeded_choices_equal: WebLLM's n equal choices for
    a seed; without a seed the choices still differ."""
    engine.engine.seeded_choices_equal = True
    try:
        reply = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=1.0, seed=7, n=3)
        unseeded = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=1.0, n=3)
    finally:
        engine.engine.seeded_choices_equal = False
    texts = {c.message.content for c in reply.choices}
    assert len(reply.choices) == 3 and len(texts) == 1, texts
    openai_n = engine.chat.completions.create(messages=QUESTION, max_tokens=8, temperature=1.0, seed=7, n=1)
    assert texts == {openai_n.choices[0].message.content}  # choice 0's stream, as with n=1
    assert len({c.message.content for c in unseeded.choices}) > 1


def test_logit_bias_minus_100_removes_the_greedy_token(engine):
    tokenizer = engine.engine.model.tokenizer
    by_bytes = {tokenizer.token_bytes(i): i for i in range(tokenizer.vocab_size)}

    def ids(reply):
        return [by_bytes[bytes(entry.bytes)] for entry in reply.choices[0].logprobs.content]

    greedy = engine.chat.completions.create(messages=QUESTION, max_tokens=6, temperature=0, logprobs=True)
    banned = ids(greedy)[0]
    biased = engine.chat.completions.create(messages=QUESTION, max_tokens=6, temperature=0, logprobs=True,
                                            logit_bias={str(banned): -100})
    assert banned not in ids(biased), (banned, ids(biased))
    assert ids(biased) != ids(greedy)


def test_penalty_counts_start_at_zero_in_each_request(engine):
    """The same penalized request twice gives the same tokens and logprobs: had the second one
    inherited the first one's counts, its first token (already generated once) would lose 2.5."""
    def penalized():
        reply = engine.chat.completions.create(messages=QUESTION, max_tokens=4, temperature=0, logprobs=True,
                                               frequency_penalty=2.0, presence_penalty=0.5)
        content = reply.choices[0].logprobs.content
        return [bytes(e.bytes) for e in content], np.array([e.logprob for e in content])

    first_tokens, first_logprobs = penalized()
    second_tokens, second_logprobs = penalized()
    assert second_tokens == first_tokens
    np.testing.assert_allclose(second_logprobs, first_logprobs, atol=1e-3)  # prefill of 1 token vs all: rounding


def test_stop_strings_cut_the_output_exactly(engine):
    full = answer(engine, temperature=0)
    cut_at = full.index(" ", 3) + 1  # a stop string that begins inside the answer
    stop = full[cut_at: cut_at + 3]
    assert len(stop) == 3
    cut = answer(engine, temperature=0, stop=[stop])
    assert cut == full[: full.index(stop)]
    streamed = "".join(c.choices[0].delta.content or "" for c in engine.chat.completions.create(
        messages=QUESTION, max_tokens=12, temperature=0, stop=stop, stream=True) if c.choices)
    assert streamed == cut


def test_logprobs_equal_numpy_log_softmax_of_the_returned_logits(engine):
    model = engine.engine.model
    runner = model.runner
    from webgpu_llm.engine.jobs import chat_prompt_ids

    prompt = chat_prompt_ids(model, QUESTION)
    runner.lag = 0  # one step at a time, so each step's processed logits can be read
    sampling = SamplingSetup(temperature=0.7, seed=5, top_logprobs=5, repetition_penalty=1.2)

    async def run():
        checked = 0
        async for sampled in runner.generate(prompt, sampling, 6):
            logits = np.array(await runner.read_logits(processed=True), np.float64)
            log_softmax = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
            assert abs(sampled.logprob - log_softmax[sampled.token]) < 1e-4
            order = np.argsort(-log_softmax, kind="stable")[:5]
            assert [t for t, _ in sampled.top[:5]] == list(order)
            np.testing.assert_allclose([v for _, v in sampled.top[:5]], log_softmax[order], atol=1e-4)
            checked += 1
        return checked

    try:
        assert asyncio.run(run()) == 6
    finally:
        runner.lag = LAG
