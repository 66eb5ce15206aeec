"""Gemma 3 270M (real weights, the embedded GGUF) against HF transformers on CPU.

The reference model is built from our own artifact, dequantized, so both sides run the
same values: its stored 1 + w norms become HF's w. At q0f32 the 262k x 640 embedding is
335 MB of bf16, over lavapipe's 128 MiB storage-binding limit, so there the q0f32 case is
skipped and q4f32_1 (the same parity, on q4 values both sides share) is what runs."""

import numpy as np
import pytest
import torch

from reference import assert_logits_match, our_greedy_logits
from test_families_tiny_vs_transformers import hf_cached_logits
from webgpu_llm.convert.quantizers import dequantize
from webgpu_llm.convert.tensor_io import load_tensor
from webgpu_llm.model.registry import family_for_model_type
from webgpu_llm.tokenizer import Tokenizer
from webgpu_llm.weights.artifact import open_artifact

DECODE_STEPS = 16
# Relative to the logit spread; both sides f32 (HF eager attention), 18 layers of
# differently ordered sums over a 262k vocabulary.
TOLERANCE = 2e-3
PROMPTS = ("The three primary colors are", "def fibonacci(n):\n    ")
NORMS = ("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
         "self_attn.q_norm", "self_attn.k_norm")


def hf_gemma3(artifact):
    import transformers

    chat = artifact.chat_config
    config = family_for_model_type(chat["model_type"]).config_from_mlc(chat["model_config"])
    scheme = chat["quantization"]
    shapes = family_for_model_type(chat["model_type"]).parameter_shapes(config)

    def t(name: str) -> torch.Tensor:
        stem = name.removesuffix(".weight")
        if f"{stem}.q_weight" in artifact.manifest:
            parts = {s: load_tensor(artifact, f"{stem}.{s}") for s in ("q_weight", "q_scale")}
            return torch.from_numpy(np.array(dequantize(scheme, parts, shapes[name]), np.float32))
        return torch.from_numpy(np.array(load_tensor(artifact, name), np.float32))
    state = {"model.embed_tokens.weight": t("model.embed_tokens.weight"), "model.norm.weight": t("model.norm.weight") - 1}
    for i in range(config.num_hidden_layers):
        p = f"model.layers.{i}."
        q, k, v = torch.split(t(p + "self_attn.qkv_proj.weight"), [config.q_size, config.kv_size, config.kv_size])
        gate, up = torch.split(t(p + "mlp.gate_up_proj.weight"), config.intermediate_size)
        state |= {p + "self_attn.q_proj.weight": q, p + "self_attn.k_proj.weight": k, p + "self_attn.v_proj.weight": v,
                  p + "self_attn.o_proj.weight": t(p + "self_attn.o_proj.weight"), p + "mlp.gate_proj.weight": gate,
                  p + "mlp.up_proj.weight": up, p + "mlp.down_proj.weight": t(p + "mlp.down_proj.weight")}
        state |= {f"{p}{n}.weight": t(f"{p}{n}.weight") - 1 for n in NORMS}
    pattern = config.sliding_window_pattern
    hf_config = transformers.Gemma3TextConfig(
        hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads, head_dim=config.head_dim, rms_norm_eps=config.rms_norm_eps,
        vocab_size=config.vocab_size, sliding_window=config.sliding_window, tie_word_embeddings=True,
        query_pre_attn_scalar=int(config.query_pre_attn_scalar), max_position_embeddings=config.context_window_size,
        layer_types=["full_attention" if (i + 1) % pattern == 0 else "sliding_attention"
                     for i in range(config.num_hidden_layers)],
        rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": config.rope_local_base_freq},
                         "full_attention": {"rope_type": "default", "rope_theta": config.position_embedding_base}})
    model = transformers.Gemma3ForCausalLM(hf_config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all("lm_head" in m for m in missing), (missing, unexpected)
    model.tie_weights()
    return model.eval().float()


@pytest.mark.parametrize("scheme", ["q0f32", "q4f32_1"])
def test_greedy_tokens_match_transformers(gemma3_folder, device, scheme):
    embedding = 262144 * 640 * 2
    if scheme == "q0f32" and embedding > device.limits.max_storage_buffer_binding_size:
        pytest.skip(f"the bf16 embedding ({embedding} bytes) exceeds this adapter's storage-binding limit")
    folder = gemma3_folder(scheme)
    artifact = open_artifact(folder)
    assert artifact.chat_config["model_config"]["vocab_size"] == 262144
    tokenizer = Tokenizer.from_file(folder / "tokenizer.json")
    model = hf_gemma3(artifact)
    for text in PROMPTS:
        prompt = tokenizer.encode(text)
        tokens, logits = our_greedy_logits(folder, device, prompt, DECODE_STEPS - 1, context_window_size=64)
        expected = hf_cached_logits(model, prompt, tokens[:-1])
        for step, (token, ours, theirs) in enumerate(zip(tokens, logits, expected)):
            assert_logits_match(ours, theirs, f"{text!r} step {step}", TOLERANCE)
            assert token == int(np.argmax(theirs)), f"{text!r} step {step}: ours {token}, HF {np.argmax(theirs)}"
        assert len(tokens) == DECODE_STEPS


def test_q4f16_1_answers_a_factual_prompt(gemma3_folder, device):
    folder = gemma3_folder("q4f16_1")
    tokenizer = Tokenizer.from_file(folder / "tokenizer.json")
    # The embedded GGUF is the base model (google/gemma-3-270m), not the instruction-tuned one:
    # it completes text, so the fact is asked as a completion.
    prompt = tokenizer.encode("Paris is the capital of")
    tokens, _ = our_greedy_logits(folder, device, prompt, 3, context_window_size=64)
    answer = tokenizer.decode(tokens)
    assert answer.split()[0] == "France", answer
