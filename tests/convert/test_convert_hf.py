"""Converting Hugging Face folders: tiny random Llama/Mistral checkpoints made here."""

import json
import struct

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from webgpu_llm.convert import pipeline
from webgpu_llm.convert.pipeline import convert
from webgpu_llm.convert.quantizers import dequantize, error_bound
from webgpu_llm.convert.source import ConversionError
from webgpu_llm.convert.tensor_io import load_tensor, round_to_bf16
from webgpu_llm.weights.artifact import open_artifact, verify_shards
from webgpu_llm.weights.quantization import UnknownQuantizationError, get_scheme

# intermediate 80 is not a multiple of the q4 group (32): down_proj's K gets padded.
CONFIG = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 80, "num_attention_heads": 4,
          "num_key_value_heads": 2, "num_hidden_layers": 2, "rms_norm_eps": 1e-6, "rope_theta": 500000.0,
          "max_position_embeddings": 256, "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
          "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                           "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}


def make_tokenizer_json() -> dict:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["the quick brown fox jumps over the lazy dog"] * 20, trainer)
    return json.loads(tok.to_str())


def hf_tensors(config: dict, rng) -> dict[str, np.ndarray]:
    d, f = config["hidden_size"], config["intermediate_size"]
    hd = d // config["num_attention_heads"]
    kv = config["num_key_value_heads"] * hd
    v = config["vocab_size"]
    t = {"model.embed_tokens.weight": (v, d), "model.norm.weight": (d,)}
    if not config["tie_word_embeddings"]:
        t["lm_head.weight"] = (v, d)
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        t |= {p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
              p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
              p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
              p + "mlp.gate_proj.weight": (f, d), p + "mlp.up_proj.weight": (f, d),
              p + "mlp.down_proj.weight": (d, f)}
    return {name: rng.standard_normal(shape).astype(np.float32) * 0.05 for name, shape in t.items()}


