"""Done when (issue 12): each of WebLLM's examples, as rewritten in examples/ (the import and the
model id changed, few tokens, a 1024-token window), runs in headless Chromium against
`webgpu-llm serve --examples examples` and holds what WebLLM's version prints or checks.

get-started, streaming, multi-round-chat, seed-to-reproduce, cache-usage, multi-models,
embeddings and get-started-web-worker; json-mode, json-schema and function-calling are in
test_browser_examples.py. Where we follow OpenAI over WebLLM (README), the test says so."""

import json
import math

import pytest

from browser_cases import MODEL_ID, open_page
from server_support import running_server
from tiny_model_support import TINY_MODEL_ID
from webgpu_llm.convert.embedded_encoder import DEFAULT_EMBEDDING_MODEL_ID


@pytest.fixture(scope="module")
def served(tmp_path_factory, smollm2_folder, tiny_llama_folder, minilm_folder):
    """serve with the examples over a cache of its own: SmolLM2, the tiny Llama and all-MiniLM-L6-v2."""
    root = tmp_path_factory.mktemp("examples")
    (root / "models").mkdir()
    for model_id, folder in ((MODEL_ID, smollm2_folder("q4f16_1")), (TINY_MODEL_ID, tiny_llama_folder),
                             (DEFAULT_EMBEDDING_MODEL_ID, minilm_folder)):
        (root / "models" / model_id).symlink_to(folder, target_is_directory=True)
    with running_server(root, extra_args=["--examples", "examples"]) as base_url:
        yield base_url


def run_example(browser, served, name: str):
    """Open examples/<name>/ and wait for its end; returns its output (JSON) and the page."""
    page = open_page(browser, f"{served}/examples/{name}/")
    page.wait_for_selector("body[data-state]", state="attached")
    output = page.inner_text("#output-label")
    assert page.get_attribute("body", "data-state") == "done", output
    assert "Finish loading" in page.inner_text("#init-label")
    return json.loads(output), page


def assert_usage(usage, choices: int = 1):
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] >= choices
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def text_of(entries) -> str:
    """The text that logprobs entries spell: their bytes joined (a character may span tokens,
    whose own `token` strings then hold replacement characters)."""
    return b"".join(bytes(entry["bytes"]) for entry in entries).decode("utf-8", errors="replace")


def test_get_started_example(browser, served):
    output, _ = run_example(browser, served, "get-started")
    reply = output["reply"]
    assert reply["model"] == MODEL_ID and [c["index"] for c in reply["choices"]] == [0, 1, 2]
    assert_usage(reply["usage"], 3)
    for choice in reply["choices"]:
        assert choice["finish_reason"] in ("stop", "length") and choice["message"]["role"] == "assistant"
        content = choice["logprobs"]["content"]
        assert text_of(content) == choice["message"]["content"]
        assert all(len(entry["top_logprobs"]) == 2 and entry["logprob"] <= 0 for entry in content)
        # logit_bias -100 on "Hello" and "Hi": never sampled (greedy SmolLM2 opens with "Hello")
        assert not {"Hello", "Hi"} & {entry["token"] for entry in content}, content
        if choice["finish_reason"] == "length":
            assert len(content) == 12  # max_tokens
    # getMessage() gives the last choice, as WebLLM's does
    assert output["message"] == reply["choices"][-1]["message"]["content"]
    assert "prefill:" in output["stats"] and "decoding:" in output["stats"], output["stats"]


def test_streaming_example(browser, served):
    output, page = run_example(browser, served, "streaming")
    chunks = output["chunks"]
    assert output["message"] and output["message"] == output["finalMessage"]
    assert page.inner_text("#generate-label") == output["message"]
    *content_chunks, last = chunks
    assert last["choices"] == [] and last["usage"] is not None  # include_usage: usage only on the last
    assert all(chunk.get("usage") is None for chunk in content_chunks)
    assert_usage(last["usage"])
    assert content_chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    entries = [entry for chunk in content_chunks if chunk["choices"][0].get("logprobs")
               for entry in chunk["choices"][0]["logprobs"]["content"]]
    assert text_of(entries) == output["message"]
    # completion_tokens counts a stop token too, which has no text and no logprobs entry
    assert len(entries) <= last["usage"]["completion_tokens"] <= len(entries) + 1
    assert all(len(entry["top_logprobs"]) == 2 for entry in entries)
    assert {chunk["id"] for chunk in chunks} == {chunks[0]["id"]}
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)


def test_multi_round_chat_example(browser, served):
    output, _ = run_example(browser, served, "multi-round-chat")
    usage0, usage1, usage2 = (reply["usage"] for reply in output["replies"])
    assert output["messages"] == [reply["choices"][0]["message"]["content"] for reply in output["replies"][:2]]
    # Ours: prompt_tokens is the whole prompt (OpenAI); extra.prefill_tokens what was prefilled (WebLLM's count).
    assert usage0["extra"]["prefill_tokens"] == usage0["prompt_tokens"]
    assert usage1["prompt_tokens"] > usage0["prompt_tokens"] + usage0["completion_tokens"]
    # The KV cache of round 0 (its prompt and answer) is kept: only round 1's new turn is prefilled.
    reused = usage1["prompt_tokens"] - usage1["extra"]["prefill_tokens"]
    assert reused >= usage0["prompt_tokens"] + usage0["completion_tokens"] - 2, (usage0, usage1)
    assert 0 < usage1["extra"]["prefill_tokens"] < usage0["prompt_tokens"]
    # Another system prompt: the cache is kept only up to the template's "<|im_start|>system\n".
    assert usage2["prompt_tokens"] - usage2["extra"]["prefill_tokens"] <= 4, usage2
    assert "prefill:" in output["stats"]


