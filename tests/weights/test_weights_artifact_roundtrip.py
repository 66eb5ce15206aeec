"""ArtifactWriter -> open_artifact / verify_shards / load_tensor, and the failure paths."""

import json
import struct

import numpy as np
import pytest

from webgpu_llm.convert.artifact_writer import ArtifactWriteError, ArtifactWriter
from webgpu_llm.convert.tensor_io import bf16_bits_from_float32, load_tensor
from webgpu_llm.weights.artifact import (
    ArtifactError,
    ManifestError,
    MissingShardError,
    ShardChecksumError,
    ShardSizeError,
    UnknownTensorError,
    open_artifact,
    parse_manifest,
    read_tensor_bytes,
    verify_shard,
    verify_shards,
)


def bf16_reference(values: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even to bf16, one element at a time with Python ints."""
    out = []
    for value in values.ravel().tolist():
        bits = struct.unpack("<I", struct.pack("<f", value))[0]
        upper, lower = bits >> 16, bits & 0xFFFF
        if lower > 0x8000 or (lower == 0x8000 and upper & 1):
            upper += 1
        out.append(upper)
    return np.array(out, dtype=np.uint16).reshape(values.shape)


def sample_tensors():
    rng = np.random.default_rng(7)
    f32 = rng.standard_normal((5, 33)).astype(np.float32)
    f32[0, :6] = [1.0 + 2**-8, 1.0 + 3 * 2**-8, -(1.0 + 2**-8), 0.0, -0.0, 3.0e38]  # ties, zeros, near max
    return {
        "model.embed_tokens.q_weight": rng.integers(0, 2**32, (7, 12), dtype=np.uint32),
        "model.embed_tokens.q_scale": rng.standard_normal((7, 3)).astype(np.float16),
        "model.norm.weight": f32,
        "model.layers.0.mlp.down_proj.q_weight": rng.integers(0, 2**32, (9, 4), dtype=np.uint32),
        "lm_head.weight": rng.standard_normal((3, 8)).astype(np.float16),
    }


def write_sample(folder, max_shard_bytes=32 << 20, **kwargs):
    tensors = sample_tensors()
    with ArtifactWriter(folder, max_shard_bytes=max_shard_bytes, **kwargs) as writer:
        for name, array in tensors.items():
            writer.add_tensor(name, array)
        writer.add_json("mlc-chat-config.json", {"model_type": "llama", "quantization": "q4f16_1"})
        writer.add_file("tokenizer.model", b"\x00binary")
    return tensors


def test_every_tensor_reads_back_equal_and_float32_is_bf16_rounded_to_nearest_even(tmp_path):
    folder = tmp_path / "model"
    tensors = write_sample(folder)
    artifact = open_artifact(folder)
    verify_shards(artifact)
    assert artifact.chat_config["quantization"] == "q4f16_1"
    assert (folder / "tokenizer.model").read_bytes() == b"\x00binary"
    assert sorted(artifact.manifest.names()) == sorted(tensors)
    for name, array in tensors.items():
        record = artifact.manifest.record(name)
        assert record.shape == array.shape
        if array.dtype == np.float32:
            assert record.format == "f32-to-bf16" and record.stored_dtype == "bfloat16"
            stored = np.frombuffer(read_tensor_bytes(artifact, name), dtype="<u2").reshape(array.shape)
            np.testing.assert_array_equal(stored, bf16_reference(array))
            expected = (bf16_reference(array).astype(np.uint32) << 16).view(np.float32)
        else:
            assert record.format == "raw" and record.dtype == array.dtype.name
            expected = array
        np.testing.assert_array_equal(load_tensor(artifact, name), expected)


def test_bf16_rounding_matches_the_reference_on_many_values():
    rng = np.random.default_rng(0)
    values = rng.standard_normal(4000).astype(np.float32) * np.float32(1e3)
    bits = rng.integers(0, 2**16, 4000, dtype=np.uint32) | (np.uint32(0x3F80) << 16)
    values = np.concatenate([values, bits.view(np.float32)])  # every low half-word, incl. exact ties
    np.testing.assert_array_equal(bf16_bits_from_float32(values), bf16_reference(values))
    big = np.array([np.finfo(np.float32).max, -np.inf, np.nan], dtype=np.float32)
    decoded = (bf16_bits_from_float32(big).astype(np.uint32) << 16).view(np.float32)
    assert np.isfinite(decoded[0]) and decoded[1] == -np.inf and np.isnan(decoded[2])


def test_metadata_follows_mlc(tmp_path):
    write_sample(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "tensor-cache.json").read_text())
    meta = manifest["metadata"]
    assert meta["ParamSize"] == 5
    assert meta["ParamBytes"] == sum(shard["nbytes"] for shard in manifest["records"])
    assert meta["BitsPerParam"] > 0


def test_shards_respect_the_size_limit_and_an_oversized_tensor_gets_its_own_shard(tmp_path):
    limit = 400
    tensors = {f"t{i}": np.arange(30, dtype=np.uint32) + i for i in range(10)}  # 120 bytes each
    tensors["big"] = np.arange(200, dtype=np.uint32)  # 800 bytes > limit
    with ArtifactWriter(tmp_path / "m", max_shard_bytes=limit) as writer:
        for name, array in tensors.items():
            writer.add_tensor(name, array)
    artifact = open_artifact_without_config(tmp_path / "m")
    shards = artifact.manifest.shards
    assert len(shards) > 3
    for shard in shards:
        names = [r.name for r in shard.records]
        assert shard.nbytes <= limit or names == ["big"]
    assert [r.name for r in shards[-1].records] == ["big"]
    verify_shards(artifact)
    for name, array in tensors.items():
        np.testing.assert_array_equal(load_tensor(artifact, name), array)


def open_artifact_without_config(folder):
    (folder / "mlc-chat-config.json").write_text("{}")
    return open_artifact(folder)


def test_a_flipped_byte_raises_a_checksum_error_naming_that_shard(tmp_path):
    folder = tmp_path / "m"
    write_sample(folder, max_shard_bytes=256)
    artifact = open_artifact(folder)
    assert len(artifact.manifest.shards) >= 3
    target = artifact.manifest.shards[1]
    path = artifact.shard_path(target)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ShardChecksumError) as info:
        verify_shards(artifact)
    assert target.file_name in str(info.value)
    assert all(s.file_name not in str(info.value) for s in artifact.manifest.shards if s is not target)


def test_missing_and_truncated_shards_are_reported(tmp_path):
    folder = tmp_path / "m"
    write_sample(folder, max_shard_bytes=256)
    artifact = open_artifact(folder)
    first, second = artifact.manifest.shards[0], artifact.manifest.shards[1]
    artifact.shard_path(first).unlink()
    with pytest.raises(MissingShardError, match=first.file_name):
        verify_shards(artifact)
    with pytest.raises(MissingShardError, match=first.file_name):
        read_tensor_bytes(artifact, first.records[0].name)
    path = artifact.shard_path(second)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ShardSizeError, match=second.file_name):
        verify_shard(artifact, second)


def test_an_exception_inside_the_with_block_leaves_nothing_behind(tmp_path):
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with ArtifactWriter(tmp_path / "m") as writer:
                writer.add_tensor("a", np.zeros(100, np.float32))
                raise error
        assert list(tmp_path.iterdir()) == []


def test_existing_output_is_refused_unless_overwrite_and_replaced_only_at_commit(tmp_path):
    folder = tmp_path / "m"
    write_sample(folder)
    with pytest.raises(FileExistsError):
        write_sample(folder)
    with pytest.raises(RuntimeError):
        with ArtifactWriter(folder, overwrite=True) as writer:
            writer.add_tensor("only", np.zeros(4, np.uint32))
            assert (folder / "tensor-cache.json").exists()  # the old model is untouched so far
            raise RuntimeError("interrupted")
    assert "model.norm.weight" in open_artifact(folder).manifest  # still the old one
    with ArtifactWriter(folder, overwrite=True) as writer:
        writer.add_tensor("only", np.zeros(4, np.uint32))
        writer.add_json("mlc-chat-config.json", {})
    assert open_artifact(folder).manifest.names() == ["only"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_writer_refuses_clashing_or_misplaced_names(tmp_path):
    with ArtifactWriter(tmp_path / "m") as writer:
        writer.add_tensor("a", np.zeros(2, np.uint32))
        with pytest.raises(ArtifactWriteError):
            writer.add_tensor("a", np.zeros(2, np.uint32))
        for bad in ("tensor-cache.json", "params_shard_0.bin", "../x.json", "sub/x.json"):
            with pytest.raises(ArtifactWriteError):
                writer.add_file(bad, b"")
        assert writer.records() == {"a": ((2,), "uint32")}


def manifest_with(record_overrides=None, shard_overrides=None):
    record = {"name": "w", "shape": [2, 3], "dtype": "uint32", "format": "raw", "nbytes": 24, "byteOffset": 0}
    record.update(record_overrides or {})
    shard = {"dataPath": "params_shard_0.bin", "format": "raw-shard", "nbytes": 24,
             "md5sum": "0" * 32, "records": [record]}
    shard.update(shard_overrides or {})
    return {"metadata": {}, "records": [shard]}


@pytest.mark.parametrize("record,shard,message", [
    ({"byteOffset": 8}, None, "overflows"),
    ({"nbytes": 20}, None, "nbytes"),
    ({"dtype": "float8"}, None, "dtype"),
    ({"format": "q4"}, None, "format"),
    ({"shape": [2, -3]}, None, "shape"),
    (None, {"dataPath": "../outside.bin"}, "inside the model folder"),
    (None, {"records": "nope"}, "records"),
    (None, {"md5sum": "abc"}, "md5sum"),
])
def test_malformed_manifests_raise_manifest_errors_saying_what_is_wrong(record, shard, message):
    with pytest.raises(ManifestError, match=message) as info:
        parse_manifest(manifest_with(record, shard))
    assert isinstance(info.value, ArtifactError) and isinstance(info.value, ValueError)


def test_overlapping_records_and_unknown_names_are_errors(tmp_path):
    doc = manifest_with()
    doc["records"][0]["nbytes"] = 48
    doc["records"][0]["records"].append(dict(doc["records"][0]["records"][0], name="v", byteOffset=16))
    with pytest.raises(ManifestError, match="overlap"):
        parse_manifest(doc)
    manifest = parse_manifest(manifest_with())
    with pytest.raises(UnknownTensorError, match="nope"):
        manifest.record("nope")


def test_older_manifest_name_and_missing_files_are_handled(tmp_path):
    folder = tmp_path / "m"
    write_sample(folder)
    (folder / "tensor-cache.json").rename(folder / "ndarray-cache.json")
    assert open_artifact(folder).manifest_path.name == "ndarray-cache.json"
    (folder / "ndarray-cache.json").unlink()
    with pytest.raises(MissingShardError, match="tensor-cache.json"):
        open_artifact(folder)
    with pytest.raises(MissingShardError):
        open_artifact(tmp_path / "absent")
