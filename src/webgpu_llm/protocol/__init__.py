"""OpenAI wire types: validated requests, response objects, typed errors.

Browser side: stdlib only (DESIGN.md decision 1).
"""

from .errors import (ContextWindowExceededError, EngineNotLoadedError, InvalidRequestError,
                     UnknownModelError, WebGPULLMError, error_from_dict)
from .fold import ChatFold, CompletionFold, fold_chat_chunks, fold_completion_chunks
from .messages import AssistantToolCall, ChatMessage
from .requests import ChatCompletionRequest, CompletionRequest
from .structured_requests import ResponseFormat, Tool, ToolChoice
from .responses import (ChatCompletion, ChatCompletionChunk, ChatLogprobs, Choice, ChunkChoice,
                        Completion, CompletionChoice, CompletionChunk, CompletionLogprobs, Delta,
                        Message, TokenLogprobEntry, ToolCall, ToolCallDelta, ToolCallFunction,
                        ToolCallFunctionDelta, TopLogprob, Usage, new_tool_call_id)

__all__ = [
    "WebGPULLMError", "InvalidRequestError", "ContextWindowExceededError", "UnknownModelError",
    "EngineNotLoadedError", "error_from_dict",
    "ChatCompletionRequest", "CompletionRequest", "ChatMessage", "AssistantToolCall",
    "ResponseFormat", "Tool", "ToolChoice",
    "ChatCompletionChunk", "ChunkChoice", "Delta", "ChatCompletion", "Choice", "Message",
    "Completion", "CompletionChunk", "CompletionChoice", "Usage",
    "ChatLogprobs", "TokenLogprobEntry", "TopLogprob", "CompletionLogprobs",
    "ToolCall", "ToolCallFunction", "ToolCallDelta", "ToolCallFunctionDelta", "new_tool_call_id",
    "ChatFold", "CompletionFold", "fold_chat_chunks", "fold_completion_chunks",
]
