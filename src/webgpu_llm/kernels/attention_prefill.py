"""Tiled causal prefill attention (`attention_prefill.wgsl`): variant and dispatch size."""

from __future__ import annotations

import math

from .specialize import KernelVariant

LANES = 4  # invocations per query row
WORKGROUP_MEMORY = 16384  # WebGPU's default maxComputeWorkgroupStorageSize
TILES = ((16, 16), (16, 8), (8, 8), (8, 4), (4, 4))  # (BQ queries, BK keys), largest first


def _tiles(dh: int) -> tuple[int, int]:
    """The largest (BQ, BK) whose staged q and K/V tiles fit in workgroup memory."""
    for bq, bk in TILES:
        if (bq + bk) * (dh // 4 + 1) * 16 + bq * bk * 4 <= WORKGROUP_MEMORY:
            return bq, bk
    raise ValueError(f"head_dim {dh} too large for prefill attention's workgroup memory")


def attention_prefill_kernel(H: int, KVH: int, Dh: int, PAGE: int, *, layer_pages: int = 0, window: int = 0,
                             softcap: float = 0.0, scale: float | None = None) -> KernelVariant:
    """Causal attention of a chunk of queries over the paged KV cache (H query, KVH kv heads).

    `layer_pages`, `window`, `softcap`, `scale`: as attention_decode_kernel's."""
    if H < 1 or KVH < 1 or H % KVH:
        raise ValueError(f"heads H={H}, KVH={KVH}: both >= 1 and H a multiple of KVH")
    if Dh < 4 or Dh % 4:
        raise ValueError(f"head_dim must be a multiple of 4 (rows are read as vec4), got {Dh}")
    bq, bk = _tiles(Dh)
    d4 = Dh // 4
    return KernelVariant.of("attention_prefill.wgsl", H=H, KVH=KVH, DH=Dh, D4=d4, G=H // KVH, PAGE=PAGE,
                            BQ=bq, BK=bk, LANES=LANES, WORKGROUP=bq * LANES, STRIDE4=d4 + 1,
                            VPL=-(-d4 // LANES), SCALE=float(scale) if scale else 1.0 / math.sqrt(Dh),
                            LAYER_PAGES=layer_pages or 0xFFFFFFFF, WINDOW=int(window), SOFTCAP=float(softcap))


def attention_prefill_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """(query tiles for t tokens, H, 1)."""
    d = dict(variant.defines)
    return (-(-t // d["BQ"]), d["H"], 1)
