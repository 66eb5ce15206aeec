"""all-MiniLM-L6-v2's sentence-transformers folder -> an MLC encoder artifact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from webgpu_llm.convert import encoder_conversion
from webgpu_llm.convert.embedded_encoder import encoder_source_folder
from webgpu_llm.convert.encoder_conversion import convert_encoder
from webgpu_llm.convert.source import ConversionError
from webgpu_llm.convert.tensor_io import load_tensor
from webgpu_llm.embeddings.encoder_config import EncoderConfig, parameter_shapes
from webgpu_llm.weights.artifact import open_artifact, verify_shards
from webgpu_llm.weights.quantization import expected_records


def test_artifact_holds_every_parameter_with_qkv_fused(minilm_folder):
    artifact = open_artifact(minilm_folder)
    verify_shards(artifact)
    config = EncoderConfig.from_chat_config(artifact.chat_config)
    assert (config.pooling, config.normalize, config.max_length, config.hidden_size) == ("mean", True, 256, 384)
    records = {r.name: (r.shape, r.dtype) for r in artifact.manifest.records}
    assert records == expected_records("q0f16", parameter_shapes(config))
    assert all(s.nbytes <= 32 << 20 for s in artifact.manifest.shards)
    from webgpu_llm.convert.hf_source import _read_header, _safetensors_loader

    source = encoder_source_folder() / "model.safetensors"
    header, start = _read_header(source)
    parts = [_safetensors_loader(source, header[f"encoder.layer.2.attention.self.{p}.bias"], start, p)()
             for p in ("query", "key", "value")]
    fused = load_tensor(artifact, "encoder.layer.2.attention.self.qkv.bias")
    np.testing.assert_array_equal(fused, np.concatenate(parts).astype(np.float16))


def test_a_failed_conversion_leaves_nothing_behind(tmp_path, monkeypatch):
    calls = []

    def failing_quantize(scheme, value):
        calls.append(1)
        if len(calls) == 10:
            raise RuntimeError("disk full")
        return {"weight": value.astype(np.float16)}

    monkeypatch.setattr(encoder_conversion, "quantize", failing_quantize)
    with pytest.raises(RuntimeError, match="disk full"):
        convert_encoder(encoder_source_folder(), "q0f16", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_refuses_quantized_schemes_and_unknown_pooling(tmp_path):
    with pytest.raises(ConversionError, match="allowed"):
        convert_encoder(encoder_source_folder(), "q4f16_1", tmp_path / "out")
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "config.json").write_text((encoder_source_folder() / "config.json").read_text())
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_max_tokens": True}))
    with pytest.raises(ConversionError, match="mean_tokens, cls_token"):
        convert_encoder(folder, "q0f16", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_models_prepare_takes_the_embedded_encoder(minilm_folder, model_cache):
    from webgpu_llm.convert.default_model import prepare_embedded_model

    assert prepare_embedded_model(minilm_folder.name, model_cache) == minilm_folder
