"""What the converter reads from any source: a model in Hugging Face terms.

Both sources (GGUF files and HF safetensors folders) present tensors under
HF `transformers` names and layouts, so one declarative map per family
(`Family.hf_names`, applied by `parameter_map.py`) takes either to MLC's names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..model.config import ModelConfig
from ..model.family import Family


class ConversionError(ValueError):
    """The source cannot be converted; the message says what and why."""


TensorLoader = Callable[[], np.ndarray]  # returns float32, HF layout


@dataclass
class ModelSource:
    model_type: str  # MLC's model_type ("llama", "mistral", "qwen2", ...)
    family: Family
    config: ModelConfig
    tensors: dict[str, TensorLoader]  # HF name -> loader
    tokenizer_files: dict[str, Any]  # file name -> JSON object (tokenizer.json, ...)
    tokenizer_info: dict[str, Any]  # MLC's tokenizer_info
    chat_template: str | None
    special_tokens: dict[str, str]  # bos_token / eos_token / ... as text, for Jinja
    bos_token_id: int | None
    eos_token_ids: list[int]
    pad_token_id: int | None
    generation: dict[str, float] = field(default_factory=dict)  # sampling defaults
    description: str = ""
