"""Load a model from a URL in the browser (Pyodide): small files through Python, shards through JS.

The config, manifest and tokenizer are fetched (or read from the browser's
cache) by JS and written into Pyodide's in-memory file system, so the folder
code of native loading reads them unchanged. Weight shards never pass
through Python (DESIGN.md, decision 7): Python sends the upload plan (which
shard bytes go to which buffer) and JS fetches, md5-checks, caches and
writes them into the buffers.
"""

from __future__ import annotations

import functools

import json
import time
from pathlib import Path
from typing import Any, Callable

from ..gpu.browser import BrowserDevice
from ..grammar.browser import XGrammarBackend
from ..weights.artifact import CHAT_CONFIG_NAME, MANIFEST_NAMES, open_artifact
from ..weights.upload import create_weight_buffers
from .chat_options import check_window_options
from .loader import LoadedModel, assemble_model, model_settings

MODELS_ROOT = Path("/tmp/webgpu-llm/models")  # Pyodide's in-memory file system
Progress = Callable[[float, str], None]


async def fetch_model_files(bridge: Any, base_url: str, model_id: str, app_config: Any) -> Path:
    """mlc-chat-config.json, the manifest (either name) and tokenizer.json into a local folder."""
    folder = MODELS_ROOT / model_id
    folder.mkdir(parents=True, exist_ok=True)
    for name in (CHAT_CONFIG_NAME, "tokenizer.json"):
        (folder / name).write_text(await bridge.fetchText(base_url, name, app_config), encoding="utf-8")
    for name in MANIFEST_NAMES:  # tensor-cache.json, or the older ndarray-cache.json
        stale = folder / name
        stale.unlink(missing_ok=True)
    try:
        text, name = await bridge.fetchText(base_url, MANIFEST_NAMES[0], app_config), MANIFEST_NAMES[0]
    except Exception:  # noqa: BLE001 - a JS error (404) for the new name: try the old one
        text, name = await bridge.fetchText(base_url, MANIFEST_NAMES[1], app_config), MANIFEST_NAMES[1]
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def upload_plan_json(artifact, buffers) -> str:
    """Per shard: its file, size and md5, and where each of its tensors goes."""
    return json.dumps([{"dataPath": s.data_path, "nbytes": s.nbytes, "md5sum": s.md5sum,
                        "records": [[buffers[r.name].handle, r.byte_offset, r.nbytes] for r in s.records]}
                       for s in artifact.manifest.shards])


async def load_model_browser(device: BrowserDevice, model_id: str, base_url: str, app_config: Any, *,
                             chat_options: dict[str, Any] | None = None,
                             progress: Progress | None = None) -> LoadedModel:
    started = time.perf_counter()
    options = chat_options or {}
    report = progress or (lambda fraction, text: None)
    report(0.0, f"Fetching config of {model_id}")
    folder = await fetch_model_files(device.bridge, base_url, model_id, app_config)
    artifact = open_artifact(folder)
    apply_chat_options(artifact.chat_config, options)
    family, config, context, chunk = model_settings(artifact, options.get("context_window_size"),
                                            options.get("prefill_chunk_size"))
    check_window_options(options, config.sliding_window)
    total = sum(s.nbytes for s in artifact.manifest.shards)

    def on_bytes(loaded: int, _total: int, from_cache: bool) -> None:
        source = "cache" if from_cache else "network"
        report(0.9 * loaded / max(total, 1), f"Loading model from {source}: {loaded >> 20} of {total >> 20} MiB "
               f"({100 * loaded // max(total, 1)}% completed, {time.perf_counter() - started:.0f} secs elapsed)")

    buffers, scope_open = {}, True
    device.begin_error_scope()  # kernels compile lazily in the browser: errors are collected here
    try:
        buffers = create_weight_buffers(device, artifact)
        await device.bridge.uploadShards(base_url, upload_plan_json(artifact, buffers), app_config, on_bytes)
        report(0.92, "Compiling kernels")
        model = assemble_model(model_id, artifact, device, family, config, buffers, context, chunk, started)
        scope_open = False
        await device.end_error_scope(f"loading {model_id}")
    except BaseException:
        if scope_open:
            await device.bridge.popErrorScope()
        for buffer in buffers.values():
            device.destroy_buffer(buffer)
        raise
    model.grammar_factory = functools.partial(browser_grammar_backend, device)
    report(1.0, f"Finish loading on WebGPU - {device.info.name}: {model_id} in {model.load_seconds:.1f} s")
    return model


async def browser_grammar_backend(device: BrowserDevice, model: LoadedModel) -> XGrammarBackend:
    """The loaded model's grammar engine: xgrammar in web/grammar.js, sent the model's vocabulary once.

    Masks are written into `device`'s buffers by the same bridge (grammar/browser.py).
    """
    grammar_js = await device.bridge.grammar()
    return await XGrammarBackend.create(grammar_js, model.tokenizer, model.config.vocab_size,
                                        sorted(model.stop_token_ids))


CHAT_OPTION_DEFAULTS = ("temperature", "top_p", "frequency_penalty", "presence_penalty", "repetition_penalty")


def apply_chat_options(chat_config: dict[str, Any], options: dict[str, Any]) -> None:
    """WebLLM's ChatOptions override mlc-chat-config.json: sampling defaults and the template."""
    for key in CHAT_OPTION_DEFAULTS:
        if options.get(key) is not None:
            chat_config[key] = options[key]
    if isinstance(options.get("conv_template"), dict):
        chat_config["conv_template"] = {**chat_config.get("conv_template", {}), **options["conv_template"]}
