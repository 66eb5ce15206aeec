"""Choices of a job -> OpenAI stream chunks (chat and text completions).

One code path: a non-streaming reply is the fold of these chunks
(protocol/fold.py). Choices run one after another over the same prompt;
the KV cache keeps the prompt, so choice 2.. prefills one token.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from contextlib import aclosing
from typing import AsyncIterator, Callable

from .. import __version__
from ..protocol.responses import (ChatCompletionChunk, ChatLogprobs, ChunkChoice, CompletionChoice,
                                  CompletionChunk, CompletionLogprobs, Delta, TokenLogprobEntry, ToolCallDelta,
                                  TopLogprob, Usage, new_tool_call_id)
from ..tokenizer import Tokenizer
from .generation import ChoiceStats, GenerationControl, Piece, TokenLogprob, generate_choice
from .jobs import Job
from .loader import LoadedModel
from .tool_stream import CallStart, ContentPiece, ToolCallReader, ToolStreamEvent

StatsSink = Callable[[list[ChoiceStats]], None]


async def run_choices(model: LoadedModel, job: Job, control: GenerationControl
                      ) -> AsyncIterator[tuple[int, Piece | None, ChoiceStats]]:
    """(choice index, piece, stats) for every piece; piece None once a choice has finished."""
    for index in range(job.n):
        stats = ChoiceStats()
        constraint = await job.choice_constraint(model)
        pieces = generate_choice(model, job.prompt, job.choice_sampling(index), job.max_new, job.stop,
                                 job.ignore_eos, control, stats, constraint)
        async with aclosing(pieces):  # closed now when abandoned, not at garbage collection
            async for piece in pieces:
                yield index, piece, stats
        yield index, None, stats
        if control.interrupted:
            return


def usage_of(prompt_tokens: int, choices: list[ChoiceStats], grammar_init_s: float | None = None) -> Usage:
    """OpenAI usage plus WebLLM's `extra` speeds (over all choices of the request)."""
    completion = sum(c.completion_tokens for c in choices)
    prefill_s = sum(max(c.first_token_at - c.started, 1e-9) for c in choices if c.first_token_at)
    decode_s = sum(max(c.finished_at - c.first_token_at, 1e-9) for c in choices if c.first_token_at)
    decoded = sum(max(c.completion_tokens - 1, 0) for c in choices)
    prefilled = sum(c.prefilled_tokens for c in choices)
    first = choices[0] if choices else ChoiceStats()
    e2e = max((c.finished_at for c in choices), default=0.0) - first.started
    extra = {
        "prefill_tokens": prefilled,
        "decode_tokens": decoded,
        "prefill_tokens_per_s": prefilled / prefill_s if prefill_s else 0.0,
        "decode_tokens_per_s": decoded / decode_s if decoded else 0.0,
        "time_to_first_token_s": (first.first_token_at - first.started) if first.first_token_at else 0.0,
        "time_per_output_token_s": decode_s / decoded if decoded else 0.0,
        "e2e_latency_s": max(e2e, 0.0),
    }
    if grammar_init_s is not None:  # WebLLM's names: compile time, then CPU time per masked token
        masks = sum(c.masks for c in choices)
        extra["grammar_init_s"] = grammar_init_s
        extra["grammar_per_token_s"] = sum(c.mask_seconds for c in choices) / masks if masks else 0.0
    return Usage(prompt_tokens, completion, prompt_tokens + completion, extra)


def token_text(tokenizer: Tokenizer, token: int) -> tuple[str, list[int]]:
    raw = tokenizer.token_bytes(token)
    return raw.decode("utf-8", errors="replace"), list(raw)


def chat_logprobs(tokenizer: Tokenizer, logprobs: list[TokenLogprob]) -> ChatLogprobs:
    entries = []
    for lp in logprobs:
        text, raw = token_text(tokenizer, lp.token)
        top = [TopLogprob(*_top_entry(tokenizer, t, v)) for t, v in lp.top]
        entries.append(TokenLogprobEntry(text, lp.logprob, raw, top))
    return ChatLogprobs(entries)


def _top_entry(tokenizer: Tokenizer, token: int, logprob: float) -> tuple[str, float, list[int]]:
    text, raw = token_text(tokenizer, token)
    return text, logprob, raw


def completion_logprobs(tokenizer: Tokenizer, logprobs: list[TokenLogprob], offset: int) -> CompletionLogprobs:
    """OpenAI's legacy completions shape: parallel lists plus text offsets."""
    tokens, values, tops, offsets = [], [], [], []
    for lp in logprobs:
        text, _ = token_text(tokenizer, lp.token)
        tokens.append(text)
        values.append(lp.logprob)
        tops.append({token_text(tokenizer, t)[0]: v for t, v in lp.top})
        offsets.append(offset)
        offset += len(text)
    return CompletionLogprobs(tokens, values, tops, offsets)


