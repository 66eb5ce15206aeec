"""Chat messages of a request, tool calls and tool results included.

OpenAI's message shapes (https://platform.openai.com/docs/api-reference/chat/create,
`messages`): an assistant message may carry `tool_calls`
`[{id, type: "function", function: {name, arguments}}]` with its content null
or absent; a `tool` message answers one of those calls through `tool_call_id`
and carries the result as its content. Every `tool_call_id` must name a call
of an earlier assistant message, so a conversation that the prompt renders
never holds a result without its call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError
from .validation import check_keys, optional_str, require_object, show

__all__ = ["ChatMessage", "AssistantToolCall", "parse_messages"]

ROLES = ("system", "developer", "user", "assistant", "tool")  # developer: OpenAI's newer system
TOOL_CALL_FIELDS = ("id", "type", "function")
TOOL_CALL_FUNCTION_FIELDS = ("name", "arguments")

_MESSAGE_FIELDS = {"role", "content", "name", "tool_call_id", "tool_calls"}
_MESSAGE_UNSUPPORTED = {"function_call": None, "refusal": None, "audio": None}


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantToolCall:
    """A call an earlier assistant turn made: `arguments` is the JSON object text as sent."""

    id: str
    name: str
    arguments: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function",
                "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    role: str  # one of ROLES
    content: str | None  # None only for an assistant message
    name: str | None = None
    tool_call_id: str | None = None  # a tool message: the call it answers
    tool_calls: tuple[AssistantToolCall, ...] | None = None  # an assistant message's calls

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            out["name"] = self.name
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return out


def parse_messages(value: Any) -> list[ChatMessage]:
    if not isinstance(value, list) or not value:
        raise InvalidRequestError(f"messages must be a non-empty list of message objects, "
                                  f"got {show(value)}", param="messages")
    messages: list[ChatMessage] = []
    call_ids: list[str] = []  # ids of the calls made so far, in order
    for i, item in enumerate(value):
        message = _parse_message(item, f"messages[{i}]")
        if message.role == "tool":
            _check_answers_a_call(message, call_ids, f"messages[{i}].tool_call_id")
        for call in message.tool_calls or ():
            call_ids.append(call.id)
        messages.append(message)
    return messages


def _check_answers_a_call(message: ChatMessage, call_ids: list[str], where: str) -> None:
    if message.tool_call_id is None:
        raise InvalidRequestError(f"{where} is required for a tool message: the id of the "
                                  "assistant tool call it answers", param=where)
    if message.tool_call_id not in call_ids:
        known = ", ".join(repr(i) for i in call_ids) if call_ids else "none (no earlier tool_calls)"
        raise InvalidRequestError(f"{where} {message.tool_call_id!r} matches no tool call of an "
                                  f"earlier assistant message; earlier call ids: {known}", param=where)


def _parse_message(message: Any, where: str) -> ChatMessage:
    require_object(message, where, "an object with role and content")
    for key, value in message.items():
        if key in _MESSAGE_FIELDS or (key in _MESSAGE_UNSUPPORTED and value is None):
            continue
        if key in _MESSAGE_UNSUPPORTED:
            raise InvalidRequestError(f"{where}.{key} is not supported yet",
                                      param=f"{where}.{key}", code="unsupported_parameter")
        raise InvalidRequestError(f"unknown field {key!r} in {where}; allowed: "
                                  f"{', '.join(sorted(_MESSAGE_FIELDS))}", param=f"{where}.{key}",
                                  code="unknown_parameter")
    role = message.get("role")
    if role not in ROLES:
        raise InvalidRequestError(f"{where}.role must be one of {', '.join(ROLES)}, "
                                  f"got {show(role)}", param=f"{where}.role")
    content = message.get("content")
    if content is None and role != "assistant":
        raise InvalidRequestError(f"{where}.content is required for a {role} message",
                                  param=f"{where}.content")
    return ChatMessage(role=role, content=_message_text(content, f"{where}.content"),
                       name=optional_str(message, "name", f"{where}.name"),
                       tool_call_id=optional_str(message, "tool_call_id", f"{where}.tool_call_id"),
                       tool_calls=_parse_tool_calls(message.get("tool_calls"), role,
                                                    f"{where}.tool_calls"))


def _parse_tool_calls(value: Any, role: str, where: str) -> tuple[AssistantToolCall, ...] | None:
    if value is None or value == []:
        return None  # [] as some clients send it: no calls
    if role != "assistant":
        raise InvalidRequestError(f"{where}: only assistant messages carry tool_calls, "
                                  f"this is a {role} message", param=where)
    if not isinstance(value, list):
        raise InvalidRequestError(f'{where} must be a list of {{"id", "type": "function", '
                                  f'"function": {{"name", "arguments"}}}} objects, got {show(value)}',
                                  param=where)
    calls = tuple(_parse_tool_call(call, f"{where}[{j}]") for j, call in enumerate(value))
    ids = [call.id for call in calls]
    for j, call_id in enumerate(ids):
        if call_id in ids[:j]:
            raise InvalidRequestError(f"{where}[{j}].id {call_id!r} repeats an earlier call's id; "
                                      "each call needs its own id", param=f"{where}[{j}].id")
    return calls


def _parse_tool_call(call: Any, where: str) -> AssistantToolCall:
    require_object(call, where, 'an object {"id", "type": "function", "function": {"name", "arguments"}}')
    check_keys(call, TOOL_CALL_FIELDS, where)
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequestError(f"{where}.id must be a non-empty string, got {show(call_id)}",
                                  param=f"{where}.id")
    if call.get("type", "function") != "function":
        raise InvalidRequestError(f'{where}.type must be "function", got {show(call.get("type"))}',
                                  param=f"{where}.type")
    function = require_object(call.get("function"), f"{where}.function",
                              'an object {"name": <string>, "arguments": <JSON object as a string>}')
    check_keys(function, TOOL_CALL_FUNCTION_FIELDS, f"{where}.function")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError(f"{where}.function.name must be a non-empty string, got {show(name)}",
                                  param=f"{where}.function.name")
    return AssistantToolCall(id=call_id, name=name,
                             arguments=_arguments_text(function.get("arguments"), f"{where}.function.arguments"))


def _arguments_text(arguments: Any, where: str) -> str:
    # The prompt renders the arguments as the JSON object they encode (a model's own
    # template writes `arguments | tojson` of the decoded object), so they must decode.
    allowed = 'a string holding a JSON object, e.g. "{\\"city\\": \\"Paris\\"}"'
    if not isinstance(arguments, str):
        raise InvalidRequestError(f"{where} must be {allowed}, got {show(arguments)}", param=where)
    try:
        decoded = json.loads(arguments)
    except ValueError as error:
        raise InvalidRequestError(f"{where} must be {allowed}; it is not JSON ({error})", param=where) from None
    if not isinstance(decoded, dict):
        raise InvalidRequestError(f"{where} must be {allowed}, got the JSON value {show(decoded)}", param=where)
    return arguments


def _message_text(content: Any, where: str) -> str | None:
    """A string, or OpenAI's list of text parts joined by newlines (as vLLM and
    conversation/render.py do)."""
    if content is None or isinstance(content, str):
        return content
    allowed = 'a string or a list of {"type": "text", "text": ...} parts'
    if not isinstance(content, list):
        raise InvalidRequestError(f"{where} must be {allowed}, got {show(content)}", param=where)
    texts = []
    for i, part in enumerate(content):
        part_type = part.get("type") if isinstance(part, dict) else None
        if part_type in ("image_url", "input_audio", "file", "refusal"):
            raise InvalidRequestError(f"{where}[{i}]: content parts of type {part_type!r} are "
                                      "not supported yet", param=f"{where}[{i}].type",
                                      code="unsupported_parameter")
        if part_type != "text" or set(part) != {"type", "text"} or not isinstance(part["text"], str):
            raise InvalidRequestError(f"{where}[{i}] must be {{\"type\": \"text\", \"text\": "
                                      f"<string>}}, got {show(part)}", param=f"{where}[{i}]")
        texts.append(part["text"])
    return "\n".join(texts)
