"""The chat app against the real `webgpu-llm serve`: the whole way a user goes.

Headless Chromium (SwiftShader WebGPU) opens "/", picks the embedded SmolLM2
q4f16_1 from the served app config, loads it in the Web Worker (Pyodide + the
engine wheel + the model files from /models/), asks a question and waits for
the streamed reply. SwiftShader computes on the CPU: loading and answering take
minutes, hence the timeouts. A screenshot of the end state is saved either way.
"""

import re
import shutil

import pytest

from server_support import running_server

QUESTION = "What is the capital of France?"
MODEL_ID = "SmolLM2-135M-Instruct-q4f16_1-MLC"
LOAD_TIMEOUT_MS = 15 * 60 * 1000
REPLY_TIMEOUT_MS = 15 * 60 * 1000
SCREENSHOT_COPY = "/tmp/chat_app.png"
# Our stats line; runtimeStatsText() (WebLLM's wording) is the fallback when a reply carries no usage.
SPEED = re.compile(r"prefill:? (?P<prefill>[\d.]+) tokens/s(?:ec)?.*decod(?:e|ing):? (?P<decode>[\d.]+) tokens/s(?:ec)?")


def test_chat_app_answers_with_the_real_engine(smollm2_folder, model_cache, open_page, tmp_path):
    folder = smollm2_folder("q4f16_1")
    assert folder.name == MODEL_ID
    screenshot = tmp_path / "chat_app.png"
    with running_server(model_cache, model=str(folder)) as base_url:
        page = open_page()  # SwiftShader WebGPU
        try:
            page.goto(base_url + "/")
            page.wait_for_selector("body[data-ready='true']", state="attached")
            assert page.locator("#status").is_hidden(), page.inner_text("#status")
            page.select_option("#model-select", MODEL_ID)
            page.click("#load-button")
            # Loading ends with the Load button enabled again: loaded, or failed with a message in #status.
            page.wait_for_function("() => !document.querySelector('#load-button').disabled",
                                   timeout=LOAD_TIMEOUT_MS)
            assert page.locator("#status").is_hidden(), page.inner_text("#status")
            assert page.eval_on_selector("#progress", "(progress) => progress.value") == 1
            assert page.inner_text("#progress-text").startswith("100%")

            page.fill("#prompt", QUESTION)
            page.click("#send-button")
            page.wait_for_selector(".message.assistant[data-done='true']", state="attached",
                                   timeout=REPLY_TIMEOUT_MS)
            answer = page.inner_text(".message.assistant")
            stats = page.inner_text("#stats")
            status = page.inner_text("#status") if page.locator("#status").is_visible() else ""
        finally:
            page.screenshot(path=str(screenshot), full_page=True)
            shutil.copyfile(screenshot, SCREENSHOT_COPY)
            print(f"screenshot: {screenshot} (copied to {SCREENSHOT_COPY})")
    print(f"answer: {answer!r}\nstats: {stats!r}")
    assert status == ""
    assert page.get_attribute(".message.assistant", "class") == "message assistant"
    assert answer.strip()
    speed = SPEED.search(stats)
    assert speed, f"no prefill/decode tokens per second in the stats line {stats!r}"
    assert float(speed["prefill"]) > 0 and float(speed["decode"]) > 0
