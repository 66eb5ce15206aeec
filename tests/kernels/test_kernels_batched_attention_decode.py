"""Batched split-K decode attention (continuous batching): B queries, each the next token of its own
sequence, at its own position and through its own pages of one shared paged cache.

Each row must be bit for bit the unbatched kernel run for that row alone (pos and table_base its own),
so that a batched greedy answer equals the same request alone; and match a float64 softmax."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from webgpu_llm.kernels.attention_decode import CHUNK, attention_decode_kernel, attention_decode_workgroups, max_chunks
from webgpu_llm.kernels.step_params import BatchRow, StepParams, pack_batch

PAGE = 16
CONTEXT = 300
POSITIONS = (130, 5, 77)  # rows' query positions: 3, 1 and 2 chunks of 64 keys
CAPACITY = 4  # one row more than the step: its workgroups must return
# As test_kernels_attention_decode.py: f32 dots of Dh terms, GPU exp, f32 sums over a few hundred keys.
ATOL, RTOL = 3e-6, 3e-5


def windowed_reference(q, k_rows, v_rows, pos, window):
    """q (H, Dh); k_rows, v_rows (positions, KVH, Dh) in logical order; keys pos-window < j <= pos (0: all)."""
    H, Dh = q.shape
    group = H // k_rows.shape[1]
    first = max(0, pos + 1 - window) if window else 0
    out = np.empty((H, Dh))
    for h in range(H):
        k = k_rows[first: pos + 1, h // group].astype(np.float64)  # (keys, Dh)
        v = v_rows[first: pos + 1, h // group].astype(np.float64)
        s = k @ q[h].astype(np.float64) / np.sqrt(Dh)
        p = np.exp(s - s.max())
        out[h] = p @ v / p.sum()
    return out.reshape(-1)


def shared_cache(rng, KVH, Dh, layer_pages):
    """Three sequences' pages, interleaved in one physical pool, and their page tables one after another
    in page_table, not in row order. Returns (page_table, bases, k_cache, v_cache, k_rows, v_rows)."""
    entries = layer_pages or -(-CONTEXT // PAGE)  # page_table entries per sequence (a ring's: layer_pages)
    physical = rng.permutation(3 * entries).astype(np.uint32)
    tables = [physical[s::3] for s in range(3)]  # sequence s owns every third physical page
    order = (2, 0, 1)  # sequence s's table is the order[s]-th in page_table
    page_table = np.concatenate([tables[order.index(i)] for i in range(3)])
    bases = [order[s] * entries for s in range(3)]
    k_cache = np.full((3 * entries, KVH, PAGE, Dh), np.nan, np.float32)  # unwritten slots: NaN must not leak
    v_cache = np.full_like(k_cache, np.nan)
    k_rows, v_rows = [], []
    for s, pos in enumerate(POSITIONS):
        k_rows.append(rng.standard_normal((pos + 1, KVH, Dh)).astype(np.float32))  # (pos+1, KVH, Dh)
        v_rows.append(rng.standard_normal((pos + 1, KVH, Dh)).astype(np.float32))
        for p in range(pos + 1):  # in order: a ring's later positions overwrite its earlier ones
            page = tables[s][(p // PAGE) % entries]
            k_cache[page, :, p % PAGE], v_cache[page, :, p % PAGE] = k_rows[s][p], v_rows[s][p]
    return page_table, bases, k_cache, v_cache, k_rows, v_rows


def stale_partials(positions, rows, H, Dh):
    """Partial buffers as a step finds them: finite values of earlier steps (partial_out of chunks before
    a window is never written, yet merge weights it by 0), NaN where nothing may be read or written:
    partial_out past each row's last chunk, and all of the spare rows past len(positions)."""
    chunks = max_chunks(CONTEXT)
    out = np.full((rows, H, chunks, Dh), 3.0, np.float32)  # (rows, H, chunks, Dh)
    for r in range(rows):
        out[r, :, positions[r] // CHUNK + 1 if r < len(positions) else 0:] = np.nan
    spare = np.full((rows, H, chunks), np.nan, np.float32)  # max and sum: every row's are written
    return {"partial_out": out, "partial_max": spare, "partial_sum": spare.copy()}


def run_attention(device, kinds: dict, q, caches, params, positions, batch):
    """partial then merge over the rows of q (R, H, Dh), positions[r] for r < len(positions)
    -> (partial buffers (R, H, ...), out (R, H * Dh)). kinds: attention_decode_kernel's arguments but
    entry and batch."""
    partial, merge = (attention_decode_kernel(entry, **kinds, batch=batch) for entry in ("partial", "merge"))
    rows, H, Dh = q.shape
    stale = stale_partials(positions, rows, H, Dh)
    parts = run_kernel(device, partial, {"q": q, **caches, **stale}, {}, attention_decode_workgroups(partial, rows),
                       params, read=list(stale))
    out = run_kernel(device, merge, parts, {"out": (np.float32, (rows, H * Dh))},
                     attention_decode_workgroups(merge, rows), params)["out"]
    return parts, out


@pytest.mark.parametrize("H, KVH, Dh, layer_pages, window", [
    (6, 2, 64, 0, 0), (16, 1, 8, 0, 0), (6, 2, 40, 4, 40)], ids=["gqa", "two-head-blocks", "ring-window"])
def test_batched_decode_attention_rows_equal_each_row_alone(device, subgroups, H, KVH, Dh, layer_pages, window):
    """3 rows at positions 130, 5, 77 over page tables interleaving the sequences' physical pages,
    dispatched for a capacity of 4 (ring-window: a ring of 4 pages per sequence, 40 keys seen)."""
    rng = np.random.default_rng(Dh)
    page_table, bases, k_cache, v_cache, k_rows, v_rows = shared_cache(rng, KVH, Dh, layer_pages)
    caches = {"k_cache": k_cache, "v_cache": v_cache, "page_table": page_table}
    q = rng.standard_normal((CAPACITY, H, Dh)).astype(np.float32)  # (capacity, H, Dh); row 3 unused
    kinds = dict(H=H, KVH=KVH, Dh=Dh, PAGE=PAGE, context=CONTEXT, subgroups=subgroups, layer_pages=layer_pages,
                 window=window)
    batch_rows = [BatchRow(pos=pos, table_base=bases[r], slot=r) for r, pos in enumerate(POSITIONS)]
    params = pack_batch(batch_rows, [StepParams()] * len(POSITIONS), CAPACITY)
    parts, out = run_attention(device, kinds, q, caches, params, POSITIONS, CAPACITY)
    for r, pos in enumerate(POSITIONS):
        alone_parts, alone = run_attention(device, kinds, q[r:r + 1], caches, StepParams(pos=pos, table_base=bases[r]),
                                           [pos], 0)
        for name, value in alone_parts.items():  # NaN: partial_out past pos, neither written nor read
            assert np.array_equal(parts[name][r], value[0], equal_nan=True), f"row {r}: {name} differs alone"
        assert np.array_equal(out[r], alone[0]), f"row {r} differs from the row alone"
        expected = windowed_reference(q[r], k_rows[r], v_rows[r], pos, window)
        np.testing.assert_allclose(out[r], expected, atol=ATOL, rtol=RTOL)
    used = slice(0, len(POSITIONS))  # every chunk's max and sum written, empty ones too
    assert not np.isnan(parts["partial_max"][used]).any() and not np.isnan(parts["partial_sum"][used]).any()
    spare = slice(len(POSITIONS), None)  # the capacity's spare row: its workgroups returned
    assert np.all(out[spare] == 0.0) and all(np.isnan(value[spare]).all() for value in parts.values())


def test_batched_decode_workgroups():
    partial = attention_decode_kernel("partial", 32, 8, 128, PAGE, 4096, True, batch=8)
    merge = attention_decode_kernel("merge", 32, 8, 128, PAGE, 4096, True, batch=8)
    assert dict(partial.defines)["BATCH"] == 8 and partial.bindings[0] == "params"
    assert attention_decode_workgroups(partial, 8) == (64, 8, 8) and attention_decode_workgroups(merge, 5) == (32, 1, 5)
    alone = attention_decode_kernel("partial", 32, 8, 128, PAGE, 4096, True)
    assert "BATCH" not in dict(alone.defines) and attention_decode_workgroups(alone) == (64, 8, 1)
    with pytest.raises(ValueError, match="rows=2"):
        attention_decode_workgroups(alone, 2)
    with pytest.raises(ValueError, match="rows=9"):
        attention_decode_workgroups(partial, 9)
    with pytest.raises(ValueError, match="batch"):
        attention_decode_kernel("partial", 32, 8, 128, PAGE, 4096, True, batch=-1)
