"""`bench --concurrency N`: N streams at once through the batch scheduler, against one stream.

Both runs go through the same `BatchScheduler` (one stream is a batch of one row), so the
ratio is what batching gives: each stream prefills its own random prompt, then decodes
`decode_tokens` greedy tokens; throughput is all streams' generated tokens over the wall
time from the first request to the last token (prefills included)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from ..engine.batching import BatchScheduler
from ..engine.runner import SamplingSetup


@dataclass(frozen=True)
class ConcurrencyResult:
    streams: int
    tokens_per_s: float  # all streams' tokens over the wall time
    single_stream_tokens_per_s: float  # one stream alone, measured the same way
    time_to_last_first_token_s: float  # when the last stream got its first token

    @property
    def speedup(self) -> float:
        return self.tokens_per_s / self.single_stream_tokens_per_s if self.single_stream_tokens_per_s else 0.0

    def format(self) -> str:
        return (f"concurrency: {self.streams} streams at {self.tokens_per_s:,.1f} tokens/s in all, one stream "
                f"{self.single_stream_tokens_per_s:,.1f} tokens/s: {self.speedup:.2f}x; every stream had its "
                f"first token after {self.time_to_last_first_token_s:.3f} s")


async def _streams(scheduler: BatchScheduler, prompts: list[list[int]],
                   decode_tokens: int) -> tuple[float, float, list[int]]:
    """(tokens/s over all streams, seconds until the last stream's first token, tokens per stream)."""
    started = time.perf_counter()
    first_tokens: list[float] = []

    async def one(prompt: list[int]) -> int:
        count = 0
        async for _ in scheduler.generate(prompt, SamplingSetup(), decode_tokens):
            if count == 0:
                first_tokens.append(time.perf_counter() - started)
            count += 1
        return count

    counts = await asyncio.gather(*(one(p) for p in prompts))
    elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, max(first_tokens), list(counts)


def concurrent_decode(scheduler: BatchScheduler, streams: int, prompt_tokens: int, decode_tokens: int,
                      vocab: int, rounds: int = 2) -> ConcurrencyResult:
    """Best of `rounds` after a warm-up (pipelines for every batch size compile there)."""
    rng = random.Random(1)

    def prompts(n: int) -> list[list[int]]:
        return [[rng.randrange(vocab) for _ in range(prompt_tokens)] for _ in range(n)]

    asyncio.run(_streams(scheduler, prompts(streams), decode_tokens))  # warm-up
    single = max(asyncio.run(_streams(scheduler, prompts(1), decode_tokens))[0] for _ in range(rounds))
    best, first = 0.0, 0.0
    for _ in range(rounds):
        rate, last_first, _ = asyncio.run(_streams(scheduler, prompts(streams), decode_tokens))
        if rate > best:
            best, first = rate, last_first
    return ConcurrencyResult(streams, best, single, first)
