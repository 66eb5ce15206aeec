"""OpenAI-style messages -> prompt text, the way MLC-LLM builds it.

Follows `Conversation.as_prompt` in MLC-LLM
(python/mlc_llm/protocol/conversation_protocol.py) and how MLC's engine fills
a template from a chat request (a leading system message replaces the
template's `system_message`; a trailing empty assistant turn is the
generation prompt). Tools, tool calls and tool results are first written
into plain turns by tool_format.py (the Hermes-style format). Standard
library only (DESIGN.md, decision 1).

Beyond MLC, as the models' own (Jinja) templates do: a system message after
the first position is a system turn where it stands (the template's system
block around it), and OpenAI's `developer` role is a system message.

The prompt records which characters came from the messages (`content_spans`),
so the tokenizer can read special-token strings typed there as plain text:
otherwise a user who types `<|im_end|>` would end their turn and forge the next.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .template import (FUNCTION_PLACEHOLDER, ROLE_PLACEHOLDERS, SYSTEM_PLACEHOLDER,
                       ConversationError, ConvTemplate)
from .tool_format import apply_tool_format, uses_tool_format

OPENAI_ROLES = ("system", "user", "assistant", "tool")
SYSTEM_ALIASES = ("developer",)  # OpenAI's newer name for system messages

# A template that reads `enable_thinking` says, under this key of its extra fields, what goes after
# the generation prompt when it is false: Qwen3's Jinja template writes an empty think block there
# ("<think>\n\n</think>\n\n") so the model answers at once. Templates without the key ignore it.
THINKING_OFF_KEY = "thinking_off_text"

# (text, came from the messages): what a prompt is built from.
Piece = tuple[str, bool]


@dataclasses.dataclass(frozen=True)
class Prompt:
    """Token ids that go first (e.g. BOS), then text for the tokenizer."""

    prefix_token_ids: list[int]
    text: str
    # (start, stop) ranges of `text` written by the request (message contents, tools), not the
    # template; left out of ==, which compares what the template made
    content_spans: tuple[tuple[int, int], ...] = dataclasses.field(default=(), compare=False)


def render_prompt(template: ConvTemplate, messages: list[dict[str, Any]],
                  add_generation_prompt: bool = True,
                  tools: list[dict[str, Any]] | None = None,
                  enable_thinking: bool | None = None) -> Prompt:
    """Render `messages` with `template`; raise ConversationError on bad input.

    `tools` are OpenAI tool dicts ({"type": "function", "function": {...}}), as a
    chat template's `tools` receives them; with tools, or with assistant
    `tool_calls` in the messages, tool_format.py's format applies.
    `enable_thinking` (WebLLM's extra_body field; None = not given) matters only to a
    template that declares THINKING_OFF_KEY, and only when false.
    """
    if isinstance(messages, list):
        messages = [_with_system_role(message) for message in messages]
        if uses_tool_format(messages, tools):
            messages = apply_tool_format(template, messages, tools)
    system_message, system_from_request, turns = _split_system(template, messages)
    history = [(role, content, False) for role, content in template.messages]
    turns = history + turns
    if add_generation_prompt:
        turns.append(("assistant", None, False))
    # An empty system message renders no system block. MLC would render the
    # block around an empty message; no model's own (Jinja) template does, so
    # templates whose models write no default system turn keep "" here.
    pieces = _system_block(template, system_message, system_from_request)
    has_system_text = any(text for text, _ in pieces)
    for index, (role, content, written) in enumerate(turns):
        pieces += _render_turn(template, role, content, index, has_system_text, written)
    if add_generation_prompt and enable_thinking is False:
        pieces.append((str(template.extra_fields.get(THINKING_OFF_KEY, "")), False))
    return _joined(template, _fill_function_string(pieces, template.function_string))


def _with_system_role(message: Any) -> Any:
    if isinstance(message, dict) and message.get("role") in SYSTEM_ALIASES:
        return {**message, "role": "system"}
    return message


def _system_block(template: ConvTemplate, message: str, from_request: bool) -> list[Piece]:
    return _filled(template.system_template, SYSTEM_PLACEHOLDER, message, from_request) if message else []


def _filled(template_text: str, placeholder: str, content: str, from_request: bool) -> list[Piece]:
    """`template_text` with `content` at each placeholder, as pieces."""
    parts = template_text.split(placeholder)
    pieces: list[Piece] = [(parts[0], False)]
    for part in parts[1:]:
        pieces += [(content, from_request), (part, False)]
    return pieces


def _joined(template: ConvTemplate, pieces: list[Piece]) -> Prompt:
    text, spans, at = [], [], 0
    for piece, from_request in pieces:
        if from_request and piece:
            if spans and spans[-1][1] == at:
                spans[-1] = (spans[-1][0], at + len(piece))
            else:
                spans.append((at, at + len(piece)))
        text.append(piece)
        at += len(piece)
    return Prompt(list(template.system_prefix_token_ids or []), "".join(text), tuple(spans))


def _split_system(template: ConvTemplate, messages: list[dict[str, Any]]
                  ) -> tuple[str, bool, list[tuple[str, str, bool]]]:
    """Validate messages; return the system message, whether the request gave it, and the other
    turns (role, content, True)."""
    if not isinstance(messages, list):
        raise ConversationError(
            f"messages must be a list of {{role, content}} dicts, got {type(messages).__name__}")
    system_message, from_request = template.system_message, False
    turns = []
    for index, message in enumerate(messages):
        role, content = _role_and_content(message, index)
        if role == "system":
            if not template.supports_system_message:
                raise ConversationError(
                    f"messages[{index}]: template {template.name!r} has no system turn; "
                    f"allowed roles: {', '.join(template.roles)}")
            if index == 0:  # MLC: the leading system message replaces the template's own
                system_message, from_request = content, True
            else:
                turns.append((role, content, True))
            continue
        if role not in template.roles:
            allowed = (["system"] if template.supports_system_message else []) + list(template.roles)
            raise ConversationError(
                f"messages[{index}]: template {template.name!r} has no {role!r} role; "
                f"allowed roles: {', '.join(allowed)}")
        turns.append((role, content, True))
    return system_message, from_request, turns


def _role_and_content(message: Any, index: int) -> tuple[str, str]:
    if not isinstance(message, dict):
        raise ConversationError(
            f"messages[{index}] must be a dict with 'role' and 'content', "
            f"got {type(message).__name__}")
    role = message.get("role")
    if role not in OPENAI_ROLES:  # developer was renamed system by render_prompt
        raise ConversationError(
            f"messages[{index}]: unknown role {role!r}; allowed: {', '.join(OPENAI_ROLES)}")
    return role, _content_text(message.get("content"), index)


def _content_text(content: Any, index: int) -> str:
    """A string, or OpenAI's list of text parts joined by newlines (as vLLM does)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text"
                    and isinstance(part.get("text"), str)):
                raise ConversationError(
                    f"messages[{index}].content: only text parts "
                    f"{{'type': 'text', 'text': str}} are supported, got {part!r}")
            texts.append(part["text"])
        return "\n".join(texts)
    raise ConversationError(
        f"messages[{index}].content must be a string or a list of text parts, "
        f"got {type(content).__name__}")


