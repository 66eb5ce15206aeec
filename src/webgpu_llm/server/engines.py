"""One native engine per served model id, loaded on first use: an `AsyncEngine`, or an
`AsyncEmbeddingEngine` for an encoder (its mlc-chat-config.json says model_type "bert").

Each engine lives on a thread of its own (engine_thread.py): its load (md5
checks, weight upload, maybe converting the embedded default) and all its
GPU work run there while the event loop keeps serving. Loads happen one at
a time; concurrent first requests for a model share its single load.
Requests on one engine are serialized by the engine's own lock.
"""

from __future__ import annotations

import asyncio
import logging

from ..embeddings import AsyncEmbeddingEngine
from ..embeddings.encoder_config import is_encoder_folder
from ..engine import AsyncEngine
from .engine_thread import EngineThread, ThreadedEngine
from .served_models import ServedModels

log = logging.getLogger("webgpu_llm.server")


class EnginePool:
    def __init__(self, models: ServedModels, adapter: str | None = None, prefill_chunk_size: int | None = None,
                 max_batch: int = 1):
        self.models = models
        self.adapter, self.prefill_chunk_size, self.max_batch = adapter, prefill_chunk_size, max_batch
        self._engines: dict[str, ThreadedEngine] = {}
        self._load_lock = asyncio.Lock()

    async def get(self, model_id: str) -> ThreadedEngine:
        """The engine of a served model id (validated by the caller), loading it if needed."""
        if model_id in self._engines:  # no wait behind another model's load
            return self._engines[model_id]
        async with self._load_lock:
            if model_id not in self._engines:
                thread = EngineThread(f"webgpu-llm-engine-{len(self._engines)}")
                try:
                    engine = await thread.call(self._load, model_id)
                except BaseException:
                    thread.stop()
                    raise
                self._engines[model_id] = ThreadedEngine(engine, thread)
        return self._engines[model_id]

    def loaded(self) -> dict[str, ThreadedEngine]:
        return dict(self._engines)

    def _load(self, model_id: str) -> AsyncEngine | AsyncEmbeddingEngine:
        folder = self.models.folder_for_loading(model_id)
        if is_encoder_folder(folder):
            engine = AsyncEmbeddingEngine(folder, adapter=self.adapter)
            log.info("loaded %s on %s in %.1f s", model_id, engine.adapter_name, engine.load_seconds)
            return engine
        engine = AsyncEngine(folder, adapter=self.adapter, prefill_chunk_size=self.prefill_chunk_size,
                             max_batch=self.max_batch)
        log.info("loaded %s on %s in %.1f s", model_id, engine.adapter_name, engine.model.load_seconds)
        return engine
