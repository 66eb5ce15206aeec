"""The runner owns the device side of one loaded model: weights, graph, KV.

It prefills in chunks and decodes with several steps in flight: each step
is submitted without waiting, the sampled id stays on the GPU for the next
step, and ids come back through a ring of small staging buffers, `LAG`
steps behind (DESIGN.md, decision 5). Nothing is created per token.

With a grammar, decode runs one step behind instead (decision 8): the forward
pass of step t+1 is queued as soon as the sampler of step t is, since its
input token is already on the GPU; meanwhile the CPU reads token t, advances
the matcher and writes the mask that the sampler of step t+1 reads. Only
that small dispatch waits for the CPU.
"""

from __future__ import annotations

import inspect
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Union

from ..gpu.device import Buffer, BufferCopy, BufferUsage, Device
from ..grammar.matcher import GrammarMatcher
from ..kernels.sample import mask_words, token_bits
from ..kernels.step_params import FLAG_GRAMMAR, FLAG_LOGIT_BIAS, FLAG_LOGPROBS, StepParams
from ..model.architecture import Architecture
from ..model.config import ModelConfig
from ..model.graph import HISTORY_CAPACITY, MAX_TOP_LOGPROBS, GraphSizes, ModelGraph
from ..model.weight_formats import WeightFormats
from ..protocol.errors import ContextWindowExceededError, InvalidRequestError

LAG = 8  # decode steps in flight before the oldest id is awaited (H100, 8B shape: 3 -> 102, 10 -> 115 tok/s)
READ_EVERY = 4  # decoded ids per readback (one map per batch, not per token); divides HISTORY_CAPACITY
LOGPROB_SLOT = (1 + 2 * MAX_TOP_LOGPROBS) * 4

# A sampler on the CPU (a page's LogitProcessor, then JS sampling): a step's (vocab,) f32 LE
# logits and the request's sampling setup -> the chosen token id (or an awaitable of it).
CpuSampler = Callable[[bytes, "SamplingSetup"], Union[int, Awaitable[int]]]


