"""A request body as a JSON object, or an error that says what was wrong with it.

Checked here, before any field is looked at, so that no later code meets them:
- the media type: JSON, or a type clients send JSON under by mistake (`text/plain`,
  and `application/x-www-form-urlencoded`, which `curl -d` sets); others are 415;
- the size (413, before reading when Content-Length says so, else while reading);
- the syntax: strict JSON (RFC 8259), so no `NaN`, `Infinity`, or numbers too large
  for a double (`1e400`), which Python's json module would otherwise accept;
- nesting at most MAX_DEPTH deep (deeper would recurse in the parser and beyond);
- no lone surrogates (`"\\ud800"`): JSON can spell them, UTF-8 cannot encode them,
  so they would fail in the tokenizer or in the error message itself.
Errors name the offending place as `param` (`messages[0].content`) where there is one.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from starlette.requests import Request

from ..protocol.errors import InvalidRequestError
from .http_errors import RequestTooLargeError, UnsupportedMediaTypeError

MAX_DEPTH = 64  # a request is a few levels deep; a JSON Schema inside it rarely passes 20
JSON_MEDIA_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded")


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; RequestTooLargeError past `limit` bytes (checked before reading)."""
    check_media_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLargeError(f"the request body has {declared} bytes; the limit is {limit}")
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > limit:
            raise RequestTooLargeError(f"the request body is over the limit of {limit} bytes")
    body = parse_json(bytes(data))
    if not isinstance(body, dict):
        raise InvalidRequestError(f"the request body must be a JSON object, got {_kind(body)}")
    check_values(body)
    return body


def check_media_type(content_type: str | None) -> None:
    if content_type is None:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in JSON_MEDIA_TYPES or media_type.endswith("+json") or not media_type:
        return
    raise UnsupportedMediaTypeError(f"the request body must be JSON (Content-Type: application/json), "
                                    f"got Content-Type {content_type[:80]!r}")


def parse_json(data: bytes) -> Any:
    if not data.strip():
        raise InvalidRequestError("the request body is empty; send a JSON object")
    try:
        return json.loads(data, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise InvalidRequestError(f"the request body is nested too deeply; at most {MAX_DEPTH} levels "
                                  "of arrays and objects are allowed") from None
    except ValueError as error:  # also undecodable UTF-8
        if "integer string conversion" in str(error):  # Python's guard against quadratic int parsing
            raise InvalidRequestError(f"the request body holds an integer of over {sys.get_int_max_str_digits()} "
                                      "digits; no field takes one that large") from None
        raise InvalidRequestError(f"the request body is not valid JSON: {error}") from None


def check_values(body: dict[str, Any]) -> None:
    """Depth and strings, walked without recursion (the body may be deep)."""
    pending: list[tuple[Any, str, int]] = [(body, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value, path or None)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise InvalidRequestError(f"{path} is nested {depth} levels deep; at most {MAX_DEPTH} levels of "
                                      "arrays and objects are allowed", param=path)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else key
            if isinstance(key, str):
                _check_text(key, where, "key")
            pending.append((item, where, depth + 1))


def _check_text(text: str, where: str | None, what: str = "string") -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(text[error.start])
        raise InvalidRequestError(f"{_printable(where) or 'the request body'} holds a {what} with a lone surrogate "
                                  f"(\\u{code:04x} at character {error.start}), which is not Unicode text; "
                                  "send UTF-8 text (surrogates only in pairs)",
                                  param=_printable(where)) from None


def _printable(where: str | None) -> str | None:
    """The param itself may hold the surrogate (a key): escape it so the error body can be sent."""
    return None if where is None else where.encode("utf-8", "backslashreplace").decode("utf-8")


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number (RFC 8259); numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is outside the range of a double")
    return value


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
