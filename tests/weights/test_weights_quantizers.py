"""Quantize / dequantize against MLC's group-quantization definition."""

import numpy as np
import pytest

from webgpu_llm.convert.quantizers import (
    QuantizationError,
    dequantize,
    error_bound,
    quantization_error,
    quantize,
)
from webgpu_llm.weights.quantization import get_scheme, quantized_records

ALL_SCHEMES = ["q4f16_1", "q4f32_1", "q0f16", "q0f32"]


def random_weight(n, k, seed=0, scale=0.05):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, k)).astype(np.float32) * np.float32(scale)
    w[0, :5] *= 40  # an outlier group next to ordinary ones
    return w


@pytest.mark.parametrize("scheme", ALL_SCHEMES)
@pytest.mark.parametrize("n,k", [(7, 45), (3, 32), (1, 1), (5, 97)])
def test_round_trip_stays_within_the_error_bound(scheme, n, k):
    w = random_weight(n, k)
    parts = quantize(scheme, w)
    w_hat = dequantize(scheme, parts, w.shape)
    assert w_hat.shape == w.shape and w_hat.dtype == np.float32
    bound = error_bound(scheme, w)
    assert np.all(np.abs(w - w_hat) <= bound)


@pytest.mark.parametrize("scheme", ["q4f16_1", "q4f32_1"])
def test_q4_bound_is_about_half_a_step(scheme):
    """The bound must not be vacuous: half a step, widened only by the float16
    arithmetic slack (about 40 unit roundoffs, 2% of a step) and the rounding
    of the scale itself."""
    w = random_weight(9, 70, seed=1)
    grouped_max = np.abs(np.pad(w, ((0, 0), (0, 26)))).reshape(9, 3, 32).max(axis=2)
    half_step = np.repeat(grouped_max / 7 * 0.5, 32, axis=1)[:, :70]
    assert np.all(error_bound(scheme, w) <= half_step * 1.05 + 1e-6)


@pytest.mark.parametrize("scheme", ALL_SCHEMES)
def test_parts_match_the_records_the_registry_promises(scheme):
    w = random_weight(5, 70)
    parts = quantize(scheme, w)
    stem = "model.layers.0.mlp.down_proj"
    records = quantized_records(scheme, f"{stem}.weight", w.shape)
    assert {f"{stem}.{suffix}": (a.shape, a.dtype.name) for suffix, a in parts.items()} == {
        name: (shape, dtype) for name, shape, dtype in records}


def test_packing_order_and_rounding_match_a_hand_checked_example():
    w = np.zeros((2, 40), dtype=np.float32)
    w[0, 0:8] = np.arange(8)  # max 7 -> scale exactly 1, q = w + 7
    w[0, 8:16] = np.arange(-7, 1)
    w[0, 24:32] = [0.4, 0.5, -0.5, 1.5, 2.5, -2.5, 6.6, -6.6]
    w[1, 32:34] = [-3.5, 7.0]  # the padded last group: 2 real values, 30 zeros
    parts = quantize("q4f16_1", w)
    # Element j of a word sits in bits [4j, 4j+4). round() acts on w/scale + 7
    # and rounds ties away from zero (TVM's tir.round): 7.5 -> 8, 6.5 -> 7,
    # 8.5 -> 9, 9.5 -> 10, 4.5 -> 5 (ties-to-even would give 8, 6, 8, 10, 4).
    assert [hex(x) for x in parts["q_weight"][0]] == [
        "0xedcba987", "0x76543210", "0x77777777", "0xe5a9787",  # group 0
        "0x77777777", "0x77777777", "0x77777777", "0x77777777",  # group 1: all zero
    ]
    # Row 1: q = -3.5 + 7 = 3.5 -> 4, 7 + 7 = 14; then zeros (7).
    assert [hex(x) for x in parts["q_weight"][1]] == ["0x77777777"] * 4 + [
        "0x777777e4", "0x77777777", "0x77777777", "0x77777777"]
    np.testing.assert_array_equal(parts["q_scale"], np.array([[1, 0], [0, 1]], dtype=np.float16))
    w_hat = dequantize("q4f16_1", parts, w.shape)
    np.testing.assert_array_equal(w_hat[0, :16], w[0, :16])
    np.testing.assert_array_equal(w_hat[0, 24:32], [0, 1, 0, 2, 3, -2, 7, -7])


