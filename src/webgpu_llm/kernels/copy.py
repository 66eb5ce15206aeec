"""Plain device copy: the bandwidth reference for the roofline in `bench`."""

from __future__ import annotations

from .specialize import KernelVariant

WORKGROUP = 256


def copy_kernel(nbytes: int) -> KernelVariant:
    if nbytes % 16:
        raise ValueError(f"copy size {nbytes} must be a multiple of 16 bytes")
    return KernelVariant.of("copy.wgsl", WORDS4=nbytes // 16, WORKGROUP=WORKGROUP)


def copy_workgroups(nbytes: int, max_per_dimension: int = 65535) -> tuple[int, int, int]:
    groups = -(-nbytes // 16 // WORKGROUP)
    x = min(groups, max_per_dimension)
    return (x, -(-groups // x), 1)
