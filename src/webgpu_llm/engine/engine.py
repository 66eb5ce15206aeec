"""The public engine: `engine.chat.completions.create(...)` as OpenAI and WebLLM define it.

`AsyncEngine` is the engine; `Engine` is the same thing for synchronous
code, driving a private event loop. One request runs at a time (one model,
one KV cache) and a second waits for the first, unless `max_batch` > 1: then up to
that many decode together (engine/batching.py). Each request has its own
GenerationControl: `interrupt_generate()` stops the running ones only, and
`create_with_control(control, ...)` lets a caller (the server, when a client
leaves) stop its own request whether it runs or still waits.

    engine = Engine("SmolLM2-135M-Instruct-q4f16_1-MLC")
    reply = engine.chat.completions.create(messages=[{"role": "user", "content": "Hi"}])
    for chunk in engine.chat.completions.create(messages=..., stream=True): ...
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing, nullcontext
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

from ..gpu.device import Device
from ..protocol.fold import fold_chat_chunks, fold_completion_chunks
from ..protocol.requests import ChatCompletionRequest, CompletionRequest
from .generation import ChoiceStats, GenerationControl
from .jobs import chat_prompt_ids, make_job, text_prompt_ids, with_compiled_grammar, with_cpu_sampler
from .loader import LoadedModel, Progress, load_model
from .low_level import ForwardSession
from .runner import CpuSampler, SamplingSetup
from .streams import chat_chunks, completion_chunks, usage_of
from .structured import output_plan

CHAT_CONFIG = "mlc-chat-config.json"


class AsyncEngine:
    def __init__(self, model: str | Path | None = None, *, device: Device | None = None, adapter: str | None = None,
                 context_window_size: int | None = None, prefill_chunk_size: int | None = None,
                 progress: Progress | None = None, max_batch: int = 1):
        """Load `model` (a folder, a cached id or an embedded id; default SmolLM2-135M q4f16_1).
        `max_batch`: requests that decode together (continuous batching); 1: one at a time."""
        if device is None:
            from ..gpu.native import NativeDevice

            device = NativeDevice(adapter)
        self._attach(device, load_model(resolve_model_folder(model), device, context_window_size=context_window_size,
                                        prefill_chunk_size=prefill_chunk_size, progress=progress,
                                        max_batch=max_batch))

    @classmethod
    def from_loaded(cls, device: Device, model: LoadedModel, seeded_choices_equal: bool = False) -> "AsyncEngine":
        """An engine over a model already on `device` (the browser loads it asynchronously).
        `seeded_choices_equal`: WebLLM's `seed` with n > 1, n equal choices (the browser's
        engine); otherwise OpenAI's, n different choices that each repeat for the seed."""
        engine = cls.__new__(cls)
        engine._attach(device, model)
        engine.seeded_choices_equal = seeded_choices_equal
        return engine

    def _attach(self, device: Device, model: LoadedModel) -> None:
        self.device = device
        self.model = model
        self.seeded_choices_equal = False
        self._lock = asyncio.Lock()
        self._running: set[GenerationControl] = set()  # the controls of the requests generating now
        self._last_usage = None
        self._forward = ForwardSession(model)  # forwardTokensAndSample's sequence and stats
        self._forward_was_last = False  # runtime_stats_text reports forward calls, not the last request
        self.chat = _Namespace(completions=_AsyncCreate(self._chat))
        self.completions = _AsyncCreate(self._completion)

    @property
    def model_id(self) -> str:
        return self.model.model_id

    @property
    def adapter_name(self) -> str:
        return self.device.info.name

    # ------------------------------------------------------------ requests
    async def _chat(self, control: GenerationControl, cpu_sampler: CpuSampler | None, /, **fields: Any):
        request = ChatCompletionRequest.from_dict(fields)
        plan = output_plan(request)
        tools = [tool.to_dict() for tool in plan.prompt_tools]
        prompt = chat_prompt_ids(self.model, [m.to_dict() for m in request.messages], tools,
                                 request.parse_special_tokens, request.enable_thinking)
        job = await with_compiled_grammar(self.model, make_job(self.model, request, prompt, self.seeded_choices_equal),
                                          plan)
        job = with_cpu_sampler(job, cpu_sampler)
        stream = self._locked(chat_chunks(self.model, job, control, self._record_stats(len(job.prompt))), control)
        return stream if request.stream else fold_chat_chunks([c async for c in stream])

    async def _completion(self, control: GenerationControl, cpu_sampler: CpuSampler | None, /, **fields: Any):
        request = CompletionRequest.from_dict(fields)
        job = make_job(self.model, request, text_prompt_ids(self.model, request.prompt, request.parse_special_tokens),
                       self.seeded_choices_equal)
        job = with_cpu_sampler(await with_compiled_grammar(self.model, job, output_plan(request)), cpu_sampler)
        stream = self._locked(completion_chunks(self.model, job, control, self._record_stats(len(job.prompt))),
                              control)
        return stream if request.stream else fold_completion_chunks([c async for c in stream])

    async def _locked(self, stream: AsyncIterator, control: GenerationControl) -> AsyncIterator:
        # aclosing: a stream abandoned early finishes its generation (steps in flight, KV
        # accounting) before the lock lets the next request in. With a batch scheduler the
        # requests run side by side and the scheduler takes them in.
        async with self._turn(), aclosing(stream):
            self._running.add(control)
            try:
                async for chunk in stream:
                    yield chunk
            finally:
                self._running.discard(control)

    def _turn(self):
        """What a request holds while it runs: the engine to itself, or with a scheduler nothing
        (the scheduler admits it; `alone()` for what it runs by itself)."""
        return nullcontext() if self.model.scheduler is not None else self._lock

    def _exclusive(self):
        """The runner to one caller: the lock, or the scheduler's batch emptied first."""
        scheduler = self.model.scheduler
        return scheduler.alone() if scheduler is not None else self._lock

    def _record_stats(self, prompt_tokens: int):
        def record(choices: list[ChoiceStats]) -> None:
            self._last_usage = usage_of(prompt_tokens, choices)
            self._forward_was_last = False
        return record

    # ------------------------------------------------------------ the low-level API (low_level.py)
    async def forward_tokens_and_sample(self, input_ids: list[int], is_prefill: bool) -> int:
        """WebLLM's forwardTokensAndSample: a forward pass over `input_ids` (a new sequence
        when `is_prefill`, else appended to the current one), then one token sampled with the
        model's chat config."""
        async with self._exclusive():
            self._forward_was_last = True
            return await self._forward.sample(input_ids, is_prefill)

    async def forward_tokens_logits(self, input_ids: list[int], is_prefill: bool) -> tuple[bytes, SamplingSetup]:
        """The same forward pass, returning its (vocab,) f32 logits for the caller to sample
        (a page's LogitProcessor), with the chat config's sampling settings to sample by."""
        async with self._exclusive():
            self._forward_was_last = True
            return await self._forward.logits(input_ids, is_prefill), self._forward.sampling

    # ------------------------------------------------------------ control
    def interrupt_generate(self) -> None:
        """Stop the running generations after their current token (finish_reason "abort");
        requests waiting for their turn are not touched."""
        for control in list(self._running):
            control.interrupt()

    def reset_chat(self, keep_stats: bool = False) -> None:
        """Forget the KV cache of earlier turns; the next request prefills from scratch.
        The last request's speed stays for runtime_stats_text() when `keep_stats`."""
        self.model.runner.reset()
        if self.model.scheduler is not None:
            self.model.scheduler.forget()
        if not keep_stats:
            self._last_usage = None
            self._forward.reset()

    def unload(self) -> None:
        """Give the model's GPU memory back: weights destroyed, activations and KV cache to the pool."""
        runner = self.model.runner
        if self.model.scheduler is not None:
            self.model.scheduler.release()
        runner.release()
        for buffer in runner.graph.weights.values():
            self.device.destroy_buffer(buffer)

    @property
    def last_usage(self):
        """The Usage of the last request whose generation finished (None before any); a stream
        sets it before it ends."""
        return self._last_usage

    def runtime_stats_text(self) -> str:
        """WebLLM's one-line speed summary of the last request (or of the forwardTokensAndSample
        calls since the last reset, when those came last)."""
        if self._forward_was_last:
            return self._forward.stats.text()
        if self._last_usage is None:
            return "prefill: 0.0 tokens/sec, decoding: 0.0 tokens/sec"
        extra = self._last_usage.extra
        return (f"prefill: {extra['prefill_tokens_per_s']:.1f} tokens/sec, "
                f"decoding: {extra['decode_tokens_per_s']:.1f} tokens/sec")

    @property
    def dispatches_per_decode_step(self) -> int:
        return self.model.runner.dispatches_per_decode_step


