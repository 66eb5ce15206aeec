"""Load an encoder from a URL in the browser (Pyodide), as engine/browser_loader.py loads a chat model:
the config, manifest and tokenizer through Python, the shards from JS straight into their buffers.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ..engine.browser_loader import fetch_model_files, upload_plan_json
from ..gpu.browser import BrowserDevice
from ..weights.artifact import open_artifact
from ..weights.upload import create_weight_buffers
from .encoder_graph import EncoderGraph
from .engine import AsyncEmbeddingEngine, encoder_config
from .wordpiece import WordPieceTokenizer

Progress = Callable[[float, str], None]


async def load_encoder_browser(device: BrowserDevice, model_id: str, base_url: str, app_config: Any,
                               progress: Progress | None = None) -> AsyncEmbeddingEngine:
    started = time.perf_counter()
    report = progress or (lambda fraction, text: None)
    report(0.0, f"Fetching config of {model_id}")
    folder = await fetch_model_files(device.bridge, base_url, model_id, app_config)
    artifact = open_artifact(folder)
    config = encoder_config(artifact)
    total = sum(s.nbytes for s in artifact.manifest.shards)

    def on_bytes(loaded: int, _total: int, from_cache: bool) -> None:
        report(0.9 * loaded / max(total, 1), f"Loading model from {'cache' if from_cache else 'network'}: "
               f"{loaded >> 20} of {total >> 20} MiB")

    buffers, scope_open = {}, True
    device.begin_error_scope()  # kernels compile lazily in the browser: errors are collected here
    try:
        buffers = create_weight_buffers(device, artifact)
        await device.bridge.uploadShards(base_url, upload_plan_json(artifact, buffers), app_config, on_bytes)
        graph = EncoderGraph(device, config, buffers, artifact.chat_config["quantization"])
        scope_open = False
        await device.end_error_scope(f"loading {model_id}")
    except BaseException:
        if scope_open:
            await device.bridge.popErrorScope()
        for buffer in buffers.values():
            device.destroy_buffer(buffer)
        raise
    tokenizer = WordPieceTokenizer.from_file(folder / "tokenizer.json", config.max_length)
    engine = AsyncEmbeddingEngine.from_loaded(model_id, graph, tokenizer, time.perf_counter() - started)
    report(1.0, f"Finish loading on WebGPU - {device.info.name}: {model_id} in {engine.load_seconds:.1f} s")
    return engine
