"""The chat app (web/app/) in headless Chromium, served with a static server.

- Without WebGPU, with the real JS client at /lib: a clear message, input disabled.
- With SwiftShader WebGPU and a scripted client (fake_lib/index.js): the app's
  own behaviour - feature check, remembered model, progress, streaming Markdown,
  multi-turn history, stats, Stop, New chat, errors shown in the page.
The full flow against the real engine is test_chat_app_e2e.py.
"""

from pathlib import Path

import pytest

import browser_support

APP_DIR = browser_support.WEB_DIR / "app"
# A scripted stand-in for /lib/index.js: the app's own behaviour, without the engine.
FAKE_LIB_DIR = Path(__file__).resolve().parent / "fake_lib"

QUESTION = "What is the capital of France?"
REPLY = "Paris is the **capital** of France.\n\n- `one`\n- two"  # fake_lib/index.js REPLY
DONE = ".message.assistant[data-done='true']"


def open_app(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready='true']", state="attached")


def fake_calls(page, method):
    return page.evaluate("(method) => fakeEngineCalls.filter((call) => call.method === method)", method)


def load(page, model_id="fake-a"):
    page.select_option("#model-select", model_id)
    page.click("#load-button")
    page.wait_for_function("() => !document.querySelector('#load-button').disabled")


def send(page, text):
    page.fill("#prompt", text)
    done_before = page.locator(DONE).count()
    page.click("#send-button")
    page.wait_for_function("([selector, n]) => document.querySelectorAll(selector).length > n",
                           arg=[DONE, done_before])
    return page.locator(".message.assistant").last


@pytest.fixture
def fake_app_server():
    with browser_support.StaticServer(APP_DIR, mounts={"/lib/": FAKE_LIB_DIR}) as server:
        yield server


@pytest.mark.parametrize("gpu", ["adapter-null", "navigator-gpu-missing"])
def test_without_webgpu_says_so_and_disables_input(open_page, gpu):
    page = open_page(webgpu=False)  # no --enable-unsafe-webgpu: requestAdapter() gives null here
    if gpu == "navigator-gpu-missing":
        page.add_init_script("delete Navigator.prototype.gpu")
    with browser_support.StaticServer(APP_DIR) as server:  # the real client at /lib/
        open_app(page, server)
        listed = page.eval_on_selector_all("#model-select option", "(options) => options.map((o) => o.value)")
        configured = page.evaluate("""async () => (await import("/lib/index.js"))
            .prebuiltAppConfig.model_list.map((record) => record.model_id)""")
    status = page.locator("#status")
    assert status.is_visible()
    assert "WebGPU" in status.inner_text()
    expected = "navigator.gpu is missing" if gpu == "navigator-gpu-missing" else "requestAdapter() returned null"
    assert expected in status.inner_text()
    for control in ("#prompt", "#send-button", "#load-button", "#model-select", "#stop-button", "#new-chat-button"):
        assert page.locator(control).is_disabled(), control
    assert listed == configured and listed


def test_model_needing_a_missing_feature_disables_input(open_page, fake_app_server):
    page = open_page()  # SwiftShader: no shader-f16
    open_app(page, fake_app_server)
    page.select_option("#model-select", "fake-f16")
    assert "shader-f16" in page.inner_text("#status")
    assert page.locator("#load-button").is_disabled()
    assert page.locator("#prompt").is_disabled()
    page.select_option("#model-select", "fake-a")
    assert page.locator("#status").is_hidden()
    assert page.locator("#load-button").is_enabled()


def test_embedding_models_are_not_offered_for_chat(open_page, fake_app_server):
    page = open_page()
    open_app(page, fake_app_server)
    listed = page.eval_on_selector_all("#model-select option", "(options) => options.map((o) => o.value)")
    assert listed == ["fake-a", "fake-f16", "fake-missing"]  # fake-embed has model_type 1 (embedding)


def test_remembers_the_model_choice(open_page, fake_app_server):
    page = open_page()
    open_app(page, fake_app_server)
    assert page.input_value("#model-select") == "fake-a"
    page.select_option("#model-select", "fake-missing")
    open_app(page, fake_app_server)
    assert page.input_value("#model-select") == "fake-missing"


