"""Prefill matmul (matmul.wgsl for GPUs, matmul_cpu.wgsl for CPU adapters) against the numpy
reference in weight_reference.py. Both kernels run on every adapter: the CPU one is plain WGSL."""

from __future__ import annotations

import numpy as np
import pytest

from kernel_harness import run_kernel
from weight_reference import FORMATS, assert_close, random_weight, reference_product
from webgpu_llm.kernels.matmul import CPU_WORKGROUP, TILE_N, TILE_T, matmul_kernel, matmul_workgroups
from webgpu_llm.kernels.step_params import StepParams


def run_matmul(device, fmt, t, n, k, *, swiglu=False, accumulate=False, workgroups=None, seed=0, cpu=None):
    """One matmul dispatch; returns (y (T, N), expected, tol). `cpu`: matmul_kernel's
    options for matmul_cpu.wgsl (a dict, {} for its defaults), None: matmul.wgsl."""
    rng = np.random.default_rng(seed)
    weights, dense = random_weight(fmt, 2 * n if swiglu else n, k, rng)         # dense (W_ROWS, K)
    x = rng.standard_normal((t, k)).astype(np.float32)                          # (T, K)
    y0 = rng.standard_normal((t, n)).astype(np.float32) if accumulate else None  # (T, N) residual
    variant = matmul_kernel(n, k, fmt, accumulate=accumulate, swiglu=swiglu, **CPU_OPTIONS.get(cpu, {}))
    inputs = {"x": x, **weights}
    outputs = {}
    if accumulate:
        inputs["y"] = y0
    else:
        outputs["y"] = (np.float32, (t, n))
    out = run_kernel(device, variant, inputs, outputs, workgroups or matmul_workgroups(variant, t),
                     StepParams(num_tokens=t), read=["y"] if accumulate else None)
    expected, tol = reference_product(dense, x, swiglu=swiglu, y0=y0)
    return out["y"], expected, tol


# matmul_cpu.wgsl at its defaults, and at odd blocks (3 outputs x 2 tokens per invocation) so
# that rows and tokens end inside an invocation's block.
CPU_OPTIONS = {"gpu": {}, "cpu": {"cpu": True}, "cpu-3x2": {"cpu": True, "rows": 3, "tokens": 2}}
KERNELS = pytest.mark.parametrize("kernel", list(CPU_OPTIONS))


@KERNELS
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("t,n,k", [(5, 37, 72), (19, 70, 45), (TILE_T + 3, 9, 100), (2 * TILE_T, 2 * TILE_N, 64),
                                   (3, 6, 1), (6, 3, 2)],
                         ids=["small", "odd-k", "two-token-blocks", "whole-tiles", "k1", "k2"])
def test_matmul_matches_reference(device, kernel, fmt, t, n, k):
    y, expected, tol = run_matmul(device, fmt, t, n, k, cpu=kernel)
    assert_close(y, expected, tol)


@KERNELS
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("k", [72, 45])
def test_matmul_epilogues(device, kernel, fmt, k):
    """SWIGLU over fused gate_up rows (2N rows), ACCUMULATE into a residual."""
    y, expected, tol = run_matmul(device, fmt, 19, TILE_N + 5, k, swiglu=True, seed=1, cpu=kernel)
    assert_close(y, expected, tol)
    y, expected, tol = run_matmul(device, fmt, 5, 37, k, accumulate=True, seed=2, cpu=kernel)
    assert_close(y, expected, tol)


@KERNELS
def test_matmul_rows_past_num_tokens_are_left_alone(device, kernel):
    """The grid may be sized for more tokens than params.num_tokens: those rows are not written."""
    rng = np.random.default_rng(3)
    weights, dense = random_weight("F16", 37, 45, rng)
    x = rng.standard_normal((7, 45)).astype(np.float32)
    variant = matmul_kernel(37, 45, "F16", **CPU_OPTIONS[kernel])
    y0 = np.full((7, 37), -5.0, np.float32)
    out = run_kernel(device, variant, {"x": x, **weights, "y": y0}, {}, matmul_workgroups(variant, 7),
                     StepParams(num_tokens=4), read=["y"])["y"]
    expected, tol = reference_product(dense, x[:4])
    assert_close(out[:4], expected, tol)
    assert np.all(out[4:] == -5.0)


def test_matmul_tiles_spill_into_y(device):
    """Tiles are numbered x + y * groups.x: a (3, 4) grid covers 2 x 2 tiles and 8 extra that return."""
    variant = matmul_kernel(TILE_N + 5, 45, "Q4F32")
    assert matmul_workgroups(variant, TILE_T + 1) == (4, 1, 1)
    y, expected, tol = run_matmul(device, "Q4F32", TILE_T + 1, TILE_N + 5, 45, workgroups=(3, 4, 1))
    assert_close(y, expected, tol)


def test_matmul_grid_over_65535():
    variant = matmul_kernel(151_936, 896, "Q4F16")
    x, y, z = matmul_workgroups(variant, 2048)
    tiles = (2048 // TILE_T) * -(-151_936 // TILE_N)
    assert x <= 65535 and x * y >= tiles and z == 1


def test_matmul_cpu_grid_covers_every_block():
    """matmul_cpu.wgsl: one workgroup per (row block, token block), counted in matmul_workgroups."""
    variant = matmul_kernel(1000, 64, "Q4F16", cpu=True, rows=16, tokens=8)
    assert variant.file == "matmul_cpu.wgsl"
    x, y, z = matmul_workgroups(variant, 30)
    assert x * y == -(-1000 // (CPU_WORKGROUP * 16)) * -(-30 // 8) and z == 1
