"""Batched decode GEMV (continuous batching): x (B, K) -> y (B, N), one token of each of B sequences.

The engine promises that a batched greedy answer equals the same request run alone, so each row of a
batched product must be bit for bit the unbatched kernel on that row: same loops, same summation order.
Both kernels (gemv.wgsl, gemv_cpu.wgsl) run here on lavapipe, as in test_kernels_gemv.py."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from weight_reference import assert_close, packed_vector, random_weight, reference_product, rms_norm_reference
from webgpu_llm.kernels.gemv import gemv_kernel, gemv_workgroups
from webgpu_llm.kernels.step_params import BatchRow, StepParams, pack_batch

B = 3  # rows in the step
CAPACITY = 4  # the BatchParams' capacity: dispatches sized for it leave one row of workgroups idle


@pytest.fixture(params=["workgroup-memory", "subgroups", "cpu"])
def kernel(request, device) -> dict:
    """gemv_kernel's adapter arguments, as in test_kernels_gemv.py."""
    if request.param == "subgroups" and not device.features.subgroups:
        pytest.skip("adapter has no subgroups")
    return {"subgroups": request.param == "subgroups", "cpu": request.param == "cpu"}


def batch_params(b: int = B, capacity: int = CAPACITY) -> bytes:
    """A step's BatchParams: num_tokens = b; the GEMVs read only that (bound as a StepParams)."""
    rows = [BatchRow(pos=7 * r + 2, table_base=5 * r, slot=r) for r in range(b)]
    return pack_batch(rows, [StepParams()] * b, capacity)


def run_batched_and_alone(device, kernel, fmt, n, k, options, *, seed=0, rows=None, workgroups=None,
                          b=B, capacity=CAPACITY):
    """The batched product of a (b, K) x, and the unbatched product of each row alone.

    Returns (batched y (b, N), rows alone (b, N), float64 reference (b, N), its tolerance (b, N))."""
    rng = np.random.default_rng(seed)
    swiglu, accumulate, norm = options.get("swiglu", False), options.get("accumulate", False), options.get("norm")
    weights, dense = random_weight(fmt, 2 * n if swiglu else n, k, rng)          # dense (W_ROWS, K)
    x = (rng.standard_normal((b, k)) * 2).astype(np.float32)                     # (b, K)
    y0 = rng.standard_normal((b, n)).astype(np.float32) if accumulate else None  # (b, N) residual
    normed, tol_factor = x, 1
    if norm:
        weights["norm_weight"], norm_values = packed_vector(rng.uniform(0.5, 1.5, k).astype(np.float32), norm)
        normed = rms_norm_reference(x, norm_values, 1e-5).astype(np.float32)    # (B, K)
        tol_factor = 2  # the normalization adds one rounding per element

    def run(variant, x_rows, y_rows, grid, params):  # x_rows (R, K), y_rows (R, N) with accumulate -> (R, N)
        inputs, outputs = {"x": x_rows, **weights}, {}
        if accumulate:
            inputs["y"] = y_rows
        else:
            outputs["y"] = (np.float32, (len(x_rows), n))
        return run_kernel(device, variant, inputs, outputs, grid, params, read=["y"] if accumulate else None)["y"]

    batched = gemv_kernel(n, k, fmt, **kernel, **options, rows=rows, batched=capacity)
    y = run(batched, x, y0, workgroups or gemv_workgroups(batched, capacity), batch_params(b, capacity))
    alone = gemv_kernel(n, k, fmt, **kernel, **options, rows=rows)
    y_alone = np.concatenate([run(alone, x[r:r + 1], None if y0 is None else y0[r:r + 1], gemv_workgroups(alone),
                                  None) for r in range(b)])
    expected, tol = reference_product(dense, normed, swiglu=swiglu, y0=y0)
    return y, y_alone, expected, tol * tol_factor


EPILOGUES = {
    "plain": {},
    "norm": {"norm": "BF16"},
    "swiglu": {"swiglu": True},
    "accumulate": {"accumulate": True},
    "norm-swiglu-accumulate": {"norm": "F16", "swiglu": True, "accumulate": True},
}


