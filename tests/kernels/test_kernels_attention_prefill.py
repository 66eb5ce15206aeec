"""Causal prefill attention against a numpy reference, with a cached prefix: the tiled GPU kernel
(attention_prefill.wgsl) and the CPU adapters' one (attention_cpu.wgsl, plain WGSL: runs anywhere)."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from webgpu_llm.kernels.attention_cpu import attention_cpu_kernel, attention_cpu_workgroups
from webgpu_llm.kernels.attention_prefill import attention_prefill_kernel, attention_prefill_workgroups
from webgpu_llm.kernels.step_params import StepParams

RNG = np.random.default_rng(9)
PAGE = 16


def prefill_reference(q, k_rows, v_rows, pos):
    """q (T, H, Dh); k_rows, v_rows (pos + T, KVH, Dh) logical. Query t sees keys 0..pos+t."""
    T, H, Dh = q.shape
    group = H // k_rows.shape[1]
    out = np.empty((T, H, Dh))
    for t in range(T):
        for h in range(H):
            k = k_rows[: pos + t + 1, h // group].astype(np.float64)
            v = v_rows[: pos + t + 1, h // group].astype(np.float64)
            s = k @ q[t, h].astype(np.float64) / np.sqrt(Dh)
            p = np.exp(s - s.max())
            out[t, h] = p @ v / p.sum()
    return out.reshape(T, H * Dh)


def paged(rows, page_table, page):
    """(positions, KVH, Dh) -> (pages, KVH, PAGE, Dh) through page_table; unwritten slots NaN."""
    cache = np.full((len(page_table), rows.shape[1], page, rows.shape[2]), np.nan, np.float32)
    for p in range(len(rows)):
        cache[page_table[p // page], :, p % page] = rows[p]
    return cache


# (kernel, its dispatch size) by name: both take T queries over the same bindings.
KERNELS = {"tiled": (attention_prefill_kernel, attention_prefill_workgroups),
           "cpu": (attention_cpu_kernel, attention_cpu_workgroups)}


# f32 dot products of Dh terms and GPU exp (a few ulp), sums over < 100 keys.
ATOL, RTOL = 3e-6, 3e-5


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("H, KVH, Dh", [(6, 2, 40), (4, 1, 64), (2, 2, 128)])
@pytest.mark.parametrize("t, pos", [(7, 0), (7, 21), (19, 37), (1, 30)])  # pos > 0: keys from earlier chunks
def test_prefill_attention_matches_reference(device, kernel, H, KVH, Dh, t, pos):
    context = pos + t + 5
    pages = -(-context // PAGE)
    page_table = RNG.permutation(pages).astype(np.uint32)
    q = RNG.standard_normal((t, H, Dh)).astype(np.float32)                  # (T, H, Dh)
    k_rows = (RNG.standard_normal((pos + t, KVH, Dh)) * 2).astype(np.float32)
    v_rows = RNG.standard_normal((pos + t, KVH, Dh)).astype(np.float32)
    make, workgroups = KERNELS[kernel]
    variant = make(H, KVH, Dh, PAGE)
    extra = 2  # rows past params.num_tokens stay untouched
    out = run_kernel(device, variant,
                     {"q": np.concatenate([q, np.ones((extra, H, Dh), np.float32)]),
                      "k_cache": paged(k_rows, page_table, PAGE), "v_cache": paged(v_rows, page_table, PAGE),
                      "page_table": page_table},
                     {"out": (np.float32, (t + extra, H * Dh))}, workgroups(variant, t + extra),
                     StepParams(pos=pos, num_tokens=t))["out"]
    np.testing.assert_allclose(out[:t], prefill_reference(q, k_rows, v_rows, pos), atol=ATOL, rtol=RTOL)
    np.testing.assert_array_equal(out[t:], 0.0)


def test_prefill_tiles_fit_workgroup_memory():
    for dh in (40, 64, 128, 256):
        d = dict(attention_prefill_kernel(8, 2, dh, PAGE).defines)
        assert (d["BQ"] + d["BK"]) * d["STRIDE4"] * 16 + d["BQ"] * d["BK"] * 4 <= 16384
    variant = attention_prefill_kernel(32, 8, 128, PAGE)
    assert attention_prefill_workgroups(variant, 100) == (-(-100 // dict(variant.defines)["BQ"]), 32, 1)