class Engine:
    """Synchronous face of AsyncEngine (not for use inside a running event loop)."""

    def __init__(self, model: str | Path | None = None, **options: Any):
        self._loop = asyncio.new_event_loop()
        self.engine = AsyncEngine(model, **options)
        self.chat = _Namespace(completions=_SyncCreate(self._loop, self.engine.chat.completions))
        self.completions = _SyncCreate(self._loop, self.engine.completions)

    model_id = property(lambda self: self.engine.model_id)
    adapter_name = property(lambda self: self.engine.adapter_name)
    dispatches_per_decode_step = property(lambda self: self.engine.dispatches_per_decode_step)

    def interrupt_generate(self) -> None:
        self.engine.interrupt_generate()

    def reset_chat(self) -> None:
        self.engine.reset_chat()

    def runtime_stats_text(self) -> str:
        return self.engine.runtime_stats_text()

    def forward_tokens_and_sample(self, input_ids: list[int], is_prefill: bool) -> int:
        return self._loop.run_until_complete(self.engine.forward_tokens_and_sample(input_ids, is_prefill))


class _Namespace:
    def __init__(self, **members: Any):
        self.__dict__.update(members)


class _AsyncCreate:
    """`await x.create(**request)`: a response, or an async iterator of chunks when stream=True."""

    def __init__(self, handler):
        self._handler = handler

    async def create(self, /, **fields: Any):
        # Positional-only: a request field named "self" is refused by name, not a TypeError.
        return await self._handler(GenerationControl(), None, **fields)

    async def create_with_control(self, control: GenerationControl, /, **fields: Any):
        """create(), stopped after its current token once `control.interrupt()` is called
        (finish_reason "abort"; before its turn comes, after its first token)."""
        return await self._handler(control, None, **fields)

    async def create_with_cpu_sampler(self, cpu_sampler: CpuSampler, /, **fields: Any):
        """create(), each token chosen by `cpu_sampler` from that step's logits (a page's
        LogitProcessor; runner._generate_cpu_sampled)."""
        return await self._handler(GenerationControl(), cpu_sampler, **fields)


class _SyncCreate:
    def __init__(self, loop: asyncio.AbstractEventLoop, target: _AsyncCreate):
        self._loop, self._target = loop, target

    def create(self, /, **fields: Any):
        result = self._loop.run_until_complete(self._target.create(**fields))
        return self._iterate(result) if fields.get("stream") else result

    def _iterate(self, stream: AsyncIterator) -> Iterator:
        try:
            while True:
                try:
                    yield self._loop.run_until_complete(stream.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            # Abandoned early (break): close the generator so the lock and KV accounting settle.
            self._loop.run_until_complete(stream.aclose())


def resolve_model_folder(model: str | Path | None) -> Path:
    """A folder is used as is; ids go to the cache, embedded ids are converted there (native only)."""
    if model is not None and (Path(model).expanduser() / CHAT_CONFIG).is_file():
        return Path(model).expanduser()
    from ..convert.default_model import DEFAULT_MODEL_ID, resolve_model

    return resolve_model(str(model) if model is not None else DEFAULT_MODEL_ID)
