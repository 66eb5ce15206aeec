"""OpenAI response objects with attribute access and exact JSON shapes.

Attribute names follow the `openai` Python package, so
`chunk.choices[0].delta.content` reads the same here; `to_dict()` gives the
JSON that OpenAI's API sends (https://platform.openai.com/docs/api-reference/chat/object,
.../chat-streaming, .../completions/object) and `from_dict()` reads it back.
`Usage.extra` is WebLLM's addition (web-llm `CompletionUsage.extra`):
prefill_tokens_per_s, decode_tokens_per_s, time_to_first_token_s,
time_per_output_token_s, e2e_latency_s.

Tool calls follow OpenAI's shapes: a reply's `message.tool_calls` is
`[{id: "call_<24 hex>", type: "function", function: {name, arguments}}]`
(arguments: JSON text) with `content` null when the reply is only calls and
finish_reason "tool_calls"; a stream sends `delta.tool_calls[{index, ...}]`,
the first delta of a call with its id, type and name (arguments "" or a
first piece), later ones only `index` and `function.arguments` pieces.

Chunks carry `"usage"` only when it is set: with
`stream_options.include_usage` the last chunk has `choices: []` and the usage.
Whole replies always carry `"usage"`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "TopLogprob", "TokenLogprobEntry", "ChatLogprobs", "CompletionLogprobs", "Usage",
    "Delta", "ChunkChoice", "ChatCompletionChunk", "Message", "Choice", "ChatCompletion",
    "CompletionChoice", "CompletionChunk", "Completion",
    "ToolCall", "ToolCallFunction", "ToolCallDelta", "ToolCallFunctionDelta", "new_tool_call_id",
]

TOOL_CALL_ID_HEX = 24  # OpenAI's ids look like "call_" + 24 alphanumerics


def new_tool_call_id() -> str:
    return "call_" + secrets.token_hex(TOOL_CALL_ID_HEX // 2)


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


# ------------------------------------------------------------- tool calls

@dataclass(slots=True)
class ToolCallFunction:
    name: str
    arguments: str  # the JSON object text as generated

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass(slots=True)
class ToolCall:
    """One call in a reply's `message.tool_calls`."""

    id: str
    function: ToolCallFunction
    type: str = "function"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "function": self.function.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolCall:
        function = d["function"]
        return cls(d["id"], ToolCallFunction(function["name"], function["arguments"]),
                   d.get("type", "function"))


@dataclass(slots=True)
class ToolCallFunctionDelta:
    name: str | None = None
    arguments: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        if self.arguments is not None:
            out["arguments"] = self.arguments
        return out


@dataclass(slots=True)
class ToolCallDelta:
    """A piece of call `index` of a streamed choice: only the fields this chunk adds."""

    index: int
    id: str | None = None
    type: str | None = None
    function: ToolCallFunctionDelta | None = None

    @classmethod
    def start(cls, index: int, call_id: str, name: str, arguments: str = "") -> ToolCallDelta:
        """A call's first delta, as OpenAI sends it."""
        return cls(index, call_id, "function", ToolCallFunctionDelta(name, arguments))

    @classmethod
    def arguments_piece(cls, index: int, text: str) -> ToolCallDelta:
        return cls(index, function=ToolCallFunctionDelta(arguments=text))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index}
        if self.id is not None:
            out["id"] = self.id
        if self.type is not None:
            out["type"] = self.type
        if self.function is not None:
            out["function"] = self.function.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolCallDelta:
        function = d.get("function")
        return cls(d["index"], d.get("id"), d.get("type"),
                   None if function is None else ToolCallFunctionDelta(function.get("name"),
                                                                        function.get("arguments")))


# ------------------------------------------------------------------ chat

@dataclass(slots=True)
class Delta:
    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None

    def to_dict(self) -> dict[str, Any]:
        # OpenAI sends only what the chunk adds: {"role": "assistant", "content": ""},
        # then {"content": "..."} or {"tool_calls": [...]}, then {} with the finish_reason.
        out: dict[str, Any] = {}
        if self.role is not None:
            out["role"] = self.role
        if self.content is not None:
            out["content"] = self.content
        if self.tool_calls is not None:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Delta:
        calls = d.get("tool_calls")
        return cls(d.get("role"), d.get("content"),
                   None if calls is None else [ToolCallDelta.from_dict(c) for c in calls])


@dataclass(slots=True)
class ChunkChoice:
    index: int
    delta: Delta
    logprobs: ChatLogprobs | None = None
    finish_reason: str | None = None  # "stop" | "length" | "tool_calls" | "abort" on the last chunk

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
    system_fingerprint: str | None = None  # OpenAI's: the backend configuration (engine, model) that answered
    object: ClassVar[str] = "chat.completion.chunk"

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, usage_always=False)  # a stream carries usage in its last chunk only

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ChatCompletionChunk:
        return _parse_envelope(cls, d, ChunkChoice)


@dataclass(slots=True)
class Message:
    role: str
    content: str | None  # None when the reply is only tool calls
    tool_calls: list[ToolCall] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        calls = d.get("tool_calls")
        return cls(d.get("role", "assistant"), d.get("content"),
                   None if calls is None else [ToolCall.from_dict(c) for c in calls])


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
    system_fingerprint: str | None = None  # OpenAI's: the backend configuration (engine, model) that answered
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
    system_fingerprint: str | None = None  # OpenAI's: the backend configuration (engine, model) that answered
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
    system_fingerprint: str | None = None  # OpenAI's: the backend configuration (engine, model) that answered
    object: ClassVar[str] = "text_completion"

    def to_dict(self) -> dict[str, Any]:
        return _envelope(self, usage_always=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Completion:
        return _parse_envelope(cls, d, CompletionChoice)


def _envelope(response: Any, usage_always: bool) -> dict[str, Any]:
    """The fields every response and chunk shares, in OpenAI's order."""
    out = {"id": response.id, "object": response.object, "created": response.created, "model": response.model}
    if response.system_fingerprint is not None:  # the engine always sets it
        out["system_fingerprint"] = response.system_fingerprint
    out["choices"] = [c.to_dict() for c in response.choices]
    if usage_always or response.usage is not None:
        out["usage"] = None if response.usage is None else response.usage.to_dict()
    return out


def _parse_envelope(cls: type, d: dict[str, Any], choice: type) -> Any:
    return cls(d["id"], d["created"], d["model"], [choice.from_dict(c) for c in d["choices"]],
               Usage.from_dict(d.get("usage")), d.get("system_fingerprint"))