@dataclass
class SamplingSetup:
    """What the sampler kernel needs for one request (validated upstream)."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0
    stream_index: int = 0  # choice index: different streams of one seed
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repetition_penalty: float = 1.0
    logit_bias: dict[int, float] = field(default_factory=dict)
    top_logprobs: int | None = None  # None: no logprobs
    grammar: bool = False  # the sampler reads a grammar mask (runner.Constraint)
    cpu_sampler: CpuSampler | None = field(default=None, compare=False)  # chooses instead of the GPU sampler

    def step_params(self, pos: int, num_tokens: int, step: int) -> StepParams:
        flags = ((FLAG_LOGIT_BIAS if self.logit_bias else 0) | (FLAG_LOGPROBS if self.top_logprobs is not None else 0)
                 | (FLAG_GRAMMAR if self.grammar else 0))
        return StepParams(pos=pos, num_tokens=num_tokens, step=step, seed=self.seed & 0xFFFFFFFF,
                          seed_hi=((self.seed >> 32) & 0xFFFF) | (self.stream_index << 16),
                          temperature=self.temperature, top_p=self.top_p, top_k=self.top_k,
                          frequency_penalty=self.frequency_penalty, presence_penalty=self.presence_penalty,
                          repetition_penalty=self.repetition_penalty, num_top_logprobs=self.top_logprobs or 0,
                          flags=flags, history_capacity=HISTORY_CAPACITY)


@dataclass
class Constraint:
    """A grammar matcher following one generation, and what its masks cost."""

    matcher: GrammarMatcher
    stop_token_ids: frozenset[int] = frozenset()  # end the answer; the matcher is not fed them
    mask_seconds: float = 0.0  # CPU time accepting tokens and writing masks
    masks: int = 0
    terminated: bool = False  # the grammar completed: nothing but a stop token could follow

    async def next_mask(self, device: Device, buffer: Buffer, offset: int) -> None:
        started = time.perf_counter()
        await self.matcher.write_next_mask(device, buffer, offset)
        self.mask_seconds += time.perf_counter() - started
        self.masks += 1

    def accept(self, token: int) -> None:
        started = time.perf_counter()
        if not self.matcher.accept_token(token):
            raise RuntimeError(f"the sampler chose token {token}, which the grammar mask did not allow")
        self.terminated = self.matcher.is_terminated()
        self.mask_seconds += time.perf_counter() - started


@dataclass(frozen=True)
class _Batch:
    """Steps start..end whose ids (and logprob rows) one staging buffer brings back."""

    start: int
    end: int
    staging: Buffer


@dataclass(frozen=True)
class SampledToken:
    token: int
    logprob: float | None = None
    top: tuple[tuple[int, float], ...] = ()


def sampled_with_logprobs(token: int, raw: bytes, offset: int) -> SampledToken:
    """A token with its logprob row as the sampler writes it at `offset`: the chosen logprob,
    then MAX_TOP_LOGPROBS (id, logprob) pairs."""
    values = struct.unpack_from(f"<f{2 * MAX_TOP_LOGPROBS}f", raw, offset)
    ids = struct.unpack_from(f"<{2 * MAX_TOP_LOGPROBS}I", raw, offset + 4)[0::2]
    return SampledToken(token, values[0], tuple((ids[j], values[2 + 2 * j]) for j in range(MAX_TOP_LOGPROBS)))


class ModelRunner:
    def __init__(self, device: Device, config: ModelConfig, arch: Architecture, weights: dict[str, Buffer],
                 quantization: str, context_window: int, prefill_chunk: int, sequences: int = 1):
        """`sequences`: page tables for that many sequences decoding together (engine/batching.py)."""
        self.device, self.config = device, config
        self.sizes = GraphSizes(context_window, prefill_chunk, sequences)
        self.graph = ModelGraph(device, config, arch, weights, WeightFormats.of(quantization), self.sizes)
        self.graph.prefill_dispatches(self.sizes.chunk)  # compile prefill pipelines at load, not in a request
        self.kv_tokens: list[int] = []  # the tokens whose keys/values the cache holds, in order
        self.kv_written_end = 0  # one past the last position written (steps past a stop included)
        self.lag = LAG  # 0: one step at a time (tests read each step's logits)
        read = BufferUsage.MAP_READ | BufferUsage.COPY_DST
        self._staging = [device.pool.acquire(READ_EVERY * (4 + LOGPROB_SLOT), read, f"readback-{i}")
                         for i in range(LAG + 2)]
        self._batches_issued = 0
        self._logits_staging = device.pool.acquire(config.vocab_size * 4, read, "logits-readback")

    @property
    def dispatches_per_decode_step(self) -> int:
        return len(self.graph.decode_dispatches)

    # ------------------------------------------------------------ request setup
    def begin_request(self, sampling: SamplingSetup, prompt: list[int]) -> None:
        """Per-request sampler state: zero counts, prompt mask, logit bias."""
        g, v = self.graph, self.config.vocab_size
        self.device.write_buffer(g.generated_counts, 0, bytes(v * 4))
        mask = token_bits(prompt, v)  # row 0 of token_masks; row 1 is the grammar's
        self.device.write_buffer(g.token_masks, 0, struct.pack(f"<{len(mask)}I", *mask))
        if sampling.logit_bias:
            bias = [0.0] * v
            for token, value in sampling.logit_bias.items():
                bias[token] = value
            self.device.write_buffer(g.logit_bias, 0, struct.pack(f"<{v}f", *bias))

    def reusable_prefix(self, prompt: list[int]) -> int:
        """How many leading prompt tokens the KV cache already holds (multi-turn reuse).
        At least one token is always prefilled: the last prompt token's logits are needed."""
        n = 0
        for a, b in zip(self.kv_tokens, prompt):
            if a != b:
                break
            n += 1
        n = min(n, len(prompt) - 1)
        return n if self.graph.kv_reusable(n, self.kv_written_end) else 0

    def check_fits(self, prompt_len: int, max_new: int) -> None:
        # The last generated token is never fed back, so it needs no KV slot.
        need = prompt_len + max(max_new, 1) - 1
        if need > self.sizes.context:
            raise ContextWindowExceededError(
                f"prompt of {prompt_len} tokens plus max_tokens {max_new} needs {need} KV positions; "
                f"the context window holds {self.sizes.context}")

    # ------------------------------------------------------------ steps
    @property
    def batch(self) -> int:
        """Steps per readback: READ_EVERY, or 1 when stepping one at a time (lag 0)."""
        return max(1, min(READ_EVERY, self.lag))

    def _batch_of(self, step: int, last_step: int) -> _Batch | None:
        """The batch that `step` ends, if it ends one: step 0 alone (first token soon), then
        aligned runs of `batch` steps, so a batch's history slots never wrap around the ring."""
        b = self.batch
        if not (step == 0 or step == last_step or (step + 1) % b == 0):
            return None
        self._batches_issued += 1
        start = 0 if step == 0 else max(1, step - step % b)
        return _Batch(start, step, self._staging[self._batches_issued % len(self._staging)])

    def _submit(self, dispatches, params: StepParams, batch: _Batch | None) -> None:
        copies = []
        if batch is not None:
            g, n = self.graph, batch.end - batch.start + 1
            slot = batch.start % HISTORY_CAPACITY
            copies = [BufferCopy(g.history, slot * 4, batch.staging, 0, n * 4),
                      BufferCopy(g.logprob_out, slot * LOGPROB_SLOT, batch.staging, READ_EVERY * 4,
                                 n * LOGPROB_SLOT)]
        self.device.write_buffer(self.graph.params, 0, params.pack())
        self.kv_written_end = max(self.kv_written_end, params.pos + params.num_tokens)
        self.device.submit(dispatches, copies)

    def prefill(self, prompt: list[int], sampling: SamplingSetup) -> _Batch:
        """Fill the KV cache from the reusable prefix on; the last chunk samples token 0
        (step 0), whose readback batch is returned."""
        start = self.reusable_prefix(prompt)
        self.kv_tokens = self.kv_tokens[:start]
        if start == 0:  # every position is written afresh: no older write can shadow one
            self.kv_written_end = 0
        first = self._batch_of(0, 0)
        self._prefill_chunks(prompt[start:], start, sampling, 0, first)
        self.kv_tokens = list(prompt)
        return first

    def _prefill_chunks(self, ids: list[int], start: int, sampling: SamplingSetup, step: int,
                        batch: _Batch) -> None:
        """Submit `ids` at positions start.. in prefill chunks; only the last chunk runs the
        head, whose sampler writes step `step` and whose readback is `batch`."""
        chunk = self.sizes.chunk
        for begin in range(0, len(ids), chunk):
            piece = ids[begin: begin + chunk]
            last = begin + chunk >= len(ids)
            self.device.write_buffer(self.graph.tokens, 0, struct.pack(f"<{len(piece)}I", *piece))
            self._submit(self.graph.prefill_dispatches(len(piece), with_head=last),
                         sampling.step_params(start + begin, len(piece), step), batch if last else None)

    def prefill_chunk(self, ids: list[int], start: int, table_base: int) -> None:
        """Positions start.. of the sequence whose page-table entries begin at `table_base`, no
        head: a batched sequence's prompt before it joins (engine/batching.py)."""
        self.device.write_buffer(self.graph.tokens, 0, struct.pack(f"<{len(ids)}I", *ids))
        self.device.write_buffer(self.graph.params, 0,
                                 StepParams(pos=start, num_tokens=len(ids), table_base=table_base).pack())
        self.device.submit(self.graph.prefill_dispatches(len(ids), with_head=False), [])

    async def _read(self, batch: _Batch, with_logprobs: bool) -> list[SampledToken]:
        n = batch.end - batch.start + 1
        raw = await self.device.read_buffer(batch.staging)
        tokens = struct.unpack_from(f"<{n}I", raw, 0)
        if not with_logprobs:
            return [SampledToken(t) for t in tokens]
        return [sampled_with_logprobs(token, raw, READ_EVERY * 4 + i * LOGPROB_SLOT) for i, token in enumerate(tokens)]

    async def generate(self, prompt: list[int], sampling: SamplingSetup, max_new: int,
                       constraint: Constraint | None = None) -> AsyncIterator[SampledToken]:
        """Prefill, then decode up to max_new tokens, yielding each sampled token.

        Up to `lag` steps run ahead of the last id read back; ids come back in
        batches. The consumer stops by breaking out (a stop condition): steps
        already in flight are dropped and the KV accounting keeps only fed tokens.
        With a `constraint`, decode runs one step behind (`_generate_constrained`)."""
        self.check_fits(len(prompt), max_new)
        self.begin_request(sampling, prompt)
        if constraint is not None:
            async for sampled in self._generate_constrained(prompt, sampling, max_new, constraint):
                yield sampled
            return
        if sampling.cpu_sampler is not None:
            async for sampled in self._generate_cpu_sampled(prompt, sampling, max_new):
                yield sampled
            return
        last_step = max_new - 1
        pending: deque[_Batch] = deque()
        pending.append(self.prefill(prompt, sampling))
        logprobs = sampling.top_logprobs is not None
        issued, done = 0, -1  # highest step submitted, highest step read back
        received: list[int] = []
        try:
            while pending or issued < last_step:
                # No decode step before the first token is back: time to first token is the
                # prefill's own, not the prefill plus `lag` steps queued behind it.
                while done >= 0 and issued < last_step and issued - done <= self.lag:
                    issued += 1  # step s feeds token s-1 at position len(prompt) + s - 1
                    batch = self._batch_of(issued, last_step)
                    self._submit(self.graph.decode_dispatches,
                                 sampling.step_params(len(prompt) + issued - 1, 1, issued), batch)
                    if batch is not None:
                        pending.append(batch)
                batch = pending.popleft()
                for sampled in await self._read(batch, logprobs):
                    received.append(sampled.token)
                    yield sampled
                done = batch.end
        finally:
            # Tokens fed back so far: every received token but the last one.
            self.kv_tokens = list(prompt) + received[:-1]

    async def _generate_constrained(self, prompt: list[int], sampling: SamplingSetup, max_new: int,
                                    constraint: Constraint) -> AsyncIterator[SampledToken]:
        """Decode under a grammar: the forward pass of step s+1 runs on the GPU while the
        CPU reads token s, advances the matcher and writes the mask of step s+1. Ends
        after max_new tokens, or once the grammar is complete (constraint.terminated)."""
        g = self.graph
        mask_offset = mask_words(self.config.vocab_size) * 4  # row 1 of token_masks
        logprobs = sampling.top_logprobs is not None
        received: list[int] = []
        try:
            await constraint.next_mask(self.device, g.token_masks, mask_offset)
            batch = self.prefill(prompt, sampling)  # samples token 0 under the first mask
            for step in range(max_new):
                following = step + 1 < max_new
                if following:  # queued behind this step's sampler: it reads the token on the GPU
                    self._submit(g.decode_forward, sampling.step_params(len(prompt) + step, 1, step + 1), None)
                sampled = (await self._read(batch, logprobs))[0]
                received.append(sampled.token)
                stop = sampled.token in constraint.stop_token_ids
                if not stop:
                    constraint.accept(sampled.token)
                yield sampled
                if stop or constraint.terminated or not following:
                    return
                await constraint.next_mask(self.device, g.token_masks, mask_offset)
                self._batches_issued += 1
                batch = _Batch(step + 1, step + 1, self._staging[self._batches_issued % len(self._staging)])
                self._submit_sample(batch)
        finally:
            self.kv_tokens = list(prompt) + received[:-1]

    async def _generate_cpu_sampled(self, prompt: list[int], sampling: SamplingSetup,
                                    max_new: int) -> AsyncIterator[SampledToken]:
        """Decode with the token chosen on the CPU (WebLLM's LogitProcessor): each step's logits
        come back through the logits staging buffer, `sampling.cpu_sampler` chooses, and the
        next step is fed that token. One step at a time, so slow, as WebLLM's is."""
        received: list[int] = []
        try:
            self.prefill(prompt, sampling)
            for step in range(max_new):
                if step:
                    self.device.write_buffer(self.graph.tokens, 0, struct.pack("<I", received[-1]))
                    self._submit(self.graph.decode_dispatches,
                                 sampling.step_params(len(prompt) + step - 1, 1, step), None)
                chosen = sampling.cpu_sampler(await self.read_logits_bytes(), sampling)
                token = int(await chosen if inspect.isawaitable(chosen) else chosen)
                if not 0 <= token < self.config.vocab_size:
                    raise InvalidRequestError(f"the logit processor's sampling chose token {token}, outside "
                                              f"the vocabulary 0..{self.config.vocab_size - 1}")
                received.append(token)
                yield SampledToken(token)
        finally:
            self.kv_tokens = list(prompt) + received[:-1]

    def _submit_sample(self, batch: _Batch) -> None:
        """The sampler alone, after its mask: the params of its step were written with its forward pass."""
        g, slot = self.graph, batch.start % HISTORY_CAPACITY
        self.device.submit(g.sample_dispatches, [
            BufferCopy(g.history, slot * 4, batch.staging, 0, 4),
            BufferCopy(g.logprob_out, slot * LOGPROB_SLOT, batch.staging, READ_EVERY * 4, LOGPROB_SLOT)])

    async def read_logits(self, processed: bool = False) -> list[float]:
        """The last step's logits (raw LM head output, or after bias/penalties). Tests and debugging."""
        raw = await self.read_logits_bytes(processed)
        return list(struct.unpack(f"<{self.config.vocab_size}f", raw))

    async def read_logits_bytes(self, processed: bool = False) -> bytes:
        """The last step's logits as (vocab,) little-endian f32, through the one logits staging buffer."""
        source = self.graph.processed if processed else self.graph.logits
        self.device.submit([], [BufferCopy(source, 0, self._logits_staging, 0, source.size)])
        raw = await self.device.read_buffer(self._logits_staging)
        return raw[: self.config.vocab_size * 4]

    # ------------------------------------------------------------ the low-level API
    def forward_tokens(self, ids: list[int], fresh: bool, sampling: SamplingSetup, step: int) -> _Batch:
        """WebLLM's forwardTokensAndSample on the device: `ids` after the cached sequence (a new
        sequence when `fresh`), in prefill chunks; the last chunk's head samples one token into
        history slot `step`, whose readback batch is returned. The ids come from the caller, so
        the token sampled here is never fed back by itself."""
        if not ids:
            raise InvalidRequestError("forwardTokensAndSample needs at least one input id", param="inputIds")
        vocab = self.config.vocab_size
        if any(not isinstance(t, int) or not 0 <= t < vocab for t in ids):
            raise InvalidRequestError(f"input ids must be token ids in 0..{vocab - 1}", param="inputIds")
        if fresh:
            self.reset()
            self.begin_request(sampling, ids)
        elif not self.kv_tokens:
            raise InvalidRequestError("forwardTokensAndSample(ids, false) appends to a sequence; start one "
                                      "with isPrefill true", param="isPrefill")
        start = len(self.kv_tokens)
        self.check_fits(start + len(ids), 1)
        self._batches_issued += 1
        batch = _Batch(step, step, self._staging[self._batches_issued % len(self._staging)])
        self._prefill_chunks(ids, start, sampling, step, batch)
        self.kv_tokens = self.kv_tokens + list(ids)
        return batch

    async def read_sampled(self, batch: _Batch) -> int:
        return (await self._read(batch, False))[0].token

    def release(self) -> None:
        """Unload: activations, KV cache and staging buffers go back to the device's pool."""
        self.graph.release()
        for buffer in [*self._staging, self._logits_staging]:
            self.device.pool.release(buffer)
        self._staging = []
        self.kv_tokens = []
        self.kv_written_end = 0

    def reset(self) -> None:
        self.kv_tokens = []
        self.kv_written_end = 0
