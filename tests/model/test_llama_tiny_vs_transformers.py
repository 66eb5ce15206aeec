"""Random-weight tiny Llama 2, Llama 3.2 (tied, llama3 rope scaling) and Mistral
checkpoints: HF makes them, we convert them, both run the same tokens."""

import json

import numpy as np
import pytest
import torch

from reference import assert_logits_match, hf_logits, our_greedy_logits
from webgpu_llm.convert.pipeline import convert

DECODE_STEPS = 16
TOLERANCE = 1e-4  # relative to the logit spread: 2 layers of f32 sums
VOCAB_TEXT = ["the quick brown fox jumps over the lazy dog", "pack my box with five dozen liquor jugs"]

FAMILIES = {
    "llama-2": ("llama", dict(num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=False,
                              rope_theta=10000.0), "llama-2"),
    "llama-3.2": ("llama", dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                rope_theta=500000.0,
                                rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                              "high_freq_factor": 4.0, "original_max_position_embeddings": 32}),
                  "llama-3"),
    "mistral": ("mistral", dict(num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
                                rope_theta=1000000.0, sliding_window=None), "mistral"),
}


def tokenizer_json() -> dict:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<unk>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(VOCAB_TEXT * 10, trainer)
    return json.loads(tok.to_str())


def make_checkpoint(folder, family: str):
    import transformers

    model_type, extra, _ = FAMILIES[family]
    tokenizer = tokenizer_json()
    common = dict(hidden_size=64, intermediate_size=112, num_hidden_layers=2, rms_norm_eps=1e-5,
                  vocab_size=len(tokenizer["model"]["vocab"]), max_position_embeddings=256, head_dim=16,
                  bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    if model_type == "mistral":
        model = transformers.MistralForCausalLM(transformers.MistralConfig(**common, **extra))
    else:
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**common, **extra))
    with torch.no_grad():
        for p in model.parameters():  # bf16-exact values: q0f32 stores them losslessly
            p.copy_((p.float() * 4 + (0.3 if p.dim() == 1 else 0)).bfloat16().float())
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    return model.eval()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_tiny_model_matches_transformers(family, tmp_path, device):
    reference = make_checkpoint(tmp_path / "hf", family)
    convert(tmp_path / "hf", "q0f32", tmp_path / "mlc", conv_template=FAMILIES[family][2], progress=None)
    # 61 tokens, prefilled in chunks of 16, 16, 16, 13; decode then crosses from the first
    # 64-key attention chunk into the second (the decode grid must grow with the position).
    prompt = list(np.random.default_rng(1).integers(3, 300, size=61))
    tokens, logits = our_greedy_logits(tmp_path / "mlc", device, prompt, DECODE_STEPS, context_window_size=128,
                                       prefill_chunk_size=16)
    ids = [int(x) for x in prompt]
    for step, (token, ours) in enumerate(zip(tokens, logits)):
        expected = hf_logits(reference, ids)
        assert_logits_match(ours, expected, f"{family} step {step}", TOLERANCE)
        assert token == int(np.argmax(expected)), f"{family} step {step}"
        ids.append(token)
