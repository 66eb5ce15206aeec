"""The embeddings engine: `engine.embeddings.create(input=..., model=...)` as OpenAI defines it.

    engine = EmbeddingEngine("all-MiniLM-L6-v2-q0f16-MLC")
    reply = engine.embeddings.create(input=["a sentence", "another one"])
    reply.data[0].embedding   # 384 floats, L2-normalized

Texts go through the model's WordPiece tokenizer ([CLS] ... [SEP], truncated to the
model's max length); token-id inputs are used as given. The inputs of one request
run as one GPU batch (padded to the longest), or as a few when they would not fit.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from ..gpu.device import Device
from ..protocol.embeddings import (CreateEmbeddingResponse, Embedding, EmbeddingRequest, EmbeddingUsage,
                                   encode_embedding)
from ..protocol.errors import ContextWindowExceededError, InvalidRequestError
from ..weights.artifact import Artifact, open_artifact, verify_shards
from ..weights.upload import load_weights_native
from .encoder_config import EncoderConfig, EncoderConfigError
from .encoder_graph import EncoderGraph
from .wordpiece import WordPieceTokenizer

MAX_BATCH_ROWS = 8192  # padded tokens per GPU batch: (8192, 1536) f32 FFN activations are 48 MiB


class AsyncEmbeddingEngine:
    def __init__(self, model: str | Path | None = None, *, device: Device | None = None, adapter: str | None = None):
        """Load `model` (a folder, a cached id or an embedded id; default all-MiniLM-L6-v2 q0f16)."""
        started = time.perf_counter()
        if device is None:
            from ..gpu.native import NativeDevice

            device = NativeDevice(adapter)
        folder = resolve_encoder_folder(model)
        artifact = open_artifact(folder)
        config = encoder_config(artifact)
        verify_shards(artifact)
        graph = EncoderGraph(device, config, load_weights_native(device, artifact),
                             artifact.chat_config["quantization"])
        self._attach(folder.name, graph, WordPieceTokenizer.from_file(folder / "tokenizer.json", config.max_length),
                     time.perf_counter() - started)

    @classmethod
    def from_loaded(cls, model_id: str, graph: EncoderGraph, tokenizer: WordPieceTokenizer,
                    load_seconds: float) -> "AsyncEmbeddingEngine":
        """An engine over an encoder already on its device (the browser loads it asynchronously)."""
        engine = cls.__new__(cls)
        engine._attach(model_id, graph, tokenizer, load_seconds)
        return engine

    def _attach(self, model_id: str, graph: EncoderGraph, tokenizer: WordPieceTokenizer, load_seconds: float) -> None:
        self.device, self.config, self.graph, self.model_id = graph.device, graph.config, graph, model_id
        self.tokenizer, self.load_seconds = tokenizer, load_seconds
        # The widest activation (FFN or qkv rows) must fit one storage binding (128 MiB on CPU adapters).
        widest = 4 * max(3 * self.config.hidden_size, self.config.intermediate_size)
        self.max_batch_rows = min(MAX_BATCH_ROWS, graph.device.limits.max_storage_buffer_binding_size // widest)
        self._lock = asyncio.Lock()
        self.embeddings = _AsyncEmbeddings(self._create)

    @property
    def adapter_name(self) -> str:
        return self.device.info.name

    async def _create(self, **fields: Any) -> CreateEmbeddingResponse:
        request = EmbeddingRequest.from_dict(fields)
        if request.dimensions is not None and request.dimensions != self.config.hidden_size:
            raise InvalidRequestError(f"dimensions {request.dimensions}: {self.model_id} embeds into "
                                      f"{self.config.hidden_size} dimensions only", param="dimensions",
                                      code="unsupported_parameter")
        sequences = self.token_sequences(request)
        async with self._lock:
            vectors = []
            for batch in gpu_batches(sequences, self.max_batch_rows):
                vectors += await self.graph.encode(batch)
        tokens = sum(map(len, sequences))
        data = [Embedding(i, encode_embedding(v, request.encoding_format)) for i, v in enumerate(vectors)]
        return CreateEmbeddingResponse(data, self.model_id, EmbeddingUsage(tokens, tokens))

    def token_sequences(self, request: EmbeddingRequest) -> list[list[int]]:
        if request.texts is not None:
            return [self.tokenizer.encode(text) for text in request.texts]
        sequences = [list(ids) for ids in request.token_ids]
        for i, ids in enumerate(sequences):
            if len(ids) > self.config.max_length:
                raise ContextWindowExceededError(f"input[{i}] has {len(ids)} tokens; {self.model_id} takes at "
                                                 f"most {self.config.max_length}", param="input")
            if max(ids) >= self.config.vocab_size:
                raise InvalidRequestError(f"input[{i}] holds token id {max(ids)}; the vocabulary has ids "
                                          f"0..{self.config.vocab_size - 1}", param="input")
        return sequences

    def unload(self) -> None:
        """Give the GPU memory back: weights destroyed, activations to the pool."""
        self.graph.release()
        for buffer in self.graph.weights.values():
            self.device.destroy_buffer(buffer)


class EmbeddingEngine:
    """Synchronous face of AsyncEmbeddingEngine (not for use inside a running event loop)."""

    def __init__(self, model: str | Path | None = None, **options: Any):
        self._loop = asyncio.new_event_loop()
        self.engine = AsyncEmbeddingEngine(model, **options)
        self.embeddings = _SyncEmbeddings(self._loop, self.engine.embeddings)

    model_id = property(lambda self: self.engine.model_id)
    adapter_name = property(lambda self: self.engine.adapter_name)

    def unload(self) -> None:
        self.engine.unload()


class _AsyncEmbeddings:
    def __init__(self, handler):
        self._handler = handler

    async def create(self, **fields: Any) -> CreateEmbeddingResponse:
        return await self._handler(**fields)


class _SyncEmbeddings:
    def __init__(self, loop: asyncio.AbstractEventLoop, target: _AsyncEmbeddings):
        self._loop, self._target = loop, target

    def create(self, **fields: Any) -> CreateEmbeddingResponse:
        return self._loop.run_until_complete(self._target.create(**fields))


def encoder_config(artifact: Artifact) -> EncoderConfig:
    try:
        return EncoderConfig.from_chat_config(artifact.chat_config)
    except EncoderConfigError as e:
        raise InvalidRequestError(f"{artifact.folder.name}: {e}", param="model") from e


def gpu_batches(sequences: list[list[int]], max_rows: int) -> list[list[list[int]]]:
    """Consecutive runs of inputs whose padded size (count x longest) stays within max_rows."""
    batches: list[list[list[int]]] = []
    current: list[list[int]] = []
    longest = 0
    for seq in sequences:
        if current and max(longest, len(seq)) * (len(current) + 1) > max_rows:
            batches.append(current)
            current, longest = [], 0
        current.append(seq)
        longest = max(longest, len(seq))
    if current:
        batches.append(current)
    return batches


def resolve_encoder_folder(model: str | Path | None) -> Path:
    """A folder is used as is; ids go to the cache, embedded ids are converted there (native only)."""
    path = Path(model).expanduser() if model is not None else None
    if path is not None and (path / "mlc-chat-config.json").is_file():
        return path
    from ..convert.default_model import resolve_model
    from ..convert.embedded_encoder import DEFAULT_EMBEDDING_MODEL_ID

    return resolve_model(str(model) if model is not None else DEFAULT_EMBEDDING_MODEL_ID)
