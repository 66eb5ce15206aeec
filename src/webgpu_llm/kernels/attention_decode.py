"""Split-K decode attention (`attention_decode.wgsl`): the "partial" and "merge"
variants, their dispatch sizes, and the size of the partial buffers."""

from __future__ import annotations

import math

from .specialize import KernelVariant

CHUNK = 64  # keys per partial workgroup (4 pages of 16): one invocation per key (H100: 16 < 32 < 64 ~ 128)
MERGE_WORKGROUP = 64
MAX_HEAD_BLOCK = 8  # query heads sharing one K/V read, at most
WORKGROUP_MEMORY = 16384  # WebGPU's default maxComputeWorkgroupStorageSize
ENTRIES = ("partial", "merge")


def max_chunks(context: int) -> int:
    """Chunks of CHUNK keys covering `context` positions: the partial buffers' middle axis."""
    if context < 1:
        raise ValueError(f"context must be >= 1, got {context}")
    return -(-context // CHUNK)


def _key_lanes(dh: int) -> int:
    """Interleaved key lanes of the V sum: the invocations left over once each owns a vec4 of dims."""
    return max(1, CHUNK // (dh // 4))


def _head_block(group: int, dh: int) -> int:
    """Query heads per partial workgroup: the largest divisor of the GQA group that fits."""
    for hb in range(min(group, MAX_HEAD_BLOCK), 0, -1):
        # q block, probs, reduction scratch, the lanes' V sums, the present bits
        shared = 4 * hb * (dh + 2 * CHUNK) + 4 * _key_lanes(dh) * hb * dh + 4 * -(-CHUNK // 32)
        if group % hb == 0 and shared <= WORKGROUP_MEMORY:
            return hb
    raise ValueError(f"head_dim {dh} too large for decode attention's workgroup memory")


def attention_decode_kernel(entry: str, H: int, KVH: int, Dh: int, PAGE: int, context: int,
                            subgroups: bool, *, layer_pages: int = 0, window: int = 0, softcap: float = 0.0,
                            scale: float | None = None) -> KernelVariant:
    """One of the two dispatches of decode attention; `entry` is "partial" or "merge".

    `layer_pages`: pages of the layer's (ring) cache, 0: no ring; `window`: keys seen, 0: all;
    `softcap`: scores -> softcap * tanh(scores / softcap), 0: off; `scale`: 1/sqrt(Dh) if None."""
    if entry not in ENTRIES:
        raise ValueError(f"unknown entry {entry!r}; allowed: {ENTRIES}")
    if H < 1 or KVH < 1 or H % KVH:
        raise ValueError(f"heads H={H}, KVH={KVH}: both >= 1 and H a multiple of KVH")
    if Dh < 4 or Dh % 4:
        raise ValueError(f"head_dim must be a multiple of 4 (K rows are read as vec4), got {Dh}")
    common = dict(H=H, DH=Dh, CHUNK=CHUNK, MAX_CHUNKS=max_chunks(context))
    if entry == "merge":  # no reductions across invocations: one variant for every adapter
        return KernelVariant.of("attention_decode.wgsl", "merge", MERGE=True, SUBGROUPS=False,
                                WORKGROUP=MERGE_WORKGROUP, **common)
    group = H // KVH
    hb = _head_block(group, Dh)
    return KernelVariant.of("attention_decode.wgsl", "partial", MERGE=False, SUBGROUPS=bool(subgroups),
                            KVH=KVH, D4=Dh // 4, G=group, HB=hb, KEY_LANES=_key_lanes(Dh),
                            HEAD_BLOCKS=group // hb, PAGE=PAGE, LAYER_PAGES=layer_pages or 0xFFFFFFFF,
                            WINDOW=int(window), SOFTCAP=float(softcap),
                            SCALE=float(scale) if scale else 1.0 / math.sqrt(Dh), WORKGROUP=CHUNK,
                            PRESENT_WORDS=-(-CHUNK // 32), **common)


def attention_decode_workgroups(variant: KernelVariant) -> tuple[int, int, int]:
    """partial: (chunks, KVH * head blocks, 1), sized for the whole context; merge: (H, 1, 1)."""
    d = dict(variant.defines)
    if variant.entry_point == "merge":
        return (d["H"], 1, 1)
    return (d["MAX_CHUNKS"], d["KVH"] * d["HEAD_BLOCKS"], 1)
