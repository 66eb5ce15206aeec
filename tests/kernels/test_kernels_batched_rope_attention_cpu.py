"""A batched decode step's RoPE + KV append and CPU attention: row r is the next token of its
own sequence (its position, its pages), and each row's result is bit for bit what the kernel
gives that sequence stepped alone (the engine's promise: a batched answer equals the request
alone)."""

from __future__ import annotations

import numpy as np

from kernel_harness import run_kernel
from webgpu_llm.kernels.attention_cpu import attention_cpu_kernel, attention_cpu_workgroups
from webgpu_llm.kernels.rope_kv_append import inv_freq, rope_kv_append_kernel, rope_kv_append_workgroups
from webgpu_llm.kernels.step_params import BatchRow, StepParams, pack_batch

RNG = np.random.default_rng(23)
H, KVH, DH, PAGE = 6, 2, 16, 4
CAPACITY = 4
SEQUENCE_PAGES = 5  # page_table entries per sequence
POSITIONS = [9, 0, 14]  # rows' query positions: one sequence has nothing cached yet
TABLE_BASES = [2 * SEQUENCE_PAGES, 0, 3 * SEQUENCE_PAGES]


def interleaved_page_table() -> np.ndarray:
    """Each sequence's logical pages scattered over one shared pool of physical pages."""
    pool = RNG.permutation(CAPACITY * SEQUENCE_PAGES).astype(np.uint32)
    return pool  # entry base + p of a sequence names the physical page of its logical page p


def batch_bytes() -> bytes:
    rows = [BatchRow(p, b, slot) for slot, (p, b) in enumerate(zip(POSITIONS, TABLE_BASES))]
    return pack_batch(rows, [StepParams() for _ in rows], CAPACITY)


def test_batched_rope_rows_equal_each_sequence_alone(device):
    freqs = np.array(inv_freq(DH, 10000.0, None), np.float32)
    table = interleaved_page_table()
    n = len(POSITIONS)
    qkv = RNG.standard_normal((n, (H + 2 * KVH) * DH)).astype(np.float32)
    cache = RNG.standard_normal((CAPACITY * SEQUENCE_PAGES, KVH, PAGE, DH)).astype(np.float32)
    inputs = {"inv_freq": freqs, "k_cache": cache, "v_cache": cache + 1, "page_table": table}
    batched = rope_kv_append_kernel(H, KVH, DH, PAGE, batch=CAPACITY)
    got = run_kernel(device, batched, {"qkv": qkv, **inputs}, {"q": (np.float32, (n, H, DH))},
                     rope_kv_append_workgroups(batched, n), batch_bytes(), read=["k_cache", "v_cache"])
    alone = rope_kv_append_kernel(H, KVH, DH, PAGE)
    k, v = cache.copy(), cache + 1
    for r, (pos, base) in enumerate(zip(POSITIONS, TABLE_BASES)):
        out = run_kernel(device, alone, {**inputs, "qkv": qkv[r:r + 1], "k_cache": k, "v_cache": v},
                         {"q": (np.float32, (1, H, DH))}, rope_kv_append_workgroups(alone, 1),
                         StepParams(pos=pos, num_tokens=1, table_base=base), read=["k_cache", "v_cache"])
        np.testing.assert_array_equal(got["q"][r], out["q"][0])
        k, v = out["k_cache"], out["v_cache"]
    np.testing.assert_array_equal(got["k_cache"], k)
    np.testing.assert_array_equal(got["v_cache"], v)
    assert not np.array_equal(k, cache)  # the rows were written somewhere


def attention_reference(q, k_cache, v_cache, table, base, pos):
    """(H * Dh,) softmax attention of one query over keys 0..pos of its sequence."""
    rows = [table[base + p // PAGE] for p in range(pos + 1)]
    k = np.stack([k_cache[page, :, p % PAGE] for p, page in zip(range(pos + 1), rows)]).astype(np.float64)
    v = np.stack([v_cache[page, :, p % PAGE] for p, page in zip(range(pos + 1), rows)]).astype(np.float64)
    out = np.empty((H, DH))
    for h in range(H):
        s = k[:, h // (H // KVH)] @ q[h].astype(np.float64) / np.sqrt(DH)
        w = np.exp(s - s.max())
        out[h] = w @ v[:, h // (H // KVH)] / w.sum()
    return out.reshape(-1)


def test_batched_cpu_attention_rows_equal_each_sequence_alone(device):
    table = interleaved_page_table()
    n = len(POSITIONS)
    q = RNG.standard_normal((n, H, DH)).astype(np.float32)
    caches = {"k_cache": RNG.standard_normal((CAPACITY * SEQUENCE_PAGES, KVH, PAGE, DH)).astype(np.float32),
              "v_cache": RNG.standard_normal((CAPACITY * SEQUENCE_PAGES, KVH, PAGE, DH)).astype(np.float32),
              "page_table": table}
    batched = attention_cpu_kernel(H, KVH, DH, PAGE, batch=CAPACITY)
    got = run_kernel(device, batched, {"q": q, **caches}, {"out": (np.float32, (n, H * DH))},
                     attention_cpu_workgroups(batched, n), batch_bytes())["out"]
    alone = attention_cpu_kernel(H, KVH, DH, PAGE, decode=True)
    for r, (pos, base) in enumerate(zip(POSITIONS, TABLE_BASES)):
        out = run_kernel(device, alone, {"q": q[r:r + 1], **caches}, {"out": (np.float32, (1, H * DH))},
                         attention_cpu_workgroups(alone, 1),
                         StepParams(pos=pos, num_tokens=1, table_base=base))["out"]
        np.testing.assert_array_equal(got[r], out[0])
        np.testing.assert_allclose(got[r], attention_reference(q[r], caches["k_cache"], caches["v_cache"], table,
                                                               base, pos), rtol=1e-4, atol=1e-5)
