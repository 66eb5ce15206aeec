"""The non-streaming reply is a fold of the stream (STYLE.md principle 8).

The engine only ever produces chunks; `stream: false` collects them here.
Chunks of `n` choices may arrive interleaved: each choice's deltas are joined
in arrival order, its logprob entries appended, its last finish_reason kept.
The reply takes id, created and model from the first chunk and the last
usage seen (the usage-only chunk, `choices: []`, comes last).

Tool-call deltas are joined per call `index` the way the `openai` client's
stream accumulator does (openai-python `lib/streaming/_deltas.py`, `accumulate_delta`):
string fields (id, name, arguments) are concatenated piece by piece, `type`
is kept. A choice with calls and no text gets `content: null`.

`ChatFold` / `CompletionFold` take chunks one by one, which suits an async
stream (`async for chunk in stream: fold.add(chunk)`); `fold_chat_chunks` /
`fold_completion_chunks` fold an iterable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .responses import (ChatCompletion, ChatCompletionChunk, ChatLogprobs, Choice, Completion,
                        CompletionChoice, CompletionChunk, CompletionLogprobs, Message,
                        TokenLogprobEntry, ToolCall, ToolCallDelta, ToolCallFunction, Usage)

__all__ = ["ChatFold", "CompletionFold", "fold_chat_chunks", "fold_completion_chunks"]


@dataclass(slots=True)
class _ToolCallState:
    id: list[str] = field(default_factory=list)
    type: str = "function"
    name: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)

    def add(self, delta: ToolCallDelta) -> None:
        if delta.id is not None:
            self.id.append(delta.id)
        if delta.type is not None:
            self.type = delta.type
        if delta.function is not None:
            if delta.function.name is not None:
                self.name.append(delta.function.name)
            if delta.function.arguments is not None:
                self.arguments.append(delta.function.arguments)

    def result(self) -> ToolCall:
        return ToolCall("".join(self.id), ToolCallFunction("".join(self.name), "".join(self.arguments)),
                        self.type)


@dataclass(slots=True)
class _ChatChoiceState:
    role: str | None = None
    texts: list[str] = field(default_factory=list)
    logprobs: list[TokenLogprobEntry] | None = None  # None until a chunk carries logprobs
    finish_reason: str | None = None
    tool_calls: dict[int, _ToolCallState] = field(default_factory=dict)

    def message(self) -> Message:
        text = "".join(self.texts)
        if not self.tool_calls:
            return Message(self.role or "assistant", text)
        calls = [state.result() for _, state in sorted(self.tool_calls.items())]
        return Message(self.role or "assistant", text or None, calls)


@dataclass(slots=True)
class _Header:
    id: str
    created: int
    model: str
    system_fingerprint: str | None


class ChatFold:
    def __init__(self) -> None:
        self._header: _Header | None = None
        self._choices: dict[int, _ChatChoiceState] = {}
        self._usage: Usage | None = None

    def add(self, chunk: ChatCompletionChunk) -> None:
        if self._header is None:
            self._header = _Header(chunk.id, chunk.created, chunk.model, chunk.system_fingerprint)
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            state = self._choices.setdefault(choice.index, _ChatChoiceState())
            if choice.delta.role is not None and state.role is None:
                state.role = choice.delta.role
            if choice.delta.content is not None:
                state.texts.append(choice.delta.content)
            for call in choice.delta.tool_calls or ():
                state.tool_calls.setdefault(call.index, _ToolCallState()).add(call)
            if choice.logprobs is not None:
                if state.logprobs is None:
                    state.logprobs = []
                state.logprobs.extend(choice.logprobs.content or ())
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason

    def result(self) -> ChatCompletion:
        header = _require(self._header)
        choices = [Choice(index, state.message(),
                          None if state.logprobs is None else ChatLogprobs(state.logprobs),
                          state.finish_reason)
                   for index, state in sorted(self._choices.items())]
        return ChatCompletion(header.id, header.created, header.model, choices, self._usage,
                              header.system_fingerprint)


@dataclass(slots=True)
class _TextChoiceState:
    texts: list[str] = field(default_factory=list)
    logprobs: CompletionLogprobs | None = None
    finish_reason: str | None = None


class CompletionFold:
    def __init__(self) -> None:
        self._header: _Header | None = None
        self._choices: dict[int, _TextChoiceState] = {}
        self._usage: Usage | None = None

    def add(self, chunk: CompletionChunk) -> None:
        if self._header is None:
            self._header = _Header(chunk.id, chunk.created, chunk.model, chunk.system_fingerprint)
        if chunk.usage is not None:
            self._usage = chunk.usage
        for choice in chunk.choices:
            state = self._choices.setdefault(choice.index, _TextChoiceState())
            state.texts.append(choice.text)
            if choice.logprobs is not None:
                if state.logprobs is None:
                    state.logprobs = CompletionLogprobs()
                _extend_legacy_logprobs(state.logprobs, choice.logprobs)
            if choice.finish_reason is not None:
                state.finish_reason = choice.finish_reason

    def result(self) -> Completion:
        header = _require(self._header)
        choices = [CompletionChoice(index, "".join(state.texts), state.logprobs,
                                    state.finish_reason)
                   for index, state in sorted(self._choices.items())]
        return Completion(header.id, header.created, header.model, choices, self._usage,
                              header.system_fingerprint)


def fold_chat_chunks(chunks: Iterable[ChatCompletionChunk]) -> ChatCompletion:
    fold = ChatFold()
    for chunk in chunks:
        fold.add(chunk)
    return fold.result()


def fold_completion_chunks(chunks: Iterable[CompletionChunk]) -> Completion:
    fold = CompletionFold()
    for chunk in chunks:
        fold.add(chunk)
    return fold.result()


def _extend_legacy_logprobs(done: CompletionLogprobs, more: CompletionLogprobs) -> None:
    # text_offset values are already offsets into the whole completion text
    # (the stream sends them that way), so they are appended unchanged.
    done.tokens.extend(more.tokens)
    done.token_logprobs.extend(more.token_logprobs)
    done.text_offset.extend(more.text_offset)
    if more.top_logprobs is not None:
        if done.top_logprobs is None:
            done.top_logprobs = []
        done.top_logprobs.extend(more.top_logprobs)


def _require(header: _Header | None) -> _Header:
    if header is None:
        raise ValueError("cannot fold an empty stream: the engine sends at least one chunk")
    return header
