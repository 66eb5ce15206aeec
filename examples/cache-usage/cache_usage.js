// WebLLM's cache-usage example with the import and the model id changed: the weights go into
// IndexedDB (appConfig.useIndexedDBCache; the Cache API when false), hasModelInCache tells,
// a reload reads them from there, and after deleteModelAllInfoInCache a reload downloads again.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";

// Not in WebLLM's example: where each load read its weights from, as its progress reports say
// ("Loading model from cache: ..." or "... from network: ...").
const loads = [];
const initProgressCallback = (report) => {
  setLabel("init-label", report.text);
  const source = report.text.match(/^Loading model from (\w+)/)?.[1];
  if (source !== undefined) loads[loads.length - 1].add(source);
};
const startLoad = () => loads.push(new Set());

async function main() {
  const appConfig = webllm.prebuiltAppConfig;
  // CHANGE THIS TO SEE EFFECTS OF BOTH, CODE BELOW DOES NOT NEED TO CHANGE
  appConfig.useIndexedDBCache = true;
  console.log(appConfig.useIndexedDBCache ? "Using IndexedDB Cache" : "Using Cache API");

  // 1. This triggers downloading and caching the model with either Cache or IndexedDB Cache
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const chatOpts = { context_window_size: 1024 };
  const cachedBefore = await webllm.hasModelInCache(selectedModel, appConfig);
  startLoad();
  const engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback, appConfig }, chatOpts);

  const request = {
    stream: false,
    messages: [{ role: "user", content: "Write an analogy between mathematics and a lighthouse." }],
    n: 1,
    temperature: 0, // greedy, so the three loads can be compared
    max_tokens: 8,
  };
  const replies = [await engine.chat.completions.create(request)];
  console.log(replies[0]);

  // 2. Check whether model weights are cached
  const cachedAfterLoad = await webllm.hasModelInCache(selectedModel, appConfig);
  console.log("hasModelInCache: ", cachedAfterLoad);
  if (!cachedAfterLoad) throw Error("Expect hasModelInCache() to be true, but got: " + cachedAfterLoad);

  // 3. We reload, and this time it is faster because the weights are cached.
  console.log("Reload model start");
  startLoad();
  await engine.reload(selectedModel, chatOpts);
  console.log("Reload model end");
  replies.push(await engine.chat.completions.create(request));

  // 4. Delete everything about this model from the cache (deleteModelInCache,
  // deleteChatConfigInCache and deleteModelWasmInCache delete one part each)
  await webllm.deleteModelAllInfoInCache(selectedModel, appConfig);
  const cachedAfterDelete = await webllm.hasModelInCache(selectedModel, appConfig);
  console.log("After deletion, hasModelInCache: ", cachedAfterDelete);
  if (cachedAfterDelete) throw Error("Expect hasModelInCache() to be false, but got: " + cachedAfterDelete);

  // 5. If we reload, we should expect the model to start downloading again
  console.log("Reload model start");
  startLoad();
  await engine.reload(selectedModel, chatOpts);
  console.log("Reload model end");
  replies.push(await engine.chat.completions.create(request));

  return { cached: [cachedBefore, cachedAfterLoad, cachedAfterDelete], loads: loads.map((s) => [...s]),
           answers: replies.map((reply) => reply.choices[0].message.content) };
}

runExample(main);