def test_seed_to_reproduce_example(browser, served):
    output, _ = run_example(browser, served, "seed-to-reproduce")
    reply0, reply1, reply2 = output["replies"]
    texts0 = [choice["message"]["content"] for choice in reply0["choices"]]
    texts1 = [choice["message"]["content"] for choice in reply1["choices"]]
    assert len(texts0) == 3 and texts0 == texts1  # WebLLM's check: same seed, same answers
    assert output["messages"] == [texts0[-1], texts1[-1]]  # getMessage(): the last choice
    assert_usage(reply0["usage"], 3)
    # WebLLM's seed with n: the n choices are the same answer (serve and Python follow OpenAI's).
    assert len(set(texts0)) == 1, texts0
    assert reply2["choices"][0]["message"]["content"] != texts0[0]  # another seed, another answer


# Runs in the page after the cache-usage example: what each backend holds of webgpu-llm's scopes.
STORED = """async () => {
  const cached = [];
  for (const name of await caches.keys()) cached.push(...(await (await caches.open(name)).keys()).map((r) => r.url));
  return { cacheApi: cached, indexedDB: (await indexedDB.databases()).map((db) => db.name) };
}"""


def test_cache_usage_example(browser, served):
    output, page = run_example(browser, served, "cache-usage")
    assert output["cached"] == [False, True, False]  # hasModelInCache: before, after the load, after deletion
    assert output["loads"] == [["network"], ["cache"], ["network"]]  # reload reads the cache; after deletion, not
    answers = output["answers"]
    assert answers[0] and answers == [answers[0]] * 3  # greedy: the same weights each time
    stored = page.evaluate(STORED)
    assert stored["indexedDB"] and stored["cacheApi"] == [], stored  # useIndexedDBCache: IndexedDB only


def test_multi_models_example(browser, served):
    output, page = run_example(browser, served, "multi-models")
    sequential, parallel = output["sequential"], output["parallel"]
    smol, tiny = (answer["message"] for answer in sequential["answers"])
    assert smol and tiny and smol != tiny, (smol, tiny)  # each model answers its own request
    assert sequential["finalMessages"] == [smol, tiny]  # getMessage(modelId)
    assert [answer["message"] for answer in parallel["answers"]] == [smol, tiny]  # both at once, same answers
    assert parallel["finalMessages"] == [smol, tiny]
    for answer, model_id in zip(sequential["answers"] + parallel["answers"], output["models"] * 2):
        assert_usage(answer["usage"])
        assert answer["models"] == [model_id]  # every chunk from the model the request named
    assert page.inner_text("#generate-label-2") == tiny
    ambiguous = output["ambiguous"]
    assert ambiguous["name"] == "InvalidRequestError" and ambiguous["param"] == "model", ambiguous
    assert MODEL_ID in ambiguous["message"] and TINY_MODEL_ID in ambiguous["message"]


def test_embeddings_example(browser, served):
    output, _ = run_example(browser, served, "embeddings")
    api, rag = output["api"], output["rag"]
    assert api["object"] == "list" and api["model"] == DEFAULT_EMBEDDING_MODEL_ID and api["dimensions"] == [384, 384]
    for usage in api["usage"]:
        assert usage["prompt_tokens"] == usage["total_tokens"] > 4
    # WebLLM's printout: each query is nearest to its own document ("what is snowflake?" to
    # "The Data Cloud!", the tacos to Mexico City); all-MiniLM-L6-v2 on lavapipe: 0.128 > -0.035, 0.297 > 0.070
    (snow_cloud, snow_mexico), (tacos_cloud, tacos_mexico) = api["similarities"]
    assert snow_cloud > snow_mexico and tacos_mexico > tacos_cloud, api["similarities"]
    assert all(-1 <= s <= 1 for row in api["similarities"] for s in row)
    assert math.isclose(tacos_mexico, 0.297, abs_tol=0.01)
    # simpleRAG: the retriever finds the passage, the chat model of the same engine answers from it
    assert rag["context"] == "mitochondria is the powerhouse of the cell" and max(rag["scores"]) > 0.7
    assert "mitochondria" in rag["answer"].lower(), rag["answer"]


def test_get_started_web_worker_example(browser, served):
    output, page = run_example(browser, served, "get-started-web-worker")
    reply = output["nonStreaming"]
    assert reply["model"] == MODEL_ID and len(reply["choices"]) == 2 and all(c["message"]["content"]
                                                                            for c in reply["choices"])
    assert_usage(reply["usage"], 2)
    streaming = output["streaming"]
    *content_chunks, last = streaming["chunks"]
    assert streaming["message"] and streaming["message"] == streaming["finalMessage"]
    assert page.inner_text("#generate-label") == streaming["message"]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in streaming["chunks"]) == streaming["message"]
    assert last["choices"][0]["finish_reason"] in ("stop", "length")
    assert "decoding:" in streaming["stats"]
    # the worker's engine is the example's own worker.js, not /lib/worker.js
    assert any(worker.url.endswith("/examples/get-started-web-worker/worker.js") for worker in page.workers)
