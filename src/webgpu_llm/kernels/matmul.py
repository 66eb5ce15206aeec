"""Prefill matmul (`matmul.wgsl`): y (T, N) = x (T, K) W^T for T > 1, and its dispatch size.

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


ACTIVATIONS = ("silu", "gelu_tanh")


def matmul_kernel(n: int, k: int, fmt: str, *, accumulate: bool = False, swiglu: bool = False,
                  activation: str = "silu") -> KernelVariant:
    """y (T, N) = x (T, K) W (N, K)^T; with `swiglu` W has 2N rows (gate then up), y = act(gate) * up
    with act = `activation` ("silu", or "gelu_tanh": Gemma's GeGLU).

    `accumulate` adds into y (residual).
    """
    if n < 1 or k < 1:
        raise ValueError(f"matmul needs n >= 1 and k >= 1, got n={n}, k={k}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; allowed: {ACTIVATIONS}")
    return KernelVariant.of(
        "matmul.wgsl", N=n, K=k, GROUPS=q4_groups(k), K8=q4_words(k), TILE_T=TILE_T, TILE_N=TILE_N,
        TILE_K=TILE_K, W_TILE=2 * TILE_N if swiglu else TILE_N,
        WORKGROUP=WORKGROUP, N_BLOCKS=-(-n // TILE_N), K_STEPS=-(-k // TILE_K), ACCUMULATE=accumulate,
        SWIGLU=swiglu, GELU_TANH=swiglu and activation == "gelu_tanh", **weight_flags(fmt))


def matmul_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """ceil(t / TILE_T) x N_BLOCKS tiles; more than 65535 spill into y."""
    d = dict(variant.defines)
    return grid(-(-max(t, 1) // d["TILE_T"]) * d["N_BLOCKS"])
