"""A second chat model for tests that load two at once: a tiny random-weight Llama.

It borrows SmolLM2's tokenizer and chat template (so it takes the same requests) but
has random weights, so its greedy answer is not SmolLM2's. The Hugging Face folder
is written with numpy (safetensors is an 8-byte header length, a JSON header, raw
data) and converted with our own converter, like any HF checkpoint:

    folder = write_tiny_llama(model_cache / "models" / TINY_MODEL_ID, smollm2_folder("q4f16_1"))
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

TINY_MODEL_ID = "tiny-random-llama-q4f16_1-MLC"
HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, HEAD_DIM = 64, 128, 2, 4, 2, 16


def _llama_tensors(vocab_size: int, seed: int) -> dict[str, np.ndarray]:
    """HF LlamaForCausalLM names (tied embeddings); a wide spread makes the argmax decisive,
    so f16 and f32 devices pick the same greedy tokens."""
    rng = np.random.default_rng(seed)
    normal = lambda *shape: rng.normal(0.0, 0.5, shape).astype(np.float32)  # noqa: E731
    tensors = {"model.embed_tokens.weight": normal(vocab_size, HIDDEN),
               "model.norm.weight": np.ones(HIDDEN, np.float32)}
    for i in range(LAYERS):
        layer = f"model.layers.{i}"
        tensors |= {
            f"{layer}.input_layernorm.weight": np.ones(HIDDEN, np.float32),
            f"{layer}.post_attention_layernorm.weight": np.ones(HIDDEN, np.float32),
            f"{layer}.self_attn.q_proj.weight": normal(HEADS * HEAD_DIM, HIDDEN),
            f"{layer}.self_attn.k_proj.weight": normal(KV_HEADS * HEAD_DIM, HIDDEN),
            f"{layer}.self_attn.v_proj.weight": normal(KV_HEADS * HEAD_DIM, HIDDEN),
            f"{layer}.self_attn.o_proj.weight": normal(HIDDEN, HEADS * HEAD_DIM),
            f"{layer}.mlp.gate_proj.weight": normal(INTERMEDIATE, HIDDEN),
            f"{layer}.mlp.up_proj.weight": normal(INTERMEDIATE, HIDDEN),
            f"{layer}.mlp.down_proj.weight": normal(HIDDEN, INTERMEDIATE),
        }
    return tensors


def _write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header, offset = {}, 0
    for name, array in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header_bytes = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)) + header_bytes)
        for array in tensors.values():
            f.write(np.ascontiguousarray(array, "<f4").tobytes())


def write_tiny_llama(output: Path, smollm2_mlc: Path, seed: int = 0) -> Path:
    """Convert a random-weight Llama with SmolLM2's tokenizer into the MLC folder `output` (q4f16_1)."""
    from webgpu_llm.convert.pipeline import convert

    output = Path(output)
    if (output / "mlc-chat-config.json").is_file():
        return output
    smollm2_config = json.loads((Path(smollm2_mlc) / "mlc-chat-config.json").read_text())
    vocab_size = smollm2_config["vocab_size"]
    with tempfile.TemporaryDirectory() as scratch:
        hf = Path(scratch)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(Path(smollm2_mlc) / name, hf / name)
        (hf / "config.json").write_text(json.dumps({
            "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": HIDDEN,
            "intermediate_size": INTERMEDIATE, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
            "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
            "vocab_size": vocab_size, "max_position_embeddings": 2048, "tie_word_embeddings": True,
            "bos_token_id": smollm2_config["bos_token_id"], "eos_token_id": smollm2_config["eos_token_id"],
            "pad_token_id": smollm2_config["pad_token_id"]}))
        _write_safetensors(hf / "model.safetensors", _llama_tensors(vocab_size, seed))
        convert(hf, "q4f16_1", output, conv_template=smollm2_config["conv_template"]["name"], progress=io.StringIO())
    return output
