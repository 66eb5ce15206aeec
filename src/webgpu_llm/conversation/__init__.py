"""Conversation templates (MLC-LLM's `conv_template`) and prompt rendering.

Standard library only: runs in Pyodide (DESIGN.md, decision 1).
"""

from .registry import get_template, prefix_token_text, template_names
from .render import Prompt, render_prompt
from .template import ConversationError, ConvTemplate
from .tool_format import ParsedToolCall, parse_tool_calls, tool_calls_grammar, tools_for_prompt

__all__ = ["ConvTemplate", "ConversationError", "Prompt", "get_template",
           "prefix_token_text", "render_prompt", "template_names",
           "ParsedToolCall", "parse_tool_calls", "tool_calls_grammar", "tools_for_prompt"]
