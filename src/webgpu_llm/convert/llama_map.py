"""HF Llama names -> MLC Llama names: a declarative map plus its fusions.

Each MLC parameter is made from one or more HF tensors; fused ones are
stacked along the output (row) axis in the order listed, which is the order
MLC's fused projections use (q, k, v and gate, up). Every source tensor is
either consumed by a row here or named in `UNUSED_HF_TENSORS`; anything else
fails the conversion with its name (STYLE.md, principle 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model.llama_config import LlamaConfig
from .source import ConversionError

# MLC name -> HF names, stacked along axis 0 when more than one.
LLAMA_PARAMETER_MAP: dict[str, tuple[str, ...]] = {
    "model.embed_tokens.weight": ("model.embed_tokens.weight",),
    "model.layers.{i}.input_layernorm.weight": ("model.layers.{i}.input_layernorm.weight",),
    "model.layers.{i}.self_attn.qkv_proj.weight": (
        "model.layers.{i}.self_attn.q_proj.weight",
        "model.layers.{i}.self_attn.k_proj.weight",
        "model.layers.{i}.self_attn.v_proj.weight",
    ),
    "model.layers.{i}.self_attn.o_proj.weight": ("model.layers.{i}.self_attn.o_proj.weight",),
    "model.layers.{i}.post_attention_layernorm.weight": ("model.layers.{i}.post_attention_layernorm.weight",),
    "model.layers.{i}.mlp.gate_up_proj.weight": (
        "model.layers.{i}.mlp.gate_proj.weight",
        "model.layers.{i}.mlp.up_proj.weight",
    ),
    "model.layers.{i}.mlp.down_proj.weight": ("model.layers.{i}.mlp.down_proj.weight",),
    "model.norm.weight": ("model.norm.weight",),
    "lm_head.weight": ("lm_head.weight",),
}

# Buffers some checkpoints save that the model recomputes from its config.
UNUSED_HF_TENSORS = (
    re.compile(r"model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq"),
)


@dataclass(frozen=True)
class ParameterPlan:
    name: str  # MLC name
    shape: tuple[int, ...]
    sources: tuple[str, ...]  # HF names, stacked along axis 0


def plan_llama_parameters(config: LlamaConfig, source_names: set[str]) -> list[ParameterPlan]:
    """Which HF tensors make each MLC parameter; fails on missing or stray tensors."""
    plans = []
    for name, shape in config.parameter_shapes().items():
        layer = re.search(r"layers\.(\d+)\.", name)
        template = name if layer is None else name.replace(f"layers.{layer.group(1)}.", "layers.{i}.", 1)
        sources = tuple(s.replace("{i}", layer.group(1)) if layer else s for s in LLAMA_PARAMETER_MAP[template])
        plans.append(ParameterPlan(name, shape, sources))
    consumed = {s for plan in plans for s in plan.sources}
    missing = sorted(consumed - source_names)
    if missing:
        raise ConversionError(f"the source lacks tensors the model needs: {missing[:8]}")
    # Some tied checkpoints still save a copy of the embedding as lm_head.
    unused = consumed | ({"lm_head.weight"} if config.tie_word_embeddings else set())
    stray = sorted(n for n in source_names - unused if not any(p.fullmatch(n) for p in UNUSED_HF_TENSORS))
    if stray:
        raise ConversionError(f"source tensors neither mapped nor listed as unused: {stray[:8]}")
    return plans
