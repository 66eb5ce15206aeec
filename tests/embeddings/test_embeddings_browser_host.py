"""BrowserHost's embedding envelope, driven natively (its BrowserDevice swapped for the native device)."""

import asyncio
import json

from webgpu_llm import AsyncEmbeddingEngine
from webgpu_llm.engine import browser_host


def test_embedding_envelopes(minilm_folder, device, monkeypatch):
    monkeypatch.setattr(browser_host, "BrowserDevice", lambda bridge: device)
    host = browser_host.BrowserHost(bridge=None)

    async def scenario():
        not_loaded = json.loads(await host.embedding(json.dumps({"input": "a"})))
        host.encoder = AsyncEmbeddingEngine(minilm_folder, device=device)
        reply = json.loads(await host.embedding(json.dumps({"input": ["a", "b"]})))
        bad = json.loads(await host.embedding(json.dumps({"input": []})))
        chat = json.loads(await host.chat(json.dumps({"messages": [{"role": "user", "content": "hi"}]})))
        await host.unload()
        return not_loaded, reply, bad, chat, host.encoder

    not_loaded, reply, bad, chat, encoder = asyncio.new_event_loop().run_until_complete(scenario())
    assert not_loaded["error"]["name"] == "EngineNotLoadedError"
    assert [item["index"] for item in reply["ok"]["data"]] == [0, 1]
    assert bad["error"]["name"] == "InvalidRequestError" and bad["error"]["param"] == "input"
    assert chat["error"]["name"] == "InvalidRequestError" and chat["error"]["param"] == "model"
    assert encoder is None
