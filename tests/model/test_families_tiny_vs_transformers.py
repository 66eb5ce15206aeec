"""Random-weight tiny checkpoints of every family: HF makes them, we convert them (q0f32),
both run the same tokens, prefill (61 tokens in chunks of 16) and 16 decode steps.

The reference is HF with its KV cache, as `generate` runs it: that matters for Phi-3's
longrope, whose frequencies switch once the sequence passes the original length (keys
cached before the switch keep their rotation, in HF's cache as in ours). Windows (24) are
smaller than the prompt, so windowed layers read their KV ring after it wrapped."""

import asyncio
import json

import numpy as np
import pytest
import torch

from reference import assert_logits_match, our_greedy_logits
from webgpu_llm.convert.pipeline import convert
from webgpu_llm.engine.loader import load_model
from webgpu_llm.engine.runner import SamplingSetup
from webgpu_llm.protocol.errors import InvalidRequestError
from webgpu_llm.weights.artifact import open_artifact

DECODE_STEPS = 16
TOLERANCE = 1e-4  # relative to the logit spread: 2-3 layers of f32 sums in different orders
WINDOW = 24
VOCAB_TEXT = ["the quick brown fox jumps over the lazy dog", "pack my box with five dozen liquor jugs"]
LONGROPE = {"rope_type": "longrope", "short_factor": [1.0, 1.1, 1.3, 1.6, 2.0, 2.5, 3.1, 3.8],
            "long_factor": [1.0, 1.5, 2.5, 4.0, 6.0, 9.0, 13.0, 18.0], "original_max_position_embeddings": 64}

# family -> (transformers config and model class names, config fields, conv template)
FAMILIES = {
    "llama-2": ("LlamaConfig", "LlamaForCausalLM", dict(num_key_value_heads=4, rope_theta=10000.0), "llama-2"),
    "llama-3.2": ("LlamaConfig", "LlamaForCausalLM",
                  dict(num_key_value_heads=2, tie_word_embeddings=True, rope_theta=500000.0,
                       rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 32}), "llama-3"),
    "mistral": ("MistralConfig", "MistralForCausalLM",
                dict(num_key_value_heads=2, rope_theta=1000000.0, sliding_window=WINDOW), "mistral"),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", dict(num_key_value_heads=2, tie_word_embeddings=True), "qwen2"),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", dict(num_key_value_heads=2, head_dim=24), "qwen2"),
    "phi3": ("Phi3Config", "Phi3ForCausalLM",
             dict(num_key_value_heads=4, rope_scaling=LONGROPE, original_max_position_embeddings=64), "phi-3"),
    "gemma2": ("Gemma2Config", "Gemma2ForCausalLM",
               dict(num_key_value_heads=2, num_hidden_layers=3, sliding_window=WINDOW, query_pre_attn_scalar=24,
                    tie_word_embeddings=True,
                    attn_logit_softcapping=5.0, final_logit_softcapping=3.0), "gemma"),
    "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM",
               dict(num_key_value_heads=1, num_hidden_layers=3, sliding_window=WINDOW, query_pre_attn_scalar=12,
                    tie_word_embeddings=True,
                    layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                    rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                     "full_attention": {"rope_type": "linear", "rope_theta": 1000000.0,
                                                        "factor": 2.0}}), "gemma"),
}


def tokenizer_json() -> dict:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(VOCAB_TEXT * 10, trainer)
    return json.loads(tok.to_str())


def bf16_exact(p: torch.Tensor, plus_one: bool) -> torch.Tensor:
    """Values that q0f32 (bf16 on disk) stores losslessly. Gemma stores 1 + w for its norms,
    so there 1 + w is made bf16-exact."""
    if plus_one:
        return (p.float() + 1.3).bfloat16().float() - 1
    return (p.float() * 4 + (0.3 if p.dim() == 1 else 0)).bfloat16().float()


def make_checkpoint(folder, family: str):
    import transformers

    config_class, model_class, extra, _ = FAMILIES[family]
    tokenizer = tokenizer_json()
    common = dict(hidden_size=64, intermediate_size=112, num_hidden_layers=2, num_attention_heads=4,
                  rms_norm_eps=1e-5, vocab_size=len(tokenizer["model"]["vocab"]), max_position_embeddings=256,
                  head_dim=16, bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False)
    torch.manual_seed(0)
    config = getattr(transformers, config_class)(**{**common, **extra})
    model = getattr(transformers, model_class)(config)
    gemma = family.startswith("gemma")
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(bf16_exact(p, plus_one=gemma and name.endswith("norm.weight")))
            if family == "qwen2" and name.endswith("bias"):
                p.mul_(8)  # HF initializes biases to 0; make them count
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    return model.eval()


@torch.no_grad()
def hf_cached_logits(model, prompt: list[int], fed: list[int]) -> list[np.ndarray]:
    """Logits after the prompt, then after each fed token, through HF's KV cache."""
    out = model(torch.tensor([prompt]), use_cache=True)
    logits = [out.logits[0, -1].double().numpy()]
    for token in fed:
        out = model(torch.tensor([[token]]), past_key_values=out.past_key_values, use_cache=True)
        logits.append(out.logits[0, -1].double().numpy())
    return logits


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_tiny_model_matches_transformers(family, tmp_path, device):
    reference = make_checkpoint(tmp_path / "hf", family)
    convert(tmp_path / "hf", "q0f32", tmp_path / "mlc", conv_template=FAMILIES[family][3], progress=None)
    assert open_artifact(tmp_path / "mlc").chat_config["model_type"] == reference.config.model_type
    # 61 tokens, prefilled in chunks of 16, 16, 16, 13; decode then crosses from the first
    # 64-key attention chunk into the second (the decode grid must grow with the position).
    prompt = [int(x) for x in np.random.default_rng(1).integers(3, 300, size=61)]
    tokens, logits = our_greedy_logits(tmp_path / "mlc", device, prompt, DECODE_STEPS, context_window_size=128,
                                       prefill_chunk_size=16)
    expected = hf_cached_logits(reference, prompt, tokens[:-1])
    for step, (token, ours, theirs) in enumerate(zip(tokens, logits, expected)):
        assert_logits_match(ours, theirs, f"{family} step {step}", TOLERANCE)
        assert token == int(np.argmax(theirs)), f"{family} step {step}"
    assert len(tokens) == DECODE_STEPS + 1
    check_batched(family, tmp_path / "mlc", device, prompt, tokens)


def check_batched(family: str, folder, device, prompt: list[int], tokens: list[int]) -> None:
    """Continuous batching (max_batch=2): the family's greedy tokens for the prompt, in a batch
    beside another prompt, are the ones above; windowed or post-normed families are refused."""
    load = dict(context_window_size=256, prefill_chunk_size=16, max_batch=2)
    if family in ("mistral", "gemma2", "gemma3"):
        with pytest.raises(InvalidRequestError, match="continuous batching does not support") as refused:
            load_model(folder, device, **load)
        assert refused.value.param == "max_batch"
        return
    scheduler = load_model(folder, device, **load).scheduler

    async def greedy(ids):
        return [s.token async for s in scheduler.generate(ids, SamplingSetup(), DECODE_STEPS + 1)]

    async def together():
        return await asyncio.gather(greedy(prompt), greedy(prompt[7:40]))

    ours, other = asyncio.run(together())
    assert ours == tokens, family
    assert other == asyncio.run(greedy(prompt[7:40])), family
