"""RoPE + KV-cache append (`rope_kv_append.wgsl`): variant, dispatch size, and the
inverse frequencies (stdlib math; the engine uploads them once as f32)."""

from __future__ import annotations

import math
from typing import Any

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64


VECTOR_FORMATS = ("F16", "BF16")


def rope_kv_append_kernel(H: int, KVH: int, Dh: int, PAGE: int, *, layer_pages: int = 0,
                          vector: str = "F16", bias: bool = False, qk_norm: bool = False, eps: float = 1e-6,
                          rope_scaling: dict[str, Any] | None = None, batch: int = 0) -> KernelVariant:
    """H query heads, KVH key/value heads of Dh values; KV pages of PAGE positions.

    `layer_pages`: pages of this layer's cache (a ring for a windowed layer; 0: as many as
    the page table, which never wraps); `bias`: a qkv_bias binding (16-bit `vector` format);
    `qk_norm`: q_norm / k_norm bindings (RMSNorm per head with `eps`); `rope_scaling`: HF's,
    read here for longrope's switch position and attention factor (inv_freq holds the rest);
    `batch` >= 1: a batched decode step of up to `batch` rows (BatchParams), each token its own
    sequence's."""
    if H < 1 or KVH < 1 or H % KVH:
        raise ValueError(f"heads H={H}, KVH={KVH}: both >= 1 and H a multiple of KVH")
    if Dh < 2 or Dh % 2:
        raise ValueError(f"head_dim must be even (RoPE rotates pairs i, i + Dh/2), got {Dh}")
    if PAGE < 1:
        raise ValueError(f"page size must be >= 1, got {PAGE}")
    if vector not in VECTOR_FORMATS:
        raise ValueError(f"unknown vector format {vector!r}; allowed: {VECTOR_FORMATS}")
    if bias and qk_norm:
        raise ValueError("bias and qk_norm together need 9 storage bindings; WebGPU's default limit is 8")
    longrope = _rope_type(rope_scaling) == "longrope"
    batching = dict(BATCHED=True, BATCH=batch) if batch else dict(BATCHED=False)
    return KernelVariant.of("rope_kv_append.wgsl", H=H, KVH=KVH, DH=Dh, HALF=Dh // 2, PAGE=PAGE,
                            LAYER_PAGES=layer_pages or 0xFFFFFFFF, PAIRS=(H + 2 * KVH) * (Dh // 2),
                            WORKGROUP=WORKGROUP, BIAS=bias, QK_NORM=qk_norm, NORM_EPS=float(eps),
                            VECTOR_BF16=vector == "BF16", LONGROPE=longrope,
                            ORIGINAL=int(rope_scaling["original_max_position_embeddings"]) if longrope else 0,
                            ROPE_SCALE=float(longrope_attention_factor(rope_scaling)) if longrope else 1.0,
                            **batching)


def rope_kv_append_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """One invocation per (token, head, pair) for t tokens."""
    pairs = dict(variant.defines)["PAIRS"]
    return grid(-(-t * pairs // WORKGROUP))


def _rope_type(rope_scaling: dict[str, Any] | None) -> str:
    kind = (rope_scaling or {}).get("rope_type", (rope_scaling or {}).get("type", "default"))
    return "longrope" if kind == "su" else kind


def longrope_attention_factor(rope_scaling: dict[str, Any]) -> float:
    """cos/sin multiplier of longrope, as HF's `_compute_longrope_parameters`: the config's
    attention_factor, else sqrt(1 + ln(s) / ln(original)) for s = max / original positions > 1."""
    if rope_scaling.get("attention_factor") is not None:
        return float(rope_scaling["attention_factor"])
    original = rope_scaling["original_max_position_embeddings"]
    factor = rope_scaling.get("factor") or rope_scaling.get("max_position_embeddings", original) / original
    return 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))


def inv_freq(head_dim: int, base: float, rope_scaling: dict[str, Any] | None) -> list[float]:
    """RoPE inverse frequencies (head_dim/2 values; longrope: short row then long row), in float64.

    rope_scaling None (or rope_type "default") is plain RoPE, 1 / base^(2i/d).
    "linear" divides every frequency by `factor`. "longrope" (Phi-3, older name "su")
    divides frequency i by short_factor[i], or long_factor[i] in the second row.
    "llama3" is Llama 3.1's frequency-dependent scaling, exactly as
    HF transformers' `_compute_llama3_parameters` (modeling_rope_utils.py):
    long wavelengths divided by `factor`, short ones kept, a smooth blend between.
    """
    inv_freq = [1.0 / base ** (i / head_dim) for i in range(0, head_dim, 2)]
    rope_type = _rope_type(rope_scaling)
    if rope_type == "default":
        return inv_freq
    if rope_type == "linear":
        return [f / rope_scaling["factor"] for f in inv_freq]
    if rope_type == "longrope":
        return ([f / s for f, s in zip(inv_freq, rope_scaling["short_factor"])]
                + [f / s for f, s in zip(inv_freq, rope_scaling["long_factor"])])
    if rope_type != "llama3":
        raise ValueError(f"rope_scaling type {rope_type!r} is not supported; "
                         "supported: None, 'default', 'linear', 'longrope', 'llama3'")
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
