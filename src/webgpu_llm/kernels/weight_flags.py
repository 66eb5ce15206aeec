"""How a matrix's on-disk format becomes kernel defines (shared by embed, gemv, matmul).

Formats are the names of `model/weight_formats.py` ("Q4F16", "Q4F32", "F16",
"BF16"); each is one boolean define `W_<name>`, exactly one true. `QUANTIZED`
is derived (the preprocessor has no `||`): it selects the q_weight + q_scale
bindings over the single `weight` binding. Stdlib only (runs in Pyodide).
"""

from __future__ import annotations

FORMATS = ("Q4F16", "Q4F32", "F16", "BF16")
GROUP_SIZE = 32  # q4 group along K (MLC q4f16_1 / q4f32_1)
VALUES_PER_WORD = 8  # q4 values per u32 word, least significant nibble first


def weight_flags(fmt: str) -> dict[str, bool]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown weight format {fmt!r}; allowed: {FORMATS}")
    flags = {f"W_{name}": name == fmt for name in FORMATS}
    flags["QUANTIZED"] = fmt.startswith("Q4")
    return flags


def q4_groups(k: int) -> int:
    """Scale groups per row: K padded up to whole groups of 32."""
    return -(-k // GROUP_SIZE)


def q4_words(k: int) -> int:
    """u32 words per q_weight row (always a whole number of vec4<u32>)."""
    return q4_groups(k) * GROUP_SIZE // VALUES_PER_WORD


def grid(groups: int, max_per_dimension: int = 65535) -> tuple[int, int, int]:
    """A 1-D count of workgroups as (x, y, 1); more than the limit spill into y."""
    x = max(1, min(groups, max_per_dimension))
    return (x, -(-groups // x), 1)
