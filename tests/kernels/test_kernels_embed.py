"""Embedding lookup (embed.wgsl) against the numpy dequantization in weight_reference.py."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from weight_reference import FORMATS, random_weight
from webgpu_llm.kernels.embed import embed_kernel, embed_workgroups
from webgpu_llm.kernels.step_params import StepParams

UNTOUCHED = -12345.0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("hidden", [72, 45, 40])
def test_embed_rows_are_exact(device, fmt, hidden):
    """Dequantization is exact in f32: q * scale, or a 16-bit value widened."""
    vocab, t = 50, 5
    rng = np.random.default_rng(hidden)
    weights, dense = random_weight(fmt, vocab, hidden, rng)  # dense (vocab, hidden)
    tokens = np.array([0, vocab - 1, 17, 17, 3, 99, 99], np.uint32)  # (7,): the last 2 are past T
    variant = embed_kernel(vocab, hidden, fmt)
    out_rows = len(tokens)
    inputs = {"tokens": tokens, **weights, "out": np.full((out_rows, hidden), UNTOUCHED, np.float32)}
    out = run_kernel(device, variant, inputs, {}, embed_workgroups(variant, out_rows), StepParams(num_tokens=t),
                     read=["out"])["out"]
    np.testing.assert_array_equal(out[:t], dense[tokens[:t]].astype(np.float32))
    assert np.all(out[t:] == UNTOUCHED)  # rows past params.num_tokens are left alone


def test_embed_workgroups_spill_into_y():
    variant = embed_kernel(151_936, 4096, "Q4F16")
    x, y, z = embed_workgroups(variant, 8192)
    assert x <= 65535 and x * y * 64 >= 8192 * 512 and z == 1
    with pytest.raises(ValueError):
        embed_kernel(10, 8, "Q3")
