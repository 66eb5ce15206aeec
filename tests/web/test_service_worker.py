"""The service-worker transport: a real module ServiceWorker running the real handler around a test engine."""

import time

from transport_checks import check_suite

REGISTER = """async (script) => {
    await navigator.serviceWorker.register(script, { type: "module", scope: "/" });
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve,
                                                                                { once: true }));
    }
}"""

# Creates the proxy as window.engine, recording progress reports in window.progress.
CREATE = """async ([chatOpts, keepAliveMs]) => {
    const { CreateServiceWorkerMLCEngine } = await import("/lib/index.js");
    window.progress = [];
    window.engine = await CreateServiceWorkerMLCEngine("echo-model",
        { initProgressCallback: (report) => window.progress.push(report) }, chatOpts ?? undefined, keepAliveMs);
    return { progress: window.progress, info: await window.engine.getLoadedModelInfo() };
}"""


def open_page(browser, server, script="/echo_sw.js"):
    page = browser.new_page()
    page.goto(server.url + "/page.html")
    page.evaluate(REGISTER, script)
    return page


def test_service_worker_transport(browser, server):
    page = open_page(browser, server)
    created = page.evaluate(CREATE, [None, 10_000])
    assert [p["progress"] for p in created["progress"]] == [0, 0.5, 1]
    result = page.evaluate("""async () => {
        const { runSuite, ERROR_SPECS } = await import("/harness.js");
        return { specs: ERROR_SPECS, report: await runSuite(window.engine) };
    }""")
    check_suite(result["report"], result["specs"])


def test_keep_alive_gets_heartbeats(browser, server):
    page = open_page(browser, server)
    page.evaluate(CREATE, [None, 100])
    result = page.evaluate("""async () => {
        let beats = 0;
        const onmessage = window.engine.onmessage.bind(window.engine);
        window.engine.onmessage = (event) => {
            if (event.data?.kind === "heartbeat") beats += 1;
            onmessage(event);
        };
        await new Promise((resolve) => setTimeout(resolve, 1200));
        return { beats, missed: window.engine.missedHeartbeat, webllmName: window.engine.missedHeatbeat };
    }""")
    assert result["beats"] >= 6, result
    assert result["missed"] <= 1 and result["webllmName"] == result["missed"]


def test_reload_of_the_loaded_model_is_skipped(browser, server):
    first = open_page(browser, server)
    created = first.evaluate(CREATE, [{"temperature": 0.7}, 10_000])
    assert created["info"]["weightLoads"] == 1

    # Another page of the origin finds the model loaded: progress 1 at once, no second load.
    second = open_page(browser, server)
    created = second.evaluate(CREATE, [{"temperature": 0.7}, 10_000])
    assert len(created["progress"]) == 1
    report = created["progress"][0]
    assert report["progress"] == 1 and report["timeElapsed"] == 0
    assert report["text"].startswith("Finish loading on WebGPU")
    assert created["info"]["weightLoads"] == 1
    # The first page got none of the second page's progress.
    assert len(first.evaluate("window.progress")) == 3

    # Other chat options do load again.
    created = second.evaluate(CREATE, [{"temperature": 0.1}, 10_000])
    assert [p["progress"] for p in created["progress"]] == [0, 0.5, 1]
    assert created["info"]["weightLoads"] == 2


START_ENDLESS_STREAM = """async () => {
    const stream = await window.engine.chat.completions.create(
        { messages: [{ role: "user", content: "la" }], stream: true, endless: true, delayMs: 5 });
    window.iterator = stream[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) await window.iterator.next();
}"""

SERVED_WITHIN = """async (ms) => {
    const start = performance.now();
    const reply = window.engine.chat.completions.create({ messages: [{ role: "user", content: "served" }] });
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), ms));
    const done = await Promise.race([reply, timeout]);
    return { content: done && done.choices[0].message.content, ms: performance.now() - start,
             info: await window.engine.getLoadedModelInfo() };
}"""


def test_page_gone_mid_stream_frees_the_engine(browser, server):
    first = open_page(browser, server)
    first.evaluate(CREATE, [None, 10_000])
    first.evaluate(START_ENDLESS_STREAM)
    first.close()  # gone in the middle of its stream, which holds the engine

    second = open_page(browser, server)
    second.evaluate(CREATE, [None, 10_000])
    served = second.evaluate(SERVED_WITHIN, 8000)
    assert served["content"] == "served", served
    assert served["info"]["generationsClosedEarly"] == 1
    assert served["info"]["weightLoads"] == 1


def test_stream_nobody_pulls_is_closed(browser, server):
    page = open_page(browser, server, "/echo_sw.js?idle=300")
    page.evaluate(CREATE, [None, 10_000])
    page.evaluate(START_ENDLESS_STREAM)
    time.sleep(1.5)
    served = page.evaluate(SERVED_WITHIN, 8000)
    assert served["content"] == "served" and served["info"]["generationsClosedEarly"] == 1
    error = page.evaluate("""async () => {
        try { await window.iterator.next(); return null; }
        catch (e) { return [e.name, e.code]; }
    }""")
    assert error == ["InvalidRequestError", "stream_not_found"]
