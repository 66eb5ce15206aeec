"""Quantize / dequantize per scheme, as pure numpy functions (native only).

Group int4 follows MLC-LLM's `GroupQuantize._quantize` / `_dequantize`
(python/mlc_llm/quantization/group_quantization.py, "NK" layout):

- MLC casts the model to the model dtype before quantizing, so the weight is
  first rounded to float16 (q4f16_1) and all arithmetic below happens in the
  model dtype, as MLC's tensor expressions do.
- Groups of 32 along K; K is padded with zeros to a whole group. The padding
  never raises a group's max (MLC reduces only over real elements).
- `scale = max|w| / 7` (computed in the model dtype), `q = clamp(round(w /
  scale + 7), 0, 14)`, dequant `(q - 7) * scale`.
- `round` is TVM's `tir.round`, which lowers to C `round` / `llvm.round` on
  the CPU and GPU targets MLC quantizes with: ties away from zero (numpy's
  `np.round` would round ties to even). It rounds `w / scale + 7`, which is
  never below zero, so a tie always goes up (w / scale = -0.5 gives q = 7).
- Eight 4-bit values per uint32, element j of a word in bits [4j, 4j + 4).

Choices where MLC is silent or would misbehave, documented here:
- An all-zero group has scale 0; MLC would compute 0/0 = NaN and cast it to
  uint32 (undefined). We store q = 7 (the code for zero), so it dequantizes
  to exactly 0. A scale that underflows to 0 (max|w| < 7 * 2^-25 in
  float16) is treated the same way; the error, < 2.1e-7, is in error_bound.
- q4f32_1 stores its float32 scales as bf16 on disk (every float32 tensor is
  "f32-to-bf16"). We round the scale to bf16 before computing q, so q was
  chosen against the very scale the GPU reads; MLC computes q against the
  unrounded float32 scale. The artifact layout is the same either way.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..weights.quantization import QuantScheme, get_scheme, is_quantized_parameter
from .tensor_io import round_to_bf16


class QuantizationError(ValueError):
    """A tensor that the scheme cannot represent (non-finite, out of range, bad parts)."""


Parts = dict[str, np.ndarray]

# Unit roundoff of each storage format, and the spacing of its smallest
# subnormals: the two halves of the rounding error of a stored value.
_UNIT_ROUNDOFF = {"float16": 2.0**-11, "float32": 2.0**-24, "bfloat16": 2.0**-8}
_SUBNORMAL_SPACING = {"float16": 2.0**-24, "float32": 2.0**-149, "bfloat16": 2.0**-133}


def _check_representable(scheme: QuantScheme, w: np.ndarray) -> None:
    if not np.all(np.isfinite(w)):
        raise QuantizationError("tensor holds inf or NaN; only finite weights can be quantized")
    limit = float(np.finfo(scheme.model_dtype).max)
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    if peak > limit:
        raise QuantizationError(f"|w| reaches {peak:.6g}, beyond {scheme.model_dtype}'s "
                                f"largest value {limit:.6g}; use a float32 scheme")


def _stored_scale_dtype(scheme: QuantScheme) -> str:
    """float32 tensors are written as bf16, so that is the precision the GPU sees."""
    return "bfloat16" if scheme.model_dtype == "float32" else scheme.model_dtype


# ---------------------------------------------------------------- group int4


def _round_half_away_from_zero(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float32)  # exact for model-dtype values; keeps +0.5 exact
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def _pad_to_groups(scheme: QuantScheme, w: np.ndarray) -> np.ndarray:
    """(N, K) float32 -> (N, G, group) in the model dtype, zero-padded along K."""
    n, k = w.shape
    groups = scheme.num_groups(k)
    padded = np.zeros((n, groups * scheme.group_size), dtype=scheme.model_dtype)
    padded[:, :k] = w
    return padded.reshape(n, groups, scheme.group_size)


def _group_scales(scheme: QuantScheme, grouped: np.ndarray) -> np.ndarray:
    dtype = np.dtype(scheme.model_dtype)
    max_abs = np.abs(grouped).max(axis=2)  # (N, G), in the model dtype
    scale = (max_abs / dtype.type(scheme.max_int)).astype(dtype)
    if scheme.model_dtype == "float32":
        scale = round_to_bf16(scale)
    return scale


def _pack_nibbles(scheme: QuantScheme, q: np.ndarray) -> np.ndarray:
    """(N, G, group) codes in [0, 15] -> (N, G * words_per_group) uint32, LSB first."""
    n = q.shape[0]
    per_word = scheme.elements_per_storage
    q = q.reshape(n, -1, per_word).astype(np.uint32)
    shifts = (np.arange(per_word, dtype=np.uint32) * np.uint32(scheme.bits))
    return np.bitwise_or.reduce(q << shifts, axis=2).astype(np.uint32)


def _unpack_nibbles(scheme: QuantScheme, words: np.ndarray) -> np.ndarray:
    """(N, W) uint32 -> (N, W * 8) codes."""
    per_word = scheme.elements_per_storage
    shifts = (np.arange(per_word, dtype=np.uint32) * np.uint32(scheme.bits))
    mask = np.uint32((1 << scheme.bits) - 1)
    codes = (words.astype(np.uint32)[:, :, None] >> shifts) & mask
    return codes.reshape(words.shape[0], -1)


def quantize_group_int4(scheme: QuantScheme, w: np.ndarray) -> Parts:
    grouped = _pad_to_groups(scheme, w)  # (N, G, 32)
    scale = _group_scales(scheme, grouped)  # (N, G)
    zero_scale = scale == 0
    divisor = np.where(zero_scale, np.ones_like(scale), scale)[:, :, None]
    dtype = np.dtype(scheme.model_dtype)
    # w / scale + 7 in the model dtype (numpy rounds each float16 op to float16).
    shifted = (grouped / divisor + dtype.type(scheme.max_int)).astype(dtype)
    q = np.clip(_round_half_away_from_zero(shifted), 0, 2 * scheme.max_int)
    q = np.where(zero_scale[:, :, None], scheme.max_int, q)
    return {"q_weight": _pack_nibbles(scheme, q), "q_scale": scale.astype(dtype)}


def dequantize_group_int4(scheme: QuantScheme, parts: Parts) -> np.ndarray:
    words, scale = parts["q_weight"], parts["q_scale"]
    if words.ndim != 2 or scale.shape != (words.shape[0], words.shape[1] // scheme.words_per_group):
        raise QuantizationError(f"q_weight {words.shape} and q_scale {scale.shape} do not match "
                                f"{scheme.name} ({scheme.words_per_group} words per group)")
    codes = _unpack_nibbles(scheme, words).astype(np.float32)
    per_element = np.repeat(scale.astype(np.float32), scheme.group_size, axis=1)
    return (codes - np.float32(scheme.max_int)) * per_element


# ---------------------------------------------------------------- unquantized


def cast_to_model_dtype(scheme: QuantScheme, w: np.ndarray) -> Parts:
    return {"weight": w.astype(scheme.model_dtype)}


def dequantize_cast(scheme: QuantScheme, parts: Parts) -> np.ndarray:
    return parts["weight"].astype(np.float32)


# ---------------------------------------------------------------- registry

Quantizer = Callable[[QuantScheme, np.ndarray], Parts]
Dequantizer = Callable[[QuantScheme, Parts], np.ndarray]
# scheme name -> (quantize a 2-D weight, dequantize its parts)
QUANTIZERS: dict[str, tuple[Quantizer, Dequantizer]] = {
    "q4f16_1": (quantize_group_int4, dequantize_group_int4),
    "q4f32_1": (quantize_group_int4, dequantize_group_int4),
    "q0f16": (cast_to_model_dtype, dequantize_cast),
    "q0f32": (cast_to_model_dtype, dequantize_cast),
}


def quantize(scheme: QuantScheme | str, w: np.ndarray) -> Parts:
    """w (float32; [N, K] weights, or 1-D norms) -> {suffix: stored array}.

    Suffixes replace the parameter's `.weight`: {"q_weight", "q_scale"} for a
    quantized weight, {"weight"} for everything a scheme keeps unquantized.
    """
    scheme = get_scheme(scheme)
    w = np.asarray(w, dtype=np.float32)
    _check_representable(scheme, w)
    if not is_quantized_parameter(scheme, "x.weight", w.shape):
        return cast_to_model_dtype(scheme, w)
    return QUANTIZERS[scheme.name][0](scheme, w)


def dequantize(scheme: QuantScheme | str, parts: Parts, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Parts -> float32 values as the GPU sees them. Without `shape`, a
    quantized weight comes back with K padded to whole groups."""
    scheme = get_scheme(scheme)
    if set(parts) == {"weight"}:
        values = dequantize_cast(scheme, parts)
        if scheme.model_dtype == "float32":
            values = round_to_bf16(values)  # float32 is stored (and read back) as bf16
    elif set(parts) == {"q_weight", "q_scale"} and scheme.is_quantized:
        # A q4f32_1 scale is already bf16-exact (see module doc); the product
        # (q - 7) * scale is computed in float32 on the GPU, not stored.
        values = QUANTIZERS[scheme.name][1](scheme, parts)
    else:
        raise QuantizationError(f"{scheme.name} cannot dequantize parts {sorted(parts)}")
    if shape is not None:
        if values.ndim != len(shape) or values.shape[0] != shape[0] or values.shape[-1] < shape[-1]:
            raise QuantizationError(f"parts of shape {values.shape} cannot hold a {tuple(shape)} tensor")
        values = values[..., : shape[-1]] if values.ndim == 2 else values
    return values


