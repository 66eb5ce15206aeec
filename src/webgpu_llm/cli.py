"""`webgpu-llm`: convert, models, chat, serve, bench, demo.

The CLI only parses arguments and prints; the work lives in the packages.
Typed errors (bad input) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .server.settings import API_KEY_ENV, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONCURRENCY, DEFAULT_PORT
from .weights.cache import format_size, list_cached_models, models_dir

DEMO_PROMPT = "What is the capital of France?"


def cmd_convert(args: argparse.Namespace) -> int:
    from .convert.pipeline import convert

    report = convert(Path(args.source), args.quantization, Path(args.output),
                     conv_template=args.conv_template, overwrite=args.overwrite)
    print(report.format())
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from .convert.default_model import EMBEDDED_MODELS, prepare_embedded_model

    for model_id in args.prepare or []:
        print(f"prepared {prepare_embedded_model(model_id)}")
    cached = list_cached_models()
    print(f"cache: {models_dir()}")
    for model in cached:
        print(f"  {model.model_id:<44} {format_size(model.size_bytes):>10}")
    if not cached:
        print("  (empty)")
    missing = sorted(set(EMBEDDED_MODELS) - {m.model_id for m in cached})
    if missing:
        print("embedded, converted on first use (webgpu-llm models --prepare ID):")
        for model_id in missing:
            print(f"  {model_id}")
    return 0


def _lengths(text: str) -> list[int]:
    """--prompt-tokens: "64" or "64,512,2048"."""
    try:
        lengths = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected token counts such as 64 or 64,512,2048, got {text!r}") from None
    if min(lengths) < 1:
        raise argparse.ArgumentTypeError(f"token counts must be >= 1, got {text!r}")
    return lengths


def cmd_bench(args: argparse.Namespace) -> int:
    from .benchmarks.run import main as bench_main

    return bench_main(args)


def _stream_answer(engine, messages: list[dict], **sampling) -> tuple[str, dict]:
    """Print one streamed reply; returns its text and usage."""
    text, usage = [], {}
    for chunk in engine.chat.completions.create(messages=messages, stream=True,
                                                 stream_options={"include_usage": True}, **sampling):
        data = chunk.to_dict()
        for choice in data["choices"]:
            piece = choice["delta"].get("content") or ""
            print(piece, end="", flush=True)
            text.append(piece)
        usage = data.get("usage") or usage
    print()
    return "".join(text), usage


def _speed_line(usage: dict) -> str:
    extra = usage.get("extra", {})
    return (f"[{usage.get('prompt_tokens')} prompt tokens, {usage.get('completion_tokens')} generated; "
            f"prefill {extra.get('prefill_tokens_per_s', 0):.1f} tok/s, "
            f"decode {extra.get('decode_tokens_per_s', 0):.1f} tok/s]")


def cmd_chat(args: argparse.Namespace) -> int:
    """One streamed answer with --prompt; otherwise a multi-turn chat on stdin."""
    from .engine import Engine

    engine = Engine(args.model, adapter=args.adapter)
    if args.prompt is not None:
        _, usage = _stream_answer(engine, [{"role": "user", "content": args.prompt}])
        print(_speed_line(usage), file=sys.stderr)
        return 0
    messages: list[dict] = []
    print("webgpu-llm chat: empty line or Ctrl-D quits, /reset starts over", file=sys.stderr)
    while True:
        try:
            line = input("> ").strip()
        except EOFError:
            return 0
        if not line:
            return 0
        if line == "/reset":
            messages = []
            continue
        messages.append({"role": "user", "content": line})
        answer, usage = _stream_answer(engine, messages)
        messages.append({"role": "assistant", "content": answer})
        print(_speed_line(usage), file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    """The OpenAI API, the chat app and the browser engine's files over HTTP."""
    from .server.app import base_url, build_app, run
    from .server.pyodide_dir import MISSING_HINT, find_pyodide_dir
    from .server.settings import ServerSettings
    from .server.xgrammar_dir import MISSING_HINT as XGRAMMAR_MISSING_HINT, find_xgrammar_dir

    pyodide = find_pyodide_dir(Path(args.pyodide) if args.pyodide else None)
    if pyodide is None:
        print(f"webgpu-llm serve: warning: {MISSING_HINT}", file=sys.stderr)
    xgrammar = find_xgrammar_dir()
    if xgrammar is None:
        print(f"webgpu-llm serve: warning: {XGRAMMAR_MISSING_HINT}", file=sys.stderr)
    examples = Path(args.examples).expanduser().resolve() if args.examples else None
    if examples is not None and not examples.is_dir():
        raise FileNotFoundError(f"--examples {args.examples} is not a folder")
    settings = ServerSettings(host=args.host, port=args.port, model=args.model, adapter=args.adapter,
                              cache_root=Path(args.models).expanduser() if args.models else None,
                              pyodide_dir=pyodide, xgrammar_dir=xgrammar, examples_dir=examples,
                              max_body_bytes=args.max_body_bytes,
                              api_key=args.api_key or os.environ.get(API_KEY_ENV) or None,
                              cors_origins=tuple(args.cors_origin or ()), max_concurrency=args.max_concurrency,
                              prefill_chunk_size=args.prefill_chunk_size, max_batch=args.max_batch)
    app = build_app(settings)
    url = base_url(settings.host, settings.port)
    print(f"chat app: {url}/   OpenAI API: {url}/v1   default model: {app.state.models.default_id}")
    print(f"models from {settings.models_folder}; Pyodide from {pyodide or '(none)'}", flush=True)
    run(app, settings)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on the embedded default model: answer a fixed question."""
    from .engine import Engine

    engine = Engine(args.model, adapter=args.adapter)
    print(f"model: {engine.model_id} on {engine.adapter_name}")
    print(f"user: {DEMO_PROMPT}\nassistant: ", end="")
    _, usage = _stream_answer(engine, [{"role": "user", "content": DEMO_PROMPT}], temperature=0)  # greedy
    print(_speed_line(usage))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webgpu-llm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="GGUF file or HF folder -> MLC model folder")
    p.add_argument("source", help="a .gguf file or a Hugging Face model folder")
    p.add_argument("--quantization", required=True, help="q4f16_1, q4f32_1, q0f16 or q0f32")
    p.add_argument("--output", required=True, help="the MLC folder to create")
    p.add_argument("--conv-template", help="conversation template name (default: matched from the source)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(run=cmd_convert)

    p = sub.add_parser("models", help="list cached models (and prepare embedded ones)")
    p.add_argument("--prepare", action="append", metavar="MODEL_ID", help="convert an embedded model into the cache")
    p.set_defaults(run=cmd_models)

    p = sub.add_parser("bench", help="prefill/decode speed and memory-bandwidth roofline")
    p.add_argument("--model", help="model id or folder (default: the embedded SmolLM2 q4f16_1)")
    p.add_argument("--shape", help="random weights of a named shape instead: smollm2-135m, llama-3.2-1b, llama-3.1-8b")
    p.add_argument("--quantization", default="q4f16_1", help="scheme for --shape (default q4f16_1)")
    p.add_argument("--prompt-tokens", type=_lengths, default=[64], metavar="N[,N...]",
                   help="prefill length (default 64, as WebLLM reports); several, comma-separated, sweep prefill")
    p.add_argument("--depth", type=int, default=0, metavar="N",
                   help="also time decode after N tokens of context (default 0: not)")
    p.add_argument("--profile", action="store_true",
                   help="GPU time, bytes and GB/s per dispatch kind of one decode step (timestamp queries); "
                        "with --concurrency N also of the batched step at 1 and N rows")
    p.add_argument("--decode-tokens", type=int, default=128, help="decoded tokens (default 128)")
    p.add_argument("--concurrency", type=int, default=1, metavar="N",
                   help="also decode N streams at once (continuous batching) against one stream alone")
    p.add_argument("--adapter", help="substring of the adapter name to use (default: a real GPU if any)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--json-schema", metavar="FILE", help="also decode under this JSON Schema (same run)")
    p.add_argument("--tokenizer", metavar="FILE", help="tokenizer.json for --json-schema with --shape")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("chat", help="chat with a model: one answer with --prompt, else interactive")
    p.add_argument("--model", help="model id or folder (default: the embedded SmolLM2 q4f16_1)")
    p.add_argument("--prompt", help="answer this one prompt and exit")
    p.add_argument("--adapter", help="substring of the adapter name to use")
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("serve", help="OpenAI-compatible HTTP API plus the browser chat app")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only; "
                                                       "any other address needs --api-key)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--model", help="default model id or folder (default: the embedded SmolLM2 q4f16_1)")
    p.add_argument("--models", metavar="DIR", help="cache root: serve the models in DIR/models/<id> "
                                                   "(default: $WEBGPU_LLM_CACHE or ~/.cache/webgpu-llm)")
    p.add_argument("--pyodide", metavar="DIR", help="Pyodide's npm package folder (default: $WEBGPU_LLM_PYODIDE, "
                                                    "./node_modules/pyodide, or next to the source checkout)")
    p.add_argument("--adapter", help="substring of the adapter name for the native engines")
    p.add_argument("--examples", metavar="DIR", help="also serve DIR at /examples/ (the checkout's examples/: "
                                                     "pages that import the client from /lib/)")
    p.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES,
                   help=f"largest request body in bytes (default {DEFAULT_MAX_BODY_BYTES})")
    p.add_argument("--api-key", metavar="KEY", help=f"require `Authorization: Bearer KEY` on /v1/ and /metrics "
                                                     f"(default: ${API_KEY_ENV}; none on a loopback host)")
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                   help="let pages from ORIGIN (e.g. https://app.example.com, or *) call the API; repeatable")
    p.add_argument("--max-concurrency", type=int, default=DEFAULT_MAX_CONCURRENCY, metavar="N",
                   help=f"generation requests running or waiting, at most; more get a 429 (default "
                        f"{DEFAULT_MAX_CONCURRENCY})")
    p.add_argument("--prefill-chunk-size", type=int, metavar="N",
                   help="prompt tokens per prefill submission (default: each model's own); on a CPU adapter "
                        "a smaller chunk lets a stop or a shutdown in sooner")
    p.add_argument("--max-batch", type=int, default=1, metavar="N",
                   help="requests of one model that decode together, one step for all (continuous batching; "
                        "default 1: one at a time, the others wait)")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("demo", help="answer a fixed question with the embedded default model")
    p.add_argument("--model", help="model id or folder")
    p.add_argument("--adapter", help="substring of the adapter name to use")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .protocol.errors import WebGPULLMError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (WebGPULLMError, ValueError, LookupError, OSError) as e:
        # Our typed errors derive from ValueError/LookupError; say what was wrong.
        print(f"webgpu-llm {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
