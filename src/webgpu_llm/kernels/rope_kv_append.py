"""RoPE + KV-cache append (`rope_kv_append.wgsl`): variant, dispatch size, and the
inverse frequencies (stdlib math; the engine uploads them once as f32)."""

from __future__ import annotations

import math
from typing import Any

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64


def rope_kv_append_kernel(H: int, KVH: int, Dh: int, PAGE: int) -> KernelVariant:
    """H query heads, KVH key/value heads of Dh values; KV pages of PAGE positions."""
    if H < 1 or KVH < 1 or H % KVH:
        raise ValueError(f"heads H={H}, KVH={KVH}: both >= 1 and H a multiple of KVH")
    if Dh < 2 or Dh % 2:
        raise ValueError(f"head_dim must be even (RoPE rotates pairs i, i + Dh/2), got {Dh}")
    if PAGE < 1:
        raise ValueError(f"page size must be >= 1, got {PAGE}")
    return KernelVariant.of("rope_kv_append.wgsl", H=H, KVH=KVH, DH=Dh, HALF=Dh // 2, PAGE=PAGE,
                            PAIRS=(H + 2 * KVH) * (Dh // 2), WORKGROUP=WORKGROUP)


def rope_kv_append_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """One invocation per (token, head, pair) for t tokens."""
    pairs = dict(variant.defines)["PAIRS"]
    return grid(-(-t * pairs // WORKGROUP))


def llama_inv_freq(head_dim: int, base: float, rope_scaling: dict[str, Any] | None) -> list[float]:
    """RoPE inverse frequencies (head_dim/2 values), computed in float64.

    rope_scaling None (or rope_type "default") is plain RoPE, 1 / base^(2i/d).
    rope_type "llama3" is Llama 3.1's frequency-dependent scaling, exactly as
    HF transformers' `_compute_llama3_parameters` (modeling_rope_utils.py):
    long wavelengths divided by `factor`, short ones kept, a smooth blend between.
    """
    inv_freq = [1.0 / base ** (i / head_dim) for i in range(0, head_dim, 2)]
    rope_type = (rope_scaling or {}).get("rope_type", (rope_scaling or {}).get("type", "default"))
    if rope_type == "default":
        return inv_freq
    if rope_type != "llama3":
        raise ValueError(f"rope_scaling type {rope_type!r} is not supported; supported: None, 'default', 'llama3'")
    factor = rope_scaling["factor"]
    low_freq_factor = rope_scaling["low_freq_factor"]
    high_freq_factor = rope_scaling["high_freq_factor"]
    old_context_len = rope_scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    scaled = []
    for freq in inv_freq:
        wavelen = 2 * math.pi / freq
        if wavelen < high_freq_wavelen:
            scaled.append(freq)
        elif wavelen > low_freq_wavelen:
            scaled.append(freq / factor)
        else:
            smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            scaled.append((1 - smooth) * freq / factor + smooth * freq)
    return scaled
