"""Done when (issue 11): the real Gemma 3 270M (q4f16_1, converted from its PyPI GGUF) completes
a fixed fact in headless Chromium, as it does natively (tests/model/test_gemma3_270m_vs_transformers.py):
262k-row embedding and head, 5 local : 1 global attention, q/k norms, on SwiftShader's f32 path."""

from browser_cases import open_page

MODEL_ID = "gemma-3-270m-q4f16_1-MLC"

# Runs in the page: a worker engine loads Gemma and completes the prompt greedily.
COMPLETE = """async ({modelId, prompt}) => {
  const { CreateWebWorkerMLCEngine, prebuiltAppConfig } = await import("/lib/index.js");
  const worker = new Worker("/lib/worker.js", { type: "module" });
  const engine = await CreateWebWorkerMLCEngine(worker, modelId, { appConfig: prebuiltAppConfig },
    { context_window_size: 64 });
  const reply = await engine.completions.create({ prompt, max_tokens: 3, temperature: 0 });
  worker.terminate();
  return reply.choices[0].text;
}"""


def test_gemma3_270m_completes_a_fact(browser, served, gemma3_folder):
    gemma3_folder("q4f16_1")  # in the cache the server lists
    page = open_page(browser, served + "/")
    text = page.evaluate(COMPLETE, {"modelId": MODEL_ID, "prompt": "Paris is the capital of"})
    assert text.split()[0] == "France", text
