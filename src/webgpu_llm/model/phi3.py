"""The Phi-3 family: Phi-3 and Phi-3.5 mini (`phi-3` template).

Llama's layer with q/k/v and gate/up already fused in the HF checkpoint,
under MLC's own names for Phi-3 (python/mlc_llm/model/phi3/phi3_model.py and
phi3_loader.py: `transformer.embd`, `transformer.h.{i}.ln`, `mixer.qkv_proj`,
`mixer.out_proj`, `transformer.norm`; published Phi-3 and Phi-3.5 MLC
artifacts carry them), and `longrope` (older configs: `su`) rope
scaling: per-frequency divisors, a short set up to
original_max_position_embeddings and a long set past it, and cos/sin
multiplied by an attention factor. The config is normalized here into one
self-contained `rope_scaling` (rope_type, both factor lists, the original
length, the attention factor), so the kernels read nothing else.
"""

from __future__ import annotations

import math
from typing import Any

from .architecture import Architecture, uniform_layers
from .config import ModelConfig, ModelConfigError
from .family import ROTARY_INV_FREQ, Family, hf_common_fields


def longrope_scaling(scaling: dict[str, Any], original: int | None, max_positions: int) -> dict[str, Any]:
    """HF's longrope parameters, with the attention factor HF derives when the config has none:
    sqrt(1 + ln(s) / ln(original)) for s = `factor`, else max / original positions (if > 1)."""
    original = int(scaling.get("original_max_position_embeddings") or original or 0)
    if not original:
        raise ModelConfigError("longrope rope_scaling needs original_max_position_embeddings")
    factor = scaling.get("factor") or max_positions / original
    attention = scaling.get("attention_factor")
    if attention is None:
        attention = 1.0 if factor <= 1.0 else math.sqrt(1 + math.log(factor) / math.log(original))
    return {"rope_type": "longrope", "short_factor": list(scaling["short_factor"]),
            "long_factor": list(scaling["long_factor"]), "original_max_position_embeddings": original,
            "attention_factor": float(attention)}


def _rope_and_window(source: dict[str, Any], scaling: dict[str, Any] | None) -> dict[str, Any]:
    if float(source.get("partial_rotary_factor", 1.0)) != 1.0:
        raise ModelConfigError("Phi-3 with partial_rotary_factor < 1 (Phi-4-mini) is not supported")
    out: dict[str, Any] = {"sliding_window": int(source.get("sliding_window") or 0)}
    if scaling:
        max_positions = int(source.get("max_position_embeddings") or source.get("context_window_size") or 0)
        out["rope_scaling"] = longrope_scaling(scaling, source.get("original_max_position_embeddings"),
                                               max_positions)
    return out


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    fields = hf_common_fields(hf)
    return ModelConfig(**{**fields, **_rope_and_window(hf, fields["rope_scaling"])})


def config_from_mlc(model_config: dict[str, Any]) -> ModelConfig:
    # MLC's Phi3Config keeps HF's fields: rope_scaling {type, short/long_factor} with
    # original_max_position_embeddings and max_position_embeddings beside it.
    overrides = _rope_and_window(model_config, model_config.get("rope_scaling"))
    overrides.setdefault("rope_scaling", None)
    rest = {k: v for k, v in model_config.items() if k not in ("sliding_window", "sliding_window_size")}
    return ModelConfig.from_model_config(rest, **overrides)


def architecture(config: ModelConfig) -> Architecture:
    return Architecture(layers=uniform_layers(config, config.sliding_window), qkv="mixer.qkv_proj",
                        attention_norm="ln", embedding="transformer.embd", layer_prefix="transformer.h",
                        attention_out="mixer.out_proj", final_norm="transformer.norm")


# MLC name -> HF name, as phi3_loader.py maps them (lm_head.weight keeps its name).
HF_NAMES = {
    "transformer.embd.weight": ("model.embed_tokens.weight",),
    "transformer.norm.weight": ("model.norm.weight",),
    "transformer.h.{i}.ln.weight": ("model.layers.{i}.input_layernorm.weight",),
    "transformer.h.{i}.mixer.qkv_proj.weight": ("model.layers.{i}.self_attn.qkv_proj.weight",),
    "transformer.h.{i}.mixer.out_proj.weight": ("model.layers.{i}.self_attn.o_proj.weight",),
    "transformer.h.{i}.post_attention_layernorm.weight": ("model.layers.{i}.post_attention_layernorm.weight",),
    "transformer.h.{i}.mlp.gate_up_proj.weight": ("model.layers.{i}.mlp.gate_up_proj.weight",),
    "transformer.h.{i}.mlp.down_proj.weight": ("model.layers.{i}.mlp.down_proj.weight",),
}

FAMILY = Family(
    name="phi3",
    model_types=("phi3",),
    config_from_hf=config_from_hf,
    config_from_mlc=config_from_mlc,
    architecture=architecture,
    hf_names=HF_NAMES,
    hf_unused=(ROTARY_INV_FREQ,),
)
