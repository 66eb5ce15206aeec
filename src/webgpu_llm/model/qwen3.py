"""The Qwen3 family (dense Qwen3 models).

Qwen2's layer without the q/k/v bias (unless `attention_bias`, which no
published size sets), with an RMSNorm over each q and k head before rope
(`self_attn.q_norm` / `k_norm`, weights of head_dim values), and head_dim
given apart from hidden_size / heads. MLC keeps Qwen2's `c_attn` name.
"""

from __future__ import annotations

from typing import Any

from .architecture import Architecture, uniform_layers
from .config import ModelConfig, ModelConfigError
from .family import (FUSED_GATE_UP, FUSED_QKV, LLAMA_LIKE_GGUF_NAMES, ROTARY_INV_FREQ, Family, GgufGet,
                     gguf_common_fields, hf_common_fields)

QKV = "self_attn.c_attn"
GGUF_QK_NORMS = {"blk.{i}.attn_q_norm.weight": "model.layers.{i}.self_attn.q_norm.weight",
                 "blk.{i}.attn_k_norm.weight": "model.layers.{i}.self_attn.k_norm.weight"}


def _no_bias(values: dict[str, Any]) -> None:
    if values.get("attention_bias"):
        raise ModelConfigError("Qwen3 with attention_bias is not supported (the rope kernel has room for "
                               "q/k norms or a bias, not both)")


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    _no_bias(hf)
    if hf.get("use_sliding_window"):
        raise ModelConfigError("Qwen3 with use_sliding_window is not supported (no published model uses it)")
    return ModelConfig(**hf_common_fields(hf))


def config_from_mlc(model_config: dict[str, Any]) -> ModelConfig:
    _no_bias(model_config)
    return ModelConfig.from_model_config(model_config)


def config_from_gguf(get: GgufGet, tensor_names: set[str]) -> ModelConfig:
    return ModelConfig(**gguf_common_fields(get, tensor_names))


def architecture(config: ModelConfig) -> Architecture:
    return Architecture(layers=uniform_layers(config), qkv=QKV, qk_norm=True)


FAMILY = Family(
    name="qwen3",
    model_types=("qwen3",),
    config_from_hf=config_from_hf,
    config_from_mlc=config_from_mlc,
    architecture=architecture,
    hf_names={f"model.layers.{{i}}.{QKV}.weight": FUSED_QKV,
              "model.layers.{i}.mlp.gate_up_proj.weight": FUSED_GATE_UP},
    hf_unused=(ROTARY_INV_FREQ,),
    gguf_architectures=("qwen3",),
    config_from_gguf=config_from_gguf,
    gguf_names={**LLAMA_LIKE_GGUF_NAMES, **GGUF_QK_NORMS},
)
