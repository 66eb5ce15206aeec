"""worker.js and sw.js, the default scripts, wire the real MLCEngine to their handlers.

Only what needs no model: a query, and an error the engine throws before it
starts Python (loading a model through them is the engine's tests' job).
"""

import pytest

from browser_support import PYODIDE_DIR, XGRAMMAR_DIR

ASK = """async (engine) => {
    const { ModelNotFoundError } = await import("/lib/index.js");
    const info = await engine.getLoadedModelInfo();
    try {
        await engine.reload("no-such-model");
        return { info, error: null };
    } catch (e) {
        return { info, error: [e.name, e instanceof ModelNotFoundError, e.message, e.code] };
    }
}"""


def check(result):
    assert result["info"]["modelId"] is None and result["info"]["weightLoads"] == 0
    name, instance, message, code = result["error"]
    assert (name, instance, code) == ("ModelNotFoundError", True, "model_not_found")
    assert '"no-such-model"' in message and "SmolLM2-135M-Instruct-q4f32_1-MLC" in message


def test_default_worker_script(page):
    result = page.evaluate(f"""async () => {{
        const {{ WebWorkerMLCEngine }} = await import("/lib/index.js");
        const engine = new WebWorkerMLCEngine(new Worker("/lib/worker.js", {{ type: "module" }}));
        return ({ASK})(engine);
    }}""")
    check(result)


@pytest.mark.skipif(not (PYODIDE_DIR / "pyodide.asm.mjs").exists() or not (XGRAMMAR_DIR / "index.js").exists(),
                    reason="needs node_modules/pyodide and @mlc-ai/web-xgrammar (make install)")
def test_default_service_worker_script(page):
    """sw.js imports Pyodide and web-xgrammar statically (service workers forbid import()), installs, claims
    the page."""
    result = page.evaluate(f"""async () => {{
        await navigator.serviceWorker.register("/lib/sw.js", {{ type: "module", scope: "/" }});
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) {{
            await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve,
                                                                                    {{ once: true }}));
        }}
        const {{ ServiceWorkerMLCEngine }} = await import("/lib/index.js");
        return ({ASK})(new ServiceWorkerMLCEngine());
    }}""")
    check(result)
