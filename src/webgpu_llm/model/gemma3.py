"""The Gemma 3 family, text models (Gemma 3 270M, 1B; `gemma` template).

Gemma 2's layer (gemma2.py: pre/post norms, GeGLU, scaled embeddings, 1 + w
norms) with an RMSNorm over each q and k head (1 + w as well), no
soft-capping, and five local layers to one global: local layers attend to
the last `sliding_window` keys with their own rope base
(rope_local_base_freq), global layers to every key with rope_theta and its
scaling. The vocabulary has 262k tokens.

MLC's own Gemma 3 keeps q/k/v apart under a `language_model.` prefix; our
artifacts fuse them into `self_attn.qkv_proj` like every other family, so
MLC's Gemma 3 artifacts do not load here (not needed by WebLLM's list).
"""

from __future__ import annotations

from typing import Any

from .architecture import Architecture, Rope
from .config import ModelConfig
from .family import ROTARY_INV_FREQ, Family, GgufGet, gguf_common_fields, hf_common_fields
from .gemma2 import GGUF_NAMES, HF_NAMES, PLUS_ONE, gemma_architecture, gemma_fields

QK_NORMS = ("model.layers.{i}.self_attn.q_norm.weight", "model.layers.{i}.self_attn.k_norm.weight")
LOCAL_BASE = 10000.0  # HF's default rope_local_base_freq; llama.cpp assumes it for its GGUFs


def _local_base(source: dict[str, Any]) -> float:
    params = source.get("rope_parameters")
    if isinstance(params, dict) and isinstance(params.get("sliding_attention"), dict):  # transformers 5
        return float(params["sliding_attention"].get("rope_theta", LOCAL_BASE))
    return float(source.get("rope_local_base_freq") or LOCAL_BASE)


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    return ModelConfig(**{**hf_common_fields(hf), **gemma_fields(hf, 6)}, rope_local_base_freq=_local_base(hf))


def config_from_mlc(model_config: dict[str, Any]) -> ModelConfig:
    fields = {**gemma_fields(model_config, 6), "rope_local_base_freq": _local_base(model_config)}
    rest = {k: v for k, v in model_config.items() if k not in fields}
    return ModelConfig.from_model_config(rest, **fields)


def config_from_gguf(get: GgufGet, tensor_names: set[str]) -> ModelConfig:
    common = gguf_common_fields(get, tensor_names)
    return ModelConfig(**common, sliding_window=int(get("attention.sliding_window", 0)), sliding_window_pattern=6,
                       rope_local_base_freq=LOCAL_BASE,
                       query_pre_attn_scalar=float(get("attention.key_length", common["head_dim"])))


def architecture(config: ModelConfig) -> Architecture:
    local = Rope.of(config.rope_local_base_freq or config.position_embedding_base, None)
    return gemma_architecture(config, local, Rope.of(config.position_embedding_base, config.rope_scaling),
                              qk_norm=True)


FAMILY = Family(
    name="gemma3",
    model_types=("gemma3_text", "gemma3"),
    config_from_hf=config_from_hf,
    config_from_mlc=config_from_mlc,
    architecture=architecture,
    hf_names=HF_NAMES,
    hf_plus_one=PLUS_ONE + QK_NORMS,
    hf_unused=(ROTARY_INV_FREQ,),
    gguf_architectures=("gemma3",),
    config_from_gguf=config_from_gguf,
    gguf_names={**GGUF_NAMES, "blk.{i}.attn_q_norm.weight": QK_NORMS[0],
                "blk.{i}.attn_k_norm.weight": QK_NORMS[1]},
    gguf_norms_plus_one=True,
)