def _render_turn(template: ConvTemplate, role: str, content: str | None,
                 index: int, has_system_text: bool, from_request: bool) -> list[Piece]:
    # MLC: the role's opening, then its content in its role template, then the
    # separator; seps[-1] closes assistant turns (seps[0] when there is one).
    if content is None:
        return [(template.roles[role] + template.role_empty_sep, False)]
    if role == "system":  # one after the first position: the system block where it stands
        return _system_block(template, content, from_request)
    separator = template.seps[-1] if role == "assistant" else template.seps[0]
    # Formats like llama-2 put the first user message inside the system
    # block's "[INST]", so its role opening is left out.
    omit_role = (not template.add_role_after_system_message
                 and has_system_text and index == 0)
    role_prefix = "" if omit_role else template.roles[role] + template.role_content_sep
    placeholder = ROLE_PLACEHOLDERS[role]
    body = _filled(template.role_templates.get(role, placeholder), placeholder, content, from_request)
    return [(role_prefix, False), *body, (separator, False)]


def _fill_function_string(pieces: list[Piece], function_string: str) -> list[Piece]:
    """MLC: the last placeholder gets the tool definitions, earlier ones vanish. Only the
    template's text holds placeholders: the same characters typed in a message stay."""
    last = max((i for i, (text, written) in enumerate(pieces) if not written and FUNCTION_PLACEHOLDER in text),
               default=None)
    if last is None:
        return pieces
    filled = []
    for i, (text, written) in enumerate(pieces):
        if not written and i == last:
            head, _, tail = text.rpartition(FUNCTION_PLACEHOLDER)
            text = head.replace(FUNCTION_PLACEHOLDER, "") + function_string + tail
        elif not written:
            text = text.replace(FUNCTION_PLACEHOLDER, "")
        filled.append((text, written))
    return filled
