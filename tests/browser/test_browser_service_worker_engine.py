"""Done when: `CreateServiceWorkerMLCEngine` answers; after a page reload the engine answers
again without loading weights a second time; a page that goes away mid-stream does not
hang the service worker."""

from browser_cases import CHAT_OPTIONS, MODEL_ID, QUESTION, open_page

REGISTER = """async () => {
  await navigator.serviceWorker.register("/lib/sw.js", { type: "module", scope: "/" });
  await navigator.serviceWorker.ready;
  while (!navigator.serviceWorker.controller) await new Promise((r) => setTimeout(r, 50));
}"""

# Runs in the page: the service-worker engine answers greedily; returns text, progress, load info.
ANSWER = """async ({modelId, chatOpts, messages}) => {
  const { CreateServiceWorkerMLCEngine, prebuiltAppConfig } = await import("/lib/index.js");
  const progress = [];
  const engine = await CreateServiceWorkerMLCEngine(modelId,
    { appConfig: prebuiltAppConfig, initProgressCallback: (r) => progress.push(r.text) }, chatOpts);
  const reply = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 8 });
  return { text: reply.choices[0].message.content, progress, info: await engine.getLoadedModelInfo() };
}"""

# Starts a long stream and returns once its first words arrived, leaving it running.
START_LONG_STREAM = """async ({modelId, chatOpts, messages}) => {
  const { CreateServiceWorkerMLCEngine, prebuiltAppConfig } = await import("/lib/index.js");
  const engine = await CreateServiceWorkerMLCEngine(modelId, { appConfig: prebuiltAppConfig }, chatOpts);
  const stream = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 200,
    logit_bias: { "2": -100 }, stream: true });
  window.pending = stream[Symbol.asyncIterator]();
  for (;;) if ((await window.pending.next()).value?.choices[0]?.delta?.content) return true;
}"""


def test_service_worker_engine_survives_page_reloads(browser, served):
    page = open_page(browser, served + "/")
    page.evaluate(REGISTER)
    args = {"modelId": MODEL_ID, "chatOpts": CHAT_OPTIONS, "messages": QUESTION}
    first = page.evaluate(ANSWER, args)
    assert "Paris" in first["text"]
    assert first["info"]["weightLoads"] == 1 and first["info"]["modelId"] == MODEL_ID
    assert any("Loading model" in text for text in first["progress"])

    page.reload()  # the service worker, and the model in it, stay
    second = page.evaluate(ANSWER, args)
    assert second["text"] == first["text"]
    assert second["info"]["weightLoads"] == 1  # not loaded again
    assert not any("Loading model" in text for text in second["progress"])

    # The page goes away mid-stream: the next page is answered, not left waiting.
    assert page.evaluate(START_LONG_STREAM, args)
    page.reload()
    third = page.evaluate(ANSWER, args)
    assert third["text"] == first["text"] and third["info"]["weightLoads"] == 1
