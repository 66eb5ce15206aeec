"""Prefill matmul: y (T, N) = x (T, K) W^T for T > 1, and its dispatch size.

Two kernels over the same bindings (matmul_bindings.wgsl): `matmul.wgsl` for GPUs,
tiled through workgroup memory, and `matmul_cpu.wgsl` for CPU adapters, where each
invocation computes a block of outputs alone (no workgroup memory, no barrier).
The tile shape is fixed per variant (the variant must not depend on T, so one
pipeline serves every prefill chunk); T only sizes the grid. Stdlib only.
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid, q4_groups, q4_words, weight_flags

TILE_T = 16  # tokens per workgroup tile (prefill chunks are often short)
TILE_N = 64  # output columns per workgroup tile
TILE_K = 16  # K per staged step: two q4 words of a row; w_tile is 8 KiB with SWIGLU
WORKGROUP = (TILE_T // 4) * (TILE_N // 4)  # 64: each invocation owns 4 tokens x 4 columns


# matmul_cpu.wgsl: outputs x tokens per invocation, and lanes per workgroup (8: lavapipe's 256-bit
# SIMD, as gemv_cpu.wgsl). Swept on SmolLM2's prefill shapes at T = 512 (lavapipe, 2 shared cores,
# ms for gate_up / down / qkv): matmul.wgsl 371-425 / 208-289 / 170-183; rows x tokens 4x4
# 282 / 186 / 118, 8x8 187-200 / 127-141 / 88-95, 16x8 178 / 113-128 / 66-71, 16x4 257 / 106 / 95,
# 8x16 191 / 151 / 100; lanes over tokens instead of rows (16 rows) 375 / 284 / 129. More
# accumulators than registers still won: each x octet (a load per value per lane) serves more rows.
CPU_ROWS = 16
CPU_TOKENS = 8
CPU_WORKGROUP = 8

ACTIVATIONS = ("silu", "gelu_tanh")


def matmul_kernel(n: int, k: int, fmt: str, *, accumulate: bool = False, swiglu: bool = False,
                  activation: str = "silu", cpu: bool = False, rows: int | None = None,
                  tokens: int | None = None) -> KernelVariant:
    """y (T, N) = x (T, K) W (N, K)^T; with `swiglu` W has 2N rows (gate then up), y = act(gate) * up
    with act = `activation` ("silu", or "gelu_tanh": Gemma's GeGLU).

    `accumulate` adds into y (residual). `cpu`: the adapter is a CPU, so matmul_cpu.wgsl, whose
    outputs (`rows`) and tokens (`tokens`) per invocation may be overridden, for tests and sweeps.
    """
    if n < 1 or k < 1:
        raise ValueError(f"matmul needs n >= 1 and k >= 1, got n={n}, k={k}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; allowed: {ACTIVATIONS}")
    common = dict(N=n, K=k, GROUPS=q4_groups(k), K8=q4_words(k), ACCUMULATE=accumulate, SWIGLU=swiglu,
                  GELU_TANH=swiglu and activation == "gelu_tanh", **weight_flags(fmt))
    if cpu:
        rows = rows or CPU_ROWS
        if rows < 1 or (tokens is not None and tokens < 1):
            raise ValueError(f"matmul needs rows >= 1 and tokens >= 1, got {rows}, {tokens}")
        octets = common["K8"] if common["QUANTIZED"] else -(-k // 8)
        return KernelVariant.of("matmul_cpu.wgsl", ROWS=rows, ACC_ROWS=2 * rows if swiglu else rows,
                                TOKENS=tokens or CPU_TOKENS, OCTETS=octets, WORKGROUP=CPU_WORKGROUP,
                                BLOCKS=-(-n // (CPU_WORKGROUP * rows)), **common)
    return KernelVariant.of(
        "matmul.wgsl", TILE_T=TILE_T, TILE_N=TILE_N, TILE_K=TILE_K, W_TILE=2 * TILE_N if swiglu else TILE_N,
        WORKGROUP=WORKGROUP, N_BLOCKS=-(-n // TILE_N), K_STEPS=-(-k // TILE_K), **common)


def matmul_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """Token blocks x row blocks (GPU: ceil(t / TILE_T) x N_BLOCKS tiles); more than 65535 spill into y."""
    d = dict(variant.defines)
    if variant.file == "matmul_cpu.wgsl":
        return grid(-(-max(t, 1) // d["TOKENS"]) * d["BLOCKS"])
    return grid(-(-max(t, 1) // d["TILE_T"]) * d["N_BLOCKS"])
