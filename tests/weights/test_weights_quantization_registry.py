"""The scheme registry: names, errors, and the record layout of each scheme."""

import pytest

from webgpu_llm.weights.quantization import (
    QuantScheme,
    UnknownQuantizationError,
    expected_records,
    get_scheme,
    quantized_records,
    scheme_names,
)


def test_registry_holds_the_four_mlc_schemes_with_their_parameters():
    assert set(scheme_names()) == {"q4f16_1", "q4f32_1", "q0f16", "q0f32"}
    q4 = get_scheme("q4f16_1")
    assert (q4.bits, q4.group_size, q4.model_dtype, q4.storage_dtype, q4.elements_per_storage) == (
        4, 32, "float16", "uint32", 8)
    assert get_scheme("q4f32_1").model_dtype == "float32"
    assert (get_scheme("q0f16").bits, get_scheme("q0f16").group_size) == (0, 0)
    assert get_scheme("q0f32").model_dtype == "float32"
    assert q4.max_int == 7 and q4.words_per_group == 4


def test_schemes_are_frozen():
    with pytest.raises(AttributeError):
        get_scheme("q4f16_1").bits = 8  # type: ignore[misc]


@pytest.mark.parametrize("name", ["q4f16_0", "q8f16_1", "", "Q4F16_1", None])
def test_unknown_scheme_error_is_a_value_error_listing_allowed_names(name):
    with pytest.raises(UnknownQuantizationError) as info:
        get_scheme(name)
    assert isinstance(info.value, ValueError)
    for allowed in scheme_names():
        assert allowed in str(info.value)


def test_invalid_scheme_definitions_are_refused():
    with pytest.raises(ValueError, match="bits"):
        QuantScheme("q3", bits=3, group_size=32, model_dtype="float16")
    with pytest.raises(ValueError, match="group_size"):
        QuantScheme("q4g12", bits=4, group_size=12, model_dtype="float16")
    with pytest.raises(ValueError, match="model_dtype"):
        QuantScheme("q4bf", bits=4, group_size=32, model_dtype="bfloat16")


def test_q4_weight_becomes_q_weight_and_q_scale_with_k_padded_to_the_group():
    # K = 70 -> 3 groups (96 padded), 12 words per row.
    assert quantized_records("q4f16_1", "model.layers.0.mlp.down_proj.weight", (33, 70)) == [
        ("model.layers.0.mlp.down_proj.q_weight", (33, 12), "uint32"),
        ("model.layers.0.mlp.down_proj.q_scale", (33, 3), "float16"),
    ]
    assert quantized_records("q4f32_1", "lm_head.weight", (10, 64))[1] == ("lm_head.q_scale", (10, 2), "float32")


def test_norms_and_biases_stay_unquantized_in_the_model_dtype():
    assert quantized_records("q4f16_1", "model.norm.weight", (64,)) == [("model.norm.weight", (64,), "float16")]
    assert quantized_records("q4f32_1", "x.c_attn.bias", (96,)) == [("x.c_attn.bias", (96,), "float32")]


@pytest.mark.parametrize("name,dtype", [("q0f16", "float16"), ("q0f32", "float32")])
def test_q0_schemes_keep_every_weight(name, dtype):
    assert quantized_records(name, "lm_head.weight", (10, 70)) == [("lm_head.weight", (10, 70), dtype)]


def test_expected_records_covers_a_whole_model():
    shapes = {"model.embed_tokens.weight": (100, 64), "model.norm.weight": (64,),
              "model.layers.0.self_attn.qkv_proj.weight": (96, 64)}
    records = expected_records("q4f16_1", shapes)
    assert records == {
        "model.embed_tokens.q_weight": ((100, 8), "uint32"),
        "model.embed_tokens.q_scale": ((100, 2), "float16"),
        "model.norm.weight": ((64,), "float16"),
        "model.layers.0.self_attn.qkv_proj.q_weight": ((96, 8), "uint32"),
        "model.layers.0.self_attn.qkv_proj.q_scale": ((96, 2), "float16"),
    }
    assert expected_records("q0f32", shapes) == {n: (s, "float32") for n, s in shapes.items()}


def test_expected_records_refuses_two_parameters_landing_on_one_record():
    with pytest.raises(ValueError, match="same record"):
        expected_records("q4f16_1", {"a.q_weight": (4, 32), "a.weight": (4, 32)})
