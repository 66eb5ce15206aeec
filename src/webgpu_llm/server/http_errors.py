"""Errors only HTTP has, and the one way every error becomes a response.

Every error body is OpenAI's `{"error": {"message", "type", "param", "code"}}`
(protocol/errors.py), with the error's own `http_status`.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..protocol.errors import InvalidRequestError, WebGPULLMError


class NotFoundError(InvalidRequestError):
    """No such file or route (HTTP 404)."""

    default_code = "not_found"
    http_status = 404


class RequestTooLargeError(InvalidRequestError):
    """The request body is over the server's limit (HTTP 413)."""

    default_code = "request_too_large"
    http_status = 413


def error_response(error: WebGPULLMError) -> JSONResponse:
    response = JSONResponse(error.to_dict(), status_code=error.http_status)
    if isinstance(error, RequestTooLargeError):
        # The rest of the body is never read: close rather than leave it in the connection.
        response.headers["connection"] = "close"
    return response


async def routing_error_response(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own errors (no route under /v1, a wrong method) in the same shape."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    error = InvalidRequestError(f"{exc.detail}: {request.method} {request.url.path}", code=code)
    return JSONResponse(error.to_dict(), status_code=exc.status_code, headers=exc.headers)
