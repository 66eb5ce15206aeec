"""Done when: WebLLM's service-worker example, as rewritten in examples/service-worker/ (the
app's own sw.js with the plain `new ServiceWorkerMLCEngineHandler()` made on activate, no
runtime options), streams an answer in headless Chromium against `webgpu-llm serve`, and a
reloaded page gets the same greedy answer from the model still loaded in the service worker;
a JSON-mode request there shows the service worker found web-xgrammar by itself too; and after
the browser stopped the worker (as it does an idle one), a reloaded page is answered again."""

import json

from browser_cases import MODEL_ID, open_page

# The same service-worker engine (same model, no chat options: not loaded again), asked
# for JSON: unconstrained, SmolLM2 greets in words; the grammar makes it open an object.
JSON_MODE = """async (modelId) => {
  const { CreateServiceWorkerMLCEngine } = await import("/lib/index.js");
  const engine = await CreateServiceWorkerMLCEngine(modelId);
  const reply = await engine.chat.completions.create({ messages: [{ role: "user", content: "Say hello." }],
    response_format: { type: "json_object" }, temperature: 0, max_tokens: 6 });
  return reply.choices[0].message.content;
}"""


def finished_output(page) -> dict:
    page.wait_for_selector("body[data-state]", state="attached")
    output = page.inner_text("#output-label")
    assert page.get_attribute("body", "data-state") == "done", output
    return json.loads(output)


def test_service_worker_example_streams_and_survives_a_reload(browser, served):
    page = open_page(browser, f"{served}/examples/service-worker/")
    first = finished_output(page)
    assert first["message"].strip() and first["message"] == first["finalMessage"]
    assert first["chunks"] >= 3  # streamed: several deltas plus the usage chunk
    assert 0 < first["usage"]["completion_tokens"] <= 16
    assert any("Loading model" in text for text in first["progress"]), first["progress"]
    assert "Finish loading" in page.inner_text("#init-label")
    assert page.inner_text("#generate-label") == first["message"]

    page.reload()  # the service worker, and the model in it, stay
    second = finished_output(page)
    assert second["controlled"]  # this page load is the service worker's client
    assert second["message"] == first["message"]
    assert not any("Loading model" in text for text in second["progress"]), second["progress"]
    assert second["progress"][-1].startswith("Finish loading")

    json_text = page.evaluate(JSON_MODE, MODEL_ID)
    assert json_text.lstrip().startswith("{"), json_text


def test_service_worker_example_after_the_browser_stopped_its_worker(browser, served):
    """An idle service worker is stopped by the browser and started again for the next
    message, without a second "activate": the recipe's handler, made on activate, is then
    missing, and the client makes a plain one for the first message instead."""
    page = open_page(browser, f"{served}/examples/service-worker/")
    first = finished_output(page)

    devtools = browser.new_cdp_session(page)
    devtools.send("ServiceWorker.enable")
    devtools.send("ServiceWorker.stopAllWorkers")
    page.reload()
    page.wait_for_selector("body[data-state]", state="attached", timeout=120_000)
    again = finished_output(page)
    assert again["message"] == first["message"]
    assert any("Loading model" in text for text in again["progress"])  # a new worker: loaded anew
