"""Continuous batching: concurrent requests of one model decode together, one step at a time.

A `BatchScheduler` owns the runner while requests run. Each request is a sequence in a
slot (its page-table rows, its sampler state); one loop task drives them all:

    waiting --admit--> joining: the prompt but its last token is prefilled, one chunk per turn,
                                between the decode steps of the others
            --join---> rows: each step feeds every row's last token (the join step feeds the
                       prompt's last one) and samples its next, up to `lag` steps in flight
            --leave--> done: max_tokens reached, or the consumer stopped (stop token or
                       string, a client gone)

Rows join and leave only at a drained boundary (the steps in flight read back), where the
CPU knows every row's last token and rewrites the fed-back tokens for the new rows. A slot
keeps its tokens' keys and values when its request ends, so a follow-up turn in it
prefills only what is new; its pages go to a new request that needs them (least recently
used first). Pages for the prompt plus max_tokens are held from admission, so a step
never runs out of them; a request that does not fit waits.

Requests the batched step does not cover (a grammar, a CPU sampler, the low-level API)
run `alone()`: once the batch is empty, on the runner's own single-sequence path.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator

from ..gpu.device import Buffer, BufferCopy, BufferUsage
from ..kernels.sample import token_bits
from ..kernels.step_params import BatchRow, pack_batch
from ..model.batch_graph import LOGPROB_ROW_BYTES, BatchDecodeGraph
from ..model.graph import PAGE_SIZE
from .runner import Constraint, ModelRunner, SampledToken, SamplingSetup, sampled_with_logprobs

_END = object()  # a sequence's queue: nothing more follows


@dataclass(eq=False)
class _Slot:
    index: int
    table_base: int  # its first page-table entry
    pages: list[int] = field(default_factory=list)  # physical pages, in logical order
    tokens: list[int] = field(default_factory=list)  # what its KV cache holds, in order
    busy: bool = False
    last_used: int = 0


@dataclass(eq=False)
class _Sequence:
    prompt: list[int]
    sampling: SamplingSetup
    max_new: int
    out: asyncio.Queue = field(default_factory=asyncio.Queue)
    slot: _Slot | None = None
    prefilled: int = 0  # prompt positions in the cache
    submitted: int = 0  # decode steps submitted; step s feeds token s - 1 (step 0: the prompt's last)
    sampled: list[int] = field(default_factory=list)  # every token read back, the consumer's or not
    closed: bool = False  # the consumer left: no more tokens wanted

    @property
    def ready(self) -> bool:
        return self.prefilled == len(self.prompt) - 1

    @property
    def position(self) -> int:
        """The position of the token the next step feeds."""
        return len(self.prompt) - 1 + self.submitted


@dataclass(frozen=True)
class _Step:
    rows: tuple[_Sequence, ...]
    staging: Buffer
    logprobs: bool


class BatchScheduler:
    def __init__(self, runner: ModelRunner, capacity: int):
        if capacity < 2:
            raise ValueError(f"a batch scheduler needs a capacity of at least 2, got {capacity}")
        self.runner, self.capacity = runner, capacity
        self.graph = BatchDecodeGraph(runner.graph, capacity)
        pages = runner.sizes.pages
        self.slots = [_Slot(i, i * pages) for i in range(capacity)]
        self.free_pages = list(range(pages))
        self.waiting: deque[_Sequence] = deque()
        self.joining: list[_Sequence] = []
        self.rows: list[_Sequence] = []
        self.in_flight: deque[_Step] = deque()
        read = BufferUsage.MAP_READ | BufferUsage.COPY_DST
        self._staging_bytes = capacity * (4 + LOGPROB_ROW_BYTES)
        self._staging = [runner.device.pool.acquire(self._staging_bytes, read, f"batch-readback-{i}")
                         for i in range(runner.lag + 2)]
        self._steps = 0
        self._uses = 0
        self._task: asyncio.Task | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._alone = asyncio.Lock()
        self._alone_waiting = 0

    # ------------------------------------------------------------ what requests call
    def reusable_prefix(self, prompt: list[int]) -> int:
        """Prompt tokens an idle slot's cache already holds (the best one now; it may change)."""
        idle = [s for s in self.slots if not s.busy]
        return max((self._common_prefix(s, prompt) for s in idle), default=0)

    async def generate(self, prompt: list[int], sampling: SamplingSetup, max_new: int,
                       constraint: Constraint | None = None) -> AsyncIterator[SampledToken]:
        """As ModelRunner.generate, decoding in the batch (or alone, for what it does not cover)."""
        if constraint is not None or sampling.cpu_sampler is not None:
            async with self.alone():
                async for sampled in self.runner.generate(prompt, sampling, max_new, constraint):
                    yield sampled
            return
        self.runner.check_fits(len(prompt), max_new)
        seq = _Sequence(list(prompt), sampling, max_new)
        self.waiting.append(seq)
        self._kick()
        try:
            while True:
                item = await seq.out.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            seq.closed = True
            if seq in self.waiting:
                self.waiting.remove(seq)
            self._kick()

    @asynccontextmanager
    async def alone(self):
        """Hold the runner with the batch empty: its single-sequence path on slot 0's table
        (identity), every slot's cache forgotten."""
        self._alone_waiting += 1  # until the batch is empty: no request joins it meanwhile
        try:
            await self._alone.acquire()
            try:
                while self._task is not None:
                    await self._idle.wait()
            except BaseException:
                self._alone.release()
                raise
        finally:
            self._alone_waiting -= 1
        try:
            self.forget()
            self._write_table(self.slots[0], list(range(self.runner.sizes.pages)))
            yield
        finally:
            self.runner.reset()
            self._write_table(self.slots[0], [])
            self._alone.release()
            self._kick()

    def forget(self) -> None:
        """Drop what idle slots cache (reset_chat); pages go back to the pool."""
        for slot in self.slots:
            if not slot.busy:
                self._evict(slot)

    def release(self) -> None:
        """Unload: the batch step's buffers go back to the pool."""
        self.graph.release()
        for buffer in self._staging:
            self.runner.device.pool.release(buffer)
        self._staging = []

    # ------------------------------------------------------------ the loop
    def _kick(self) -> None:
        if self._task is None and self.waiting and not self._alone.locked():
            self._idle.clear()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                self._admit()
                if not (self.joining or self.rows or self.in_flight):
                    break
                prefilled = self._prefill_one_chunk()
                if self._membership_due():
                    await self._drain()
                    self._change_membership()
                if self.rows:
                    self._submit_step()
                    if len(self.in_flight) > self.runner.lag:
                        await self._read_oldest()
                elif self.in_flight:
                    await self._read_oldest()
                if not prefilled or not self.rows:
                    await asyncio.sleep(0)  # consumers run; new requests arrive
        except BaseException as error:  # a device error: every request hears of it, none hangs
            for seq in [*self.rows, *self.joining, *self.waiting]:
                seq.out.put_nowait(error if isinstance(error, Exception) else RuntimeError("batch loop stopped"))
            self.rows, self.joining, self.in_flight = [], [], deque()
            self.waiting.clear()
            for slot in self.slots:
                slot.busy = False
                self._evict(slot)
            if not isinstance(error, Exception):
                raise
        finally:
            self._task = None
            self._idle.set()
            self._kick()

    def _admit(self) -> None:
        while (self.waiting and not self._alone_waiting
               and len(self.rows) + len(self.joining) < self.capacity):
            seq = self.waiting[0]
            slot = self._choose_slot(seq.prompt)
            reuse = self._common_prefix(slot, seq.prompt)
            need = -(-(len(seq.prompt) + seq.max_new - 1) // PAGE_SIZE)
            if not self._reserve(slot, need):
                return  # the pages come back as requests finish
            self.waiting.popleft()
            slot.busy, slot.tokens = True, seq.prompt[:reuse]
            seq.slot, seq.prefilled = slot, reuse
            self._begin_sampler_state(seq)
            self.joining.append(seq)

    def _prefill_one_chunk(self) -> bool:
        for seq in self.joining:
            if not seq.ready and not seq.closed:
                end = min(len(seq.prompt) - 1, seq.prefilled + self.runner.sizes.chunk)
                self.runner.prefill_chunk(seq.prompt[seq.prefilled:end], seq.prefilled, seq.slot.table_base)
                seq.prefilled = end
                seq.slot.tokens = seq.prompt[:end]
                return True
        return False

    def _membership_due(self) -> bool:
        return (any(s.closed or s.submitted >= s.max_new for s in self.rows)
                or any(s.ready or s.closed for s in self.joining))

    async def _drain(self) -> None:
        while self.in_flight:
            await self._read_oldest()

    def _change_membership(self) -> None:
        staying = [s for s in self.rows if not s.closed and s.submitted < s.max_new]
        for seq in self.rows:
            if seq not in staying:
                self._finish(seq, seq.prompt + seq.sampled[: seq.submitted - 1])
        for seq in self.joining:
            if seq.closed:
                self._finish(seq, seq.prompt[: seq.prefilled])
        joined = [s for s in self.joining if s.ready and not s.closed]
        self.joining = [s for s in self.joining if not s.ready and not s.closed]
        self.rows = staying + joined
        if self.rows:  # row r feeds its last token: the last sampled, or the prompt's last
            fed = [s.sampled[-1] if s.submitted else s.prompt[-1] for s in self.rows]
            self.runner.device.write_buffer(self.graph.tokens, 0, struct.pack(f"<{len(fed)}I", *fed))

    def _finish(self, seq: _Sequence, cached: list[int]) -> None:
        slot = seq.slot
        slot.busy, slot.tokens = False, cached
        self._uses += 1
        slot.last_used = self._uses
        seq.out.put_nowait(_END)

    def _submit_step(self) -> None:
        rows = tuple(self.rows)
        table = [BatchRow(s.position, s.slot.table_base, s.slot.index) for s in rows]
        samplers = [s.sampling.step_params(s.position, 1, s.submitted) for s in rows]
        device, g = self.runner.device, self.graph
        device.write_buffer(g.params, 0, pack_batch(table, samplers, self.capacity))
        self._steps += 1
        staging = self._staging[self._steps % len(self._staging)]
        logprobs = any(s.sampling.top_logprobs is not None for s in rows)
        copies = [BufferCopy(g.tokens, 0, staging, 0, len(rows) * 4)]
        if logprobs:
            copies.append(BufferCopy(g.logprob_out, 0, staging, self.capacity * 4, len(rows) * LOGPROB_ROW_BYTES))
        device.submit(g.dispatches(len(rows)), copies)
        for seq in rows:
            seq.submitted += 1
        self.in_flight.append(_Step(rows, staging, logprobs))

    async def _read_oldest(self) -> None:
        step = self.in_flight.popleft()
        raw = await self.runner.device.read_buffer(step.staging)
        tokens = struct.unpack_from(f"<{len(step.rows)}I", raw, 0)
        for r, (seq, token) in enumerate(zip(step.rows, tokens)):
            seq.sampled.append(token)
            if seq.closed:
                continue
            if step.logprobs and seq.sampling.top_logprobs is not None:
                seq.out.put_nowait(sampled_with_logprobs(token, raw, self.capacity * 4 + r * LOGPROB_ROW_BYTES))
            else:
                seq.out.put_nowait(SampledToken(token))

    # ------------------------------------------------------------ slots, pages, sampler state
    @staticmethod
    def _common_prefix(slot: _Slot, prompt: list[int]) -> int:
        n = 0
        for a, b in zip(slot.tokens, prompt):
            if a != b:
                break
            n += 1
        return min(n, len(prompt) - 1)  # the last prompt token is always fed: its logits are needed

    def _choose_slot(self, prompt: list[int]) -> _Slot:
        """The idle slot holding most of the prompt; among equals, the least recently used."""
        idle = [s for s in self.slots if not s.busy]
        return max(idle, key=lambda s: (self._common_prefix(s, prompt), -s.last_used))

    def _reserve(self, slot: _Slot, need: int) -> bool:
        """Give `slot` exactly `need` pages (its own first), evicting idle slots' caches if short."""
        if len(slot.pages) > need:
            self.free_pages += slot.pages[need:]
            del slot.pages[need:]
        missing = need - len(slot.pages)
        while len(self.free_pages) < missing:
            victims = [s for s in self.slots if s is not slot and not s.busy and s.pages]
            if not victims:
                return False
            self._evict(min(victims, key=lambda s: s.last_used))
        taken, self.free_pages = self.free_pages[:missing], self.free_pages[missing:]
        self._write_table(slot, slot.pages + taken)
        return True

    def _evict(self, slot: _Slot) -> None:
        self.free_pages += slot.pages
        slot.pages, slot.tokens = [], []

    def _write_table(self, slot: _Slot, pages: list[int]) -> None:
        slot.pages = list(pages)
        if pages:
            self.runner.device.write_buffer(self.runner.graph.page_table, slot.table_base * 4,
                                            struct.pack(f"<{len(pages)}I", *pages))

    def _begin_sampler_state(self, seq: _Sequence) -> None:
        """Zero counts, the prompt's token mask and the logit bias in the sequence's slot."""
        g, v, slot = self.graph, self.runner.config.vocab_size, seq.slot.index
        device = self.runner.device
        device.write_buffer(g.generated_counts, g.vocab_row(slot), bytes(v * 4))
        mask = token_bits(seq.prompt, v)
        device.write_buffer(g.token_masks, g.mask_row(slot), struct.pack(f"<{len(mask)}I", *mask))
        if seq.sampling.logit_bias:
            bias = [0.0] * v
            for token, value in seq.sampling.logit_bias.items():
                bias[token] = value
            device.write_buffer(g.logit_bias, g.vocab_row(slot), struct.pack(f"<{v}f", *bias))
