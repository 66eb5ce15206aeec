"""What a family module declares (model/<family>.py), and the parsing they share.

A `Family` is data plus three functions: config parsing (from HF's
config.json, from GGUF metadata, from MLC's model_config), the layer
description the graph builds (`architecture`), and the name maps with their
quirks. The registry (registry.py) lists the families; the loader, the
converter and the tests look them up there and nowhere else.

Name maps are templates with `{i}` for the layer index. An MLC parameter
missing from `hf_names` comes from the HF tensor of the same name (MLC's own
loaders do the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .architecture import Architecture, parameter_shapes
from .config import ModelConfig, ModelConfigError

# GGUF metadata of one architecture: get("attention.head_count", default) reads
# "<arch>.attention.head_count"; keys under "tokenizer." and "general." are read as they are.
GgufGet = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Family:
    name: str
    model_types: tuple[str, ...]  # HF's and MLC's model_type values this family reads
    config_from_hf: Callable[[dict[str, Any]], ModelConfig]
    architecture: Callable[[ModelConfig], Architecture]
    config_from_mlc: Callable[[dict[str, Any]], ModelConfig] = ModelConfig.from_model_config
    # MLC template -> HF templates, stacked along axis 0 (fused projections).
    hf_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # MLC templates whose stored value is 1 + the HF tensor (Gemma's norms: HF computes x * (1 + w);
    # MLC's Gemma loaders fold the 1 in, and so do we, so one RMSNorm kernel serves every family).
    hf_plus_one: tuple[str, ...] = ()
    hf_unused: tuple[str, ...] = ()  # regular expressions of HF tensors the model recomputes
    gguf_architectures: tuple[str, ...] = ()  # general.architecture values
    config_from_gguf: Callable[[GgufGet, set[str]], ModelConfig] | None = None
    gguf_names: dict[str, str] = field(default_factory=dict)  # GGUF template -> HF template
    gguf_unused: tuple[str, ...] = ()
    # llama.cpp permutes attn_q/attn_k rows for its interleaved rope, for Llama-converted models only.
    gguf_permuted_qk: bool = False
    # llama.cpp's Gemma converters store 1 + w for every norm weight; the reader gives HF's w back.
    gguf_norms_plus_one: bool = False

    def parameter_shapes(self, config: ModelConfig) -> dict[str, tuple[int, ...]]:
        return parameter_shapes(config, self.architecture(config))


def hf_rope(hf: dict[str, Any]) -> tuple[float, dict[str, Any] | None]:
    """Rope base and scaling: top-level `rope_theta` / `rope_scaling` (transformers 4), or
    one `rope_parameters` block (transformers 5) whose rope_type "default" means no scaling."""
    params = hf.get("rope_parameters")
    if isinstance(params, dict):
        if "full_attention" in params:  # transformers 5, Gemma 3: one block per layer type
            params = params["full_attention"]
        scaling = {k: v for k, v in params.items() if k != "rope_theta"}
        kind = scaling.get("rope_type", scaling.get("type", "default"))
        return float(params.get("rope_theta", hf.get("rope_theta", 10000.0))), None if kind == "default" else scaling
    scaling = hf.get("rope_scaling")
    if isinstance(scaling, dict) and scaling.get("rope_type", scaling.get("type")) == "default":
        scaling = None
    return float(hf.get("rope_theta", 10000.0)), scaling


def hf_common_fields(hf: dict[str, Any]) -> dict[str, Any]:
    """The ModelConfig fields every family reads the same way from config.json."""
    context = int(hf.get("max_position_embeddings", 4096))
    rope_base, rope_scaling = hf_rope(hf)
    try:
        return dict(
            hidden_size=hf["hidden_size"],
            intermediate_size=hf["intermediate_size"],
            num_attention_heads=hf["num_attention_heads"],
            num_key_value_heads=hf.get("num_key_value_heads") or hf["num_attention_heads"],
            num_hidden_layers=hf["num_hidden_layers"],
            rms_norm_eps=hf["rms_norm_eps"],
            vocab_size=hf["vocab_size"],
            head_dim=hf.get("head_dim") or 0,
            tie_word_embeddings=bool(hf.get("tie_word_embeddings", False)),
            position_embedding_base=rope_base,
            rope_scaling=rope_scaling,
            context_window_size=context,
            prefill_chunk_size=min(2048, context),
        )
    except KeyError as e:
        raise ModelConfigError(f"config.json lacks {e.args[0]!r}, which a {hf.get('model_type')} model needs") from e


def gguf_common_fields(get: GgufGet, tensor_names: set[str]) -> dict[str, Any]:
    """The ModelConfig fields llama.cpp writes the same way for every architecture."""
    heads = int(get("attention.head_count", None))
    hidden = int(get("embedding_length", None))
    context = int(get("context_length", 4096))
    return dict(
        hidden_size=hidden,
        intermediate_size=int(get("feed_forward_length", None)),
        num_attention_heads=heads,
        num_key_value_heads=int(get("attention.head_count_kv", heads)),
        num_hidden_layers=int(get("block_count", None)),
        rms_norm_eps=float(get("attention.layer_norm_rms_epsilon", None)),
        head_dim=int(get("attention.key_length", hidden // heads)),
        vocab_size=int(get("vocab_size", 0) or len(get("tokenizer.ggml.tokens", []))),
        tie_word_embeddings="output.weight" not in tensor_names,
        position_embedding_base=float(get("rope.freq_base", 10000.0)),
        context_window_size=context,
        prefill_chunk_size=min(2048, context),
    )


# llama.cpp's tensor names for the parts every llama-like architecture shares.
LLAMA_LIKE_GGUF_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
    "blk.{i}.attn_norm.weight": "model.layers.{i}.input_layernorm.weight",
    "blk.{i}.attn_q.weight": "model.layers.{i}.self_attn.q_proj.weight",
    "blk.{i}.attn_k.weight": "model.layers.{i}.self_attn.k_proj.weight",
    "blk.{i}.attn_v.weight": "model.layers.{i}.self_attn.v_proj.weight",
    "blk.{i}.attn_output.weight": "model.layers.{i}.self_attn.o_proj.weight",
    "blk.{i}.ffn_norm.weight": "model.layers.{i}.post_attention_layernorm.weight",
    "blk.{i}.ffn_gate.weight": "model.layers.{i}.mlp.gate_proj.weight",
    "blk.{i}.ffn_up.weight": "model.layers.{i}.mlp.up_proj.weight",
    "blk.{i}.ffn_down.weight": "model.layers.{i}.mlp.down_proj.weight",
}

# HF's separate projections -> MLC's fused ones (rows q, k, v and gate, up).
FUSED_QKV = ("model.layers.{i}.self_attn.q_proj.weight", "model.layers.{i}.self_attn.k_proj.weight",
             "model.layers.{i}.self_attn.v_proj.weight")
FUSED_GATE_UP = ("model.layers.{i}.mlp.gate_proj.weight", "model.layers.{i}.mlp.up_proj.weight")
ROTARY_INV_FREQ = r"model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq"