class ChunkIds:
    """The id/created/model/system_fingerprint that every chunk of one response shares."""

    def __init__(self, prefix: str, model: LoadedModel):
        self.id = f"{prefix}-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model.model_id
        self.system_fingerprint = system_fingerprint(model)


def system_fingerprint(model: LoadedModel) -> str:
    """OpenAI's form ("fp_" + hex) of what decides the answers besides the request: this engine's
    version, the model and its weights' scheme. Equal fingerprints + seed: equal sampling."""
    scheme = model.chat_config.get("quantization", "")
    digest = hashlib.sha256(f"webgpu-llm {__version__}|{model.model_id}|{scheme}".encode()).hexdigest()
    return f"fp_{digest[:10]}"


def _grammar_init(job: Job) -> float | None:
    return job.grammar_init_s if job.compiled_grammar is not None else None


def _tool_deltas(events: list[ToolStreamEvent], call_ids: list[str]) -> list[Delta]:
    """Tool-stream events -> OpenAI deltas: content, a call's first delta, argument pieces."""
    deltas = []
    for event in events:
        if isinstance(event, ContentPiece):
            deltas.append(Delta(None, event.text))
        elif isinstance(event, CallStart):
            call_ids.append(new_tool_call_id())
            deltas.append(Delta(None, None, [ToolCallDelta.start(event.index, call_ids[-1], event.name)]))
        else:
            deltas.append(Delta(None, None, [ToolCallDelta.arguments_piece(event.index, event.text)]))
    return deltas


async def chat_chunks(model: LoadedModel, job: Job, control: GenerationControl, on_done: StatsSink
                      ) -> AsyncIterator[ChatCompletionChunk]:
    ids = ChunkIds("chatcmpl", model)
    readers: dict[int, ToolCallReader] = {}
    call_ids: dict[int, list[str]] = {}
    finished: list[ChoiceStats] = []
    plan = job.plan

    def chunk(choices, usage=None) -> ChatCompletionChunk:
        return ChatCompletionChunk(ids.id, ids.created, ids.model, choices, usage, ids.system_fingerprint)

    async with aclosing(run_choices(model, job, control)) as choices:
        async for index, piece, stats in choices:
            if index not in readers:
                readers[index] = plan.tool_call_reader()
                call_ids[index] = []
                yield chunk([ChunkChoice(index, Delta("assistant", ""), None, None)])
            reader = readers[index]
            if piece is None:
                finished.append(stats)
                finish = stats.finish_reason
                if reader is not None:
                    for delta in _tool_deltas(reader.finish(), call_ids[index]):
                        yield chunk([ChunkChoice(index, delta, None, None)])
                    if reader.complete and finish == "stop":
                        finish = "tool_calls"
                yield chunk([ChunkChoice(index, Delta(None, None), None, finish)])
                continue
            logprobs = chat_logprobs(model.tokenizer, piece.logprobs) if job.sampling.top_logprobs is not None else None
            if reader is None:
                yield chunk([ChunkChoice(index, Delta(None, piece.text), logprobs, None)])
                continue
            deltas = _tool_deltas(reader.push(piece.text), call_ids[index]) or ([Delta(None, "")] if logprobs else [])
            for position, delta in enumerate(deltas):
                yield chunk([ChunkChoice(index, delta, logprobs if position == 0 else None, None)])
    on_done(finished)
    if job.include_usage:
        yield chunk([], usage_of(len(job.prompt), finished, _grammar_init(job)))


async def completion_chunks(model: LoadedModel, job: Job, control: GenerationControl, on_done: StatsSink
                            ) -> AsyncIterator[CompletionChunk]:
    ids = ChunkIds("cmpl", model)
    finished: list[ChoiceStats] = []
    offsets: dict[int, int] = {}

    def chunk(choices, usage=None) -> CompletionChunk:
        return CompletionChunk(ids.id, ids.created, ids.model, choices, usage, ids.system_fingerprint)

    async with aclosing(run_choices(model, job, control)) as choices:
        async for index, piece, stats in choices:
            if job.echo and index not in offsets:  # OpenAI's echo: the prompt is the first piece
                offsets[index] = 0
                yield chunk([CompletionChoice(index, job.echo, None, None)])
            if piece is None:
                finished.append(stats)
                yield chunk([CompletionChoice(index, "", None, stats.finish_reason)])
                continue
            logprobs = None
            if job.sampling.top_logprobs is not None:
                logprobs = completion_logprobs(model.tokenizer, piece.logprobs, offsets.get(index, 0))
            offsets[index] = offsets.get(index, 0) + len(piece.text)
            yield chunk([CompletionChoice(index, piece.text, logprobs, None)])
    on_done(finished)
    if job.include_usage:
        yield chunk([], usage_of(len(job.prompt), finished, _grammar_init(job)))
