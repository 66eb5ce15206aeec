"""grammar/browser.py and web/grammar.js with the real SmolLM2 tokenizer, in the real web-xgrammar (node).

XGrammarBackend / XGrammarMatcher run as the browser runs them, only over a
node process instead of Pyodide (xgrammar_node.NodeGrammarBridge). Random
walks pick random allowed tokens until only a stop token is left; their
text must parse and validate with `jsonschema`.
"""

import asyncio
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ebnf_schema_cases import CASES
from json_checks import schema_accepts
from xgrammar_node import GRAMMAR_JS, XGrammarNode, allowed_ids
from webgpu_llm.gpu.device import Buffer, BufferUsage
from webgpu_llm.grammar.browser import XGrammarBackend, grammar_ebnf, xgrammar_vocabulary
from webgpu_llm.grammar.json_ebnf import json_schema_ebnf
from webgpu_llm.grammar.matcher import mask_words
from webgpu_llm.grammar.spec import EbnfGrammar, GrammarError, JsonSchemaGrammar
from webgpu_llm.tokenizer import Tokenizer

PADDING_ROWS = 40  # model rows past the tokenizer's ids: never allowed
WALK_SEEDS = (1, 2, 3)
MAX_WALK_TOKENS = 400
CLOSERS = tuple(bytes([c]) for c in b"\"]},@.:")  # ends of strings, containers, values, format parts


@pytest.fixture(scope="module")
def model(smollm2_folder):
    folder = Path(smollm2_folder("q4f16_1"))
    chat = json.loads((folder / "mlc-chat-config.json").read_text())
    stop = sorted(set(chat["conv_template"].get("stop_token_ids") or []) | {chat["eos_token_id"]})
    return Tokenizer.from_file(folder / "tokenizer.json"), chat["vocab_size"], stop


@pytest.fixture(scope="module")
def xg():
    node = XGrammarNode()
    yield node
    node.close()


@pytest.fixture(scope="module")
def backend(xg, model):
    tokenizer, vocab_size, stop = model
    return asyncio.run(XGrammarBackend.create(xg.bridge(), tokenizer, vocab_size + PADDING_ROWS, stop))


def start(backend, grammar):
    return asyncio.run(backend.matcher(asyncio.run(backend.compile(grammar))))


@pytest.fixture(scope="module")
def vocab_flags(model):
    """Per id: a special token (not a stop), a token holding a closing character."""
    tokenizer, _, stop = model
    special = np.zeros(tokenizer.vocab_size + PADDING_ROWS, bool)
    special[[i for i in tokenizer.special_token_ids if i not in stop]] = True
    closing = np.zeros_like(special)
    closing[[i for i in range(tokenizer.vocab_size) if i not in tokenizer.special_token_ids
             and any(c in tokenizer.token_bytes(i) for c in CLOSERS)]] = True
    return special, closing


def mask_ids(mask: bytes) -> np.ndarray:
    return np.flatnonzero(np.unpackbits(np.frombuffer(mask, np.uint8), bitorder="little"))


def walk(xg, backend, tokenizer, flags, matcher, rng, ebnf=None):
    """Random allowed tokens (closing ones often) until only a stop token may follow; the text."""
    stop = set(backend.stop_token_ids)
    special, closing = flags
    tokens = []
    for _ in range(MAX_WALK_TOKENS):
        mask = xg.mask(matcher.id)
        assert len(mask) == mask_words(backend.vocab_size) * 4
        allowed = mask_ids(mask)
        assert len(allowed), "a matcher must always allow some token"
        assert allowed.max() < tokenizer.vocab_size, "padding rows allowed"
        assert not special[allowed].any(), "a special token allowed as text"
        text = tokenizer.decode(tokens)
        stops = stop & set(allowed.tolist())
        if ebnf is not None:  # stop tokens exactly when the text so far is a whole value of the grammar
            assert bool(stops) == xg.accepts(ebnf, [text])[0], text
        if matcher.is_terminated():
            assert stops and len(stops) == len(allowed)
            return text
        texts = allowed[~np.isin(allowed, list(stop))]
        closers = texts[closing[texts]]
        if stops and (not len(texts) or rng.random() < 0.3):
            choice = min(stops)
        else:
            choice = int(rng.choice(closers if len(closers) and rng.random() < 0.6 else texts))
        assert matcher.accept_token(choice)
        if choice in stop:
            assert matcher.is_terminated()
            return text
        tokens.append(choice)
    raise AssertionError(f"no end after {MAX_WALK_TOKENS} tokens: {tokenizer.decode(tokens)!r}")


# Random text almost never holds a given word: a walk through an unanchored pattern would not end.
WALKED = [c for c in CASES if c.name != "pattern_unanchored"]


@pytest.mark.parametrize("case", WALKED, ids=[c.name for c in WALKED])
def test_random_walks_give_valid_json(xg, backend, model, vocab_flags, case):
    tokenizer = model[0]
    ebnf = json_schema_ebnf(case.schema)
    for seed in WALK_SEEDS:
        matcher = start(backend, EbnfGrammar(ebnf))
        text = walk(xg, backend, tokenizer, vocab_flags, matcher, random.Random(seed),
                    ebnf if seed == WALK_SEEDS[0] else None)
        matcher.close()
        assert schema_accepts(case.schema, text), (case.name, seed, text)


def test_compiled_grammars_are_cached_by_key(backend):
    grammar = EbnfGrammar('root ::= "yes" | "no"\n')
    before = backend.compiled_count
    first = asyncio.run(backend.compile(grammar))
    assert asyncio.run(backend.compile(EbnfGrammar('root ::= "yes" | "no"\n'))) == first
    assert backend.compiled_count == before + 1


