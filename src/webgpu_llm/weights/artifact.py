"""Read an MLC model folder: `mlc-chat-config.json` plus the tensor manifest (stdlib only).

The manifest (`tensor-cache.json`, older name `ndarray-cache.json`) is what
TVM's `tvmjs.dump_tensor_cache` writes:

    {"metadata": {"ParamSize": .., "ParamBytes": .., "BitsPerParam": ..},
     "records": [{"dataPath": "params_shard_0.bin", "format": "raw-shard",
                  "nbytes": .., "md5sum": "..",
                  "records": [{"name", "shape", "dtype", "format", "nbytes", "byteOffset"}]}]}

A record's `format` is "raw" or "f32-to-bf16". TVM stamps the shard-wide
encode format on every record, but only converts float32 data: a uint32 or
float16 record marked "f32-to-bf16" holds raw bytes (TVM's C++ loader and
WebLLM decode bf16 only when dtype is float32). `TensorRecord.stored_dtype`
says what the bytes really are.

Everything here is parsing and validation; no numbers are decoded (that is
convert/tensor_io.py natively, and the GPU in the browser).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

CHAT_CONFIG_NAME = "mlc-chat-config.json"
MANIFEST_NAMES = ("tensor-cache.json", "ndarray-cache.json")  # preferred first
RECORD_FORMATS = ("raw", "f32-to-bf16")
SHARD_FORMATS = ("raw-shard",)
DTYPE_BYTES = {
    "float32": 4, "float16": 2, "bfloat16": 2, "float64": 8,
    "uint32": 4, "int32": 4, "uint16": 2, "int16": 2, "uint8": 1, "int8": 1,
    "int64": 8, "uint64": 8, "bool": 1,
}
_HASH_CHUNK = 1 << 20


class ArtifactError(ValueError):
    """An MLC model folder that cannot be used as it is."""


class ManifestError(ArtifactError):
    """tensor-cache.json is malformed or inconsistent."""


class MissingShardError(ArtifactError):
    """A shard or config file named by the artifact is not in the folder."""


class ShardSizeError(ArtifactError):
    """A shard file whose size differs from the manifest's nbytes."""


class ShardChecksumError(ArtifactError):
    """A shard whose md5 differs from the manifest's md5sum."""


class UnknownTensorError(ArtifactError):
    """A tensor name that the manifest does not hold."""


