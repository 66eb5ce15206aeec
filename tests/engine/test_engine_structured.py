"""response_format on the real model: every answer parses and validates with `jsonschema`.

Greedy and three seeds for each schema of ANSWERED_CASES (tests/structured_prompts.py), through the
public Engine API (llguidance natively, the mask applied by the GPU sampler).
"""

import json

import jsonschema
import pytest

from schema_cases import EBNF_CASES, REFUSED_SCHEMAS, SCHEMA_CASES
from structured_prompts import ANSWERED_CASES, JSON_OBJECT_PROMPT, PROMPTS, SEEDS, schema_format
from webgpu_llm.protocol.errors import InvalidRequestError

CASES = [(name, schema) for name, schema in SCHEMA_CASES if name in ANSWERED_CASES]
MAX_TOKENS = 64
# Bounded grammars, for the same reason: an unbounded repetition lets the model loop to max_tokens.
ENGINE_EBNF = ("literal_choice", "repetition_bounds", "rules_and_comments", "escapes", "multiline_alternatives",
               "dashed_rule_names", "unicode_and_hex")
EBNF = [case for case in EBNF_CASES if case[0] in ENGINE_EBNF]
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


def answers(engine, name, schema):
    messages = [{"role": "user", "content": PROMPTS[name]}]
    fmt = schema_format(schema)
    replies = [engine.chat.completions.create(messages=messages, response_format=fmt, temperature=0,
                                              max_tokens=MAX_TOKENS)]
    replies += [engine.chat.completions.create(messages=messages, response_format=fmt, temperature=0.7,
                                               top_p=0.9, seed=seed, max_tokens=MAX_TOKENS) for seed in SEEDS]
    return replies


def test_the_engine_cases_are_schema_cases():
    assert len(CASES) == len(ANSWERED_CASES) >= 30 and len(EBNF) == len(ENGINE_EBNF)


@pytest.mark.parametrize("name, schema", CASES, ids=[name for name, _ in CASES])
def test_every_greedy_and_sampled_answer_validates(engine, name, schema):
    original = json.loads(schema) if isinstance(schema, str) else schema
    for reply in answers(engine, name, schema):
        choice = reply.choices[0]
        text = choice.message.content
        assert choice.finish_reason == "stop", (name, text)
        jsonschema.validate(json.loads(text), original, format_checker=FORMATS)
        extra = reply.usage.extra
        assert extra["grammar_init_s"] >= 0 and extra["grammar_per_token_s"] > 0


def test_json_object_answers_are_json_objects(engine):
    messages = [{"role": "user", "content": JSON_OBJECT_PROMPT}]
    for seed in (None, *SEEDS):
        sampling = {"temperature": 0} if seed is None else {"temperature": 0.7, "top_p": 0.9, "seed": seed}
        reply = engine.chat.completions.create(messages=messages, response_format={"type": "json_object"},
                                               max_tokens=MAX_TOKENS, **sampling)
        assert reply.choices[0].finish_reason == "stop"
        assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_text_format_is_the_unconstrained_answer(engine):
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    free = engine.chat.completions.create(messages=messages, temperature=0, max_tokens=8)
    text = engine.chat.completions.create(messages=messages, temperature=0, max_tokens=8,
                                          response_format={"type": "text"})
    assert text.choices[0].message.content == free.choices[0].message.content


@pytest.mark.parametrize("name, grammar, language", EBNF, ids=[c[0] for c in EBNF])
def test_ebnf_grammar_answers_are_in_the_language(engine, name, grammar, language):
    import re

    messages = [{"role": "user", "content": "Write something short."}]
    reply = engine.chat.completions.create(messages=messages, temperature=0, max_tokens=24,
                                           response_format={"type": "grammar", "grammar": grammar})
    assert reply.choices[0].finish_reason == "stop"
    assert re.fullmatch(language, reply.choices[0].message.content), reply.choices[0].message.content


@pytest.mark.parametrize("schema, keyword", REFUSED_SCHEMAS[:12], ids=[k for _, k in REFUSED_SCHEMAS[:12]])
def test_unsupported_schemas_are_refused_naming_the_keyword(engine, schema, keyword):
    with pytest.raises(InvalidRequestError) as caught:
        engine.chat.completions.create(messages=[{"role": "user", "content": "hi"}], max_tokens=4,
                                       response_format=schema_format(schema))
    assert keyword in str(caught.value)
    assert caught.value.param.startswith("response_format")


@pytest.mark.parametrize("response_format, param", [
    ({"type": "xml"}, "response_format.type"),
    ({"type": "json_schema"}, "response_format.json_schema"),
    ({"type": "json_object", "schema": "{not json"}, "response_format.schema"),
    ({"type": "grammar", "grammar": "root ::= ("}, "response_format.grammar"),
])
def test_bad_response_formats_are_typed_errors_and_the_engine_goes_on(engine, response_format, param):
    with pytest.raises(InvalidRequestError) as caught:
        engine.chat.completions.create(messages=[{"role": "user", "content": "hi"}], max_tokens=4,
                                       response_format=response_format)
    assert caught.value.param == param, caught.value
    reply = engine.chat.completions.create(messages=[{"role": "user", "content": "hi"}], max_tokens=2)
    assert reply.choices[0].message.content


def test_a_repeated_schema_compiles_once(engine):
    import asyncio

    backend = asyncio.run(engine.engine.model.grammar_backend())
    schema = {"type": "object", "properties": {"once": {"type": "boolean"}}, "required": ["once"]}
    for _ in range(2):
        engine.chat.completions.create(messages=[{"role": "user", "content": "ok?"}], max_tokens=8,
                                       response_format=schema_format(schema), temperature=0)
    before = backend.compiled_count
    reply = engine.chat.completions.create(messages=[{"role": "user", "content": "ok?"}], max_tokens=8,
                                           response_format=schema_format(schema), temperature=0)
    assert backend.compiled_count == before
    assert reply.usage.extra["grammar_init_s"] < 0.05  # a cache hit, not a compile


def test_streamed_answer_equals_the_folded_one(engine):
    schema = SCHEMA_CASES[8][1]  # flat_object
    messages = [{"role": "user", "content": PROMPTS["flat_object"]}]
    fmt = schema_format(schema)
    whole = engine.chat.completions.create(messages=messages, response_format=fmt, temperature=0, max_tokens=48)
    chunks = engine.chat.completions.create(messages=messages, response_format=fmt, temperature=0, max_tokens=48,
                                            stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole.choices[0].message.content
