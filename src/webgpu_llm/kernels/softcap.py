"""Logit soft-capping (`softcap.wgsl`): variant and dispatch size. Stdlib only."""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 256


def softcap_kernel(n: int, cap: float) -> KernelVariant:
    """x (n,) -> cap * tanh(x / cap), in place."""
    if n < 1 or not cap > 0:
        raise ValueError(f"softcap needs n >= 1 and cap > 0, got n={n}, cap={cap}")
    return KernelVariant.of("softcap.wgsl", N=n, CAP=float(cap), WORKGROUP=WORKGROUP)


def softcap_workgroups(variant: KernelVariant) -> tuple[int, int, int]:
    return grid(-(-dict(variant.defines)["N"] // WORKGROUP))
