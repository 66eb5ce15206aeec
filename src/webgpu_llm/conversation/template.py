"""MLC-LLM's conversation template, as it sits in `mlc-chat-config.json`.

The field names, defaults and JSON shape follow MLC-LLM's `Conversation`
(python/mlc_llm/protocol/conversation_protocol.py) so that a `conv_template`
written by MLC loads unchanged and one we write loads in MLC and WebLLM.
Standard library only: this runs in Pyodide (DESIGN.md, decision 1).
"""

from __future__ import annotations

import dataclasses
from typing import Any


class ConversationError(ValueError):
    """A template or a message list that cannot be rendered; says what is allowed."""


# MLC's `MessagePlaceholders`: each role's content slot in `role_templates`,
# plus the system message and the tool-definition string.
SYSTEM_PLACEHOLDER = "{system_message}"
FUNCTION_PLACEHOLDER = "{function_string}"
ROLE_PLACEHOLDERS = {
    "user": "{user_message}",
    "assistant": "{assistant_message}",
    "tool": "{tool_message}",
}


@dataclasses.dataclass(frozen=True)
class ConvTemplate:
    """One chat format: how system, user, assistant and tool turns become text.

    `roles` maps a role to the text that opens its turn; `seps[0]` closes
    user/tool turns and `seps[-1]` closes assistant turns; `role_empty_sep`
    follows the opening of the trailing empty assistant turn (the generation
    prompt). `system_prefix_token_ids` (e.g. BOS) go before the text as ids,
    because a tokenizer would not map their text back to the same ids.
    """

    name: str | None
    roles: dict[str, str]
    seps: list[str]
    system_template: str = SYSTEM_PLACEHOLDER
    system_message: str = ""
    system_prefix_token_ids: list[int] | None = None
    add_role_after_system_message: bool = True
    role_templates: dict[str, str] = dataclasses.field(default_factory=dict)
    messages: list[list[str | None]] = dataclasses.field(default_factory=list)
    role_content_sep: str = ""
    role_empty_sep: str = ""
    stop_str: list[str] = dataclasses.field(default_factory=list)
    stop_token_ids: list[int] = dataclasses.field(default_factory=list)
    function_string: str = ""
    use_function_calling: bool = False
    # Keys a newer MLC may write that we do not use; kept so to_dict round-trips.
    extra_fields: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [role for role in ("user", "assistant") if role not in self.roles]
        if missing:
            raise ConversationError(
                f"template {self.name!r}: roles must include 'user' and 'assistant', "
                f"missing {missing}; roles given: {sorted(self.roles)}")
        if len(self.seps) not in (1, 2):
            raise ConversationError(
                f"template {self.name!r}: seps must hold 1 or 2 strings "
                f"(user/tool, assistant), got {len(self.seps)}")

    @property
    def supports_system_message(self) -> bool:
        """False for formats without a system turn (gemma, mistral v0.2)."""
        return SYSTEM_PLACEHOLDER in self.system_template

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConvTemplate:
        """Build from MLC's JSON dict; absent keys take MLC's defaults."""
        if not isinstance(data, dict):
            raise ConversationError(
                f"conv_template must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra_fields"}
        for required in ("roles", "seps"):
            if required not in data:
                raise ConversationError(
                    f"conv_template {data.get('name')!r} lacks required key {required!r}")
        kwargs = {key: value for key, value in data.items() if key in known}
        kwargs.setdefault("name", None)
        extra = {key: value for key, value in data.items() if key not in known}
        return cls(**kwargs, extra_fields=extra)

    def to_dict(self) -> dict[str, Any]:
        """MLC's JSON dict (the `conv_template` value of mlc-chat-config.json)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "extra_fields"}
        data = _deep_copy_json(data)
        data.update(_deep_copy_json(self.extra_fields))
        return data


def _deep_copy_json(value: Any) -> Any:
    """Copy lists and dicts so callers cannot mutate a registered template."""
    if isinstance(value, dict):
        return {key: _deep_copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy_json(item) for item in value]
    return value
