"""Done when: a small Chrome extension using `CreateExtensionServiceWorkerMLCEngine`,
loaded with --load-extension, answers a prompt."""

import json
import shutil
import urllib.request

import pytest

from browser_cases import BROWSER_TIMEOUT_MS, CHAT_OPTIONS, MODEL_ID, QUESTION
from browser_support import PYODIDE_DIR, WEB_DIR, launch_chromium
from webgpu_llm import __version__

PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
MANIFEST = {
    "manifest_version": 3, "name": "webgpu-llm test extension", "version": "1.0",
    "background": {"service_worker": "background.js", "type": "module"},
    "host_permissions": ["http://127.0.0.1/*"],
    # WebAssembly (Pyodide) needs wasm-unsafe-eval in an extension's pages and service worker.
    "content_security_policy": {"extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"},
}
# The extension's service worker, as WebLLM's examples write it; Pyodide imported statically.
BACKGROUND = """import { ExtensionServiceWorkerMLCEngineHandler } from "./lib/extension_service_worker.js";
import { loadPyodide } from "./pyodide/pyodide.mjs";
import createPyodideModule from "./pyodide/pyodide.asm.mjs";

let handler;
chrome.runtime.onConnect.addListener((port) => {
  if (handler === undefined) {
    handler = new ExtensionServiceWorkerMLCEngineHandler(port, { loadPyodide, createPyodideModule });
  } else handler.setPort(port);
  port.onMessage.addListener(handler.onmessage.bind(handler));
});
"""
POPUP_HTML = '<!doctype html><meta charset="utf-8"><script type="module" src="popup.js"></script><p id="answer"></p>'
POPUP_JS = """import { CreateExtensionServiceWorkerMLCEngine } from "./lib/index.js";
const appConfig = %s;
window.ask = async (messages, chatOpts) => {
  const engine = await CreateExtensionServiceWorkerMLCEngine("%s", { appConfig }, chatOpts);
  let text = "";
  const request = { messages, temperature: 0, max_tokens: 8, stream: true };
  for await (const chunk of await engine.chat.completions.create(request)) {
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  document.getElementById("answer").textContent = text;
  return text;
};
"""


@pytest.fixture
def extension(tmp_path, served):
    """lib/ (the client and the engine wheel from the server), pyodide/, the worker and a page."""
    folder = tmp_path / "extension"
    shutil.copytree(WEB_DIR, folder / "lib", ignore=shutil.ignore_patterns("app", "package.json"))
    wheel = f"webgpu_llm-{__version__}-py3-none-any.whl"
    with urllib.request.urlopen(f"{served}/lib/{wheel}") as response:
        (folder / "lib" / wheel).write_bytes(response.read())
    (folder / "pyodide").mkdir()
    for name in PYODIDE_FILES:
        shutil.copy(PYODIDE_DIR / name, folder / "pyodide" / name)
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    (folder / "background.js").write_text(BACKGROUND)
    (folder / "popup.html").write_text(POPUP_HTML)
    app_config = {"model_list": [{"model": f"{served}/models/{MODEL_ID}", "model_id": MODEL_ID, "model_lib": ""}]}
    (folder / "popup.js").write_text(POPUP_JS % (json.dumps(app_config), MODEL_ID))
    return folder


def test_extension_service_worker_engine_answers(playwright, extension):
    context = launch_chromium(playwright, extension_dir=extension)
    try:
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
        extension_id = worker.url.split("/")[2]
        page = context.new_page()
        page.on("console", lambda m: print("console:", m.text))
        page.goto(f"chrome-extension://{extension_id}/popup.html")
        page.wait_for_function("typeof window.ask === 'function'")
        answer = page.evaluate("([messages, chatOpts]) => window.ask(messages, chatOpts)", [QUESTION, CHAT_OPTIONS])
        assert "Paris" in answer
        assert page.text_content("#answer") == answer
    finally:
        context.close()
