"""Llama-family model shapes for benchmarks with random weights (made on the machine that runs them)."""

from __future__ import annotations

from ..model.config import ModelConfig

_LLAMA3_ROPE = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192}

SHAPES: dict[str, ModelConfig] = {
    "smollm2-135m": ModelConfig(hidden_size=576, intermediate_size=1536, num_attention_heads=9,
                                num_key_value_heads=3, num_hidden_layers=30, rms_norm_eps=1e-5,
                                vocab_size=49152, tie_word_embeddings=True, position_embedding_base=100000.0,
                                context_window_size=8192, prefill_chunk_size=2048),
    "llama-3.2-1b": ModelConfig(hidden_size=2048, intermediate_size=8192, num_attention_heads=32,
                                num_key_value_heads=8, num_hidden_layers=16, rms_norm_eps=1e-5,
                                vocab_size=128256, tie_word_embeddings=True, position_embedding_base=500000.0,
                                rope_scaling=_LLAMA3_ROPE, context_window_size=131072, prefill_chunk_size=2048),
    "llama-3.1-8b": ModelConfig(hidden_size=4096, intermediate_size=14336, num_attention_heads=32,
                                num_key_value_heads=8, num_hidden_layers=32, rms_norm_eps=1e-5,
                                vocab_size=128256, tie_word_embeddings=False, position_embedding_base=500000.0,
                                rope_scaling=_LLAMA3_ROPE, context_window_size=131072, prefill_chunk_size=2048),
}
