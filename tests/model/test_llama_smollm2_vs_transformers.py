"""The real model against HF transformers on CPU (Done-when of the engine issue)."""

import numpy as np

from reference import assert_logits_match, hf_logits, hf_model, hf_state_dict, our_greedy_logits
from webgpu_llm.conversation import ConvTemplate, render_prompt
from webgpu_llm.model.config import ModelConfig
from webgpu_llm.tokenizer import Tokenizer
from webgpu_llm.weights.artifact import open_artifact

QUESTION = "What is the capital of France?"
DECODE_STEPS = 16
# Relative to the logit spread; both sides are float32 (HF eager attention),
# 30 layers of differently ordered sums.
TOLERANCE = 2e-3


def chat_prompt(folder) -> list[int]:
    artifact = open_artifact(folder)
    prompt = render_prompt(ConvTemplate.from_dict(artifact.chat_config["conv_template"]),
                           [{"role": "user", "content": QUESTION}])
    tokenizer = Tokenizer.from_file(folder / "tokenizer.json")
    return prompt.prefix_token_ids + tokenizer.encode(prompt.text, add_special_tokens=False)


def test_q0f32_logits_and_greedy_tokens_match_transformers(smollm2_folder, device):
    folder = smollm2_folder("q0f32")
    artifact = open_artifact(folder)
    config = ModelConfig.from_model_config(artifact.chat_config["model_config"])
    prompt = chat_prompt(folder)
    tokens, logits = our_greedy_logits(folder, device, prompt, DECODE_STEPS, context_window_size=128,
                                       prefill_chunk_size=32)  # 37-token prompt: two chunks
    model = hf_model(config, hf_state_dict(artifact, config))
    ids = list(prompt)
    for step, (token, ours) in enumerate(zip(tokens, logits)):
        reference = hf_logits(model, ids)
        assert_logits_match(ours, reference, f"step {step}", TOLERANCE)
        assert token == int(np.argmax(reference)), f"step {step}: ours {token}, transformers {np.argmax(reference)}"
        ids.append(token)
    assert len(tokens) == DECODE_STEPS + 1


def test_q4f16_1_answer_names_paris(smollm2_folder, device):
    folder = smollm2_folder("q4f16_1")
    tokens, _ = our_greedy_logits(folder, device, chat_prompt(folder), 15, context_window_size=128)
    answer = Tokenizer.from_file(folder / "tokenizer.json").decode(tokens, skip_special_tokens=True)
    assert "Paris" in answer, answer
