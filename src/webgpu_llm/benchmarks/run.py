"""`webgpu-llm bench`: one model (real, or random weights of a named shape) on one adapter."""

from __future__ import annotations

import sys

from ..engine.batching import BatchScheduler
from ..engine.runner import ModelRunner
from ..gpu.native import NativeDevice
from ..model import llama
from .concurrency import concurrent_decode
from .measure import BenchResult, copy_bandwidth, decode_speed
from .profile import profile_batched_step, profile_decode_step
from .random_weights import bytes_read_per_token, random_weights
from .shapes import SHAPES


def bench(model: str | None, shape: str | None, quantization: str, prompt_tokens: int | list[int],
          decode_tokens: int, adapter: str | None = None, context: int | None = None, json_schema: str | None = None,
          tokenizer_file: str | None = None, depth: int = 0, profile: bool = False,
          concurrency: int = 1) -> BenchResult:
    """`prompt_tokens`: one prefill length, or several (the first is the main result, the others
    `prefill_sweep`); `depth` > 0 also times decode after that many tokens of context; `profile`
    times each dispatch of a decode step at position `depth` (or the main prompt length);
    `concurrency` > 1 also runs that many streams at once through the batch scheduler (with
    `profile`, and times each dispatch of its batched step at 1 and `concurrency` rows)."""
    lengths = [prompt_tokens] if isinstance(prompt_tokens, int) else list(prompt_tokens)
    if not lengths or min(lengths) < 1 or depth < 0 or decode_tokens < 2 or concurrency < 1:
        raise ValueError(f"bench needs prompt lengths >= 1, depth >= 0, decode tokens >= 2 and concurrency "
                         f">= 1; got {lengths}, {depth}, {decode_tokens}, {concurrency}")
    prompt_tokens, chunk = lengths[0], max(lengths)
    device = NativeDevice(adapter)
    context = context or max(chunk, depth) + decode_tokens
    if concurrency > 1:  # every stream's pages at once, and a chunk of activations holds its rows
        context, chunk = max(context, concurrency * (prompt_tokens + decode_tokens)), max(chunk, concurrency)
    if shape is not None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r}; known: {sorted(SHAPES)}")
        config, name = SHAPES[shape], f"{shape} (random weights)"
        weights = random_weights(device, config, quantization)
        runner = ModelRunner(device, config, llama.FAMILY.architecture(config), weights, quantization, context,
                             chunk, sequences=concurrency)
        tokenizer, scheduler = None, None
    else:
        from ..engine.engine import resolve_model_folder
        from ..engine.loader import load_model

        loaded = load_model(resolve_model_folder(model), device,
                            context_window_size=context, prefill_chunk_size=chunk, max_batch=concurrency)
        runner, config, name, tokenizer = loaded.runner, loaded.config, loaded.model_id, loaded.tokenizer
        scheduler = loaded.scheduler
        quantization = loaded.chat_config["quantization"]
        weights = runner.graph.weights
    prefill, decode = decode_speed(runner, prompt_tokens, decode_tokens, config.vocab_size)
    sweep = {n: decode_speed(runner, n, 2, config.vocab_size)[0] for n in lengths[1:]}
    at_depth = decode_speed(runner, depth, decode_tokens, config.vocab_size)[1] if depth else 0.0
    schema = None
    if json_schema is not None:
        schema = _schema_decode(runner, config.vocab_size, tokenizer, tokenizer_file, json_schema,
                                prompt_tokens, decode_tokens)
    bandwidth = copy_bandwidth(device)
    per_token = bytes_read_per_token(weights, config)
    step = profile_decode_step(runner, depth or prompt_tokens, bandwidth) if profile else None
    batched, batch_steps = None, []
    if concurrency > 1:
        scheduler = scheduler or BatchScheduler(runner, concurrency)
        batched = concurrent_decode(scheduler, concurrency, prompt_tokens, decode_tokens, config.vocab_size)
        if profile:  # the batched step alone and full, at the same position as the decode step's
            batch_steps = [profile_batched_step(scheduler, rows, depth or prompt_tokens, bandwidth)
                           for rows in (1, concurrency)]
    return BenchResult(name, quantization, device.info.name, prompt_tokens, decode_tokens, prefill, decode,
                       runner.dispatches_per_decode_step, per_token, bandwidth / 1e9,
                       per_token * decode / bandwidth, schema, sweep, depth, at_depth, step, batched, batch_steps)


def _schema_decode(runner, vocab: int, tokenizer, tokenizer_file: str | None, schema_file: str,
                   prompt_tokens: int, decode_tokens: int):
    """Decode under the schema in `schema_file`, with the model's tokenizer (or `tokenizer_file`
    for random weights: its ids beyond the tokenizer are never allowed, as padding rows)."""
    from ..grammar.native import LlguidanceBackend
    from ..tokenizer import Tokenizer
    from .structured import load_schema_grammar, schema_decode_speed

    if tokenizer is None:
        if tokenizer_file is None:
            raise ValueError("--json-schema with --shape needs --tokenizer FILE (a tokenizer.json)")
        tokenizer = Tokenizer.from_file(tokenizer_file)
    if tokenizer.vocab_size > vocab:
        raise ValueError(f"the tokenizer has {tokenizer.vocab_size} tokens; the model only {vocab}")
    backend = LlguidanceBackend(tokenizer, vocab, sorted(tokenizer.special_token_ids))
    return schema_decode_speed(runner, backend, load_schema_grammar(schema_file), prompt_tokens, decode_tokens,
                               vocab)


def main(args) -> int:
    result = bench(args.model, args.shape, args.quantization, args.prompt_tokens, args.decode_tokens,
                   args.adapter, json_schema=args.json_schema, tokenizer_file=args.tokenizer, depth=args.depth,
                   profile=args.profile, concurrency=args.concurrency)
    if args.json:
        import json

        json.dump(result.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(result.format())
    return 0
