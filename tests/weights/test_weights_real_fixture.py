"""A published MLC artifact (Llama-3-8B-Instruct q4f16_1; see fixtures/.../SOURCES.md).

The fixture keeps only the two JSON files. Its manifest must parse, and every
record must be exactly what our scheme registry says a Llama model of that
config stores. For the shard path (verify, read, decode) we materialize a
few of its real shards with random bytes at the manifest's own names,
shapes, dtypes and offsets (all shards would be 4.5 GB).
"""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from webgpu_llm.convert.tensor_io import load_tensor
from webgpu_llm.model.registry import family_for_model_type
from webgpu_llm.weights.artifact import (
    ShardChecksumError,
    load_manifest,
    open_artifact,
    read_tensor_bytes,
    verify_shards,
)
from webgpu_llm.weights.quantization import expected_records, get_scheme

FIXTURE = Path(__file__).parent / "fixtures" / "Llama-3-8B-Instruct-q4f16_1-MLC"
# Shards 13 and 26 hold seven records each (three dtypes); 107 has no
# "?partitions=" suffix. Together about 53 MB.
MATERIALIZED = ("params_shard_13.bin?partitions=2", "params_shard_26.bin?partitions=2", "params_shard_107.bin")


def fixture_config() -> dict:
    return json.loads((FIXTURE / "mlc-chat-config.json").read_text())


def test_every_record_is_a_known_parameter_of_the_model():
    chat_config = fixture_config()
    family = family_for_model_type(chat_config["model_type"])
    config = family.config_from_mlc(chat_config["model_config"])
    scheme = get_scheme(chat_config["quantization"])
    expected = expected_records(scheme, family.parameter_shapes(config))
    manifest = load_manifest(FIXTURE / "ndarray-cache.json")
    actual = {r.name: (r.shape, r.dtype) for r in manifest.records}
    assert len(actual) == manifest.metadata["ParamSize"] == 325
    assert set(actual) - set(expected) == set(), "records the model does not have"
    assert set(expected) - set(actual) == set(), "parameters the artifact lacks"
    assert actual == expected
    assert sum(s.nbytes for s in manifest.shards) == manifest.metadata["ParamBytes"]


def test_tvm_stamps_f32_to_bf16_on_records_that_are_stored_raw():
    record = load_manifest(FIXTURE / "ndarray-cache.json").record("model.norm.weight")
    assert (record.format, record.dtype, record.stored_dtype) == ("f32-to-bf16", "float16", "float16")
    assert record.nbytes == 4096 * 2


def materialize(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A folder with the fixture's config, a manifest copy holding only the
    MATERIALIZED shards (md5s recomputed), and random shard bytes."""
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(FIXTURE / "mlc-chat-config.json", folder)
    manifest = json.loads((FIXTURE / "ndarray-cache.json").read_text())
    shards = [s for s in manifest["records"] if s["dataPath"] in MATERIALIZED]
    assert len(shards) == len(MATERIALIZED)
    rng = np.random.default_rng(0)
    written: dict[str, bytes] = {}
    for shard in shards:
        data = rng.integers(0, 256, shard["nbytes"], dtype=np.uint8).tobytes()
        (folder / shard["dataPath"].split("?")[0]).write_bytes(data)
        shard["md5sum"] = hashlib.md5(data).hexdigest()
        for record in shard["records"]:
            written[record["name"]] = data[record["byteOffset"]:record["byteOffset"] + record["nbytes"]]
    manifest["records"] = shards
    (folder / "ndarray-cache.json").write_text(json.dumps(manifest, indent=4))
    return folder, written


def test_materialized_shards_verify_and_every_record_reads_back(tmp_path):
    folder, written = materialize(tmp_path)
    artifact = open_artifact(folder)
    verify_shards(artifact)
    assert artifact.manifest_path.name == "ndarray-cache.json"
    for name, data in written.items():
        assert read_tensor_bytes(artifact, name) == data
        record = artifact.manifest.record(name)
        array = load_tensor(artifact, name)
        assert array.shape == record.shape and array.dtype.name == record.dtype
        assert array.tobytes() == data


def test_corrupting_a_materialized_shard_names_it(tmp_path):
    folder, _ = materialize(tmp_path)
    path = folder / "params_shard_26.bin"
    data = bytearray(path.read_bytes())
    data[12345] ^= 0x80
    path.write_bytes(bytes(data))
    with pytest.raises(ShardChecksumError, match=r"params_shard_26\.bin"):
        verify_shards(open_artifact(folder))
