"""all-MiniLM-L6-v2 in headless Chromium: Pyodide loads the encoder through
embeddings/browser_loader.py (shards from JS into the buffers) and runs it on SwiftShader's
WebGPU; the embeddings must equal the native engine's (lavapipe) to f32 rounding."""

from __future__ import annotations

import asyncio
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from browser_support import PYODIDE_DIR
from webgpu_llm.server.wheel import build_wheel_bytes, wheel_filename

pytestmark = pytest.mark.skipif(not (PYODIDE_DIR / "pyodide.mjs").exists(), reason="needs node_modules/pyodide")

SENTENCES = ["A man is eating food.", "A monkey is playing drums.", "WebGPU runs compute shaders in the browser."]

PYTHON = """
import json
from webgpu_llm.embeddings.browser_loader import load_encoder_browser
from webgpu_llm.gpu.browser import BrowserDevice

async def run(bridge, args, app_config):
    args = json.loads(args)
    device = BrowserDevice(bridge)
    engine = await load_encoder_browser(device, args["model_id"], args["base_url"], app_config)
    reply = await engine.embeddings.create(input=args["input"])
    return json.dumps({"adapter": device.info.name, "reply": reply.to_dict()})
"""

PAGE_SCRIPT = """async ([wheelURL, python, args]) => {
    const { GpuBridge } = await import("/lib/bridge.js");
    const { startRuntime } = await import("/lib/runtime.js");
    const bridge = await GpuBridge.create();
    const pyodide = await startRuntime({ wheelURL });
    pyodide.runPython(python);
    return await pyodide.globals.get("run")(bridge, args, { cacheBackend: "cache" });
}"""


def native_embeddings(folder) -> np.ndarray:
    """On lavapipe, in a thread: the sync playwright of this folder holds this thread's event loop."""
    from webgpu_llm import AsyncEmbeddingEngine

    async def embed():
        reply = await AsyncEmbeddingEngine(folder).embeddings.create(input=SENTENCES)
        return np.array([item.embedding for item in reply.data])

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, embed()).result()


def test_encoder_runs_in_pyodide_on_webgpu(page, server, models_dir, minilm_folder):
    model_id = minilm_folder.name
    shutil.copytree(minilm_folder, models_dir / model_id / "resolve" / "main")
    (models_dir / wheel_filename()).write_bytes(build_wheel_bytes())
    args = {"model_id": model_id, "base_url": f"{server.url}/models/{model_id}/resolve/main/", "input": SENTENCES}
    result = json.loads(page.evaluate(PAGE_SCRIPT, [f"{server.url}/models/{wheel_filename()}", PYTHON,
                                                    json.dumps(args)]))
    reply = result["reply"]
    assert reply["object"] == "list" and reply["model"] == model_id and len(reply["data"]) == 3
    got = np.array([item["embedding"] for item in reply["data"]])  # (3, 384)
    expected = native_embeddings(minilm_folder)
    # Both compute in f32 from the same f16 weights; only summation order differs.
    np.testing.assert_allclose(got, expected, atol=2e-5)
