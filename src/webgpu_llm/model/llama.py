"""The Llama family: Llama 2/3/3.1/3.2, SmolLM2, TinyLlama, and Mistral.

They differ only in sizes, rope base and scaling (Llama 3.1's "llama3"),
tied embeddings, and Mistral's sliding window: every layer attends to the
last `sliding_window` keys, its own included (HF's
`sliding_window_causal_mask_function`: key j is seen by query i when
i - W < j <= i).
"""

from __future__ import annotations

from typing import Any

from .architecture import Architecture, uniform_layers
from .config import ModelConfig
from .family import (FUSED_GATE_UP, FUSED_QKV, LLAMA_LIKE_GGUF_NAMES, ROTARY_INV_FREQ, Family, GgufGet,
                     gguf_common_fields, hf_common_fields)


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    window = hf.get("sliding_window") if hf.get("model_type") == "mistral" else None
    return ModelConfig(**hf_common_fields(hf), sliding_window=int(window or 0))


def config_from_mlc(model_config: dict[str, Any]) -> ModelConfig:
    # MLC's Mistral calls the window sliding_window_size (-1: none).
    window = model_config.get("sliding_window", model_config.get("sliding_window_size"))
    return ModelConfig.from_model_config(
        {k: v for k, v in model_config.items() if k not in ("sliding_window", "sliding_window_size")},
        sliding_window=max(int(window or 0), 0))


def config_from_gguf(get: GgufGet, tensor_names: set[str]) -> ModelConfig:
    return ModelConfig(**gguf_common_fields(get, tensor_names))


def architecture(config: ModelConfig) -> Architecture:
    return Architecture(layers=uniform_layers(config, config.sliding_window))


FAMILY = Family(
    name="llama",
    model_types=("llama", "mistral"),
    config_from_hf=config_from_hf,
    config_from_mlc=config_from_mlc,
    architecture=architecture,
    hf_names={"model.layers.{i}.self_attn.qkv_proj.weight": FUSED_QKV,
              "model.layers.{i}.mlp.gate_up_proj.weight": FUSED_GATE_UP},
    hf_unused=(ROTARY_INV_FREQ,),
    gguf_architectures=("llama",),
    config_from_gguf=config_from_gguf,
    gguf_names=LLAMA_LIKE_GGUF_NAMES,
    # Llama 3.1+ GGUFs carry the rope scaling as per-frequency factors; the reader turns
    # them back into HF's rope_scaling (checked to reproduce the factors).
    gguf_unused=("rope_freqs.weight",),
    gguf_permuted_qk=True,
)
