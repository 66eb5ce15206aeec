"""Decode GEMV (`gemv.wgsl`): y = W x for one token, and its dispatch size.

Bandwidth bound: each invocation streams 16-byte units (a q4 group, or 8
16-bit values) of ROWS rows; the workgroup is sized to give each invocation
a few units. Sizes picked by sweeping ROWS x WORKGROUP on an H100 (Vulkan).
Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid, q4_groups, q4_words, weight_flags

# Output rows per workgroup (x is loaded once, reused ROWS times). H100 sweep of single products:
# q4 best at 4 rows on long matrices (1.0-1.35 TB/s), 16-bit at 1-2 (2.1-3.0 TB/s).
# Narrower matrices take fewer rows, for more workgroups in flight (H100 decode, SmolLM2 /
# Llama-3.2-1B / 8B shapes: always 4 rows 455 / 430 / 136 tok/s; 2 below 4096 outputs 532 /
# 444 / 136; also 1 below 1024 556 on SmolLM2).
ROWS_Q4_BY_OUTPUTS = ((4096, 4), (1024, 2), (0, 1))  # (at least N outputs, rows), widest first
# A CPU adapter (lavapipe) has no wide machine to fill; reusing x counts more (SmolLM2 decode
# on lavapipe, 2 cores: 5.5 tok/s by width, 6.9 at 4 rows everywhere).
ROWS_Q4_CPU = 4
ROWS_16BIT = 2
MIN_WORKGROUP = 32
MAX_WORKGROUP = 128
UNITS_PER_INVOCATION = 4  # 16-byte loads per row per invocation, before capping the workgroup


def _workgroup_size(units: int) -> int:
    """Power of two with about UNITS_PER_INVOCATION units per invocation, in 32..128."""
    want = -(-units // UNITS_PER_INVOCATION)
    size = MIN_WORKGROUP
    while size < want and size < MAX_WORKGROUP:
        size *= 2
    return size


NORM_FORMATS = ("F16", "BF16")


def gemv_kernel(n: int, k: int, fmt: str, subgroups: bool, *, accumulate: bool = False, swiglu: bool = False,
                x_last_row: bool = False, norm: str | None = None, eps: float = 1e-5,
                rows: int | None = None, cpu: bool = False) -> KernelVariant:
    """y (N,) = W (N, K) x (K,); with `swiglu` W has 2N rows (gate then up) and y = silu(gate) * up.

    `accumulate` adds into y (residual); `x_last_row` reads row params.num_tokens - 1 of a (T, K) x;
    `norm` ("F16" | "BF16", the format of a `norm_weight` binding) RMS-normalizes x first, with `eps`;
    `rows` overrides the output rows per workgroup (tests and tuning sweeps); `cpu`: the adapter is a CPU.
    """
    if n < 1 or k < 1:
        raise ValueError(f"gemv needs n >= 1 and k >= 1, got n={n}, k={k}")
    if norm is not None and norm not in NORM_FORMATS:
        raise ValueError(f"unknown norm weight format {norm!r}; allowed: {NORM_FORMATS}")
    norm_defines = {"NORM": norm is not None, "NORM_BF16": norm == "BF16"}
    if norm is not None:
        norm_defines["EPS"] = float(eps)
    octets = -(-k // 8)
    flags = weight_flags(fmt)
    workgroup = _workgroup_size(q4_groups(k) if flags["QUANTIZED"] else octets)
    if rows is None and not flags["QUANTIZED"]:
        rows = ROWS_16BIT
    elif rows is None:
        rows = ROWS_Q4_CPU if cpu else next(r for least, r in ROWS_Q4_BY_OUTPUTS if n >= least)
    elif rows < 1:
        raise ValueError(f"gemv needs rows >= 1, got {rows}")
    acc_rows = 2 * rows if swiglu else rows
    slots = acc_rows + (1 if norm is not None else 0)  # NORM sums x*x in one more slot
    return KernelVariant.of(
        "gemv.wgsl", N=n, K=k, GROUPS=q4_groups(k), K8=q4_words(k), OCTETS=octets, ROWS=rows,
        ACC_ROWS=acc_rows, SLOTS=slots, BLOCKS=-(-n // rows), WORKGROUP=workgroup, PRESENT_WORDS=-(-workgroup // 32),
        ALIGNED=k % 8 == 0, SUBGROUPS=bool(subgroups), ACCUMULATE=accumulate, SWIGLU=swiglu,
        X_LAST_ROW=x_last_row, **norm_defines, **flags)


def gemv_workgroups(variant: KernelVariant) -> tuple[int, int, int]:
    """One workgroup per block of ROWS outputs; more than 65535 spill into y."""
    return grid(dict(variant.defines)["BLOCKS"])
