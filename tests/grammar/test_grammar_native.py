"""grammar/native.py: llguidance masks on the real SmolLM2 tokenizer (no GPU needed but for one write)."""

import asyncio
import json

import jsonschema
import pytest

from grammar_support import allowed_ids, check_layout, random_walk, validate, walk_text
from schema_cases import SCHEMA_CASES
from webgpu_llm.grammar.matcher import mask_words
from webgpu_llm.grammar.native import LlguidanceBackend
from webgpu_llm.grammar.schema import prepare_schema
from webgpu_llm.grammar.spec import GrammarError, JsonSchemaGrammar, canonical_json

SEEDS = (0, 1)
PADDED_ROWS = 40  # embedding rows past the tokenizer, as padded vocabularies have


@pytest.fixture(scope="module")
def backend(smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    return LlguidanceBackend(tokenizer, vocab_size, stop_ids)


def schema_grammar(schema):
    return JsonSchemaGrammar(canonical_json(prepare_schema(schema)))


def new_matcher(backend, grammar):
    async def make():
        return await backend.matcher(await backend.compile(grammar))
    return asyncio.run(make())


def parses_and_validates(schema, text):
    try:
        validate(schema, json.loads(text))
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


@pytest.mark.parametrize("name,schema", SCHEMA_CASES, ids=[name for name, _ in SCHEMA_CASES])
def test_random_walks_produce_valid_json(backend, smollm2_model, name, schema):
    tokenizer, vocab_size, stop_ids = smollm2_model
    # llguidance's regexes for formats, and for numbers with exclusive bounds (no trailing zeros), are
    # narrower than what jsonschema accepts: there a valid text may still need more before a stop.
    narrower = any(word in json.dumps(schema) for word in ("format", "exclusive"))

    def stop_iff_complete(walk, allowed):
        # stop allowed => the text so far is a finished, valid answer (and the converse, formats aside)
        text = tokenizer.decode(walk.tokens)
        stop_allowed = any(int(t) in stop_ids for t in allowed)
        complete = parses_and_validates(schema, text)
        assert not stop_allowed or complete, f"stop allowed after invalid {text!r}"
        assert narrower or not complete or stop_allowed, f"stop refused after valid {text!r}"

    for seed in SEEDS:
        matcher = new_matcher(backend, schema_grammar(schema))
        walk = random_walk(matcher, tokenizer, stop_ids, vocab_size, seed, on_step=stop_iff_complete)
        assert walk.stopped and matcher.is_terminated()
        text = walk_text(walk, tokenizer, stop_ids)
        validate(schema, json.loads(text))
        check_layout(text)


def test_mask_has_no_ids_past_the_tokenizer(smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    rows = vocab_size + PADDED_ROWS
    padded = LlguidanceBackend(tokenizer, rows, stop_ids)
    matcher = new_matcher(padded, schema_grammar({}))

    def check(walk, allowed):
        assert len(walk.masks[-1]) == mask_words(rows) * 4
        assert allowed.max() < tokenizer.vocab_size

    random_walk(matcher, tokenizer, stop_ids, rows, seed=3, on_step=check)


def test_stop_token_allowed_exactly_when_complete(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    matcher = new_matcher(backend, schema_grammar({"type": "integer", "minimum": 10, "maximum": 99}))
    stop = stop_ids[0]
    assert stop not in allowed_ids(matcher.next_mask(), vocab_size)
    assert matcher.accept_token(tokenizer.token_to_id("1"))
    assert stop not in allowed_ids(matcher.next_mask(), vocab_size) and not matcher.is_terminated()
    assert matcher.accept_token(tokenizer.token_to_id("2"))
    assert list(allowed_ids(matcher.next_mask(), vocab_size)) == [stop]
    assert matcher.is_terminated()
    assert matcher.accept_token(stop)
    assert list(allowed_ids(matcher.next_mask(), vocab_size)) == [stop]


def test_refused_tokens_leave_the_matcher_usable_after_rollback(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    matcher = new_matcher(backend, schema_grammar({"type": "boolean"}))
    start = matcher.next_mask()
    assert not matcher.accept_token(stop_ids[0])  # nothing written yet: a stop is not allowed
    assert not matcher.accept_token(tokenizer.token_to_id("t"))  # spent: refuses everything
    matcher.rollback(0)
    assert not matcher.accept_token(vocab_size + 5)
    matcher.rollback(0)
    assert not matcher.accept_token(tokenizer.token_to_id("x"))
    matcher.rollback(0)
    assert matcher.next_mask() == start
    for piece in ("t", "rue"):
        assert matcher.accept_token(tokenizer.token_to_id(piece))
    assert matcher.is_terminated()


def test_rollback_restores_earlier_masks(backend, smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model
    schema = dict(SCHEMA_CASES)["nested_objects"]
    matcher = new_matcher(backend, schema_grammar(schema))
    walk = random_walk(matcher, tokenizer, stop_ids, vocab_size, seed=5)
    assert walk.stopped and len(walk.tokens) > 8
    for count in (1, 3, len(walk.tokens) - 2):
        matcher.rollback(count)
        position = len(walk.tokens) - count
        assert matcher.next_mask() == walk.masks[position]
        for token in walk.tokens[position:]:
            assert matcher.accept_token(token)
        assert matcher.is_terminated()
    with pytest.raises(ValueError, match="cannot roll back"):
        matcher.rollback(len(walk.tokens) + 1)


def test_same_schema_compiles_once(smollm2_model):
    tokenizer, vocab_size, stop_ids = smollm2_model

    class CountingBackend(LlguidanceBackend):
        compiles = 0

        async def _compile(self, grammar):
            CountingBackend.compiles += 1
            return await super()._compile(grammar)

    counting = CountingBackend(tokenizer, vocab_size, stop_ids)
    first = schema_grammar(dict(SCHEMA_CASES)["flat_object"])
    again = schema_grammar(json.loads(json.dumps(dict(SCHEMA_CASES)["flat_object"])))

    async def compile_all():
        return [await counting.compile(g) for g in (first, again, schema_grammar({"type": "null"}), first)]

    compiled = asyncio.run(compile_all())
    assert CountingBackend.compiles == 2 and counting.compiled_count == 2
    assert compiled[0] is compiled[1] is compiled[3]


def test_a_schema_outside_the_subset_is_refused_at_compile(backend):
    with pytest.raises(GrammarError, match="'not'"):
        asyncio.run(backend.compile(JsonSchemaGrammar('{"not": {"type": "string"}}')))


def test_write_next_mask_lands_in_a_gpu_buffer(backend, smollm2_model, device):
    from webgpu_llm.gpu.device import BufferCopy, BufferUsage

    tokenizer, vocab_size, stop_ids = smollm2_model
    matcher = new_matcher(backend, schema_grammar({"type": "string", "enum": ["yes", "no"]}))
    size = mask_words(vocab_size) * 4
    offset = 256
    target = device.create_buffer(offset + size, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST)
    staging = device.create_buffer(offset + size, BufferUsage.MAP_READ | BufferUsage.COPY_DST)
    try:
        asyncio.run(matcher.write_next_mask(device, target, offset))
        device.submit([], [BufferCopy(target, 0, staging, 0, offset + size)])
        written = asyncio.run(device.read_buffer(staging, offset, size))
    finally:
        device.destroy_buffer(target)
        device.destroy_buffer(staging)
    assert written == matcher.next_mask()
    pieces = {tokenizer.token_bytes(int(t)) for t in allowed_ids(written, vocab_size)}
    assert b'"' in pieces and all(b'"yes"'.startswith(p) or b'"no"'.startswith(p) for p in pieces)
