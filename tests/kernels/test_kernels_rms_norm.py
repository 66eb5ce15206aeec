"""RMSNorm against a numpy reference of HF LlamaRMSNorm (f32 math)."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from webgpu_llm.kernels.rms_norm import rms_norm_kernel, rms_norm_workgroups
from webgpu_llm.kernels.step_params import StepParams

RNG = np.random.default_rng(3)


def to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even f32 -> bf16 bit patterns (uint16)."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def packed_vector(values: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """(u32 words with two 16-bit values each, the values they decode to as f32)."""
    if fmt == "F16":
        bits = values.astype(np.float16).view(np.uint16)
        decoded = bits.view(np.float16).astype(np.float32)
    else:
        bits = to_bf16_bits(values)
        decoded = from_bf16_bits(bits)
    if len(bits) % 2:
        bits = np.append(bits, np.uint16(0))
    return bits.view(np.uint32), decoded


def rms_norm_reference(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    x64 = x.astype(np.float64)
    scale = 1.0 / np.sqrt(np.mean(x64 * x64, axis=-1, keepdims=True) + eps)
    return x64 * scale * weight.astype(np.float64)


@pytest.mark.parametrize("fmt", ["F16", "BF16"])
@pytest.mark.parametrize("t, d", [(1, 576), (5, 301), (3, 1000)])  # odd D: a half-used last word
def test_rms_norm_matches_reference(device, subgroups, fmt, t, d):
    eps = 1e-5
    x = (RNG.standard_normal((t, d)) * 3 + 0.5).astype(np.float32)   # (T, D)
    words, weight = packed_vector((RNG.standard_normal(d) * 0.5 + 1).astype(np.float32), fmt)
    extra_rows = 2  # rows past params.num_tokens must stay untouched
    out = run_kernel(device, rms_norm_kernel(d, eps, fmt, subgroups),
                     {"x": np.concatenate([x, np.ones((extra_rows, d), np.float32)]), "weight": words},
                     {"out": (np.float32, (t + extra_rows, d))},
                     rms_norm_workgroups(t + extra_rows), StepParams(num_tokens=t))["out"]
    # f32 sum of D squares in a different order than float64, and inverseSqrt
    # (a few ulp on GPUs): relative error well under 1e-5 of |out|.
    np.testing.assert_allclose(out[:t], rms_norm_reference(x, weight, eps), rtol=2e-5, atol=1e-6)
    np.testing.assert_array_equal(out[t:], 0.0)


def test_rms_norm_eps_matters_for_small_rows(device):
    d, eps = 64, 1e-2
    x = np.full((1, d), 1e-2, np.float32)
    words, weight = packed_vector(np.ones(d, np.float32), "BF16")
    out = run_kernel(device, rms_norm_kernel(d, eps, "BF16", False), {"x": x, "weight": words},
                     {"out": (np.float32, (1, d))}, rms_norm_workgroups(1), StepParams(num_tokens=1))["out"]
    np.testing.assert_allclose(out, rms_norm_reference(x, weight, eps), rtol=2e-5)


def test_rms_norm_rejects_unknown_format():
    with pytest.raises(ValueError, match="allowed"):
        rms_norm_kernel(64, 1e-5, "Q4F16", False)
