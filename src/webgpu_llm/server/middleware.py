"""What every request passes through, outermost first (app.py stacks them):

    CORSMiddleware (starlette)  only with --cors-origin: the browser's preflight and headers
    ApiKeyGuard                 with an API key: /v1/ and /metrics need `Authorization: Bearer <key>`
    RequestTracker              --max-concurrency (429 past it), one log line per request
                                (method, path, status, duration, tokens), the /metrics counts

The routes add what only they know (tokens, the first token's time) to the
RequestRecord kept in the ASGI scope's state (`request.state.record`).
"""

from __future__ import annotations

import hmac
import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .http_errors import InvalidApiKeyError, ServerBusyError, error_response
from .metrics import RequestRecord, ServerMetrics

log = logging.getLogger("webgpu_llm.server")
GUARDED_PREFIXES = ("/v1/", "/metrics")  # the chat app, the client files and /health stay open
RETRY_AFTER_S = "1"


class ApiKeyGuard:
    def __init__(self, app: ASGIApp, api_key: str):
        self.app, self._key = app, api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(GUARDED_PREFIXES) and not self._allowed(scope):
            error = InvalidApiKeyError("no valid API key: send the server's --api-key as the header "
                                       "`Authorization: Bearer <key>`")
            response = error_response(error, headers={"www-authenticate": "Bearer"})
            return await response(scope, receive, send)
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._key)


class RequestTracker:
    def __init__(self, app: ASGIApp, metrics: ServerMetrics, max_concurrency: int):
        self.app, self.metrics, self.max_concurrency = app, metrics, max_concurrency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        record = RequestRecord(scope["method"], scope["path"], generation=scope["method"] == "POST"
                               and scope["path"].startswith("/v1/"))
        scope.setdefault("state", {})["record"] = record
        status = 500  # what a failure before the response starts amounts to

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if record.generation and self.metrics.in_flight >= self.max_concurrency:
                error = ServerBusyError(f"the server is busy: {self.max_concurrency} requests are running or "
                                        "waiting (--max-concurrency); retry later")
                return await error_response(error, headers={"retry-after": RETRY_AFTER_S})(
                    scope, receive, send_noting_status)
            if record.generation:
                self.metrics.admitted(record)
            await self.app(scope, receive, send_noting_status)
        finally:
            self.metrics.finished(record, status)
            log.info("%s", _log_line(record, status))


def _log_line(record: RequestRecord, status: int) -> str:
    path = json.dumps(record.path)[1:-1]  # control characters escaped: one request, one line
    line = f"{record.method} {path} {status} {1000 * (time.perf_counter() - record.arrived):.1f} ms"
    if record.first_token_at is not None:
        line += f" ttft {1000 * (record.first_token_at - record.arrived):.1f} ms"
    if record.prompt_tokens is not None:
        line += f" prompt_tokens {record.prompt_tokens}"
    if record.completion_tokens is not None:
        line += f" completion_tokens {record.completion_tokens}"
    return line
