"""What a request constrains its output to: `response_format`, `tools`, `tool_choice`.

Shapes follow OpenAI's chat completions request
(https://platform.openai.com/docs/api-reference/chat/create) and WebLLM's
forms of the same fields (web-llm `src/openai_api_protocols/chat_completion.ts`,
`ResponseFormat`), which keep working (DESIGN.md, decision 3):

| response_format | parsed |
| --- | --- |
| `{type: "text"}` or absent | None (free text) |
| `{type: "json_object"}` | kind json_object, schema None: any JSON value |
| `{type: "json_object", schema: "<JSON>"}` (WebLLM; a dict works too) | kind json_object with that schema |
| `{type: "json_schema", json_schema: {name, schema, strict?, description?}}` (OpenAI) | kind json_schema |
| `{type: "grammar", grammar: "<EBNF>"}` (WebLLM) | kind grammar |

Only shapes are checked here. What a schema may hold (keywords, `$ref`s) is
grammar/schema.py's check, and an EBNF's syntax the grammar engine's, both
before a stream starts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequestError
from .validation import check_keys, optional_bool, optional_str, require_object, show

__all__ = ["ResponseFormat", "Tool", "ToolChoice", "parse_response_format", "parse_tools",
           "parse_tool_choice", "NAME_PATTERN"]

# OpenAI's rule for json_schema.name and function names.
NAME_PATTERN = re.compile(r"[a-zA-Z0-9_-]{1,64}")
NAME_RULE = "1 to 64 characters from a-z, A-Z, 0-9, '_' and '-'"
RESPONSE_FORMAT_TYPES = ("text", "json_object", "json_schema", "grammar")
TOOL_CHOICE_MODES = ("none", "auto", "required")
FUNCTION_FIELDS = ("name", "description", "parameters", "strict")
JSON_SCHEMA_FIELDS = ("name", "schema", "strict", "description")


def _no_parameters() -> dict[str, Any]:
    # OpenAI: "Omitting parameters defines a function with an empty parameter list."
    return {"type": "object", "properties": {}}


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseFormat:
    kind: str  # "json_object" | "json_schema" | "grammar"
    schema: dict[str, Any] | None = None  # None with json_object: any JSON value
    grammar: str | None = None  # kind "grammar": GBNF-style EBNF, root rule `root`
    name: str | None = None  # json_schema.name
    description: str | None = None  # json_schema.description
    strict: bool | None = None  # json_schema.strict (always enforced: the grammar is exact)

    @property
    def schema_param(self) -> str:
        """The request field that holds `schema`, for errors about what the schema holds."""
        return "response_format.json_schema.schema" if self.kind == "json_schema" else "response_format.schema"

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "grammar":
            return {"type": "grammar", "grammar": self.grammar}
        if self.kind == "json_object":
            out: dict[str, Any] = {"type": "json_object"}
            if self.schema is not None:
                out["schema"] = json.dumps(self.schema)  # WebLLM sends it as a string
            return out
        spec: dict[str, Any] = {"name": self.name, "schema": self.schema}
        if self.strict is not None:
            spec["strict"] = self.strict
        if self.description is not None:
            spec["description"] = self.description
        return {"type": "json_schema", "json_schema": spec}


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """One function the model may call; `parameters` is a JSON Schema of an object."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] = field(default_factory=_no_parameters)
    strict: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """OpenAI's `{"type": "function", "function": {...}}`, also what a chat template's
        `tools` receives."""
        function: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            function["description"] = self.description
        function["parameters"] = self.parameters
        if self.strict is not None:
            function["strict"] = self.strict
        return {"type": "function", "function": function}


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: str  # "none" | "auto" | "required" | "function"
    function_name: str | None = None  # mode "function": the tool that must be called

    def to_dict(self) -> str | dict[str, Any]:
        if self.mode == "function":
            return {"type": "function", "function": {"name": self.function_name}}
        return self.mode


# ------------------------------------------------------- response_format

def parse_response_format(value: Any) -> ResponseFormat | None:
    if value is None:
        return None
    where = "response_format"
    allowed_types = ", ".join(f'"{t}"' for t in RESPONSE_FORMAT_TYPES)
    body = require_object(value, where, f"an object with a type ({allowed_types})")
    kind = body.get("type")
    if kind not in RESPONSE_FORMAT_TYPES:
        raise InvalidRequestError(f"response_format.type must be one of {allowed_types}, got {show(kind)}",
                                  param="response_format.type")
    if kind == "text":
        check_keys(body, ("type",), where)
        return None
    if kind == "json_object":
        check_keys(body, ("type", "schema"), where)
        schema = body.get("schema")
        return ResponseFormat(kind=kind, schema=None if schema is None else _schema(schema, f"{where}.schema"))
    if kind == "grammar":
        check_keys(body, ("type", "grammar"), where)
        grammar = body.get("grammar")
        if not isinstance(grammar, str) or not grammar.strip():
            raise InvalidRequestError(f"{where}.grammar must be a non-empty string of EBNF (GBNF-style, "
                                      f"with a root rule), got {show(grammar)}", param=f"{where}.grammar")
        return ResponseFormat(kind=kind, grammar=grammar)
    return _parse_json_schema_format(body)


