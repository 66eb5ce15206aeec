"""HF transformers on CPU as the reference: same weights, same tokens, float32."""

from __future__ import annotations

import asyncio

import numpy as np
import torch

from webgpu_llm.convert.tensor_io import load_tensor
from webgpu_llm.engine.loader import load_model
from webgpu_llm.engine.runner import SamplingSetup
from webgpu_llm.model.config import ModelConfig


def hf_state_dict(artifact, config: ModelConfig) -> dict[str, torch.Tensor]:
    """Our q0f32 artifact's tensors under HF names (fused projections split back)."""
    t = lambda name: torch.from_numpy(np.array(load_tensor(artifact, name), np.float32))  # noqa: E731
    out = {"model.embed_tokens.weight": t("model.embed_tokens.weight"), "model.norm.weight": t("model.norm.weight")}
    if not config.tie_word_embeddings:
        out["lm_head.weight"] = t("lm_head.weight")
    for i in range(config.num_hidden_layers):
        p = f"model.layers.{i}."
        q, k, v = torch.split(t(p + "self_attn.qkv_proj.weight"), [config.q_size, config.kv_size, config.kv_size])
        gate, up = torch.split(t(p + "mlp.gate_up_proj.weight"), config.intermediate_size)
        out |= {p + "self_attn.q_proj.weight": q, p + "self_attn.k_proj.weight": k,
                p + "self_attn.v_proj.weight": v, p + "self_attn.o_proj.weight": t(p + "self_attn.o_proj.weight"),
                p + "mlp.gate_proj.weight": gate, p + "mlp.up_proj.weight": up,
                p + "mlp.down_proj.weight": t(p + "mlp.down_proj.weight"),
                p + "input_layernorm.weight": t(p + "input_layernorm.weight"),
                p + "post_attention_layernorm.weight": t(p + "post_attention_layernorm.weight")}
    return out


def hf_model(config: ModelConfig, state: dict[str, torch.Tensor], model_type: str = "llama"):
    import transformers

    kwargs = dict(hidden_size=config.hidden_size, intermediate_size=config.intermediate_size,
                  num_attention_heads=config.num_attention_heads, num_key_value_heads=config.num_key_value_heads,
                  num_hidden_layers=config.num_hidden_layers, rms_norm_eps=config.rms_norm_eps,
                  vocab_size=config.vocab_size, tie_word_embeddings=config.tie_word_embeddings,
                  rope_theta=config.position_embedding_base, head_dim=config.head_dim,
                  max_position_embeddings=config.context_window_size)
    if config.rope_scaling:
        kwargs["rope_scaling"] = dict(config.rope_scaling)
    if model_type == "mistral":
        hf_config = transformers.MistralConfig(sliding_window=None, **kwargs)
        model = transformers.MistralForCausalLM(hf_config)
    else:
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**kwargs))
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all("lm_head" in m for m in missing), (missing, unexpected)
    if config.tie_word_embeddings:
        model.tie_weights()
    return model.eval().float()


@torch.no_grad()
def hf_logits(model, ids: list[int]) -> np.ndarray:
    return model(torch.tensor([ids])).logits[0, -1].double().numpy()


def our_greedy_logits(folder, device, prompt: list[int], steps: int, **load) -> tuple[list[int], list[np.ndarray]]:
    """Greedy tokens and the logits before each of them: prefill, then `steps` decode steps."""
    loaded = load_model(folder, device, **load)
    runner = loaded.runner
    runner.lag = 0  # one step at a time, so each step's logits can be read

    async def run():
        tokens, logits = [], []
        async for sampled in runner.generate(prompt, SamplingSetup(), steps + 1):
            tokens.append(sampled.token)
            logits.append(np.array(await runner.read_logits(), np.float64))
        return tokens, logits

    return asyncio.run(run())


def assert_logits_match(ours: np.ndarray, reference: np.ndarray, where: str, rel: float) -> None:
    """Max deviation relative to the logits' spread: both sides compute in f32 with
    different summation orders, so differences grow with depth, not with value."""
    spread = reference.max() - reference.min()
    deviation = np.abs(ours - reference).max()
    assert deviation <= rel * spread, f"{where}: max |diff| {deviation:.3e} > {rel} x spread {spread:.3e}"