@pytest.mark.parametrize("fmt, epilogue, k", [
    ("Q4F16", "plain", 72), ("F16", "plain", 45), ("Q4F32", "norm", 72), ("BF16", "norm", 45),
    ("Q4F16", "swiglu", 45), ("F16", "swiglu", 72), ("Q4F32", "accumulate", 72), ("BF16", "accumulate", 45),
    ("Q4F16", "norm-swiglu-accumulate", 72), ("F16", "norm-swiglu-accumulate", 45),
])
def test_batched_gemv_rows_equal_each_row_alone(device, kernel, fmt, epilogue, k):
    """Each row of a batched product is bit for bit the unbatched product of that row (N 37: a ragged last
    block; K 72: vec4 reads of x, 45: scalar reads), and matches the float64 reference."""
    y, y_alone, expected, tol = run_batched_and_alone(device, kernel, fmt, 37, k, EPILOGUES[epilogue], seed=k)
    assert np.array_equal(y, y_alone), f"rows differ from the rows alone: max |diff| {np.abs(y - y_alone).max()}"
    assert_close(y, expected, tol)


@pytest.mark.parametrize("rows", [1, 4])
def test_batched_gemv_row_blocks_and_a_grid_spilling_into_y(device, kernel, rows):
    """Workgroups counted over x + y * groups.x: a grid 5 wide covers every block (gemv.wgsl: block b
    of row r is workgroup r * BLOCKS + b; gemv_cpu.wgsl: workgroup b * B + r), the extra workgroups
    return, with 1 and 4 outputs per workgroup or invocation."""
    variant = gemv_kernel(37, 72, "Q4F16", **kernel, rows=rows, batched=CAPACITY)
    d = dict(variant.defines)
    total = d["BLOCKS"] * B
    options = {"swiglu": True, "accumulate": True}
    y, y_alone, expected, tol = run_batched_and_alone(device, kernel, "Q4F16", 37, 72, options, seed=rows, rows=rows,
                                                      workgroups=(5, -(-total // 5) + 1, 1))
    assert np.array_equal(y, y_alone)
    assert_close(y, expected, tol)


@pytest.mark.parametrize("fmt, epilogue, b", [
    ("Q4F16", "norm-swiglu-accumulate", 6), ("F16", "norm", 8), ("Q4F32", "plain", 5)])
def test_batched_gemv_full_and_partial_batches(device, kernel, fmt, epilogue, b):
    """Batches of 5, 6 and 8 rows in a dispatch sized for a capacity of 8 equal each row alone."""
    y, y_alone, expected, tol = run_batched_and_alone(device, kernel, fmt, 37, 72, EPILOGUES[epilogue], seed=b,
                                                      b=b, capacity=8)
    assert np.array_equal(y, y_alone), f"rows differ from the rows alone: max |diff| {np.abs(y - y_alone).max()}"
    assert_close(y, expected, tol)


def test_batched_gemv_variants_and_workgroups():
    alone = gemv_kernel(37, 72, "Q4F16", False)
    batched = gemv_kernel(37, 72, "Q4F16", False, batched=CAPACITY)
    on_cpu = gemv_kernel(37, 72, "Q4F16", False, batched=8, cpu=True)
    blocks, cpu_blocks = dict(batched.defines)["BLOCKS"], dict(on_cpu.defines)["BLOCKS"]
    assert "params" not in alone.bindings and batched.bindings[-1] == "params"
    assert gemv_kernel(37, 72, "F16", False, batched=CAPACITY, norm="F16").bindings == (
        "x", "weight", "y", "params", "norm_weight")
    assert gemv_workgroups(batched, CAPACITY) == (blocks * CAPACITY, 1, 1)
    assert gemv_workgroups(batched) == (blocks, 1, 1)
    assert gemv_workgroups(on_cpu, 8) == (cpu_blocks * 8, 1, 1) and gemv_workgroups(on_cpu) == (cpu_blocks, 1, 1)
    with pytest.raises(ValueError, match="past the variant's batch"):
        gemv_workgroups(batched, CAPACITY + 1)
    lm_head = gemv_kernel(128_256, 2048, "Q4F16", True, batched=8, cpu=True, rows=1)  # 16032 blocks x 8 rows
    x, y, _ = gemv_workgroups(lm_head, 8)
    assert x <= 65535 and x * y >= dict(lm_head.defines)["BLOCKS"] * 8
    with pytest.raises(ValueError, match="x_last_row"):
        gemv_kernel(37, 72, "Q4F16", False, batched=CAPACITY, x_last_row=True)
    with pytest.raises(ValueError, match="rows=2"):
        gemv_workgroups(alone, 2)
    with pytest.raises(ValueError, match="rows=0"):
        gemv_workgroups(batched, 0)
