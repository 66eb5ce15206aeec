"""WebLLM's low-level engine API: forwardTokensAndSample(inputIds, isPrefill).

The caller drives the sequence: `is_prefill` starts a fresh one with `input_ids`,
otherwise `input_ids` are appended to it (usually the token sampled last). One
forward pass over them, then one token sampled with the model's chat config
(mlc-chat-config.json's temperature, top_p, penalties, as chatOpts left them;
greedy at temperature 0). As in WebLLM's LLMChatPipeline.forwardTokensAndSample,
the time of a prefill call counts as prefill (its ids as prefill tokens), that of
an appending call as one decoded token; runtimeStatsText() reports the totals.

With a logit processor (a page's LogitProcessor), the caller wants the logits
instead of the GPU's token: `ForwardSession.logits` runs the same forward pass
and hands the (vocab,) f32 logits back for sampling on the CPU.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from .jobs import SEED_BITS
from .loader import LoadedModel
from .runner import SamplingSetup


@dataclass
class ForwardStats:
    """Totals of forwardTokensAndSample calls since the last reset (WebLLM's pipeline counters)."""

    prefill_tokens: int = 0
    prefill_s: float = 0.0
    decode_tokens: int = 0
    decode_s: float = 0.0

    def add(self, is_prefill: bool, tokens: int, seconds: float) -> None:
        if is_prefill:
            self.prefill_tokens += tokens
            self.prefill_s += seconds
        else:
            self.decode_tokens += 1
            self.decode_s += seconds

    def text(self) -> str:
        prefill = self.prefill_tokens / self.prefill_s if self.prefill_s else 0.0
        decode = self.decode_tokens / self.decode_s if self.decode_s else 0.0
        return f"prefill: {prefill:.1f} tokens/sec, decoding: {decode:.1f} tokens/sec"


def chat_config_sampling(model: LoadedModel, seed: int) -> SamplingSetup:
    """The sampler settings of the model's chat config (chatOpts already merged in at load)."""
    chat = model.chat_config
    return SamplingSetup(
        temperature=float(chat.get("temperature", 1.0)), top_p=float(chat.get("top_p", 1.0)),
        seed=seed, frequency_penalty=float(chat.get("frequency_penalty", 0.0)),
        presence_penalty=float(chat.get("presence_penalty", 0.0)),
        repetition_penalty=float(chat.get("repetition_penalty", 1.0)))


@dataclass
class ForwardSession:
    """The sequence that forwardTokensAndSample calls build, on one model's runner."""

    model: LoadedModel
    stats: ForwardStats = field(default_factory=ForwardStats)
    sampling: SamplingSetup | None = None
    step: int = 0  # calls since the last prefill: the sampler's RNG offset and history slot

    def _forward(self, input_ids: list[int], is_prefill: bool):
        if is_prefill or self.sampling is None:
            self.sampling = chat_config_sampling(self.model, secrets.randbits(SEED_BITS))
            self.step = 0
        else:
            self.step += 1
        return self.model.runner.forward_tokens(list(input_ids), is_prefill, self.sampling, self.step)

    async def sample(self, input_ids: list[int], is_prefill: bool) -> int:
        """The forward pass over `input_ids`, then the token the GPU sampler chose."""
        started = time.perf_counter()
        token = await self.model.runner.read_sampled(self._forward(input_ids, is_prefill))
        self.stats.add(is_prefill, len(input_ids), time.perf_counter() - started)
        return token

    async def logits(self, input_ids: list[int], is_prefill: bool) -> bytes:
        """The forward pass over `input_ids`, then its last row's raw logits, (vocab,) f32 LE,
        for the caller to process and sample (the GPU's own token is not used)."""
        started = time.perf_counter()
        self._forward(input_ids, is_prefill)
        raw = await self.model.runner.read_logits_bytes()
        self.stats.add(is_prefill, len(input_ids), time.perf_counter() - started)
        return raw

    def reset(self) -> None:
        self.stats = ForwardStats()
        self.sampling = None
        self.step = 0
