"""RMSNorm against a numpy reference of HF LlamaRMSNorm (f32 math)."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from weight_reference import packed_vector, rms_norm_reference
from webgpu_llm.kernels.rms_norm import rms_norm_kernel, rms_norm_workgroups
from webgpu_llm.kernels.step_params import StepParams

RNG = np.random.default_rng(3)


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
