"""BrowserHost (what web/engine.js calls under Pyodide) driven natively: its BrowserDevice is
swapped for the native device and it is handed the loaded SmolLM2 engine, so the envelopes,
the chunk-per-call stream and getMessage() run as in the browser, minus JS."""

import asyncio
import json

import pytest

from webgpu_llm.engine import browser_host

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def host(engine, device, monkeypatch):
    monkeypatch.setattr(browser_host, "BrowserDevice", lambda bridge: device)
    return browser_host.BrowserHost(bridge=None)


def unwrap(envelope: str):
    reply = json.loads(envelope)
    assert "error" not in reply, reply
    return reply["ok"]


def test_get_message_is_the_streamed_answer(host, engine):
    request = {"messages": QUESTION, "max_tokens": 5, "temperature": 0}

    async def scenario():
        not_loaded = json.loads(await host.get_message())
        host.engine = engine.engine
        stream_id = unwrap(await host.chat(json.dumps({**request, "stream": True})))["stream"]
        pieces = []
        while (chunk := unwrap(await host.next_chunk(stream_id))) is not None:
            pieces += [c["delta"].get("content") or "" for c in chunk["choices"] if c["index"] == 0]
        streamed_message = unwrap(await host.get_message())
        reply = unwrap(await host.chat(json.dumps(request)))
        return not_loaded, "".join(pieces), streamed_message, reply, unwrap(await host.get_message())

    not_loaded, streamed, streamed_message, reply, message = asyncio.new_event_loop().run_until_complete(scenario())
    assert not_loaded["error"]["name"] == "EngineNotLoadedError"
    assert streamed and streamed_message == streamed
    assert message == reply["choices"][0]["message"]["content"] == streamed  # greedy: the same answer
