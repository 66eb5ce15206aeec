"""The URL layout of `webgpu-llm serve` (first match wins):

    /v1/models, /v1/chat/completions, /v1/completions   the native engines (openai_routes.py)
    /health                                              200 {"status": "ok"} while serving (no engine touched)
    /metrics                                             Prometheus text (metrics.py)
    /lib/prebuilt_app_config.js                          generated from the model cache (app_config.py)
    /lib/webgpu_llm-<version>-py3-none-any.whl           built in memory at start (wheel.py)
    /lib/<file>                                          files directly in web/ (the JS client)
    /pyodide/<file>                                      Pyodide's npm files (pyodide_dir.py)
    /@mlc-ai/web-xgrammar/lib/<file>                     web-xgrammar's bundle (xgrammar_dir.py)
    /models/<model_id>/resolve/main/<file>               a cached model's files (WebLLM's URL layout)
    /examples/<path>                                     the --examples folder (pages using /lib/)
    /  and  /<path>                                      the chat app in web/app/ (index.html at /)

Every request first passes middleware.py's stack: CORS (with --cors-origin), the API
key (with --api-key), then the tracker (--max-concurrency, the log line, the metrics).
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route

from ..protocol.errors import UnknownModelError
from .app_config import app_config_js
from .engines import EnginePool
from .http_errors import error_response, routing_error_response, unexpected_error_response
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE, ServerMetrics
from .middleware import ApiKeyGuard, RequestTracker
from .openai_routes import OpenAIRoutes
from .served_models import ServedModels
from .settings import ServerSettings
from .static_files import media_type_of, serve_file
from .wheel import build_wheel_bytes, wheel_filename

GRACEFUL_SHUTDOWN_S = 5  # a stream still running at shutdown is cut after this
# /lib/sw.js serves the whole origin: a service worker may control paths above its script only when allowed.
LIB_HEADERS = {"service-worker-allowed": "/"}


def build_app(settings: ServerSettings) -> Starlette:
    """The app; `app.state.models` says what it serves, `app.state.engines` what it has loaded.
    Raises if the default model does not exist."""
    models = ServedModels(settings.cache_root, settings.model)
    engines = EnginePool(models, settings.adapter, settings.prefill_chunk_size, settings.max_batch)
    api = OpenAIRoutes(models, engines, settings.max_body_bytes)
    wheel_name, wheel_bytes = wheel_filename(), build_wheel_bytes()

    async def app_config(request: Request) -> Response:
        return Response(app_config_js(models.folders()), media_type=media_type_of("x.js"),
                        headers={"cache-control": "no-cache"})

    async def wheel(request: Request) -> Response:
        return Response(wheel_bytes, media_type=media_type_of(wheel_name))

    async def lib_file(request: Request) -> Response:
        return serve_file(settings.web_dir, request.path_params["file"], flat=True, url=request.url.path,
                          headers=LIB_HEADERS)

    async def pyodide_file(request: Request) -> Response:
        return serve_file(settings.pyodide_dir, request.path_params["file"], flat=True, url=request.url.path)

    async def xgrammar_file(request: Request) -> Response:
        return serve_file(settings.xgrammar_dir, request.path_params["file"], flat=True, url=request.url.path)

    async def model_file(request: Request) -> Response:
        model_id = request.path_params["model_id"]
        folder = models.folders().get(model_id)
        if folder is None:
            return error_response(UnknownModelError(f"no model {model_id!r} here; on disk: "
                                                    f"{', '.join(models.folders()) or 'none'}"))
        return serve_file(folder, request.path_params["file"], url=request.url.path)

    async def example_file(request: Request) -> Response:
        path = request.path_params["path"]
        return serve_file(settings.examples_dir, path + "index.html" if path.endswith("/") or not path else path,
                          url=request.url.path)

    async def app_file(request: Request) -> Response:
        return serve_file(settings.app_dir, request.path_params["path"] or "index.html", url=request.url.path)

    metrics = ServerMetrics()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics_text(request: Request) -> Response:
        return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

    app = Starlette(middleware=middleware_stack(settings, metrics), exception_handlers={
        HTTPException: routing_error_response, Exception: unexpected_error_response}, routes=[
        Mount("/v1", routes=api.routes()),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_text, methods=["GET"]),
        Route("/lib/prebuilt_app_config.js", app_config),
        Route(f"/lib/{wheel_name}", wheel),
        Route("/lib/{file:path}", lib_file),
        Route("/pyodide/{file:path}", pyodide_file),
        Route("/@mlc-ai/web-xgrammar/lib/{file:path}", xgrammar_file),
        Route("/models/{model_id}/resolve/main/{file:path}", model_file),
        Route("/examples/{path:path}", example_file),
        Route("/{path:path}", app_file),
    ])
    app.state.models, app.state.metrics, app.state.engines = models, metrics, engines
    return app


def middleware_stack(settings: ServerSettings, metrics: ServerMetrics) -> list[Middleware]:
    """Outermost first: CORS answers preflights before the key is asked for."""
    stack = []
    if settings.cors_origins:
        stack.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["*"],
                                allow_headers=["*"], expose_headers=["retry-after"]))
    if settings.api_key is not None:
        stack.append(Middleware(ApiKeyGuard, api_key=settings.api_key))
    stack.append(Middleware(RequestTracker, metrics=metrics, max_concurrency=settings.max_concurrency))
    return stack


def base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run(app: Starlette, settings: ServerSettings) -> None:
    """Serve until interrupted (uvicorn; one log line per request on stderr, from RequestTracker)."""
    import uvicorn

    logger = logging.getLogger("webgpu_llm.server")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    uvicorn.run(app, host=settings.host, port=settings.port, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
                access_log=False)
