"""LayerNorm (`layer_norm.wgsl`), optionally after a product's bias and the residual add.

Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64
VECTOR_FORMATS = ("F16", "BF16")  # 16-bit gamma, beta and bias, two per u32 word


def layer_norm_kernel(hidden: int, eps: float, vector_fmt: str, *, input_bias: bool = False,
                      residual: bool = False) -> KernelVariant:
    """out = LayerNorm(x [+ x_bias] [+ out]) * gamma + beta over rows of `hidden` f32 values."""
    if hidden < 1:
        raise ValueError(f"hidden size must be >= 1, got {hidden}")
    if vector_fmt not in VECTOR_FORMATS:
        raise ValueError(f"unknown vector format {vector_fmt!r}; allowed: {VECTOR_FORMATS}")
    return KernelVariant.of("layer_norm.wgsl", D=hidden, EPS=float(eps), WORKGROUP=WORKGROUP,
                            PER_LANE=-(-hidden // WORKGROUP), VECTOR_BF16=vector_fmt == "BF16",
                            INPUT_BIAS=input_bias, RESIDUAL=residual)


def layer_norm_workgroups(rows: int) -> tuple[int, int, int]:
    """One workgroup per row."""
    return grid(rows)
