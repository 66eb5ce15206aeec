"""Read a GGUF file as a `ModelSource`: HF names, HF layouts, HF values, float32.

Every tensor type the `gguf` package can dequantize is accepted (F32, F16,
BF16, Q4_0, Q4_1, Q8_0, K-quants, ...). The family (looked up by
`general.architecture`) gives the name map and the quirks of llama.cpp's
converter for it: for Llama it permutes the rows of attn_q / attn_k for its
interleaved rope (HF and MLC use rotate-half, so they are permuted back);
for Gemma it stores 1 + w for every norm (given back as HF's w).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..model.config import ModelConfig, ModelConfigError
from ..model.family import Family
from ..model.registry import UnsupportedModelError, family_for_gguf
from .gguf_tokenizer import tokenizer_files_from_gguf, tokenizer_info_from_gguf
from .source import ConversionError, ModelSource


def _pattern(template: str) -> re.Pattern:
    return re.compile(re.escape(template).replace(r"\{i\}", r"(?P<i>\d+)") + "$")


def hf_names(family: Family, gguf_names: list[str]) -> dict[str, str]:
    """GGUF tensor name -> HF name through the family's map (`{i}` is the layer index);
    a tensor neither mapped nor listed unused fails the conversion."""
    patterns = [(_pattern(src), dst) for src, dst in family.gguf_names.items()]
    out, unknown = {}, []
    for name in gguf_names:
        for pattern, dst in patterns:
            m = pattern.match(name)
            if m:
                out[name] = dst.replace("{i}", m.group("i")) if "i" in m.groupdict() else dst
                break
        else:
            if name not in family.gguf_unused:
                unknown.append(name)
    if unknown:
        raise ConversionError(f"GGUF tensors with no mapping to the {family.name} model: {unknown[:8]}")
    return out


def unpermute_rope_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Undo llama.cpp's q/k row permutation: per head, rows (half, 2) -> (2, half)."""
    rows = w.shape[0]
    head_dim = rows // n_heads
    # (H, head_dim/2, 2, K) -> (H, 2, head_dim/2, K)
    return w.reshape(n_heads, head_dim // 2, 2, -1).swapaxes(1, 2).reshape(w.shape)


def _field(reader, key: str, default: Any = None) -> Any:
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def _f32(x: float) -> float:
    # GGUF stores float32; keep the value a person would write (9.99e-06 -> 1e-05).
    return float(str(np.float32(x)))


def _llama3_rope_scaling(factors: np.ndarray, head_dim: int, base: float) -> dict[str, Any]:
    """Recover HF's llama3 rope_scaling from llama.cpp's per-frequency divisors."""
    factor = float(factors.max())
    guess = {"rope_type": "llama3", "factor": factor, "low_freq_factor": 1.0,
             "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    expected = llama3_rope_divisors(guess, head_dim, base)
    if not np.allclose(expected, factors, rtol=1e-4):
        raise ConversionError(
            "rope_freqs.weight is not Llama 3's rope scaling with low/high frequency "
            "factors 1/4 and 8192 original positions; this variant is not supported"
        )
    return guess


def llama3_rope_divisors(scaling: dict[str, Any], head_dim: int, base: float) -> np.ndarray:
    """The per-frequency divisor llama3 rope scaling applies (as HF computes it)."""
    inv_freq = 1.0 / base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    wavelen = 2 * np.pi / inv_freq
    old = scaling["original_max_position_embeddings"]
    low, high, factor = scaling["low_freq_factor"], scaling["high_freq_factor"], scaling["factor"]
    smooth = (old / wavelen - low) / (high - low)
    divisor = 1.0 / ((1 - smooth) / factor + smooth)
    divisor = np.where(wavelen > old / low, factor, divisor)
    return np.where(wavelen < old / high, 1.0, divisor).astype(np.float32)


def _config(reader, family: Family, tensors: dict[str, Any]) -> ModelConfig:
    arch = _field(reader, "general.architecture")

    def get(key: str, default: Any) -> Any:
        value = _field(reader, key if key.startswith(("tokenizer.", "general.")) else f"{arch}.{key}", default)
        if value is None:
            raise ConversionError(f"GGUF metadata lacks {arch}.{key}, which a {family.name} model needs")
        return _f32(value) if isinstance(value, float) else value

    try:
        config = family.config_from_gguf(get, set(tensors))
        if "rope_freqs.weight" in tensors:
            scaling = _llama3_rope_scaling(np.asarray(tensors["rope_freqs.weight"].data), config.head_dim,
                                           config.position_embedding_base)
            config = replace(config, rope_scaling=scaling)
        return config
    except (TypeError, ValueError, ModelConfigError) as e:
        if isinstance(e, ConversionError):
            raise
        raise ConversionError(f"GGUF metadata does not describe a valid {arch} model: {e}") from e


def _loader(tensor, family: Family, config: ModelConfig, name: str):
    from gguf.quants import dequantize

    def load() -> np.ndarray:
        w = np.asarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        if family.gguf_permuted_qk and name.endswith("self_attn.q_proj.weight"):
            w = unpermute_rope_rows(w, config.num_attention_heads)
        elif family.gguf_permuted_qk and name.endswith("self_attn.k_proj.weight"):
            w = unpermute_rope_rows(w, config.num_key_value_heads)
        elif family.gguf_norms_plus_one and name.endswith("norm.weight"):
            w = w - np.float32(1.0)
        return w

    return load


def _special_token_ids(reader) -> tuple[int | None, list[int], int | None]:
    bos = _field(reader, "tokenizer.ggml.bos_token_id")
    eos = _field(reader, "tokenizer.ggml.eos_token_id")
    eot = _field(reader, "tokenizer.ggml.eot_token_id")
    eos_ids = [int(x) for x in (eos, eot) if x is not None]
    pad = _field(reader, "tokenizer.ggml.padding_token_id")
    return (None if bos is None else int(bos)), list(dict.fromkeys(eos_ids)), (None if pad is None else int(pad))


def read_gguf(path: Path) -> ModelSource:
    import gguf

    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as e:  # the gguf package raises bare ValueError/struct errors
        raise ConversionError(f"{path} is not a readable GGUF file: {e}") from e
    try:
        family = family_for_gguf(_field(reader, "general.architecture"))
    except UnsupportedModelError as e:
        raise ConversionError(str(e)) from e
    raw = {t.name: t for t in reader.tensors}
    names = hf_names(family, list(raw))
    config = _config(reader, family, raw)
    tensors = {hf: _loader(raw[name], family, config, hf) for name, hf in names.items()}
    files = tokenizer_files_from_gguf(reader)
    tokenizer_config = files.get("tokenizer_config.json", {})
    bos, eos, pad = _special_token_ids(reader)
    return ModelSource(
        model_type=family.model_types[0],
        family=family,
        config=config,
        tensors=tensors,
        tokenizer_files=files,
        tokenizer_info=tokenizer_info_from_gguf(reader),
        chat_template=_field(reader, "tokenizer.chat_template"),
        special_tokens={k: v for k, v in tokenizer_config.items()
                        if k in ("bos_token", "eos_token", "pad_token", "unk_token") and isinstance(v, str)},
        bos_token_id=bos,
        eos_token_ids=eos,
        pad_token_id=pad,
        description=str(_field(reader, "general.name", path.stem)),
    )
