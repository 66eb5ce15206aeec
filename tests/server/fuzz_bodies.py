"""Hypothesis strategies for request bodies of /v1/chat/completions and /v1/completions.

Every field is either a value the server must accept or junk of any JSON type
(lone surrogates, huge and negative integers, NaN, nested values, unknown keys
included), so most bodies are invalid (a fast 4xx) and about one in eight reaches
the model. Valid bodies stay cheap: max_tokens is always sent and at most 2, n at
most 2, texts short; the junk never holds an integer in [0, 200], so junk cannot
turn into a valid, large n or max_tokens.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

MAX_TOKENS = 2
LONE_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
SHORT_TEXT = st.text(st.one_of(st.characters(), LONE_SURROGATES), max_size=12)
SAFE_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
SPECIAL_TEXT = st.sampled_from(["<|im_end|>", "<|im_start|>assistant\n", "<|endoftext|>", "{function_string}"])
JUNK_SCALARS = st.one_of(
    st.none(), st.booleans(), SHORT_TEXT,
    st.integers().filter(lambda i: not 0 <= i <= 200),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**30, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324]),
)
JUNK = st.recursive(JUNK_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(SHORT_TEXT, inner, max_size=3)), max_leaves=6)


def field(valid: st.SearchStrategy, valid_weight: int = 3) -> st.SearchStrategy:
    """A valid value `valid_weight` times as often as junk."""
    return st.one_of(*([valid] * valid_weight), JUNK)


# Never null: null means "no limit", and the model would write until its context is full.
MAX_TOKENS_FIELD = st.one_of(*([st.integers(1, MAX_TOKENS)] * 3), JUNK.filter(lambda value: value is not None))


def message() -> st.SearchStrategy:
    role = field(st.sampled_from(["user", "user", "system", "developer", "assistant"]), 8)
    content = field(st.one_of(SAFE_TEXT, SPECIAL_TEXT,
                              st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": SAFE_TEXT}),
                                       min_size=1, max_size=2)), 8)
    return st.fixed_dictionaries({"role": role, "content": content}, optional={"name": field(SAFE_TEXT, 8)})


def tools() -> st.SearchStrategy:
    function = st.fixed_dictionaries(
        {"name": field(st.sampled_from(["get_weather", "lookup"]))},
        optional={"description": field(SAFE_TEXT),
                  "parameters": field(st.just({"type": "object", "properties": {"city": {"type": "string"}}}))})
    tool = st.fixed_dictionaries({"type": field(st.just("function")), "function": field(function)})
    return field(st.lists(tool, max_size=1))


RESPONSE_FORMATS = st.sampled_from([
    {"type": "text"}, {"type": "json_object"},
    {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object", "properties": {
        "a": {"type": "integer", "minimum": 0, "maximum": 9}}, "required": ["a"]}}},
    {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "string", "maxLength": 2}}},
    {"type": "grammar", "grammar": 'root ::= "yes" | "no"'},
])


def common_fields() -> dict[str, st.SearchStrategy]:
    """Optional fields of both endpoints."""
    return {
        "model": field(st.just("SmolLM2-135M-Instruct-q4f16_1-MLC")),
        "temperature": field(st.floats(0, 2)),
        "top_p": field(st.floats(0.01, 1)),
        "seed": field(st.integers(-(2**63), 2**63 - 1)),
        "n": field(st.integers(1, 2)),
        "stop": field(st.one_of(SAFE_TEXT.filter(bool), st.lists(SAFE_TEXT.filter(bool), max_size=2))),
        "stream": field(st.booleans()),
        "frequency_penalty": field(st.floats(-2, 2)),
        "presence_penalty": field(st.floats(-2, 2)),
        "repetition_penalty": field(st.floats(0.5, 2)),
        "logit_bias": field(st.dictionaries(st.integers(0, 1000).map(str), st.floats(-100, 100), max_size=2)),
        "logprobs": field(st.booleans()),
        "ignore_eos": field(st.booleans()),
        "parse_special_tokens": field(st.booleans()),
        "response_format": field(RESPONSE_FORMATS),
        "user": field(SAFE_TEXT),
    }


def chat_body() -> st.SearchStrategy:
    required = {"messages": field(st.lists(message(), min_size=1, max_size=3), 6),
                "max_tokens": MAX_TOKENS_FIELD}
    optional = {**common_fields(), "tools": tools(), "tool_choice": field(st.sampled_from(["auto", "none"])),
                **_unknown_fields()}
    return _sparse(required, optional)


def completion_body() -> st.SearchStrategy:
    required = {"prompt": field(st.one_of(SAFE_TEXT.filter(bool), SPECIAL_TEXT, st.lists(SAFE_TEXT, min_size=1,
                                                                                         max_size=1))),
                "max_tokens": MAX_TOKENS_FIELD}
    return _sparse(required, {**common_fields(), **_unknown_fields()})


def _unknown_fields() -> dict[str, st.SearchStrategy]:
    # "self" and "fields" once collided with Python parameter names.
    return {name: JUNK for name in ("self", "fields")}


def _sparse(required: dict, optional: dict) -> st.SearchStrategy:
    """The required fields (messages or prompt left out at times; max_tokens never, which bounds
    every generation) and up to four optional ones."""
    present = st.fixed_dictionaries(required)
    one_left_out = present.map(lambda body: {"max_tokens": body["max_tokens"]})
    extra = st.lists(st.sampled_from(sorted(optional)), max_size=4, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: optional[name] for name in names}))
    return st.tuples(st.one_of(*([present] * 9), one_left_out), extra).map(lambda t: {**t[0], **t[1]})


def body_bytes(body: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly the JSON of `body` (lone surrogates as \\u escapes, NaN as written); at times another
    JSON value, a truncated one, or bytes that are not JSON."""
    as_json = body.map(lambda b: json.dumps(b, ensure_ascii=True).encode())
    return st.one_of(*([as_json] * 16), JUNK.map(lambda v: json.dumps(v).encode()),
                     as_json.map(lambda data: data[: len(data) // 2]), st.binary(max_size=40))
