"""The one list of model families. The loader, the converter and the tests read it.

Adding a family: write model/<family>.py with a `FAMILY`, add its module below.
"""

from __future__ import annotations

from . import gemma2, gemma3, llama, phi3, qwen2, qwen3
from .family import Family

FAMILIES: tuple[Family, ...] = (llama.FAMILY, qwen2.FAMILY, qwen3.FAMILY, phi3.FAMILY, gemma2.FAMILY, gemma3.FAMILY)


class UnsupportedModelError(ValueError):
    """A model_type or GGUF architecture no family reads."""


def model_types() -> tuple[str, ...]:
    return tuple(t for f in FAMILIES for t in f.model_types)


def gguf_architectures() -> tuple[str, ...]:
    return tuple(a for f in FAMILIES for a in f.gguf_architectures)


def family_for_model_type(model_type: str | None) -> Family:
    for family in FAMILIES:
        if model_type in family.model_types:
            return family
    raise UnsupportedModelError(f"model_type {model_type!r} is not supported; supported: {model_types()}")


def family_for_gguf(architecture: str | None) -> Family:
    for family in FAMILIES:
        if architecture in family.gguf_architectures:
            return family
    raise UnsupportedModelError(f"GGUF architecture {architecture!r} is not supported; "
                                f"supported: {gguf_architectures()}")
