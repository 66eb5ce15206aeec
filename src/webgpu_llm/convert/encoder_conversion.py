"""A sentence-transformers BERT folder -> an MLC encoder artifact (native only).

The folder is what sentence-transformers saves: `config.json` (HF BertConfig),
`model.safetensors`, `tokenizer.json`, `1_Pooling/config.json`, `modules.json`
(a `Normalize` module means L2-normalized outputs) and `sentence_bert_config.json`
(`max_seq_length`). Names map as `embeddings/encoder_config.parameter_shapes`
lists them: HF's, with each layer's query/key/value fused into `qkv`. Every
source tensor is mapped or listed in UNUSED, else conversion fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..embeddings.encoder_config import MODEL_TYPE, EncoderConfig, EncoderConfigError, parameter_shapes
from ..weights.quantization import expected_records, get_scheme
from .artifact_writer import ArtifactWriter
from .hf_source import _read_header, _safetensors_loader
from .quantizers import quantize
from .source import ConversionError

ENCODER_SCHEMES = ("q0f16", "q0f32")  # the encoder kernels read 16-bit weights
UNUSED = (re.compile(r"embeddings\.position_ids"),  # a buffer of arange(512), not a weight
          re.compile(r"pooler\.dense\.(weight|bias)"))  # BertPooler: sentence-transformers pools itself
_QKV = re.compile(r"(encoder\.layer\.\d+\.attention\.self\.)qkv\.(weight|bias)")


def _pooling(folder: Path) -> tuple[str, bool]:
    modules = json.loads((folder / "modules.json").read_text()) if (folder / "modules.json").is_file() else []
    normalize = any(m.get("type", "").endswith(".Normalize") for m in modules)
    pooling_dir = next((m["path"] for m in modules if m.get("type", "").endswith(".Pooling")), "1_Pooling")
    pooling_file = folder / pooling_dir / "config.json"
    if not pooling_file.is_file():
        return "cls", normalize  # a plain BERT checkpoint: its [CLS] row
    pooling = json.loads(pooling_file.read_text())
    modes = [m for m in ("mean_tokens", "cls_token") if pooling.get(f"pooling_mode_{m}")]
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v
              and k.removeprefix("pooling_mode_") not in ("mean_tokens", "cls_token")]
    if len(modes) != 1 or others:
        raise ConversionError(f"{pooling_file}: pooling {pooling}; supported: exactly one of mean_tokens, cls_token")
    return ("mean" if modes[0] == "mean_tokens" else "cls"), normalize


def read_encoder_config(folder: Path) -> EncoderConfig:
    hf = json.loads((folder / "config.json").read_text())
    st_file = folder / "sentence_bert_config.json"
    max_length = json.loads(st_file.read_text()).get("max_seq_length") if st_file.is_file() else None
    pooling, normalize = _pooling(folder)
    try:
        return EncoderConfig.from_hf(hf, pooling=pooling, normalize=normalize,
                                     max_length=int(max_length or hf["max_position_embeddings"]))
    except (EncoderConfigError, KeyError) as e:
        raise ConversionError(f"{folder / 'config.json'}: {e}") from e


def _source_tensors(folder: Path) -> dict[str, Any]:
    """Loaders of the tensors of every *.safetensors file, except those listed UNUSED."""
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ConversionError(f"{folder} has no *.safetensors files")
    tensors = {}
    for path in files:
        header, data_start = _read_header(path)
        for name, info in header.items():
            if not any(p.fullmatch(name) for p in UNUSED):  # position_ids is int64: no float loader
                tensors[name] = _safetensors_loader(path, info, data_start, name)
    return tensors


def source_names(name: str) -> list[str]:
    """The HF tensors that make one MLC parameter."""
    fused = _QKV.fullmatch(name)
    if fused:
        prefix, kind = fused.groups()
        return [f"{prefix}{part}.{kind}" for part in ("query", "key", "value")]
    return [name]


def convert_encoder(folder: Path, quantization: str, output: Path, *, overwrite: bool = False) -> EncoderConfig:
    """Write the artifact into `output` (atomically: nothing is left behind on failure)."""
    if quantization not in ENCODER_SCHEMES:
        raise ConversionError(f"quantization {quantization!r} for an encoder; allowed: {ENCODER_SCHEMES}")
    scheme = get_scheme(quantization)
    config = read_encoder_config(folder)
    tensors = _source_tensors(folder)
    shapes = parameter_shapes(config)
    used = {s for name in shapes for s in source_names(name)}
    left = sorted(n for n in tensors if n not in used)
    if left:
        raise ConversionError(f"{folder}: source tensors neither mapped nor listed unused: {left[:8]}")
    missing = sorted(s for s in used if s not in tensors)
    if missing:
        raise ConversionError(f"{folder}: the encoder needs tensors the source lacks: {missing[:8]}")
    with ArtifactWriter(output, overwrite=overwrite) as writer:
        for name, shape in shapes.items():
            value = np.concatenate([tensors[s]() for s in source_names(name)], axis=0)
            if value.shape != shape:
                raise ConversionError(f"{name}: source shape {value.shape}, the config implies {shape}")
            writer.add_tensor(name, quantize(scheme, value)["weight"])
        writer.add_file("tokenizer.json", (folder / "tokenizer.json").read_bytes())
        writer.add_json("mlc-chat-config.json", encoder_chat_config(config, scheme.name))
        if writer.records() != expected_records(scheme, shapes):
            raise ConversionError("internal error: written records differ from the encoder's parameter list")
    return config


def encoder_chat_config(config: EncoderConfig, quantization: str) -> dict[str, Any]:
    return {"version": "0.1.0", "model_type": MODEL_TYPE, "quantization": quantization,
            "model_config": config.model_config(), "pooling": config.pooling, "normalize": config.normalize,
            "context_window_size": config.max_length, "prefill_chunk_size": config.max_length,
            "tokenizer_files": ["tokenizer.json"]}
