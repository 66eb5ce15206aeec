"""`webgpu-llm bench --concurrency N`'s measurement on the real SmolLM2 (lavapipe): N streams
through the batch scheduler against one, each stream its full count of tokens."""

import asyncio

import pytest

from webgpu_llm.benchmarks.concurrency import _streams, concurrent_decode
from webgpu_llm.engine.loader import load_model


@pytest.fixture(scope="module")
def scheduler(smollm2_folder, device):
    model = load_model(smollm2_folder("q4f16_1"), device, context_window_size=128, prefill_chunk_size=32,
                       max_batch=3)
    yield model.scheduler
    model.scheduler.release()
    model.runner.release()


def test_concurrent_streams_are_timed_against_one(scheduler):
    result = concurrent_decode(scheduler, 3, 8, 6, scheduler.runner.config.vocab_size, rounds=1)
    assert result.streams == 3 and result.tokens_per_s > 0 and result.single_stream_tokens_per_s > 0
    assert 0 < result.time_to_last_first_token_s
    assert result.speedup == result.tokens_per_s / result.single_stream_tokens_per_s
    assert "3 streams" in result.format()
    assert not any(slot.busy for slot in scheduler.slots) and not scheduler.rows and not scheduler.in_flight


def test_every_stream_gets_its_tokens_and_its_slot_keeps_them(scheduler):
    prompts = [[1, 2, 3], [4, 5, 6, 7, 8], [9]]
    rate, last_first, counts = asyncio.run(_streams(scheduler, prompts, 5))
    assert rate > 0 and last_first > 0 and counts == [5, 5, 5]
    # Each slot's cache holds its prompt and the 4 tokens fed back (the 5th never is).
    cached = sorted(slot.tokens for slot in scheduler.slots)
    assert sorted(len(t) for t in cached) == sorted([3 + 4, 5 + 4, 1 + 4])
    assert all(any(t[:len(p)] == p for t in cached) for p in prompts)
