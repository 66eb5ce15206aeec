"""Split-K decode attention (`attention_decode.wgsl`): the "partial" and "merge"
variants, their dispatch sizes, and the size of the partial buffers.

Unbatched, the partial buffers are partial_out (H, max_chunks, Dh), partial_max and
partial_sum (H, max_chunks); batched (`batch` = capacity B) each gets a leading row axis,
(B, H, ...), and q is (B, H, Dh), out (B, H * Dh): row r at its own pos and page-table base
(BatchParams.rows[r]), bit for bit the unbatched kernel on that row."""

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
                            scale: float | None = None, batch: int = 0) -> KernelVariant:
    """One of the two dispatches of decode attention; `entry` is "partial" or "merge".

    `layer_pages`: pages of the layer's (ring) cache, 0: no ring; `window`: keys seen, 0: all;
    `softcap`: scores -> softcap * tanh(scores / softcap), 0: off; `scale`: 1/sqrt(Dh) if None;
    `batch` >= 1: a batched decode step of up to `batch` rows (the capacity BatchParams is packed
    for, step_params.pack_batch), `params` binds a BatchParams; 0: one query, `params` a StepParams."""
    if entry not in ENTRIES:
        raise ValueError(f"unknown entry {entry!r}; allowed: {ENTRIES}")
    if H < 1 or KVH < 1 or H % KVH:
        raise ValueError(f"heads H={H}, KVH={KVH}: both >= 1 and H a multiple of KVH")
    if Dh < 4 or Dh % 4:
        raise ValueError(f"head_dim must be a multiple of 4 (K rows are read as vec4), got {Dh}")
    if batch < 0:
        raise ValueError(f"batch must be >= 0 (0: unbatched), got {batch}")
    common = dict(H=H, DH=Dh, CHUNK=CHUNK, MAX_CHUNKS=max_chunks(context), BATCHED=batch > 0)
    if batch:
        common["BATCH"] = batch
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


def attention_decode_workgroups(variant: KernelVariant, rows: int = 1) -> tuple[int, int, int]:
    """partial: (chunks, KVH * head blocks, rows), sized for the whole context; merge: (H, 1, rows).

    `rows` > 1 (batched only, at most its capacity): the batch rows covered, z = row; rows past
    the step's num_tokens return, so a dispatch recorded for the capacity serves any batch."""
    d = dict(variant.defines)
    if not 1 <= rows <= d.get("BATCH", 1):
        raise ValueError(f"attention_decode_workgroups: rows={rows}; allowed 1..{d.get('BATCH', 1)} "
                         f"(the variant's batch capacity)")
    if variant.entry_point == "merge":
        return (d["H"], 1, rows)
    return (d["MAX_CHUNKS"], d["KVH"] * d["HEAD_BLOCKS"], rows)
