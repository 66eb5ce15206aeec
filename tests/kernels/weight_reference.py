"""Random matrices in each on-disk weight format, as the kernels read them, and their numpy dequantization.

Formats (DESIGN.md, decision 2): "Q4F16" / "Q4F32" are MLC's q4f16_1 / q4f32_1
(q_weight u32 [rows, K8], eight 4-bit codes per word, least significant
first, K padded to groups of 32; q_scale [rows, groups] as f16 resp. bf16,
two per u32, element e in the high half when e is odd); "F16" / "BF16" are
one row-major [rows, K] array of 16-bit values, two per u32, rows not padded.
"""

from __future__ import annotations

import numpy as np

GROUP = 32
FORMATS = ("Q4F16", "Q4F32", "F16", "BF16")


def to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bf16 bit patterns (uint16), round to nearest even."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(bits: np.ndarray) -> np.ndarray:
    return (np.asarray(bits, np.uint16).astype(np.uint32) << 16).view(np.float32)


def pack_halves(bits: np.ndarray) -> np.ndarray:
    """16-bit patterns (any shape) -> u32 words, flat, element 2i in the low half; padded to a vec4."""
    flat = np.asarray(bits, np.uint16).ravel()
    padded = np.zeros(-(-flat.size // 8) * 8, np.uint16)  # whole vec4<u32>: the aligned reads use them
    padded[: flat.size] = flat
    return padded.view(np.uint32)


def quantize_q4(w: np.ndarray, scale_format: str, rng: np.random.Generator):
    """w (rows, K) -> (q_weight (rows, K8) u32, q_scale words, dequantized (rows, K) float64).

    scale = max|w| / 7 per group of 32, q = clamp(round(w / scale) + 7, 0, 14). The codes
    past K are random: the kernels must ignore them (x is zero there).
    """
    rows, k = w.shape
    groups = -(-k // GROUP)
    padded = np.zeros((rows, groups * GROUP), np.float32)
    padded[:, :k] = w
    grouped = padded.reshape(rows, groups, GROUP)
    scale = np.abs(grouped).max(axis=2) / 7.0  # (rows, groups)
    if scale_format == "f16":
        scale_bits = scale.astype(np.float16).view(np.uint16)
        stored_scale = scale_bits.view(np.float16).astype(np.float64)
    else:
        scale_bits = to_bf16_bits(scale)
        stored_scale = from_bf16_bits(scale_bits).astype(np.float64)
    safe = np.where(stored_scale == 0, 1.0, stored_scale)[:, :, None]
    codes = np.clip(np.round(grouped / safe) + 7, 0, 14).astype(np.uint32).reshape(rows, groups * GROUP)
    codes[:, k:] = rng.integers(0, 16, size=(rows, groups * GROUP - k))
    words = np.zeros((rows, groups * GROUP // 8), np.uint32)
    for i in range(8):
        words |= codes[:, i::8] << np.uint32(4 * i)
    dense = (codes.reshape(rows, groups, GROUP).astype(np.float64) - 7) * stored_scale[:, :, None]
    return words, pack_halves(scale_bits), dense.reshape(rows, -1)[:, :k]


def random_weight(fmt: str, rows: int, k: int, rng: np.random.Generator, std: float = 0.5):
    """-> (buffers: binding name -> array, dense (rows, K) float64 exactly as the kernels see it)."""
    w = (rng.standard_normal((rows, k)) * std).astype(np.float32)
    if fmt in ("Q4F16", "Q4F32"):
        q_weight, q_scale, dense = quantize_q4(w, "f16" if fmt == "Q4F16" else "bf16", rng)
        return {"q_weight": q_weight, "q_scale": q_scale}, dense
    if fmt == "F16":
        bits = w.astype(np.float16).view(np.uint16)
        return {"weight": pack_halves(bits)}, bits.view(np.float16).astype(np.float64)
    if fmt == "BF16":
        bits = to_bf16_bits(w)
        return {"weight": pack_halves(bits)}, from_bf16_bits(bits).astype(np.float64)
    raise ValueError(f"unknown format {fmt!r}; allowed: {FORMATS}")


def dot_tolerance(dense: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per-output bound on f32 summation error of x W^T: 8 eps sqrt(K) sum|w x| (random-walk rounding).

    dense (N, K), x (T, K) -> (T, N). The weights themselves are exact (read as stored).
    """
    k = dense.shape[1]
    magnitude = np.abs(np.asarray(x, np.float64)) @ np.abs(dense).T
    return 8 * np.finfo(np.float32).eps * np.sqrt(k) * magnitude + 1e-30


def silu(g: np.ndarray) -> np.ndarray:
    return g / (1.0 + np.exp(-g))


def gelu_tanh(g: np.ndarray) -> np.ndarray:
    """HF's gelu_pytorch_tanh."""
    return 0.5 * g * (1 + np.tanh(np.sqrt(2 / np.pi) * (g + 0.044715 * g ** 3)))


GATE_ACTIVATIONS = {"silu": silu, "gelu_tanh": gelu_tanh}


def reference_product(dense: np.ndarray, x: np.ndarray, *, swiglu: bool = False, y0: np.ndarray | None = None,
                      activation: str = "silu"):
    """(expected (T, N), tolerance (T, N)) of the product kernels' y, in float64.

    swiglu: dense has 2N rows, y = act(x gate^T) * (x up^T), act = `activation`; y0: residual that is added.
    """
    x64 = np.asarray(x, np.float64)
    full = x64 @ dense.T
    tol = dot_tolerance(dense, x64)
    if swiglu:
        n = dense.shape[0] // 2
        gate, up, tol_g, tol_u = full[:, :n], full[:, n:], tol[:, :n], tol[:, n:]
        act = GATE_ACTIVATIONS[activation]
        full = act(gate) * up
        tol = 1.2 * tol_g * np.abs(up) + np.abs(act(gate)) * tol_u  # |silu'| <= 1.1, |gelu_tanh'| <= 1.13
    tol = tol + 1e-5 * np.abs(full)  # exp()/tanh() in the activation and f32 rounding of the result: a few ulp
    if y0 is not None:
        full = full + y0
        tol = tol + 2 * np.finfo(np.float32).eps * (np.abs(y0) + np.abs(full))
    return full, tol


def assert_close(actual: np.ndarray, expected: np.ndarray, tol: np.ndarray):
    err = np.abs(np.asarray(actual, np.float64) - expected)
    worst = np.unravel_index(np.argmax(err - tol), err.shape)
    assert np.all(err <= tol), (f"{np.count_nonzero(err > tol)} of {err.size} outside tolerance; worst at {worst}: "
                                f"got {actual[worst]}, expected {expected[worst]}, tol {tol[worst]}")


def packed_vector(values: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """A vector (norm weight) as "F16" or "BF16": (u32 words, two values each; the f32 values they decode to)."""
    if fmt == "F16":
        bits = values.astype(np.float16).view(np.uint16)
        decoded = bits.view(np.float16).astype(np.float32)
    else:
        bits = to_bf16_bits(values)
        decoded = from_bf16_bits(bits)
    if len(bits) % 2:
        bits = np.append(bits, np.uint16(0))
    return bits.view(np.uint32), decoded


def rms_norm_reference(x: np.ndarray, weight: np.ndarray, eps: float) -> np.ndarray:
    """HF LlamaRMSNorm in float64."""
    x64 = x.astype(np.float64)
    scale = 1.0 / np.sqrt(np.mean(x64 * x64, axis=-1, keepdims=True) + eps)
    return x64 * scale * weight.astype(np.float64)
