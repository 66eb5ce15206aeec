"""Decode GEMV (gemv.wgsl for GPUs, gemv_cpu.wgsl for CPU adapters) against the numpy reference in
weight_reference.py. Both kernels run here on lavapipe: `kernel` picks one, as an adapter would."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from weight_reference import (FORMATS, assert_close, packed_vector, random_weight, reference_product,
                              rms_norm_reference)
from webgpu_llm.kernels.gemv import gemv_kernel, gemv_workgroups
from webgpu_llm.kernels.step_params import StepParams


@pytest.fixture(params=["workgroup-memory", "subgroups", "cpu"])
def kernel(request, device) -> dict:
    """gemv_kernel's adapter arguments: gemv.wgsl reducing through workgroup memory or subgroups,
    or gemv_cpu.wgsl (whole rows per invocation), forced whatever the adapter is."""
    if request.param == "subgroups" and not device.features.subgroups:
        pytest.skip("adapter has no subgroups")
    return {"subgroups": request.param == "subgroups", "cpu": request.param == "cpu"}


def run_gemv(device, kernel, fmt, n, k, *, swiglu=False, accumulate=False, t=None, workgroups=None, seed=0,
             rows=None):
    """One GEMV dispatch; t set means X_LAST_ROW with a (t, K) x. Returns (y, expected, tol)."""
    rng = np.random.default_rng(seed)
    weights, dense = random_weight(fmt, 2 * n if swiglu else n, k, rng)     # dense (W_ROWS, K)
    x = rng.standard_normal((t or 1, k)).astype(np.float32)                 # (T, K)
    y0 = rng.standard_normal(n).astype(np.float32) if accumulate else None  # (N,) residual
    variant = gemv_kernel(n, k, fmt, **kernel, accumulate=accumulate, swiglu=swiglu, x_last_row=t is not None,
                          rows=rows)
    inputs = {"x": x, **weights}
    outputs = {}
    if accumulate:
        inputs["y"] = y0
    else:
        outputs["y"] = (np.float32, (n,))
    params = StepParams(num_tokens=t or 1, pos=3)
    out = run_kernel(device, variant, inputs, outputs, workgroups or gemv_workgroups(variant), params,
                     read=["y"] if accumulate else None)
    expected, tol = reference_product(dense, x[-1:], swiglu=swiglu, y0=y0)
    return out["y"], expected[0], tol[0]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("n,k", [(37, 72), (13, 45), (9, 2100)], ids=["aligned", "odd-k", "long-k"])
def test_gemv_matches_reference(device, kernel, fmt, n, k):
    y, expected, tol = run_gemv(device, kernel, fmt, n, k)
    assert_close(y, expected, tol)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("k", [72, 45])
def test_gemv_epilogues(device, kernel, fmt, k):
    """SWIGLU over fused gate_up rows, ACCUMULATE into a residual, X_LAST_ROW of a (T, K) x."""
    y, expected, tol = run_gemv(device, kernel, fmt, 21, k, swiglu=True, seed=1)
    assert_close(y, expected, tol)
    y, expected, tol = run_gemv(device, kernel, fmt, 21, k, accumulate=True, seed=2)
    assert_close(y, expected, tol)
    y, expected, tol = run_gemv(device, kernel, fmt, 21, k, t=5, seed=3)
    assert_close(y, expected, tol)


@pytest.mark.parametrize("fmt", ["Q4F16", "Q4F32"])
@pytest.mark.parametrize("rows", [2, 4])
def test_gemv_row_blocks_with_a_ragged_end(device, kernel, fmt, rows):
    """The row counts wide matrices use: rows per workgroup on GPUs, per invocation on CPUs
    (37 outputs: the last block, or the last invocation's rows, partly past N)."""
    y, expected, tol = run_gemv(device, kernel, fmt, 37, 72, rows=rows, seed=4)
    assert_close(y, expected, tol)
    y, expected, tol = run_gemv(device, kernel, fmt, 37, 72, swiglu=True, accumulate=True, rows=rows, seed=5)
    assert_close(y, expected, tol)


def test_gemv_blocks_spill_into_y(device, kernel):
    """Blocks are numbered x + y * groups.x: a (3, ceil(BLOCKS / 3) + 1) grid covers them, the extra return."""
    variant = gemv_kernel(100, 72, "Q4F16", **kernel, rows=1)
    blocks = dict(variant.defines)["BLOCKS"]
    assert gemv_workgroups(variant) == (blocks, 1, 1)
    y, expected, tol = run_gemv(device, kernel, "Q4F16", 100, 72, rows=1,
                                workgroups=(3, -(-blocks // 3) + 1, 1))
    assert_close(y, expected, tol)


def test_gemv_variant_sizes():
    big = gemv_kernel(300_000, 4096, "Q4F16", True)
    d = dict(big.defines)
    assert d["K8"] == 512 and d["GROUPS"] == 128 and d["OCTETS"] == 512 and d["ALIGNED"]
    assert d["WORKGROUP"] & (d["WORKGROUP"] - 1) == 0 and d["PRESENT_WORDS"] * 32 >= d["WORKGROUP"]
    x, y, _ = gemv_workgroups(big)
    assert x <= 65535 and x * y >= d["BLOCKS"]
    swiglu = dict(gemv_kernel(8, 45, "F16", False, swiglu=True).defines)
    assert swiglu["ACC_ROWS"] == 2 * swiglu["ROWS"]
    with pytest.raises(ValueError):
        gemv_kernel(8, 64, "Q8", False)
    with pytest.raises(ValueError, match="rows"):
        gemv_kernel(8, 64, "Q4F16", False, rows=0)
    assert dict(big.defines)["ROWS"] == 4 and dict(gemv_kernel(576, 576, "Q4F16", True).defines)["ROWS"] == 1
    cpu = gemv_kernel(49152, 576, "Q4F16", True, cpu=True, swiglu=True)
    d = dict(cpu.defines)
    assert cpu.file == "gemv_cpu.wgsl" and "SUBGROUPS" not in d and d["ACC_ROWS"] == 2 * d["ROWS"]
    assert d["BLOCKS"] == -(-49152 // (d["WORKGROUP"] * d["ROWS"])) and gemv_workgroups(cpu) == (d["BLOCKS"], 1, 1)
    assert gemv_kernel(576, 576, "Q4F16", True).file == "gemv.wgsl"
    with pytest.raises(ValueError, match="rows"):
        gemv_kernel(8, 64, "Q4F16", False, rows=0, cpu=True)


def run_fused_norm_gemv(device, kernel, fmt, norm, k, *, t=None, swiglu=False, x_scale=3.0, eps=1e-5):
    """One NORM GEMV: y = W rms_norm(x). Returns (y, expected, tol); x is standard normal times x_scale."""
    rng = np.random.default_rng(k)
    n = 19
    weights, dense = random_weight(fmt, 2 * n if swiglu else n, k, rng)  # dense (W_ROWS, K)
    x = (rng.standard_normal((t or 1, k)) * x_scale).astype(np.float32)   # (T, K)
    norm_words, norm_values = packed_vector(rng.uniform(0.5, 1.5, k).astype(np.float32), norm)
    variant = gemv_kernel(n, k, fmt, **kernel, x_last_row=t is not None, norm=norm, eps=eps, swiglu=swiglu,
                          rows=4 if swiglu else None)
    out = run_kernel(device, variant, {"x": x, "norm_weight": norm_words, **weights}, {"y": (np.float32, (n,))},
                     gemv_workgroups(variant), StepParams(num_tokens=t or 1))
    normed = rms_norm_reference(x[-1:], norm_values, eps).astype(np.float32)  # (1, K)
    expected, tol = reference_product(dense, normed, swiglu=swiglu)
    return out["y"], expected[0], tol[0] * 2  # x2: the normalization adds one rounding per element


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("norm", ["F16", "BF16"])
@pytest.mark.parametrize("k, t, swiglu", [(72, None, False), (45, None, False), (100, 3, False), (72, None, True)],
                         ids=["aligned", "odd-k", "last-row", "swiglu-4-rows"])
def test_gemv_with_fused_rms_norm(device, kernel, fmt, norm, k, t, swiglu):
    """NORM: y = W rms_norm(x) with the norm weight in its own 16-bit format (decode fuses the norm);
    with SWIGLU both the gate and the up sums take the 1/rms scale (gate_up on 4-row blocks)."""
    assert_close(*run_fused_norm_gemv(device, kernel, fmt, norm, k, t=t, swiglu=swiglu))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("swiglu", [False, True], ids=["plain", "swiglu"])
def test_gemv_fused_norm_eps_matters_for_small_rows(device, kernel, fmt, swiglu):
    """x of mean square ~1e-6 under eps 1e-5: 1/rms(x) without eps would be ~3.3x too large
    (the test above, with mean square ~9, cannot tell)."""
    y, expected, tol = run_fused_norm_gemv(device, kernel, fmt, "BF16", 45, swiglu=swiglu, x_scale=1e-3)
    without_eps, _, _ = run_fused_norm_gemv(device, kernel, fmt, "BF16", 45, swiglu=swiglu, x_scale=1e-3, eps=0.0)
    assert np.all(np.abs(without_eps - expected) > 10 * tol)  # the inputs do make eps matter
    assert_close(y, expected, tol)


def test_gemv_rejects_an_unknown_norm_format():
    with pytest.raises(ValueError, match="norm weight format"):
        gemv_kernel(8, 8, "F16", False, norm="F32")
