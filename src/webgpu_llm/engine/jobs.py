"""A validated request + the loaded model -> what the runner executes.

Everything that can be wrong with a request against this model (token ids
outside the vocabulary, a prompt that does not fit) is found here, before a
stream starts, so an invalid request raises at `create()` and leaves the
engine untouched.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from ..conversation import ConversationError, render_prompt
from ..protocol.errors import InvalidRequestError
from .loader import LoadedModel
from .runner import SamplingSetup

SEED_BITS = 48  # the sampler's RNG key: 32 low bits + 16 high bits (the other 16 pick the choice)


@dataclass(frozen=True)
class Job:
    """One request, ready to run: n choices over the same prompt."""

    prompt: list[int]
    n: int
    max_new: int
    stop: list[str]
    ignore_eos: bool
    sampling: SamplingSetup
    include_usage: bool

    def choice_sampling(self, index: int) -> SamplingSetup:
        return replace(self.sampling, stream_index=index)


def chat_prompt_ids(model: LoadedModel, messages: list[dict]) -> list[int]:
    """Messages -> token ids through the model's conversation template."""
    # An assistant turn may be null (e.g. a tool call); it renders as empty text.
    messages = [{**m, "content": "" if m.get("content") is None else m["content"]} for m in messages]
    try:
        prompt = render_prompt(model.template, messages)
    except ConversationError as e:
        raise InvalidRequestError(str(e), param="messages") from e
    return list(prompt.prefix_token_ids) + model.tokenizer.encode(prompt.text, add_special_tokens=False)


def text_prompt_ids(model: LoadedModel, prompt: str) -> list[int]:
    """A raw completion prompt: the tokenizer's own specials (e.g. BOS) included."""
    ids = model.tokenizer.encode(prompt, add_special_tokens=True)
    if not ids:
        raise InvalidRequestError("prompt is empty after tokenization; give at least one token", param="prompt")
    return ids


def make_job(model: LoadedModel, request, prompt: list[int]) -> Job:
    """Request fields (None = the model's default from mlc-chat-config.json) -> a Job."""
    chat = model.chat_config
    vocab = model.config.vocab_size
    for token in request.logit_bias or {}:
        if not 0 <= token < vocab:
            raise InvalidRequestError(f"logit_bias token id {token} is outside the vocabulary; "
                                      f"allowed 0..{vocab - 1}", param="logit_bias")
    context = model.runner.sizes.context
    max_new = request.max_tokens if request.max_tokens is not None else max(context - len(prompt) + 1, 1)
    model.runner.check_fits(len(prompt), max_new)
    seed = request.seed if request.seed is not None else secrets.randbits(SEED_BITS)
    sampling = SamplingSetup(
        temperature=_default(request.temperature, chat, "temperature", 1.0),
        top_p=_default(request.top_p, chat, "top_p", 1.0),
        seed=seed & ((1 << SEED_BITS) - 1),
        frequency_penalty=_default(request.frequency_penalty, chat, "frequency_penalty", 0.0),
        presence_penalty=_default(request.presence_penalty, chat, "presence_penalty", 0.0),
        repetition_penalty=_default(request.repetition_penalty, chat, "repetition_penalty", 1.0),
        logit_bias=dict(request.logit_bias or {}),
        top_logprobs=(request.top_logprobs or 0) if request.logprobs else None,
    )
    return Job(prompt, request.n or 1, max_new, list(request.stop or []), bool(request.ignore_eos), sampling,
               request.include_usage or not request.stream)


def _default(value, chat: dict, key: str, fallback: float) -> float:
    if value is not None:
        return float(value)
    return float(chat.get(key, fallback))
