"""Tools in the prompt, tool calls in the output: the Hermes-style `<tool_call>` format.

The format is NousResearch Hermes 2 Pro's convention in the exact wording and
layout of Qwen2.5's chat template (tests/conversation/fixtures/qwen2.5.jinja),
so a Qwen2.5 conversation renders as its own Jinja renders it, and any other
template (SmolLM2's chatml, llama-3, ...) gets the same text inside its own
turn markers:

- **Tools** go into the system turn, after the system message and a blank line:
      # Tools

      You may call one or more functions to assist with the user query.

      You are provided with function signatures within <tools></tools> XML tags:
      <tools>
      {"type": "function", "function": {"name": ..., "parameters": ...}}
      </tools>

      For each function call, return a json object with function name and arguments
      within <tool_call></tool_call> XML tags:
      <tool_call>
      {"name": <function-name>, "arguments": <args-json-object>}
      </tool_call>
  (one tool per line, as `json.dumps` writes it: the template's `tojson`). With
  no system message and an empty default, the block is the whole system turn;
  a template without a system turn (gemma, mistral) gets it at the start of
  the first user message, followed by a blank line.
- **A call** is written
      <tool_call>
      {"name": "<name>", "arguments": <JSON object>}
      </tool_call>
  An assistant turn with `tool_calls` holds its content (if any), then its
  calls, joined by "\\n"; the arguments are written as `json.dumps` writes the
  object they encode (the template's `arguments | tojson`).
- **Tool results**: consecutive `tool` messages form one user turn of
  "<tool_response>\\n<content>\\n</tool_response>" blocks joined by "\\n".
  (Hermes 2 Pro uses a `tool` role; the user turn is Qwen2.5's choice, and every
  template has a user role.)

The format applies when a request gives tools or its messages hold tool calls;
otherwise messages render as before. `parse_tool_calls` reads calls back out
of generated text; `tool_calls_grammar` gives the grammar that makes a model
write them (grammar/spec.py `ToolCallsGrammar`). Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..grammar.schema import prepare_schema
from ..grammar.spec import ToolCallsGrammar, ToolCallTag, canonical_json
from .template import ConversationError, ConvTemplate

TRIGGER = "<tool_call>"
CALL_END = "}\n</tool_call>"
CALL_CLOSE_TAG = "</tool_call>"
CALL_SEPARATOR = "\n"  # between parallel calls, and after an assistant turn's content
TOOLS_HEADER = ("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
TOOLS_FOOTER = ("\n</tools>\n\nFor each function call, return a json object with function name and "
                "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
                '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')
RESPONSE_BEGIN, RESPONSE_END = "<tool_response>\n", "\n</tool_response>"
CHOICE_MODES = ("none", "auto", "required", "function")


# ---------------------------------------------------------------- writing

def call_begin(name: str) -> str:
    """The text of a call up to its arguments (the grammar's tag begin)."""
    return f'{TRIGGER}\n{{"name": {json.dumps(name, ensure_ascii=False)}, "arguments": '


def write_call(name: str, arguments: str) -> str:
    """One call as the model writes it; `arguments` is JSON object text."""
    return call_begin(name) + arguments + CALL_END


def tools_block(tools: list[dict[str, Any]]) -> str:
    """The tool listing of the system turn (module docstring)."""
    return TOOLS_HEADER + "".join("\n" + json.dumps(tool, ensure_ascii=False) for tool in tools) + TOOLS_FOOTER


def tools_for_prompt(tools: list[dict[str, Any]], tool_choice_mode: str) -> list[dict[str, Any]]:
    """The tools a prompt lists: none for tool_choice "none", so the model is not invited
    to write calls that would come back as text; all of them otherwise."""
    _check_mode(tool_choice_mode)
    return [] if tool_choice_mode == "none" else list(tools)


def uses_tool_format(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> bool:
    return bool(tools) or any(isinstance(m, dict) and m.get("tool_calls") for m in messages)


def apply_tool_format(template: ConvTemplate, messages: list[dict[str, Any]],
                      tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """`messages` with tools, calls and results written into plain {role, content} turns."""
    plain: list[dict[str, Any]] = []
    results_open = False  # the last plain turn is a user turn of tool results
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "tool":
            block = RESPONSE_BEGIN + _text(message.get("content"), index) + RESPONSE_END
            if results_open:
                plain[-1] = {"role": "user", "content": plain[-1]["content"] + "\n" + block}
            else:
                plain.append({"role": "user", "content": block})
            results_open = True
            continue
        results_open = False
        if role == "assistant" and message.get("tool_calls"):
            plain.append({"role": "assistant", "content": _assistant_text(message, index)})
        else:
            plain.append(message)
    return _with_tools_block(template, plain, tools) if tools else plain


def _assistant_text(message: dict[str, Any], index: int) -> str:
    calls = message["tool_calls"]
    if not isinstance(calls, list):
        raise ConversationError(f"messages[{index}].tool_calls must be a list of calls, "
                                f"got {type(calls).__name__}")
    content = message.get("content")
    pieces = [_text(content, index)] if content else []
    pieces += [_written_call(call, f"messages[{index}].tool_calls[{j}]") for j, call in enumerate(calls)]
    return CALL_SEPARATOR.join(pieces)


def _written_call(call: Any, where: str) -> str:
    function = call.get("function") if isinstance(call, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    arguments = function.get("arguments") if isinstance(function, dict) else None
    if not isinstance(name, str) or not isinstance(arguments, str):
        raise ConversationError(f'{where} must be {{"function": {{"name": str, "arguments": str}}}}, '
                                f"got {call!r}")
    try:
        decoded = json.loads(arguments)
    except ValueError:
        raise ConversationError(f"{where}.function.arguments is not JSON: {arguments!r}") from None
    # As the template's `arguments | tojson` writes the decoded object.
    return write_call(name, json.dumps(decoded, ensure_ascii=False))


def _text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    raise ConversationError(f"messages[{index}].content must be a string here, got {type(content).__name__}")


def _with_tools_block(template: ConvTemplate, messages: list[dict[str, Any]],
                      tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise ConversationError('tools must be a list of {"type": "function", "function": {...}} dicts')
    block = tools_block(tools)
    if messages and messages[0].get("role") == "system":
        system = _text(messages[0].get("content"), 0)
        return [{"role": "system", "content": _after(system, block)}, *messages[1:]]
    if template.supports_system_message:
        return [{"role": "system", "content": _after(template.system_message, block)}, *messages]
    # No system turn (gemma, mistral): the block opens the first user message.
    for index, message in enumerate(messages):
        if message.get("role") == "user":
            first = {**message, "content": _after(block, _text(message.get("content"), index))}
            return [*messages[:index], first, *messages[index + 1:]]
    raise ConversationError(f"template {template.name!r} has no system turn and the messages no "
                            "user message, so the tools have no place in the prompt")


def _after(head: str, tail: str) -> str:
    return f"{head}\n\n{tail}" if head else tail


# ---------------------------------------------------------------- grammar

def tool_call_tag(name: str, prepared_schema: dict[str, Any]) -> ToolCallTag:
    return ToolCallTag(begin=call_begin(name), schema_json=canonical_json(prepared_schema), end=CALL_END)


def tool_calls_grammar(tools: list[dict[str, Any]], tool_choice_mode: str, function_name: str | None = None,
                       parallel: bool = True) -> ToolCallsGrammar | None:
    """What the output must be for a tool_choice; None for "none" (free text).

    "auto": any text, and a call once `<tool_call>` is written; "required": one
    call (or, with `parallel`, one or more) and nothing else; "function": one
    call of `function_name`. Each tool's parameters are checked and prepared by
    grammar/schema.py (GrammarError names `tools[i].function.parameters`).
    """
    _check_mode(tool_choice_mode)
    if tool_choice_mode == "none":
        return None
    tags = []
    for index, tool in enumerate(tools):
        function = tool["function"]
        if tool_choice_mode == "function" and function["name"] != function_name:
            continue
        schema = prepare_schema(function.get("parameters", {"type": "object", "properties": {}}),
                                f"tools[{index}].function.parameters")
        tags.append(tool_call_tag(function["name"], schema))
    if not tags:
        raise ConversationError(f"tool_choice names {function_name!r}, which is not one of the tools")
    return ToolCallsGrammar(trigger=TRIGGER, tags=tuple(tags), free_text=tool_choice_mode == "auto",
                            parallel=parallel and tool_choice_mode != "function", separator=CALL_SEPARATOR)


def _check_mode(mode: str) -> None:
    if mode not in CHOICE_MODES:
        raise ConversationError(f"tool_choice mode must be one of {', '.join(CHOICE_MODES)}, got {mode!r}")


# ---------------------------------------------------------------- parsing

@dataclass(frozen=True)
class ParsedToolCall:
    name: str
    arguments: str  # the JSON object text exactly as generated


def parse_tool_calls(text: str) -> tuple[str, list[ParsedToolCall]]:
    """Generated text -> (content, calls).

    A call is `<tool_call>`, a JSON object {"name": <string>, "arguments":
    <object>} (any key order, any whitespace), then `</tool_call>`. Whitespace
    touching a call is dropped; all other text is content, in order. Text from
    a `<tool_call>` that does not form a whole call (cut off at max_tokens, or
    not that JSON) stays in the content as written, so nothing generated is lost
    and no call is returned with arguments that are not a whole JSON object.
    """
    spans: list[tuple[int, int]] = []
    calls: list[ParsedToolCall] = []
    at = text.find(TRIGGER)
    while at >= 0:
        found = _read_call(text, at + len(TRIGGER))
        if found is None:
            at = text.find(TRIGGER, at + 1)
            continue
        call, end = found
        spans.append((at, end))
        calls.append(call)
        at = text.find(TRIGGER, end)
    return _content_around(text, spans), calls


def _content_around(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, start = [], 0
    for index, (begin, end) in enumerate(spans + [(len(text), len(text))]):
        piece = text[start:begin]
        if index < len(spans):
            piece = piece.rstrip()
        if index > 0:
            piece = piece.lstrip()
        pieces.append(piece)
        start = end
    return "".join(pieces)


_DECODER = json.JSONDecoder()


def _read_call(text: str, at: int) -> tuple[ParsedToolCall, int] | None:
    """The call whose JSON starts after `at` (whitespace first), and where it ends."""
    at = _skip_space(text, at)
    if not text.startswith("{", at):
        return None
    members: dict[str, tuple[int, int]] = {}  # key -> span of its value
    at = _skip_space(text, at + 1)
    try:
        while True:
            key, at = _DECODER.raw_decode(text, at)
            at = _skip_space(text, at)
            if not isinstance(key, str) or not text.startswith(":", at) or key in members:
                return None
            start = _skip_space(text, at + 1)
            _, at = _DECODER.raw_decode(text, start)
            members[key] = (start, at)
            at = _skip_space(text, at)
            if text.startswith("}", at):
                break
            if not text.startswith(",", at):
                return None
            at = _skip_space(text, at + 1)
    except ValueError:  # not JSON here, or cut off
        return None
    at = _skip_space(text, at + 1)
    if set(members) != {"name", "arguments"} or not text.startswith(CALL_CLOSE_TAG, at):
        return None
    name = json.loads(text[slice(*members["name"])])
    arguments = text[slice(*members["arguments"])]
    if not isinstance(name, str) or not arguments.startswith("{"):
        return None
    return ParsedToolCall(name, arguments), at + len(CALL_CLOSE_TAG)


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at
