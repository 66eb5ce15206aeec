// WebLLM's logit-processor example with the import and the model id changed: a LogitProcessor
// registered for the model, and the low-level forwardTokensAndSample() driving the sequence by
// hand. The processor sets logits[0] = 100, so every sampled token is 0. As in WebLLM, the
// engine runs in a Web Worker (worker.js registers the processor there) or, with ?worker=0
// (WebLLM's USE_WEB_WORKER = false), in this page.
import * as webllm from "/lib/index.js";
import { runExample, setLabel } from "../shared.js";
import { MyLogitProcessor } from "./my_logit_processor.js";

const USE_WEB_WORKER = new URLSearchParams(location.search).get("worker") !== "0";
const AUTOREGRESS_LIMIT = 6; // tokens per sequence (WebLLM: 32; SwiftShader is slow)

/** Prefill the prompt, then feed each sampled token back, up to AUTOREGRESS_LIMIT tokens. */
async function autoregress(engine, prompt) {
  const tokens = [await engine.forwardTokensAndSample(prompt, /*isPrefill=*/ true)];
  let counter = prompt.length;
  while (counter < AUTOREGRESS_LIMIT) {
    counter += 1;
    tokens.push(await engine.forwardTokensAndSample([tokens.at(-1)], /*isPrefill=*/ false));
  }
  console.log(tokens);
  return tokens;
}

async function main() {
  const initProgressCallback = (report) => setLabel("init-label", report.text);
  const selectedModel = "SmolLM2-135M-Instruct-q4f16_1-MLC";
  const chatOpts = { context_window_size: 1024 }; // the KV cache: ChatOptions, as in WebLLM
  // Instantiate myLogitProcessor, registering in the logitProcessorRegistry (in-page only: in
  // the worker, worker.js has its own)
  const myLogitProcessor = new MyLogitProcessor();
  const logitProcessorRegistry = new Map();
  logitProcessorRegistry.set(selectedModel, myLogitProcessor);
  let engine;
  if (USE_WEB_WORKER) {
    engine = await webllm.CreateWebWorkerMLCEngine(new Worker(new URL("./worker.js", import.meta.url),
      { type: "module" }), selectedModel, { initProgressCallback }, chatOpts);
  } else {
    engine = await webllm.CreateMLCEngine(selectedModel, { initProgressCallback, logitProcessorRegistry },
      chatOpts);
  }

  const prompt = [42];
  const first = await autoregress(engine, prompt);
  const sampledBeforeReset = myLogitProcessor.tokenSequence.length;
  // By calling engine.resetChat(), we trigger MyLogitProcessor.resetState()
  await engine.resetChat();
  const sampledAfterReset = myLogitProcessor.tokenSequence.length;
  const second = await autoregress(engine, prompt);

  // runtimeStatsText() counts the forwardTokensAndSample calls since the reset
  const stats = await engine.runtimeStatsText();
  setLabel("stats-label", stats);
  // The page's processor counts only in-page; the worker's logs its counts in the worker.
  return USE_WEB_WORKER ? { worker: true, first, second, stats } : {
    worker: false, first, second, sampledBeforeReset, sampledAfterReset,
    sampledAtEnd: myLogitProcessor.tokenSequence.length, resets: myLogitProcessor.resets, stats,
  };
}

runExample(main);
