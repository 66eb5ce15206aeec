"""`webgpu-llm convert`: a GGUF file or HF folder -> an MLC model folder.

source -> plan (declarative name map) -> quantize each parameter -> write
shards, tokenizer files and mlc-chat-config.json into a temporary folder
that only becomes the output when everything succeeded.
"""

from __future__ import annotations


import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np

from ..conversation import ConvTemplate, get_template, template_names
from ..weights.quantization import expected_records, get_scheme
from .artifact_writer import ArtifactWriter
from .chat_config import build_chat_config
from .gguf_source import read_gguf
from .hf_source import read_hf_folder
from .parameter_map import plan_parameters
from .progress import ProgressBar
from .quantizers import dequantize, quantization_error, quantize
from .source import ConversionError, ModelSource
from .template_match import match_chat_template


@dataclass
class ConversionReport:
    output: Path
    quantization: str
    conv_template: str
    # tensor kind (name without layer index) -> (max relative error, mean relative error)
    errors: dict[str, tuple[float, float]] = field(default_factory=dict)

    def format(self) -> str:
        lines = [f"quantization error introduced ({self.quantization}), per tensor kind:",
                 f"  {'tensor kind':<48} {'max rel':>10} {'mean rel':>10}"]
        for kind, (worst, mean) in sorted(self.errors.items()):
            lines.append(f"  {kind:<48} {worst:>10.3e} {mean:>10.3e}")
        lines.append(f"wrote {self.output} (conv_template {self.conv_template})")
        return "\n".join(lines)


def open_source(path: Path) -> ModelSource:
    if path.is_file() and path.suffix == ".gguf":
        return read_gguf(path)
    if path.is_dir():
        return read_hf_folder(path)
    raise ConversionError(f"{path}: SOURCE must be a .gguf file or a Hugging Face model folder")


def tensor_kind(name: str) -> str:
    return re.sub(r"\.\d+\.", ".*.", name, count=1)  # the layer index: model.layers.3. / transformer.h.3.


def choose_template(source: ModelSource, name: str | None) -> ConvTemplate:
    if name is None and source.chat_template:
        name = match_chat_template(source.chat_template, source.special_tokens)
    if name is None:
        raise ConversionError(
            "the source's chat template matches no registered conversation template; "
            f"pass --conv-template with one of {template_names()}"
        )
    return get_template(name)


def convert(source_path: Path, quantization: str, output: Path, *, conv_template: str | None = None,
            overwrite: bool = False, progress: TextIO | None = sys.stderr,
            sampling: dict[str, float] | None = None) -> ConversionReport:
    """`sampling` overrides the source's sampling defaults (temperature, top_p, penalties)."""
    scheme = get_scheme(quantization)  # fail on a bad scheme before reading anything
    source = open_source(Path(source_path))
    if sampling:
        source = replace(source, generation={**source.generation, **sampling})
    template = choose_template(source, conv_template)
    plans = plan_parameters(source.family, source.config, set(source.tensors))
    report = ConversionReport(Path(output), scheme.name, template.name)
    per_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    bar = ProgressBar(len(plans), "converting", progress)
    with ArtifactWriter(output, overwrite=overwrite) as writer:
        for plan in plans:
            weight = np.concatenate([source.tensors[s]() for s in plan.sources], axis=0)
            if plan.plus_one:
                weight = weight + np.float32(1.0)
            if weight.shape != plan.shape:
                raise ConversionError(f"{plan.name}: source shape {weight.shape}, the config implies {plan.shape}")
            parts = quantize(scheme, weight)
            per_kind[tensor_kind(plan.name)].append(quantization_error(weight, dequantize(scheme, parts, weight.shape)))
            if not plan.name.endswith(".weight"):  # a bias: stored as it is, under its own name
                writer.add_tensor(plan.name, parts["weight"])
            else:
                stem = plan.name.removesuffix(".weight")
                for suffix, array in parts.items():
                    writer.add_tensor(f"{stem}.{suffix}", array)
            bar.advance(plan.name)
        for filename, content in source.tokenizer_files.items():
            writer.add_json(filename, content)
        writer.add_json("mlc-chat-config.json",
                        build_chat_config(source, scheme.name, template, sorted(source.tokenizer_files)))
        _check_records(writer, scheme, source)
    bar.close()
    report.errors = {k: (max(e[0] for e in v), float(np.mean([e[1] for e in v]))) for k, v in per_kind.items()}
    return report


def _check_records(writer: ArtifactWriter, scheme, source: ModelSource) -> None:
    """The written records must be exactly what the runtime will ask for."""
    expected = expected_records(scheme, source.family.parameter_shapes(source.config))
    written = writer.records()
    if written != expected:
        diff = sorted(set(written.items()) ^ set(expected.items()))[:6]
        raise ConversionError(f"internal error: written records differ from the model's: {diff}")
