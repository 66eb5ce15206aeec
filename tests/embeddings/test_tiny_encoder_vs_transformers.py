"""Random-weight tiny BERTs (sizes that are no multiple of any workgroup) against transformers:
[CLS] pooling without normalization (as snowflake-arctic-embed pools, before its Normalize) and
mean pooling with it, through both unquantized schemes."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from webgpu_llm import EmbeddingEngine
from webgpu_llm.convert.embedded_encoder import encoder_source_folder
from webgpu_llm.convert.encoder_conversion import convert_encoder

TEXTS = ["A tiny model.", "Padding: this input is much longer than the first one, so the batch pads it.", "ok"]


def stored_precision(weights, scheme: str):
    """Weights rounded as the artifact stores them (f16, or bf16 for q0f32), so the GPU reads them exactly."""
    import torch

    if scheme == "q0f16":
        return weights.half().float()
    bits = weights.float().view(torch.int32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) & ~0xFFFF).view(torch.float32)  # round to nearest even


def tiny_sentence_transformers_folder(folder, pooling: str, normalize: bool, scheme: str):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=30522, hidden_size=40, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=70, max_position_embeddings=64, type_vocab_size=2,
                                     hidden_act="gelu", layer_norm_eps=1e-12)
    model = transformers.BertModel(config).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(stored_precision(p + torch.randn_like(p) * 0.05, scheme))  # LayerNorm / biases away from 1 / 0
    model.save_pretrained(folder, safe_serialization=True)
    shutil.copy(encoder_source_folder() / "tokenizer.json", folder / "tokenizer.json")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "pooling_mode_cls_token": pooling == "cls", "pooling_mode_mean_tokens": pooling == "mean"}))
    modules = [{"idx": 0, "type": "sentence_transformers.models.Transformer", "path": ""},
               {"idx": 1, "type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}]
    if normalize:
        modules.append({"idx": 2, "type": "sentence_transformers.models.Normalize", "path": "2_Normalize"})
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 48}))
    return model


def reference(model, folder, pooling: str, normalize: bool) -> np.ndarray:
    import torch
    import transformers

    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), pad_token="[PAD]")
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=48, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state.double()
    mask = batch["attention_mask"].unsqueeze(-1).double()
    pooled = hidden[:, 0] if pooling == "cls" else (hidden * mask).sum(1) / mask.sum(1)
    return (torch.nn.functional.normalize(pooled, dim=-1) if normalize else pooled).numpy()


@pytest.mark.parametrize("pooling, normalize, scheme", [("cls", False, "q0f32"), ("mean", True, "q0f16")])
def test_tiny_encoder_matches_transformers(tmp_path, device, pooling, normalize, scheme):
    source = tmp_path / "source"
    model = tiny_sentence_transformers_folder(source, pooling, normalize, scheme)
    convert_encoder(source, scheme, tmp_path / "artifact")
    engine = EmbeddingEngine(tmp_path / "artifact", device=device)
    got = np.array([item.embedding for item in engine.embeddings.create(input=TEXTS).data])  # (3, 40)
    # Weights are exact on the GPU (rounded before saving); what differs is f32 summation order
    # and the erf approximation (1.5e-7) over two layers of LayerNorm'ed values of size ~1.
    np.testing.assert_allclose(got, reference(model, source, pooling, normalize), rtol=1e-4, atol=2e-5)
    engine.unload()
