"""OpenAI-shaped request dicts -> typed, validated, immutable requests.

Follows OpenAI's chat completions and (legacy) completions request bodies
(https://platform.openai.com/docs/api-reference/chat/create) plus WebLLM's
extensions `repetition_penalty` and `ignore_eos` (web-llm
`src/openai_api_protocols/chat_completion.ts`) and our own `parse_special_tokens`
(special-token strings in messages or the prompt are text unless it is true,
so a user cannot forge a turn by typing `<|im_end|>`). `response_format`, `tools`
and `tool_choice` are parsed in structured_requests.py, messages (tool
calls and results included) in messages.py. Every rejection is an
`InvalidRequestError` whose `param` names the field and whose message says
what is allowed, e.g. "temperature must be a number in [0, 2], got 3".

Sampling fields left out stay None: the engine then uses the model's own
defaults from `mlc-chat-config.json`, as WebLLM does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError
from .messages import ChatMessage, parse_messages
from .structured_requests import (ResponseFormat, Tool, ToolChoice, parse_response_format,
                                  parse_tool_choice, parse_tools)
from .validation import number, optional_bool, optional_int, optional_number, optional_str, show

__all__ = ["ChatMessage", "ChatCompletionRequest", "CompletionRequest"]

MAX_STOP_STRINGS = 4  # OpenAI's limit
MAX_N = 128
MAX_TOP_LOGPROBS = 20  # chat; legacy completions allow 5
MAX_LEGACY_LOGPROBS = 5
SEED_RANGE = (-(2**63), 2**63 - 1)  # OpenAI's seed is an int64
# Any penalty past ~10 already forbids repeats; the bound keeps the value a finite float32 for the sampler.
MAX_REPETITION_PENALTY = 100

# Fields of OpenAI's API we do not implement yet. A value of null, or the
# value that means "feature off", is accepted so that clients sending
# defaults keep working; anything else is refused by name.
_UNSUPPORTED_COMMON: dict[str, Any] = {"suffix": None, "metadata": None, "store": False,
                                       "service_tier": None}
_UNSUPPORTED_CHAT = {**_UNSUPPORTED_COMMON, "functions": None, "function_call": None,
                     "audio": None, "modalities": None,
                     "prediction": None, "reasoning_effort": None, "web_search_options": None}
_UNSUPPORTED_COMPLETION = {**_UNSUPPORTED_COMMON, "best_of": 1, "extra_body": None}
# WebLLM's `extra_body` (chat only) carries values for the chat template; the keys we know.
EXTRA_BODY_KEYS = ("enable_thinking",)
_COMMON_FIELDS = ("model", "stream", "stream_options", "max_tokens", "temperature", "top_p",
                  "stop", "seed", "n", "logit_bias", "frequency_penalty", "presence_penalty",
                  "repetition_penalty", "logprobs", "top_logprobs", "ignore_eos", "user",
                  "response_format", "parse_special_tokens")
_TOOL_FIELDS = ("tools", "tool_choice", "parallel_tool_calls")  # chat only


@dataclass(frozen=True, slots=True, kw_only=True)
class _GenerationRequest:
    """Fields shared by chat and text completions."""

    model: str | None = None
    stream: bool = False
    include_usage: bool = False  # stream_options.include_usage
    max_tokens: int | None = None  # also read from max_completion_tokens
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    n: int = 1
    logit_bias: dict[int, float] | None = None  # token id -> bias; ids < vocab checked by the engine
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    repetition_penalty: float | None = None
    logprobs: bool = False
    top_logprobs: int | None = None  # how many alternatives per token; needs logprobs
    ignore_eos: bool = False
    response_format: ResponseFormat | None = None  # None: free text ({"type": "text"})
    # Our extension: special-token strings (e.g. "<|im_end|>") in messages or the prompt become
    # special tokens only when true; otherwise they are tokenized as the text they spell.
    parse_special_tokens: bool = False

    @property
    def stream_options(self) -> dict[str, bool] | None:
        """OpenAI's form of `include_usage`, for code that reads the wire field."""
        return {"include_usage": True} if self.include_usage else None

    def _common_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _COMMON_FIELDS:
            if name in ("stream_options", "user", "logprobs", "response_format"):
                continue
            value = getattr(self, name)
            if value is not None and not (name in _DEFAULTS and value == _DEFAULTS[name]):
                out[name] = {str(k): v for k, v in value.items()} if name == "logit_bias" else value
        if self.include_usage:
            out["stream_options"] = {"include_usage": True}
        if self.response_format is not None:
            out["response_format"] = self.response_format.to_dict()
        return out


