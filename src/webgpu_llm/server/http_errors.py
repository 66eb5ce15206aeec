"""Errors only HTTP has, and the one way every error becomes a response.

Every error body is OpenAI's `{"error": {"message", "type", "param", "code"}}`
(protocol/errors.py), with the error's own `http_status`. Error bodies are
ASCII JSON (`\\u` escapes), so a message quoting a client's odd text can
always be encoded.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..protocol.errors import InvalidRequestError, WebGPULLMError

log = logging.getLogger("webgpu_llm.server")


class NotFoundError(InvalidRequestError):
    """No such file or route (HTTP 404)."""

    default_code = "not_found"
    http_status = 404


class RequestTooLargeError(InvalidRequestError):
    """The request body is over the server's limit (HTTP 413)."""

    default_code = "request_too_large"
    http_status = 413


class UnsupportedMediaTypeError(InvalidRequestError):
    """The request body is not sent as JSON (HTTP 415)."""

    default_code = "unsupported_media_type"
    http_status = 415


class InvalidApiKeyError(InvalidRequestError):
    """No or a wrong `Authorization: Bearer <key>` (HTTP 401, OpenAI's code)."""

    default_code = "invalid_api_key"
    http_status = 401


class ServerBusyError(WebGPULLMError):
    """More requests than --max-concurrency are admitted (HTTP 429). OpenAI answers a
    request-rate limit with type "requests" and code "rate_limit_exceeded"."""

    type = "requests"
    default_code = "rate_limit_exceeded"
    http_status = 429


class ErrorJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def error_response(error: WebGPULLMError, headers: dict[str, str] | None = None) -> JSONResponse:
    response = ErrorJSONResponse(error.to_dict(), status_code=error.http_status, headers=headers)
    if isinstance(error, RequestTooLargeError):
        # The rest of the body is never read: close rather than leave it in the connection.
        response.headers["connection"] = "close"
    return response


async def routing_error_response(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own errors (no route under /v1, a wrong method) in the same shape."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    error = InvalidRequestError(f"{exc.detail}: {request.method} {request.url.path}", code=code)
    return ErrorJSONResponse(error.to_dict(), status_code=exc.status_code, headers=exc.headers)


async def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    """A bug: still OpenAI's shape (a 500 server_error), never Starlette's plain-text page."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(WebGPULLMError(f"the server failed: {type(exc).__name__}"))
