"""Tensor bytes <-> numpy arrays for MLC artifacts (native only).

float32 tensors are stored as bfloat16 ("f32-to-bf16"), rounded as TVM's
`tvmjs._convert_f32_to_bf16` does: round to nearest, ties to even, for values
inside bf16's finite range; values beyond it are truncated, which clamps them
to the largest bf16 instead of overflowing to inf (MLC relies on this for
attention-mask-like constants). One deliberate difference: NaN stays NaN
(TVM's truncation can turn a NaN with a small payload into inf).
"""

from __future__ import annotations

import numpy as np

from ..weights.artifact import Artifact, TensorRecord, read_tensor_bytes

NUMPY_DTYPES = {
    "float32": "<f4", "float16": "<f2", "float64": "<f8",
    "uint32": "<u4", "int32": "<i4", "uint16": "<u2", "int16": "<i2",
    "uint8": "u1", "int8": "i1", "int64": "<i8", "uint64": "<u8", "bool": "?",
}
# The largest float32 whose upper 16 bits are a finite bf16 (0x7F7F0000).
_BF16_LIMIT = np.array([0x7F7F0000], dtype=np.uint32).view(np.float32)[0]


def bf16_bits_from_float32(values: np.ndarray) -> np.ndarray:
    """float32 -> bf16 bit patterns (uint16), TVM's rounding (see module doc)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    bits = values.view(np.uint32)
    in_range = np.abs(values) < _BF16_LIMIT  # False for NaN and inf: truncate those
    rounding_bias = np.where(in_range, ((bits >> 16) & 1) + 0x7FFF, 0).astype(np.uint32)
    out = ((bits + rounding_bias) >> 16).astype(np.uint16)
    # Keep NaN a NaN: set the quiet bit so the truncated mantissa is never zero.
    return np.where(np.isnan(values), out | np.uint16(0x0040), out).astype(np.uint16)


def float32_from_bf16_bits(bits: np.ndarray) -> np.ndarray:
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def round_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 values rounded to the nearest bf16 (what a reader decodes)."""
    return float32_from_bf16_bits(bf16_bits_from_float32(values))


def encode_tensor(array: np.ndarray) -> tuple[bytes, str, str]:
    """-> (bytes on disk, record dtype, record format)."""
    array = np.asarray(array)
    dtype = array.dtype.name
    if dtype not in NUMPY_DTYPES:
        raise TypeError(f"cannot store dtype {dtype}; allowed: {sorted(NUMPY_DTYPES)}")
    if dtype == "float32":
        return bf16_bits_from_float32(array).astype("<u2").tobytes(), "float32", "f32-to-bf16"
    return np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype]).tobytes(), dtype, "raw"


def decode_tensor(record: TensorRecord, data: bytes) -> np.ndarray:
    """Bytes of `record` -> an array of record.shape; bf16 data decodes to float32."""
    if record.stored_dtype == "bfloat16":
        bits = np.frombuffer(data, dtype="<u2")
        return float32_from_bf16_bits(bits).reshape(record.shape)
    if record.stored_dtype not in NUMPY_DTYPES:
        raise TypeError(f"{record.name}: cannot decode dtype {record.stored_dtype} to numpy")
    array = np.frombuffer(data, dtype=NUMPY_DTYPES[record.stored_dtype])
    return array.astype(array.dtype.newbyteorder("="), copy=True).reshape(record.shape)


def load_tensor(artifact: Artifact, name: str) -> np.ndarray:
    return decode_tensor(artifact.manifest.record(name), read_tensor_bytes(artifact, name))
