"""WebLLM's `engine.embeddings.create` in headless Chromium: a page served by `webgpu-llm serve` loads
all-MiniLM-L6-v2 into a Web Worker engine (CreateWebWorkerMLCEngine) and embeds a batch on
SwiftShader's WebGPU; the embeddings equal the native engine's (lavapipe) to f32 rounding."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from browser_cases import open_page
from server_support import running_server
from webgpu_llm.convert.embedded_encoder import DEFAULT_EMBEDDING_MODEL_ID

SENTENCES = ["A man is eating food.", "A monkey is playing drums.", "WebGPU runs compute shaders in the browser."]

# Runs in the page, with the served prebuilt_app_config.js (the encoder is listed as model_type 1).
WORKER_EMBED = """async ({modelId, input}) => {
  const { CreateWebWorkerMLCEngine, ModelType, prebuiltAppConfig: appConfig } = await import("/lib/index.js");
  const record = appConfig.model_list.find((r) => r.model_id === modelId);
  if (record?.model_type !== ModelType.embedding) throw new Error(`${modelId}: ${JSON.stringify(record)}`);
  const worker = new Worker("/lib/worker.js", { type: "module" });
  const engine = await CreateWebWorkerMLCEngine(worker, modelId, { appConfig });
  const reply = await engine.embeddings.create({ input });
  let chatError = null;
  try {
    await engine.chat.completions.create({ messages: [{ role: "user", content: "hi" }] });
  } catch (error) {
    chatError = { name: error.name, param: error.param };
  }
  worker.terminate();
  return { reply, chatError };
}"""


@pytest.fixture(scope="module")
def served(model_cache, minilm_folder):
    with running_server(model_cache, model=DEFAULT_EMBEDDING_MODEL_ID) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def native_embeddings(minilm_folder):
    """On lavapipe, in a thread of its own: playwright's sync API keeps an event loop in this one."""
    from webgpu_llm import AsyncEmbeddingEngine

    async def embed():
        reply = await AsyncEmbeddingEngine(minilm_folder).embeddings.create(input=SENTENCES)
        return np.array([item.embedding for item in reply.data])

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, embed()).result()


def test_worker_engine_embeds_as_the_native_engine(browser, served, native_embeddings):
    page = open_page(browser, served + "/")
    result = page.evaluate(WORKER_EMBED, {"modelId": DEFAULT_EMBEDDING_MODEL_ID, "input": SENTENCES})
    reply = result["reply"]
    assert reply["object"] == "list" and reply["model"] == DEFAULT_EMBEDDING_MODEL_ID
    assert [item["index"] for item in reply["data"]] == [0, 1, 2]
    assert reply["usage"]["prompt_tokens"] == reply["usage"]["total_tokens"] > 6
    # Both compute in f32 from the same f16 weights; only summation order differs.
    np.testing.assert_allclose(np.array([item["embedding"] for item in reply["data"]]), native_embeddings, atol=2e-5)
    assert result["chatError"] == {"name": "InvalidRequestError", "param": "model"}
