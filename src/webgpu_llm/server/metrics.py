"""What `/metrics` reports, in Prometheus' text exposition format (version 0.0.4,
https://prometheus.io/docs/instrumenting/exposition_formats/), written by hand: a
few counters do not need a client library.

    webgpu_llm_requests_total{route, status}      counter: answered requests
    webgpu_llm_prompt_tokens_total                counter: prompt tokens of generations
    webgpu_llm_completion_tokens_total            counter: generated tokens
    webgpu_llm_requests_in_flight                 gauge: generation requests admitted, not yet answered
    webgpu_llm_queue_length                       gauge: of those, the ones without a first token yet
                                                  (queued behind another request, or in prefill;
                                                  a non-streamed one until its answer is ready)
    webgpu_llm_time_to_first_token_seconds        histogram: from arrival to the first token

Routes are labelled by their path for the API, `/health` and `/metrics`, else "static",
so a client cannot grow the label set.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable

API_ROUTES = ("/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/health", "/metrics")
TTFT_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def route_label(path: str) -> str:
    return path if path in API_ROUTES else "/v1/other" if path.startswith("/v1/") else "static"


@dataclass(slots=True)
class RequestRecord:
    """One request's facts as the routes learn them (kept in the ASGI scope's state)."""

    method: str
    path: str
    generation: bool  # a POST under /v1: engine work, counted against --max-concurrency
    arrived: float = field(default_factory=time.perf_counter)
    first_token_at: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()

    def tokens(self, usage) -> None:
        """From an OpenAI Usage (None: unknown; embeddings have no completion tokens)."""
        if usage is not None:
            self.prompt_tokens = getattr(usage, "prompt_tokens", None)
            self.completion_tokens = getattr(usage, "completion_tokens", None)


class ServerMetrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = {}
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self._records: dict[int, RequestRecord] = {}
        self.ttft_counts = [0] * (len(TTFT_BUCKETS_S) + 1)  # per bucket, the last is +Inf
        self.ttft_sum = 0.0

    def admitted(self, record: RequestRecord) -> None:
        self._records[id(record)] = record

    def finished(self, record: RequestRecord, status: int) -> None:
        self._records.pop(id(record), None)
        key = (route_label(record.path), status)
        self.requests[key] = self.requests.get(key, 0) + 1
        self.prompt_tokens += record.prompt_tokens or 0
        self.completion_tokens += record.completion_tokens or 0
        if record.first_token_at is not None:
            seconds = record.first_token_at - record.arrived
            self.ttft_counts[bisect.bisect_left(TTFT_BUCKETS_S, seconds)] += 1
            self.ttft_sum += seconds

    @property
    def in_flight(self) -> int:
        return len(self._records)

    @property
    def queue_length(self) -> int:
        return sum(1 for record in self._records.values() if record.first_token_at is None)

    def render(self) -> str:
        lines = ["# HELP webgpu_llm_requests_total Requests answered, by route and HTTP status.",
                 "# TYPE webgpu_llm_requests_total counter"]
        lines += [f'webgpu_llm_requests_total{{route="{route}",status="{status}"}} {count}'
                  for (route, status), count in sorted(self.requests.items())]
        lines += _single("webgpu_llm_prompt_tokens_total", "counter", "Prompt tokens of answered requests.",
                         self.prompt_tokens)
        lines += _single("webgpu_llm_completion_tokens_total", "counter", "Tokens generated for answered requests.",
                         self.completion_tokens)
        lines += _single("webgpu_llm_requests_in_flight", "gauge", "Generation requests admitted and not answered.",
                         self.in_flight)
        lines += _single("webgpu_llm_queue_length", "gauge",
                         "Admitted generation requests without a first token yet.", self.queue_length)
        lines += ["# HELP webgpu_llm_time_to_first_token_seconds From a request's arrival to its first token.",
                  "# TYPE webgpu_llm_time_to_first_token_seconds histogram"]
        cumulative = 0
        for bound, count in zip((*map(str, TTFT_BUCKETS_S), "+Inf"), self.ttft_counts):
            cumulative += count
            lines.append(f'webgpu_llm_time_to_first_token_seconds_bucket{{le="{bound}"}} {cumulative}')
        lines += [f"webgpu_llm_time_to_first_token_seconds_sum {self.ttft_sum}",
                  f"webgpu_llm_time_to_first_token_seconds_count {cumulative}"]
        return "\n".join(lines) + "\n"


def _single(name: str, kind: str, help_text: str, value: int) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name} {value}"]


def note_answer(record: RequestRecord | None, usage) -> None:
    """A non-streamed answer: its tokens, and when its first token came, from the engine's own
    timings (WebLLM's usage.extra: e2e_latency_s after time_to_first_token_s)."""
    if record is None or usage is None:
        return
    record.tokens(usage)
    extra = getattr(usage, "extra", None) or {}
    if extra.get("time_to_first_token_s") and record.completion_tokens:
        after_first = max(extra.get("e2e_latency_s", 0.0) - extra["time_to_first_token_s"], 0.0)
        record.first_token_at = max(time.perf_counter() - after_first, record.arrived)


async def recorded_stream(chunks: AsyncIterator, record: RequestRecord | None,
                          last_usage: Callable[[], Any]) -> AsyncIterator:
    """`chunks`, noting the first chunk that carries a token and, at the end, the stream's usage
    (`last_usage()`: the engine's, set before its stream ends)."""
    async for chunk in chunks:
        if record is not None and _carries_a_token(chunk):
            record.first_token()
        yield chunk
    if record is not None:
        record.tokens(last_usage())


def _carries_a_token(chunk) -> bool:
    for choice in chunk.choices:
        delta = getattr(choice, "delta", None)
        if (delta.content or delta.tool_calls) if delta is not None else choice.text:
            return True
    return False
