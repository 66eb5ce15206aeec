"""Write an MLC model folder atomically (native only).

    with ArtifactWriter(output_dir) as writer:
        writer.add_tensor("model.norm.weight", array)
        writer.add_json("mlc-chat-config.json", config)

Everything goes into a temporary sibling folder. Only a clean exit from the
`with` block writes `tensor-cache.json` and renames the folder into place; any
exception (KeyboardInterrupt included) removes the temporary folder, so a
failed or interrupted conversion never leaves a half-written model behind.

Shards follow TVM's `dump_tensor_cache`: tensors are appended in the order
given; a shard is closed when the next tensor would push it past
`max_shard_bytes` (32 MiB, DESIGN.md decision 2). A single tensor larger than
the limit gets a shard of its own, as TVM does (mlc-ai's published Llama
artifacts have 250 MB `lm_head` shards); refusing it would make large
vocabularies unconvertible. Every other shard stays within the limit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import numpy as np

from ..weights.artifact import CHAT_CONFIG_NAME, MANIFEST_NAMES
from ..weights.quantization import SCHEMES
from .tensor_io import encode_tensor

DEFAULT_MAX_SHARD_BYTES = 32 * 1024 * 1024
MANIFEST_NAME = MANIFEST_NAMES[0]
# Unquantized parameters per uint32 word of a `q_weight` (same for every q4 scheme).
_PARAMS_PER_WORD = next(s.elements_per_storage for s in SCHEMES.values() if s.is_quantized)


class ArtifactWriteError(ValueError):
    """A write the artifact format does not allow (name clash, bad file name, ...)."""


class _ShardBuilder:
    """One open shard file: its records, running size and md5."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO = open(path, "wb")
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.nbytes = 0
        self.records: list[dict[str, Any]] = []

    def append(self, record: dict[str, Any], data: bytes) -> None:
        record["byteOffset"] = self.nbytes
        self.file.write(data)
        self.md5.update(data)
        self.nbytes += len(data)
        self.records.append(record)

    def close(self) -> dict[str, Any]:
        self.file.close()
        return {"dataPath": self.path.name, "format": "raw-shard", "nbytes": self.nbytes,
                "records": self.records, "md5sum": self.md5.hexdigest()}


class ArtifactWriter:
    def __init__(self, output_dir: str | Path, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
                 *, overwrite: bool = False) -> None:
        if max_shard_bytes <= 0:
            raise ValueError(f"max_shard_bytes must be positive, got {max_shard_bytes}")
        self.output_dir = Path(output_dir)
        self.max_shard_bytes = max_shard_bytes
        self.overwrite = overwrite
        self._staging: Path | None = None
        self._current: _ShardBuilder | None = None
        self._shards: list[dict[str, Any]] = []
        self._records: dict[str, tuple[tuple[int, ...], str]] = {}
        self._files: set[str] = set()
        self._parameter_count = 0

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> ArtifactWriter:
        if self.output_dir.exists() and not self.overwrite:
            raise FileExistsError(f"{self.output_dir} already exists; pass overwrite=True to replace it")
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=f".{self.output_dir.name}.partial-",
                                              dir=self.output_dir.parent))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            # After a commit the staging folder is gone; otherwise discard it.
            self._discard()

    def _discard(self) -> None:
        if self._current is not None:
            self._current.file.close()
            self._current = None
        if self._staging is not None and self._staging.exists():
            shutil.rmtree(self._staging, ignore_errors=True)
        self._staging = None

    def _commit(self) -> None:
        self._close_shard()
        staging = self._require_open()
        manifest = {"metadata": self.metadata(), "records": self._shards}
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=4), encoding="utf-8")
        self._replace_output(staging)

    def _replace_output(self, staging: Path) -> None:
        """Rename staging into place; an existing output is moved aside first and
        only deleted once the new folder is in place (restored if that fails)."""
        backup = None
        if self.output_dir.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{self.output_dir.name}.old-",
                                           dir=self.output_dir.parent))
            os.rmdir(backup)
            os.replace(self.output_dir, backup)
        try:
            os.replace(staging, self.output_dir)
        except BaseException:
            if backup is not None:
                os.replace(backup, self.output_dir)
            raise
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)

    def _require_open(self) -> Path:
        if self._staging is None:
            raise ArtifactWriteError("ArtifactWriter is used outside its `with` block")
        return self._staging

    # ------------------------------------------------------------ content

    def add_tensor(self, name: str, array: np.ndarray) -> None:
        staging = self._require_open()
        if name in self._records:
            raise ArtifactWriteError(f"tensor {name!r} was already added")
        array = np.asarray(array)
        data, dtype, fmt = encode_tensor(array)
        shape = tuple(int(d) for d in array.shape)
        record = {"name": name, "shape": list(shape), "dtype": dtype, "format": fmt,
                  "nbytes": len(data)}
        if self._current is not None and self._current.nbytes + len(data) > self.max_shard_bytes:
            self._close_shard()
        if self._current is None:
            self._current = _ShardBuilder(staging / f"params_shard_{len(self._shards)}.bin")
        self._current.append(record, data)
        if len(data) >= self.max_shard_bytes:
            self._close_shard()  # an oversized tensor keeps its shard to itself
        self._records[name] = (shape, dtype)
        self._parameter_count += _parameters_in(name, array)

    def add_json(self, filename: str, obj: Any) -> None:
        self.add_file(filename, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def add_file(self, filename: str, content: bytes) -> None:
        staging = self._require_open()
        if "/" in filename or "\\" in filename or filename in ("", ".", ".."):
            raise ArtifactWriteError(f"{filename!r}: files go directly into the model folder")
        if filename in MANIFEST_NAMES or (filename.startswith("params_shard_") and filename.endswith(".bin")):
            raise ArtifactWriteError(f"{filename!r} is written by the ArtifactWriter itself")
        if filename in self._files:
            raise ArtifactWriteError(f"{filename!r} was already added")
        (staging / filename).write_bytes(bytes(content))
        self._files.add(filename)

    def _close_shard(self) -> None:
        if self._current is not None:
            self._shards.append(self._current.close())
            self._current = None

    # ------------------------------------------------------------ reports

    def records(self) -> dict[str, tuple[tuple[int, ...], str]]:
        """{name: (shape, dtype)} of every tensor added so far."""
        return dict(self._records)

    def metadata(self) -> dict[str, Any]:
        """MLC's manifest metadata. BitsPerParam counts parameters of the
        unquantized model (a q_weight word holds 8, a q_scale none), as MLC's
        convert_weight does, so q4f16_1 reads about 4.5."""
        param_bytes = sum(shard["nbytes"] for shard in self._shards)
        if self._current is not None:
            param_bytes += self._current.nbytes
        bits = param_bytes * 8.0 / self._parameter_count if self._parameter_count else 0.0
        return {"ParamSize": len(self._records), "ParamBytes": float(param_bytes), "BitsPerParam": bits}

    @property
    def has_chat_config(self) -> bool:
        return CHAT_CONFIG_NAME in self._files


def _parameters_in(name: str, array: np.ndarray) -> int:
    if name.endswith(".q_scale"):
        return 0
    if name.endswith(".q_weight") and array.dtype == np.uint32:
        return int(array.size) * _PARAMS_PER_WORD
    return int(array.size)
