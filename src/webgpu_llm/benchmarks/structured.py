"""`bench --json-schema FILE`: decode under a JSON Schema against the same run without one.

The constrained rounds decode from the same kind of random prompt as the
free rounds, one step behind (engine/runner.py), with a fresh matcher of
the compiled schema each round. A schema that the model can finish early
(a short object) ends a round early: give one that keeps it writing (e.g. a
long `minLength` string) to measure steady-state decode.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path

from ..engine.runner import Constraint, ModelRunner, SamplingSetup
from ..grammar.matcher import GrammarBackend
from ..grammar.schema import prepare_schema
from ..grammar.spec import JsonSchemaGrammar, canonical_json


@dataclass
class SchemaDecode:
    grammar_init_s: float
    decode_tokens_per_s: float
    decoded_tokens: int  # in the best round (fewer than asked when the schema completed)
    mask_ms_per_token: float  # CPU time per token: advancing the matcher and writing the mask


def load_schema_grammar(path: str | Path) -> JsonSchemaGrammar:
    import json

    schema = json.loads(Path(path).read_text())
    return JsonSchemaGrammar(canonical_json(prepare_schema(schema, "--json-schema")))


async def _timed_round(runner: ModelRunner, backend: GrammarBackend, compiled, prompt: list[int],
                       decode_tokens: int) -> tuple[int, float, Constraint]:
    constraint = Constraint(await backend.matcher(compiled), frozenset(backend.stop_token_ids))
    count, first = 0, 0.0
    async for _ in runner.generate(prompt, SamplingSetup(grammar=True), decode_tokens, constraint):
        count += 1
        if count == 1:
            first = time.perf_counter()
    return count, time.perf_counter() - first, constraint


def schema_decode_speed(runner: ModelRunner, backend: GrammarBackend, grammar: JsonSchemaGrammar,
                        prompt_tokens: int, decode_tokens: int, vocab: int, rounds: int = 3) -> SchemaDecode:
    started = time.perf_counter()
    compiled = asyncio.run(backend.compile(grammar))
    init_s = time.perf_counter() - started
    rng = random.Random(0)
    best = SchemaDecode(init_s, 0.0, 0, 0.0)
    for round_index in range(rounds + 1):
        runner.reset()
        prompt = [rng.randrange(vocab) for _ in range(prompt_tokens)]
        count, decode_s, constraint = asyncio.run(_timed_round(runner, backend, compiled, prompt, decode_tokens))
        if round_index == 0 or count < 2:
            continue  # warm-up round
        speed = (count - 1) / decode_s
        if speed > best.decode_tokens_per_s:
            best = SchemaDecode(init_s, speed, count, 1000 * constraint.mask_seconds / max(constraint.masks, 1))
    return best