def _parse_json_schema_format(body: dict[str, Any]) -> ResponseFormat:
    where = "response_format.json_schema"
    check_keys(body, ("type", "json_schema"), "response_format")
    spec = require_object(body.get("json_schema"), where,
                          'an object {"name": <string>, "schema": <JSON Schema>, "strict"?: <boolean>}')
    check_keys(spec, JSON_SCHEMA_FIELDS, where)
    name = _name(spec.get("name"), f"{where}.name")
    if spec.get("schema") is None:
        raise InvalidRequestError(f"{where}.schema is required: the JSON Schema the answer must follow",
                                  param=f"{where}.schema")
    return ResponseFormat(kind="json_schema", schema=_schema(spec["schema"], f"{where}.schema"), name=name,
                          description=optional_str(spec, "description", f"{where}.description"),
                          strict=optional_bool(spec, "strict", f"{where}.strict"))


def _schema(value: Any, where: str) -> dict[str, Any]:
    """A JSON Schema object, given as an object or as its JSON text (WebLLM's form)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise InvalidRequestError(f"{where} must be a JSON Schema object or its JSON text; "
                                      f"the string is not JSON ({error})", param=where) from None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"{where} must be a JSON Schema object (or its JSON text), "
                                  f"got {show(value)}", param=where)
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or NAME_PATTERN.fullmatch(value) is None:
        raise InvalidRequestError(f"{where} must be {NAME_RULE}, got {show(value)}", param=where)
    return value


# ----------------------------------------------------------------- tools

def parse_tools(value: Any) -> tuple[Tool, ...]:
    """`tools` -> Tool objects; null or [] means no tools."""
    if value is None:
        return ()
    allowed = 'a list of {"type": "function", "function": {"name", "description"?, "parameters"?}}'
    if not isinstance(value, list):
        raise InvalidRequestError(f"tools must be {allowed}, got {show(value)}", param="tools")
    tools = tuple(_parse_tool(item, f"tools[{i}]") for i, item in enumerate(value))
    names = [tool.name for tool in tools]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InvalidRequestError(f"tools[{i}].function.name {name!r} is already the name of "
                                      f"tools[{names.index(name)}]; function names must be unique",
                                      param=f"tools[{i}].function.name")
    return tools


def _parse_tool(value: Any, where: str) -> Tool:
    body = require_object(value, where, 'an object {"type": "function", "function": {...}}')
    check_keys(body, ("type", "function"), where)
    if body.get("type") != "function":
        raise InvalidRequestError(f'{where}.type must be "function" (the only tool type), '
                                  f"got {show(body.get('type'))}", param=f"{where}.type")
    function = require_object(body.get("function"), f"{where}.function",
                              'an object {"name", "description"?, "parameters"?, "strict"?}')
    check_keys(function, FUNCTION_FIELDS, f"{where}.function")
    parameters = function.get("parameters")
    return Tool(name=_name(function.get("name"), f"{where}.function.name"),
                description=optional_str(function, "description", f"{where}.function.description"),
                parameters=_no_parameters() if parameters is None
                else _parameters(parameters, f"{where}.function.parameters"),
                strict=optional_bool(function, "strict", f"{where}.function.strict"))


def _parameters(value: Any, where: str) -> dict[str, Any]:
    # A call is written as {"name": ..., "arguments": <object>} (conversation/tool_format.py),
    # so the arguments' schema must describe an object.
    if not isinstance(value, dict):
        raise InvalidRequestError(f'{where} must be a JSON Schema object like {{"type": "object", '
                                  f'"properties": {{...}}}}, got {show(value)}', param=where)
    if value.get("type") != "object":
        raise InvalidRequestError(f'{where}.type must be "object" (arguments are a JSON object), '
                                  f"got {show(value.get('type'))}", param=f"{where}.type")
    return value


def parse_tool_choice(value: Any, tools: tuple[Tool, ...]) -> ToolChoice:
    """Default: "auto" with tools, "none" without (OpenAI's defaults). "auto" without tools
    (`tools: []`, as clients that always send both do) means "none"."""
    if value is None or (value == "auto" and not tools):
        return ToolChoice("auto" if tools else "none")
    modes = ", ".join(f'"{m}"' for m in TOOL_CHOICE_MODES)
    allowed = f'{modes} or {{"type": "function", "function": {{"name": <a tool\'s name>}}}}'
    if isinstance(value, str):
        if value not in TOOL_CHOICE_MODES:
            raise InvalidRequestError(f"tool_choice must be {allowed}, got {show(value)}", param="tool_choice")
        choice = ToolChoice(value)
    elif isinstance(value, dict):
        choice = _named_choice(value, allowed)
    else:
        raise InvalidRequestError(f"tool_choice must be {allowed}, got {show(value)}", param="tool_choice")
    if choice.mode != "none" and not tools:
        raise InvalidRequestError(f"tool_choice {show(value)} needs tools; give tools or use "
                                  'tool_choice "none"', param="tool_choice")
    names = [tool.name for tool in tools]
    if choice.mode == "function" and choice.function_name not in names:
        raise InvalidRequestError(f"tool_choice.function.name {choice.function_name!r} is not one of "
                                  f"the tools; allowed: {', '.join(names)}", param="tool_choice.function.name")
    return choice


def _named_choice(value: dict[str, Any], allowed: str) -> ToolChoice:
    check_keys(value, ("type", "function"), "tool_choice")
    if value.get("type") != "function":
        raise InvalidRequestError(f'tool_choice.type must be "function", got {show(value.get("type"))}; '
                                  f"tool_choice must be {allowed}", param="tool_choice.type")
    function = require_object(value.get("function"), "tool_choice.function", '{"name": <a tool\'s name>}')
    check_keys(function, ("name",), "tool_choice.function")
    name = function.get("name")
    if not isinstance(name, str):
        raise InvalidRequestError(f"tool_choice.function.name must be a string, got {show(name)}",
                                  param="tool_choice.function.name")
    return ToolChoice("function", name)
