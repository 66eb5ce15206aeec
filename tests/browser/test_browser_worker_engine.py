"""Done when: a page served by `webgpu-llm serve` runs the engine in a Web Worker
(`CreateWebWorkerMLCEngine`) and streams the native engine's greedy tokens; a
second visit loads from the cache without a network request for shards."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from browser_cases import CHAT_OPTIONS, MODEL_ID, QUESTION, open_page
from webgpu_llm import Engine

# Greedy, with the end-of-turn token (id 2) suppressed so that 12 tokens are compared.
REQUEST = {"messages": QUESTION, "temperature": 0, "max_tokens": 12, "logprobs": True,
           "logit_bias": {"2": -100}, "stream": True, "stream_options": {"include_usage": True}}

# Runs in the page: a worker engine answers REQUEST; returns tokens (bytes), usage and progress.
WORKER_ANSWER = """async ({modelId, chatOpts, request}) => {
  const { CreateWebWorkerMLCEngine, prebuiltAppConfig } = await import("/lib/index.js");
  const progress = [];
  const worker = new Worker("/lib/worker.js", { type: "module" });
  const engine = await CreateWebWorkerMLCEngine(worker, modelId,
    { appConfig: prebuiltAppConfig, initProgressCallback: (r) => progress.push(r) }, chatOpts);
  const tokens = []; let usage = null; let finish = null;
  for await (const chunk of await engine.chat.completions.create(request)) {
    for (const entry of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(entry.bytes);
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  const stats = await engine.runtimeStatsText();
  worker.terminate();
  return { tokens, usage, finish, progress, stats };
}"""


@pytest.fixture(scope="module")
def native_tokens(smollm2_folder):
    """The native engine (wgpu; lavapipe here) on the same model, prompt and f32 compute.
    Run in a thread of its own: playwright's sync API keeps an event loop in this one."""
    def answer():
        engine = Engine(smollm2_folder("q4f16_1"), **CHAT_OPTIONS)
        tokens = []
        for chunk in engine.chat.completions.create(**REQUEST):
            for choice in chunk.to_dict()["choices"]:
                tokens += [entry["bytes"] for entry in (choice.get("logprobs") or {}).get("content") or []]
        return tokens

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(answer).result()


def answer_in_worker(page):
    return page.evaluate(WORKER_ANSWER, {"modelId": MODEL_ID, "chatOpts": CHAT_OPTIONS, "request": REQUEST})


def test_worker_engine_streams_the_native_greedy_tokens(browser, served, native_tokens):
    page = open_page(browser, served + "/")
    result = answer_in_worker(page)
    assert len(native_tokens) == 12
    assert result["tokens"] == native_tokens, (bytes(sum(result["tokens"], [])), bytes(sum(native_tokens, [])))
    assert b"Paris" in bytes(sum(result["tokens"], []))
    assert result["usage"]["completion_tokens"] == 12 and result["finish"] == "length"
    assert "decoding:" in result["stats"]
    # initProgressCallback: WebLLM's {progress, timeElapsed, text}, ending at 1.
    reports = result["progress"]
    assert reports[-1]["progress"] == 1 and "Finish loading" in reports[-1]["text"]
    assert all(set(r) >= {"progress", "timeElapsed", "text"} for r in reports)
    assert any("network" in r["text"] for r in reports)


def test_second_visit_loads_from_the_cache_without_shard_requests(browser, served, native_tokens):
    shard_requests = []

    def count_and_continue(route):
        shard_requests.append(route.request.url)
        route.continue_()

    browser.route("**/resolve/main/params_shard_*", count_and_continue)
    page = open_page(browser, served + "/")
    first = answer_in_worker(page)
    shards = len(json.loads(page.evaluate(
        f"fetch('/models/{MODEL_ID}/resolve/main/tensor-cache.json').then(r => r.text())"))["records"])
    assert len(shard_requests) == shards  # the first visit fetched every shard once
    assert first["tokens"] == native_tokens

    page.reload()
    shard_requests.clear()
    second = answer_in_worker(page)
    assert shard_requests == []
    assert any("cache" in r["text"] for r in second["progress"])
    assert second["tokens"] == native_tokens


CACHE_CALLS = """async ({modelId}) => {
  const lib = await import("/lib/index.js");
  const cached = () => lib.hasModelInCache(modelId, lib.prebuiltAppConfig);
  const before = await cached();
  const worker = new Worker("/lib/worker.js", { type: "module" });
  await lib.CreateWebWorkerMLCEngine(worker, modelId, { appConfig: lib.prebuiltAppConfig },
    { context_window_size: 64 });
  worker.terminate();
  const afterLoad = await cached();
  await lib.deleteModelAllInfoInCache(modelId, lib.prebuiltAppConfig);
  const afterDelete = await cached();
  const left = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) {
      if (request.url.includes(modelId)) left.push(request.url);
    }
  }
  return { before, afterLoad, afterDelete, left };
}"""


def test_has_model_in_cache_and_delete_model_all_info_in_cache(browser, served):
    page = open_page(browser, served + "/")
    result = page.evaluate(CACHE_CALLS, {"modelId": MODEL_ID})
    assert result == {"before": False, "afterLoad": True, "afterDelete": False, "left": []}
