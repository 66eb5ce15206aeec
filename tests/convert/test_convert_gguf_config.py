"""The ModelConfig read from a GGUF against transformers' own reading of the same file
(AutoConfig with `gguf_file`): an independent parse of llama.cpp's metadata keys, so a
misspelled key that falls back to a default (rope base 10000) shows up."""

import pytest

from webgpu_llm.convert.default_model import smollm2_gguf_path
from webgpu_llm.convert.gguf_source import read_gguf

# ModelConfig field -> the transformers config attribute holding the same value
SAME_FIELDS = {
    "hidden_size": "hidden_size",
    "intermediate_size": "intermediate_size",
    "num_attention_heads": "num_attention_heads",
    "num_key_value_heads": "num_key_value_heads",
    "num_hidden_layers": "num_hidden_layers",
    "head_dim": "head_dim",
    "vocab_size": "vocab_size",
    "tie_word_embeddings": "tie_word_embeddings",
    "context_window_size": "max_position_embeddings",
}


def test_smollm2_gguf_config_equals_transformers_reading():
    from transformers import AutoConfig

    path = smollm2_gguf_path()
    ours = read_gguf(path).config
    theirs = AutoConfig.from_pretrained(str(path.parent), gguf_file=path.name)
    assert {f: getattr(ours, f) for f in SAME_FIELDS} == {f: getattr(theirs, a) for f, a in SAME_FIELDS.items()}
    assert theirs.rope_parameters["rope_type"] == "default" and ours.rope_scaling is None
    assert ours.position_embedding_base == theirs.rope_parameters["rope_theta"] == 100000.0
    assert ours.rms_norm_eps == pytest.approx(theirs.rms_norm_eps, rel=1e-6)  # stored as f32
