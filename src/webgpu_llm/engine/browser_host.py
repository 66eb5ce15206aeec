"""The engine as web/runtime.js drives it under Pyodide: JSON strings in, JSON envelopes out.

Every call answers `{"ok": value}` or `{"error": {"name", "message", "type",
"param", "code"}}`, and JS rethrows the error as the class of that name
(web/errors.js), so an error keeps its type across Pyodide and the worker
boundary. A stream is pulled one chunk per call: each call is one awaited
promise in JS, and a chunk carries one or more tokens. An encoder (mlc-chat-config.json
model_type "bert") loads as an embedding engine, which answers `embedding` only.

Several models may be loaded at once (WebLLM's `reload([a, b], [optsA, optsB])`), one
engine each, on the one device. A request goes to the model its `model` field names;
with a single model loaded it may leave `model` out (WebLLM's getModelIdToUse).
"""

from __future__ import annotations

import base64
import json
import traceback
from typing import Any, AsyncIterator

from ..embeddings import AsyncEmbeddingEngine
from ..embeddings.browser_loader import load_encoder_browser
from ..embeddings.encoder_config import MODEL_TYPE as ENCODER_MODEL_TYPE
from ..gpu.browser import BrowserDevice
from ..protocol.errors import EngineNotLoadedError, InvalidRequestError, UnknownModelError, WebGPULLMError
from ..weights.artifact import CHAT_CONFIG_NAME
from .browser_loader import load_model_browser
from .engine import AsyncEngine


def _js_error_fields(error: BaseException) -> dict[str, Any] | None:
    """A JS error that crossed into Python (pyodide's JsException, e.g. bridge.js's
    FeatureNotSupportedError): its own name, message and OpenAI fields, so the page gets
    its class back instead of "JsException"."""
    if type(error).__name__ != "JsException":
        return None
    js = getattr(error, "js_error", None) or error
    name, message = getattr(js, "name", None), getattr(js, "message", None)
    if not isinstance(name, str) or not name:  # older pyodide: only the text "Name: message"
        name, _, message = str(error).partition(": ")
        if not name.isidentifier():
            return None
    fields = {"name": name, "message": message if isinstance(message, str) else str(error)}
    for key in ("type", "param", "code"):
        value = getattr(js, key, None)
        fields[key] = value if isinstance(value, str) else None
    return fields


class LoadAborted(Exception):
    """unload() (or another reload) came while a reload was loading; the page gets it as
    WebLLM does: a DOMException named AbortError."""


