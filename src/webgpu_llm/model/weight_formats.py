"""How a quantization scheme's tensors look to the kernels.

Kernels read tensors as stored on disk (DESIGN.md, decision 2): matrices as
q4 words + scales or as 16-bit floats; vectors (norm weights) as f16 or,
for float32 schemes, as bf16 (MLC stores float32 as bf16).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..weights.quantization import QuantScheme, get_scheme

# scheme -> (matrix format, vector format); the names are the kernels' W_* flags.
_FORMATS = {
    "q4f16_1": ("Q4F16", "F16"),
    "q4f32_1": ("Q4F32", "BF16"),
    "q0f16": ("F16", "F16"),
    "q0f32": ("BF16", "BF16"),
}


@dataclass(frozen=True)
class WeightFormats:
    matrix: str  # "Q4F16" | "Q4F32" | "F16" | "BF16"
    vector: str  # "F16" | "BF16"

    @property
    def matrix_quantized(self) -> bool:
        return self.matrix.startswith("Q4")

    @classmethod
    def of(cls, scheme: QuantScheme | str) -> WeightFormats:
        scheme = get_scheme(scheme)
        return cls(*_FORMATS[scheme.name])
