"""OpenAI's REST API on the native engines: /v1/models, /v1/chat/completions, /v1/completions,
/v1/embeddings (on an embedding model's engine).

Transport only (STYLE.md principle 7): read the body (up to the size limit),
parse its JSON, let `model` pick the engine, and hand every field to the
engine, which validates them. Each error answers with its own `http_status`
and OpenAI's error body (https://platform.openai.com/docs/guides/error-codes).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..engine.generation import GenerationControl
from ..protocol.errors import InvalidRequestError, WebGPULLMError
from .disconnect import unless_client_leaves
from .engine_thread import ThreadedEndpoint, ThreadedEngine
from .engines import EnginePool
from .event_stream import EventStreamResponse
from .http_errors import error_response
from .json_body import read_json_object
from .metrics import note_answer, recorded_stream
from .served_models import ServedModels

log = logging.getLogger("webgpu_llm.server")
OWNER = "webgpu-llm"


class OpenAIRoutes:
    def __init__(self, models: ServedModels, engines: EnginePool, max_body_bytes: int):
        self.models, self.engines, self.max_body_bytes = models, engines, max_body_bytes

    def routes(self) -> list[Route]:
        """Paths under /v1 (the app mounts them there)."""
        return [Route("/models", self.list_models, methods=["GET"]),
                Route("/chat/completions", self.chat_completions, methods=["POST"]),
                Route("/completions", self.completions, methods=["POST"]),
                Route("/embeddings", self.embeddings, methods=["POST"])]

    async def list_models(self, request: Request) -> Response:
        folders = self.models.folders()
        data = [{"id": model_id, "object": "model", "owned_by": OWNER,
                 "created": int(folders[model_id].stat().st_mtime) if model_id in folders else 0}
                for model_id in self.models.ids()]
        return JSONResponse({"object": "list", "data": data})

    async def chat_completions(self, request: Request) -> Response:
        return await self._generate(request, lambda engine: _generator(engine, "chat/completions").chat_completions)

    async def completions(self, request: Request) -> Response:
        return await self._generate(request, lambda engine: _generator(engine, "completions").completions)

    async def embeddings(self, request: Request) -> Response:
        return await self._generate(request, _embedder)

    async def _generate(self, request: Request, endpoint: Callable[[ThreadedEngine], ThreadedEndpoint]) -> Response:
        control = GenerationControl()  # this request's own: its client leaving stops it
        try:
            body = await read_json_object(request, self.max_body_bytes)
            model = body.get("model")
            if model is not None and not isinstance(model, str):
                raise InvalidRequestError(f"model must be a string naming a served model, got {model!r}",
                                          param="model")
            engine = await self.engines.get(self.models.check(model))
            result = await unless_client_leaves(endpoint(engine).create(control, **body), request.receive,
                                                control.interrupt)
        except WebGPULLMError as error:
            return error_response(error)
        except Exception as error:  # a load or device failure: say what it was, keep serving
            log.exception("request failed")
            return error_response(WebGPULLMError(f"{type(error).__name__}: {error}"))
        record = getattr(request.state, "record", None)  # middleware.RequestTracker's
        if hasattr(result, "__anext__"):  # stream: true
            chunks = recorded_stream(result, record, lambda: engine.last_usage)
            return EventStreamResponse(chunks, control.interrupt)
        note_answer(record, getattr(result, "usage", None))
        return JSONResponse(result.to_dict())


def _generator(engine: ThreadedEngine, path: str) -> ThreadedEngine:
    if engine.embeds:
        raise InvalidRequestError(f"model {engine.model_id!r} is an embedding model: it serves /v1/embeddings, "
                                  f"not /v1/{path}", param="model")
    return engine


def _embedder(engine: ThreadedEngine) -> ThreadedEndpoint:
    if not engine.embeds:
        raise InvalidRequestError(f"model {engine.model_id!r} generates text: /v1/embeddings needs an embedding "
                                  "model", param="model")
    return engine.embeddings

