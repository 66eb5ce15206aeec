"""OpenAI-style messages -> prompt text, the way MLC-LLM builds it.

Follows `Conversation.as_prompt` in MLC-LLM
(python/mlc_llm/protocol/conversation_protocol.py) and how MLC's engine fills
a template from a chat request (a leading system message replaces the
template's `system_message`; a trailing empty assistant turn is the
generation prompt). Tools, tool calls and tool results are first written
into plain turns by tool_format.py (the Hermes-style format). Standard
library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .template import (FUNCTION_PLACEHOLDER, ROLE_PLACEHOLDERS, SYSTEM_PLACEHOLDER,
                       ConversationError, ConvTemplate)
from .tool_format import apply_tool_format, uses_tool_format

OPENAI_ROLES = ("system", "user", "assistant", "tool")


@dataclasses.dataclass(frozen=True)
class Prompt:
    """Token ids that go first (e.g. BOS), then text for the tokenizer."""

    prefix_token_ids: list[int]
    text: str


def render_prompt(template: ConvTemplate, messages: list[dict[str, Any]],
                  add_generation_prompt: bool = True,
                  tools: list[dict[str, Any]] | None = None) -> Prompt:
    """Render `messages` with `template`; raise ConversationError on bad input.

    `tools` are OpenAI tool dicts ({"type": "function", "function": {...}}), as a
    chat template's `tools` receives them; with tools, or with assistant
    `tool_calls` in the messages, tool_format.py's format applies.
    """
    if isinstance(messages, list) and uses_tool_format(messages, tools):
        messages = apply_tool_format(template, messages, tools)
    system_message, turns = _split_system(template, messages)
    history = [(role, content) for role, content in template.messages]
    turns = history + turns
    if add_generation_prompt:
        turns.append(("assistant", None))
    # An empty system message renders no system block. MLC would render the
    # block around an empty message; no model's own (Jinja) template does, so
    # templates whose models write no default system turn keep "" here.
    system_text = template.system_template.replace(SYSTEM_PLACEHOLDER, system_message) if system_message else ""
    pieces = [system_text] if system_text else []
    pieces += [_render_turn(template, role, content, index, bool(system_text))
               for index, (role, content) in enumerate(turns)]
    text = _fill_function_string("".join(pieces), template.function_string)
    return Prompt(list(template.system_prefix_token_ids or []), text)


def _split_system(template: ConvTemplate, messages: list[dict[str, Any]]
                  ) -> tuple[str, list[tuple[str, str]]]:
    """Validate messages; return the system message and the other turns."""
    if not isinstance(messages, list):
        raise ConversationError(
            f"messages must be a list of {{role, content}} dicts, got {type(messages).__name__}")
    system_message = template.system_message
    turns = []
    for index, message in enumerate(messages):
        role, content = _role_and_content(message, index)
        if role == "system":
            # MLC keeps one system message, ahead of the conversation.
            if index != 0:
                raise ConversationError(
                    f"messages[{index}]: a system message is allowed only as "
                    f"messages[0], found one at position {index}")
            if not template.supports_system_message:
                raise ConversationError(
                    f"messages[0]: template {template.name!r} has no system turn; "
                    f"allowed roles: {', '.join(template.roles)}")
            system_message = content
            continue
        if role not in template.roles:
            allowed = (["system"] if template.supports_system_message else []) + list(template.roles)
            raise ConversationError(
                f"messages[{index}]: template {template.name!r} has no {role!r} role; "
                f"allowed roles: {', '.join(allowed)}")
        turns.append((role, content))
    return system_message, turns


def _role_and_content(message: Any, index: int) -> tuple[str, str]:
    if not isinstance(message, dict):
        raise ConversationError(
            f"messages[{index}] must be a dict with 'role' and 'content', "
            f"got {type(message).__name__}")
    role = message.get("role")
    if role not in OPENAI_ROLES:
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
                 index: int, has_system_text: bool) -> str:
    # MLC: the role's opening, then its content in its role template, then the
    # separator; seps[-1] closes assistant turns (seps[0] when there is one).
    if content is None:
        return template.roles[role] + template.role_empty_sep
    separator = template.seps[-1] if role == "assistant" else template.seps[0]
    # Formats like llama-2 put the first user message inside the system
    # block's "[INST]", so its role opening is left out.
    omit_role = (not template.add_role_after_system_message
                 and has_system_text and index == 0)
    role_prefix = "" if omit_role else template.roles[role] + template.role_content_sep
    placeholder = ROLE_PLACEHOLDERS[role]
    body = template.role_templates.get(role, placeholder).replace(placeholder, content)
    return role_prefix + body + separator


def _fill_function_string(text: str, function_string: str) -> str:
    """MLC: the last placeholder gets the tool definitions, earlier ones vanish."""
    head, found, tail = text.rpartition(FUNCTION_PLACEHOLDER)
    if found:
        text = head.replace(FUNCTION_PLACEHOLDER, "") + function_string + tail
    return text