def write_hf_folder(folder, config=CONFIG, extra_tensors=None, drop=None, seed=0):
    folder.mkdir()
    tokenizer = make_tokenizer_json()
    config = dict(config, vocab_size=len(tokenizer["model"]["vocab"]))
    tensors = hf_tensors(config, np.random.default_rng(seed)) | (extra_tensors or {})
    if drop:
        del tensors[drop]
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    (folder / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>"}))
    names = sorted(tensors)
    save_file({n: tensors[n] for n in names[: len(names) // 2]}, str(folder / "model-00001-of-00002.safetensors"))
    save_file({n: tensors[n] for n in names[len(names) // 2:]}, str(folder / "model-00002-of-00002.safetensors"))
    return tensors


def fused(t, i):
    p = f"model.layers.{i}."
    return {p + "self_attn.qkv_proj.weight": np.concatenate([t[p + f"self_attn.{x}_proj.weight"] for x in "qkv"]),
            p + "mlp.gate_up_proj.weight": np.concatenate([t[p + "mlp.gate_proj.weight"], t[p + "mlp.up_proj.weight"]])}


def test_q4f32_1_conversion_fuses_and_quantizes_within_bound(tmp_path):
    source = write_hf_folder(tmp_path / "hf")
    report = convert(tmp_path / "hf", "q4f32_1", tmp_path / "out", conv_template="llama-3", progress=None)
    artifact = open_artifact(tmp_path / "out")
    verify_shards(artifact)
    scheme = get_scheme("q4f32_1")
    expected = {k: v for k, v in source.items() if "proj" not in k or "o_proj" in k or "down_proj" in k}
    for i in range(2):
        expected |= fused(source, i)
    for name, w in expected.items():
        stem = name.removesuffix(".weight")
        if w.ndim == 1:
            # float32 is stored as bf16 on disk (DESIGN.md, decision 2)
            np.testing.assert_array_equal(load_tensor(artifact, name), round_to_bf16(w), err_msg=name)
            continue
        parts = {s: load_tensor(artifact, f"{stem}.{s}") for s in ("q_weight", "q_scale")}
        assert parts["q_scale"].shape == (w.shape[0], -(-w.shape[1] // 32)), name
        assert np.all(np.abs(dequantize(scheme, parts, w.shape) - w) <= error_bound(scheme, w)), name
    assert "model.layers.*.mlp.down_proj.weight" in report.errors
    # The report normalizes by the tensor's peak: symmetric int4 errs by at most
    # half a step, peak/14 (+ float rounding of the scale).
    worst, mean = report.errors["model.layers.*.self_attn.qkv_proj.weight"]
    assert 0 < worst <= 1 / 14 * 1.001 and 0 < mean < 0.2
    config = artifact.chat_config
    assert config["model_config"]["rope_scaling"]["factor"] == 32.0
    assert config["model_config"]["position_embedding_base"] == 500000.0
    assert config["conv_template"]["name"] == "llama-3" and 2 in config["conv_template"]["stop_token_ids"]


def test_bf16_safetensors_are_read_exactly(tmp_path):
    """HF checkpoints usually ship bf16, which numpy lacks: written by hand here."""
    tensors = write_hf_folder(tmp_path / "hf")
    name = "model.norm.weight"
    bf16_bits = (tensors[name].view(np.uint32) >> 16).astype(np.uint16)
    header = json.dumps({name: {"dtype": "BF16", "shape": [64], "data_offsets": [0, 128]}}).encode()
    for path in (tmp_path / "hf").glob("*.safetensors"):  # move norm into a bf16 file of its own
        from safetensors.numpy import load_file
        rest = {k: v for k, v in load_file(str(path)).items() if k != name}
        save_file(rest, str(path))
    (tmp_path / "hf" / "norm.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bf16_bits.tobytes())
    convert(tmp_path / "hf", "q0f32", tmp_path / "out", conv_template="llama-3", progress=None)
    stored = load_tensor(open_artifact(tmp_path / "out"), name)
    np.testing.assert_array_equal(stored, (bf16_bits.astype(np.uint32) << 16).view(np.float32))


def test_stray_source_tensor_fails_with_its_name(tmp_path):
    write_hf_folder(tmp_path / "hf", extra_tensors={"model.layers.0.mlp.bias_of_nothing": np.zeros(3, np.float32)})
    with pytest.raises(ConversionError, match="bias_of_nothing"):
        convert(tmp_path / "hf", "q0f16", tmp_path / "out", conv_template="llama-3", progress=None)
    assert not (tmp_path / "out").exists()


def test_missing_tensor_fails_with_its_name(tmp_path):
    write_hf_folder(tmp_path / "hf", drop="model.layers.1.mlp.up_proj.weight")
    with pytest.raises(ConversionError, match=r"model\.layers\.1\.mlp\.up_proj\.weight"):
        convert(tmp_path / "hf", "q0f16", tmp_path / "out", conv_template="llama-3", progress=None)


def test_tied_checkpoint_with_lm_head_copy_converts_without_lm_head(tmp_path):
    write_hf_folder(tmp_path / "hf", config=dict(CONFIG, tie_word_embeddings=True),
                    extra_tensors={"lm_head.weight": np.zeros((1, 1), np.float32)})
    convert(tmp_path / "hf", "q4f16_1", tmp_path / "out", conv_template="llama-3", progress=None)
    names = {r.name for r in open_artifact(tmp_path / "out").manifest.records}
    assert "model.embed_tokens.q_weight" in names and not any(n.startswith("lm_head") for n in names)


def test_bad_scheme_lists_the_allowed_ones(tmp_path):
    with pytest.raises(UnknownQuantizationError, match="q4f16_1"):
        convert(tmp_path / "nowhere", "q3f16_0", tmp_path / "out", progress=None)


def test_source_without_matching_chat_template_asks_for_one(tmp_path):
    write_hf_folder(tmp_path / "hf")
    with pytest.raises(ConversionError, match="--conv-template"):
        convert(tmp_path / "hf", "q0f16", tmp_path / "out", progress=None)


def test_interrupted_conversion_leaves_nothing_behind(tmp_path, monkeypatch):
    write_hf_folder(tmp_path / "hf")
    calls = []
    real_quantize = pipeline.quantize

    def interrupt_on_fifth(scheme, w):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real_quantize(scheme, w)

    monkeypatch.setattr(pipeline, "quantize", interrupt_on_fifth)
    with pytest.raises(KeyboardInterrupt):
        convert(tmp_path / "hf", "q4f16_1", tmp_path / "out", conv_template="llama-3", progress=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hf"]


def test_existing_output_is_refused_unless_overwrite(tmp_path):
    write_hf_folder(tmp_path / "hf")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(Exception, match="exists"):
        convert(tmp_path / "hf", "q0f16", tmp_path / "out", conv_template="llama-3", progress=None)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    convert(tmp_path / "hf", "q0f16", tmp_path / "out", conv_template="llama-3", overwrite=True, progress=None)
    assert not (tmp_path / "out" / "keep.txt").exists()


def test_template_is_matched_from_the_folders_own_jinja(tmp_path):
    """chat_template.jinja (as newer transformers save it) of Llama 3 picks llama-3."""
    import pathlib

    jinja = pathlib.Path(__file__).parents[1] / "conversation" / "fixtures" / "llama-3.jinja"
    write_hf_folder(tmp_path / "hf")
    (tmp_path / "hf" / "chat_template.jinja").write_text(jinja.read_text())
    (tmp_path / "hf" / "tokenizer_config.json").write_text(
        json.dumps({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}))
    report = convert(tmp_path / "hf", "q0f16", tmp_path / "out", progress=None)
    assert report.conv_template == "llama-3"


def test_mistral_keeps_its_sliding_window(tmp_path):
    config = {k: v for k, v in CONFIG.items() if k != "rope_scaling"} | {"model_type": "mistral", "sliding_window": 128}
    write_hf_folder(tmp_path / "hf", config=config)
    convert(tmp_path / "hf", "q0f16", tmp_path / "out", conv_template="mistral", progress=None)
    chat = open_artifact(tmp_path / "out").chat_config
    assert chat["model_type"] == "mistral" and chat["sliding_window_size"] == 128
