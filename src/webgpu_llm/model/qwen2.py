"""The Qwen2 family: Qwen2 and Qwen2.5 (Qwen's own chat template, `qwen2`).

Llama's layer with a bias on the q/k/v projection, which MLC fuses, weights
and bias, into `self_attn.c_attn`. Small sizes tie the embedding to the LM
head. llama.cpp does not permute Qwen2's q/k rows (it ropes them as HF does).
"""

from __future__ import annotations

from typing import Any

from .architecture import Architecture, uniform_layers
from .config import ModelConfig, ModelConfigError
from .family import (FUSED_GATE_UP, FUSED_QKV, LLAMA_LIKE_GGUF_NAMES, ROTARY_INV_FREQ, Family, GgufGet,
                     gguf_common_fields, hf_common_fields)

QKV = "self_attn.c_attn"
FUSED_QKV_BIAS = tuple(name.replace(".weight", ".bias") for name in FUSED_QKV)
GGUF_BIASES = {f"blk.{{i}}.attn_{x}.bias": f"model.layers.{{i}}.self_attn.{x}_proj.bias" for x in "qkv"}


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    if hf.get("use_sliding_window"):
        raise ModelConfigError("Qwen2 with use_sliding_window is not supported (no published model uses it)")
    return ModelConfig(**hf_common_fields(hf))


def config_from_gguf(get: GgufGet, tensor_names: set[str]) -> ModelConfig:
    return ModelConfig(**gguf_common_fields(get, tensor_names))


def architecture(config: ModelConfig) -> Architecture:
    return Architecture(layers=uniform_layers(config), qkv=QKV, qkv_bias=True)


FAMILY = Family(
    name="qwen2",
    model_types=("qwen2",),
    config_from_hf=config_from_hf,
    architecture=architecture,
    hf_names={f"model.layers.{{i}}.{QKV}.weight": FUSED_QKV, f"model.layers.{{i}}.{QKV}.bias": FUSED_QKV_BIAS,
              "model.layers.{i}.mlp.gate_up_proj.weight": FUSED_GATE_UP},
    hf_unused=(ROTARY_INV_FREQ,),
    gguf_architectures=("qwen2",),
    config_from_gguf=config_from_gguf,
    gguf_names={**LLAMA_LIKE_GGUF_NAMES, **GGUF_BIASES},
)
