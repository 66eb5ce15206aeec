"""Continuous batching in the engine (AsyncEngine(max_batch=4)) on the real SmolLM2 and lavapipe:
requests decoding together give what each gives alone, sampling settings and logprobs included;
a grammar request runs alone between batches; a consumer that stops leaves the others decoding;
a follow-up turn reuses its slot's cache."""

import asyncio
import json

import pytest

from webgpu_llm.engine import AsyncEngine

# Greedy, or seeded: each has one answer (the chat config's own temperature samples unseeded).
REQUESTS = [
    {"content": "Write one sentence about the sea.", "temperature": 0},
    {"content": "Name three fruits.", "temperature": 0.8, "top_p": 0.9, "seed": 11},
    {"content": "Say something about winter.", "temperature": 0, "frequency_penalty": 1.5,
     "logit_bias": {"198": -100}},
    {"content": "What is a violin?", "temperature": 0, "logprobs": True, "top_logprobs": 3},
]


LOOP = asyncio.new_event_loop()  # one loop for the module: the engine's locks and tasks live on it


def run(coroutine):
    return LOOP.run_until_complete(coroutine)


@pytest.fixture(scope="module")
def batched(smollm2_folder, device):
    engine = AsyncEngine(smollm2_folder("q4f16_1"), device=device, context_window_size=512, prefill_chunk_size=64,
                         max_batch=4)
    yield engine
    engine.unload()


async def ask(engine, spec: dict, max_tokens: int = 16):
    fields = {k: v for k, v in spec.items() if k != "content"}
    reply = await engine.chat.completions.create(messages=[{"role": "user", "content": spec["content"]}],
                                                 max_tokens=max_tokens, **fields)
    choice = reply.choices[0]
    logprobs = None
    if choice.logprobs is not None:
        logprobs = [(e.token, e.logprob, [(t.token, t.logprob) for t in e.top_logprobs])
                    for e in choice.logprobs.content]
    return choice.message.content, logprobs, reply.usage


def test_requests_together_equal_each_alone(batched):
    async def scenario():
        alone = [await ask(batched, spec) for spec in REQUESTS]
        together = await asyncio.gather(*(ask(batched, spec) for spec in REQUESTS))
        return alone, together

    alone, together = run(scenario())
    for spec, a, t in zip(REQUESTS, alone, together):
        assert t[0] == a[0], spec
        assert t[1] == a[1], spec  # logprobs: the same entries, bit for bit
    assert together[3][1] and len(together[3][1][0][2]) == 3
    assert len({a[0] for a in alone}) == len(REQUESTS)


def test_a_grammar_request_runs_alone_between_batches(batched):
    async def scenario():
        plain = [await ask(batched, spec) for spec in REQUESTS[:2]]
        schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}},
                  "required": ["name"], "additionalProperties": False}
        json_request = {"content": "Give a JSON object with a name.", "temperature": 0, "response_format": {
            "type": "json_schema", "json_schema": {"name": "person", "schema": schema}}}
        mixed = await asyncio.gather(ask(batched, REQUESTS[0]), ask(batched, json_request, 40),
                                     ask(batched, REQUESTS[1]))
        return plain, mixed

    plain, mixed = run(scenario())
    assert mixed[0][0] == plain[0][0] and mixed[2][0] == plain[1][0]
    assert set(json.loads(mixed[1][0])) == {"name"}


def test_a_stream_that_stops_leaves_the_others_decoding(batched):
    async def scenario():
        alone = [await ask(batched, spec, 24) for spec in REQUESTS[:3]]

        async def stop_early():
            stream = await batched.chat.completions.create(
                messages=[{"role": "user", "content": "Count from one to fifty."}], max_tokens=200, stream=True,
                temperature=0)
            pieces = 0
            async for _ in stream:
                pieces += 1
                if pieces == 3:
                    break
            await stream.aclose()
            return pieces

        results = await asyncio.gather(stop_early(), *(ask(batched, spec, 24) for spec in REQUESTS[:3]))
        after = await ask(batched, REQUESTS[0], 24)
        return alone, results, after

    alone, results, after = run(scenario())
    assert results[0] == 3
    assert [r[0] for r in results[1:]] == [a[0] for a in alone]
    assert after[0] == alone[0][0]


def test_a_follow_up_turn_prefills_only_what_is_new(batched):
    async def scenario():
        first = [{"role": "user", "content": "Write one sentence about the sea."}]
        reply = await batched.chat.completions.create(messages=first, max_tokens=12, temperature=0)
        follow = first + [{"role": "assistant", "content": reply.choices[0].message.content},
                          {"role": "user", "content": "And one about rivers."}]
        others = [ask(batched, spec, 8) for spec in REQUESTS[1:3]]  # other slots busy meanwhile
        second, *_ = await asyncio.gather(batched.chat.completions.create(messages=follow, max_tokens=8,
                                                                          temperature=0), *others)
        return second.usage

    usage = run(scenario())
    assert usage.extra["prefill_tokens"] < usage.prompt_tokens - 10, usage


def test_a_waiting_grammar_request_goes_before_requests_that_come_after_it(batched):
    """Once a request that runs alone waits, newer requests wait behind it instead of joining
    the batch (which would keep the batch from ever emptying)."""
    events = []

    async def plain(name: str, max_tokens: int):
        stream = await batched.chat.completions.create(
            messages=[{"role": "user", "content": "Count from one to forty."}], max_tokens=max_tokens,
            stream=True, temperature=0)
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                events.append(("first", name))
                break
        async for _ in stream:
            pass
        events.append(("end", name))

    async def structured():
        await ask(batched, {"content": "A JSON object, please.", "temperature": 0,
                            "response_format": {"type": "json_object"}}, 8)
        events.append(("end", "grammar"))

    async def scenario():
        running = asyncio.ensure_future(plain("running", 24))
        while ("first", "running") not in events:
            await asyncio.sleep(0.01)
        grammar = asyncio.ensure_future(structured())
        await asyncio.sleep(0.05)  # the grammar request waits for the batch to empty
        later = asyncio.ensure_future(plain("later", 4))
        await asyncio.gather(running, grammar, later)

    run(scenario())
    assert events.index(("end", "running")) < events.index(("end", "grammar")) < events.index(("first", "later"))
