"""Decode GEMV: y = W x for one token (or, batched, one token of each of B sequences), and its
dispatch size.

Two kernels over the same bindings and dot products (gemv_bindings.wgsl,
gemv_dot.wgsl): `gemv.wgsl` for GPUs, where a workgroup shares each row and
reduces (each invocation streams 16-byte units, a q4 group or 8 16-bit values,
of ROWS rows; sizes swept on an H100, Vulkan), and `gemv_cpu.wgsl` for CPU
adapters, where each invocation sums whole rows alone (no reduction, no
barrier). Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from typing import Any

from .specialize import KernelVariant
from .weight_flags import grid, q4_groups, q4_words, weight_flags

# Output rows per workgroup (x is loaded once, reused ROWS times). H100 sweep of single products:
# q4 best at 4 rows on long matrices (1.0-1.35 TB/s), 16-bit at 1-2 (2.1-3.0 TB/s).
# Narrower matrices take fewer rows, for more workgroups in flight (H100 decode, SmolLM2 /
# Llama-3.2-1B / 8B shapes: always 4 rows 455 / 430 / 136 tok/s; 2 below 4096 outputs 532 /
# 444 / 136; also 1 below 1024 556 on SmolLM2).
ROWS_Q4_BY_OUTPUTS = ((4096, 4), (1024, 2), (0, 1))  # (at least N outputs, rows), widest first
ROWS_16BIT = 2
MIN_WORKGROUP = 32
MAX_WORKGROUP = 128
UNITS_PER_INVOCATION = 4  # 16-byte loads per row per invocation, before capping the workgroup

# gemv_cpu.wgsl. CPU implementations load storage buffers lane by lane, x as much as the weights: a
# q4 group costs each lane 32 x values (+16 norm-weight words with NORM) and 5 words per row, so
# more rows per invocation share x better, until the accumulators (ACC_ROWS) spill from registers.
# Swept on SmolLM2's decode shapes, best of 3-4 on a shared 2-core machine (ms of GEMV per step,
# lavapipe AVX2 / SwiftShader): q4 at 4 rows 64 / 290, 8 rows 61 / 255, 16 rows 55-68 / 193,
# 32 rows 111 / 207; lavapipe's SwiGLU product (twice the accumulators) slowed past 16
# accumulators, 16-bit weights past 8.
CPU_ACCUMULATORS_Q4 = 16
CPU_ACCUMULATORS_16BIT = 8
# Invocations per workgroup: lavapipe runs 8 lanes (256-bit SIMD) at once and was ~2x slower at 4;
# 8 was as fast as 16 or better (q4, 16 rows: 55 vs 80 ms lavapipe, 193 vs 228 SwiftShader).
CPU_WORKGROUP = 8


def _workgroup_size(units: int) -> int:
    """Power of two with about UNITS_PER_INVOCATION units per invocation, in 32..128."""
    want = -(-units // UNITS_PER_INVOCATION)
    size = MIN_WORKGROUP
    while size < want and size < MAX_WORKGROUP:
        size *= 2
    return size


NORM_FORMATS = ("F16", "BF16")


ACTIVATIONS = ("silu", "gelu_tanh")  # the gate's activation with `swiglu` (GELU_TANH: GeGLU)


def gemv_kernel(n: int, k: int, fmt: str, subgroups: bool, *, accumulate: bool = False, swiglu: bool = False,
                x_last_row: bool = False, norm: str | None = None, eps: float = 1e-5,
                rows: int | None = None, cpu: bool = False, activation: str = "silu",
                batched: int = 0) -> KernelVariant:
    """y (N,) = W (N, K) x (K,); with `swiglu` W has 2N rows (gate then up) and y = act(gate) * up,
    act being `activation` ("silu", or "gelu_tanh" for Gemma's GeGLU).

    `accumulate` adds into y (residual); `x_last_row` reads row params.num_tokens - 1 of a (T, K) x;
    `batched` >= 1: x (B, K) -> y (B, N) for B = params.num_tokens <= `batched` rows (a batched
    decode step; `params` may be its BatchParams, which starts with a StepParams), each row exactly
    as the unbatched kernel computes it alone; epilogues apply per row; both kernels take a workgroup
    per (block, row); dispatch
    gemv_workgroups(variant, B);
    `norm` ("F16" | "BF16", the format of a `norm_weight` binding) RMS-normalizes x first, with `eps`;
    `cpu`: the adapter is a CPU, so gemv_cpu.wgsl (`subgroups` unused there); `rows` overrides the
    output rows per workgroup (gemv.wgsl) or per invocation (gemv_cpu.wgsl), for tests and sweeps.
    """
    if n < 1 or k < 1:
        raise ValueError(f"gemv needs n >= 1 and k >= 1, got n={n}, k={k}")
    if norm is not None and norm not in NORM_FORMATS:
        raise ValueError(f"unknown norm weight format {norm!r}; allowed: {NORM_FORMATS}")
    if rows is not None and rows < 1:
        raise ValueError(f"gemv needs rows >= 1, got {rows}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; allowed: {ACTIVATIONS}")
    if batched < 0:
        raise ValueError(f"gemv: batched is a batch capacity >= 1, or 0; got {batched}")
    if batched and x_last_row:
        raise ValueError("gemv: batched reads every row of x, x_last_row only the last; pick one")
    defines: dict[str, Any] = dict(
        N=n, K=k, GROUPS=q4_groups(k), K8=q4_words(k), OCTETS=-(-k // 8), ALIGNED=k % 8 == 0,
        ACCUMULATE=accumulate, SWIGLU=swiglu, GELU_TANH=swiglu and activation == "gelu_tanh",
        X_LAST_ROW=x_last_row, BATCHED=bool(batched), HAS_PARAMS=bool(x_last_row or batched),
        NORM=norm is not None, NORM_BF16=norm == "BF16", **weight_flags(fmt))
    if norm is not None:
        defines["EPS"] = float(eps)
    if batched:
        defines["BATCH"] = int(batched)
    if cpu:
        accumulators = CPU_ACCUMULATORS_Q4 if defines["QUANTIZED"] else CPU_ACCUMULATORS_16BIT
        rows = rows or accumulators // (2 if swiglu else 1)
        return KernelVariant.of("gemv_cpu.wgsl", ROWS=rows, ACC_ROWS=2 * rows if swiglu else rows,
                                WORKGROUP=CPU_WORKGROUP, BLOCKS=-(-n // (CPU_WORKGROUP * rows)), **defines)
    return _gpu_variant(defines, rows, bool(subgroups))


def _gpu_variant(defines: dict[str, Any], rows: int | None, subgroups: bool) -> KernelVariant:
    """gemv.wgsl: ROWS outputs per workgroup, a workgroup sized to the row length."""
    quantized = defines["QUANTIZED"]
    workgroup = _workgroup_size(defines["GROUPS"] if quantized else defines["OCTETS"])
    if rows is None:
        rows = next(r for least, r in ROWS_Q4_BY_OUTPUTS if defines["N"] >= least) if quantized else ROWS_16BIT
    acc_rows = 2 * rows if defines["SWIGLU"] else rows
    slots = acc_rows + (1 if defines["NORM"] else 0)  # NORM sums x*x in one more slot
    return KernelVariant.of(
        "gemv.wgsl", ROWS=rows, ACC_ROWS=acc_rows, SLOTS=slots, BLOCKS=-(-defines["N"] // rows),
        WORKGROUP=workgroup, PRESENT_WORDS=-(-workgroup // 32), SUBGROUPS=subgroups, **defines)


def gemv_workgroups(variant: KernelVariant, rows: int = 1) -> tuple[int, int, int]:
    """One workgroup per block of outputs (ROWS, or WORKGROUP * ROWS on CPUs) and row of x; more
    than 65535 spill into y. `rows` > 1 (batched only): the batch rows the dispatch covers, at least
    params.num_tokens (a dispatch recorded for the batch capacity serves any smaller batch)."""
    d = dict(variant.defines)
    if rows < 1 or (rows > 1 and not d["BATCHED"]):
        raise ValueError(f"gemv_workgroups: rows={rows}; allowed 1, or any >= 1 for a batched variant")
    if d["BATCHED"] and rows > d["BATCH"]:
        raise ValueError(f"gemv_workgroups: rows={rows} past the variant's batch of {d['BATCH']}")
    return grid(d["BLOCKS"] * rows)
