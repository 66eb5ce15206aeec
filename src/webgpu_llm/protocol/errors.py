"""Typed errors that keep their type across worker and process boundaries.

Every error carries OpenAI's error fields (`type`, `code`, `param`) and turns
into OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`
(https://platform.openai.com/docs/guides/error-codes). `error_from_dict`
rebuilds the same class from that body, so a Web Worker, a subprocess or an
HTTP client re-raises what the engine raised, the way WebLLM's worker
rethrows its errors by name (web-llm `src/message.ts`). Pickling goes through
the same fields, so `multiprocessing` keeps `param` and `code` too.

`http_status` is the status a transport that speaks HTTP answers with; the
engine itself never looks at it.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "WebGPULLMError",
    "InvalidRequestError",
    "ContextWindowExceededError",
    "UnknownModelError",
    "EngineNotLoadedError",
    "FeatureNotSupportedError",
    "error_from_dict",
]


class WebGPULLMError(Exception):
    """Base of every error this package raises on purpose."""

    type: ClassVar[str] = "server_error"
    default_code: ClassVar[str | None] = None
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code if code is not None else self.default_code

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {"error": {"message": self.message, "type": self.type,
                          "param": self.param, "code": self.code}}

    def __reduce__(self):
        return _restore, (type(self), self.message, self.param, self.code, self.type)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.message!r}, param={self.param!r}, "
                f"code={self.code!r})")


class InvalidRequestError(WebGPULLMError):
    """The request is malformed or asks for something not allowed (HTTP 400)."""

    type = "invalid_request_error"
    http_status = 400


class ContextWindowExceededError(InvalidRequestError):
    """Prompt plus max_tokens do not fit the model's context window."""

    default_code = "context_length_exceeded"


class UnknownModelError(InvalidRequestError):
    """The request names a model that is not loaded or not known (HTTP 404)."""

    default_code = "model_not_found"
    http_status = 404

    def __init__(self, message: str, param: str | None = "model", code: str | None = None):
        super().__init__(message, param, code)


class EngineNotLoadedError(WebGPULLMError):
    """A request arrived before any model was loaded (WebLLM's ModelNotLoadedError)."""

    type = "invalid_request_error"
    default_code = "engine_not_loaded"
    http_status = 503

    def __init__(self, message: str = "no model is loaded; call reload(model) first",
                 param: str | None = None, code: str | None = None):
        super().__init__(message, param, code)


class FeatureNotSupportedError(InvalidRequestError):
    """The request asks for something this engine does not do (web/errors.js has the same class)."""

    default_code = "feature_not_supported"


# Lookup for error_from_dict: (type, code) first, then (type, None) for the
# generic class of that type. Subclasses are found through their default code.
_BY_TYPE_AND_CODE: dict[tuple[str, str | None], type[WebGPULLMError]] = {
    (cls.type, cls.default_code): cls
    for cls in (WebGPULLMError, InvalidRequestError, ContextWindowExceededError,
                UnknownModelError, EngineNotLoadedError, FeatureNotSupportedError)
}


def error_from_dict(body: dict[str, Any]) -> WebGPULLMError:
    """Rebuilds the error that `to_dict()` produced (the outer `{"error": ...}` is optional)."""
    fields = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(fields, dict) or not isinstance(fields.get("message"), str):
        raise ValueError(f"not an OpenAI error body: {body!r}")
    error_type = fields.get("type") or WebGPULLMError.type
    code, param = fields.get("code"), fields.get("param")
    cls = (_BY_TYPE_AND_CODE.get((error_type, code))
           or _BY_TYPE_AND_CODE.get((error_type, None))
           or WebGPULLMError)
    return _restore(cls, fields["message"], param, code, error_type)


def _restore(cls: type[WebGPULLMError], message: str, param: str | None,
             code: str | None, error_type: str) -> WebGPULLMError:
    error = cls.__new__(cls)
    WebGPULLMError.__init__(error, message, param, code)
    if error_type != cls.type:
        error.type = error_type  # an error type we have no class for keeps its name
    return error
