"""RoPE + paged KV append against numpy (HF rotate_half), and inv_freq against HF."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kernel_harness import run_kernel
from webgpu_llm.kernels.rope_kv_append import inv_freq as rope_inv_freq, rope_kv_append_kernel, rope_kv_append_workgroups
from webgpu_llm.kernels.step_params import StepParams

RNG = np.random.default_rng(11)
LLAMA31_SCALING = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 8192}
UNWRITTEN = -7.0  # cache slots the step must not touch keep this value


def rope_reference(x: np.ndarray, positions: np.ndarray, inv_freq: np.ndarray) -> np.ndarray:
    """x (T, heads, Dh) rotated as HF apply_rotary_pos_emb; the angle is HF's f32 product."""
    half = x.shape[-1] // 2
    angle = (positions.astype(np.float32)[:, None] * inv_freq[None, :]).astype(np.float64)  # (T, Dh/2)
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
    x0, x1 = x[..., :half].astype(np.float64), x[..., half:].astype(np.float64)
    return np.concatenate([x0 * cos - x1 * sin, x1 * cos + x0 * sin], axis=-1)


def run_rope(device, H, KVH, Dh, page, t, pos, inv_freq, page_table):
    pages = len(page_table)
    qkv = RNG.standard_normal((t, (H + 2 * KVH) * Dh)).astype(np.float32)  # (T, (H + 2 KVH) Dh)
    cache = np.full((pages, KVH, page, Dh), UNWRITTEN, np.float32)
    variant = rope_kv_append_kernel(H, KVH, Dh, page)
    out = run_kernel(device, variant,
                     {"qkv": qkv, "inv_freq": inv_freq, "k_cache": cache, "v_cache": cache,
                      "page_table": np.asarray(page_table, np.uint32)},
                     {"q": (np.float32, (t, H, Dh))}, rope_kv_append_workgroups(variant, t),
                     StepParams(pos=pos, num_tokens=t), read=["k_cache", "v_cache"])
    return qkv.reshape(t, H + 2 * KVH, Dh), out


def cache_rows(cache: np.ndarray, page_table, positions, page: int) -> np.ndarray:
    """(T, KVH, Dh) rows of a paged cache (pages, KVH, PAGE, Dh) at the given positions."""
    return np.stack([cache[page_table[p // page], :, p % page] for p in positions])


# The kernel's sin/cos after range reduction vs float64 on the same f32 angle:
# a few f32 ulp of pi in the reduced angle plus the GPU's sin/cos error.
ATOL = 2e-5


@pytest.mark.parametrize("H, KVH, Dh, page, t, pos", [(6, 2, 40, 4, 7, 5), (4, 4, 64, 16, 3, 33),
                                                       (3, 1, 16, 8, 1, 0)])
def test_rope_rotates_q_k_and_appends_to_permuted_pages(device, H, KVH, Dh, page, t, pos):
    pages = -(-(pos + t) // page) + 1
    page_table = RNG.permutation(pages)  # logical page -> physical page, out of order
    inv_freq = np.array(rope_inv_freq(Dh, 10000.0, None), np.float32)
    qkv, out = run_rope(device, H, KVH, Dh, page, t, pos, inv_freq, page_table)
    positions = np.arange(pos, pos + t)
    np.testing.assert_allclose(out["q"], rope_reference(qkv[:, :H], positions, inv_freq), atol=ATOL)
    k = cache_rows(out["k_cache"], page_table, positions, page)
    v = cache_rows(out["v_cache"], page_table, positions, page)
    np.testing.assert_allclose(k, rope_reference(qkv[:, H:H + KVH], positions, inv_freq), atol=ATOL)
    np.testing.assert_array_equal(v, qkv[:, H + KVH:])
    written = np.zeros(out["k_cache"].shape, bool)
    for p in positions:
        written[page_table[p // page], :, p % page] = True
    assert np.all(out["k_cache"][~written] == UNWRITTEN) and np.all(out["v_cache"][~written] == UNWRITTEN)


def test_rope_angle_stays_accurate_at_long_positions(device):
    H, KVH, Dh, page, t = 2, 1, 128, 16, 3
    pos = 131072 - 8  # angles up to ~1.3e5 rad: raw GPU sin/cos would be far off
    inv_freq = np.array(rope_inv_freq(Dh, 500000.0, LLAMA31_SCALING), np.float32)
    page_table = np.arange(-(-(pos + t) // page))
    qkv, out = run_rope(device, H, KVH, Dh, page, t, pos, inv_freq, page_table)
    positions = np.arange(pos, pos + t)
    # Reference on the same f32 angle: errors here are the range reduction's
    # (ulp of 2 pi times k < 2^15 would be ~0.03 if 2 pi were a plain f32).
    np.testing.assert_allclose(out["q"], rope_reference(qkv[:, :H], positions, inv_freq), atol=ATOL)


def test_inv_freq_default_is_plain_rope():
    ours = rope_inv_freq(64, 10000.0, None)
    assert len(ours) == 32
    np.testing.assert_allclose(ours, [10000.0 ** (-i / 64) for i in range(0, 64, 2)], rtol=1e-15)
    assert rope_inv_freq(64, 10000.0, {"rope_type": "default"}) == ours


@pytest.mark.parametrize("head_dim, base", [(64, 500000.0), (128, 500000.0), (40, 10000.0)])
def test_llama3_inv_freq_matches_transformers(head_dim, base):
    ours = np.array(rope_inv_freq(head_dim, base, LLAMA31_SCALING))
    try:
        from transformers import LlamaConfig
        from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
    except ImportError:
        expected = llama3_formula(head_dim, base, LLAMA31_SCALING)
        np.testing.assert_allclose(ours, expected, rtol=1e-12)
        return
    config = LlamaConfig(hidden_size=4 * head_dim, num_attention_heads=4, head_dim=head_dim, rope_theta=base,
                         max_position_embeddings=131072, rope_scaling=dict(LLAMA31_SCALING))
    theirs, attention_factor = ROPE_INIT_FUNCTIONS["llama3"](config, None)
    assert attention_factor == 1.0
    # HF computes in float32 (base ** (i/d) and the blend round at each step);
    # ours is float64: they agree to a few f32 ulp.
    np.testing.assert_allclose(ours, theirs.numpy().astype(np.float64), rtol=1e-6)
    np.testing.assert_allclose(ours, llama3_formula(head_dim, base, LLAMA31_SCALING), rtol=1e-12)


def llama3_formula(head_dim, base, s):
    """Llama 3.1's scaling written out with numpy (float64), independent of the stdlib loop."""
    inv = 1.0 / base ** (np.arange(0, head_dim, 2) / head_dim)
    wavelen = 2 * math.pi / inv
    low, high = s["original_max_position_embeddings"] / s["low_freq_factor"], \
        s["original_max_position_embeddings"] / s["high_freq_factor"]
    smooth = (s["original_max_position_embeddings"] / wavelen - s["low_freq_factor"]) / \
        (s["high_freq_factor"] - s["low_freq_factor"])
    blended = (1 - smooth) * inv / s["factor"] + smooth * inv
    return np.where(wavelen < high, inv, np.where(wavelen > low, inv / s["factor"], blended))


def test_unsupported_rope_type_is_refused():
    with pytest.raises(ValueError, match="supported"):
        rope_inv_freq(64, 10000.0, {"rope_type": "yarn", "factor": 4.0})