def test_all_zero_groups_give_zero_scale_and_exact_zeros_not_nan():
    w = np.zeros((3, 64), dtype=np.float32)
    w[1, 40] = 3.5  # row 1 group 1 is nonzero (scale 0.5, exact), everything else is zero
    for scheme in ("q4f16_1", "q4f32_1"):
        parts = quantize(scheme, w)
        assert parts["q_scale"][0, 0] == 0 and parts["q_weight"][0, 0] == 0x77777777
        w_hat = dequantize(scheme, parts, w.shape)
        assert not np.isnan(w_hat).any()
        np.testing.assert_array_equal(w_hat, w)


def test_a_scale_that_underflows_float16_gives_zeros_within_the_bound():
    w = np.zeros((1, 32), dtype=np.float32)
    w[0, :3] = [1e-9, -2e-9, 5e-10]  # max/7 is far below float16's smallest subnormal
    parts = quantize("q4f16_1", w)
    assert parts["q_scale"][0, 0] == 0 and parts["q_weight"][0, 0] == 0x77777777
    w_hat = dequantize("q4f16_1", parts, w.shape)
    assert not np.isnan(w_hat).any() and np.all(np.abs(w - w_hat) <= error_bound("q4f16_1", w))


def test_the_scale_is_rounded_to_the_model_dtype_before_q_is_chosen():
    """q must be computed against the stored scale, or dequant drifts from w."""
    w = np.full((1, 32), 0.1, dtype=np.float32)
    w[0, 0] = 0.7001  # scale 0.1000142..., not representable in float16
    parts = quantize("q4f16_1", w)
    scale = parts["q_scale"][0, 0]
    assert scale == np.float16(np.float16(0.7001) / np.float16(7))
    # With the float16 scale, 0.1 / scale lies just below 1, so q = 8 and
    # dequant is exactly the stored scale.
    assert dequantize("q4f16_1", parts)[0, 1] == np.float32(scale)


def test_q4f32_scales_are_exact_in_bf16_because_the_artifact_stores_bf16():
    parts = quantize("q4f32_1", random_weight(4, 64, seed=3))
    bits = parts["q_scale"].view(np.uint32)
    assert np.all(bits & 0xFFFF == 0)


def test_one_dimensional_parameters_stay_unquantized_under_q4():
    norm = np.linspace(0.5, 1.5, 11, dtype=np.float32)
    parts = quantize("q4f16_1", norm)
    assert set(parts) == {"weight"} and parts["weight"].dtype == np.float16
    np.testing.assert_array_equal(dequantize("q4f16_1", parts, norm.shape), norm.astype(np.float16))


def test_dequantize_without_shape_returns_whole_groups():
    parts = quantize("q4f16_1", random_weight(3, 45))
    assert dequantize("q4f16_1", parts).shape == (3, 64)
    with pytest.raises(QuantizationError):
        dequantize("q4f16_1", parts, (3, 65))


def test_unrepresentable_weights_are_refused_with_a_clear_error():
    with pytest.raises(QuantizationError, match="inf or NaN"):
        quantize("q4f16_1", np.array([[np.nan] * 32], dtype=np.float32))
    with pytest.raises(QuantizationError, match="float16"):
        quantize("q0f16", np.array([[1e5]], dtype=np.float32))
    with pytest.raises(QuantizationError, match="cannot dequantize"):
        dequantize("q0f16", {"q_weight": np.zeros((1, 4), np.uint32), "q_scale": np.zeros((1, 1), np.float16)})


def test_quantization_error_is_relative_to_the_tensor_scale():
    w = np.array([[1.0, -2.0, 4.0]], dtype=np.float32)
    w_hat = np.array([[1.0, -2.5, 4.0]], dtype=np.float32)
    max_rel, mean_rel = quantization_error(w, w_hat)
    assert max_rel == pytest.approx(0.5 / 4.0)
    assert mean_rel == pytest.approx((0.5 / 3) / (7.0 / 3))
    assert quantization_error(np.zeros((2, 2)), np.zeros((2, 2))) == (0.0, 0.0)
    # A real q4 round trip reports a max error near half a step (0.5/7 of the peak).
    w = random_weight(16, 128, seed=4)
    max_rel, mean_rel = quantization_error(w, dequantize("q4f16_1", quantize("q4f16_1", w), w.shape))
    assert 0.0 < max_rel <= 0.5 / 7 * 1.05 and 0.0 < mean_rel < 0.2


def test_scheme_objects_and_names_are_interchangeable():
    w = random_weight(2, 32)
    a, b = quantize("q4f16_1", w), quantize(get_scheme("q4f16_1"), w)
    assert all(np.array_equal(a[k], b[k]) for k in a)
