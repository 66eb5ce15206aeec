"""Build `mlc-chat-config.json` as MLC-LLM's `gen_config` writes it.

Field names and defaults follow MLC's ChatConfig so that WebLLM and
mlc-llm read our artifacts, and ours read theirs.
"""

from __future__ import annotations

from typing import Any

from ..conversation import ConvTemplate
from .source import ModelSource

CHAT_CONFIG_VERSION = "0.1.0"
# MLC's defaults when the source has no generation_config.json.
DEFAULT_SAMPLING = {
    "temperature": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "repetition_penalty": 1.0,
    "top_p": 1.0,
}


def build_chat_config(source: ModelSource, quantization: str, conv_template: ConvTemplate,
                      tokenizer_files: list[str]) -> dict[str, Any]:
    config = source.config
    sampling = {**DEFAULT_SAMPLING, **{k: v for k, v in source.generation.items() if k in DEFAULT_SAMPLING}}
    template = conv_template.to_dict()
    # The template's stop tokens must include the model's own end-of-sequence ids.
    template["stop_token_ids"] = sorted(set(template.get("stop_token_ids") or []) | set(source.eos_token_ids))
    model_config = config.to_model_config()
    model_config.setdefault("tensor_parallel_shards", 1)
    model_config.setdefault("max_batch_size", 1)
    return {
        "version": CHAT_CONFIG_VERSION,
        "model_type": source.model_type,
        "quantization": quantization,
        "model_config": model_config,
        "vocab_size": config.vocab_size,
        "context_window_size": config.context_window_size,
        "sliding_window_size": config.sliding_window or -1,
        "prefill_chunk_size": config.prefill_chunk_size,
        "attention_sink_size": -1,
        "tensor_parallel_shards": 1,
        "pipeline_parallel_stages": 1,
        **sampling,
        "tokenizer_files": tokenizer_files,
        "tokenizer_info": source.tokenizer_info,
        "conv_template": template,
        "pad_token_id": source.pad_token_id if source.pad_token_id is not None else 0,
        "bos_token_id": source.bos_token_id if source.bos_token_id is not None else -1,
        "eos_token_id": source.eos_token_ids[0] if len(source.eos_token_ids) == 1 else source.eos_token_ids,
    }
