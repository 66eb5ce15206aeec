"""Quantization schemes of MLC artifacts, as named registry entries (stdlib only).

A scheme says how each unquantized parameter is stored on disk and in GPU
buffers. It follows MLC-LLM's `GroupQuantize` (python/mlc_llm/quantization/
group_quantization.py) with the layout MLC uses for WebGPU ("NK"):

- `q4f16_1`, `q4f32_1`: every 2-D weight `X.weight` [N, K] becomes
  `X.q_weight` uint32 [N, ceil(K/32) * 4] (eight 4-bit values per word, least
  significant bits first) and `X.q_scale` [N, ceil(K/32)] in the model dtype.
  K is padded with zeros up to a whole group, as MLC does. 1-D parameters
  (norms) and biases stay `X.weight` / `X.bias` in the model dtype.
- `q0f16`, `q0f32`: nothing is quantized; every parameter keeps its name in
  float16 / float32 (float32 is written as bf16 on disk, see artifact.py).

The numeric definition (round, clamp, scale) lives in convert/quantizers.py;
this module only knows names, shapes and dtypes so that it runs in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

Shape = tuple[int, ...]


class UnknownQuantizationError(ValueError):
    """A quantization name that is not in the registry."""


@dataclass(frozen=True, slots=True)
class QuantScheme:
    name: str
    bits: int  # 4: symmetric int4 groups; 0: not quantized
    group_size: int  # elements per scale along K; 0 when not quantized
    model_dtype: str  # dtype of activations, scales and unquantized tensors
    storage_dtype: str = "uint32"
    elements_per_storage: int = 8  # 32-bit word / 4-bit value

    def __post_init__(self) -> None:
        if self.bits not in (0, 4):
            raise ValueError(f"{self.name}: bits must be 4 or 0, got {self.bits}")
        if self.model_dtype not in ("float16", "float32"):
            raise ValueError(f"{self.name}: model_dtype must be float16 or float32, got {self.model_dtype}")
        if self.bits and (self.group_size <= 0 or self.group_size % self.elements_per_storage):
            raise ValueError(f"{self.name}: group_size {self.group_size} must be a positive "
                             f"multiple of {self.elements_per_storage}")
        if not self.bits and self.group_size:
            raise ValueError(f"{self.name}: an unquantized scheme has group_size 0")

    @property
    def is_quantized(self) -> bool:
        return self.bits > 0

    @property
    def max_int(self) -> int:
        """Largest magnitude of a signed value; stored values are offset by it (7 for int4)."""
        return 2 ** (self.bits - 1) - 1 if self.bits else 0

    @property
    def words_per_group(self) -> int:
        return self.group_size // self.elements_per_storage if self.bits else 0

    def num_groups(self, k: int) -> int:
        """Groups along K; the last one is zero-padded when K is not a multiple."""
        return -(-k // self.group_size)


SCHEMES: dict[str, QuantScheme] = {
    scheme.name: scheme
    for scheme in (
        QuantScheme("q4f16_1", bits=4, group_size=32, model_dtype="float16"),
        QuantScheme("q4f32_1", bits=4, group_size=32, model_dtype="float32"),
        QuantScheme("q0f16", bits=0, group_size=0, model_dtype="float16"),
        QuantScheme("q0f32", bits=0, group_size=0, model_dtype="float32"),
    )
}


def scheme_names() -> tuple[str, ...]:
    return tuple(SCHEMES)


def get_scheme(name: str | QuantScheme) -> QuantScheme:
    if isinstance(name, QuantScheme):
        return name
    try:
        return SCHEMES[name]
    except (KeyError, TypeError):
        raise UnknownQuantizationError(
            f"unknown quantization {name!r}; allowed: {', '.join(SCHEMES)}"
        ) from None


def is_quantized_parameter(scheme: QuantScheme, name: str, shape: Shape) -> bool:
    """MLC quantizes the weights of linear and embedding layers: 2-D `.weight`s."""
    return scheme.is_quantized and name.endswith(".weight") and len(shape) == 2


def quantized_records(scheme: QuantScheme | str, name: str, shape: Shape) -> list[tuple[str, Shape, str]]:
    """How one unquantized parameter is stored: [(record name, shape, dtype)]."""
    scheme = get_scheme(scheme)
    shape = tuple(int(d) for d in shape)
    if not is_quantized_parameter(scheme, name, shape):
        return [(name, shape, scheme.model_dtype)]
    n, k = shape
    stem = name.removesuffix(".weight")
    groups = scheme.num_groups(k)
    return [
        (f"{stem}.q_weight", (n, groups * scheme.words_per_group), scheme.storage_dtype),
        (f"{stem}.q_scale", (n, groups), scheme.model_dtype),
    ]


def expected_records(scheme: QuantScheme | str,
                     parameter_shapes: Mapping[str, Shape]) -> dict[str, tuple[Shape, str]]:
    """Every record a model's artifact holds: {name: (shape, dtype)}."""
    scheme = get_scheme(scheme)
    records: dict[str, tuple[Shape, str]] = {}
    for parameter, shape in parameter_shapes.items():
        for name, stored_shape, dtype in quantized_records(scheme, parameter, shape):
            if name in records:
                raise ValueError(f"parameters map to the same record {name!r} under {scheme.name}")
            records[name] = (stored_shape, dtype)
    return records
