"""Server-sent events of an engine stream, as OpenAI streams: `data: <chunk JSON>` per
chunk, then `data: [DONE]`; an error after the first chunk is one `data: {"error": ...}`.

A client that goes away (its connection closes, or a send fails) interrupts the
generation: the stream is told to stop after its current token and drained, so
the engine's lock is released in order and the next request is served at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, AsyncIterator, Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..protocol.errors import WebGPULLMError
from .disconnect import wait_for_disconnect

log = logging.getLogger("webgpu_llm.server")
DONE = b"data: [DONE]\n\n"


def event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


class EventStreamResponse(Response):
    media_type = "text/event-stream"

    def __init__(self, chunks: AsyncIterator, interrupt: Callable[[], None]):
        """chunks: the engine's stream (objects with to_dict()); interrupt: stops its generation
        (this request's only)."""
        # Not Response.__init__: it would send Content-Length: 0 for the empty body.
        self.status_code, self.background = 200, None
        self.init_headers({"cache-control": "no-cache"})
        self.chunks, self.interrupt = chunks, interrupt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        client_gone = asyncio.ensure_future(wait_for_disconnect(receive))
        stream_open = True  # the engine stream holds its lock until it ends or is drained
        try:
            while not client_gone.done():
                try:
                    chunk = await anext(self.chunks)
                except StopAsyncIteration:
                    stream_open = False
                    break
                except Exception as error:  # a failed generator is finished, its lock released
                    stream_open = False
                    await send(_body(event(_error_body(error))))
                    break
                await send(_body(event(chunk.to_dict())))
            if not stream_open:
                await send(_body(DONE))
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away during a send
            pass
        finally:
            client_gone.cancel()
            if stream_open:
                await self._stop_generation()

    async def _stop_generation(self) -> None:
        self.interrupt()
        async for _ in self.chunks:  # ends after the token in progress (finish_reason "abort")
            pass


def _body(data: bytes) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": True}


def _error_body(error: Exception) -> dict[str, Any]:
    if isinstance(error, WebGPULLMError):
        return error.to_dict()
    log.exception("stream failed")
    return WebGPULLMError(f"the generation failed: {type(error).__name__}: {error}").to_dict()
