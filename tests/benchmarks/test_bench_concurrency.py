"""`webgpu-llm bench --concurrency N`'s measurement on the real SmolLM2 (lavapipe): N streams
through the batch scheduler against one, each stream its full count of tokens."""

import asyncio

import pytest

from webgpu_llm.benchmarks.concurrency import _streams, concurrent_decode
from webgpu_llm.benchmarks.profile import profile_batched_step
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


KINDS = ("embed", "qkv", "rope_kv", "attention", "o_proj", "gate_up", "down_proj", "lm_head", "sample")


def test_the_batched_step_is_profiled_per_kind_at_one_and_n_rows(scheduler, device):
    if not device.features.timestamp_query:
        pytest.skip("this adapter has no timestamp queries")
    runner = scheduler.runner
    layers = runner.config.num_hidden_layers
    one_layer_kv = runner.config.num_key_value_heads * runner.config.head_dim * 4  # a key's K (or V) row
    one, three = (profile_batched_step(scheduler, rows, 20, copy_bytes_per_s=1e9, repeats=2) for rows in (1, 3))
    for rows, step in ((1, one), (3, three)):
        kinds = {k.kind: k for k in step.kinds}
        assert step.rows == rows and step.position == 20
        assert set(KINDS) <= set(kinds)
        assert all(kinds[k].dispatches == layers for k in ("qkv", "gate_up", "down_proj"))
        assert sum(k.dispatches for k in step.kinds) == len(scheduler.graph.dispatches(rows))
        assert all(k.microseconds > 0 for k in step.kinds)
        assert step.total_microseconds == pytest.approx(sum(k.microseconds for k in step.kinds))
        # Each row's query reads K and V of keys 0..20 in every layer.
        assert kinds["attention"].bytes_read == layers * 2 * rows * 21 * one_layer_kv
        assert f"batched step of {rows} row" in step.format()
    # The weights count once whatever the rows: what the step must read at least.
    weights_read = [{k.kind: k.bytes_read for k in step.kinds}["gate_up"] for step in (one, three)]
    assert weights_read[0] == weights_read[1] > 0
    embed = [{k.kind: k.bytes_read for k in step.kinds}["embed"] for step in (one, three)]
    assert embed[1] == 3 * embed[0] > 0  # a row of the table per token
    with pytest.raises(ValueError, match="outside the context window"):
        profile_batched_step(scheduler, 1, 128, copy_bytes_per_s=1e9)
