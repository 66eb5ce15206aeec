"""The Web Worker transport: a real module Worker running the real handler around a test engine."""

import subprocess

from transport_checks import check_suite

WORKER_SUITE = """async () => {
    const { CreateWebWorkerMLCEngine } = await import("/lib/index.js");
    const { runSuite, ERROR_SPECS } = await import("/harness.js");
    const worker = new Worker("/echo_worker.js", { type: "module" });
    const progress = [];
    const engine = await CreateWebWorkerMLCEngine(worker, "echo-model",
        { initProgressCallback: (report) => progress.push(report) });
    return { progress, specs: ERROR_SPECS, report: await runSuite(engine) };
}"""


def test_worker_transport(page):
    result = page.evaluate(WORKER_SUITE)
    assert result["progress"] == [
        {"progress": p, "timeElapsed": p / 10, "text": f"loading echo-model {p}"} for p in (0, 0.5, 1)]
    check_suite(result["report"], result["specs"])


def test_errors_before_reload_and_from_reload(page):
    result = page.evaluate("""async () => {
        const { WebWorkerMLCEngine, EngineNotLoadedError, ModelNotFoundError } = await import("/lib/index.js");
        const engine = new WebWorkerMLCEngine(new Worker("/echo_worker.js", { type: "module" }));
        const out = {};
        try { await engine.chat.completions.create({ messages: [] }); }
        catch (e) { out.notLoaded = [e instanceof EngineNotLoadedError, e.code, e.message]; }
        try { await engine.reload("missing"); }
        catch (e) { out.reload = [e instanceof ModelNotFoundError, e.message]; }
        try { await engine.request("noSuchKind", null); }
        catch (e) { out.unknownKind = [e.name, e.code]; }
        return out;
    }""")
    assert result["notLoaded"][:2] == [True, "engine_not_loaded"] and "reload" in result["notLoaded"][2]
    assert result["reload"][0] is True and '"missing"' in result["reload"][1]
    assert result["unknownKind"] == ["UnknownMessageKindError", "unknown_message_kind"]


def test_app_config_reaches_the_engine(page):
    info = page.evaluate("""async () => {
        const { CreateWebWorkerMLCEngine } = await import("/lib/index.js");
        const appConfig = { model_list: [{ model: "https://h/u/echo", model_id: "echo-model", model_lib: "" }] };
        const engine = await CreateWebWorkerMLCEngine(new Worker("/echo_worker.js", { type: "module" }),
            "echo-model", { appConfig }, { temperature: 0.5 });
        return engine.getLoadedModelInfo();
    }""")
    assert info["appConfig"]["model_list"][0]["model_id"] == "echo-model"
    assert info["chatOpts"] == {"temperature": 0.5}


def test_index_exports_webllm_names(page):
    names = page.evaluate("""async () => Object.keys(await import("/lib/index.js")).sort()""")
    for name in ["CreateMLCEngine", "MLCEngine", "CreateWebWorkerMLCEngine", "WebWorkerMLCEngine",
                 "WebWorkerMLCEngineHandler", "CreateServiceWorkerMLCEngine", "ServiceWorkerMLCEngine",
                 "ServiceWorkerMLCEngineHandler", "CreateExtensionServiceWorkerMLCEngine",
                 "ExtensionServiceWorkerMLCEngine", "ExtensionServiceWorkerMLCEngineHandler", "prebuiltAppConfig",
                 "hasModelInCache", "deleteModelAllInfoInCache", "deleteModelInCache", "deleteChatConfigInCache",
                 "WebGPULLMError", "InvalidRequestError", "ContextWindowExceededError", "UnknownModelError",
                 "EngineNotLoadedError", "ModelNotFoundError", "ModelDownloadError", "ShardChecksumError",
                 "CacheQuotaError", "WebGPUNotAvailableError", "FeatureNotSupportedError"]:
        assert name in names


WORKER_FAILURE = """async (mode) => {
    const { CreateWebWorkerMLCEngine, FeatureNotSupportedError, WebGPULLMError } = await import("/lib/index.js");
    const worker = new Worker(`/failing_worker.js?mode=${mode}`, { type: "module" });
    const timeout = new Promise((resolve) => setTimeout(() => resolve("still waiting"), 5000));
    const created = CreateWebWorkerMLCEngine(worker, "echo-model").then(() => "resolved", (e) =>
        [e.name, e instanceof FeatureNotSupportedError, e instanceof WebGPULLMError, e.message]);
    return Promise.race([created, timeout]);
}"""


def test_an_error_outside_a_request_rejects_the_pending_reload_with_its_class(page):
    for mode in ("uncaught", "rejection"):
        result = page.evaluate(WORKER_FAILURE, mode)
        assert result[:3] == ["FeatureNotSupportedError", True, True], (mode, result)
        assert "outside any request" in result[3]


def test_the_workers_error_event_rejects_the_pending_reload(page):
    # No reportUncaught in the worker: the page still sees its "error" event, class from its text.
    result = page.evaluate(WORKER_FAILURE, "silent")
    assert result[0] == "FeatureNotSupportedError" and "thrown outside any request" in result[3]


def test_a_worker_script_that_fails_to_load_rejects_the_pending_reload(page):
    result = page.evaluate("""async () => {
        const { CreateWebWorkerMLCEngine, TransportError } = await import("/lib/index.js");
        const worker = new Worker("/no_such_worker.js", { type: "module" });
        const timeout = new Promise((resolve) => setTimeout(() => resolve("still waiting"), 5000));
        return Promise.race([CreateWebWorkerMLCEngine(worker, "echo-model").then(() => "resolved",
            (e) => [e.name, e instanceof TransportError]), timeout]);
    }""")
    assert result == ["TransportError", True]


def test_an_unknown_kind_is_answered_with_an_error(page):
    result = page.evaluate("""async () => {
        const worker = new Worker("/echo_worker.js", { type: "module" });
        const reply = new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
        worker.postMessage({ kind: "noSuchKind", uuid: "u1", content: null });
        return reply;
    }""")
    assert result["kind"] == "throw" and result["uuid"] == "u1"
    assert result["content"]["name"] == "UnknownMessageKindError"
