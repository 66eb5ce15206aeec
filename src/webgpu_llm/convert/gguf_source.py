"""Read a GGUF file as a `ModelSource`: HF names, HF layouts, float32.

Every tensor type the `gguf` package can dequantize is accepted (F32, F16,
BF16, Q4_0, Q4_1, Q8_0, K-quants, ...). llama.cpp's converter permutes the
rows of attn_q / attn_k for its interleaved rope; HF (and MLC) use the
rotate-half layout, so those two are permuted back here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ..model.llama_config import LlamaConfig, ModelConfigError
from .gguf_tokenizer import tokenizer_files_from_gguf, tokenizer_info_from_gguf
from .source import ConversionError, ModelSource

SUPPORTED_ARCHITECTURES = ("llama",)

# GGUF tensor name -> HF name. `{i}` is the layer index. Every GGUF tensor
# must match a row here or `UNUSED_GGUF_TENSORS`, else conversion fails.
GGUF_TO_HF = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
    "blk.{i}.attn_norm.weight": "model.layers.{i}.input_layernorm.weight",
    "blk.{i}.attn_q.weight": "model.layers.{i}.self_attn.q_proj.weight",
    "blk.{i}.attn_k.weight": "model.layers.{i}.self_attn.k_proj.weight",
    "blk.{i}.attn_v.weight": "model.layers.{i}.self_attn.v_proj.weight",
    "blk.{i}.attn_output.weight": "model.layers.{i}.self_attn.o_proj.weight",
    "blk.{i}.ffn_norm.weight": "model.layers.{i}.post_attention_layernorm.weight",
    "blk.{i}.ffn_gate.weight": "model.layers.{i}.mlp.gate_proj.weight",
    "blk.{i}.ffn_up.weight": "model.layers.{i}.mlp.up_proj.weight",
    "blk.{i}.ffn_down.weight": "model.layers.{i}.mlp.down_proj.weight",
}
# Llama 3.1+ GGUFs carry the rope scaling as per-frequency factors; we turn
# them back into HF's `rope_scaling` (checked to reproduce the factors).
UNUSED_GGUF_TENSORS = ("rope_freqs.weight",)


def _pattern(template: str) -> re.Pattern:
    return re.compile(re.escape(template).replace(r"\{i\}", r"(?P<i>\d+)") + "$")


_GGUF_PATTERNS = [(_pattern(src), dst) for src, dst in GGUF_TO_HF.items()]


def hf_name(gguf_name: str) -> str | None:
    for pattern, dst in _GGUF_PATTERNS:
        m = pattern.match(gguf_name)
        if m:
            return dst.replace("{i}", m.group("i")) if "i" in m.groupdict() else dst
    return None


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


def _config(reader, tensors: dict[str, Any], vocab_size: int) -> LlamaConfig:
    arch = _field(reader, "general.architecture")
    key = lambda name: f"{arch}.{name}"  # noqa: E731
    heads = int(_field(reader, key("attention.head_count")))
    hidden = int(_field(reader, key("embedding_length")))
    head_dim = int(_field(reader, key("attention.key_length"), hidden // heads))
    base = _f32(_field(reader, key("rope.freq_base"), 10000.0))
    rope_scaling = None
    if "rope_freqs.weight" in tensors:
        rope_scaling = _llama3_rope_scaling(np.asarray(tensors["rope_freqs.weight"].data), head_dim, base)
    context = int(_field(reader, key("context_length"), 4096))
    try:
        return LlamaConfig(
            hidden_size=hidden,
            intermediate_size=int(_field(reader, key("feed_forward_length"))),
            num_attention_heads=heads,
            num_key_value_heads=int(_field(reader, key("attention.head_count_kv"), heads)),
            num_hidden_layers=int(_field(reader, key("block_count"))),
            rms_norm_eps=_f32(_field(reader, key("attention.layer_norm_rms_epsilon"))),
            vocab_size=int(_field(reader, key("vocab_size"), vocab_size)),
            head_dim=head_dim,
            tie_word_embeddings="output.weight" not in tensors,
            position_embedding_base=base,
            rope_scaling=rope_scaling,
            context_window_size=context,
            prefill_chunk_size=min(2048, context),
        )
    except (TypeError, ModelConfigError) as e:
        raise ConversionError(f"GGUF metadata does not describe a valid {arch} model: {e}") from e


def _loader(tensor, config: LlamaConfig, name: str):
    from gguf.quants import dequantize

    def load() -> np.ndarray:
        w = np.asarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        if name.endswith("self_attn.q_proj.weight"):
            w = unpermute_rope_rows(w, config.num_attention_heads)
        elif name.endswith("self_attn.k_proj.weight"):
            w = unpermute_rope_rows(w, config.num_key_value_heads)
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
    arch = _field(reader, "general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise ConversionError(f"GGUF architecture {arch!r} is not supported; supported: {SUPPORTED_ARCHITECTURES}")
    raw = {t.name: t for t in reader.tensors}
    unknown = [n for n in raw if hf_name(n) is None and n not in UNUSED_GGUF_TENSORS]
    if unknown:
        raise ConversionError(f"GGUF tensors with no mapping to the Llama model: {unknown[:8]}")
    vocab = len(_field(reader, "tokenizer.ggml.tokens", []))
    config = _config(reader, raw, vocab)
    tensors = {hf_name(n): _loader(t, config, hf_name(n)) for n, t in raw.items() if hf_name(n)}
    files = tokenizer_files_from_gguf(reader)
    tokenizer_config = files.get("tokenizer_config.json", {})
    bos, eos, pad = _special_token_ids(reader)
    return ModelSource(
        model_type="llama",
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