def test_refused_token_spends_the_matcher_until_rolled_back(xg, backend, model):
    tokenizer = model[0]
    matcher = start(backend, EbnfGrammar(json_schema_ebnf({"enum": ["yes", "no"]})))
    first_mask = xg.mask(matcher.id)
    quote = tokenizer.encode('"', add_special_tokens=False)
    assert len(quote) == 1 and matcher.accept_token(quote[0])
    after_quote = xg.mask(matcher.id)
    assert not matcher.accept_token(tokenizer.encode("maybe", add_special_tokens=False)[0])
    assert allowed_ids(xg.mask(matcher.id)) == backend.stop_token_ids  # spent: only a stop may follow
    assert not matcher.accept_token(tokenizer.vocab_size + 1)  # a padding row is refused too
    matcher.rollback(0)  # forgets the refused offer
    assert xg.mask(matcher.id) == after_quote
    matcher.rollback(1)
    assert xg.mask(matcher.id) == first_mask
    with pytest.raises(ValueError, match="cannot roll back 1"):
        matcher.rollback(1)


def test_stop_token_only_when_complete_and_rollback_past_it(xg, backend, model):
    tokenizer = model[0]
    stop = backend.stop_token_ids[0]
    matcher = start(backend, EbnfGrammar('root ::= "yes"\n'))
    assert not matcher.is_terminated()
    yes = tokenizer.encode("yes", add_special_tokens=False)
    assert len(yes) == 1 and stop not in allowed_ids(xg.mask(matcher.id))
    assert matcher.accept_token(yes[0])
    assert matcher.is_terminated() and allowed_ids(xg.mask(matcher.id)) == backend.stop_token_ids
    assert matcher.accept_token(stop) and matcher.is_terminated()
    assert not matcher.accept_token(yes[0])  # nothing after a stop token
    matcher.rollback(1)  # the stop token
    assert matcher.is_terminated() and matcher.accept_token(stop)
    matcher.rollback(2)
    assert not matcher.is_terminated() and yes[0] in allowed_ids(xg.mask(matcher.id))


def test_stop_token_refused_before_the_end(xg, backend):
    matcher = start(backend, EbnfGrammar('root ::= "yes"\n'))
    assert not matcher.accept_token(backend.stop_token_ids[0])
    assert allowed_ids(xg.mask(matcher.id)) == backend.stop_token_ids and not matcher.is_terminated()


def test_write_next_mask_hands_the_mask_to_the_gpu_bridge(xg, backend):
    matcher = start(backend, EbnfGrammar('root ::= [0-9]+\n'))
    buffer = Buffer(handle=7, size=4096 * 8, usage=BufferUsage.STORAGE, label="mask")
    xg.writes()
    asyncio.run(matcher.write_next_mask(None, buffer, 256))
    assert xg.writes() == [{"id": 7, "offset": 256, "data": xg.mask(matcher.id)}]


def test_vocabulary_is_each_ids_bytes(xg, backend, model):
    """xgrammar reads the byte-level vocabulary back as the tokenizer's own bytes."""
    tokenizer = model[0]
    vocabulary = xgrammar_vocabulary(tokenizer)
    assert len(vocabulary) == tokenizer.vocab_size
    assert all(vocabulary[i] == "" for i in tokenizer.special_token_ids)
    text = " wörld 😀\n\t{}"
    matcher = start(backend, EbnfGrammar(f'root ::= {json.dumps(text)}\n'))
    allowed = set(allowed_ids(xg.mask(matcher.id)))
    starts = {t for t in range(tokenizer.vocab_size) if t not in tokenizer.special_token_ids
              and text.encode().startswith(tokenizer.token_bytes(t))}
    assert allowed == starts


def test_bad_ebnf_is_a_grammar_error_at_its_place(backend):
    with pytest.raises(GrammarError, match="line 2, column 9: rule 'digit' is not defined"):
        asyncio.run(backend.compile(EbnfGrammar("root ::= num\nnum ::= digit+")))
    assert asyncio.run(backend.compile(EbnfGrammar('root ::= "ok"\n'))) >= 1


def test_text_xgrammar_refuses_is_a_grammar_error_and_the_engine_goes_on(xg, backend, monkeypatch):
    """Text xgrammar's own parser refuses aborts its wasm call; the module keeps working."""
    import webgpu_llm.grammar.browser as browser_module

    monkeypatch.setattr(browser_module, "grammar_ebnf", lambda grammar: "root ::= (")
    with pytest.raises(GrammarError, match=r"\(xgrammar\) refused the grammar: Aborted"):
        asyncio.run(backend.compile(EbnfGrammar('root ::= "never compiled"\n')))
    monkeypatch.undo()
    matcher = start(backend, EbnfGrammar('root ::= "fine"\n'))
    assert allowed_ids(xg.mask(matcher.id))


def test_json_schema_grammars_are_prepared_as_natively():
    pytest.importorskip("webgpu_llm.grammar.schema")
    schema = {"type": "object", "properties": {"kind": {"const": "a"}, "n": {"type": ["integer", "null"]}},
              "required": ["kind"]}
    ebnf = grammar_ebnf(JsonSchemaGrammar(json.dumps(schema)))
    assert '"{\\"kind\\": \\"a\\"' in ebnf


def test_missing_bundle_is_a_runtime_load_error():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is missing")
    script = (f"import {{ loadXGrammar }} from {json.dumps(GRAMMAR_JS.as_uri())};\n"
              "try { await loadXGrammar({ xgrammarURL: 'file:///no/such/index.js' }); }\n"
              "catch (e) { console.log(JSON.stringify([e.name, e.message])); }\n")
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    name, message = json.loads(out.stdout)
    assert name == "RuntimeLoadError" and "file:///no/such/index.js" in message and "0.1.27" in message
