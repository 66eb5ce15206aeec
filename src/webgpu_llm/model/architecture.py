"""The layer description a family gives the generic graph (graph.py).

Every family supported here is a pre-norm decoder with one attention block
and one gated MLP per layer; they differ in the features below. A family
module turns its config into an `Architecture`; the graph builds dispatches
from it, and `parameter_shapes` lists the MLC parameters it reads, so the
converter, the loader and the graph agree on names by construction.

    h = h + post_attn_norm?(o_proj(attention(rope(qk_norm?(qkv_proj(attn_norm(h)) + bias?)))))
    h = h + post_mlp_norm?(down_proj(act(gate(mlp_norm(h))) * up(mlp_norm(h))))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .config import ModelConfig

ACTIVATIONS = ("silu", "gelu_tanh")  # SwiGLU (Llama) or GeGLU with tanh-approximated gelu (Gemma)


@dataclass(frozen=True)
class Rope:
    """One set of rotary frequencies: a base and HF's rope_scaling (None: plain RoPE)."""

    base: float
    scaling: tuple[tuple[str, Any], ...] = ()  # rope_scaling items, sorted (hashable)

    @classmethod
    def of(cls, base: float, scaling: dict[str, Any] | None) -> Rope:
        return cls(float(base), tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                             for k, v in (scaling or {}).items())))

    @property
    def scaling_dict(self) -> dict[str, Any] | None:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.scaling} or None


@dataclass(frozen=True)
class AttentionLayer:
    window: int  # keys attended to, the query's own included; 0: every earlier key
    rope: Rope


@dataclass(frozen=True)
class Architecture:
    layers: tuple[AttentionLayer, ...]
    qkv: str = "self_attn.qkv_proj"  # MLC stem of the fused q/k/v product (Qwen: self_attn.c_attn)
    qkv_bias: bool = False  # a `<qkv>.bias` added before rope (Qwen2)
    qk_norm: bool = False  # per-head RMSNorm of q and k before rope (Qwen3, Gemma 3)
    attention_norm: str = "input_layernorm"
    mlp_norm: str = "post_attention_layernorm"  # Gemma: pre_feedforward_layernorm
    attention_post_norm: str | None = None  # Gemma: post_attention_layernorm, applied before the residual add
    mlp_post_norm: str | None = None  # Gemma: post_feedforward_layernorm
    activation: str = "silu"
    embedding_scale: float = 1.0  # Gemma: sqrt(hidden_size)
    attention_scale: float = 0.0  # 0: 1/sqrt(head_dim)
    attention_softcap: float = 0.0
    final_softcap: float = 0.0
    # MLC's parameter names follow each model's module tree (mlc_llm/model/<arch>/): HF's for most
    # families, its own for Phi-3 (transformer.embd, transformer.h.{i}.ln, mixer.out_proj, ...).
    embedding: str = "model.embed_tokens"
    layer_prefix: str = "model.layers"  # + ".{i}."
    attention_out: str = "self_attn.o_proj"
    final_norm: str = "model.norm"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} is not supported; supported: {ACTIVATIONS}")

    @property
    def ropes(self) -> tuple[Rope, ...]:
        """The distinct frequency sets, in first-use order (one inv_freq buffer each)."""
        return tuple(dict.fromkeys(layer.rope for layer in self.layers))

    def scale(self, config: ModelConfig) -> float:
        return self.attention_scale or 1.0 / math.sqrt(config.head_dim)


def uniform_layers(config: ModelConfig, window: int = 0) -> tuple[AttentionLayer, ...]:
    """Every layer alike: one rope from the config, one window (0: none)."""
    rope = Rope.of(config.position_embedding_base, config.rope_scaling)
    return tuple(AttentionLayer(window, rope) for _ in range(config.num_hidden_layers))


def parameter_shapes(config: ModelConfig, arch: Architecture) -> dict[str, tuple[int, ...]]:
    """Every parameter the graph reads, under MLC's (unquantized) names, in model order.

    MLC fuses q/k/v (rows: q, then k, then v) and gate/up (rows: gate, then up).
    Tied models have no lm_head."""
    d, f = config.hidden_size, config.intermediate_size
    qkv = config.q_size + 2 * config.kv_size
    shapes: dict[str, tuple[int, ...]] = {f"{arch.embedding}.weight": (config.vocab_size, d)}
    for i in range(config.num_hidden_layers):
        p = f"{arch.layer_prefix}.{i}"
        shapes[f"{p}.{arch.attention_norm}.weight"] = (d,)
        shapes[f"{p}.{arch.qkv}.weight"] = (qkv, d)
        if arch.qkv_bias:
            shapes[f"{p}.{arch.qkv}.bias"] = (qkv,)
        if arch.qk_norm:
            shapes[f"{p}.self_attn.q_norm.weight"] = (config.head_dim,)
            shapes[f"{p}.self_attn.k_norm.weight"] = (config.head_dim,)
        shapes[f"{p}.{arch.attention_out}.weight"] = (d, config.q_size)
        if arch.attention_post_norm:
            shapes[f"{p}.{arch.attention_post_norm}.weight"] = (d,)
        shapes[f"{p}.{arch.mlp_norm}.weight"] = (d,)
        shapes[f"{p}.mlp.gate_up_proj.weight"] = (2 * f, d)
        shapes[f"{p}.mlp.down_proj.weight"] = (d, f)
        if arch.mlp_post_norm:
            shapes[f"{p}.{arch.mlp_post_norm}.weight"] = (d,)
    shapes[f"{arch.final_norm}.weight"] = (d,)
    if not config.tie_word_embeddings:
        shapes["lm_head.weight"] = (config.vocab_size, d)
    return shapes
