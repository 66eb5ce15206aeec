"""An engine on a thread of its own, so the server's event loop never waits on the GPU.

The engine is loaded, and its generations run, on the thread's own event
loop: GPU submissions (on lavapipe a submit runs the shaders on the CPU,
minutes for a long prompt), buffer reads, grammar masks. The server awaits
each call (a create, one chunk of a stream, a stream's close) as a future of
that loop, so every route answers at once. Creating a stream does no GPU
work (it checks the request, tokenizes, compiles a grammar): it runs in a
worker thread of its own, not behind a submit in progress, so a stream's
headers (or its 400) go out at once while another request runs.

The thread runs at a lower CPU priority than the event loop (nice +ENGINE_NICENESS,
Linux and macOS), and so do the threads it starts (lavapipe's shader threads,
the buffer-read worker): where the "GPU" is the CPU, the routes still get a
core at once, as they would beside a real GPU.

A server-side wait that is cancelled does not cancel the engine's coroutine
(steps in flight, buffers being mapped): a request is stopped through its
GenerationControl, after its current token.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from typing import Any, Callable, Coroutine

from ..embeddings import AsyncEmbeddingEngine
from ..engine import AsyncEngine
from ..engine.generation import GenerationControl

ENGINE_NICENESS = 10
_END = object()  # a stream's end: StopAsyncIteration does not cross futures cleanly


class EngineThread:
    def __init__(self, name: str):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # Threads inherit the niceness of the thread that starts them (Linux: per thread).
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ENGINE_NICENESS)
        self._loop.run_forever()

    async def run(self, coroutine: Coroutine) -> Any:
        """Its value, the coroutine having run on this thread's loop."""
        future = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._loop))
        return await asyncio.shield(future)

    async def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """function(*args) on this thread (a load: the engine then belongs to this thread's loop)."""
        async def invoke():
            return function(*args)
        return await self.run(invoke())

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


class ThreadedEngine:
    """What the routes use of an engine (AsyncEngine or AsyncEmbeddingEngine), each call on its thread."""

    def __init__(self, engine: AsyncEngine | AsyncEmbeddingEngine, thread: EngineThread):
        self.engine, self.thread = engine, thread
        self.model_id = engine.model_id
        self.embeds = isinstance(engine, AsyncEmbeddingEngine)
        if self.embeds:
            self.embeddings = ThreadedEndpoint(engine.embeddings, thread)
        else:
            self.chat_completions = ThreadedEndpoint(engine.chat.completions, thread)
            self.completions = ThreadedEndpoint(engine.completions, thread)

    @property
    def last_usage(self):
        return getattr(self.engine, "last_usage", None)


class ThreadedEndpoint:
    def __init__(self, target: Any, thread: EngineThread):
        self._target, self._thread = target, thread

    async def create(self, control: GenerationControl, /, **fields: Any) -> Any:
        """The target's create(**fields), stoppable by `control` where it generates; a stream
        comes back as a ThreadedStream."""
        if not hasattr(self._target, "create_with_control"):  # embeddings
            return await self._thread.run(self._target.create(**fields))
        if fields.get("stream") is True:  # nothing runs on the GPU until its first chunk is pulled
            stream = await asyncio.to_thread(asyncio.run, self._target.create_with_control(control, **fields))
            return ThreadedStream(stream, self._thread)
        return await self._thread.run(self._target.create_with_control(control, **fields))


class ThreadedStream:
    """An engine stream pulled across threads: each chunk is one awaited call on the engine's loop."""

    def __init__(self, stream: Any, thread: EngineThread):
        self._stream, self._thread = stream, thread

    def __aiter__(self) -> "ThreadedStream":
        return self

    async def __anext__(self) -> Any:
        chunk = await self._thread.run(_next_or_end(self._stream))
        if chunk is _END:
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        await self._thread.run(self._stream.aclose())


async def _next_or_end(stream: Any) -> Any:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return _END