def test_chat_streams_markdown_keeps_history_and_shows_stats(open_page, fake_app_server):
    page = open_page()
    open_app(page, fake_app_server)
    assert page.locator("#prompt").is_disabled()  # nothing loaded yet
    load(page)
    assert page.locator("#status").is_hidden()
    assert page.eval_on_selector("#progress", "(p) => p.value") == 1
    assert page.inner_text("#progress-text") == "100% fetching fake-a"
    [created] = fake_calls(page, "CreateWebWorkerMLCEngine")
    assert created == {"method": "CreateWebWorkerMLCEngine", "modelId": "fake-a", "isWorker": True,
                       "sameAppConfig": True}

    first = send(page, QUESTION)
    assert first.get_attribute("class") == "message assistant"
    assert first.inner_html() == ("<p>Paris is the <strong>capital</strong> of France.</p>\n"
                                  "<ul><li><code>one</code></li><li>two</li></ul>")
    assert page.inner_text("#stats").startswith("prefill 123.5 tokens/s, decode 7.9 tokens/s")

    page.fill("#prompt", "And of Italy?")
    page.press("#prompt", "Enter")  # Enter sends too
    page.wait_for_function(f"() => document.querySelectorAll({DONE!r}).length === 2")
    requests = [call["request"] for call in fake_calls(page, "create")]
    assert requests[0]["stream"] is True and requests[0]["stream_options"] == {"include_usage": True}
    assert requests[1]["messages"] == [{"role": "user", "content": QUESTION},
                                       {"role": "assistant", "content": REPLY},
                                       {"role": "user", "content": "And of Italy?"}]
    assert page.locator(".message.user").all_inner_texts() == [QUESTION, "And of Italy?"]


def test_stop_keeps_the_partial_reply_and_new_chat_clears(open_page, fake_app_server):
    page = open_page()
    open_app(page, fake_app_server)
    load(page)
    page.fill("#prompt", "slow")  # the fake streams until interrupted
    page.click("#send-button")
    page.wait_for_function("() => document.querySelector('.message.assistant').textContent.length > 20")
    assert page.locator("#send-button").is_disabled()
    page.click("#stop-button")
    page.wait_for_selector(DONE)
    assert len(fake_calls(page, "interruptGenerate")) == 1
    assert page.locator("#stop-button").is_disabled()
    partial = page.inner_text(".message.assistant")

    send(page, "go on")
    history = fake_calls(page, "create")[-1]["request"]["messages"]
    assert [message["role"] for message in history] == ["user", "assistant", "user"]
    assert history[1]["content"].strip() == partial.strip()

    page.click("#new-chat-button")
    page.wait_for_function("() => document.querySelector('#messages').children.length === 0")
    assert len(fake_calls(page, "resetChat")) == 1
    assert page.inner_text("#stats") == ""
    send(page, QUESTION)
    assert fake_calls(page, "create")[-1]["request"]["messages"] == [{"role": "user", "content": QUESTION}]


def test_engine_errors_are_shown_in_the_page(open_page, fake_app_server):
    page = open_page()
    open_app(page, fake_app_server)
    load(page, "fake-missing")
    assert page.inner_text("#status") == (
        "ModelDownloadError: GET /models/fake-missing/resolve/main/mlc-chat-config.json: 404")
    assert page.locator("#prompt").is_disabled()

    load(page, "fake-a")  # a new worker and engine: the failed one was terminated
    assert page.locator("#status").is_hidden()
    assert len(fake_calls(page, "CreateWebWorkerMLCEngine")) == 2
    failed = send(page, "fail")
    assert page.inner_text("#status") == "ContextWindowExceededError: prompt of 9000 tokens > 2048"
    assert failed.get_attribute("class") == "message assistant error"
    assert "ContextWindowExceededError" in failed.inner_text()

    send(page, QUESTION)  # the failed turn is not part of the history
    assert page.locator("#status").is_hidden()
    assert fake_calls(page, "create")[-1]["request"]["messages"] == [{"role": "user", "content": QUESTION}]