def error_bound(scheme: QuantScheme | str, w: np.ndarray) -> np.ndarray:
    """Per-element bound on |w - dequantize(quantize(w))| that the scheme guarantees.

    q4: half a step of the stored scale, widened by the rounding of the
    model-dtype arithmetic that picks q (<= 24 unit roundoffs of a step),
    plus rounding w to the model dtype and rounding the dequantized product.
    q0: the rounding of w to its storage format (float16, or bf16 for float32).
    Each part also allows a few subnormal spacings for values near zero.
    """
    scheme = get_scheme(scheme)
    w = np.asarray(w, dtype=np.float32)
    magnitude = np.abs(w).astype(np.float64)
    if not is_quantized_parameter(scheme, "x.weight", w.shape):
        storage = _stored_scale_dtype(scheme)
        return magnitude * _UNIT_ROUNDOFF[storage] + _SUBNORMAL_SPACING[storage]
    u = _UNIT_ROUNDOFF[scheme.model_dtype]
    tiny = 8 * _SUBNORMAL_SPACING[scheme.model_dtype]
    step = np.repeat(quantize(scheme, w)["q_scale"].astype(np.float64), scheme.group_size, axis=1)
    step = step[:, : w.shape[1]]
    return step * (0.5 + 24 * u) + (magnitude + step) * (2 * u) + tiny


def quantization_error(w: np.ndarray, w_hat: np.ndarray) -> tuple[float, float]:
    """(max relative, mean relative) error for the converter's report.

    Normalized by the tensor's own scale: max |w - w_hat| / max |w| and
    mean |w - w_hat| / mean |w| (per-element ratios blow up near zero).
    An all-zero tensor reproduced exactly reports (0, 0).
    """
    w = np.asarray(w, dtype=np.float64)
    w_hat = np.asarray(w_hat, dtype=np.float64)
    if w.shape != w_hat.shape:
        raise QuantizationError(f"shapes differ: {w.shape} vs {w_hat.shape}")
    error = np.abs(w - w_hat)
    peak, mean = float(np.max(np.abs(w), initial=0.0)), float(np.mean(np.abs(w))) if w.size else 0.0
    max_rel = float(error.max(initial=0.0)) / peak if peak else float(error.max(initial=0.0))
    mean_rel = float(error.mean()) / mean if mean else (float(error.mean()) if w.size else 0.0)
    return max_rel, mean_rel
