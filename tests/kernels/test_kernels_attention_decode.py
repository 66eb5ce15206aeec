"""Split-K decode attention (partial + merge) against a numpy softmax reference."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from webgpu_llm.kernels.attention_cpu import attention_cpu_kernel, attention_cpu_workgroups
from webgpu_llm.kernels.attention_decode import (CHUNK, attention_decode_kernel, attention_decode_workgroups,
                                                 max_chunks)
from webgpu_llm.kernels.step_params import StepParams

RNG = np.random.default_rng(5)
PAGE = 16
EMPTY = np.float32(-3.40282347e38)  # the kernel's max for a chunk with no keys (-inf in effect)


def decode_reference(q, k_rows, v_rows, pos):
    """q (H, Dh); k_rows, v_rows (positions, KVH, Dh) in logical order; keys 0..pos."""
    H, Dh = q.shape
    group = H // k_rows.shape[1]
    out = np.empty((H, Dh))
    for h in range(H):
        k = k_rows[: pos + 1, h // group].astype(np.float64)  # (pos+1, Dh)
        v = v_rows[: pos + 1, h // group].astype(np.float64)
        s = k @ q[h].astype(np.float64) / np.sqrt(Dh)
        p = np.exp(s - s.max())
        out[h] = p @ v / p.sum()
    return out.reshape(-1)


def paged(rows: np.ndarray, page_table: np.ndarray, page: int) -> np.ndarray:
    """(positions, KVH, Dh) logical rows -> (pages, KVH, PAGE, Dh) laid out through page_table."""
    positions, kvh, dh = rows.shape
    cache = np.full((len(page_table), kvh, page, dh), np.nan, np.float32)  # unwritten slots: NaN must not leak
    for p in range(positions):
        cache[page_table[p // page], :, p % page] = rows[p]
    return cache


def run_decode(device, subgroups, H, KVH, Dh, context, pos, scale=1.0):
    pages = -(-context // PAGE)
    page_table = RNG.permutation(pages).astype(np.uint32)
    q = (RNG.standard_normal((H, Dh)) * scale).astype(np.float32)             # (H, Dh)
    k_rows = (RNG.standard_normal((pos + 1, KVH, Dh)) * scale).astype(np.float32)
    v_rows = RNG.standard_normal((pos + 1, KVH, Dh)).astype(np.float32)
    chunks = max_chunks(context)
    partial = attention_decode_kernel("partial", H, KVH, Dh, PAGE, context, subgroups)
    parts = run_kernel(device, partial,
                       {"q": q, "k_cache": paged(k_rows, page_table, PAGE), "v_cache": paged(v_rows, page_table, PAGE),
                        "page_table": page_table},
                       {"partial_out": (np.float32, (H, chunks, Dh)), "partial_max": (np.float32, (H, chunks)),
                        "partial_sum": (np.float32, (H, chunks))},
                       attention_decode_workgroups(partial), StepParams(pos=pos))
    merge = attention_decode_kernel("merge", H, KVH, Dh, PAGE, context, subgroups)
    out = run_kernel(device, merge, parts, {"out": (np.float32, (H * Dh,))}, attention_decode_workgroups(merge),
                     StepParams(pos=pos))["out"]
    return out, parts, decode_reference(q, k_rows, v_rows, pos)


# f32 dot products of Dh terms, GPU exp (a few ulp) and f32 sums over up to a
# few hundred keys: ~1e-6 relative per term; outputs are averages of O(1) values.
ATOL, RTOL = 3e-6, 3e-5


@pytest.mark.parametrize("Dh", [40, 64, 128, 256])  # 6, 4, 2, 1 key lanes
@pytest.mark.parametrize("pos", [0, 77, 130, 299])  # not multiples of PAGE or CHUNK; 299 fills the context
def test_decode_attention_gqa_matches_reference(device, subgroups, Dh, pos):
    out, parts, expected = run_decode(device, subgroups, H=6, KVH=2, Dh=Dh, context=300, pos=pos)
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=RTOL)
    used = pos // CHUNK + 1
    assert np.all(parts["partial_max"][:, used:] == EMPTY) and np.all(parts["partial_sum"][:, used:] == 0.0)
    assert np.all(parts["partial_sum"][:, :used] >= 1.0)  # each used chunk holds its own max: exp(0) = 1


def test_decode_attention_large_scores_and_many_heads_per_kv_head(device, subgroups):
    # 16 query heads on one kv head: two blocks of 8 heads. Large logits test
    # the max subtraction (exp would overflow f32 without it).
    out, _, expected = run_decode(device, subgroups, H=16, KVH=1, Dh=8, context=200, pos=150, scale=6.0)
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=RTOL)


def test_decode_workgroups_cover_the_context():
    partial = attention_decode_kernel("partial", 32, 8, 128, PAGE, 4096, True)
    assert attention_decode_workgroups(partial) == (4096 // CHUNK, 8, 1)  # 4 heads share each K/V read
    merge = attention_decode_kernel("merge", 32, 8, 128, PAGE, 4096, True)
    assert merge.entry_point == "merge" and attention_decode_workgroups(merge) == (32, 1, 1)
    assert max_chunks(4097) == 4096 // CHUNK + 1
    with pytest.raises(ValueError, match="allowed"):
        attention_decode_kernel("both", 32, 8, 128, PAGE, 4096, True)


@pytest.mark.parametrize("H, KVH, Dh", [(6, 2, 64), (16, 1, 8), (4, 1, 256)])
@pytest.mark.parametrize("pos", [0, 77, 299])
def test_cpu_decode_attention_matches_reference(device, H, KVH, Dh, pos):
    """attention_cpu.wgsl with one query (how CPU adapters decode) over a paged cache; large logits
    (scale 6) on the small head, as the split kernel's test."""
    scale = 6.0 if Dh == 8 else 1.0
    pages = -(-300 // PAGE)
    page_table = RNG.permutation(pages).astype(np.uint32)
    q = (RNG.standard_normal((H, Dh)) * scale).astype(np.float32)
    k_rows = (RNG.standard_normal((pos + 1, KVH, Dh)) * scale).astype(np.float32)
    v_rows = RNG.standard_normal((pos + 1, KVH, Dh)).astype(np.float32)
    variant = attention_cpu_kernel(H, KVH, Dh, PAGE, decode=True)
    out = run_kernel(device, variant,
                     {"q": q, "k_cache": paged(k_rows, page_table, PAGE), "v_cache": paged(v_rows, page_table, PAGE),
                      "page_table": page_table},
                     {"out": (np.float32, (H * Dh,))}, attention_cpu_workgroups(variant, 1),
                     StepParams(pos=pos, num_tokens=1))["out"]
    np.testing.assert_allclose(out, decode_reference(q, k_rows, v_rows, pos), atol=ATOL, rtol=RTOL)
