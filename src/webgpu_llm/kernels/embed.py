"""Embedding lookup (`embed.wgsl`): token ids -> f32 rows of the embedding matrix.

Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid, q4_groups, q4_words, weight_flags

WORKGROUP = 64  # invocations = T x ceil(hidden / 8): a lookup moves little data


def embed_kernel(vocab: int, hidden: int, fmt: str, scale: float = 1.0) -> KernelVariant:
    """out (T, hidden) = rows tokens (T,) of the [vocab, hidden] matrix stored in `fmt`, times `scale`."""
    if vocab < 1 or hidden < 1:
        raise ValueError(f"embed needs vocab >= 1 and hidden >= 1, got vocab={vocab}, hidden={hidden}")
    return KernelVariant.of("embed.wgsl", VOCAB=vocab, HIDDEN=hidden, GROUPS=q4_groups(hidden),
                            K8=q4_words(hidden), OCTETS=-(-hidden // 8), WORKGROUP=WORKGROUP, SCALE=float(scale),
                            **weight_flags(fmt))


def embed_workgroups(variant: KernelVariant, t: int) -> tuple[int, int, int]:
    """Enough workgroups for t tokens (the kernel returns past params.num_tokens)."""
    octets = dict(variant.defines)["OCTETS"]
    return grid(-(-max(t, 1) * octets // WORKGROUP))
