"""`webgpu-llm`: convert, models, demo.

The CLI only parses arguments and prints; the work lives in the packages.
Typed errors (bad input) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def cmd_demo(args: argparse.Namespace) -> int:
    """Prepare the default model and show the prompt the engine will answer."""
    from .conversation import ConvTemplate, render_prompt
    from .convert.default_model import DEFAULT_MODEL_ID, resolve_model
    from .tokenizer import Tokenizer
    from .weights.artifact import open_artifact, verify_shards

    folder = resolve_model(args.model or DEFAULT_MODEL_ID)
    artifact = open_artifact(folder)
    verify_shards(artifact)
    template = ConvTemplate.from_dict(artifact.chat_config["conv_template"])
    prompt = render_prompt(template, [{"role": "user", "content": DEMO_PROMPT}])
    tokenizer = Tokenizer.from_file(folder / "tokenizer.json")
    ids = prompt.prefix_token_ids + tokenizer.encode(prompt.text, add_special_tokens=False)
    print(f"model: {folder} ({format_size(sum(s.nbytes for s in artifact.manifest.shards))} of weights, md5 verified)")
    print(f"prompt ({len(ids)} tokens):\n{tokenizer.decode(ids)}")
    print("answer: generation runs on the GPU engine (issue 3); this build prepares the model and prompt.")
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

    p = sub.add_parser("demo", help="prepare the default model and show its prompt")
    p.add_argument("--model", help="model id or folder")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, LookupError, OSError) as e:
        # Our typed errors derive from ValueError/LookupError; say what was wrong.
        print(f"webgpu-llm {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
