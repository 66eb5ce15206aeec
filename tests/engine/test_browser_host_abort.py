"""BrowserHost without a GPU: unload() during reload() aborts it (AbortError, nothing stays
registered, what it loaded is freed, a later reload works), and a JS error that crossed into
Python as pyodide's JsException keeps its own class in the envelope."""

import asyncio
import json

from webgpu_llm.engine import browser_host


class FakeEngine:
    def __init__(self, model_id):
        self.model_id, self.unloaded = model_id, False

    def unload(self):
        self.unloaded = True


class FakeDevice:
    def __init__(self, bridge):
        self.forgotten = 0
        self.info = type("Info", (), {"name": "fake"})()

    def forget_lists(self):
        self.forgotten += 1


def make_host(monkeypatch, gate):
    monkeypatch.setattr(browser_host, "BrowserDevice", FakeDevice)
    host = browser_host.BrowserHost(bridge=None)
    made = []

    async def fake_load(load, app_config, report):
        report(0.1, "fetching shard 1")
        await gate.wait()
        report(0.9, "fetching shard 2")  # an aborted reload stops here
        made.append(FakeEngine(load["modelId"]))
        return made[-1]

    host._load = fake_load
    return host, made


LOADS = json.dumps([{"modelId": "m", "baseUrl": "u", "chatOptions": {}}])


def test_unload_during_reload_aborts_it_and_a_later_reload_works(monkeypatch):
    async def scenario():
        gate = asyncio.Event()
        host, made = make_host(monkeypatch, gate)
        reports = []
        loading = asyncio.ensure_future(host.reload(LOADS, None, lambda f, t: reports.append(f)))
        await asyncio.sleep(0)
        unloaded = json.loads(await host.unload())
        gate.set()
        aborted = json.loads(await loading)
        after_abort = (dict(host.engines), list(made))
        again = json.loads(await host.reload(LOADS, None, lambda f, t: None))
        return reports, unloaded, aborted, after_abort, again, host, made

    reports, unloaded, aborted, after_abort, again, host, made = asyncio.new_event_loop().run_until_complete(scenario())
    assert unloaded == {"ok": None}
    assert aborted["error"]["name"] == "AbortError" and aborted["error"]["domException"] is True
    assert reports == [0.1]  # no progress after the abort: the download stopped
    assert after_abort == ({}, [])  # aborted before its engine was made: nothing registered
    assert again == {"ok": {"modelId": ["m"], "adapter": "fake"}} and list(host.engines) == ["m"]


def test_an_engine_loaded_after_the_abort_is_freed(monkeypatch):
    async def scenario():
        gate = asyncio.Event()
        gate.set()
        host, made = make_host(monkeypatch, gate)

        async def load_then_abort(load, app_config, report):
            await host.unload()  # arrives during the last await of the load
            made.append(FakeEngine(load["modelId"]))
            return made[-1]

        host._load = load_then_abort
        return json.loads(await host.reload(LOADS, None, lambda f, t: None)), host, made

    aborted, host, made = asyncio.new_event_loop().run_until_complete(scenario())
    assert aborted["error"]["name"] == "AbortError"
    assert host.engines == {} and made[0].unloaded is True


class JsException(Exception):
    """pyodide.ffi.JsException's shape: the JS error under js_error."""

    def __init__(self, js_error):
        super().__init__(f"{js_error.name}: {js_error.message}")
        self.js_error = js_error


def test_a_js_error_keeps_its_class_across_pyodide():
    js = type("JsError", (), {"name": "FeatureNotSupportedError", "message": "no cross-origin cache",
                              "type": "invalid_request_error", "param": "cacheBackend", "code": None})()
    assert browser_host.error_envelope(JsException(js)) == {"error": {
        "name": "FeatureNotSupportedError", "message": "no cross-origin cache",
        "type": "invalid_request_error", "param": "cacheBackend", "code": None}}
    plain = type("Plain", (JsException,), {})  # not named JsException: the generic path
    assert browser_host.error_envelope(plain(js))["error"]["name"] == "Plain"