def error_envelope(error: BaseException) -> dict[str, Any]:
    if isinstance(error, LoadAborted):
        return {"error": {"name": "AbortError", "message": str(error), "type": None, "param": None,
                          "code": None, "domException": True}}
    js_fields = _js_error_fields(error)
    if js_fields is not None:
        return {"error": js_fields}
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
        # model id -> its engine, in load order; an encoder is an AsyncEmbeddingEngine
        self.engines: dict[str, AsyncEngine | AsyncEmbeddingEngine] = {}
        self.weight_loads = 0
        self._streams: dict[int, AsyncIterator] = {}
        self._stream_ids = 0
        self._last_messages: dict[str, str] = {}  # model id -> its last reply, for getMessage()
        self._load_epoch = 0  # bumped by unload() and each reload(): an older reload in flight aborts

    # ------------------------------------------------------------ which model
    def _selected(self, model_id: str | None, api: str) -> str:
        """The loaded model a call is for: the one it names, else the only one loaded."""
        if not self.engines:
            raise EngineNotLoadedError()
        loaded = ", ".join(self.engines)
        if model_id:
            if model_id not in self.engines:
                raise UnknownModelError(f"{api}: model {model_id!r} is not loaded; loaded: {loaded}")
            return model_id
        if len(self.engines) > 1:
            raise InvalidRequestError(f"{api}: {len(self.engines)} models are loaded ({loaded}); "
                                      "name one in `model`", param="model")
        return next(iter(self.engines))

    def _generator(self, model_id: str | None, api: str) -> AsyncEngine:
        engine = self.engines[self._selected(model_id, api)]
        if isinstance(engine, AsyncEmbeddingEngine):
            raise InvalidRequestError(f"{engine.model_id} is an embedding model: it answers "
                                      "embeddings.create only", param="model")
        return engine

    def _encoder(self, model_id: str | None) -> AsyncEmbeddingEngine:
        engine = self.engines[self._selected(model_id, "embeddings.create")]
        if not isinstance(engine, AsyncEmbeddingEngine):
            raise InvalidRequestError(f"{engine.model_id} generates text: embeddings.create needs an "
                                      "embedding model", param="model")
        return engine

    # ------------------------------------------------------------ loading
    @_envelope
    async def reload(self, loads_json: str, app_config: Any, progress: Any) -> dict[str, Any]:
        """Unload what is loaded, then load each of `loads_json`'s [{modelId, baseUrl (its
        resolve/main/ URL), chatOptions}] in order; if one fails, none stays loaded."""
        loads = json.loads(loads_json)
        ids = [load["modelId"] for load in loads]
        if not ids or len(set(ids)) < len(ids):  # WebLLM's ReloadModelIdNotUniqueError
            raise InvalidRequestError(f"reload needs one or more distinct model ids, got {ids}", param="modelId")
        self._load_epoch += 1
        epoch = self._load_epoch
        await self._unload()

        def check() -> None:
            if self._load_epoch != epoch:
                raise LoadAborted(f"reload({', '.join(ids)}) was aborted by unload() or another reload()")

        def report(fraction: float, text: str) -> None:
            check()  # the next progress report stops the download of an aborted reload
            progress(fraction, text)

        try:
            for load in loads:
                engine = await self._load(load, app_config, report)
                if self._load_epoch != epoch:  # loaded after the abort: never registered, freed here
                    engine.unload()
                    if isinstance(engine, AsyncEngine):
                        self.device.forget_lists()
                    check()
                self.engines[load["modelId"]] = engine
                self.weight_loads += 1
        except BaseException:
            if self._load_epoch == epoch:  # else the unload()/reload() that aborted it owns self.engines
                await self._unload()
            raise
        return {"modelId": ids, "adapter": self.device.info.name}

    async def _load(self, load: dict[str, Any], app_config: Any, report) -> AsyncEngine | AsyncEmbeddingEngine:
        model_id, base_url = load["modelId"], load["baseUrl"]
        chat_config = json.loads(await self.device.bridge.fetchText(base_url, CHAT_CONFIG_NAME, app_config))
        if chat_config.get("model_type") == ENCODER_MODEL_TYPE:
            return await load_encoder_browser(self.device, model_id, base_url, app_config, report)
        model = await load_model_browser(self.device, model_id, base_url, app_config,
                                         chat_options=load.get("chatOptions") or {}, progress=report)
        return AsyncEngine.from_loaded(self.device, model, seeded_choices_equal=True)  # WebLLM's seed with n

    @_envelope
    async def unload(self) -> None:
        """Unload every model; a reload in progress rejects with AbortError at its next step."""
        self._load_epoch += 1
        await self._unload()

    async def _unload(self) -> None:
        for stream_id in list(self._streams):
            await self._close(stream_id)
        for engine in self.engines.values():
            engine.unload()
        if any(isinstance(engine, AsyncEngine) for engine in self.engines.values()):
            self.device.forget_lists()
        self.engines.clear()
        self._last_messages.clear()

    # ------------------------------------------------------------ requests
    @_envelope
    async def embedding(self, request_json: str) -> Any:
        """An embeddings request (OpenAI's shape) on the encoder its `model` names."""
        fields = json.loads(request_json)
        return (await self._encoder(fields.get("model")).embeddings.create(**fields)).to_dict()

    @_envelope
    async def chat(self, request_json: str, logit_sampler: Any = None) -> Any:
        """A chat completion: the response, or {"stream": id} when the request streams.
        `logit_sampler` (JS, a page's LogitProcessor): (logits base64, temperature, top_p) ->
        the token; each step's logits then come back to JS and it chooses."""
        return await self._create(request_json, chat=True, logit_sampler=logit_sampler)

    @_envelope
    async def completion(self, request_json: str, logit_sampler: Any = None) -> Any:
        return await self._create(request_json, chat=False, logit_sampler=logit_sampler)

    async def _create(self, request_json: str, chat: bool, logit_sampler: Any = None) -> Any:
        fields = json.loads(request_json)
        engine = self._generator(fields.get("model"), "chat.completions.create" if chat else "completions.create")
        api = engine.chat.completions if chat else engine.completions
        if logit_sampler is None:
            result = await api.create(**fields)
        else:
            result = await api.create_with_cpu_sampler(_base64_sampler(logit_sampler), **fields)
        if not fields.get("stream"):
            reply = result.to_dict()
            if chat and reply["choices"]:
                self._last_messages[engine.model_id] = reply["choices"][-1]["message"].get("content") or ""
            return reply
        self._stream_ids += 1
        self._streams[self._stream_ids] = self._track(result, engine.model_id) if chat else result
        self._last_messages[engine.model_id] = ""
        return {"stream": self._stream_ids}

    async def _track(self, stream: AsyncIterator, model_id: str) -> AsyncIterator:
        """Pass chunks on, keeping the last choice's text for getMessage(model_id), as WebLLM does
        (with n > 1 it is the choice generated last)."""
        texts: dict[int, str] = {}
        try:
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.delta.content:
                        texts[choice.index] = texts.get(choice.index, "") + choice.delta.content
                if texts:
                    self._last_messages[model_id] = texts[max(texts)]
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

    # ------------------------------------------------------------ the low-level API (engine/low_level.py)
    @_envelope
    async def forward_tokens_and_sample(self, ids_json: str, is_prefill: bool, model_id: str | None = None) -> int:
        """WebLLM's forwardTokensAndSample: the token sampled after a forward pass over the ids."""
        engine = self._generator(model_id, "forwardTokensAndSample")
        return await engine.forward_tokens_and_sample(_token_ids(ids_json), bool(is_prefill))

    @_envelope
    async def forward_tokens_logits(self, ids_json: str, is_prefill: bool,
                                    model_id: str | None = None) -> dict[str, Any]:
        """The same forward pass; its logits, (vocab,) f32 little-endian in base64 (one string
        crosses into JS, where a page's LogitProcessor processes them and JS samples), and the
        chat config's temperature and top_p to sample them with."""
        engine = self._generator(model_id, "forwardTokensAndSample")
        raw, sampling = await engine.forward_tokens_logits(_token_ids(ids_json), bool(is_prefill))
        return {"logits": base64.b64encode(raw).decode("ascii"), "temperature": sampling.temperature,
                "top_p": sampling.top_p}

    # ------------------------------------------------------------ per model (WebLLM's modelId argument)
    def interrupt(self) -> None:
        """Stop every running generation (WebLLM's one interrupt signal covers all models)."""
        for engine in self.engines.values():
            if isinstance(engine, AsyncEngine):
                engine.interrupt_generate()

    @_envelope
    async def reset_chat(self, keep_stats: bool = False, model_id: str | None = None) -> None:
        engine = self._generator(model_id, "resetChat")
        engine.reset_chat(keep_stats)
        self._last_messages[engine.model_id] = ""

    @_envelope
    async def runtime_stats_text(self, model_id: str | None = None) -> str:
        return self._generator(model_id, "runtimeStatsText").runtime_stats_text()

    @_envelope
    async def get_message(self, model_id: str | None = None) -> str:
        return self._last_messages.get(self._generator(model_id, "getMessage").model_id, "")


def _token_ids(ids_json: str) -> list[int]:
    ids = json.loads(ids_json)
    if not isinstance(ids, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in ids):
        raise InvalidRequestError("inputIds must be an array of integer token ids", param="inputIds")
    return ids


def _base64_sampler(logit_sampler: Any):
    """A runner CpuSampler over a JS function that takes the logits as one base64 string."""
    def sample(raw: bytes, sampling) -> Any:
        return logit_sampler(base64.b64encode(raw).decode("ascii"), sampling.temperature, sampling.top_p)
    return sample