_DEFAULTS = {"stream": False, "n": 1, "ignore_eos": False, "parse_special_tokens": False}


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatCompletionRequest(_GenerationRequest):
    messages: list[ChatMessage]
    tools: tuple[Tool, ...] = ()
    # None is filled in as OpenAI's default: "auto" with tools, "none" without.
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool = True
    # extra_body.enable_thinking (WebLLM; Qwen3's template reads it): None = not given
    enable_thinking: bool | None = None

    def __post_init__(self) -> None:
        if self.tool_choice is None:
            object.__setattr__(self, "tool_choice", ToolChoice("auto" if self.tools else "none"))

    @classmethod
    def from_dict(cls, body: Any) -> ChatCompletionRequest:
        body = _require_object(body)
        _check_field_names(body, {"messages", "max_completion_tokens", "extra_body", *_COMMON_FIELDS,
                                  *_TOOL_FIELDS}, _UNSUPPORTED_CHAT)
        common = _parse_common(body)
        tools = parse_tools(body.get("tools"))
        # Accepted without tools too (it then changes nothing), as vLLM does.
        parallel = optional_bool(body, "parallel_tool_calls")
        return cls(messages=parse_messages(body.get("messages")), tools=tools,
                   tool_choice=parse_tool_choice(body.get("tool_choice"), tools),
                   parallel_tool_calls=True if parallel is None else parallel,
                   enable_thinking=_parse_extra_body(body.get("extra_body")), **common)

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI body that `from_dict` turns back into an equal request."""
        out = {"messages": [m.to_dict() for m in self.messages], **self._common_dict()}
        if self.logprobs:
            out["logprobs"] = True
        if self.tools:
            out["tools"] = [tool.to_dict() for tool in self.tools]
            out["tool_choice"] = self.tool_choice.to_dict()
        if not self.parallel_tool_calls:
            out["parallel_tool_calls"] = False
        if self.enable_thinking is not None:
            out["extra_body"] = {"enable_thinking": self.enable_thinking}
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletionRequest(_GenerationRequest):
    prompt: str
    echo: bool = False  # the prompt text comes back in front of each choice's text

    @classmethod
    def from_dict(cls, body: Any) -> CompletionRequest:
        body = _require_object(body)
        for name in _TOOL_FIELDS:
            if body.get(name) is not None:
                raise InvalidRequestError(f"{name} is only for chat completions (/v1/chat/completions, "
                                          "engine.chat.completions.create); a text completion "
                                          "cannot call tools", param=name, code="unsupported_parameter")
        _check_field_names(body, {"prompt", "echo", *_COMMON_FIELDS, *_TOOL_FIELDS}, _UNSUPPORTED_COMPLETION)
        common = _parse_common(body, legacy_logprobs=True)
        echo = optional_bool(body, "echo") or False
        if echo and common["logprobs"]:
            # OpenAI then also returns the prompt tokens' logprobs, which needs the logits of
            # every prompt position; the runner keeps only the last one.
            raise InvalidRequestError("echo together with logprobs is not supported (the prompt tokens' "
                                      "logprobs are not computed); send echo or logprobs, not both",
                                      param="echo", code="unsupported_parameter")
        return cls(prompt=_parse_prompt(body.get("prompt")), echo=echo, **common)

    def to_dict(self) -> dict[str, Any]:
        out = {"prompt": self.prompt, **self._common_dict()}
        if self.logprobs:
            # WebLLM's form (logprobs true + top_logprobs) rather than the
            # legacy integer, which caps top_logprobs at 5.
            out["logprobs"] = True
        if self.echo:
            out["echo"] = True
        return out


# ---------------------------------------------------------------- fields

def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidRequestError(f"the request body must be a JSON object, got {show(body)}")
    return body


def _check_field_names(body: dict[str, Any], known: set[str], unsupported: dict[str, Any]) -> None:
    for name, value in body.items():
        if name in known:
            continue
        if name in unsupported:
            default = unsupported[name]
            if value is None or (type(value) is type(default) and value == default):
                continue
            raise InvalidRequestError(f"{name} is not supported yet", param=name,
                                      code="unsupported_parameter")
        raise InvalidRequestError(f"unknown field {name!r}; allowed fields: "
                                  f"{', '.join(sorted(known))}", param=name,
                                  code="unknown_parameter")


def _parse_extra_body(extra: Any) -> bool | None:
    """WebLLM's `extra_body` -> enable_thinking (None when not given); unknown keys are refused."""
    if extra is None:
        return None
    if not isinstance(extra, dict):
        raise InvalidRequestError(f"extra_body must be an object, got {show(extra)}", param="extra_body")
    for key in extra:
        if key not in EXTRA_BODY_KEYS:
            raise InvalidRequestError(f"unknown field extra_body.{key}; allowed: {', '.join(EXTRA_BODY_KEYS)}",
                                      param=f"extra_body.{key}", code="unknown_parameter")
    value = extra.get("enable_thinking")
    if value is not None and not isinstance(value, bool):
        raise InvalidRequestError(f"extra_body.enable_thinking must be true or false, got {show(value)}",
                                  param="extra_body.enable_thinking")
    return value


