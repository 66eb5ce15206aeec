"""A validated request + the loaded model -> what the runner executes.

Everything that can be wrong with a request against this model (token ids
outside the vocabulary, a prompt that does not fit) is found here, before a
stream starts, so an invalid request raises at `create()` and leaves the
engine untouched.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from ..conversation import ConversationError, render_prompt
from ..grammar.spec import GrammarError
from ..protocol.errors import FeatureNotSupportedError, InvalidRequestError
from .loader import LoadedModel
from .runner import Constraint, CpuSampler, SamplingSetup
from .structured import OutputPlan

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
    plan: OutputPlan = OutputPlan()
    compiled_grammar: Any = None  # the grammar backend's compiled form of plan.grammar
    grammar_init_s: float = 0.0  # compile time (about 0 when the cache had it)
    echo: str = ""  # text completions with echo: the prompt text, sent before each choice's text
    equal_choices: bool = False  # every choice draws the same random stream (WebLLM's seed with n)

    def choice_sampling(self, index: int) -> SamplingSetup:
        stream = 0 if self.equal_choices else index
        return replace(self.sampling, stream_index=stream, grammar=self.compiled_grammar is not None)

    async def choice_constraint(self, model: LoadedModel) -> Constraint | None:
        """A fresh matcher at the start of the grammar, for one choice."""
        if self.compiled_grammar is None:
            return None
        backend = await model.grammar_backend()
        return Constraint(await backend.matcher(self.compiled_grammar), model.stop_token_ids)


async def with_compiled_grammar(model: LoadedModel, job: Job, plan: OutputPlan) -> Job:
    """The job with its plan and, when the plan has a grammar, the grammar compiled (cached per model)."""
    if plan.grammar is None:
        return replace(job, plan=plan)
    started = time.perf_counter()
    backend = await model.grammar_backend()
    try:
        compiled = await backend.compile(plan.grammar)
    except GrammarError as e:
        raise InvalidRequestError(str(e), param=getattr(e, "param", None) or plan.grammar_param) from e
    return replace(job, plan=plan, compiled_grammar=compiled, grammar_init_s=time.perf_counter() - started)


def chat_prompt_ids(model: LoadedModel, messages: list[dict], tools: list[dict] | None = None,
                    parse_special_tokens: bool = False, enable_thinking: bool | None = None) -> list[int]:
    """Messages (and the tools shown to the model, OpenAI's form) -> token ids through the model's
    conversation template. What the messages wrote is text, special-token strings included, unless
    `parse_special_tokens`: only the template's own markers are special tokens. `enable_thinking`
    (extra_body) goes to the template, which may ignore it."""
    try:
        prompt = render_prompt(model.template, messages, tools=tools or None, enable_thinking=enable_thinking)
    except ConversationError as e:
        raise InvalidRequestError(str(e), param="messages") from e
    literal = () if parse_special_tokens else prompt.content_spans
    return list(prompt.prefix_token_ids) + model.tokenizer.encode(prompt.text, add_special_tokens=False,
                                                                  literal_spans=literal)


def text_prompt_ids(model: LoadedModel, prompt: str, parse_special_tokens: bool = False) -> list[int]:
    """A raw completion prompt: the tokenizer's own specials (e.g. BOS) included; special-token
    strings in it are text unless `parse_special_tokens`."""
    literal = () if parse_special_tokens else ((0, len(prompt)),)
    ids = model.tokenizer.encode(prompt, add_special_tokens=True, literal_spans=literal)
    if not ids:
        raise InvalidRequestError("prompt is empty after tokenization; give at least one token", param="prompt")
    return ids


def make_job(model: LoadedModel, request, prompt: list[int], seeded_choices_equal: bool = False) -> Job:
    """Request fields (None = the model's default from mlc-chat-config.json) -> a Job.

    With a `seed` and n > 1, each choice draws its own random stream (OpenAI's n samples), or,
    with `seeded_choices_equal`, all draw the seed's one stream and so are equal (WebLLM's)."""
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
               request.include_usage or not request.stream,
               echo=request.prompt if getattr(request, "echo", False) else "",
               equal_choices=seeded_choices_equal and request.seed is not None)


def with_cpu_sampler(job: Job, cpu_sampler: CpuSampler | None) -> Job:
    """The job with its tokens chosen on the CPU (a LogitProcessor). Grammars and logprobs are
    the GPU sampler's work, so they are refused with a processor rather than silently dropped."""
    if cpu_sampler is None:
        return job
    if job.compiled_grammar is not None:
        raise FeatureNotSupportedError("a logit processor cannot be combined with response_format or tools "
                                       "(their grammar masks the GPU sampler); leave one out",
                                       param="tools" if job.plan.grammar_param == "tools" else "response_format")
    if job.sampling.top_logprobs is not None:
        raise FeatureNotSupportedError("logprobs are not computed when a logit processor samples; "
                                       "leave logprobs out", param="logprobs")
    return replace(job, sampling=replace(job.sampling, cpu_sampler=cpu_sampler))


def _default(value, chat: dict, key: str, fallback: float) -> float:
    if value is not None:
        return float(value)
    return float(chat.get(key, fallback))
