"""Pooling and L2 normalization of encoder outputs (`pool_normalize.wgsl`).

Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64
POOLING_MODES = ("mean", "cls")


def pool_normalize_kernel(hidden: int, pooling: str, normalize: bool) -> KernelVariant:
    """out (batch, hidden): the masked mean of each input's rows, or its first ([CLS]) row; L2-normalized."""
    if hidden < 1:
        raise ValueError(f"hidden size must be >= 1, got {hidden}")
    if pooling not in POOLING_MODES:
        raise ValueError(f"unknown pooling {pooling!r}; allowed: {POOLING_MODES}")
    return KernelVariant.of("pool_normalize.wgsl", D=hidden, WORKGROUP=WORKGROUP, PER_LANE=-(-hidden // WORKGROUP),
                            MEAN=pooling == "mean", NORMALIZE=bool(normalize))


def pool_normalize_workgroups(batch: int) -> tuple[int, int, int]:
    """One workgroup per input."""
    return grid(batch)
