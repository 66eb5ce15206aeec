"""Published MLC artifacts (fixtures/mlc/, sources in its README.md) read by our families.

Each fixture is a published artifact's mlc-chat-config.json and manifest, kept as published.
The loader's own code reads the config (`model_settings`: family by model_type, then
`config_from_mlc`), and every manifest record must be a record the family's graph reads, with
the shape and dtype it reads; no record the graph reads may be missing.

The shards (0.3 to 2.1 GB a model) are not fixtures, and writing them at full size is not
affordable here. Each artifact is instead shrunk: its config with small sizes, its own records
of the first LAYERS layers in its own shard layout, shapes recomputed by the family code, and
random shard bytes. load_model loads that folder onto the real device (wgpu; lavapipe without
a GPU) and runs a prefill and one decode step, whose logits must be finite.
"""

import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from reference import our_greedy_logits
from webgpu_llm.engine.loader import model_settings
from webgpu_llm.model.registry import family_for_model_type
from webgpu_llm.weights.artifact import open_artifact
from webgpu_llm.weights.quantization import expected_records

FIXTURES = Path(__file__).parent / "fixtures" / "mlc"
# fixture folder -> the family that must read it
ARTIFACTS = {
    "ReaderLM-v2-q4f16_1-MLC": "qwen2",  # Qwen2.5-1.5B shapes
    "webllm-med-chatbot-model": "qwen2",  # Qwen2.5-0.5B shapes
    "phi-3-mini-128k-instruct": "phi3",  # MLC's own Phi-3 names (transformer.h.{i}.mixer...)
}
LAYERS = 2
VOCAB = 256
PROMPT = [int(x) for x in np.random.default_rng(1).integers(0, VOCAB, size=20)]  # prefilled as 16 + 4
# The loader reads a tokenizer.json; the forward pass takes token ids, so any valid one will do.
TOKENIZER = {"model": {"type": "BPE", "vocab": {"<unk>": 0, "a": 1}, "merges": [], "unk_token": "<unk>"}}
_LAYER_INDEX = re.compile(r"\.(\d+)\.")


def kept_when_shrunk(name: str) -> bool:
    """Records outside the layers (embedding, final norm, LM head) and those of the first LAYERS."""
    index = _LAYER_INDEX.search(name)
    return index is None or int(index.group(1)) < LAYERS


@pytest.mark.parametrize("name", sorted(ARTIFACTS))
def test_every_published_record_is_a_parameter_of_the_family(name):
    artifact = open_artifact(FIXTURES / name)
    family, config, _, _ = model_settings(artifact, None, None)
    assert family.name == ARTIFACTS[name]
    expected = expected_records(artifact.chat_config["quantization"], family.parameter_shapes(config))
    published = {r.name: (r.shape, r.dtype) for r in artifact.manifest.records}
    assert sorted(set(published) - set(expected)) == [], "published records no parameter of the graph maps to"
    assert sorted(set(expected) - set(published)) == [], "records the graph reads that the artifact lacks"
    assert {n: (published[n], expected[n]) for n in published if published[n] != expected[n]} == {}
    assert len(published) == artifact.manifest.metadata["ParamSize"]
    assert sum(s.nbytes for s in artifact.manifest.shards) == artifact.manifest.metadata["ParamBytes"]


def small_model_config(model_config: dict) -> dict:
    """The published model_config, cut down: LAYERS layers, 4 query heads of 32, MHA kept as
    MHA and grouped-query attention as grouped (2 KV heads)."""
    heads = model_config["num_attention_heads"]
    grouped = (model_config.get("num_key_value_heads") or heads) < heads
    return {**model_config, "hidden_size": 128, "intermediate_size": 256, "num_attention_heads": 4,
            "num_key_value_heads": 2 if grouped else 4, "head_dim": 32, "num_hidden_layers": LAYERS,
            "vocab_size": VOCAB}


def random_values(rng: np.random.Generator, name: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """q4 words are uniform random nibbles; scales are small, norms near 1 and biases small,
    so that activations stay finite through the layers."""
    count = math.prod(shape)
    if dtype == "uint32":
        return rng.integers(0, 2**32, count, dtype=np.uint32)
    assert dtype == "float16", (name, dtype)
    if name.endswith(".q_scale"):
        return rng.uniform(0.005, 0.02, count).astype(np.float16)
    assert len(shape) == 1, name  # q4f16_1 keeps only 1-D parameters unquantized
    if name.endswith(".bias"):
        return rng.normal(0, 0.1, count).astype(np.float16)
    return (1 + rng.normal(0, 0.1, count)).astype(np.float16)  # a norm weight


def shrink(name: str, folder: Path) -> Path:
    """The published artifact at small sizes: same record names and shard layout (records of
    layers >= LAYERS dropped, then empty shards), shapes from the family code, random bytes."""
    published = open_artifact(FIXTURES / name)
    chat = {**published.chat_config, "vocab_size": VOCAB,
            "model_config": small_model_config(published.chat_config["model_config"])}
    family = family_for_model_type(chat["model_type"])
    config = family.config_from_mlc(chat["model_config"])
    shapes = expected_records(chat["quantization"], family.parameter_shapes(config))  # {name: (shape, dtype)}
    kept = [[r for r in shard.records if kept_when_shrunk(r.name)] for shard in published.manifest.shards]
    assert sorted(r.name for records in kept for r in records) == sorted(shapes)

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    shards = []
    for shard, records in zip(published.manifest.shards, kept):
        if not records:
            continue
        data, entries = bytearray(), []
        for record in records:
            shape, dtype = shapes[record.name]
            values = random_values(rng, record.name, shape, dtype)
            entries.append({"name": record.name, "shape": list(shape), "dtype": dtype, "format": record.format,
                            "nbytes": values.nbytes, "byteOffset": len(data)})
            data += values.tobytes()
        (folder / shard.file_name).write_bytes(data)
        shards.append({"dataPath": shard.data_path, "format": shard.format, "nbytes": len(data),
                       "records": entries, "md5sum": hashlib.md5(data).hexdigest()})
    metadata = {"ParamSize": len(shapes), "ParamBytes": float(sum(s["nbytes"] for s in shards))}
    (folder / published.manifest_path.name).write_text(json.dumps({"metadata": metadata, "records": shards}))
    (folder / "mlc-chat-config.json").write_text(json.dumps(chat))
    (folder / "tokenizer.json").write_text(json.dumps(TOKENIZER))
    return folder


@pytest.mark.parametrize("name", sorted(ARTIFACTS))
def test_shrunk_artifact_loads_and_runs_on_the_device(name, tmp_path, device):
    folder = shrink(name, tmp_path / name)
    _, logits = our_greedy_logits(folder, device, PROMPT, 1, context_window_size=64, prefill_chunk_size=16)
    assert len(logits) == 2  # after the prefill, after one decode step
    for step, row in enumerate(logits):
        assert row.shape == (VOCAB,), step
        assert np.isfinite(row).all(), f"step {step}: {np.count_nonzero(~np.isfinite(row))} non-finite logits"
        assert row.std() > 0, f"step {step}: all logits equal"
