"""RMSNorm (`rms_norm.wgsl`): variant and dispatch size. One workgroup per token row."""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 256
VECTOR_FORMATS = ("F16", "BF16")  # 16-bit norm weights, two per u32 word


def rms_norm_kernel(hidden: int, eps: float, vector_fmt: str, subgroups: bool, *,
                    accumulate: bool = False) -> KernelVariant:
    """out = x / sqrt(mean(x^2) + eps) * weight over rows of `hidden` f32 values (HF LlamaRMSNorm);
    `accumulate`: out += that instead (a post-norm before the residual add)."""
    if hidden < 1:
        raise ValueError(f"hidden size must be >= 1, got {hidden}")
    if vector_fmt not in VECTOR_FORMATS:
        raise ValueError(f"unknown norm weight format {vector_fmt!r}; allowed: {VECTOR_FORMATS}")
    return KernelVariant.of("rms_norm.wgsl", D=hidden, EPS=float(eps), WORKGROUP=WORKGROUP,
                            PRESENT_WORDS=-(-WORKGROUP // 32), VECTOR_BF16=vector_fmt == "BF16",
                            SUBGROUPS=bool(subgroups), ACCUMULATE=accumulate)


def rms_norm_workgroups(t: int) -> tuple[int, int, int]:
    """One workgroup per token row (rows past 65535 spill into y)."""
    return grid(t)