@dataclass(frozen=True, slots=True)
class TensorRecord:
    name: str
    shape: tuple[int, ...]
    dtype: str  # the dtype the model sees after decoding
    format: str  # "raw" | "f32-to-bf16"
    nbytes: int
    byte_offset: int
    data_path: str  # the dataPath of the shard holding it

    @property
    def numel(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def stored_dtype(self) -> str:
        """The dtype of the bytes on disk (bf16 only for float32 + f32-to-bf16)."""
        if self.format == "f32-to-bf16" and self.dtype == "float32":
            return "bfloat16"
        return self.dtype


@dataclass(frozen=True, slots=True)
class Shard:
    data_path: str  # relative URL, as in the manifest
    nbytes: int
    md5sum: str | None
    records: tuple[TensorRecord, ...]
    format: str = "raw-shard"

    @property
    def file_name(self) -> str:
        return shard_file_name(self.data_path)


def shard_file_name(data_path: str) -> str:
    """A shard's relative file path. dataPath is a URL relative to the manifest
    (WebLLM resolves it with `new URL(dataPath, base)`), so a query such as
    `?partitions=2`, which some mirrors append, names no file."""
    return unquote(urlsplit(data_path).path)


@dataclass(frozen=True)
class Manifest:
    metadata: dict[str, Any]
    shards: tuple[Shard, ...]
    _by_name: dict[str, TensorRecord] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, TensorRecord] = {}
        for shard in self.shards:
            for record in shard.records:
                if record.name in by_name:
                    raise ManifestError(f"tensor {record.name!r} appears twice "
                                        f"({by_name[record.name].data_path} and {shard.data_path})")
                by_name[record.name] = record
        object.__setattr__(self, "_by_name", by_name)

    @property
    def records(self) -> tuple[TensorRecord, ...]:
        return tuple(self._by_name.values())

    def names(self) -> list[str]:
        return list(self._by_name)

    def record(self, name: str) -> TensorRecord:
        try:
            return self._by_name[name]
        except KeyError:
            close = [n for n in self._by_name if n.rsplit(".", 1)[0] == name.rsplit(".", 1)[0]]
            hint = f"; records with the same stem: {close}" if close else ""
            raise UnknownTensorError(f"no tensor {name!r} in the manifest "
                                     f"({len(self._by_name)} records){hint}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name


@dataclass(frozen=True)
class Artifact:
    folder: Path
    chat_config: dict[str, Any]
    manifest: Manifest
    manifest_path: Path

    def shard_path(self, shard: Shard) -> Path:
        return self.folder / shard.file_name


# ---------------------------------------------------------------- parsing


def _field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise ManifestError(f"{where}: missing field {key!r}")
    value = obj[key]
    # bool is an int subclass; a count given as true/false is malformed.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ManifestError(f"{where}: field {key!r} must be {_kind_name(kind)}, got {value!r}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _parse_record(obj: Any, data_path: str, where: str) -> TensorRecord:
    if not isinstance(obj, dict):
        raise ManifestError(f"{where}: a record must be an object, got {type(obj).__name__}")
    name = _field(obj, "name", str, where)
    where = f"{where} ({name})"
    shape = _field(obj, "shape", list, where)
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ManifestError(f"{where}: shape must be a list of non-negative integers, got {shape}")
    dtype = _field(obj, "dtype", str, where)
    if dtype not in DTYPE_BYTES:
        raise ManifestError(f"{where}: dtype {dtype!r} is not supported; allowed: {sorted(DTYPE_BYTES)}")
    fmt = obj.get("format", "raw")
    if fmt not in RECORD_FORMATS:
        raise ManifestError(f"{where}: format {fmt!r} is not supported; allowed: {RECORD_FORMATS}")
    record = TensorRecord(name, tuple(shape), dtype, fmt, _field(obj, "nbytes", int, where),
                          _field(obj, "byteOffset", int, where), data_path)
    expected = record.numel * DTYPE_BYTES[record.stored_dtype]
    if record.nbytes != expected:
        raise ManifestError(f"{where}: nbytes {record.nbytes} != {expected} "
                            f"({record.shape} x {record.stored_dtype})")
    if record.byte_offset < 0:
        raise ManifestError(f"{where}: byteOffset {record.byte_offset} is negative")
    return record


def _parse_shard(obj: Any, index: int, source: str) -> Shard:
    where = f"{source}: records[{index}]"
    if not isinstance(obj, dict):
        raise ManifestError(f"{where}: a shard entry must be an object, got {type(obj).__name__}")
    data_path = _field(obj, "dataPath", str, where)
    where = f"{source}: shard {data_path}"
    name = shard_file_name(data_path)
    if not name or name.startswith("/") or ".." in Path(name).parts:
        raise ManifestError(f"{where}: dataPath must be a file inside the model folder")
    fmt = obj.get("format", "raw-shard")
    if fmt not in SHARD_FORMATS:
        raise ManifestError(f"{where}: format {fmt!r} is not supported; allowed: {SHARD_FORMATS}")
    nbytes = _field(obj, "nbytes", int, where)
    md5sum = obj.get("md5sum") or None
    if md5sum is not None and not (isinstance(md5sum, str) and len(md5sum) == 32):
        raise ManifestError(f"{where}: md5sum must be 32 hex digits, got {md5sum!r}")
    raw_records = _field(obj, "records", list, where)
    records = tuple(_parse_record(r, data_path, where) for r in raw_records)
    _check_layout(records, nbytes, where)
    return Shard(data_path, nbytes, md5sum, records, fmt)


def _check_layout(records: tuple[TensorRecord, ...], nbytes: int, where: str) -> None:
    """Records must lie inside the shard and must not overlap one another."""
    end_of_previous, previous = 0, None
    for record in sorted(records, key=lambda r: r.byte_offset):
        end = record.byte_offset + record.nbytes
        if end > nbytes:
            raise ManifestError(f"{where}: record {record.name!r} [{record.byte_offset}, {end}) "
                                f"overflows the shard's {nbytes} bytes")
        if record.byte_offset < end_of_previous:
            raise ManifestError(f"{where}: records {previous!r} and {record.name!r} overlap")
        end_of_previous, previous = end, record.name


def parse_manifest(obj: Any, source: str = "tensor-cache.json") -> Manifest:
    """Validate a decoded manifest; `source` names it in error messages."""
    if not isinstance(obj, dict):
        raise ManifestError(f"{source}: the manifest must be a JSON object")
    metadata = obj.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ManifestError(f"{source}: metadata must be an object")
    shards = _field(obj, "records", list, source)
    parsed = tuple(_parse_shard(s, i, source) for i, s in enumerate(shards))
    names = [s.file_name for s in parsed]
    if len(set(names)) != len(names):
        raise ManifestError(f"{source}: two shard entries name the same file")
    return Manifest(dict(metadata), parsed)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MissingShardError(f"{path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: not valid JSON ({error})") from None


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    return parse_manifest(_read_json(path), str(path))


def find_manifest(folder: str | Path) -> Path:
    folder = Path(folder)
    for name in MANIFEST_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise MissingShardError(f"{folder}: no manifest; expected one of {MANIFEST_NAMES}")


def open_artifact(folder: str | Path) -> Artifact:
    """Read and validate the folder's config and manifest (shards are not read)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingShardError(f"{folder} is not a folder; an MLC model is a folder holding "
                                f"{CHAT_CONFIG_NAME} and {MANIFEST_NAMES[0]}")
    chat_config = _read_json(folder / CHAT_CONFIG_NAME)
    if not isinstance(chat_config, dict):
        raise ArtifactError(f"{folder / CHAT_CONFIG_NAME}: must be a JSON object")
    manifest_path = find_manifest(folder)
    return Artifact(folder, chat_config, load_manifest(manifest_path), manifest_path)


# ---------------------------------------------------------------- shard data


def shard_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_shard(artifact: Artifact, shard: Shard, *, require_md5: bool = True) -> None:
    path = artifact.shard_path(shard)
    if not path.is_file():
        raise MissingShardError(f"shard {shard.file_name} is missing from {artifact.folder}")
    size = path.stat().st_size
    if size != shard.nbytes:
        raise ShardSizeError(f"shard {shard.file_name} has {size} bytes; the manifest says {shard.nbytes}")
    if shard.md5sum is None:
        if require_md5:
            raise ShardChecksumError(f"shard {shard.file_name} has no md5sum in the manifest")
        return
    actual = shard_md5(path)
    if actual != shard.md5sum.lower():
        raise ShardChecksumError(f"shard {shard.file_name} is corrupt: md5 {actual}, "
                                 f"the manifest says {shard.md5sum}")


def verify_shards(artifact: Artifact, *, require_md5: bool = True) -> None:
    """Check every shard's presence, size and md5 (DESIGN.md decision 2)."""
    for shard in artifact.manifest.shards:
        verify_shard(artifact, shard, require_md5=require_md5)


def read_tensor_bytes(artifact: Artifact, name: str) -> bytes:
    """The stored bytes of one tensor (bf16 still encoded; see stored_dtype)."""
    record = artifact.manifest.record(name)
    path = artifact.folder / shard_file_name(record.data_path)
    try:
        with open(path, "rb") as file:
            file.seek(record.byte_offset)
            data = file.read(record.nbytes)
    except FileNotFoundError:
        raise MissingShardError(f"shard {record.data_path} holding {name!r} is missing "
                                f"from {artifact.folder}") from None
    if len(data) != record.nbytes:
        raise ShardSizeError(f"shard {record.data_path} ends before {name!r} "
                             f"(wanted {record.nbytes} bytes at {record.byte_offset}, got {len(data)})")
    return data
