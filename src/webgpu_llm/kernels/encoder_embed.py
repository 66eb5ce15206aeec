"""BERT input embeddings (`encoder_embed.wgsl`): word + position + token type, f32 out.

Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

from .specialize import KernelVariant
from .weight_flags import grid

WORKGROUP = 64
VECTOR_FORMATS = ("F16", "BF16")


def encoder_embed_kernel(vocab: int, hidden: int, vector_fmt: str) -> KernelVariant:
    if vocab < 1 or hidden < 1:
        raise ValueError(f"encoder_embed needs vocab >= 1 and hidden >= 1, got {vocab}, {hidden}")
    if vector_fmt not in VECTOR_FORMATS:
        raise ValueError(f"unknown vector format {vector_fmt!r}; allowed: {VECTOR_FORMATS}")
    return KernelVariant.of("encoder_embed.wgsl", VOCAB=vocab, D=hidden, WORKGROUP=WORKGROUP,
                            VECTOR_BF16=vector_fmt == "BF16")


def encoder_embed_workgroups(variant: KernelVariant, rows: int) -> tuple[int, int, int]:
    return grid(-(-rows * dict(variant.defines)["D"] // WORKGROUP))
