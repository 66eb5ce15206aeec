"""HF names -> MLC names for any family: its declarative map plus its fusions.

Each MLC parameter is made from one or more HF tensors (the family's
`hf_names`, else the HF tensor of the same name); fused ones are stacked
along the output (row) axis in the order listed, which is the order MLC's
fused projections use (q, k, v and gate, up). Every source tensor is either
consumed by a plan here or matched by the family's `hf_unused`; anything
else fails the conversion with its name (STYLE.md, principle 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model.config import ModelConfig
from ..model.family import Family
from .source import ConversionError

_LAYER = re.compile(r"\.(\d+)\.")  # model.layers.3. / transformer.h.3. (Phi-3)


@dataclass(frozen=True)
class ParameterPlan:
    name: str  # MLC name
    shape: tuple[int, ...]
    sources: tuple[str, ...]  # HF names, stacked along axis 0
    plus_one: bool = False  # stored as 1 + the source (Gemma's norms, see Family.hf_plus_one)


def _template(name: str) -> tuple[str, str | None]:
    """An MLC name with its layer index replaced by {i}, and that index."""
    layer = _LAYER.search(name)
    if layer is None:
        return name, None
    return name.replace(layer.group(0), ".{i}.", 1), layer.group(1)


def plan_parameters(family: Family, config: ModelConfig, source_names: set[str]) -> list[ParameterPlan]:
    """Which HF tensors make each MLC parameter; fails on missing or stray tensors."""
    plans = []
    for name, shape in family.parameter_shapes(config).items():
        template, layer = _template(name)
        sources = family.hf_names.get(template, (template,))
        sources = tuple(s.replace("{i}", layer) if layer else s for s in sources)
        plans.append(ParameterPlan(name, shape, sources, template in family.hf_plus_one))
    consumed = {s for plan in plans for s in plan.sources}
    missing = sorted(consumed - source_names)
    if missing:
        raise ConversionError(f"the source lacks tensors the {family.name} model needs: {missing[:8]}")
    # Some tied checkpoints still save a copy of the embedding as lm_head.
    unused = consumed | ({"lm_head.weight"} if config.tie_word_embeddings else set())
    patterns = [re.compile(p) for p in family.hf_unused]
    stray = sorted(n for n in source_names - unused if not any(p.fullmatch(n) for p in patterns))
    if stray:
        raise ConversionError(f"source tensors neither mapped nor listed as unused: {stray[:8]}")
    return plans
