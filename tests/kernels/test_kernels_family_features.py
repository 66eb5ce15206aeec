"""The kernel features the model families need, each against a numpy reference:
windowed + soft-capped attention over a ring of KV pages (decode and prefill),
qkv bias / q-k RMSNorm / longrope in rope_kv_append, GeGLU in the products,
the accumulating RMSNorm, the embedding scale and logit soft-capping."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from test_kernels_rope_kv_append import cache_rows, rope_reference
from weight_reference import (assert_close, packed_vector, random_weight, reference_product, rms_norm_reference)
from webgpu_llm.kernels.attention_decode import attention_decode_kernel, attention_decode_workgroups, max_chunks
from webgpu_llm.kernels.attention_cpu import attention_cpu_kernel, attention_cpu_workgroups
from webgpu_llm.kernels.attention_prefill import attention_prefill_kernel, attention_prefill_workgroups
from webgpu_llm.kernels.embed import embed_kernel, embed_workgroups
from webgpu_llm.kernels.gemv import gemv_kernel, gemv_workgroups
from webgpu_llm.kernels.matmul import matmul_kernel, matmul_workgroups
from webgpu_llm.kernels.rms_norm import rms_norm_kernel, rms_norm_workgroups
from webgpu_llm.kernels.rope_kv_append import inv_freq, rope_kv_append_kernel, rope_kv_append_workgroups
from webgpu_llm.kernels.softcap import softcap_kernel, softcap_workgroups
from webgpu_llm.kernels.step_params import StepParams

RNG = np.random.default_rng(23)
PAGE = 16
# f32 dot products and GPU exp/tanh (a few ulp), sums over a few hundred keys (as the plain attention tests).
ATOL, RTOL = 3e-6, 3e-5


def attention_reference(q, k_rows, v_rows, q_pos, window, softcap, scale):
    """One query (H, Dh) at q_pos over logical rows (positions, KVH, Dh): keys q_pos - window < j <= q_pos."""
    H, Dh = q.shape
    group = H // k_rows.shape[1]
    lo = max(0, q_pos - window + 1) if window else 0
    out = np.empty((H, Dh))
    for h in range(H):
        k = k_rows[lo: q_pos + 1, h // group].astype(np.float64)
        v = v_rows[lo: q_pos + 1, h // group].astype(np.float64)
        s = k @ q[h].astype(np.float64) * scale
        if softcap:
            s = softcap * np.tanh(s / softcap)
        p = np.exp(s - s.max())
        out[h] = p @ v / p.sum()
    return out.reshape(-1)


def ring_table(pages: int, ring_pages: int) -> np.ndarray:
    """A page table whose first ring_pages entries (all a ring reads) are out of order."""
    return np.concatenate([RNG.permutation(ring_pages), np.arange(ring_pages, pages)]).astype(np.uint32)


def ring(rows, ring_pages, page_table, newest):
    """A ring cache (ring_pages, KVH, PAGE, Dh) after positions 0..newest were written in order:
    each slot holds the last position that mapped to it; slots never written are NaN (must not leak)."""
    cache = np.full((ring_pages, rows.shape[1], PAGE, rows.shape[2]), np.nan, np.float32)
    for p in range(newest + 1):
        cache[page_table[(p // PAGE) % ring_pages], :, p % PAGE] = rows[p]
    return cache


@pytest.mark.parametrize("pos, window, softcap", [(150, 40, 0.0), (150, 40, 5.0), (30, 40, 0.0), (199, 64, 2.0),
                                                  (100, 0, 3.0)])
def test_decode_attention_window_softcap_over_a_ring(device, subgroups, pos, window, softcap):
    H, KVH, Dh, context = 4, 2, 32, 200
    ring_pages = -(-window // PAGE) + 1 if window else -(-context // PAGE)
    page_table = ring_table(-(-context // PAGE), ring_pages)
    scale = 0.3  # not 1/sqrt(Dh): Gemma's query_pre_attn_scalar
    q = RNG.standard_normal((H, Dh)).astype(np.float32)
    k_rows = RNG.standard_normal((pos + 1, KVH, Dh)).astype(np.float32)
    v_rows = RNG.standard_normal((pos + 1, KVH, Dh)).astype(np.float32)
    cache_k, cache_v = ring(k_rows, ring_pages, page_table, pos), ring(v_rows, ring_pages, page_table, pos)
    options = dict(layer_pages=ring_pages if window else 0, window=window, softcap=softcap, scale=scale)
    chunks = max_chunks(context)
    partial = attention_decode_kernel("partial", H, KVH, Dh, PAGE, context, subgroups, **options)
    parts = run_kernel(device, partial, {"q": q, "k_cache": cache_k, "v_cache": cache_v, "page_table": page_table},
                       {"partial_out": (np.float32, (H, chunks, Dh)), "partial_max": (np.float32, (H, chunks)),
                        "partial_sum": (np.float32, (H, chunks))}, attention_decode_workgroups(partial),
                       StepParams(pos=pos))
    merge = attention_decode_kernel("merge", H, KVH, Dh, PAGE, context, subgroups, **options)
    out = run_kernel(device, merge, parts, {"out": (np.float32, (H * Dh,))}, attention_decode_workgroups(merge),
                     StepParams(pos=pos))["out"]
    expected = attention_reference(q, k_rows, v_rows, pos, window, softcap, scale)
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("kernel", ["tiled", "cpu"])  # cpu: attention_cpu.wgsl, also decoding (t = 1)
@pytest.mark.parametrize("t, pos, window, softcap", [(19, 37, 24, 0.0), (19, 37, 24, 4.0), (16, 0, 5, 0.0),
                                                     (7, 60, 0, 2.5), (1, 70, 24, 4.0)])
def test_prefill_attention_window_softcap_over_a_ring(device, kernel, t, pos, window, softcap):
    H, KVH, Dh = 4, 1, 64
    total = pos + t
    pages = -(-total // PAGE) + 1
    ring_pages = min(pages, -(-(window + t - 1) // PAGE) + 1) if window else pages
    page_table = ring_table(pages, ring_pages)
    scale = 0.2
    q = RNG.standard_normal((t, H, Dh)).astype(np.float32)
    k_rows = (RNG.standard_normal((total, KVH, Dh)) * 2).astype(np.float32)
    v_rows = RNG.standard_normal((total, KVH, Dh)).astype(np.float32)
    options = dict(layer_pages=ring_pages if window else 0, window=window, softcap=softcap, scale=scale)
    make, workgroups = {"tiled": (attention_prefill_kernel, attention_prefill_workgroups),
                        "cpu": (attention_cpu_kernel, attention_cpu_workgroups)}[kernel]
    variant = make(H, KVH, Dh, PAGE, **options)
    out = run_kernel(device, variant,
                     {"q": q, "k_cache": ring(k_rows, ring_pages, page_table, total - 1),
                      "v_cache": ring(v_rows, ring_pages, page_table, total - 1), "page_table": page_table},
                     {"out": (np.float32, (t, H * Dh))}, workgroups(variant, t),
                     StepParams(pos=pos, num_tokens=t))["out"]
    expected = np.stack([attention_reference(q[i], k_rows, v_rows, pos + i, window, softcap, scale)
                         for i in range(t)])
    np.testing.assert_allclose(out, expected, atol=ATOL, rtol=RTOL)


def run_rope(device, *, t, pos, bias=None, norms=None, scaling=None, vector="F16", ring_pages=0):
    H, KVH, Dh = 4, 2, 16
    pages = -(-(pos + t) // PAGE) + 1
    page_table = ring_table(pages, ring_pages or pages)
    qkv = RNG.standard_normal((t, (H + 2 * KVH) * Dh)).astype(np.float32)
    heads = qkv.reshape(t, H + 2 * KVH, Dh).astype(np.float64)
    inputs = {"qkv": qkv, "page_table": page_table}
    if bias is not None:
        inputs["qkv_bias"], decoded = packed_vector(bias, vector)
        heads = heads + decoded.reshape(H + 2 * KVH, Dh)
    if norms is not None:
        (inputs["q_norm"], q_w), (inputs["k_norm"], k_w) = (packed_vector(w, vector) for w in norms)
        for span, w in ((slice(0, H), q_w), (slice(H, H + KVH), k_w)):
            x = heads[:, span]
            heads[:, span] = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w
    frequencies = np.array(inv_freq(Dh, 10000.0, scaling), np.float32)
    inputs["inv_freq"] = frequencies
    cache = np.zeros(((ring_pages or pages), KVH, PAGE, Dh), np.float32)
    inputs |= {"k_cache": cache, "v_cache": cache}
    variant = rope_kv_append_kernel(H, KVH, Dh, PAGE, layer_pages=ring_pages, vector=vector, bias=bias is not None,
                                    qk_norm=norms is not None, eps=1e-6, rope_scaling=scaling)
    out = run_kernel(device, variant, inputs, {"q": (np.float32, (t, H, Dh))}, rope_kv_append_workgroups(variant, t),
                     StepParams(pos=pos, num_tokens=t), read=["k_cache", "v_cache"])
    positions = np.arange(pos, pos + t)
    rows = frequencies.reshape(-1, Dh // 2)
    used = rows[1] if len(rows) == 2 and pos + t > scaling["original_max_position_embeddings"] else rows[0]
    factor = scaling.get("attention_factor", 1.0) if scaling else 1.0
    expected_q = rope_reference(heads[:, :H], positions, used) * factor
    expected_k = rope_reference(heads[:, H:H + KVH], positions, used) * factor
    table = [page_table[i % (ring_pages or pages)] for i in range(pages)]
    got_k = cache_rows(out["k_cache"], table, positions, PAGE)
    got_v = cache_rows(out["v_cache"], table, positions, PAGE)
    return out["q"], got_k, got_v, expected_q, expected_k, heads[:, H + KVH:]


@pytest.mark.parametrize("vector", ["F16", "BF16"])
def test_rope_adds_the_qkv_bias(device, vector):
    bias = RNG.standard_normal(8 * 16).astype(np.float32)
    q, k, v, eq, ek, ev = run_rope(device, t=5, pos=9, bias=bias, vector=vector)
    np.testing.assert_allclose(q, eq, atol=2e-5)
    np.testing.assert_allclose(k, ek, atol=2e-5)
    np.testing.assert_allclose(v, ev, atol=1e-6)


def test_rope_normalizes_q_and_k_heads_into_a_ring(device):
    norms = (RNG.uniform(0.5, 1.5, 16).astype(np.float32), RNG.uniform(0.5, 1.5, 16).astype(np.float32))
    # 40 positions into a ring of 2 pages: positions wrap onto the ring's pages.
    q, k, v, eq, ek, ev = run_rope(device, t=6, pos=34, norms=norms, ring_pages=2)
    np.testing.assert_allclose(q, eq, atol=3e-5)
    np.testing.assert_allclose(k, ek, atol=3e-5)
    np.testing.assert_allclose(v, ev, atol=1e-6)


@pytest.mark.parametrize("t, pos", [(5, 10), (5, 40)], ids=["short-factors", "long-factors"])
def test_longrope_switches_to_long_factors_past_the_original_length(device, t, pos):
    scaling = {"rope_type": "longrope", "short_factor": list(RNG.uniform(1, 2, 8)),
               "long_factor": list(RNG.uniform(2, 8, 8)), "original_max_position_embeddings": 32,
               "attention_factor": 1.2}
    q, k, _, eq, ek, _ = run_rope(device, t=t, pos=pos, scaling=scaling)
    np.testing.assert_allclose(q, eq, atol=3e-5)
    np.testing.assert_allclose(k, ek, atol=3e-5)


@pytest.mark.parametrize("cpu", [False, True], ids=["gemv", "gemv-cpu"])
@pytest.mark.parametrize("fmt", ["Q4F16", "BF16"])
def test_gemv_geglu(device, cpu, fmt):
    n, k = 21, 72
    weights, dense = random_weight(fmt, 2 * n, k, RNG)
    x = RNG.standard_normal((1, k)).astype(np.float32)
    variant = gemv_kernel(n, k, fmt, False, swiglu=True, activation="gelu_tanh", cpu=cpu)
    y = run_kernel(device, variant, {"x": x, **weights}, {"y": (np.float32, (n,))}, gemv_workgroups(variant))["y"]
    expected, tol = reference_product(dense, x, swiglu=True, activation="gelu_tanh")
    assert_close(y, expected[0], tol[0])
    silu, _ = reference_product(dense, x, swiglu=True)
    assert np.abs(silu[0] - expected[0]).max() > 10 * tol.max()  # the two activations are told apart


def test_matmul_geglu(device):
    t, n, k = 19, 69, 45
    weights, dense = random_weight("Q4F32", 2 * n, k, RNG)
    x = RNG.standard_normal((t, k)).astype(np.float32)
    variant = matmul_kernel(n, k, "Q4F32", swiglu=True, activation="gelu_tanh")
    y = run_kernel(device, variant, {"x": x, **weights}, {"y": (np.float32, (t, n))}, matmul_workgroups(variant, t),
                   StepParams(num_tokens=t))["y"]
    expected, tol = reference_product(dense, x, swiglu=True, activation="gelu_tanh")
    assert_close(y, expected, tol)


def test_rms_norm_accumulates_into_the_residual(device, subgroups):
    t, d = 3, 100
    x = RNG.standard_normal((t, d)).astype(np.float32)
    residual = RNG.standard_normal((t, d)).astype(np.float32)
    words, weight = packed_vector(RNG.uniform(0.5, 1.5, d).astype(np.float32), "BF16")
    variant = rms_norm_kernel(d, 1e-6, "BF16", subgroups, accumulate=True)
    out = run_kernel(device, variant, {"x": x, "weight": words, "out": residual}, {}, rms_norm_workgroups(t),
                     StepParams(num_tokens=t), read=["out"])["out"]
    np.testing.assert_allclose(out, residual + rms_norm_reference(x, weight, 1e-6), atol=1e-5, rtol=1e-5)


def test_embedding_rows_are_scaled(device):
    weights, dense = random_weight("F16", 11, 20, RNG)
    tokens = np.array([3, 0, 10], np.uint32)
    variant = embed_kernel(11, 20, "F16", scale=20 ** 0.5)
    out = run_kernel(device, variant, {"tokens": tokens, **weights}, {"out": (np.float32, (3, 20))},
                     embed_workgroups(variant, 3), StepParams(num_tokens=3))["out"]
    np.testing.assert_allclose(out, dense[tokens] * np.float32(20 ** 0.5), rtol=1e-6)


def test_logit_softcap(device):
    logits = (RNG.standard_normal(1000) * 40).astype(np.float32)
    logits[:2] = [1e30, -1e30]  # tanh of huge values must saturate, not overflow to NaN
    variant = softcap_kernel(1000, 30.0)
    out = run_kernel(device, variant, {"logits": logits}, {}, softcap_workgroups(variant), read=["logits"])["logits"]
    np.testing.assert_allclose(out, 30.0 * np.tanh(logits.astype(np.float64) / 30.0), atol=2e-5, rtol=1e-5)
