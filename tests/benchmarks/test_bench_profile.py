"""`webgpu-llm bench`'s parts on the real SmolLM2 (lavapipe): the per-kind profile of a decode
step (timestamp queries), decode timed after a depth of context, and --prompt-tokens lists."""

import argparse

import pytest

from webgpu_llm.benchmarks.measure import decode_speed
from webgpu_llm.benchmarks.profile import profile_decode_step
from webgpu_llm.cli import _lengths
from webgpu_llm.engine.loader import load_model


@pytest.fixture(scope="module")
def runner(smollm2_folder, device):
    return load_model(smollm2_folder("q4f16_1"), device, context_window_size=96, prefill_chunk_size=32).runner


def test_profile_times_every_dispatch_kind_of_a_decode_step(runner, device):
    if not device.features.timestamp_query:
        pytest.skip("this adapter has no timestamp queries")
    layers = runner.config.num_hidden_layers
    step = profile_decode_step(runner, 40, copy_bytes_per_s=1e9, repeats=2)
    kinds = {k.kind: k for k in step.kinds}
    assert {"qkv", "attention", "o_proj", "gate_up", "down_proj", "lm_head", "sample"} <= set(kinds)
    assert all(kinds[k].dispatches == layers for k in ("qkv", "gate_up", "down_proj"))
    assert sum(k.dispatches for k in step.kinds) == len(runner.graph.decode_dispatches)
    assert all(k.microseconds > 0 for k in step.kinds)
    assert step.total_microseconds == pytest.approx(sum(k.microseconds for k in step.kinds))
    # gate_up reads exactly its weights (q4 words and scales) and its fused norm's, once per layer.
    norm = f".{runner.graph.arch.mlp_norm}.weight"
    gate_up = sum(b.size for name, b in runner.graph.weights.items() if ".gate_up_proj." in name or norm in name)
    assert kinds["gate_up"].bytes_read == gate_up
    assert kinds["gate_up"].gb_s == pytest.approx(gate_up / (kinds["gate_up"].microseconds * 1e-6) / 1e9)
    # attention reads K and V of keys 0..40 in every layer
    kv_row = runner.config.num_key_value_heads * runner.config.head_dim * 4
    assert kinds["attention"].bytes_read == layers * 2 * 41 * kv_row
    assert kinds["rope_kv"].bytes_read == 0  # it writes one row of the caches it binds
    assert "gate_up" in step.format()


def test_decode_after_a_depth_of_context(runner):
    prefill, decode = decode_speed(runner, 60, 4, runner.config.vocab_size, rounds=1)
    assert prefill > 0 and decode > 0
    assert runner.kv_tokens and len(runner.kv_tokens) == 60 + 3  # the depth, then the fed tokens


def test_prompt_token_lists():
    assert _lengths("64") == [64] and _lengths("64,512,2048") == [64, 512, 2048]
    for bad in ("", "64,", "a", "0", "-3"):
        with pytest.raises(argparse.ArgumentTypeError):
            _lengths(bad)