def _parse_common(body: dict[str, Any], legacy_logprobs: bool = False) -> dict[str, Any]:
    optional_str(body, "user")  # an end-user id for abuse tracking: checked, not kept
    stream = optional_bool(body, "stream") or False
    max_tokens = _parse_max_tokens(body)
    logprobs, top_logprobs = _parse_logprobs(body, legacy_logprobs)
    return dict(
        model=optional_str(body, "model"),
        stream=stream,
        include_usage=_parse_stream_options(body.get("stream_options"), stream),
        max_tokens=max_tokens,
        temperature=optional_number(body, "temperature", 0, 2),
        top_p=optional_number(body, "top_p", 0, 1, low_open=True),
        stop=_parse_stop(body.get("stop")),
        seed=optional_int(body, "seed", *SEED_RANGE),
        n=optional_int(body, "n", 1, MAX_N) or 1,
        logit_bias=_parse_logit_bias(body.get("logit_bias")),
        frequency_penalty=optional_number(body, "frequency_penalty", -2, 2),
        presence_penalty=optional_number(body, "presence_penalty", -2, 2),
        repetition_penalty=optional_number(body, "repetition_penalty", 0, MAX_REPETITION_PENALTY,
                                            low_open=True),
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        ignore_eos=optional_bool(body, "ignore_eos") or False,
        parse_special_tokens=optional_bool(body, "parse_special_tokens") or False,
        response_format=parse_response_format(body.get("response_format")),
    )


def _parse_max_tokens(body: dict[str, Any]) -> int | None:
    legacy = optional_int(body, "max_tokens", 1, None)
    current = optional_int(body, "max_completion_tokens", 1, None)
    if legacy is not None and current is not None and legacy != current:
        raise InvalidRequestError("give max_tokens or max_completion_tokens, not both "
                                  f"(got {legacy} and {current})", param="max_completion_tokens")
    return current if current is not None else legacy


def _parse_stream_options(options: Any, stream: bool) -> bool:
    if options is None:
        return False
    if not stream:
        # OpenAI: "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        raise InvalidRequestError("stream_options is only allowed when stream is true",
                                  param="stream_options")
    if not isinstance(options, dict):
        raise InvalidRequestError(f"stream_options must be an object like "
                                  f'{{"include_usage": true}}, got {show(options)}',
                                  param="stream_options")
    for key in options:
        if key != "include_usage":
            raise InvalidRequestError(f"unknown field {key!r} in stream_options; "
                                      "allowed: include_usage", param=f"stream_options.{key}")
    return optional_bool(options, "include_usage", "stream_options.include_usage") or False


def _parse_logprobs(body: dict[str, Any], legacy: bool) -> tuple[bool, int | None]:
    value = body.get("logprobs")
    top = optional_int(body, "top_logprobs", 0, MAX_TOP_LOGPROBS)
    if legacy and type(value) is int:
        # Legacy completions: `logprobs` is the number of alternatives, 0..5.
        count = optional_int(body, "logprobs", 0, MAX_LEGACY_LOGPROBS)
        if top is not None:
            raise InvalidRequestError("give top_logprobs only with logprobs: true, not with "
                                      "an integer logprobs", param="top_logprobs")
        return True, count
    allowed = "a boolean or an integer in [0, 5]" if legacy else "a boolean"
    if value is not None and type(value) is not bool:
        raise InvalidRequestError(f"logprobs must be {allowed}, got {show(value)}",
                                  param="logprobs")
    if top is not None and not value:
        raise InvalidRequestError("top_logprobs requires logprobs to be true", param="top_logprobs")
    return bool(value), top


def _parse_stop(value: Any) -> list[str] | None:
    if value is None:
        return None
    stops = [value] if isinstance(value, str) else value
    allowed = f"a non-empty string or a list of at most {MAX_STOP_STRINGS} non-empty strings"
    if (not isinstance(stops, list) or len(stops) > MAX_STOP_STRINGS
            or not all(isinstance(s, str) and s for s in stops)):
        raise InvalidRequestError(f"stop must be {allowed}, got {show(value)}", param="stop")
    return list(stops) or None


def _parse_logit_bias(value: Any) -> dict[int, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"logit_bias must be an object mapping token ids to numbers "
                                  f"in [-100, 100], got {show(value)}", param="logit_bias")
    bias: dict[int, float] = {}
    for key, amount in value.items():
        token = _token_id(key)
        if token is None:
            raise InvalidRequestError(f"logit_bias keys must be token ids (integers >= 0), "
                                      f"got {show(key)}", param="logit_bias")
        bias[token] = number(amount, "logit_bias", -100, 100, f"logit_bias[{key!r}]")
    return bias


def _token_id(key: Any) -> int | None:
    if type(key) is int:
        return key if key >= 0 else None
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    return None


def _parse_prompt(value: Any) -> str:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    if not isinstance(value, str):
        raise InvalidRequestError(f"prompt must be a string or a list of one string, "
                                  f"got {show(value)}", param="prompt")
    return value
