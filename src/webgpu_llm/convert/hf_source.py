"""Read a Hugging Face model folder (`config.json` + safetensors) as a `ModelSource`.

Safetensors files are read here directly (an 8-byte header length, a JSON
header, then raw little-endian data) because numpy has no bfloat16, the
dtype most HF checkpoints ship in.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ..model.config import ModelConfigError
from ..model.registry import UnsupportedModelError, family_for_model_type
from .source import ConversionError, ModelSource

SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def _read_header(path: Path) -> tuple[dict[str, Any], int]:
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    header.pop("__metadata__", None)
    return header, 8 + length


def _safetensors_loader(path: Path, info: dict[str, Any], data_start: int, name: str):
    dtype = info["dtype"]
    if dtype not in SAFETENSORS_DTYPES:
        raise ConversionError(f"{path.name}: tensor {name} has dtype {dtype}; supported: {sorted(SAFETENSORS_DTYPES)}")
    begin, end = info["data_offsets"]

    def load() -> np.ndarray:
        raw = np.fromfile(path, dtype=np.uint8, count=end - begin, offset=data_start + begin)
        array = raw.view(SAFETENSORS_DTYPES[dtype]).reshape(info["shape"])
        if dtype == "BF16":  # bf16 is the top half of a float32
            return (array.astype(np.uint32) << 16).view(np.float32)
        return array.astype(np.float32)

    return load


def _tensors(folder: Path) -> dict[str, Any]:
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ConversionError(f"{folder} has no *.safetensors files")
    tensors = {}
    for path in files:
        header, data_start = _read_header(path)
        for name, info in header.items():
            tensors[name] = _safetensors_loader(path, info, data_start, name)
    return tensors


def _token_ids(value: Any) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in (value if isinstance(value, list) else [value])]


def _special_tokens(tokenizer_config: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
        value = tokenizer_config.get(key)
        if isinstance(value, dict):  # AddedToken serialized as {"content": ...}
            value = value.get("content")
        if isinstance(value, str):
            out[key] = value
    return out


def _tokenizer_info(tokenizer_json: dict[str, Any]) -> dict[str, Any]:
    """MLC's tokenizer_info: how token strings turn back into bytes."""
    model = tokenizer_json.get("model", {})
    byte_fallback = bool(model.get("byte_fallback"))
    return {
        "token_postproc_method": "byte_fallback" if byte_fallback else "byte_level",
        "prepend_space_in_encode": False,
        "strip_space_in_decode": byte_fallback,
    }


def _chat_template(folder: Path, tokenizer_config: dict[str, Any]) -> str | None:
    """The model's Jinja chat template, wherever this checkpoint keeps it."""
    if (folder / "chat_template.jinja").is_file():  # transformers >= 4.43 saves it apart
        return (folder / "chat_template.jinja").read_text()
    template = tokenizer_config.get("chat_template")
    if isinstance(template, list):  # named templates: [{"name": "default", "template": ...}, ...]
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        return named.get("default")
    return template


def read_hf_folder(folder: Path) -> ModelSource:
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ConversionError(f"{folder} has no config.json; a Hugging Face model folder needs one")
    hf = json.loads(config_path.read_text())
    model_type = hf.get("model_type")
    try:
        family = family_for_model_type(model_type)
        config = family.config_from_hf(hf)
    except UnsupportedModelError as e:
        raise ConversionError(str(e)) from e
    except ModelConfigError as e:
        raise ConversionError(f"config.json: {e}") from e
    if not (folder / "tokenizer.json").is_file():
        raise ConversionError(f"{folder} has no tokenizer.json (a tokenizer.model alone is not supported)")
    tokenizer_json = json.loads((folder / "tokenizer.json").read_text())
    tokenizer_config = {}
    if (folder / "tokenizer_config.json").is_file():
        tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    generation = {}
    if (folder / "generation_config.json").is_file():
        gen = json.loads((folder / "generation_config.json").read_text())
        generation = {k: gen[k] for k in ("temperature", "top_p", "repetition_penalty") if k in gen}
        hf.setdefault("eos_token_id", gen.get("eos_token_id"))
    files = {"tokenizer.json": tokenizer_json}
    if tokenizer_config:
        files["tokenizer_config.json"] = tokenizer_config
    return ModelSource(
        model_type=model_type,
        family=family,
        config=config,
        tensors=_tensors(folder),
        tokenizer_files=files,
        tokenizer_info=_tokenizer_info(tokenizer_json),
        chat_template=_chat_template(folder, tokenizer_config),
        special_tokens=_special_tokens(tokenizer_config),
        bos_token_id=hf.get("bos_token_id"),
        eos_token_ids=_token_ids(hf.get("eos_token_id")),
        pad_token_id=hf.get("pad_token_id"),
        generation=generation,
        description=folder.name,
    )
