"""The extension transport: a real MV3 extension service worker, reached over chrome.runtime Ports."""

import shutil
from pathlib import Path

import pytest

from browser_support import WEB_DIR, launch_chromium
from transport_checks import check_suite

FIXTURES = Path(__file__).parent / "fixtures"
EXTENSION = FIXTURES / "extension"


def build_extension(folder, background):
    """An unpacked extension: the manifest, one background variant, the JS client under lib/, the test engine."""
    shutil.copytree(EXTENSION, folder, ignore=shutil.ignore_patterns("background_*.js"))
    shutil.copy(EXTENSION / background, folder / "background.js")
    shutil.copytree(WEB_DIR, folder / "lib", ignore=shutil.ignore_patterns("app", "*.json", "*.html", "*.css"))
    for name in ("echo_engine.js", "harness.js", "page.html"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


@pytest.fixture(params=["background_webllm_form.js", "background_self_listening.js"])
def extension(request, playwright, tmp_path):
    """(browser context, extension origin) with the extension loaded in a fresh profile."""
    folder = build_extension(tmp_path / "extension", request.param)
    context = launch_chromium(playwright, extension_dir=folder)
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    origin = worker.url.rsplit("/", 1)[0]
    yield context, origin
    context.close()


# Connects a proxy as window.engine, recording progress reports in window.progress.
CREATE = """async ([origin, chatOpts, keepAliveMs]) => {
    const { CreateExtensionServiceWorkerMLCEngine } = await import(origin + "/lib/index.js");
    window.progress = [];
    window.engine = await CreateExtensionServiceWorkerMLCEngine("echo-model",
        { initProgressCallback: (report) => window.progress.push(report) }, chatOpts ?? undefined, keepAliveMs);
    return { progress: window.progress, info: await window.engine.getLoadedModelInfo() };
}"""


def open_page(context, origin):
    page = context.new_page()
    page.goto(origin + "/page.html")
    return page


def test_extension_transport(extension):
    context, origin = extension
    page = open_page(context, origin)
    created = page.evaluate(CREATE, [origin, None, 10_000])
    assert [p["progress"] for p in created["progress"]] == [0, 0.5, 1]
    result = page.evaluate("""async (origin) => {
        const { runSuite, ERROR_SPECS } = await import(origin + "/harness.js");
        return { specs: ERROR_SPECS, report: await runSuite(window.engine) };
    }""", origin)
    check_suite(result["report"], result["specs"])


def test_keep_alive_and_reload_skip_and_gone_page(extension):
    context, origin = extension
    first = open_page(context, origin)
    first.evaluate(CREATE, [origin, {"temperature": 0.7}, 100])
    beats = first.evaluate("""async () => {
        let beats = 0;
        const onmessage = window.engine.onmessage.bind(window.engine);
        window.engine.onmessage = (message) => { if (message?.kind === "heartbeat") beats += 1; onmessage(message); };
        await new Promise((resolve) => setTimeout(resolve, 1200));
        return { beats, missed: window.engine.missedHeartbeat };
    }""")
    assert beats["beats"] >= 6 and beats["missed"] <= 1, beats

    # The first page leaves in the middle of a stream that holds the engine.
    first.evaluate("""async () => {
        const stream = await window.engine.chat.completions.create(
            { messages: [{ role: "user", content: "la" }], stream: true, endless: true, delayMs: 5 });
        const iterator = stream[Symbol.asyncIterator]();
        for (let i = 0; i < 3; i++) await iterator.next();
    }""")
    first.close()

    # A second page: the model is still loaded (progress 1 at once), and its request is served.
    second = open_page(context, origin)
    created = second.evaluate(CREATE, [origin, {"temperature": 0.7}, 10_000])
    assert len(created["progress"]) == 1 and created["progress"][0]["progress"] == 1
    assert created["progress"][0]["text"].startswith("Finish loading on WebGPU")
    served = second.evaluate("""async () => {
        const reply = window.engine.chat.completions.create({ messages: [{ role: "user", content: "served" }] });
        const done = await Promise.race([reply, new Promise((resolve) => setTimeout(() => resolve(null), 8000))]);
        return { content: done && done.choices[0].message.content, info: await window.engine.getLoadedModelInfo() };
    }""")
    assert served["content"] == "served"
    assert served["info"]["weightLoads"] == 1 and served["info"]["generationsClosedEarly"] == 1
