"""One choice of one request: prompt ids -> text pieces, stop checks, timing.

The loop is `runner.generate` (GPU, steps in flight) -> streaming
detokenizer -> stop strings -> pieces. Stop tokens and stop strings end the
loop; the runner then drops the steps still in flight. Under a grammar
(`constraint`), a completed grammar ends it too, with finish_reason "stop".
"""

from __future__ import annotations

import time
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import AsyncIterator

from ..tokenizer import StreamingDetokenizer
from .loader import LoadedModel
from .runner import Constraint, SampledToken, SamplingSetup
from .stop import StopMatcher


@dataclass(frozen=True)
class TokenLogprob:
    token: int
    logprob: float
    top: tuple[tuple[int, float], ...]


@dataclass
class Piece:
    """Text that may be shown now, with the logprobs of the tokens behind it."""

    text: str
    logprobs: list[TokenLogprob] = field(default_factory=list)


@dataclass
class ChoiceStats:
    prompt_tokens: int = 0
    prefilled_tokens: int = 0  # prompt tokens actually prefilled (after KV reuse)
    completion_tokens: int = 0
    finish_reason: str | None = None
    started: float = 0.0
    first_token_at: float = 0.0
    finished_at: float = 0.0
    mask_seconds: float = 0.0  # grammar: CPU time advancing the matcher and writing masks
    masks: int = 0


@dataclass(eq=False)  # hashed by identity: the engine keeps the running ones in a set
class GenerationControl:
    """One request's stop switch, read once per token: set by interrupt() (the engine's
    interrupt_generate() for the running request, the server when its client leaves)."""

    interrupted: bool = False

    def interrupt(self) -> None:
        self.interrupted = True


async def generate_choice(model: LoadedModel, prompt: list[int], sampling: SamplingSetup, max_new: int,
                          stop_strings: list[str], ignore_eos: bool, control: GenerationControl,
                          stats: ChoiceStats, constraint: Constraint | None = None) -> AsyncIterator[Piece]:
    runner, tokenizer = model.scheduler or model.runner, model.tokenizer
    stats.prompt_tokens = len(prompt)
    stats.prefilled_tokens = len(prompt) - runner.reusable_prefix(prompt)
    stats.started = time.perf_counter()
    stop_ids = frozenset() if ignore_eos else model.stop_token_ids
    detokenizer = StreamingDetokenizer(tokenizer, skip_special_tokens=True)
    matcher = StopMatcher(list(stop_strings) + list(model.template.stop_str or ()))
    want_logprobs = sampling.top_logprobs is not None
    stats.finish_reason = "length"
    if control.interrupted:  # stopped before its turn came (its client left): no prefill at all
        stats.finish_reason, stats.finished_at = "abort", time.perf_counter()
        return
    cut_by_stop_string = False
    # aclosing: on a stop, the runner's steps in flight are dropped now, not at garbage collection.
    async with aclosing(runner.generate(prompt, sampling, max_new, constraint)) as tokens:
        async for sampled in tokens:
            stats.completion_tokens += 1
            if stats.completion_tokens == 1:
                stats.first_token_at = time.perf_counter()
            if control.interrupted:
                stats.finish_reason = "abort"
                break
            logprobs = [_logprob(sampled, sampling.top_logprobs)] if want_logprobs else []
            if sampled.token in stop_ids:
                stats.finish_reason = "stop"
                break
            text, cut_by_stop_string = matcher.push(detokenizer.push(sampled.token))
            if text or logprobs:
                yield Piece(text, logprobs)
            if cut_by_stop_string:
                stats.finish_reason = "stop"
                break
    if not cut_by_stop_string:
        # Text held back (a possible stop-string start, an unfinished UTF-8
        # sequence) is real output once nothing more can follow.
        tail, _ = matcher.push(detokenizer.flush())
        tail += matcher.flush()
        if tail:
            yield Piece(tail)
        if matcher.stopped:  # a stop string that could still have grown, settled at the end
            stats.finish_reason = "stop"
    if constraint is not None:
        stats.mask_seconds, stats.masks = constraint.mask_seconds, constraint.masks
        if constraint.terminated and stats.finish_reason == "length":
            stats.finish_reason = "stop"  # the grammar completed on the last token allowed
    stats.finished_at = time.perf_counter()


def _logprob(sampled: SampledToken, top_n: int | None) -> TokenLogprob:
    return TokenLogprob(sampled.token, float(sampled.logprob or 0.0), sampled.top[: top_n or 0])
