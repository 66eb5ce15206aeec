"""Load an MLC model folder onto a device: config, tokenizer, template, weights, runner."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..conversation import ConvTemplate
from ..embeddings.encoder_config import MODEL_TYPE as ENCODER_MODEL_TYPE
from ..gpu.device import Buffer, Device
from ..grammar.matcher import GrammarBackend
from ..model.batch_graph import BatchingNotSupported
from ..model.config import ModelConfig, ModelConfigError
from ..model.family import Family
from ..model.registry import UnsupportedModelError, family_for_model_type
from ..protocol.errors import InvalidRequestError
from ..tokenizer import Tokenizer
from ..weights.artifact import Artifact, open_artifact, verify_shards
from ..weights.upload import load_weights_native
from .batching import BatchScheduler
from .runner import ModelRunner

Progress = Callable[[float, str], None]  # (fraction 0..1, text), like WebLLM's initProgressCallback


@dataclass
class LoadedModel:
    model_id: str
    artifact: Artifact
    config: ModelConfig
    family: Family
    tokenizer: Tokenizer
    template: ConvTemplate
    runner: ModelRunner
    load_seconds: float
    # Concurrent requests decoding together (engine/batching.py); None: one request at a time.
    scheduler: BatchScheduler | None = None
    # Makes the grammar engine on first use: llguidance natively, xgrammar in the browser.
    grammar_factory: Callable[["LoadedModel"], Awaitable[GrammarBackend]] | None = None
    _grammar: GrammarBackend | None = field(default=None, repr=False)

    @property
    def chat_config(self) -> dict[str, Any]:
        return self.artifact.chat_config

    async def grammar_backend(self) -> GrammarBackend:
        """This model's grammar engine (made once; it caches compiled grammars)."""
        if self._grammar is None:
            if self.grammar_factory is None:
                raise InvalidRequestError("structured output (response_format, tools) needs a grammar engine; "
                                          "this engine was loaded without one", param="response_format")
            self._grammar = await self.grammar_factory(self)
        return self._grammar

    @property
    def stop_token_ids(self) -> frozenset[int]:
        eos = self.chat_config.get("eos_token_id")
        ids = set(self.template.stop_token_ids or ())
        ids |= set(eos if isinstance(eos, list) else [] if eos is None else [eos])
        return frozenset(ids)


def load_model(folder: Path, device: Device, *, context_window_size: int | None = None,
               prefill_chunk_size: int | None = None, progress: Progress | None = None,
               max_batch: int = 1) -> LoadedModel:
    """`max_batch` > 1: up to that many requests decode together (continuous batching)."""
    started = time.perf_counter()
    artifact = open_artifact(folder)
    family, config, context, chunk = model_settings(artifact, context_window_size, prefill_chunk_size)
    if progress:
        progress(0.0, f"verifying {folder.name}")
    verify_shards(artifact)

    def on_bytes(done: int, total: int) -> None:
        if progress:
            progress(0.9 * done / total, f"loading weights: {done >> 20} of {total >> 20} MiB")

    weights = load_weights_native(device, artifact, on_bytes)
    model = assemble_model(folder.name, artifact, device, family, config, weights, context, chunk, started,
                           max_batch)
    model.grammar_factory = native_grammar_backend
    if progress:
        progress(1.0, f"loaded {folder.name} in {model.load_seconds:.1f} s")
    return model


async def native_grammar_backend(model: LoadedModel) -> GrammarBackend:
    """llguidance over the model's tokenizer (native only: imported here, not at module level)."""
    from ..grammar.native import LlguidanceBackend

    return LlguidanceBackend(model.tokenizer, model.config.vocab_size, sorted(model.stop_token_ids))


def model_settings(artifact: Artifact, context_window_size: int | None,
                   prefill_chunk_size: int | None) -> tuple[Family, ModelConfig, int, int]:
    """The family, its config, context window and prefill chunk, checked against the model's own."""
    chat = artifact.chat_config
    if chat.get("model_type") == ENCODER_MODEL_TYPE:
        raise InvalidRequestError(f"{artifact.folder.name} is an embedding model: load it with EmbeddingEngine",
                                  param="model")
    try:
        family = family_for_model_type(chat.get("model_type"))
        config = family.config_from_mlc(chat["model_config"])
    except (UnsupportedModelError, ModelConfigError) as e:
        raise InvalidRequestError(f"{artifact.folder.name}: {e}", param="model") from e
    context = _bounded("context_window_size", context_window_size, chat.get("context_window_size", 4096))
    chunk = _bounded("prefill_chunk_size", prefill_chunk_size, chat.get("prefill_chunk_size", 2048))
    return family, config, context, min(chunk, context)


def assemble_model(model_id: str, artifact: Artifact, device: Device, family: Family, config: ModelConfig,
                   weights: dict[str, Buffer], context: int, chunk: int, started: float,
                   max_batch: int = 1) -> LoadedModel:
    """Weights are on the device: build the graph and read the tokenizer and template."""
    if max_batch < 1:
        raise InvalidRequestError(f"max_batch must be at least 1, got {max_batch}", param="max_batch")
    runner = ModelRunner(device, config, family.architecture(config), weights, artifact.chat_config["quantization"],
                         context, chunk, sequences=max_batch)
    tokenizer = Tokenizer.from_file(artifact.folder / "tokenizer.json")
    template = ConvTemplate.from_dict(artifact.chat_config["conv_template"])
    scheduler = None
    if max_batch > 1:
        try:
            scheduler = BatchScheduler(runner, max_batch)
        except BatchingNotSupported as e:
            runner.release()
            raise InvalidRequestError(f"{model_id}: {e}", param="max_batch") from e
    return LoadedModel(model_id, artifact, config, family, tokenizer, template, runner,
                       time.perf_counter() - started, scheduler=scheduler)


def _bounded(name: str, wanted: int | None, model_max: int) -> int:
    if wanted is None:
        return int(model_max)
    if not 1 <= wanted <= model_max:
        raise InvalidRequestError(f"{name} {wanted} is out of range; allowed 1..{model_max}", param=name)
    return int(wanted)
