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
        host.engines = {engine.model_id: engine.engine}
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


def test_get_message_with_several_choices_is_the_last_one(host, engine):
    """WebLLM's getMessage() after n > 1 is the choice generated last, streamed or not."""
    request = {"messages": QUESTION, "max_tokens": 6, "temperature": 1.5, "seed": 7, "n": 2}

    async def scenario():
        host.engines = {engine.model_id: engine.engine}
        stream_id = unwrap(await host.chat(json.dumps({**request, "stream": True})))["stream"]
        texts: dict[int, str] = {}
        while (chunk := unwrap(await host.next_chunk(stream_id))) is not None:
            for c in chunk["choices"]:
                texts[c["index"]] = texts.get(c["index"], "") + (c["delta"].get("content") or "")
        streamed_message = unwrap(await host.get_message())
        reply = unwrap(await host.chat(json.dumps(request)))
        return texts, streamed_message, reply, unwrap(await host.get_message())

    texts, streamed_message, reply, message = asyncio.new_event_loop().run_until_complete(scenario())
    assert sorted(texts) == [0, 1] and texts[0] != texts[1]  # seeded choices differ (OpenAI's n)
    assert streamed_message == texts[1]
    assert [c["message"]["content"] for c in reply["choices"]] == [texts[0], texts[1]]  # the seed repeats
    assert message == texts[1]


# ---------------------------------------------------------------- several models at once
SMOLLM2 = "SmolLM2-135M-Instruct-q4f16_1-MLC"
GREEDY = {"messages": QUESTION, "max_tokens": 6, "temperature": 0, "logit_bias": {"2": -100}}


@pytest.fixture(scope="module")
def tiny_engine(tiny_llama_folder, device):
    from webgpu_llm.engine import Engine

    return Engine(tiny_llama_folder, device=device, context_window_size=256, prefill_chunk_size=64)


def error_of(envelope: str) -> dict:
    reply = json.loads(envelope)
    assert "ok" not in reply, reply
    return reply["error"]


def test_two_models_answer_their_own_requests(host, engine, tiny_engine):
    tiny = tiny_engine.model_id
    host.engines = {SMOLLM2: engine.engine, tiny: tiny_engine.engine}

    async def scenario():
        smol_reply = unwrap(await host.chat(json.dumps({**GREEDY, "model": SMOLLM2})))
        stream_id = unwrap(await host.chat(json.dumps({**GREEDY, "model": tiny, "stream": True})))["stream"]
        streamed = []
        while (chunk := unwrap(await host.next_chunk(stream_id))) is not None:
            streamed.append(chunk)
        text = unwrap(await host.completion(json.dumps({"prompt": "Paris is", "max_tokens": 3, "temperature": 0,
                                                        "model": tiny})))
        messages = {m: unwrap(await host.get_message(m)) for m in (SMOLLM2, tiny)}
        stats = unwrap(await host.runtime_stats_text(tiny))
        unwrap(await host.reset_chat(False, tiny))
        after_reset = {m: unwrap(await host.get_message(m)) for m in (SMOLLM2, tiny)}
        return smol_reply, streamed, text, messages, stats, after_reset

    smol_reply, streamed, text, messages, stats, after_reset = \
        asyncio.new_event_loop().run_until_complete(scenario())
    smol_answer = smol_reply["choices"][0]["message"]["content"]
    tiny_answer = "".join(c["delta"].get("content") or "" for chunk in streamed for c in chunk["choices"])
    assert smol_reply["model"] == SMOLLM2 and {chunk["model"] for chunk in streamed} == {tiny}
    assert text["model"] == tiny
    assert "Paris" in smol_answer and tiny_answer and tiny_answer != smol_answer
    assert messages == {SMOLLM2: smol_answer, tiny: tiny_answer}  # getMessage(modelId): each its own
    assert "decoding:" in stats
    assert after_reset == {SMOLLM2: smol_answer, tiny: ""}  # resetChat(keepStats, modelId): that model only


def test_with_two_models_loaded_a_call_must_name_one(host, engine, tiny_engine):
    tiny = tiny_engine.model_id
    host.engines = {SMOLLM2: engine.engine, tiny: tiny_engine.engine}

    async def scenario():
        return [error_of(await call) for call in (
            host.chat(json.dumps(GREEDY)), host.completion(json.dumps({"prompt": "Hi"})),
            host.chat(json.dumps({**GREEDY, "model": "not-loaded"})),
            host.get_message(), host.runtime_stats_text(), host.reset_chat(False),
            host.embedding(json.dumps({"input": "Hi"})), host.embedding(json.dumps({"input": "Hi", "model": tiny})))]

    unnamed_chat, unnamed_completion, unknown, message, stats, reset, unnamed_embedding, not_encoder = \
        asyncio.new_event_loop().run_until_complete(scenario())
    for error in (unnamed_chat, unnamed_completion, message, stats, reset, unnamed_embedding):
        assert error["name"] == "InvalidRequestError" and error["param"] == "model", error
        assert SMOLLM2 in error["message"] and tiny in error["message"]
    assert "chat.completions.create" in unnamed_chat["message"] and "getMessage" in message["message"]
    assert unknown["name"] == "UnknownModelError" and unknown["param"] == "model"
    assert unknown["code"] == "model_not_found" and "'not-loaded' is not loaded" in unknown["message"]
    assert not_encoder["name"] == "InvalidRequestError" and "embedding model" in not_encoder["message"]


def test_one_model_loaded_may_go_unnamed(host, tiny_engine):
    host.engines = {tiny_engine.model_id: tiny_engine.engine}
    reply = asyncio.new_event_loop().run_until_complete(host.chat(json.dumps(GREEDY)))
    assert unwrap(reply)["model"] == tiny_engine.model_id


class FakeEngine:
    def __init__(self, model_id: str):
        self.model_id, self.unloaded = model_id, False

    def unload(self):
        self.unloaded = True


def test_reload_loads_every_id_in_order_and_none_if_one_fails(host, monkeypatch):
    loaded = []

    async def load(self, load, app_config, report):
        if load["modelId"] == "broken":
            raise ValueError("broken: no such file")
        loaded.append(FakeEngine(load["modelId"]))
        return loaded[-1]

    monkeypatch.setattr(browser_host.BrowserHost, "_load", load)
    monkeypatch.setattr(host, "device", type("Device", (), {"info": type("Info", (), {"name": "fake"})}))
    loads = lambda *ids: json.dumps([{"modelId": i, "baseUrl": f"/m/{i}/", "chatOptions": {}} for i in ids])  # noqa: E731

    async def scenario():
        both = unwrap(await host.reload(loads("a", "b"), None, None))
        ids = list(host.engines)
        again = error_of(await host.reload(loads("c", "broken"), None, None))
        duplicate = error_of(await host.reload(loads("d", "d"), None, None))
        return both, ids, again, duplicate

    both, ids, failed, duplicate = asyncio.new_event_loop().run_until_complete(scenario())
    assert both == {"modelId": ["a", "b"], "adapter": "fake"} and ids == ["a", "b"]
    assert failed["name"] == "ValueError" and host.engines == {}
    assert [e.unloaded for e in loaded] == [True, True, True]  # a and b by the second reload, c by its failure
    assert duplicate["name"] == "InvalidRequestError" and duplicate["param"] == "modelId"
