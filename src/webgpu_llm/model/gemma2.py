"""The Gemma 2 family (`gemma` template).

Per layer: pre- and post-norms around both blocks (the post-norm applied to
the block's output before the residual add), GeGLU with the tanh gelu,
attention scores scaled by query_pre_attn_scalar^-1/2 and soft-capped
(cap * tanh(s / cap)), a sliding window on every other layer (0, 2, 4, ...);
embeddings scaled by sqrt(hidden_size), final logits soft-capped, LM head
tied to the embedding.

Gemma's RMSNorm computes x * (1 + w). MLC's Gemma loaders store 1 + w, and
llama.cpp's converter does too, so the stored weight works with the plain
RMSNorm kernel: HF's w gets 1 added on conversion (`hf_plus_one`), and the
GGUF reader takes it off again to present HF values (`gguf_norms_plus_one`).
"""

from __future__ import annotations

import math
from typing import Any

from .architecture import Architecture, AttentionLayer, Rope
from .config import ModelConfig, ModelConfigError
from .family import (FUSED_GATE_UP, FUSED_QKV, LLAMA_LIKE_GGUF_NAMES, ROTARY_INV_FREQ, Family, GgufGet,
                     gguf_common_fields, hf_common_fields)

NORMS = ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm")
PLUS_ONE = tuple(f"model.layers.{{i}}.{n}.weight" for n in NORMS) + ("model.norm.weight",)
GGUF_NAMES = {
    **{k: v for k, v in LLAMA_LIKE_GGUF_NAMES.items() if k != "blk.{i}.ffn_norm.weight"},
    "blk.{i}.post_attention_norm.weight": "model.layers.{i}.post_attention_layernorm.weight",
    "blk.{i}.ffn_norm.weight": "model.layers.{i}.pre_feedforward_layernorm.weight",
    "blk.{i}.post_ffw_norm.weight": "model.layers.{i}.post_feedforward_layernorm.weight",
}
HF_NAMES = {"model.layers.{i}.self_attn.qkv_proj.weight": FUSED_QKV,
            "model.layers.{i}.mlp.gate_up_proj.weight": FUSED_GATE_UP}
ACTIVATIONS = ("gelu_pytorch_tanh", "gelu")  # "gelu" in Gemma configs means the tanh approximation (HF warns)


def check_gemma(source: dict[str, Any]) -> None:
    activation = source.get("hidden_activation") or source.get("hidden_act") or "gelu_pytorch_tanh"
    if activation not in ACTIVATIONS:
        raise ModelConfigError(f"Gemma hidden_activation {activation!r} is not supported; supported: {ACTIVATIONS}")
    if source.get("attention_bias"):
        raise ModelConfigError("Gemma with attention_bias is not supported (no published model uses it)")


def window_pattern(source: dict[str, Any], default: int, layers: int) -> int:
    """Every pattern-th layer is global, the others sliding (HF's sliding_window_pattern, or read
    off HF's layer_types, which must then follow one pattern)."""
    types = source.get("layer_types")
    if types is None:
        return int(source.get("sliding_window_pattern") or default)
    pattern = list(types).index("full_attention") + 1 if "full_attention" in types else layers + 1
    expected = ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention" for i in range(layers)]
    if list(types) != expected:
        raise ModelConfigError(f"layer_types {list(types)} do not follow one global layer in {pattern}")
    return pattern


def gemma_fields(source: dict[str, Any], pattern: int) -> dict[str, Any]:
    check_gemma(source)
    # Gemma's configs default to a tied LM head (MLC's Gemma models have no lm_head at all).
    return dict(tie_word_embeddings=bool(source.get("tie_word_embeddings", True)), sliding_window=int(source.get("sliding_window") or 0),
                sliding_window_pattern=window_pattern(source, pattern, int(source["num_hidden_layers"])),
                attn_logit_softcapping=float(source.get("attn_logit_softcapping") or 0.0),
                final_logit_softcapping=float(source.get("final_logit_softcapping") or 0.0),
                query_pre_attn_scalar=float(source.get("query_pre_attn_scalar") or 0.0))


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    return ModelConfig(**{**hf_common_fields(hf), **gemma_fields(hf, 2)})


def config_from_mlc(model_config: dict[str, Any]) -> ModelConfig:
    fields = gemma_fields(model_config, 2)
    rest = {k: v for k, v in model_config.items() if k not in fields}
    return ModelConfig.from_model_config(rest, **fields)


def config_from_gguf(get: GgufGet, tensor_names: set[str]) -> ModelConfig:
    common = gguf_common_fields(get, tensor_names)
    return ModelConfig(**common, sliding_window=int(get("attention.sliding_window", 0)), sliding_window_pattern=2,
                       attn_logit_softcapping=float(get("attn_logit_softcapping", 0.0)),
                       final_logit_softcapping=float(get("final_logit_softcapping", 0.0)),
                       query_pre_attn_scalar=float(get("attention.key_length", common["head_dim"])))


def gemma_architecture(config: ModelConfig, local_rope: Rope, global_rope: Rope, qk_norm: bool) -> Architecture:
    layers = []
    for i in range(config.num_hidden_layers):
        is_global = (i + 1) % config.sliding_window_pattern == 0
        layers.append(AttentionLayer(0 if is_global else config.sliding_window, global_rope if is_global else local_rope))
    return Architecture(
        layers=tuple(layers), qk_norm=qk_norm, mlp_norm="pre_feedforward_layernorm",
        attention_post_norm="post_attention_layernorm", mlp_post_norm="post_feedforward_layernorm",
        activation="gelu_tanh", embedding_scale=math.sqrt(config.hidden_size),
        attention_scale=(config.query_pre_attn_scalar or config.head_dim) ** -0.5,
        attention_softcap=config.attn_logit_softcapping, final_softcap=config.final_logit_softcapping)


def architecture(config: ModelConfig) -> Architecture:
    rope = Rope.of(config.position_embedding_base, config.rope_scaling)
    return gemma_architecture(config, rope, rope, qk_norm=False)


FAMILY = Family(
    name="gemma2",
    model_types=("gemma2",),
    config_from_hf=config_from_hf,
    config_from_mlc=config_from_mlc,
    architecture=architecture,
    hf_names=HF_NAMES,
    hf_plus_one=PLUS_ONE,
    hf_unused=(ROTARY_INV_FREQ,),
    gguf_architectures=("gemma2",),
    config_from_gguf=config_from_gguf,
    gguf_names=GGUF_NAMES,
    gguf_norms_plus_one=True,
)
