"""Pick the registered conversation template that a model's Jinja chat template equals.

The converter calls `match_chat_template` with the `chat_template` of a GGUF
(`tokenizer.chat_template`) or of an HF `tokenizer_config.json`, and writes
the winner into `mlc-chat-config.json` as `conv_template`. Native only
(uses jinja2).

A registered template matches when, on every probe conversation, its
rendering (prefix tokens as text + prompt text) equals the Jinja rendering,
and the two agree on which conversations are refused (e.g. a system message
for gemma). MLC formats always render their default system message, while
many Jinja templates render no system turn when none is given; so a probe
without a system message is compared first as is ("exact"), then with the
template's default system message made explicit ("default system"). Exact
matches win; ties go to the earlier registered name.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import jinja2
import jinja2.ext
import jinja2.sandbox

from webgpu_llm.conversation import (ConversationError, ConvTemplate, get_template,
                                     prefix_token_text, render_prompt, template_names)

SYSTEM = {"role": "system", "content": "You answer in one short sentence."}
TURNS = [
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "The capital of France is Paris."},
    {"role": "user", "content": "And of Italy?"},
    {"role": "assistant", "content": "Rome."},
    {"role": "user", "content": "Thanks! Which one is larger?"},
]
# One turn and three turns, each without and with a system message; all end
# with the generation prompt, the case the engine renders.
PROBES = [TURNS[:1], TURNS, [SYSTEM, *TURNS[:1]], [SYSTEM, *TURNS]]


class JinjaRejected(Exception):
    """The Jinja template refused the conversation (raise_exception or a render error)."""


def _raise_exception(message: str) -> None:
    raise jinja2.exceptions.TemplateError(message)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: Any = None, sort_keys: bool = False) -> str:
    # transformers overrides jinja's tojson, which would HTML-escape.
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                      separators=separators, sort_keys=sort_keys)


def _strftime_now(format_string: str) -> str:
    return datetime.datetime.now().strftime(format_string)


def _environment() -> jinja2.sandbox.ImmutableSandboxedEnvironment:
    """The environment transformers' `apply_chat_template` renders with."""
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


def render_jinja_chat(jinja_source: str, messages: list[dict[str, Any]],
                      special_tokens: dict[str, str],
                      add_generation_prompt: bool = True,
                      tools: list[dict[str, Any]] | None = None) -> str:
    """Render a chat template as HF transformers does; JinjaRejected if it refuses.

    `special_tokens` holds e.g. {"bos_token": "<s>", "eos_token": "</s>"};
    `tools` goes to the template's `tools` (transformers passes None without tools).
    """
    try:
        template = _environment().from_string(jinja_source)
        return template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                               tools=tools, **special_tokens)
    except (jinja2.exceptions.TemplateError, TypeError) as error:
        # TypeError: e.g. `'text' + none` in a template that assumes a field.
        raise JinjaRejected(str(error)) from error


def registered_rendering(name: str, messages: list[dict[str, Any]],
                         add_generation_prompt: bool = True) -> str:
    """The registered template's prompt with its prefix token ids spelled as text."""
    prompt = render_prompt(get_template(name), messages, add_generation_prompt)
    token_text = prefix_token_text(name)
    return "".join(token_text[i] for i in prompt.prefix_token_ids) + prompt.text


def with_default_system(template: ConvTemplate, messages: list[dict[str, Any]]
                        ) -> list[dict[str, Any]]:
    """`messages` with the template's default system message written out, if it has one."""
    if (template.supports_system_message and template.system_message
            and not (messages and messages[0]["role"] == "system")):
        return [{"role": "system", "content": template.system_message}, *messages]
    return messages


def match_chat_template(jinja_source: str, special_tokens: dict[str, str]) -> str | None:
    """Name of the registered template that renders like `jinja_source`, or None."""
    exact = [name for name in template_names()
             if _matches(name, jinja_source, special_tokens, explicit_default=False)]
    if exact:
        return exact[0]
    with_default = [name for name in template_names()
                    if _matches(name, jinja_source, special_tokens, explicit_default=True)]
    return with_default[0] if with_default else None


def _matches(name: str, jinja_source: str, special_tokens: dict[str, str],
             explicit_default: bool) -> bool:
    template = get_template(name)
    for messages in PROBES:
        jinja_messages = with_default_system(template, messages) if explicit_default else messages
        try:
            expected = render_jinja_chat(jinja_source, jinja_messages, special_tokens)
        except JinjaRejected:
            expected = None
        try:
            actual = registered_rendering(name, messages)
        except ConversationError:
            actual = None
        if actual != expected:
            return False
    return True
