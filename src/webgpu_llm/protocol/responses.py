"""OpenAI response objects with attribute access and exact JSON shapes.

Attribute names follow the `openai` Python package, so
`chunk.choices[0].delta.content` reads the same here; `to_dict()` gives the
JSON that OpenAI's API sends (https://platform.openai.com/docs/api-reference/chat/object,
.../chat-streaming, .../completions/object) and `from_dict()` reads it back.
`Usage.extra` is WebLLM's addition (web-llm `CompletionUsage.extra`):
prefill_tokens_per_s, decode_tokens_per_s, time_to_first_token_s,
time_per_output_token_s, e2e_latency_s.

Chunks carry `"usage"` only when it is set: with
`stream_options.include_usage` the last chunk has `choices: []` and the usage.
Whole replies always carry `"usage"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "TopLogprob", "TokenLogprobEntry", "ChatLogprobs", "CompletionLogprobs", "Usage",
    "Delta", "ChunkChoice", "ChatCompletionChunk", "Message", "Choice", "ChatCompletion",
    "CompletionChoice", "CompletionChunk", "Completion",
]


# ------------------------------------------------------------- logprobs

@dataclass(slots=True)
class TopLogprob:
    token: str
    logprob: float
    bytes: list[int] | None = None  # UTF-8 bytes of the token; None when not text

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "logprob": self.logprob, "bytes": self.bytes}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TopLogprob:
        return cls(d["token"], d["logprob"], d.get("bytes"))


@dataclass(slots=True)
class TokenLogprobEntry:
    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"token": self.token, "logprob": self.logprob, "bytes": self.bytes,
                "top_logprobs": [t.to_dict() for t in self.top_logprobs]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TokenLogprobEntry:
        return cls(d["token"], d["logprob"], d.get("bytes"),
                   [TopLogprob.from_dict(t) for t in d.get("top_logprobs") or ()])


@dataclass(slots=True)
class ChatLogprobs:
    """Chat logprobs: `{"content": [entry, ...]}`, one entry per sampled token."""

    content: list[TokenLogprobEntry] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"content": None if self.content is None else [e.to_dict() for e in self.content]}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> ChatLogprobs | None:
        if d is None:
            return None
        content = d.get("content")
        return cls(None if content is None else [TokenLogprobEntry.from_dict(e) for e in content])


@dataclass(slots=True)
class CompletionLogprobs:
    """Legacy completions logprobs: parallel lists, one item per token."""

    tokens: list[str] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    top_logprobs: list[dict[str, float]] | None = None
    text_offset: list[int] = field(default_factory=list)  # char offset of each token in the text

    def to_dict(self) -> dict[str, Any]:
        return {"tokens": list(self.tokens), "token_logprobs": list(self.token_logprobs),
                "top_logprobs": None if self.top_logprobs is None else list(self.top_logprobs),
                "text_offset": list(self.text_offset)}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> CompletionLogprobs | None:
        if d is None:
            return None
        top = d.get("top_logprobs")
        return cls(list(d.get("tokens") or ()), list(d.get("token_logprobs") or ()),
                   None if top is None else list(top), list(d.get("text_offset") or ()))


# ----------------------------------------------------------------- usage

@dataclass(slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    extra: dict[str, Any] | None = None  # WebLLM's timing block

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prompt_tokens": self.prompt_tokens,
                               "completion_tokens": self.completion_tokens,
                               "total_tokens": self.total_tokens}
        if self.extra is not None:
            out["extra"] = dict(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Usage | None:
        if d is None:
            return None
        extra = d.get("extra")
        return cls(d["prompt_tokens"], d["completion_tokens"], d["total_tokens"],
                   None if extra is None else dict(extra))


# ------------------------------------------------------------------ chat

@dataclass(slots=True)
class Delta:
    role: str | None = None
    content: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # OpenAI sends only what the chunk adds: {"role": "assistant", "content": ""},
        # then {"content": "..."}, then {} with the finish_reason.
        out: dict[str, Any] = {}
        if self.role is not None:
            out["role"] = self.role
        if self.content is not None:
            out["content"] = self.content
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Delta:
        return cls(d.get("role"), d.get("content"))


@dataclass(slots=True)
class ChunkChoice:
    index: int
    delta: Delta
    logprobs: ChatLogprobs | None = None
    finish_reason: str | None = None  # "stop" | "length" | "abort" on the choice's last chunk

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "delta": self.delta.to_dict(),
                "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
                "finish_reason": self.finish_reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChunkChoice:
        return cls(d["index"], Delta.from_dict(d.get("delta") or {}),
                   ChatLogprobs.from_dict(d.get("logprobs")), d.get("finish_reason"))


@dataclass(slots=True)
class ChatCompletionChunk:
    id: str
    created: int  # unix seconds
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    object: ClassVar[str] = "chat.completion.chunk"

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, usage_always=False)  # a stream carries usage in its last chunk only

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChatCompletionChunk:
        return _parse_envelope(cls, d, ChunkChoice)


@dataclass(slots=True)
class Message:
    role: str
    content: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        return cls(d.get("role", "assistant"), d.get("content"))


@dataclass(slots=True)
class Choice:
    index: int
    message: Message
    logprobs: ChatLogprobs | None = None
    finish_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "message": self.message.to_dict(),
                "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
                "finish_reason": self.finish_reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Choice:
        return cls(d["index"], Message.from_dict(d["message"]),
                   ChatLogprobs.from_dict(d.get("logprobs")), d.get("finish_reason"))


@dataclass(slots=True)
class ChatCompletion:
    id: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    object: ClassVar[str] = "chat.completion"

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, usage_always=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChatCompletion:
        return _parse_envelope(cls, d, Choice)


# ----------------------------------------------------- text completions

@dataclass(slots=True)
class CompletionChoice:
    """One choice of a text completion; streamed chunks use the same shape."""

    index: int
    text: str
    logprobs: CompletionLogprobs | None = None
    finish_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "index": self.index,
                "logprobs": None if self.logprobs is None else self.logprobs.to_dict(),
                "finish_reason": self.finish_reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CompletionChoice:
        return cls(d["index"], d["text"], CompletionLogprobs.from_dict(d.get("logprobs")),
                   d.get("finish_reason"))


@dataclass(slots=True)
class CompletionChunk:
    id: str
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    object: ClassVar[str] = "text_completion"  # OpenAI streams completions under this name too

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, usage_always=False)  # a stream carries usage in its last chunk only

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CompletionChunk:
        return _parse_envelope(cls, d, CompletionChoice)


@dataclass(slots=True)
class Completion:
    id: str
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None
    object: ClassVar[str] = "text_completion"

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, usage_always=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Completion:
        return _parse_envelope(cls, d, CompletionChoice)


def _envelope(response: Any, usage_always: bool) -> dict[str, Any]:
    """The fields every response and chunk shares, in OpenAI's order."""
    out = {"id": response.id, "object": response.object, "created": response.created, "model": response.model,
           "choices": [c.to_dict() for c in response.choices]}
    if usage_always or response.usage is not None:
        out["usage"] = None if response.usage is None else response.usage.to_dict()
    return out


def _parse_envelope(cls: type, d: dict[str, Any], choice: type) -> Any:
    return cls(d["id"], d["created"], d["model"], [choice.from_dict(c) for c in d["choices"]],
               Usage.from_dict(d.get("usage")))
