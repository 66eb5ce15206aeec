"""The engine as web/runtime.js drives it under Pyodide: JSON strings in, JSON envelopes out.

Every call answers `{"ok": value}` or `{"error": {"name", "message", "type",
"param", "code"}}`, and JS rethrows the error as the class of that name
(web/errors.js), so an error keeps its type across Pyodide and the worker
boundary. A stream is pulled one chunk per call: each call is one awaited
promise in JS, and a chunk carries one or more tokens. An encoder (mlc-chat-config.json
model_type "bert") loads as an embedding engine, which answers `embedding` only.
"""

from __future__ import annotations

import json
import traceback
from typing import Any, AsyncIterator

from ..embeddings import AsyncEmbeddingEngine
from ..embeddings.browser_loader import load_encoder_browser
from ..embeddings.encoder_config import MODEL_TYPE as ENCODER_MODEL_TYPE
from ..gpu.browser import BrowserDevice
from ..protocol.errors import EngineNotLoadedError, InvalidRequestError, WebGPULLMError
from ..weights.artifact import CHAT_CONFIG_NAME
from .browser_loader import load_model_browser
from .engine import AsyncEngine


def error_envelope(error: BaseException) -> dict[str, Any]:
    if isinstance(error, WebGPULLMError):
        fields = error.to_dict()["error"]
    else:  # ArtifactError (a ValueError), GpuError, or a bug: keep the class name and the text
        fields = {"message": str(error) or traceback.format_exc(), "param": None, "code": None,
                  "type": "invalid_request_error" if isinstance(error, (ValueError, LookupError)) else "server_error"}
    return {"error": {"name": type(error).__name__, **fields}}


def _envelope(method):
    """JSON out of an async method: its value under "ok", or the error it raised."""
    async def wrapped(self, *args):
        try:
            return json.dumps({"ok": await method(self, *args)})
        except Exception as e:  # noqa: BLE001 - every error goes to JS with its name
            return json.dumps(error_envelope(e))
    wrapped.__name__ = method.__name__
    wrapped.__doc__ = method.__doc__
    return wrapped


class BrowserHost:
    def __init__(self, bridge: Any):
        self.device = BrowserDevice(bridge)
        self.engine: AsyncEngine | None = None
        self.encoder: AsyncEmbeddingEngine | None = None
        self.weight_loads = 0
        self._streams: dict[int, AsyncIterator] = {}
        self._stream_ids = 0
        self._last_message = ""

    @property
    def _loaded(self) -> AsyncEngine:
        if self.engine is None:
            if self.encoder is not None:
                raise InvalidRequestError(f"{self.encoder.model_id} is an embedding model: it answers "
                                          "embeddings.create only", param="model")
            raise EngineNotLoadedError()
        return self.engine

    @_envelope
    async def reload(self, model_id: str, base_url: str, chat_options_json: str, app_config: Any,
                     progress: Any) -> dict[str, Any]:
        """Unload what is loaded, then load `model_id` from `base_url` (its resolve/main/ URL)."""
        await self._unload()
        report = lambda fraction, text: progress(fraction, text)  # noqa: E731
        chat_config = json.loads(await self.device.bridge.fetchText(base_url, CHAT_CONFIG_NAME, app_config))
        if chat_config.get("model_type") == ENCODER_MODEL_TYPE:
            self.encoder = await load_encoder_browser(self.device, model_id, base_url, app_config, report)
        else:
            model = await load_model_browser(self.device, model_id, base_url, app_config,
                                             chat_options=json.loads(chat_options_json or "{}"), progress=report)
            self.engine = AsyncEngine.from_loaded(self.device, model)
        self.weight_loads += 1
        return {"modelId": model_id, "adapter": self.device.info.name}

    @_envelope
    async def unload(self) -> None:
        await self._unload()

    async def _unload(self) -> None:
        for stream_id in list(self._streams):
            await self._close(stream_id)
        if self.engine is not None:
            self.engine.unload()
            self.device.forget_lists()
            self.engine = None
        if self.encoder is not None:
            self.encoder.unload()
            self.encoder = None

    @_envelope
    async def embedding(self, request_json: str) -> Any:
        """An embeddings request (OpenAI's shape) on the loaded encoder."""
        if self.encoder is None:
            if self.engine is not None:
                raise InvalidRequestError(f"{self.engine.model_id} generates text: embeddings.create needs an "
                                          "embedding model", param="model")
            raise EngineNotLoadedError()
        return (await self.encoder.embeddings.create(**json.loads(request_json))).to_dict()

    @_envelope
    async def chat(self, request_json: str) -> Any:
        """A chat completion: the response, or {"stream": id} when the request streams."""
        return await self._create(self._loaded.chat.completions, request_json, chat=True)

    @_envelope
    async def completion(self, request_json: str) -> Any:
        return await self._create(self._loaded.completions, request_json, chat=False)

    async def _create(self, target, request_json: str, chat: bool) -> Any:
        fields = json.loads(request_json)
        result = await target.create(**fields)
        if not fields.get("stream"):
            reply = result.to_dict()
            if chat and reply["choices"]:
                self._last_message = reply["choices"][0]["message"].get("content") or ""
            return reply
        self._stream_ids += 1
        self._streams[self._stream_ids] = self._track(result) if chat else result
        self._last_message = ""
        return {"stream": self._stream_ids}

    async def _track(self, stream: AsyncIterator) -> AsyncIterator:
        """Pass chunks on, keeping the first choice's text for getMessage()."""
        try:
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.index == 0 and choice.delta.content:
                        self._last_message += choice.delta.content
                yield chunk
        finally:
            await stream.aclose()  # releases the engine's lock when abandoned early

    @_envelope
    async def next_chunk(self, stream_id: int) -> Any:
        """The stream's next chunk as a dict, or None at its end."""
        stream = self._streams.get(stream_id)
        if stream is None:
            return None
        try:
            return (await stream.__anext__()).to_dict()
        except StopAsyncIteration:
            self._streams.pop(stream_id, None)
            return None
        except BaseException:
            await self._close(stream_id)
            raise

    @_envelope
    async def close_stream(self, stream_id: int) -> None:
        """Abandon a stream (its reader went away): ends its generation so the next request runs."""
        await self._close(stream_id)

    async def _close(self, stream_id: int) -> None:
        stream = self._streams.pop(stream_id, None)
        if stream is not None:
            await stream.aclose()

    def interrupt(self) -> None:
        if self.engine is not None:
            self.engine.interrupt_generate()

    @_envelope
    async def reset_chat(self, keep_stats: bool = False) -> None:
        self._loaded.reset_chat(keep_stats)
        self._last_message = ""

    @_envelope
    async def runtime_stats_text(self) -> str:
        return self._loaded.runtime_stats_text()

    @_envelope
    async def get_message(self) -> str:
        self._loaded  # noqa: B018 - WebLLM raises when nothing is loaded
        return self._last_message
