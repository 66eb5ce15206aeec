"""What a request constrains its answer to: response_format and tools -> one grammar.

`output_plan` reads a request's response_format, tools, tool_choice and
parallel_tool_calls and decides, before anything runs:
- the grammar the sampler is held to (grammar/spec.py), if any;
- the tools the prompt shows the model (tool_choice "none" shows none, so the
  model is not tempted to write a call nobody reads);
- how the answer is read back: plain text, or text with tool calls in the
  layout of conversation/tool_format.py.

Policy (OpenAI's meaning of each field):
- response_format text / absent: free text. json_object: any JSON object
  (with WebLLM's `schema`, that schema). json_schema: that schema, always
  strict (the grammar is exact). grammar: WebLLM's GBNF-style EBNF.
- tool_choice "required": one call (one or more with parallel_tool_calls);
  a named function: exactly one call of it; "auto": free text, and a call once
  the model writes the call trigger (then constrained); "none": no call.
- tools with a non-text response_format (and tool_choice other than none) are
  refused: one answer cannot be held to both.
Schemas are checked here (grammar/schema.py), so a bad one is a 400 naming
its field before anything is compiled. Standard library only (decision 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conversation.tool_format import CALL_END, CALL_SEPARATOR, TRIGGER, call_begin, tool_calls_grammar
from ..grammar.schema import prepare_schema
from ..grammar.spec import EbnfGrammar, Grammar, GrammarError, JsonSchemaGrammar, canonical_json
from ..protocol.errors import InvalidRequestError
from ..protocol.structured_requests import ResponseFormat, Tool
from .tool_stream import CallLayout, ToolCallReader

ANY_JSON_OBJECT = {"type": "object"}


@dataclass(frozen=True)
class OutputPlan:
    grammar: Grammar | None = None
    prompt_tools: tuple[Tool, ...] = ()  # rendered into the prompt
    call_layouts: tuple[CallLayout, ...] = ()  # non-empty: the answer may hold tool calls
    call_trigger: str = TRIGGER
    call_separator: str = CALL_SEPARATOR
    grammar_param: str = "response_format"  # the field a grammar error names

    @property
    def reads_tool_calls(self) -> bool:
        return bool(self.call_layouts)

    def tool_call_reader(self) -> ToolCallReader | None:
        return ToolCallReader(self.call_trigger, list(self.call_layouts), self.call_separator) \
            if self.call_layouts else None


def output_plan(request) -> OutputPlan:
    """The plan for a chat or completion request (completions have no tools)."""
    response_format: ResponseFormat | None = request.response_format
    tools: tuple[Tool, ...] = tuple(getattr(request, "tools", ()) or ())
    choice = getattr(request, "tool_choice", None)
    mode = choice.mode if choice is not None else "none"
    if tools and mode != "none":
        if response_format is not None and response_format.kind != "text":
            raise InvalidRequestError(
                f"response_format {response_format.kind!r} cannot be combined with tools unless tool_choice is "
                "\"none\"; drop one of them", param="response_format")
        return _tool_plan(tools, mode, choice.function_name, bool(getattr(request, "parallel_tool_calls", True)))
    return OutputPlan(_format_grammar(response_format), grammar_param=_format_param(response_format))


def _format_param(response_format: ResponseFormat | None) -> str:
    if response_format is None:
        return "response_format"
    if response_format.kind == "grammar":
        return "response_format.grammar"
    return response_format.schema_param


def _format_grammar(response_format: ResponseFormat | None) -> Grammar | None:
    if response_format is None or response_format.kind == "text":
        return None
    if response_format.kind == "grammar":
        return EbnfGrammar(response_format.grammar)
    schema = response_format.schema if response_format.schema is not None else ANY_JSON_OBJECT
    return JsonSchemaGrammar(canonical_json(_prepared(schema, response_format.schema_param)))


def _prepared(schema, param: str) -> dict:
    try:
        return prepare_schema(schema, param)
    except GrammarError as e:
        raise InvalidRequestError(str(e), param=param) from e


def _tool_plan(tools: tuple[Tool, ...], mode: str, name: str | None, parallel: bool) -> OutputPlan:
    try:
        grammar = tool_calls_grammar([tool.to_dict() for tool in tools], mode, name, parallel)
    except GrammarError as e:
        raise InvalidRequestError(str(e), param=e.param or "tools") from e
    called = [t.name for t in tools if mode != "function" or t.name == name]
    layouts = tuple(CallLayout(n, call_begin(n), CALL_END) for n in called)
    return OutputPlan(grammar, tools, layouts, grammar_param="tools")
