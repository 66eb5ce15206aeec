"""OpenAI's embeddings request and response (https://platform.openai.com/docs/api-reference/embeddings).

    input            a string, an array of strings, an array of token ids, or an array of such arrays
    model            the model id (checked by whoever routes the request)
    encoding_format  "float" (lists of numbers) or "base64" (little-endian float32 bytes, base64)
    dimensions       the output size; only models that support shortening take another than their own
    user             an end-user id: checked, not kept
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError
from .validation import optional_int, optional_str, show

ENCODING_FORMATS = ("float", "base64")
MAX_INPUTS = 2048  # OpenAI's limit on the items of one request
_FIELDS = ("input", "model", "encoding_format", "dimensions", "user")
_INPUT_KINDS = "a non-empty string, an array of them, an array of token ids, or an array of such arrays"


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    texts: tuple[str, ...] | None  # exactly one of texts / token_ids is set
    token_ids: tuple[tuple[int, ...], ...] | None
    model: str | None = None
    encoding_format: str = "float"
    dimensions: int | None = None

    @property
    def count(self) -> int:
        return len(self.texts if self.texts is not None else self.token_ids)

    @classmethod
    def from_dict(cls, body: Any) -> "EmbeddingRequest":
        if not isinstance(body, dict):
            raise InvalidRequestError(f"the request body must be a JSON object, got {show(body)}")
        for name, value in body.items():
            if name not in _FIELDS and value is not None:
                raise InvalidRequestError(f"unknown field {name!r}; allowed fields: {', '.join(_FIELDS)}",
                                          param=name, code="unknown_parameter")
        optional_str(body, "user")
        fmt = body.get("encoding_format")
        if fmt is not None and fmt not in ENCODING_FORMATS:
            raise InvalidRequestError(f"encoding_format must be one of {', '.join(ENCODING_FORMATS)}, "
                                      f"got {show(fmt)}", param="encoding_format")
        texts, token_ids = _parse_input(body.get("input"))
        return cls(texts, token_ids, optional_str(body, "model"), fmt or "float",
                   optional_int(body, "dimensions", 1, None))


def _parse_input(value: Any) -> tuple[tuple[str, ...] | None, tuple[tuple[int, ...], ...] | None]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidRequestError(f"input must be {_INPUT_KINDS}, got {show(value)}", param="input")
    if len(value) > MAX_INPUTS and not all(_is_token_id(v) for v in value):
        raise InvalidRequestError(f"input has {len(value)} items; at most {MAX_INPUTS} are allowed", param="input")
    if all(isinstance(v, str) for v in value):
        for i, text in enumerate(value):
            if not text:
                raise InvalidRequestError(f"input[{i}] is an empty string; each input must hold text",
                                          param="input")
        return tuple(value), None
    if all(_is_token_id(v) for v in value):
        return None, (tuple(value),)
    if all(isinstance(v, list) for v in value):
        for i, ids in enumerate(value):
            if not ids or not all(_is_token_id(t) for t in ids):
                raise InvalidRequestError(f"input[{i}] must be a non-empty array of token ids (integers >= 0), "
                                          f"got {show(ids)}", param="input")
        return None, tuple(tuple(ids) for ids in value)
    raise InvalidRequestError(f"input must be {_INPUT_KINDS} (not a mix), got {show(value)}", param="input")


def _is_token_id(value: Any) -> bool:
    return type(value) is int and value >= 0


@dataclass(frozen=True, slots=True)
class Embedding:
    index: int
    embedding: list[float] | str  # floats, or base64 of little-endian float32
    object: str = "embedding"

    def to_dict(self) -> dict[str, Any]:
        return {"object": self.object, "index": self.index, "embedding": self.embedding}


@dataclass(frozen=True, slots=True)
class EmbeddingUsage:
    prompt_tokens: int
    total_tokens: int

    def to_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens, "total_tokens": self.total_tokens}


@dataclass(frozen=True, slots=True)
class CreateEmbeddingResponse:
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
    object: str = "list"

    def to_dict(self) -> dict[str, Any]:
        return {"object": self.object, "data": [e.to_dict() for e in self.data], "model": self.model,
                "usage": self.usage.to_dict()}


def encode_embedding(values: list[float], encoding_format: str) -> list[float] | str:
    """As the response carries it: the floats, or base64 of their float32 bytes (little-endian)."""
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")
    return values
