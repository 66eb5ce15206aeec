"""Bidirectional attention over padded sequences (`encoder_attention.wgsl`).

Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

import math

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64


def encoder_attention_kernel(heads: int, head_dim: int) -> KernelVariant:
    """out (T, H*Dh) from fused qkv (T, 3*H*Dh), scores scaled by 1/sqrt(Dh) as HF BertSelfAttention."""
    if heads < 1 or head_dim < 1:
        raise ValueError(f"encoder_attention needs heads >= 1 and head_dim >= 1, got {heads}, {head_dim}")
    return KernelVariant.of("encoder_attention.wgsl", H=heads, HEAD_DIM=head_dim, D=heads * head_dim,
                            SCALE=1.0 / math.sqrt(head_dim), WORKGROUP=WORKGROUP)


def encoder_attention_workgroups(variant: KernelVariant, rows: int) -> tuple[int, int, int]:
    """One invocation per (row, head)."""
    return grid(-(-rows * dict(variant.defines)["H"] // WORKGROUP))
