"""Headless Chromium, the real MLCEngine under Pyodide (no model needed): a JS error thrown
under Python (cache.js's FeatureNotSupportedError for WebLLM's cacheBackend "cross-origin",
called from BrowserHost.reload) reaches the page as its own class, not JsException; and
unload() during reload() rejects the reload with an AbortError."""

from __future__ import annotations

import pytest

from browser_support import PYODIDE_DIR
from webgpu_llm.server.wheel import build_wheel_bytes, wheel_filename

pytestmark = pytest.mark.skipif(not (PYODIDE_DIR / "pyodide.mjs").exists(), reason="needs node_modules/pyodide")

PAGE_SCRIPT = """async (wheelURL) => {
    const { MLCEngine, FeatureNotSupportedError } = await import("/lib/index.js");
    const record = { model: "https://huggingface.co/x/y", model_id: "y", model_lib: "" };
    const engine = new MLCEngine({ wheelURL, appConfig: { model_list: [record] } });
    const out = {};
    const loading = engine.reload("y");
    await engine.unload();
    try { await loading; out.aborted = "resolved"; }
    catch (e) { out.aborted = [e.name, e instanceof DOMException]; }
    out.afterAbort = await engine.getLoadedModelInfo();
    engine.setAppConfig({ model_list: [record], cacheBackend: "cross-origin" });
    try { await engine.reload("y"); out.crossOrigin = "resolved"; }
    catch (e) { out.crossOrigin = [e.name, e instanceof FeatureNotSupportedError, e.param, e.message]; }
    return out;
}"""


def test_js_error_class_survives_pyodide_and_unload_aborts_reload(page, server, models_dir):
    (models_dir / wheel_filename()).write_bytes(build_wheel_bytes())
    out = page.evaluate(PAGE_SCRIPT, f"{server.url}/models/{wheel_filename()}")
    assert out["aborted"] == ["AbortError", True]
    assert out["afterAbort"]["modelId"] is None
    name, is_class, param, message = out["crossOrigin"]
    assert (name, is_class, param) == ("FeatureNotSupportedError", True, "cacheBackend"), out
    assert "cross-origin" in message
