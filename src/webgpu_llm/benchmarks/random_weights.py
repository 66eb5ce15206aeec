"""Random weights of a model shape, uploaded straight to the GPU (no files).

q4 words are uniform random nibbles; scales and norms are chosen so that
activations stay finite through every layer. Speed does not depend on the
values, only on the bytes read.
"""

from __future__ import annotations

import numpy as np

from ..gpu.device import Buffer, Device
from ..weights.quantization import expected_records, get_scheme
from ..weights.upload import WEIGHT_USAGE
from ..model import llama
from ..model.config import ModelConfig

_CHUNK = 1 << 26  # bytes generated at a time


def _random_bytes(rng: np.random.Generator, name: str, shape, dtype: str) -> np.ndarray:
    count = int(np.prod(shape))
    if dtype == "uint32":
        return rng.integers(0, 2**32, size=count, dtype=np.uint32)
    if name.endswith("q_scale"):
        values = np.full(count, 0.02, np.float32)
    elif name.endswith("layernorm.weight") or name.endswith("norm.weight"):
        values = np.ones(count, np.float32)
    else:
        values = rng.standard_normal(count, dtype=np.float32) * 0.02
    if dtype == "float16":
        return values.astype(np.float16)
    return (values.view(np.uint32) >> 16).astype(np.uint16)  # float32 is stored as bf16


def random_weights(device: Device, config: ModelConfig, quantization: str, seed: int = 0) -> dict[str, Buffer]:
    rng = np.random.default_rng(seed)
    buffers = {}
    for name, (shape, dtype) in expected_records(get_scheme(quantization), llama.FAMILY.parameter_shapes(config)).items():
        data = _random_bytes(rng, name, shape, dtype).tobytes()
        buffers[name] = device.create_buffer(len(data), WEIGHT_USAGE, name)
        for start in range(0, len(data), _CHUNK):
            piece = data[start: start + _CHUNK]
            if len(piece) % 4:
                piece += bytes(4 - len(piece) % 4)
            device.write_buffer(buffers[name], start, piece)
    return buffers


def bytes_read_per_token(weights: dict[str, Buffer], config: ModelConfig) -> int:
    """Weight bytes one decode step reads: every matrix once, but only one
    embedding row unless the LM head is tied to the embedding table."""
    total = 0
    for name, buffer in weights.items():
        if name.startswith("model.embed_tokens") and not config.tie_word_embeddings:
            total += buffer.size // config.vocab_size
        else:
            total += buffer.size
    return total
