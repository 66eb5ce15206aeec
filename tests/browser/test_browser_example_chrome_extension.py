"""Done when: WebLLM's chrome-extension-webgpu-service-worker example, as rewritten in
examples/chrome-extension/ and built by its build.py, loads in headless Chromium
(--load-extension): its popup connects to the engine in the extension's service worker
(ExtensionServiceWorkerMLCEngineHandler), enables "Ask" once the model is loaded and streams
the answer; a popup opened again finds the model still loaded there."""

import importlib.util
import json

import pytest

from browser_cases import BROWSER_TIMEOUT_MS, open_page
from browser_support import REPO, launch_chromium

EXAMPLE = REPO / "examples" / "chrome-extension"


def load_build_script():
    spec = importlib.util.spec_from_file_location("chrome_extension_build", EXAMPLE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def extension_context(playwright, tmp_path, served):
    """(browser context, extension id) with the built example loaded in a fresh profile."""
    folder = load_build_script().build(tmp_path / "extension", served)
    context = launch_chromium(playwright, extension_dir=folder)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    yield context, worker.url.split("/")[2]
    context.close()


def ask(popup, question: str) -> dict:
    popup.wait_for_selector("#submit-button:enabled")  # the model is loaded
    popup.fill("#query-input", question)
    popup.click("#submit-button")
    popup.wait_for_selector("body[data-state]", state="attached")
    output = popup.inner_text("#output-label")
    assert popup.get_attribute("body", "data-state") == "done", output
    return json.loads(output)


def test_chrome_extension_example_answers_from_its_service_worker(extension_context):
    context, extension_id = extension_context
    popup = open_page(context, f"chrome-extension://{extension_id}/popup.html")
    first = ask(popup, "What is the capital of France?")
    assert "Paris" in first["message"], first
    assert first["chunks"] >= 3  # streamed: several deltas plus the usage chunk
    assert 0 < first["usage"]["completion_tokens"] <= 16
    assert popup.inner_text("#answer") == first["message"]
    assert any("Loading model" in text for text in first["progress"]), first["progress"]
    assert "Finish loading" in popup.inner_text("#init-label")
    popup.close()

    # The popup closes, the service worker keeps the model: the next popup does not load it again.
    again = open_page(context, f"chrome-extension://{extension_id}/popup.html")
    second = ask(again, "What is the capital of France?")
    assert second["message"] == first["message"]
    assert not any("Loading model" in text for text in second["progress"]), second["progress"]
