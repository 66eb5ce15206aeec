"""Llama-family model configuration, read from MLC's `model_config`.

One frozen dataclass, validated once, shared by the converter (which writes
it) and the runtime (which builds kernels from it). Covers Llama 2, 3, 3.1,
3.2, SmolLM2, TinyLlama and Mistral: they differ only in sizes, rope base,
rope scaling and whether the embedding is tied to the LM head.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class ModelConfigError(ValueError):
    """A model_config that is missing a field or holds an impossible value."""


# Rope scaling kinds we implement; MLC and HF both call Llama 3.1's "llama3".
ROPE_SCALING_TYPES = ("llama3",)

_REQUIRED = (
    "hidden_size",
    "intermediate_size",
    "num_attention_heads",
    "num_hidden_layers",
    "rms_norm_eps",
    "vocab_size",
)


@dataclass(frozen=True, slots=True)
class LlamaConfig:
    hidden_size: int
    intermediate_size: int
    num_attention_heads: int
    num_hidden_layers: int
    rms_norm_eps: float
    vocab_size: int
    num_key_value_heads: int = 0  # 0: same as num_attention_heads (set in __post_init__)
    head_dim: int = 0  # 0: hidden_size // num_attention_heads
    tie_word_embeddings: bool = False
    position_embedding_base: float = 10000.0
    rope_scaling: dict[str, Any] | None = None
    context_window_size: int = 4096
    prefill_chunk_size: int = 2048
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.num_key_value_heads == 0:
            object.__setattr__(self, "num_key_value_heads", self.num_attention_heads)
        if self.head_dim == 0:
            if self.hidden_size % self.num_attention_heads:
                raise ModelConfigError(
                    f"hidden_size {self.hidden_size} is not divisible by "
                    f"num_attention_heads {self.num_attention_heads}; give head_dim explicitly"
                )
            object.__setattr__(self, "head_dim", self.hidden_size // self.num_attention_heads)
        for name in ("hidden_size", "intermediate_size", "num_attention_heads",
                     "num_hidden_layers", "vocab_size", "context_window_size",
                     "prefill_chunk_size", "head_dim"):
            if getattr(self, name) <= 0:
                raise ModelConfigError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ModelConfigError(
                f"num_attention_heads {self.num_attention_heads} must be a multiple of "
                f"num_key_value_heads {self.num_key_value_heads} (grouped-query attention)"
            )
        if self.rope_scaling is not None:
            kind = self.rope_scaling.get("rope_type", self.rope_scaling.get("type"))
            if kind not in ROPE_SCALING_TYPES:
                raise ModelConfigError(
                    f"rope_scaling type {kind!r} is not supported; supported: {ROPE_SCALING_TYPES}"
                )

    @classmethod
    def from_model_config(cls, config: dict[str, Any]) -> LlamaConfig:
        """Build from the `model_config` block of `mlc-chat-config.json`."""
        missing = [k for k in _REQUIRED if k not in config]
        if missing:
            raise ModelConfigError(f"model_config lacks required fields {missing}")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        values = {k: v for k, v in config.items() if k in known}
        # Older MLC configs and HF configs name the rope base rope_theta.
        if "position_embedding_base" not in values and "rope_theta" in config:
            values["position_embedding_base"] = config["rope_theta"]
        values["extra"] = {k: v for k, v in config.items() if k not in known}
        return cls(**values)

    def to_model_config(self) -> dict[str, Any]:
        """The `model_config` block as MLC writes it."""
        out = {k: v for k, v in asdict(self).items() if k != "extra"}
        out.update(self.extra)
        return out

    @property
    def q_size(self) -> int:
        return self.num_attention_heads * self.head_dim

    @property
    def kv_size(self) -> int:
        return self.num_key_value_heads * self.head_dim

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every parameter under MLC's (unquantized) names, in model order.

        MLC fuses q/k/v into `qkv_proj` (rows: q, then k, then v) and gate/up
        into `gate_up_proj` (rows: gate, then up). Tied models have no lm_head.
        """
        d, f = self.hidden_size, self.intermediate_size
        shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (self.vocab_size, d)}
        for i in range(self.num_hidden_layers):
            p = f"model.layers.{i}"
            shapes[f"{p}.input_layernorm.weight"] = (d,)
            shapes[f"{p}.self_attn.qkv_proj.weight"] = (self.q_size + 2 * self.kv_size, d)
            shapes[f"{p}.self_attn.o_proj.weight"] = (d, self.q_size)
            shapes[f"{p}.post_attention_layernorm.weight"] = (d,)
            shapes[f"{p}.mlp.gate_up_proj.weight"] = (2 * f, d)
            shapes[f"{p}.mlp.down_proj.weight"] = (d, f)
        shapes["model.norm.weight"] = (d,)
        if not self.tie_word_embeddings:
            shapes["lm_head.weight"] = (self.vocab_size, d)
        return shapes
