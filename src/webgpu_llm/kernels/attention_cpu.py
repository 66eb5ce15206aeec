"""Attention for CPU adapters (`attention_cpu.wgsl`): one kernel for prefill and decode,
one invocation per (query head, query token), a workgroup per (kv head, block of
queries), and its dispatch size. Stdlib only."""

from __future__ import annotations

import math

from .specialize import KernelVariant

LANES = 8  # lavapipe's 256-bit SIMD, as gemv_cpu.wgsl: G query heads x queries per workgroup


def attention_cpu_kernel(H: int, KVH: int, Dh: int, PAGE: int, *, decode: bool = False, layer_pages: int = 0,
                         window: int = 0, softcap: float = 0.0, scale: float | None = None,
                         batch: int = 0) -> KernelVariant:
    """Causal attention of T >= 1 queries over the paged KV cache (H query, KVH kv heads).

    `decode`: T is always 1 (one query per workgroup, no idle lanes), else a workgroup takes
    max(1, LANES // G) queries. `layer_pages`, `window`, `softcap`, `scale`: as attention_decode_kernel's.
    `batch` >= 1: a batched decode step of up to `batch` rows (BatchParams), each query its own
    sequence's (implies `decode`)."""
    if H < 1 or KVH < 1 or H % KVH:
        raise ValueError(f"heads H={H}, KVH={KVH}: both >= 1 and H a multiple of KVH")
    if Dh < 4 or Dh % 4:
        raise ValueError(f"head_dim must be a multiple of 4 (rows are read as vec4), got {Dh}")
    group = H // KVH
    tokens = 1 if decode or batch else max(1, LANES // group)
    batching = dict(BATCHED=True, BATCH=batch) if batch else dict(BATCHED=False)
    return KernelVariant.of("attention_cpu.wgsl", H=H, KVH=KVH, DH=Dh, D4=Dh // 4, G=group, PAGE=PAGE,
                            SCALE=float(scale) if scale else 1.0 / math.sqrt(Dh),
                            LAYER_PAGES=layer_pages or 0xFFFFFFFF, WINDOW=int(window), SOFTCAP=float(softcap),
                            TOKENS=tokens, WORKGROUP=group * tokens, **batching)


def attention_cpu_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """(blocks of TOKENS queries, KVH, 1)."""
    d = dict(variant.defines)
    return (-(-max(t, 1) // d["TOKENS"]), d["KVH"], 1)
