"""BrowserHost's embedding envelope, driven natively (its BrowserDevice swapped for the native device)."""

import asyncio
import json

from webgpu_llm import AsyncEmbeddingEngine
from webgpu_llm.engine import AsyncEngine, browser_host

HI = [{"role": "user", "content": "hi"}]


def test_embedding_envelopes(minilm_folder, device, monkeypatch):
    monkeypatch.setattr(browser_host, "BrowserDevice", lambda bridge: device)
    host = browser_host.BrowserHost(bridge=None)

    async def scenario():
        not_loaded = json.loads(await host.embedding(json.dumps({"input": "a"})))
        encoder = AsyncEmbeddingEngine(minilm_folder, device=device)
        host.engines = {encoder.model_id: encoder}
        reply = json.loads(await host.embedding(json.dumps({"input": ["a", "b"]})))
        bad = json.loads(await host.embedding(json.dumps({"input": []})))
        chat = json.loads(await host.chat(json.dumps({"messages": HI})))
        await host.unload()
        return not_loaded, reply, bad, chat, host.engines

    not_loaded, reply, bad, chat, engines = asyncio.new_event_loop().run_until_complete(scenario())
    assert not_loaded["error"]["name"] == "EngineNotLoadedError"
    assert [item["index"] for item in reply["ok"]["data"]] == [0, 1]
    assert bad["error"]["name"] == "InvalidRequestError" and bad["error"]["param"] == "input"
    assert chat["error"]["name"] == "InvalidRequestError" and chat["error"]["param"] == "model"
    assert engines == {}


def test_an_encoder_beside_a_chat_model_is_routed_by_model(minilm_folder, tiny_llama_folder, device, monkeypatch):
    monkeypatch.setattr(browser_host, "BrowserDevice", lambda bridge: device)
    host = browser_host.BrowserHost(bridge=None)

    async def scenario():
        encoder = AsyncEmbeddingEngine(minilm_folder, device=device)
        chat_model = AsyncEngine(tiny_llama_folder, device=device, context_window_size=128)
        host.engines = {encoder.model_id: encoder, chat_model.model_id: chat_model}
        unnamed = json.loads(await host.embedding(json.dumps({"input": "a"})))
        embedded = json.loads(await host.embedding(json.dumps({"input": "a", "model": encoder.model_id})))
        chat = json.loads(await host.chat(json.dumps({"messages": HI, "max_tokens": 2, "model": chat_model.model_id})))
        await host.unload()
        return encoder.model_id, chat_model.model_id, unnamed, embedded, chat

    encoder_id, chat_id, unnamed, embedded, chat = asyncio.new_event_loop().run_until_complete(scenario())
    assert unnamed["error"]["name"] == "InvalidRequestError" and unnamed["error"]["param"] == "model"
    assert encoder_id in unnamed["error"]["message"] and chat_id in unnamed["error"]["message"]
    assert embedded["ok"]["model"] == encoder_id and len(embedded["ok"]["data"][0]["embedding"]) == 384
    assert chat["ok"]["model"] == chat_id and chat["ok"]["usage"]["completion_tokens"] == 2
