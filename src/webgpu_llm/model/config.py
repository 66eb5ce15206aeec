"""Model configuration, as MLC's `model_config` block holds it, for every family.

One frozen dataclass, validated once, shared by the converter (which writes
it) and the runtime (which builds kernels from it). The fields that only some
families use have neutral defaults (no window, no soft-capping, ...); which
family reads which field is the family module's business (model/<family>.py),
and what the graph builds from them is its `Architecture` (architecture.py).
Field names follow MLC's model_config, which mostly follows HF's config.json.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class ModelConfigError(ValueError):
    """A model_config that is missing a field or holds an impossible value."""


# Rope scaling kinds we implement (HF's rope_type names; Phi-3's older "su" is longrope).
ROPE_SCALING_TYPES = ("llama3", "longrope", "linear")

REQUIRED_FIELDS = (
    "hidden_size",
    "intermediate_size",
    "num_attention_heads",
    "num_hidden_layers",
    "rms_norm_eps",
    "vocab_size",
)


@dataclass(frozen=True, slots=True)
class ModelConfig:
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
    # Keys a windowed layer attends to, itself included (Mistral, Gemma 2/3); 0: no window.
    sliding_window: int = 0
    # Gemma 3: every sliding_window_pattern-th layer is global, the others local (0: Gemma 2's alternation).
    sliding_window_pattern: int = 0
    rope_local_base_freq: float = 0.0  # Gemma 3's local layers' rope base (0: position_embedding_base)
    attn_logit_softcapping: float = 0.0  # Gemma 2: scores -> cap * tanh(scores / cap); 0: off
    final_logit_softcapping: float = 0.0  # Gemma 2: logits -> cap * tanh(logits / cap); 0: off
    query_pre_attn_scalar: float = 0.0  # Gemma: scores scaled by its -1/2 power (0: head_dim's)
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
        for name in ("sliding_window", "sliding_window_pattern", "rope_local_base_freq",
                     "attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar"):
            if getattr(self, name) < 0:
                raise ModelConfigError(f"{name} must be >= 0 (0: off), got {getattr(self, name)}")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ModelConfigError(
                f"num_attention_heads {self.num_attention_heads} must be a multiple of "
                f"num_key_value_heads {self.num_key_value_heads} (grouped-query attention)"
            )
        if self.rope_scaling is not None:
            self._check_rope_scaling()

    def _check_rope_scaling(self) -> None:
        kind = rope_scaling_type(self.rope_scaling)
        if kind not in ROPE_SCALING_TYPES:
            raise ModelConfigError(f"rope_scaling type {kind!r} is not supported; supported: {ROPE_SCALING_TYPES}")
        if kind == "longrope":
            half = self.head_dim // 2
            for key in ("short_factor", "long_factor"):
                factors = self.rope_scaling.get(key)
                if not isinstance(factors, list) or len(factors) != half:
                    raise ModelConfigError(f"longrope rope_scaling needs {key} with head_dim/2 = {half} values")
            if not self.rope_scaling.get("original_max_position_embeddings"):
                raise ModelConfigError("longrope rope_scaling needs original_max_position_embeddings")

    @classmethod
    def from_model_config(cls, config: dict[str, Any], **overrides: Any) -> ModelConfig:
        """Build from the `model_config` block of `mlc-chat-config.json` (fields we do not
        know are kept in `extra`, so they are written back unchanged)."""
        missing = [k for k in REQUIRED_FIELDS if k not in config and k not in overrides]
        if missing:
            raise ModelConfigError(f"model_config lacks required fields {missing}")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        values = {k: v for k, v in config.items() if k in known and v is not None}
        # Older MLC configs and HF configs name the rope base rope_theta.
        if "position_embedding_base" not in values and "rope_theta" in config:
            values["position_embedding_base"] = config["rope_theta"]
        values.update(overrides)
        values["extra"] = {k: v for k, v in config.items() if k not in known and k not in overrides}
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


def rope_scaling_type(scaling: dict[str, Any] | None) -> str:
    """HF's rope_type (older configs say `type`); "default" when there is no scaling."""
    if not scaling:
        return "default"
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    return "longrope" if kind == "su" else kind
