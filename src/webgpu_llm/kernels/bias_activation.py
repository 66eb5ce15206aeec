"""Bias add with an optional exact GELU (`bias_activation.wgsl`), in place after a product.

Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64
VECTOR_FORMATS = ("F16", "BF16")


def bias_activation_kernel(n: int, vector_fmt: str, *, gelu: bool = False) -> KernelVariant:
    """y (T, n) = act(y + bias) with act = erf GELU (`gelu`) or the identity."""
    if n < 1:
        raise ValueError(f"bias_activation needs n >= 1, got {n}")
    if vector_fmt not in VECTOR_FORMATS:
        raise ValueError(f"unknown vector format {vector_fmt!r}; allowed: {VECTOR_FORMATS}")
    return KernelVariant.of("bias_activation.wgsl", N=n, WORKGROUP=WORKGROUP,
                            VECTOR_BF16=vector_fmt == "BF16", GELU=gelu)


def bias_activation_workgroups(variant: KernelVariant, rows: int) -> tuple[int, int, int]:
    return grid(-(-rows * dict(variant.defines)["N"] // WORKGROUP))
